"""Opening the catalog, and what the window does when it cannot be used.

The first look at the catalog runs in a worker; a damaged or read-only catalog is said in one
dialog (the failures it causes elsewhere add nothing), with Quit, Check and Repair; after a
repair every worker opens the new file. Other failed work gets a message box with the details.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from .context import AppContext
from .workers.tasks import TaskError, catalog_problem


class CatalogHealth(QObject):
    looked = Signal(int)      # the catalog's folder count, once it was first read
    quit_requested = Signal()

    def __init__(self, ctx: AppContext, window: QMainWindow) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.errors: list[tuple[str, TaskError]] = []   # every failure reported, in order
        self.dialog = None      # the catalog problem's dialog while it is shown
        self.read_only = None   # a CatalogReadOnly once the user was told
        ctx.workers.failed.connect(self.report)

    def open(self) -> None:
        """The first look at the catalog (in a worker: a damaged or read-only one is said
        in a dialog, see report), then the day's backup, off the UI thread."""
        from .workers.tasks import worker_catalog

        directory = self.ctx.catalog_dir

        def look(catalog):
            return (len(catalog.folders()),
                    getattr(catalog, "read_only_reason", None))

        def looked(result) -> None:
            folder_count, read_only = result
            if read_only is not None:
                self.show_problem(read_only)
            else:
                self.ctx.workers.run("maintenance",
                                     lambda: worker_catalog(directory).daily_backup(),
                                     what="backing up the catalog")
            self.looked.emit(folder_count)

        self.ctx.read_catalog(look, looked, what="opening the catalog")

    def report(self, what: str, error: TaskError) -> None:
        self.errors.append((what, error))
        problem = catalog_problem(error, self.ctx.catalog_dir)
        if problem is not None:
            self.show_problem(problem)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Faceshelf",
                          f"{what.capitalize()} failed:\n{error}", QMessageBox.StandardButton.Ok,
                          self.window)
        box.setDetailedText(getattr(error, "trace", ""))
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def show_problem(self, problem) -> None:
        """One dialog for a catalog that cannot be used; a read-only catalog, once told, only
        gets a line per refused change."""
        from .views.catalog_problem import CatalogProblemDialog

        if problem.kind == "read-only" and self.read_only is not None:
            self.window.statusBar().showMessage(f"Not changed: {problem.headline()}.", 8000)
            return
        if self.dialog is not None:
            return
        if problem.kind == "read-only":
            self.read_only = problem
        else:
            self.ctx.watcher.timer.stop()  # it would only fail again every second
        dialog = CatalogProblemDialog(problem, self.ctx, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.quit_requested.connect(self.quit_requested)
        dialog.repaired.connect(self._reopen)
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.show()

    def _reopen(self) -> None:
        """After a repair: every worker opens the new file; pages refresh as it is read."""
        from .workers.tasks import reopen_worker_catalogs

        reopen_worker_catalogs()
        self.ctx.watcher.stamp = None
        self.ctx.watcher.start()
        self.open()
        self.window.statusBar().showMessage("The repaired catalog is open.", 8000)
