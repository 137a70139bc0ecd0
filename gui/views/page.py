"""Base for the central pages: reload when the catalog changes, but only while visible."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..context import AppContext


class Page(QWidget):
    title = ""

    def __init__(self, ctx: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._dirty = True
        self._loading = False
        self._again = False
        ctx.watcher.changed.connect(self._catalog_changed)

    def _catalog_changed(self, _stamp) -> None:
        self._dirty = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    def refresh(self) -> None:
        """Start a reload in a worker; a change arriving meanwhile triggers one more."""
        if self._loading:
            self._again = True
            return
        self._dirty = False
        self._loading = True
        self.load()

    def loaded(self) -> None:
        """Subclasses call this when their reload has been applied."""
        self._loading = False
        if self._again:
            self._again = False
            self.refresh()

    def load_failed(self, error) -> None:
        self._loading = False
        self.ctx.workers.failed.emit(f"loading {self.title}", error)

    def load(self) -> None:
        self.loaded()
