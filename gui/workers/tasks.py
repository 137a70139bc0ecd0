"""Run work off the UI thread; results and errors come back on the UI thread.

`Workers.run(pool, fn, on_success, on_error)` is the one helper every view uses (Picard's
`run_task`, Anki's `QueryOp`). Pools are separate by purpose so a slow inference never delays a
thumbnail: thumbnails (2), reads (2), inference (1), writes (1, the single catalog writer), jobs
(long generators such as indexing). An error with no handler goes to `Workers.failed`, which
the main window shows: errors are never swallowed.

sqlite3 objects must not cross threads, so workers get their catalog from `worker_catalog()`,
one connection per (thread, catalog folder).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

# The thumbnail pool is ThumbnailLoader's own (newest-first queue, batched results).
POOL_SIZES = {"reads": 2, "inference": 1, "writes": 1, "jobs": 2}

_local = threading.local()


def worker_catalog(directory: Path | str):
    """This thread's own connection to the catalog in `directory` (opened on first use)."""
    from core.catalog import Catalog

    cache: dict[str, Any] = getattr(_local, "catalogs", None) or {}
    _local.catalogs = cache
    key = str(directory)
    catalog = cache.get(key)
    if catalog is None:  # Catalog() copes with other threads opening (and migrating) at once
        catalog = cache[key] = Catalog(directory)
    return catalog


def close_worker_catalogs() -> None:
    """Close this thread's connections (called at the end of long jobs)."""
    for catalog in (getattr(_local, "catalogs", None) or {}).values():
        catalog.close()
    _local.catalogs = {}


class TaskError(Exception):
    """An exception raised in a worker, with the worker's traceback text."""

    def __init__(self, error: BaseException, trace: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.trace = trace


class _Delivery(QObject):
    """Lives in the UI thread; its queued signals carry a worker's outcome back there."""

    succeeded = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery) -> None:
        super().__init__()
        self.fn = fn
        self.delivery = delivery

    def run(self) -> None:
        try:
            try:
                result = self.fn()
            except BaseException as error:  # noqa: BLE001 - delivered to the UI, never swallowed
                self.delivery.failed.emit(TaskError(error, traceback.format_exc()))
            else:
                self.delivery.succeeded.emit(result)
        except RuntimeError:  # the window closed while this ran: nobody is left to tell
            log.debug("task finished after its receiver was deleted")


class Workers(QObject):
    """The application's thread pools and the run-in-background helper."""

    failed = Signal(str, object)  # (what, TaskError) for tasks without an error handler

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pools: dict[str, QThreadPool] = {}
        for name, size in POOL_SIZES.items():
            pool = QThreadPool(self)
            pool.setMaxThreadCount(size)
            pool.setExpiryTimeout(-1)  # threads keep their catalog connections
            self.pools[name] = pool
        self._in_flight: set[_Delivery] = set()
        self.closed = False  # after shutdown, late results are dropped: their views are gone

    def run(self, pool: str, fn: Callable[[], Any],
            on_success: Callable[[Any], None] | None = None,
            on_error: Callable[[TaskError], None] | None = None,
            *, what: str = "") -> None:
        delivery = _Delivery()
        self._in_flight.add(delivery)

        def succeeded(result: Any) -> None:
            self._in_flight.discard(delivery)
            if self.closed:
                return
            if on_success is not None:
                on_success(result)

        def failed(error: TaskError) -> None:
            self._in_flight.discard(delivery)
            if self.closed:
                log.info("after shutdown: %s failed: %s", what, error)
                return
            if on_error is not None:  # the caller handles it (and may show it)
                log.info("%s failed: %s", what or getattr(fn, "__name__", "task"), error)
                on_error(error)
            else:
                log.error("%s failed: %s\n%s", what or getattr(fn, "__name__", "task"), error,
                          error.trace)
                self.failed.emit(what or getattr(fn, "__name__", "task"), error)

        delivery.succeeded.connect(succeeded)
        delivery.failed.connect(failed)
        self.pools[pool].start(_Task(fn, delivery))

    @Slot()
    def shutdown(self, timeout_ms: int = 5000) -> None:
        self.closed = True
        for pool in self.pools.values():
            pool.clear()
        for pool in self.pools.values():
            pool.waitForDone(timeout_ms)

    def busy(self) -> bool:
        return bool(self._in_flight)
