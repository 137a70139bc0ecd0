"""The search page as a user meets it: Choose photo…, a photo with several faces asks which
one first (crops, no "Face 1"), Find this person on a named face shows their photos as
theirs, and the heading keeps to one row in a narrow window."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from core.catalog import Catalog
from gui.views.search_page import PROMPT

from .test_albums import click

WAIT_MS = 30000


def names(model) -> set[str]:
    return {Path(row.path).name for row in model.rows}


def choose_photo(qtbot, page, path: Path) -> None:
    """Choose photo… → type the path in the file dialog → Enter."""
    click(page.choose_button)
    qtbot.waitUntil(lambda: page.file_dialog is not None and page.file_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = page.file_dialog
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    dialog.activateWindow()         # as the window manager does for a new dialog
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=WAIT_MS)
    QTest.keyClicks(edit, str(path))
    QTest.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.file_dialog is None, timeout=WAIT_MS)


def test_choose_photo_with_several_faces_asks_which_face_first(qtbot, tmp_path, indexed,
                                                               window_for, insightface_images):
    outside = tmp_path / "outside" / "group.jpg"   # six people, not in the library
    outside.parent.mkdir()
    shutil.copy(insightface_images / "t1.jpg", outside)
    window = window_for(indexed)
    window.show_section("search")
    page = window.search_page
    # before anything is searched, the page says how to start (Choose photo… among them)
    assert page.results.currentWidget() is page.empty and page.empty.text() == PROMPT
    assert page.empty.isVisible() and "Choose a photo" in PROMPT
    choose_photo(qtbot, page, outside)
    strip = page.query_faces
    qtbot.waitUntil(strip.isVisible, timeout=WAIT_MS)
    assert strip.count() == 6
    for i in range(6):      # the faces themselves, not "Face 1 / Face 2"
        item = strip.item(i)
        assert item.text() == "" and not item.icon().isNull()
    # nothing is searched before a face is picked; the page says what to do
    qtbot.wait(500)
    assert page.model.rowCount() == 0 and page.results.currentWidget() is page.empty
    assert "6 people" in page.empty.text() and "Click the face" in page.empty.text()
    assert page.query.text() == "6 faces in group.jpg: which one?"
    # click the first face (as it is painted)
    rect = strip.visualItemRect(strip.item(0))
    QTest.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    assert names(page.model) == {"t1.jpg", "t1_small.jpg"}   # that person's two photos
    assert page.spec.photo_face == strip.item(0).data(Qt.ItemDataRole.UserRole)
    assert all(badge.endswith("%") for badge in _badges(page.model))
    assert window.errors == []


def test_a_photo_with_one_face_is_searched_at_once(qtbot, tmp_path, indexed, window_for,
                                                   insightface_images):
    outside = tmp_path / "tom.png"
    shutil.copy(insightface_images / "Tom_Hanks_54745.png", outside)
    window = window_for(indexed)
    window.show_section("search")
    page = window.search_page
    choose_photo(qtbot, page, outside)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    assert names(page.model) == {"Tom_Hanks_54745.png", "tom_framed.jpg"}
    assert not page.query_faces.isVisible()


def _tom(catalog_dir) -> tuple[int, int, int]:
    """(person id, photo id, face id) of Tom Hanks in his own photo."""
    with Catalog(catalog_dir) as cat:
        return cat.execute(
            "SELECT f.person_id, p.id, f.id FROM faces f JOIN photos p ON p.id = f.photo_id "
            "WHERE p.path LIKE '%/Tom_Hanks_54745.png'").fetchone()


def test_find_this_person_on_a_named_face_shows_their_photos(qtbot, indexed, window_for):
    person, photo, face = _tom(indexed)
    window = window_for(indexed)
    window.actions.rename(person, "Tom Hanks")
    qtbot.waitUntil(lambda: window.completer.person_named("Tom Hanks") == person,
                    timeout=WAIT_MS)
    window.open_photo(photo)
    canvas = window.viewer.canvas
    qtbot.waitUntil(lambda: any(f.id == face and f.person_name == "Tom Hanks"
                                for f in canvas.faces), timeout=WAIT_MS)
    target = next(f for f in canvas.faces if f.id == face)
    pos = canvas.face_rect(target).center().toPoint()
    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                     canvas.mapToGlobal(pos)))
    menu = next(w for w in QApplication.topLevelWidgets()
                if w.metaObject().className() == "QMenu" and w.isVisible())
    find = next(a for a in menu.actions() if a.text() == "Find this person")
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(find).center())
    page = window.search_page
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    assert window.pages.currentWidget() is page
    assert names(page.model) == {"Tom_Hanks_54745.png", "tom_framed.jpg"}
    # his photos, shown as his: no "100%" on each
    assert _badges(page.model) == ["", ""]
    assert page.count.text() == "2 photos"
    assert page.query.text() == "Photos of Tom Hanks"
    assert window.errors == []


def test_the_heading_is_one_row_in_a_narrow_window(qtbot, tmp_path, indexed, window_for,
                                                   insightface_images):
    outside = tmp_path / ("a photo with a very long file name from the family reunion "
                          "of summer 2019 at the lake.png")
    shutil.copy(insightface_images / "Tom_Hanks_54745.png", outside)
    window = window_for(indexed)
    window.resize(800, 600)
    window.show_section("search")
    page = window.search_page
    choose_photo(qtbot, page, outside)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    qtbot.wait(100)
    assert window.width() == 800 and window.minimumSizeHint().width() <= 800
    row = [page.query, page.count, page.choose_button, page.clear_button, page.export]
    centres = {w.geometry().center().y() for w in row}
    assert max(centres) - min(centres) <= 2          # one line, all centred on it
    rights = [w.geometry().right() for w in row]
    lefts = [w.geometry().left() for w in row]
    assert all(rights[i] < lefts[i + 1] for i in range(len(row) - 1))   # none overlaps
    assert page.export.geometry().right() <= page.width()
    assert page.query.height() < 2 * page.query.fontMetrics().height()  # not wrapped
    assert page.query.toolTip() == page.query.text()  # the whole text is at hand


def test_a_face_like_no_one_in_the_library_says_so(qtbot, tmp_path, indexed, window_for,
                                                    shared_data):
    """An outside photo of a stranger: the empty results say that no face is like this one
    (and how to see weaker look-alikes), not a bare "No photos match"."""
    outside = tmp_path / "stranger.jpg"
    shutil.copy(sorted((shared_data / "faces" / "Colin_Powell").iterdir())[0], outside)
    window = window_for(indexed)
    window.show_section("search")
    page = window.search_page
    choose_photo(qtbot, page, outside)
    qtbot.waitUntil(lambda: "is like this one" in page.empty.text(), timeout=WAIT_MS)
    assert page.model.rowCount() == 0 and page.results.currentWidget() is page.empty
    assert page.empty.isVisible()
    assert f"in your library is like this one at {page.slider.value()}% or more" in \
        page.empty.text()
    assert "Lower Match" in page.empty.text()
    assert window.errors == []


def test_results_follow_a_merge_made_elsewhere_when_the_page_is_shown_again(
        qtbot, indexed, window_for):
    """Photos of Tom, then a merge on the People page gives him t1's people: back on Search
    (a click on the sidebar), the results are Tom's photos as they are now, not as before."""
    from core.people import merge_people

    person, photo, face = _tom(indexed)
    window = window_for(indexed)
    window.actions.rename(person, "Tom Hanks")
    qtbot.waitUntil(lambda: window.completer.person_named("Tom Hanks") == person,
                    timeout=WAIT_MS)
    window.show_section("search")
    page = window.search_page
    page.all_of.edit.setFocus()
    QTest.keyClicks(page.all_of.edit, "Tom Hanks")
    QTest.keyClick(page.all_of.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: names(page.model) == {"Tom_Hanks_54745.png", "tom_framed.jpg"},
                    timeout=WAIT_MS)
    window.show_section("people")
    people = window.people_page.model
    qtbot.waitUntil(lambda: people.rowCount() > 0, timeout=WAIT_MS)
    before = people.rowCount()
    with Catalog(indexed) as cat:   # another group becomes Tom (as a merge in the app does)
        other = cat.execute("SELECT f.person_id FROM faces f JOIN photos p ON p.id = "
                            "f.photo_id WHERE p.path LIKE '%/t1.jpg' AND f.person_id IS NOT "
                            "NULL LIMIT 1").fetchone()[0]
        merge_people(cat, [other], person)
    window.ctx.watcher.poll()
    qtbot.waitUntil(lambda: people.rowCount() == before - 1, timeout=WAIT_MS)  # seen there
    sidebar = window.sidebar
    row = window.sidebar.row_of("search")
    QTest.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton,
                     pos=sidebar.visualItemRect(sidebar.item(row)).center())
    qtbot.waitUntil(lambda: {"t1.jpg", "t1_small.jpg"} <= names(page.model), timeout=WAIT_MS)
    assert window.errors == []


def _badges(model) -> list[str]:
    """The chip each result cell shows (the model's BadgeRole, as the delegate paints it)."""
    from gui.models.photos import BadgeRole

    return [model.index(i).data(BadgeRole) for i in range(model.rowCount())]
