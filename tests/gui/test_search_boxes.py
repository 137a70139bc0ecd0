"""The Search page's name boxes and keys, driven as a user does: typing, the completer's popup
(Down + Enter, or a click), Clear, Esc."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from core.catalog import Catalog

WAIT_MS = 20000


def _name_two_people(catalog_dir) -> None:
    from core.people import name_person

    with Catalog(catalog_dir) as cat:
        ids = [row[0] for row in cat.execute(
            "SELECT person_id, COUNT(*) AS n FROM faces WHERE person_id IS NOT NULL "
            "GROUP BY person_id ORDER BY n DESC, person_id LIMIT 2")]
        name_person(cat, ids[0], "Colin Powell")
        name_person(cat, ids[1], "George Bush")


def _open_search(qtbot, window):
    page = window.search_page
    window.show_section("search")
    qtbot.waitUntil(lambda: len(window.completer.names.stringList()) == 2, timeout=WAIT_MS)
    return page


def _type(qtbot, edit, text: str) -> None:
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=WAIT_MS)
    QTest.keyClicks(edit, text)


def _popup(qtbot, completer):
    qtbot.waitUntil(lambda: completer.popup().isVisible(), timeout=WAIT_MS)
    return completer.popup()


def test_a_name_picked_with_down_and_enter_leaves_the_box_empty(qtbot, indexed, window_for):
    _name_two_people(indexed)
    window = window_for(indexed)
    page = _open_search(qtbot, window)
    box = page.all_of
    _type(qtbot, box.edit, "Col")
    popup = _popup(qtbot, window.completer)
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: box.refs() == ["Colin Powell"], timeout=WAIT_MS)
    qtbot.wait(50)
    assert box.edit.text() == ""
    # the next name is a chip of its own, not "Colin PowellGeo…"
    _type(qtbot, box.edit, "Geo")
    popup = _popup(qtbot, window.completer)
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: box.refs() == ["Colin Powell", "George Bush"], timeout=WAIT_MS)
    qtbot.wait(50)
    assert box.edit.text() == ""
    assert window.errors == []


def test_a_name_picked_with_a_click_leaves_the_box_empty(qtbot, indexed, window_for):
    _name_two_people(indexed)
    window = window_for(indexed)
    page = _open_search(qtbot, window)
    box = page.none_of
    _type(qtbot, box.edit, "geo")
    popup = _popup(qtbot, window.completer)
    index = popup.model().index(0, 0)
    assert index.data() == "George Bush"
    rect = popup.visualRect(index)
    QTest.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     rect.center())
    qtbot.waitUntil(lambda: box.refs() == ["George Bush"], timeout=WAIT_MS)
    qtbot.wait(50)
    assert box.edit.text() == ""
    assert not popup.isVisible()


def test_clear_empties_the_chips_and_the_typed_text(qtbot, indexed, window_for):
    _name_two_people(indexed)
    window = window_for(indexed)
    page = _open_search(qtbot, window)
    _type(qtbot, page.all_of.edit, "Colin Powell")
    QTest.keyClick(page.all_of.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.all_of.refs() == ["Colin Powell"], timeout=WAIT_MS)
    _type(qtbot, page.any_of.edit, "half typ")
    QTest.keyClick(page.any_of.edit, Qt.Key.Key_Escape)   # the popup (if any) goes
    QTest.mouseClick(page.clear_button, Qt.MouseButton.LeftButton)
    for box in (page.all_of, page.any_of, page.none_of):
        assert box.refs() == [] and box.edit.text() == ""


def _click_section(qtbot, window, key: str) -> None:
    row = window.sidebar.row_of(key)
    rect = window.sidebar.visualItemRect(window.sidebar.item(row))
    QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, rect.center())


def _section(window) -> str:
    return window.sidebar.currentItem().data(Qt.ItemDataRole.UserRole)


def _drop_photo(window, path) -> None:
    """An outside photo dragged onto the window, the events in the order Qt delivers them."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    at = QPoint(window.width() // 2, window.height() // 2)
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(at, Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(window, move)
    QApplication.sendEvent(window, QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime,
                                              buttons, mods))


def test_esc_in_a_name_box_stays_on_search_and_the_sidebar_tells_the_page(
        qtbot, tmp_path, indexed, window_for, insightface_images):
    import shutil

    window = window_for(indexed)
    _click_section(qtbot, window, "photos")
    grid = window.photos_page.grid
    qtbot.waitUntil(lambda: window.photos_page.model.rowCount() > 0, timeout=WAIT_MS)
    sections = grid.sections
    row = next(r for r in range(sections.rowCount()) if not sections.is_header(r))
    qtbot.waitUntil(lambda: grid.visualRect(sections.index(row)).height() > 0, timeout=WAIT_MS)
    first = grid.visualRect(sections.index(row)).center()
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     first)
    QTest.keyClick(grid, Qt.Key.Key_Return)      # open it in the viewer
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.viewer, timeout=WAIT_MS)
    assert _section(window) == "photos"
    outside = tmp_path / "outside.png"
    shutil.copy(insightface_images / "Tom_Hanks_54745.png", outside)
    _drop_photo(window, outside)                 # from the viewer to Search
    page = window.search_page
    assert window.pages.currentWidget() is page and _section(window) == "search"

    _type(qtbot, page.any_of.edit, "somebody")
    QTest.keyClick(page.any_of.edit, Qt.Key.Key_Escape)
    qtbot.wait(50)
    assert window.pages.currentWidget() is page    # it used to jump back to the viewer
    assert _section(window) == "search"
    assert page.any_of.edit.text() == ""           # Esc emptied the box
    QTest.keyClick(page.any_of.edit, Qt.Key.Key_Escape)  # an empty box: still here
    assert window.pages.currentWidget() is page

    # Esc outside a text box goes back, and the sidebar says where it went
    page.grid.setFocus()
    qtbot.waitUntil(page.grid.hasFocus, timeout=WAIT_MS)
    QTest.keyClick(page.grid, Qt.Key.Key_Escape)
    assert window.pages.currentWidget() is window.viewer
    assert _section(window) == "photos"
