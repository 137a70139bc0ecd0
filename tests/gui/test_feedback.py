"""People changes say what they did in the status bar, with an Undo button that undoes it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from core.catalog import Catalog

WAIT_MS = 20000


def _db(catalog_dir: Path, sql: str, params=()):
    with Catalog(catalog_dir) as cat:
        return [tuple(row) for row in cat.execute(sql, params)]


def _tom(catalog_dir: Path) -> int:
    return _db(catalog_dir, "SELECT f.person_id FROM faces f JOIN photos p ON p.id = f.photo_id "
               "WHERE p.path LIKE '%/Tom_Hanks_54745.png'")[0][0]


def _click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     widget.rect().center())


def test_naming_and_hiding_say_what_happened_with_undo(qtbot, indexed, window_for):
    window = window_for(indexed)
    page = window.people_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 7, timeout=WAIT_MS)
    tom = _tom(indexed)
    grid = page.grid
    grid.setCurrentIndex(page.person_index(tom))
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_F2)                      # rename in place
    qtbot.waitUntil(lambda: grid.findChild(QLineEdit) is not None
                    and grid.findChild(QLineEdit).isVisible(), timeout=WAIT_MS)
    editor = grid.findChild(QLineEdit)
    editor.selectAll()
    QTest.keyClicks(editor, "Tom Hanks")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    bar, button = window.statusBar(), window.notice.button
    qtbot.waitUntil(lambda: window.notice.text() == "Named Tom Hanks.", timeout=WAIT_MS)
    assert button.isVisible() and button.text() == "Undo"
    # the regrouping a few seconds after a rename does not take the sentence and its Undo
    with qtbot.waitSignal(window.job_ended, timeout=60000):
        pass
    qtbot.wait(200)
    assert window.notice.text() == "Named Tom Hanks." and button.isVisible()
    _click(button)                                           # Undo, from the status bar
    qtbot.waitUntil(lambda: _db(indexed, "SELECT name FROM people WHERE id=?", (tom,))
                    == [(None,)], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.currentMessage() == "Undid the renaming (unnamed -> Tom Hanks).",
                    timeout=WAIT_MS)
    assert not button.isVisible()

    # hide a person from their page: said, and undone with the button
    window.open_person(tom)
    person = window.person_page
    qtbot.waitUntil(lambda: person.person is not None and person.person.id == tom,
                    timeout=WAIT_MS)
    _click(person.hide_button)
    qtbot.waitUntil(lambda: window.notice.text() == "Hid unnamed.", timeout=WAIT_MS)
    assert _db(indexed, "SELECT hidden FROM people WHERE id=?", (tom,)) == [(1,)]
    _click(button)
    qtbot.waitUntil(lambda: _db(indexed, "SELECT hidden FROM people WHERE id=?", (tom,))
                    == [(0,)], timeout=WAIT_MS)
    assert window.errors == []


def test_merge_and_move_sentences_come_from_what_the_core_recorded(indexed):
    """The words of a merge and a move, from the undo log the real operations write."""
    from core.people import merge_people, move_faces, name_person
    from core.people.undo import last_entry
    from gui.views.sentences import people_change

    with Catalog(indexed) as cat:
        people = [pid for (pid,) in cat.execute(
            "SELECT DISTINCT person_id FROM faces WHERE person_id IS NOT NULL ORDER BY 1")]
        name_person(cat, people[0], "Anna")
        name_person(cat, people[1], "Bob")
        merge_people(cat, [people[1]], people[0])
        entry = last_entry(cat.conn)
        assert people_change(entry.action, entry.about) == "Merged Bob into Anna."
        face = cat.execute("SELECT id FROM faces WHERE person_id = ? LIMIT 1",
                           (people[0],)).fetchone()[0]
        move_faces(cat, [face], people[2])
        entry = last_entry(cat.conn)
        assert people_change(entry.action, entry.about) == "Moved 1 face to unnamed."
        name_person(cat, people[0], "Anne")
        entry = last_entry(cat.conn)
        assert people_change(entry.action, entry.about) == "Renamed Anna to Anne."
