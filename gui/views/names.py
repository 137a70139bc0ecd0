"""Autocomplete of people's names, the yes/no question, and naming with "same person?"."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QMessageBox, QWidget

from ..context import AppContext
from ..models import queries


class NameCompleter(QCompleter):
    """Names of everyone named so far; reloaded (in a worker) whenever the catalog changes."""

    def __init__(self, ctx: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ids_by_name: dict[str, int] = {}
        self.names = QStringListModel(self)
        self.setModel(self.names)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        ctx.watcher.changed.connect(lambda _stamp: self.reload())
        self.reload()

    def reload(self) -> None:
        self.ctx.read(queries.person_names, self._apply, what="loading names")

    def _apply(self, rows: list[tuple[int, str]]) -> None:
        self.ids_by_name = {}
        for person_id, name in rows:
            self.ids_by_name.setdefault(name.lower(), person_id)
        names = sorted({name for _, name in rows}, key=str.lower)
        if names != self.names.stringList():
            self.names.setStringList(names)

    def person_named(self, name: str) -> int | None:
        return self.ids_by_name.get(name.strip().lower())


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Yes/No question (tests replace this function to answer without a modal loop)."""
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def rename_person(parent: QWidget, actions, person_id: int, name: str,
                  on_declined=None) -> None:
    """Name a person; when another person already has the name, ask whether they are the same
    person and merge them if so (the people core refuses silent duplicates). `on_declined()`
    runs when the name was not given after all (the user said no, or it failed): a field
    showing the typed name goes back to the real one."""
    def failed(error) -> None:
        from core.people import NameInUse

        if isinstance(error.error, NameInUse):
            if confirm(parent, "Same name", f"Someone is already called {name}. Is this the "
                       "same person? If so, their photos are put together."):
                actions.rename(person_id, name, merge_if_taken=True)
                return
        else:
            actions.ctx.workers.failed.emit("renaming", error)
        if on_declined is not None:
            on_declined()

    actions.rename(person_id, name, on_error=failed)
