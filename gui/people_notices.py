"""People changes said in the status bar with an Undo button ("Named Anna. [Undo]"), and
Ctrl+Z: both in the undo log's own words, so what is undone is what was said."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar

from .actions import PeopleActions
from .context import AppContext
from .views import sentences
from .views.status import Notice

UNDONE = {"name": "the renaming", "merge": "the merge", "move": "the move of faces",
          "reject": "the “not this person”", "confirm": "the confirmation",
          "ignore": "“not a face”", "unignore": "“a face after all”", "hide": "the hiding",
          "unhide": "the showing", "cover": "the cover change", "forget": "the forgetting",
          "ignore-groups": "the ignoring of small groups", "add-face": "the drawn face"}
SAID_ACTIONS = {"rename", "merge", "move_faces", "confirm", "hide", "add_face", "ignore"}


class PeopleNotices(QObject):
    def __init__(self, ctx: AppContext, actions: PeopleActions, bar: QStatusBar,
                 notice: Notice, started_at: float, parent: QObject | None = None) -> None:
        """`started_at`: this session's start (Ctrl+Z undoes this session's operations only)."""
        super().__init__(parent)
        self.ctx, self.actions, self.bar, self.notice = ctx, actions, bar, notice
        self.started_at = started_at
        actions.done.connect(self._say_what_changed)

    def undo(self) -> None:
        def said(entry) -> None:
            text = ("Nothing to undo in this session." if entry is None else
                    f"Undid {UNDONE.get(entry.action, entry.action)}"
                    + (f" ({entry.about})." if entry.about else "."))
            self.bar.showMessage(text, 6000)

        self.actions.undo(self.started_at, on_success=said)

    def _say_what_changed(self, action: str, _result) -> None:
        """Naming, hiding, merging and moving say what they did, with Undo."""
        if action not in SAID_ACTIONS:
            return
        from core.people.undo import last_entry

        def said(entry) -> None:
            if entry is not None:
                self.notice.say(sentences.people_change(entry.action, entry.about), 15000,
                                "Undo", self.undo)

        self.ctx.read(lambda conn: last_entry(conn, self.started_at), said,
                      what="reading what was done")
