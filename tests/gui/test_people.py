"""People through the real widgets on a real indexed catalog: name, merge, reject, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu

from core.catalog import Catalog
from gui.models import people as roles
from gui.views import names

WAIT_MS = 20000  # generous: a busy 2-core machine; waits end as soon as true


def _db(catalog_dir: Path, sql: str, params=()):
    with Catalog(catalog_dir) as cat:
        return [tuple(row) for row in cat.execute(sql, params)]


def _person_of(catalog_dir: Path, file_name: str) -> int:
    return _db(catalog_dir, "SELECT f.person_id FROM faces f JOIN photos p ON p.id = f.photo_id "
               "WHERE p.path LIKE ? AND f.person_id IS NOT NULL ORDER BY f.id",
               (f"%/{file_name}",))[0][0]


@pytest.fixture
def people_window(qtbot, indexed, window_for):
    window = window_for(indexed)
    page = window.people_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 7, timeout=WAIT_MS)  # Tom + t1's six
    return window


def _card(window, person_id: int):
    index = window.people_page.person_index(person_id)
    assert index is not None and index.isValid()
    return index


def _person_page(qtbot, window, person_id: int, faces: int = 2):
    """The person's page, open with its strip of `faces` faces loaded."""
    window.open_person(person_id)
    page = window.person_page
    qtbot.waitUntil(lambda: page.faces.rowCount() == faces, timeout=WAIT_MS)
    return page


def _rename_in_place(qtbot, window, person_id: int):
    """F2 on the person's card in the People grid: (the grid, its open name editor)."""
    grid = window.people_page.grid
    grid.setCurrentIndex(_card(window, person_id))
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_F2)  # rename in place
    qtbot.waitUntil(lambda: grid.findChild(QLineEdit) is not None and
                    grid.findChild(QLineEdit).isVisible(), timeout=WAIT_MS)
    return grid, grid.findChild(QLineEdit)


def test_name_a_person_in_place(qtbot, indexed, people_window):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    _, editor = _rename_in_place(qtbot, window, tom)
    editor.setText("Tom Hanks")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _db(indexed, "SELECT name FROM people WHERE id=?", (tom,))[0][0]
                    == "Tom Hanks", timeout=WAIT_MS)
    # the card shows the name once the watcher reloads the grid
    qtbot.waitUntil(lambda: _card(window, tom).data(roles.NameRole) == "Tom Hanks",
                    timeout=WAIT_MS)
    assert window.errors == []


def test_open_person_and_rename_with_an_existing_name_offers_merge(qtbot, indexed,
                                                                   people_window, monkeypatch):
    window = people_window
    a = _person_of(indexed, "t1.jpg")
    b = [pid for (pid,) in _db(indexed, "SELECT DISTINCT person_id FROM faces WHERE person_id "
                               "IS NOT NULL ORDER BY person_id") if pid not in (a,)][0]
    window.actions.rename(b, "Anna")
    qtbot.waitUntil(lambda: window.completer.person_named("Anna") == b, timeout=WAIT_MS)
    asked = []
    monkeypatch.setattr(names, "confirm", lambda *args: asked.append(args) or True)
    window.people_page.grid.activated.emit(_card(window, a))  # double-click / Enter
    page = window.person_page
    qtbot.waitUntil(lambda: page.isVisible() and page.photos.rowCount() == 2, timeout=WAIT_MS)
    page.name.setText("Anna")
    qtbot.keyClick(page.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not _db(indexed, "SELECT 1 FROM people WHERE id=?", (a,)) or
                    _db(indexed, "SELECT COUNT(*) FROM faces WHERE person_id=?", (a,))[0][0]
                    == 0, timeout=WAIT_MS)
    assert _db(indexed, "SELECT COUNT(*) FROM faces WHERE person_id=?", (b,))[0][0] == 4
    qtbot.waitUntil(lambda: page.person_id == b, timeout=WAIT_MS)  # follows the merged person
    assert window.errors == []


def test_merge_by_dragging_a_card_onto_another(qtbot, indexed, people_window, monkeypatch):
    window = people_window
    monkeypatch.setattr(names, "confirm", lambda *args: True)
    people = [pid for (pid,) in _db(indexed, "SELECT DISTINCT person_id FROM faces "
                                    "WHERE person_id IS NOT NULL ORDER BY person_id")]
    source, target = people[1], people[2]
    grid = window.people_page.grid
    mime: QMimeData = window.people_page.proxy.mimeData([_card(window, source)])
    drop_at = QPointF(grid.visualRect(_card(window, target)).center())
    event = QDropEvent(drop_at, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    grid.dropEvent(event)
    qtbot.waitUntil(lambda: _db(indexed, "SELECT COUNT(*) FROM faces WHERE person_id=?",
                                (target,))[0][0] == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.people_page.model.rowCount() == 6, timeout=WAIT_MS)
    assert window.errors == []


def test_reject_a_face_from_the_person_strip(qtbot, indexed, people_window):
    window = people_window
    person = _person_of(indexed, "t1.jpg")
    page = _person_page(qtbot, window, person)
    face_id = page.faces.rows[0].id
    page.strip.setCurrentIndex(page.faces.index(0))
    page.reject_selected()
    qtbot.waitUntil(lambda: _db(indexed, "SELECT person_id FROM face_rejections WHERE "
                                "face_id=?", (face_id,)) == [(person,)], timeout=WAIT_MS)
    assert _db(indexed, "SELECT person_id FROM faces WHERE id=?", (face_id,))[0][0] != person
    qtbot.waitUntil(lambda: page.faces.rowCount() == 1, timeout=WAIT_MS)
    assert window.errors == []


def test_viewer_shows_face_boxes_and_names(qtbot, indexed, people_window):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    window.actions.rename(tom, "Tom Hanks")
    photo = _db(indexed, "SELECT id FROM photos WHERE path LIKE '%/Tom_Hanks_54745.png'")[0][0]
    qtbot.waitUntil(lambda: window.completer.person_named("Tom Hanks") == tom, timeout=WAIT_MS)
    window.open_photo(photo)
    canvas = window.viewer.canvas
    qtbot.waitUntil(lambda: canvas.image is not None and bool(canvas.faces), timeout=WAIT_MS)
    assert [f.person_name for f in canvas.faces] == ["Tom Hanks"]
    rect = canvas.face_rect(canvas.faces[0])
    assert canvas.face_at(rect.center()) == canvas.faces[0]
    assert canvas.face_at(QPointF(1, 1)) is None
    qtbot.mouseMove(canvas, rect.center().toPoint())
    qtbot.waitUntil(lambda: canvas.hover == canvas.faces[0].id, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # back
    assert window.pages.currentWidget() is not window.viewer
    assert window.errors == []


def test_export_an_album_and_update_it(qtbot, indexed, people_window, tmp_path):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    window.actions.rename(tom, "Tom Hanks")
    qtbot.waitUntil(lambda: window.completer.person_named("Tom Hanks") == tom, timeout=WAIT_MS)
    window.last_dialog = None
    window.export_person(tom)   # (the name is read from the catalog, not from a grid)
    qtbot.waitUntil(lambda: window.last_dialog is not None, timeout=WAIT_MS)
    dialog = window.last_dialog
    # a person's photos are offered as an album under their name
    qtbot.waitUntil(dialog.save_album.isChecked, timeout=WAIT_MS)
    assert dialog.album_name.text() == "Tom Hanks"
    destination = tmp_path / "out"
    dialog.destination.setText(str(destination))
    dialog.album_name.setText("Tom")
    dialog.preview()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=WAIT_MS)
    assert not destination.exists()  # a dry run writes nothing
    with qtbot.waitSignal(dialog.exported, timeout=20000) as exported:
        dialog.export_button.click()
    summary = exported.args[0]
    assert summary.added == 2 and summary.failed == 0
    assert len([p for p in destination.iterdir() if p.suffix != ".xmp"]) == 2
    dialog.close()
    window.show_section("albums")
    albums = window.albums_page
    qtbot.waitUntil(lambda: albums.table.rowCount() == 1, timeout=WAIT_MS)
    assert albums.table.item(0, 1).text() == "Tom"
    with qtbot.waitSignal(window.job_ended, timeout=20000):
        albums.update_button.click()
    qtbot.waitUntil(lambda: "already there" in albums.status.text(), timeout=WAIT_MS)
    assert window.errors == []


def test_a_thumbnail_arriving_keeps_the_name_being_typed(qtbot, indexed, people_window):
    # Qt re-seeds an open editor on every dataChanged of its row; a face thumbnail finishing
    # loading is one, and it used to wipe the name the user was typing.
    window = people_window
    grid = window.people_page.grid
    index = _card(window, _person_of(indexed, "Tom_Hanks_54745.png"))
    grid.setCurrentIndex(index)
    grid.edit(index)
    qtbot.waitUntil(lambda: grid.findChild(QLineEdit) is not None, timeout=WAIT_MS)
    editor = grid.findChild(QLineEdit)
    editor.setText("Tom Ha")
    model = window.people_page.model
    source = window.people_page.proxy.mapToSource(index)
    model.dataChanged.emit(source, source, [Qt.ItemDataRole.DecorationRole])
    assert editor.text() == "Tom Ha"


def test_removing_the_folder_in_settings_takes_its_people_away(qtbot, indexed, people_window):
    dialog = people_window.settings_dialog()
    qtbot.waitUntil(lambda: dialog.folders.count() == 1, timeout=WAIT_MS)
    dialog.folders.item(0).setSelected(True)
    dialog._remove()
    page = people_window.people_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)
    # the regrouping after the removal takes the emptied groups away
    qtbot.waitUntil(lambda: _db(indexed, "SELECT COUNT(*) FROM people") == [(0,)],
                    timeout=WAIT_MS)
    assert _db(indexed, "SELECT COUNT(*) FROM photos") == [(0,)]


def test_a_declined_same_name_puts_the_real_name_back(qtbot, indexed, people_window,
                                                      monkeypatch):
    window = people_window
    a = _person_of(indexed, "t1.jpg")
    b = [pid for (pid,) in _db(indexed, "SELECT DISTINCT person_id FROM faces WHERE person_id "
                               "IS NOT NULL ORDER BY person_id") if pid != a][0]
    window.actions.rename(a, "Bea")
    window.actions.rename(b, "Anna")
    qtbot.waitUntil(lambda: window.completer.person_named("Anna") == b
                    and window.completer.person_named("Bea") == a, timeout=WAIT_MS)
    asked = []
    monkeypatch.setattr(names, "confirm", lambda *args: asked.append(args) or False)
    window.open_person(a)
    page = window.person_page
    qtbot.waitUntil(lambda: page.name.text() == "Bea", timeout=WAIT_MS)
    page.name.setText("Anna")
    qtbot.keyClick(page.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.name.text() == "Bea", timeout=WAIT_MS)
    assert _db(indexed, "SELECT name FROM people WHERE id=?", (a,)) == [("Bea",)]
    assert window.errors == []


def test_undo_says_what_it_did_and_stays_in_this_session(qtbot, indexed, people_window):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    with Catalog(indexed) as cat:  # a naming from yesterday's session
        from core.people import name_person

        other = cat.execute("SELECT id FROM people WHERE id != ? AND name IS NULL LIMIT 1",
                            (tom,)).fetchone()[0]
        name_person(cat, other, "Yesterday")
        with cat.transaction() as conn:
            conn.execute("UPDATE undo_log SET at = at - 86400")
    window.actions.rename(tom, "Tom")
    qtbot.waitUntil(lambda: window.completer.person_named("Tom") == tom, timeout=WAIT_MS)
    window.undo()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Undid the renaming (unnamed -> Tom).", timeout=WAIT_MS)
    window.undo()  # Ctrl+Z does not reach into an earlier session
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Nothing to undo in this session.", timeout=WAIT_MS)
    with Catalog(indexed) as cat:
        assert cat.execute("SELECT name FROM people WHERE id = ?", (other,)).fetchone()[0] \
            == "Yesterday"
    assert window.errors == []


def test_filter_hidden_and_window_size(qtbot, indexed, people_window):
    window = people_window
    page = window.people_page
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    window.actions.hide(tom)
    qtbot.waitUntil(lambda: page.summary.text().endswith("· 1 hidden"), timeout=WAIT_MS)
    assert page.summary.text() == "0 named · 6 unnamed · 1 hidden"
    page.filter.setText("zzz nobody")
    assert page.stack.currentWidget() is page.empty and "zzz nobody" in page.empty.text()
    page.filter.setText("")
    assert page.stack.currentWidget() is page.grid
    assert window.minimumSizeHint().width() <= 800   # fits a small laptop screen


def _sidebar_text(window, key):
    for row in range(window.sidebar.count()):
        item = window.sidebar.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == key:
            return item.text()
    return None


def test_new_suggestions_reach_review_and_naming_regroups(qtbot, indexed, people_window):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    other = _db(indexed, "SELECT id FROM faces WHERE person_id != ? ORDER BY id LIMIT 1",
                (tom,))[0][0]
    with Catalog(indexed) as cat, cat.transaction() as conn:   # a grouping that only asks
        conn.execute("INSERT INTO suggestions(face_id, person_id, score) VALUES (?, ?, 0.4)",
                     (other, tom))
    qtbot.waitUntil(lambda: _sidebar_text(window, "review") == "Review  (1)", timeout=WAIT_MS)

    started = []
    window.job_started.connect(lambda job: started.append(job.name))
    window.actions.rename(tom, "Tom")            # naming: a regrouping follows by itself
    qtbot.waitUntil(lambda: "people" in started, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.job is None, timeout=WAIT_MS)
    assert window.errors == []


def test_person_page_keys_and_the_sidebar_after_back(qtbot, indexed, people_window,
                                                      monkeypatch):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    window.actions.rename(tom, "Tom")
    qtbot.waitUntil(lambda: window.completer.person_named("Tom") == tom, timeout=WAIT_MS)
    window.open_person(tom)
    page = window.person_page
    qtbot.waitUntil(lambda: page.name.text() == "Tom", timeout=WAIT_MS)
    window.activateWindow()
    page.focus_name()
    qtbot.waitUntil(page.name.hasFocus, timeout=WAIT_MS)
    qtbot.keyClicks(page.name, "Thomas")
    qtbot.keyClick(page.name, Qt.Key.Key_Escape)       # cancels the edit, stays on the page
    assert window.pages.currentWidget() is page and page.name.text() == "Tom"

    # Photos in the sidebar, right-click a photo → Find people in this photo: the Search page,
    # and the sidebar says Search; Esc goes back to Photos, and the sidebar follows
    sidebar = window.sidebar
    QTest.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier,
                     sidebar.visualItemRect(sidebar.item_of("photos")).center())
    assert window.pages.currentWidget() is window.photos_page
    grid = window.photos_page.grid
    qtbot.waitUntil(lambda: grid.photo_model().rowCount() == 6, timeout=WAIT_MS)
    cell = next(i for i in range(grid.sections.rowCount()) if not grid.sections.is_header(i))
    at = grid.visualRect(grid.sections.index(cell)).center()
    QApplication.sendEvent(grid.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, at, grid.viewport().mapToGlobal(at)))
    menu = None

    def menu_shown() -> bool:
        nonlocal menu
        menu = next((m for m in grid.findChildren(QMenu) if m.isVisible()), None)
        return menu is not None

    qtbot.waitUntil(menu_shown, timeout=WAIT_MS)
    find = next(a for a in menu.actions() if a.text() == "Find people in this photo")
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(find).center())
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.search_page,
                    timeout=WAIT_MS)
    assert sidebar.highlighted() == "search"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.search_page.grid.setFocus()   # (not a text box: Esc there belongs to the box)
    QTest.keyClick(window.search_page.grid, Qt.Key.Key_Escape)
    assert window.pages.currentWidget() is window.photos_page
    assert sidebar.highlighted() == "photos"
