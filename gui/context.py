"""What every view needs, passed in explicitly: the catalog folder, the pools, the thumbnail
loader, the settings, and a watcher that says when the catalog changed.

The UI thread holds no catalog connection at all: reads and writes happen in workers, each with
its own connection, so the UI never waits on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap

from .models import queries
from .settings import Settings
from .workers.tasks import Workers, worker_catalog
from .workers.thumbnails import ThumbnailLoader


class CatalogWatcher(QObject):
    """Polls a cheap stamp (revision, counts) in a worker; emits `changed` when it moves."""

    changed = Signal(object)  # CatalogStamp

    def __init__(self, catalog_dir: Path, workers: Workers, interval_ms: int = 1000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog_dir = catalog_dir
        self.workers = workers
        self.stamp: queries.CatalogStamp | None = None
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()
        self.poll()

    def poll(self) -> None:
        if self._busy:
            return
        self._busy = True
        directory = self.catalog_dir
        self.workers.run("reads", lambda: queries.catalog_stamp(worker_catalog(directory).conn),
                         self._got, self._failed, what="catalog check")

    def _got(self, stamp: queries.CatalogStamp) -> None:
        self._busy = False
        if stamp != self.stamp:
            self.stamp = stamp
            self.changed.emit(stamp)

    def _failed(self, error) -> None:
        self._busy = False
        self.timer.stop()  # a broken catalog would fail every second; report it once
        self.workers.failed.emit("catalog check", error)


@dataclass
class AppContext:
    catalog_dir: Path
    workers: Workers
    loader: ThumbnailLoader
    watcher: CatalogWatcher
    settings: Settings

    def placeholder(self, px: int) -> QPixmap:
        """A neutral square shown until a thumbnail arrives."""
        pixmap = QPixmap(QSize(px, px))
        pixmap.fill(Qt.GlobalColor.transparent)
        return pixmap

    def face_placeholder(self, px: int) -> QPixmap:
        """Until a face arrives: nothing drawn over the cell's neutral disc or square (a
        smiley there read as an emoji, and as a face that is not there)."""
        return self.placeholder(px)

    def read(self, fn, on_success, on_error=None, *, what: str = "") -> None:
        """Run `fn(conn)` with this thread's catalog connection in the reads pool."""
        directory = self.catalog_dir
        self.workers.run("reads", lambda: fn(worker_catalog(directory).conn), on_success,
                         on_error, what=what)

    def read_catalog(self, fn, on_success, on_error=None, *, what: str = "") -> None:
        """Run `fn(catalog)` (a core read that wants a Catalog) in the reads pool."""
        directory = self.catalog_dir
        self.workers.run("reads", lambda: fn(worker_catalog(directory)), on_success, on_error,
                         what=what)

    def write(self, fn, on_success=None, on_error=None, *, what: str = "") -> None:
        """Run `fn(catalog)` in the single writer pool; the watcher picks up the change."""
        directory = self.catalog_dir

        def done(result):
            self.watcher.poll()
            if on_success is not None:
                on_success(result)

        self.workers.run("writes", lambda: fn(worker_catalog(directory)), done, on_error,
                         what=what)
