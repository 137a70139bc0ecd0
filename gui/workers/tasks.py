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
POOL_SIZES = {"reads": 2, "inference": 1, "writes": 1, "jobs": 2, "maintenance": 1}

_local = threading.local()


_generation = 0  # bumped by reopen_worker_catalogs(): every thread opens its catalog anew


def worker_catalog(directory: Path | str):
    """This thread's own connection to the catalog in `directory` (opened on first use).
    A catalog that cannot be written (read-only file, folder or mount) is opened read-only,
    with `read_only_reason` (a CatalogReadOnly) set: browsing works, writes are refused."""
    from core.catalog import Catalog, CatalogReadOnly

    cache: dict[str, Any] = getattr(_local, "catalogs", None) or {}
    if getattr(_local, "generation", 0) != _generation:
        for stale in cache.values():
            stale.close()
        cache = {}
    _local.catalogs = cache
    _local.generation = _generation
    key = str(directory)
    catalog = cache.get(key)
    if catalog is None:  # Catalog() copes with other threads opening (and migrating) at once
        try:
            catalog = Catalog(directory)
            catalog.read_only_reason = None
        except CatalogReadOnly as refused:
            catalog = Catalog(directory, readonly=True)
            catalog.read_only_reason = refused
        cache[key] = catalog
    return catalog


def reopen_worker_catalogs() -> None:
    """Every thread's next worker_catalog() opens the catalog again (after a repair put a
    new file in place of the one their connections still read)."""
    global _generation
    _generation += 1


def close_worker_catalogs() -> None:
    """Close this thread's connections (called at the end of long jobs)."""
    for catalog in (getattr(_local, "catalogs", None) or {}).values():
        catalog.close()
    _local.catalogs = {}


def catalog_problem(error, catalog_dir: Path | str):
    """The CatalogUnusable a worker's error (a TaskError) amounts to, or None."""
    from core.catalog.db import DB_NAME
    from core.catalog.problems import explain

    return explain(getattr(error, "error", error), Path(catalog_dir) / DB_NAME)


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
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery,
                 catalog_dir: Path | None = None) -> None:
        super().__init__()
        self.fn = fn
        self.delivery = delivery
        self.catalog_dir = catalog_dir

    def run(self) -> None:
        try:
            try:
                result = self.fn()
            except BaseException as error:  # noqa: BLE001 - delivered to the UI, never swallowed
                trace = traceback.format_exc()
                if self.catalog_dir is not None:
                    # put an SQLite error in the user's words here, off the UI thread: it
                    # looks at the file (and its backups) to say what is wrong
                    error = catalog_problem(error, self.catalog_dir) or error
                self.delivery.failed.emit(TaskError(error, trace))
            else:
                self.delivery.succeeded.emit(result)
        except RuntimeError:  # the window closed while this ran: nobody is left to tell
            log.debug("task finished after its receiver was deleted")


class Workers(QObject):
    """The application's thread pools and the run-in-background helper."""

    failed = Signal(str, object)  # (what, TaskError) for tasks without an error handler

    def __init__(self, parent: QObject | None = None,
                 catalog_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.catalog_dir = catalog_dir  # to tell a catalog problem from other failures
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
                problem = (catalog_problem(error, self.catalog_dir)
                           if self.catalog_dir is not None else None)
                if problem is not None:  # the window explains it: one line, no traceback
                    log.warning("%s failed: %s", what or getattr(fn, "__name__", "task"),
                                problem.headline())
                else:
                    log.error("%s failed: %s\n%s", what or getattr(fn, "__name__", "task"),
                              error, error.trace)
                self.failed.emit(what or getattr(fn, "__name__", "task"), error)

        delivery.succeeded.connect(succeeded)
        delivery.failed.connect(failed)
        self.pools[pool].start(_Task(fn, delivery, self.catalog_dir))

    @Slot()
    def shutdown(self, timeout_ms: int = 5000) -> None:
        self.closed = True
        for pool in self.pools.values():
            pool.clear()
        for pool in self.pools.values():
            pool.waitForDone(timeout_ms)

    def busy(self) -> bool:
        return bool(self._in_flight)
