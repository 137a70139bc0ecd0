"""Long core operations (generators of `core.jobs.Progress`) driven off the UI thread.

A `Job` pulls its generator on the "jobs" pool and forwards progress to the UI thread, at most
ten times a second (plus the last one). Cancel sets the core's `CancelToken`; pause simply stops
pulling the generator, so the core's bounded queues fill and its workers wait (no busy-wait).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QRunnable, Signal

from core.jobs import Cancelled, CancelToken, Progress

from .tasks import TaskError, close_worker_catalogs

log = logging.getLogger(__name__)

JobFactory = Callable[[CancelToken], Iterator[Progress]]
PROGRESS_INTERVAL_S = 0.1


class Job(QObject):
    progress = Signal(object)   # Progress
    finished = Signal(object)   # the last Progress (None if the job yielded nothing)
    failed = Signal(object)     # TaskError
    cancelled = Signal()
    paused_changed = Signal(bool)

    def __init__(self, name: str, factory: JobFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.factory = factory
        self.token = CancelToken()
        self._resume = threading.Event()
        self._resume.set()
        self._parked = threading.Event()  # set while the worker waits for a resume
        self.running = False
        self.last: Progress | None = None
        self.result = None  # the generator's return value (e.g. an export summary)

    # -- control (UI thread) ----------------------------------------------------------------
    def start(self, workers) -> None:
        self.running = True
        workers.pools["jobs"].start(_JobRunnable(self))

    def cancel(self) -> None:
        self.token.cancel()
        self._resume.set()  # a paused job must wake up to notice

    def pause(self) -> None:
        if self._resume.is_set():
            self._resume.clear()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if not self._resume.is_set():
            self._resume.set()
            self.paused_changed.emit(False)

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    @property
    def parked(self) -> bool:
        """Paused and no longer pulling: a pause takes effect at the core's next report, so
        the photo in flight when it was asked for is still written."""
        return self._parked.is_set()

    # -- worker thread ------------------------------------------------------------------------
    def _run(self) -> None:
        last: Progress | None = None
        sent: Progress | None = None
        sent_at = 0.0
        generator = None
        try:
            generator = self.factory(self.token)
            while True:
                try:
                    last = next(generator)
                except StopIteration as stop:
                    self.result = stop.value
                    break
                previous, self.last = self.last, last
                if not self._resume.is_set():
                    self._parked.set()
                    self._resume.wait()
                    self._parked.clear()
                now = time.monotonic()
                # A stage's final report is always shown, even when throttled (index -> people).
                if previous is not None and previous is not sent and previous.stage != last.stage:
                    self.progress.emit(previous)
                    sent = previous
                if now - sent_at >= PROGRESS_INTERVAL_S:
                    sent_at = now
                    sent = last
                    self.progress.emit(last)
                # After cancel we keep pulling: the core notices its token and winds down
                # cleanly (stops its workers, records where it stopped).
        except Cancelled:
            pass
        except BaseException as error:  # noqa: BLE001 - shown by the UI
            from core.export import ExportError
            from core.index_lock import IndexBusy

            if isinstance(error, (IndexBusy, ExportError)):  # expected: said to the user
                log.info("job %s: %s", self.name, error)
            else:
                log.error("job %s failed\n%s", self.name, traceback.format_exc())
            self.failed.emit(TaskError(error, traceback.format_exc()))
            return
        finally:
            if generator is not None and hasattr(generator, "close"):
                generator.close()
            close_worker_catalogs()
            self.running = False
        if last is not None:
            self.progress.emit(last)
        if self.token.cancelled:
            self.cancelled.emit()
        else:
            self.finished.emit(last)


class _JobRunnable(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:
        try:
            self.job._run()
        except RuntimeError as error:  # the window (and the Job) went away while it ran
            log.debug("job ended after its window closed: %s", error)
