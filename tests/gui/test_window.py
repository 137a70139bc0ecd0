"""The window skeleton against a real catalog on disk: welcome on first start, photo grid."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gui.main_window import MainWindow
from gui.models.photos import IdRole

WAIT_MS = 20000  # generous: a busy 2-core machine; waits end as soon as true


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(tmp_path / "catalog")
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_first_start_shows_welcome(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)
    window.welcome.add_folder(str(tmp_path))
    assert window.welcome.paths() == [str(tmp_path.resolve())]
    assert window.welcome.start.isEnabled()
    assert window.errors == []


def test_photos_grid_lists_indexed_photos(qtbot, tmp_path, insightface_images, window_over):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(insightface_images / "t1.jpg", folder / "a.jpg")
    shutil.copy(insightface_images / "Tom_Hanks_54745.png", folder / "b.png")
    w = window_over(folder, [("a.jpg", "2021-05-01T10:00:00"),
                                               ("b.png", "2019-01-02T10:00:00")])
    w.show()
    w.show_section("photos")
    model = w.photos_page.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)
    assert [row.path for row in model.rows] == [str(folder / "a.jpg"), str(folder / "b.png")]
    # thumbnails arrive from the worker pool and replace the placeholder
    qtbot.waitUntil(lambda: model.cached_thumbnail(0) is not None, timeout=WAIT_MS)
    assert not model.cached_thumbnail(0).isNull()  # decoded, not the "broken" marker
    assert w.errors == []
    w.close()


def test_export_from_a_photo_grid_takes_the_selected_photos(qtbot, tmp_path, insightface_images,
                                                            window_over):
    from PySide6.QtCore import QItemSelectionModel

    folder = tmp_path / "photos"
    folder.mkdir()
    names = ["a.jpg", "b.png", "c.jpg"]
    for name, src in zip(names, ["t1.jpg", "Tom_Hanks_54745.png", "t1.jpg"]):
        shutil.copy(insightface_images / src, folder / name)
    w = window_over(folder,
                     [(name, f"2021-05-0{i + 1}T10:00:00") for i, name in enumerate(names)])
    w.show()
    w.show_section("photos")
    grid, model = w.photos_page.grid, w.photos_page.model
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    chosen = {0, 2}
    for row in chosen:
        grid.selectionModel().select(grid.grid_index(row),
                                     QItemSelectionModel.SelectionFlag.Select)
    grid.export_requested.emit(grid.selected_ids())
    dialog = w.last_dialog
    assert dialog.use_search.isChecked() and "2 selected photos" in dialog.use_search.text()
    dialog.destination.setText(str(tmp_path / "out"))
    dialog.preview()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=WAIT_MS)
    planned = {Path(dialog.table.item(r, 1).text()).name.split("_", 1)[1] for r in range(2)}
    assert planned == {Path(model.rows[r].path).name for r in chosen}
    assert w.errors == []


def test_a_long_status_keeps_whole_parts_and_grids_fill_their_rows(qtbot, tmp_path,
                                                                    window_over):
    from gui.views.status import FittedLabel

    label = FittedLabel()
    qtbot.addWidget(label)
    text = "Indexing · 1,234 of 5,678 · 21.3 photos/s · 3 min 20 s left · 4,321 faces · paused"
    label.setText(text)
    label.resize(150, 20)
    label.show()
    shown = label.shown()
    assert label.text() == text and label.toolTip() == text
    # whole parts, the first ones, never a word cut ("4,321 fac…")
    parts = shown.split(" · ")
    assert 0 < len(parts) < len(text.split(" · ")) and parts[0] == "Indexing"
    assert all(part in text.split(" · ") for part in parts)

    from PySide6.QtWidgets import QStyle

    # rows enough to fill more than one grid row
    w = window_over(tmp_path,
                     [(f"{i}.jpg", f"2021-05-{i + 1:02d}") for i in range(12)])
    w.resize(1000, 700)
    w.show()
    for section, grid in (("people", w.people_page.grid), ("photos", w.photos_page.grid)):
        w.show_section(section)
        qtbot.waitUntil(lambda g=grid: g.viewport().width() > 500, timeout=WAIT_MS)
        bar = grid.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None,
                                       grid.verticalScrollBar())
        width = grid.maximumViewportSize().width()
        cell = (grid.gridSize() if section == "people" else grid.delegate.cell).width()
        columns = (width - bar - 1) // cell
        assert width - columns * cell <= bar + columns  # no band on the right but the bar's
        if section == "photos":  # and that many cells do fit in a row, under the month
            qtbot.waitUntil(lambda g=grid: g.photo_model().rowCount() == 12, timeout=WAIT_MS)
            first, last = grid.grid_index(0), grid.grid_index(columns - 1)
            qtbot.waitUntil(lambda g=grid, a=first, b=last: g.visualRect(b).top()
                            == g.visualRect(a).top() > 0, timeout=WAIT_MS)
            assert grid.visualRect(grid.grid_index(columns)).top() > grid.visualRect(first).top()


def test_photos_grid_has_a_header_row_per_month(qtbot, tmp_path, window_over):
    from PySide6.QtGui import QKeySequence

    # newest first: 7 photos of May 2021, 2 of March 2021, 1 undated (last)
    photos = ([(f"may{i}.jpg", f"2021-05-{20 - i:02d}T10:00:00") for i in range(7)]
              + [(f"mar{i}.jpg", f"2021-03-0{5 - i}T10:00:00") for i in range(2)]
              + [("old.jpg", None)])
    w = window_over(tmp_path, photos)
    w.resize(900, 420)
    w.show()
    w.show_section("photos")
    grid = w.photos_page.grid
    sections = grid.sections
    qtbot.waitUntil(lambda: sections.rowCount() == 13, timeout=WAIT_MS)  # 10 photos, 3 months
    headers = [r for r in range(13) if sections.is_header(r)]
    assert headers == [0, 8, 11]
    assert [sections.section_of(r) for r in headers] == [("May 2021", 7), ("March 2021", 2),
                                                     ("Undated", 1)]

    def rect(row):
        return grid.visualRect(sections.index(row))

    qtbot.waitUntil(lambda: rect(12).top() > 0, timeout=WAIT_MS)  # laid out to the end
    # 4 columns: May's header is a whole row; so is March's (small, but its header would
    # end May's last row, away from its photos); the undated photo's month is a header cell
    # beside it, in March's row
    for header in headers[:2]:
        # a header is a whole row: the month's first photo starts the next row, at the left
        assert rect(header).width() >= grid.viewport().width() - grid.verticalScrollBar().width()
        first = rect(header + 1)
        assert first.left() == 0 and first.top() == rect(header).bottom() + 1
        assert rect(header).height() < rect(header + 1).height()
    assert rect(7).top() < rect(8).top()  # March starts below the last row of May
    assert rect(11).top() == rect(12).top() == rect(10).top()
    assert rect(11).width() == rect(12).width() and rect(11).left() > rect(10).left()
    # headers are not photos: select-all, selections and the context menu see photos only
    grid.setFocus()
    qtbot.keySequence(grid, QKeySequence.StandardKey.SelectAll)
    assert sorted(grid.selected_ids()) == sorted(r.id for r in grid.photo_model().rows)
    assert not grid.sections.flags(sections.index(0)) & Qt.ItemFlag.ItemIsSelectable
    grid.clearSelection()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect(8).center())
    assert grid.selected_ids() == []
    # Down from the end of May's last row: March's last photo (its row is shorter), not
    # the header between; Up from there comes back to the nearest photo of May's row
    grid.setCurrentIndex(sections.index(7))
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    assert grid.currentIndex().row() == 10
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    assert grid.currentIndex().row() == 6
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    assert grid.currentIndex().row() == 10
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == 12  # the undated photo, over its month's header cell
    assert grid.indexAt(rect(11).center()).row() == 11
    # scrolled into May, May's header stays on top; pushed up as March's arrives under it
    bar = grid.verticalScrollBar()
    bar.setValue(0)
    assert grid._header.isHidden()
    bar.setValue(100)
    assert grid._header.isVisible() and grid._header.y() == 0
    assert "May 2021" in grid._header.text() and "7 photos" in grid._header.text()
    assert w.errors == []


def test_the_pinned_month_is_pushed_up_by_the_next_months_header(qtbot, tmp_path,
                                                                 window_over):
    # (March big enough for a header row of its own at 4 columns)
    photos = ([(f"may{i}.jpg", f"2021-05-{20 - i:02d}T10:00:00") for i in range(7)]
              + [(f"mar{i}.jpg", f"2021-03-{20 - i:02d}T10:00:00") for i in range(6)])
    w = window_over(tmp_path, photos)
    w.resize(900, 420)
    w.show()
    w.show_section("photos")
    grid = w.photos_page.grid
    sections = grid.sections
    qtbot.waitUntil(lambda: sections.rowCount() == 15, timeout=WAIT_MS)

    def rect(row):
        return grid.visualRect(sections.index(row))

    qtbot.waitUntil(lambda: rect(14).top() > 0, timeout=WAIT_MS)
    assert sections.is_header(8) and rect(8).width() > 3 * rect(9).width()
    bar = grid.verticalScrollBar()
    bar.setValue(rect(8).top() + bar.value() - 20)   # March's header 20 px below the top
    assert rect(8).top() == 20
    assert "May 2021" in grid._header.text() and grid._header.y() == 20 - grid._header.height()
    assert w.errors == []


def test_photos_grid_keeps_its_place_when_the_window_is_resized(qtbot, tmp_path, window_over):
    from PySide6.QtCore import QPoint

    photos = [(f"{i}.jpg", f"2021-05-{1 + i // 3:02d}T10:00:00") for i in range(60)]
    w = window_over(tmp_path, photos)
    w.resize(1100, 500)
    w.show()
    w.show_section("photos")
    grid = w.photos_page.grid
    qtbot.waitUntil(lambda: grid.photo_model().rowCount() == 60, timeout=WAIT_MS)
    grid.scrollTo(grid.grid_index(30), grid.ScrollHint.PositionAtTop)
    kept = grid.indexAt(QPoint(8, 8)).data(IdRole)
    row = grid.photo_model().row_of(kept)
    assert row > 20
    before = grid.delegate.cell.width()
    w.resize(800, 500)   # fewer columns: every row is laid out again
    qtbot.waitUntil(lambda: grid.delegate.cell.width() != before, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: grid._keep_id is None, timeout=WAIT_MS)
    assert grid.visualRect(grid.grid_index(row)).top() == 0
    assert grid.indexAt(QPoint(8, 8)).data(IdRole) == kept
