"""What the user's clicks do to the catalog: thin calls into `core`, run in the writer pool.

Every method takes UI-thread arguments, runs the core call on the single catalog-writer thread
(with that thread's own connection) and reports back on the UI thread. No engine logic here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from core import people

from .context import AppContext

log = logging.getLogger(__name__)


class PeopleActions(QObject):
    """People operations. `done` fires after each successful change (views reload anyway via
    the catalog watcher; `done` lets a view react at once, e.g. leave a merged person)."""

    done = Signal(str, object)  # (action, result)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx

    def _call(self, action: str, operation: Callable[..., Any], *args: Any,
              on_success: Callable[[Any], None] | None = None,
              on_error: Callable[[Any], None] | None = None, **kwargs: Any) -> None:
        def work(catalog):
            return operation(catalog, *args, **kwargs)

        def finished(result):
            self.done.emit(action, (result,))  # wrapped: a bare bool must not cross a signal
            if on_success is not None:
                on_success(result)

        self.ctx.write(work, finished, on_error, what=action.replace("_", " "))

    def rename(self, person_id: int, name: str, *, merge_if_taken: bool = False,
               **kw) -> None:
        """Name or rename (blank: back to unnamed). A name in use raises NameInUse, which the
        view turns into "same person? merge"; with merge_if_taken the core merges at once."""
        self._call("rename", people.name_person, person_id, name.strip() or None,
                   merge_if_taken=merge_if_taken, **kw)

    def merge(self, sources: list[int], target: int, **kw) -> None:
        self._call("merge", people.merge_people, list(sources), target, **kw)

    def move_faces(self, face_ids: list[int], person_id: int | None, *,
                   name: str | None = None, **kw) -> None:
        """To a person, or (None) to a new person, named `name` if given."""
        self._call("move_faces", people.move_faces, list(face_ids), person_id, name=name, **kw)

    def reject(self, face_ids: list[int], person_id: int, **kw) -> None:
        self._call("reject", people.reject_faces, list(face_ids), person_id, **kw)

    def add_face(self, drawn, person_id: int | None, *, name: str | None = None, **kw) -> None:
        """A face drawn by hand (core.people.drawn.DrawnFace, embedded) to a person or name."""
        self._call("add_face", people.add_face, drawn, person_id, name=name, **kw)

    def ignore(self, face_ids: list[int], **kw) -> None:
        self._call("ignore", people.ignore_faces, list(face_ids), **kw)

    def hide(self, person_id: int, hidden: bool = True, **kw) -> None:
        self._call("hide", people.set_hidden, person_id, hidden, **kw)

    def set_cover(self, person_id: int, face_id: int, **kw) -> None:
        self._call("set_cover", people.set_cover, person_id, face_id, **kw)

    def confirm(self, face_ids: list[int], person_id: int, **kw) -> None:
        self._call("confirm", people.confirm_faces, list(face_ids), person_id, **kw)

    def undo(self, since: float | None = None, **kw) -> None:
        self._call("undo", people.undo, since, **kw)
