"""Names are text in the app too (issue 11): a name pasted into the in-place rename with control
characters and an ESC sequence is stored and shown without them (the app calls the same core
operation as the CLI)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from gui.models import people as roles

from .test_people import (WAIT_MS, _card, _db, _person_of, _rename_in_place,  # noqa: F401
                          people_window)


def test_a_pasted_name_loses_its_control_characters(qtbot, indexed, people_window):  # noqa: F811
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    _, editor = _rename_in_place(qtbot, window, tom)
    editor.selectAll()
    QGuiApplication.clipboard().setText("\x1b[31mTom\x00 Hanks\x7f\x9b\ufffe")
    qtbot.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # paste
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _db(indexed, "SELECT name FROM people WHERE id=?", (tom,))[0][0]
                    == "[31mTom Hanks", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: _card(window, tom).data(roles.NameRole) == "[31mTom Hanks",
                    timeout=WAIT_MS)
    assert window.errors == []
