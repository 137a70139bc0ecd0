"""The photo grid's month sections as a user meets them: keys, scrolling, refreshes.
(Reproductions from a review of the month headers; each failed on the first version.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSlider

from gui.models.photos import PhotoList
from gui.models.queries import PhotoRow

WAIT_MS = 20000  # generous: a busy 2-core machine; waits end as soon as true

# 4 columns at 900 px: May = [1 2 3 4] [5], March = [7 8 9 10], January = [12..15] [16 17]
PHOTOS = ([(f"may{i}.jpg", f"2021-05-{20 - i:02d}T10:00:00") for i in range(5)]
          + [(f"mar{i}.jpg", f"2021-03-{20 - i:02d}T10:00:00") for i in range(4)]
          + [(f"jan{i}.jpg", f"2021-01-{20 - i:02d}T10:00:00") for i in range(6)])


def _grid(qtbot, window_over, tmp_path, size=(900, 600), photos=None, months=3):
    """The photos page over `photos` (PHOTOS: 3 months), laid out: all its cells placed."""
    photos = PHOTOS if photos is None else photos
    w = window_over(tmp_path, photos)
    w.resize(*size)
    w.show()
    w.show_section("photos")
    g = w.photos_page.grid
    n = len(photos) + months              # a cell a photo, and a header cell a month
    qtbot.waitUntil(lambda: g.sections.rowCount() == n, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: g.visualRect(g.sections.index(n - 1)).top() > 0, timeout=WAIT_MS)
    g.setFocus()
    return w, g


def _own_grid(qtbot, window, width: int):
    """A grid of its own over the window's thumbnail loader: no page reloads it meanwhile."""
    from gui.models.photos import PhotoListModel
    from gui.views.photo_grid import PhotoGrid

    ctx = window.ctx
    model = PhotoListModel(ctx.loader, ctx.catalog_dir, ctx.placeholder(176))
    grid = PhotoGrid(model, 176)
    qtbot.addWidget(grid)
    grid.resize(width, 500)
    grid.show()
    return grid


def _rows(n: int, per_month: int) -> list[PhotoRow]:
    return [PhotoRow(i, f"/x/{i}.jpg", f"2021-{12 - i // per_month:02d}-01", 100, 100, None, None)
            for i in range(n)]


def _scroll_to(qtbot, grid, photo_row: int) -> None:
    """Once the rows are laid out that far (in batches after a new list)."""
    def there() -> bool:
        grid.scrollTo(grid.grid_index(photo_row), grid.ScrollHint.PositionAtTop)
        return grid.verticalScrollBar().value() > 0

    qtbot.waitUntil(there, timeout=WAIT_MS)


def test_up_and_down_reach_a_months_short_last_row(qtbot, tmp_path, window_over):
    w, g = _grid(qtbot, window_over, tmp_path)
    assert g.visualRect(g.sections.index(5)).top() > g.visualRect(g.sections.index(4)).top()
    g.setCurrentIndex(g.sections.index(3))          # May, first row, third column
    qtbot.keyClick(g, Qt.Key.Key_Down)
    assert g.currentIndex().row() == 5               # May's last row, not March
    g.setCurrentIndex(g.sections.index(9))          # March, third column
    qtbot.keyClick(g, Qt.Key.Key_Up)
    assert g.currentIndex().row() == 5


def test_home_and_page_keys_do_not_stop_on_headers(qtbot, tmp_path, window_over):
    w, g = _grid(qtbot, window_over, tmp_path)
    g.setCurrentIndex(g.sections.index(8))
    qtbot.keyClick(g, Qt.Key.Key_Home)
    assert g.currentIndex().row() == 1               # the first photo (row 0 is May's header)
    qtbot.keyClick(g, Qt.Key.Key_PageDown)
    assert g.currentIndex().row() > 1 and not g.sections.is_header(g.currentIndex().row())
    qtbot.keyClick(g, Qt.Key.Key_End)
    assert g.currentIndex().row() == g.sections.rowCount() - 1


def test_a_new_search_starts_at_the_top(qtbot, tmp_path, window_over):
    w, _ = _grid(qtbot, window_over, tmp_path)
    page = w.search_page
    w.navigation.go_to_section_page(page)
    g, bar = page.grid, page.grid.verticalScrollBar()
    rows = _rows(6000, 500)
    page._apply(page._ticket, (PhotoList(rows), []))
    qtbot.waitUntil(lambda: g.sections.rowCount() == 6012, timeout=WAIT_MS)
    _scroll_to(qtbot, g, 3000)
    page._apply(page._ticket, (PhotoList(rows[:2990] + rows[2991:]), []))  # one fewer hit
    qtbot.wait(1500)                                  # the new layout, in batches
    assert bar.value() == 0


def test_scrolling_away_while_the_place_is_kept_ends_the_keeping(qtbot, tmp_path, window_over):
    w, _ = _grid(qtbot, window_over, tmp_path)
    g = _own_grid(qtbot, w, 1100)
    bar = g.verticalScrollBar()
    g.photo_model().set_rows(PhotoList(_rows(20000, 2000)))
    _scroll_to(qtbot, g, 10000)
    before = g.delegate.cell.width()
    g.resize(800, 500)   # the place is kept from here until its row is laid out again
    qtbot.waitUntil(lambda: g.delegate.cell.width() != before, timeout=WAIT_MS)
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)  # the user goes to the top
    qtbot.wait(2500)
    assert bar.value() == 0


def test_the_sticky_headers_count_follows_a_refresh(qtbot, tmp_path, window_over):
    w, _ = _grid(qtbot, window_over, tmp_path)
    g = _own_grid(qtbot, w, 900)
    rows = _rows(200, 40)
    g.photo_model().set_rows(PhotoList(rows))
    _scroll_to(qtbot, g, 50)
    qtbot.waitUntil(lambda: "40 photos" in g._header.text(), timeout=WAIT_MS)
    g.photo_model().set_rows(PhotoList([r for r in rows if r.id != 70]))  # one of that month
    qtbot.waitUntil(lambda: "39 photos" in g._header.text(), timeout=WAIT_MS)


def test_a_click_on_a_header_clears_the_selection(qtbot, tmp_path, window_over):
    w, g = _grid(qtbot, window_over, tmp_path)
    g.selectAll()
    assert len(g.selected_ids()) == len(PHOTOS)
    qtbot.mouseClick(g.viewport(), Qt.MouseButton.LeftButton,
                     pos=g.visualRect(g.sections.index(6)).center())   # March's header
    assert g.selected_ids() == []


# Six months of one or two photos (newest first): at 900 px (4 columns) each month's header
# is a cell beside its photos, so they share rows instead of taking two rows a month.
SMALL_MONTHS = ([(f"m{m}.jpg", f"2020-{m:02d}-10T10:00:00") for m in (12, 11, 10, 9, 8)]
                + [("jul1.jpg", "2020-07-10T10:00:00"), ("jul2.jpg", "2020-07-09T10:00:00")])


def test_small_months_share_rows_with_their_headers(qtbot, tmp_path, window_over):
    w, g = _grid(qtbot, window_over, tmp_path, photos=SMALL_MONTHS, months=6)
    n = g.sections.rowCount()
    rects = [g.visualRect(g.sections.index(r)) for r in range(n)]
    headers = [r for r in range(n) if g.sections.is_header(r)]
    assert len(headers) == 6
    for r in headers:        # a header cell the size of a photo's, in the row of its photo
        assert rects[r].width() == rects[r + 1].width()
        assert rects[r].top() == rects[r + 1].top()
    assert len({rect.top() for rect in rects}) == 4   # 13 cells, 4 a row (was 12 rows)
    # the header cell says which month, and how many photos
    assert g.sections.index(headers[0]).data() == "December 2020"
    shot = g.viewport().grab(rects[headers[0]]).toImage()
    assert len({shot.pixel(x, y) for x in range(shot.width()) for y in range(shot.height())}) > 4
    # the keys step over the header cells: Right to the next month's photo, Left back
    g.setFocus()
    g.setCurrentIndex(g.sections.index(1))
    qtbot.keyClick(g, Qt.Key.Key_Right)
    assert g.currentIndex().row() == 3
    qtbot.keyClick(g, Qt.Key.Key_Left)
    assert g.currentIndex().row() == 1


def test_a_month_that_fills_a_row_keeps_a_header_row_of_its_own(qtbot, tmp_path, window_over):
    w, g = _grid(qtbot, window_over, tmp_path)     # May: 5 photos, 4 columns
    header, first = g.visualRect(g.sections.index(0)), g.visualRect(g.sections.index(1))
    assert header.width() > 3 * first.width() and header.bottom() < first.top()


def test_a_small_months_header_never_ends_a_row_away_from_its_photo(qtbot, tmp_path,
                                                                   window_over):
    # 4 columns: December's header and 2 photos, then November's header would fall in the
    # last column with its photo on the next row: it takes a row of its own instead
    photos = [("d1.jpg", "2020-12-10T10:00:00"), ("d2.jpg", "2020-12-09T10:00:00"),
              ("n1.jpg", "2020-11-10T10:00:00"), ("o1.jpg", "2020-10-10T10:00:00")]
    w, g = _grid(qtbot, window_over, tmp_path, photos=photos)
    n = g.sections.rowCount()
    rects = [g.visualRect(g.sections.index(r)) for r in range(n)]
    # rows: [Dec header][d1][d2] / [November header row] / [n1][Oct header][o1]
    assert rects[0].top() == rects[1].top() == rects[2].top()
    assert rects[3].width() > 3 * rects[4].width() and rects[3].bottom() < rects[4].top()
    assert rects[4].top() == rects[5].top() == rects[6].top()
    assert rects[5].width() == rects[6].width()
