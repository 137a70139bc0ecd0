"""Search through the window: drop an outside photo, right-click a face → Find this person."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication

from core.catalog import Catalog
from gui.views.search_page import PROMPT
from tests.gui.test_search_boxes import _drop_photo

WAIT_MS = 20000  # generous: a busy 2-core machine; waits end as soon as true


def _photo_names(model) -> set[str]:
    return {Path(row.path).name for row in model.rows}


def test_drop_an_outside_photo_to_search(qtbot, tmp_path, indexed, window_for,
                                         insightface_images):
    window = window_for(indexed)
    outside = tmp_path / "outside" / "tom.png"  # not in the library
    outside.parent.mkdir()
    shutil.copy(insightface_images / "Tom_Hanks_54745.png", outside)
    _drop_photo(window, outside)   # (asserts the drag was accepted on entering)
    page = window.search_page
    assert window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=30000)
    assert _photo_names(page.model) == {"Tom_Hanks_54745.png", "tom_framed.jpg"}
    assert all(badge.endswith("%") for badge in _badges(page.model))  # similarity shown
    # ranked by similarity: no month headers, which would read as a grouping by date
    assert not page.model.by_date
    sections = page.grid.sections
    assert sections.rowCount() == page.model.rowCount()
    assert not any(sections.is_header(i) for i in range(sections.rowCount()))
    assert page.export.isEnabled()
    # the date boxes offer the library's own span, not "the last year"
    with Catalog(indexed) as cat:
        first, last = cat.execute("SELECT MIN(taken_at), MAX(taken_at) FROM photos").fetchone()
    qtbot.waitUntil(lambda: page.date_to.date().toString("yyyy-MM-dd") == last[:10],
                    timeout=WAIT_MS)
    assert page.date_from.date().toString("yyyy-MM-dd") == first[:10]
    # a stricter threshold never adds photos
    before = page.model.rowCount()
    page.slider.setValue(90)
    qtbot.waitUntil(lambda: page.count.text() != "Searching…", timeout=WAIT_MS)
    qtbot.wait(600)
    assert page.model.rowCount() <= before
    assert window.errors == []


def test_find_this_person_from_a_face_in_the_viewer(qtbot, indexed, window_for):
    window = window_for(indexed)
    with Catalog(indexed) as cat:
        photo, face = cat.execute(
            "SELECT p.id, f.id FROM photos p JOIN faces f ON f.photo_id = p.id "
            "WHERE p.path LIKE '%/t1.jpg' ORDER BY f.x1 LIMIT 1").fetchone()
    window.open_photo(photo)
    canvas = window.viewer.canvas
    qtbot.waitUntil(lambda: len(canvas.faces) == 6, timeout=WAIT_MS)
    target = next(f for f in canvas.faces if f.id == face)
    menus = []
    window.viewer.face_menu = lambda f, pos: menus.append(f)  # the menu itself is modal-free
    canvas.contextMenuEvent(_context_event(canvas.face_rect(target).center().toPoint()))
    assert menus == [target]
    window.viewer.find_person_requested.emit(target)  # the menu's "Find this person"
    page = window.search_page
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=30000)
    # this person is in t1.jpg and its re-encoded copy, nowhere else
    assert _photo_names(page.model) == {"t1.jpg", "t1_small.jpg"}
    assert window.errors == []


def _context_event(pos):
    from PySide6.QtGui import QContextMenuEvent

    return QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, pos)


def test_a_new_query_starts_clean_and_a_typo_is_said_in_place(qtbot, indexed, window_for):
    window = window_for(indexed)
    page = window.search_page
    window.show_section("search")
    page.all_of.add("Nobody Here")            # a name that is no one: said on the page
    qtbot.waitUntil(lambda: "check the names" in page.empty.text(), timeout=WAIT_MS)
    assert page.results.currentWidget() is page.empty
    assert window.errors == []                 # no error dialog for a typo
    page.clear()
    # cleared: the page says how to start (it used to sit in the heading)
    assert page.empty.text() == PROMPT and page.results.currentWidget() is page.empty
    assert page.count.text() == ""

    page.all_of.add("Nobody Here")
    page.use_from.setChecked(True)
    with Catalog(indexed) as cat:
        face = cat.execute("SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id "
                           "WHERE p.path LIKE '%/Tom_Hanks_54745.png'").fetchone()[0]
    page.search_face(face, "Tom")              # "Find this person": the old chip goes
    assert page.all_of.refs() == [] and not page.use_from.isChecked()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=30000)
    assert page.count.text() == f"{page.model.rowCount():,} photo" + (
        "" if page.model.rowCount() == 1 else "s")
    assert window.errors == []


def test_the_threshold_set_in_settings_reaches_the_search(qtbot, indexed, window_for):
    window = window_for(indexed)
    dialog = window.settings_dialog()
    dialog.threshold.setValue(0.55)
    dialog.accept()
    assert window.search_page.slider.value() == 55


def test_long_names_wrap_in_their_box_and_the_heading_says_who(qtbot, indexed, window_for):
    window = window_for(indexed)
    window.resize(800, 600)
    window.show_section("search")
    page = window.search_page
    for name in ("Arnold Alois Schwarzenegger-Baumgartner", "Abdullah Gul"):
        page.any_of.add(name)
    for name in ("George W Bush", "Luiz Inacio Lula da Silva"):
        page.all_of.add(name)
    qtbot.wait(50)
    # the boxes grow taller, never the window wider (it used to reach 1,180 px)
    assert window.minimumSizeHint().width() <= 800 and window.width() == 800
    assert page.any_of.height() > page.none_of.height()
    qtbot.waitUntil(lambda: page.query.text().startswith("Photos of "), timeout=WAIT_MS)
    assert "George W Bush and Luiz Inacio Lula da Silva" in page.query.text()
    # nobody has these names: the message saying so wraps too
    page.clear()
    page.all_of.add("A very very long name Maximilian Alexander von Habsburg-Lothringen")
    qtbot.waitUntil(lambda: "No person named 'A very" in page.empty.text(), timeout=WAIT_MS)
    qtbot.wait(50)
    assert window.minimumSizeHint().width() <= 800 and window.width() == 800


def _badges(model) -> list[str]:
    """The chip each result cell shows (the model's BadgeRole, as the delegate paints it)."""
    from gui.models.photos import BadgeRole

    return [model.index(i).data(BadgeRole) for i in range(model.rowCount())]


def test_a_dragged_file_that_is_not_a_photo_is_refused(qtbot, tmp_path, indexed, window_for):
    window = window_for(indexed)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(notes))])
    enter = QDragEnterEvent(QPoint(window.width() // 2, window.height() // 2),
                            Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()           # the cursor says no: nothing would be searched
    assert window.pages.currentWidget() is not window.search_page
