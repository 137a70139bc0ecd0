"""Problems: what could not be done and what is still to do, in words, with Resume.

The facts are the core's own (`faceshelf status --errors`): photos still waiting to be
indexed, files that could not be read and why, folders that are offline, and any other error
record the core keeps (skipped names, unreadable folders). Read in a worker, never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.status import catalog_status
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout)

from ..context import AppContext
from ..models.photos import photos_phrase
from ..workers.tasks import worker_catalog
from . import hints, icons
from .page import Page


@dataclass
class Problems:
    pending: int = 0                                             # photos not indexed yet
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    offline: list[str] = field(default_factory=list)            # folder paths
    other: list[tuple[str, str]] = field(default_factory=list)  # other error records

    @property
    def count(self) -> int:
        """Things that went wrong (photos still to do are work, not a problem)."""
        return len(self.unreadable) + len(self.offline) + len(self.other)


def read_problems(catalog_dir: Path) -> Problems:
    """Worker: the catalog's status as `faceshelf status --errors` reads it."""
    status = catalog_status(worker_catalog(catalog_dir), with_errors=True)
    problems = Problems(pending=status["photos"]["pending"],
                        offline=[f["path"] for f in status["folders"] if not f["online"]])
    for record in status["errors"]:
        path = str(record["path"])
        reason = str(record["error"] or "unknown reason")
        (problems.unreadable if record["kind"] == "photo" else problems.other).append(
            (path, reason))
    return problems


def todo_sentence(pending: int) -> str:
    return f"{photos_phrase(pending)} not indexed yet." if pending else "Every photo is indexed."


class ProblemsPage(Page):
    title = "problems"
    resume_requested = Signal()
    summary_changed = Signal(object, int)   # Problems, the number of the read (see check)

    def __init__(self, ctx: AppContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.problems = Problems()
        self.indexing = False  # an index is running: Resume would only queue another
        self._reads = 0        # reads asked for, numbered: an older one may answer later
        self._shown = 0        # the number of the read shown
        heading = QLabel("Problems and unfinished work")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)
        self.todo = QLabel()
        self.todo.setWordWrap(True)
        self.resume = QPushButton(icons.icon("play"), "Resume indexing")
        self.resume.setToolTip("Index the photos that are still waiting (a rescan)")
        self.resume.clicked.connect(self.resume_requested)
        todo_row = QHBoxLayout()
        todo_row.addWidget(self.todo, 1)
        todo_row.addWidget(self.resume)
        self.offline = QLabel()
        self.offline.setWordWrap(True)
        self.offline.setTextFormat(Qt.TextFormat.PlainText)
        self.list_title = QLabel()
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["File", "Why", "Folder"])
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setColumnWidth(0, 260)
        self.list.setColumnWidth(1, 360)
        self.nothing = QLabel("No problems: every file found could be read.")
        hints.hint(self.nothing)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading)
        layout.addLayout(todo_row)
        layout.addWidget(self.offline)
        layout.addSpacing(6)
        layout.addWidget(self.list_title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.nothing)
        layout.addStretch(0)
        self.show_problems(self.problems)

    def check(self) -> int:
        """Read the facts again, shown or not (the sidebar and the end-of-job messages use
        them too); returns the number its answer will carry in `summary_changed`."""
        return self._ask(self._read)

    def load(self) -> None:
        self._ask(self._loaded, self.load_failed)

    def _ask(self, answered, failed=None) -> int:
        """One read in a worker, numbered; `answered(problems, number)` gets its answer."""
        self._reads += 1
        number = self._reads
        self.ctx.workers.run("reads", lambda d=self.ctx.catalog_dir: read_problems(d),
                             lambda problems: answered(problems, number), failed,
                             what="reading problems")
        return number

    def _loaded(self, problems: Problems, number: int) -> None:
        self._read(problems, number)
        self.loaded()

    def _read(self, problems: Problems, number: int) -> None:
        if number < self._shown:
            return   # a newer read has answered first
        self._shown = number
        self.show_problems(problems)
        self.summary_changed.emit(problems, number)

    def set_indexing(self, running: bool) -> None:
        self.indexing = running
        self.show_problems(self.problems)

    def show_problems(self, problems: Problems) -> None:
        self.problems = problems
        if self.indexing and problems.pending:
            self.todo.setText(f"{photos_phrase(problems.pending)} not indexed yet: indexing is "
                              f"running.")
        else:
            self.todo.setText(todo_sentence(problems.pending))
        self.resume.setVisible(bool(problems.pending) and not self.indexing)
        self.offline.setText("\n".join(
            f"Offline: {path} is missing or empty; its photos are kept. Plug the drive back "
            f"in, or, if the folder moved, add its new place and remove the old one in "
            f"Settings." for path in problems.offline))
        self.offline.setVisible(bool(problems.offline))
        rows = problems.unreadable + problems.other
        self.list.clear()
        for path, reason in rows:
            name = Path(path).name or path
            item = QTreeWidgetItem([name, reason, str(Path(path).parent)])
            item.setToolTip(0, path)
            item.setToolTip(1, reason)
            self.list.addTopLevelItem(item)
        unreadable = len(problems.unreadable)
        parts = []
        if unreadable:
            parts.append(f"{unreadable:,} file{' ' if unreadable == 1 else 's '}could not be "
                         f"read")
        if problems.other:
            parts.append(f"{len(problems.other):,} other problem"
                         f"{'' if len(problems.other) == 1 else 's'}")
        self.list_title.setText(", ".join(parts) + ":" if parts else "")
        self.list_title.setVisible(bool(rows))
        self.list.setVisible(bool(rows))
        self.nothing.setVisible(not rows and not problems.offline)
