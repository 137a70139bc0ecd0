"""The dialog for a catalog that cannot be used: the same words as the CLI and the same
choices - Quit, Open backup folder, Run check, Repair - instead of tracebacks.

Check and repair run in the maintenance pool (the UI thread never touches the file); their
report appears in the dialog. A read-only catalog gets "Browse read-only" instead of Repair.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout)

from ..context import AppContext
from .dialogs import LateAnswerSafeDialog

REPAIR_NOTE = ("Repair copies what can still be read into a new catalog and puts it in "
               "place; the damaged file is kept beside it, renamed, never deleted.")


class CatalogProblemDialog(LateAnswerSafeDialog):
    quit_requested = Signal()
    repaired = Signal()          # a repaired catalog is in place: open it again

    def __init__(self, problem, ctx: AppContext, parent=None) -> None:
        super().__init__(parent)
        from core.catalog.backups import backup_dir

        self.problem = problem
        self.ctx = ctx
        self.catalog_dir = Path(ctx.catalog_dir)
        read_only = problem.kind == "read-only"
        self.setWindowTitle("Faceshelf: the catalog is read-only" if read_only
                            else "Faceshelf: the catalog cannot be used")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(640, 360)

        headline = QLabel(problem.headline()[0].upper() + problem.headline()[1:] + ".")
        headline.setWordWrap(True)
        font = headline.font()
        font.setBold(True)
        headline.setFont(font)
        advice = problem.advice + ("\n" + REPAIR_NOTE if problem.kind == "damaged" else "")
        if read_only:
            advice = "You can browse it here; changes are refused.\n" + advice
        self.advice = QLabel(advice)
        self.advice.setWordWrap(True)
        for label in (headline, self.advice):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("The check's or the repair's report appears here.")

        buttons = QDialogButtonBox()
        self.quit_button = QPushButton("Quit")
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.quit_button.clicked.connect(self._quit)
        self.backups_button = QPushButton("Open backup folder")
        self.backups_button.setEnabled(backup_dir(self.catalog_dir).is_dir())
        self.backups_button.setToolTip(str(backup_dir(self.catalog_dir)))
        buttons.addButton(self.backups_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.backups_button.clicked.connect(self._open_backups)
        self.check_button = QPushButton("Run check")
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.clicked.connect(self._run_check)
        if read_only:
            self.repair_button = None
            self.browse_button = QPushButton("Browse read-only")
            buttons.addButton(self.browse_button, QDialogButtonBox.ButtonRole.AcceptRole)
            self.browse_button.clicked.connect(self.accept)
        else:
            self.browse_button = None
            self.repair_button = QPushButton("Repair")
            # only damage can be salvaged: not a file named as the folder, a foreign database
            self.repair_button.setEnabled(problem.kind == "damaged")
            buttons.addButton(self.repair_button, QDialogButtonBox.ButtonRole.ActionRole)
            self.repair_button.clicked.connect(self._run_repair)

        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(self.advice)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)

    # -- the choices --------------------------------------------------------------------------
    def _quit(self) -> None:
        self.reject()
        self.quit_requested.emit()

    def _open_backups(self) -> None:
        from core.catalog.backups import backup_dir

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(backup_dir(self.catalog_dir))))

    def _busy(self, text: str) -> None:
        self.report.setPlainText(text)
        for button in (self.check_button, self.repair_button):
            if button is not None:
                button.setEnabled(False)

    def _idle(self) -> None:
        self.check_button.setEnabled(True)
        if self.repair_button is not None:
            self.repair_button.setEnabled(self.problem.kind == "damaged")

    def _run_check(self) -> None:
        from core.catalog.health import check_catalog

        directory = self.catalog_dir
        self._busy("Checking…")
        self.ctx.workers.run("maintenance", lambda: check_catalog(directory), self._checked,
                             self._failed, what="checking the catalog")

    def _checked(self, report) -> None:
        if self.closed:
            return
        lines = [f"{f.level:<8} {f.what:<10} {f.message}" for f in report.findings]
        lines.append("The catalog is damaged." if report.damaged else "The catalog is intact.")
        self.report.setPlainText("\n".join(lines))
        self._idle()

    def _run_repair(self) -> None:
        from core.catalog.repair import repair
        from core.index_lock import exclusive_index

        directory = self.catalog_dir

        def work():
            with exclusive_index(directory):
                return repair(directory)

        self._busy("Repairing… (the damaged file is kept)")
        self.ctx.workers.run("maintenance", work, self._repaired, self._failed,
                             what="repairing the catalog")

    def _repaired(self, result) -> None:
        if self.closed:
            return
        lines = [f"The repaired catalog is now {result.salvaged_path}.",
                 f"The damaged one is kept as {result.damaged_path}."]
        if result.photos_to_reindex:
            lines.append(f"{result.photos_to_reindex} photo(s) lost their faces: they are "
                         f"indexed again at the next rescan.")
        lines += ["Salvaged:"] + [f"  {t.describe()}" for t in result.tables
                                  if t.table != "sqlite_sequence"]
        self.report.setPlainText("\n".join(lines))
        self.repair_button.setText("Open the repaired catalog")
        self.repair_button.clicked.disconnect()
        self.repair_button.clicked.connect(self._open_repaired)
        self._idle()

    def _open_repaired(self) -> None:
        self.accept()
        self.repaired.emit()

    def _failed(self, error) -> None:
        from core.catalog.repair import NothingToSalvage

        if self.closed:
            return
        if isinstance(getattr(error, "error", None), NothingToSalvage):
            self.report.setPlainText(f"Nothing can be salvaged: {error}. The file was left as "
                                     f"it is; restore a backup, or move it aside to start a "
                                     f"new catalog.")
        else:
            self.report.setPlainText(f"It did not work: {error}")
        self._idle()
