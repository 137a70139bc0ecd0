"""One long job at a time, and what waits for it: the window's job queue.

The status bar shows one job, with pause and cancel buttons that must mean what they say, so
the window's long jobs (index, people grouping, album updates) run one after the other. While
one runs, what is asked for waits here:

- an index, as an `IndexRequest` (some folders, or every folder): requests asked for meanwhile
  merge into one, and "every folder" covers any list of folders;
- folders removed in Settings: removed when the job ends (an index writing photos of a folder
  being removed would fail);
- one people grouping (however often it is asked for) and the album updates, in order.

The rules at a job's end, in order: removals first (and every write asked for meanwhile, so a
folder added is in the catalog before a rescan reads the folders), then a waiting index, else a
grouping when one is due (after a stopped index: its faces are grouped now; after a removal: the
removed folder's groups go), else the next album update. Cancelling an index drops the index
waiting behind it (stopped means stopped; its folders are in the catalog, the next rescan indexes
them). An index refused because another Faceshelf process is indexing the catalog (a terminal, a
scheduled run) is not a failure: it is asked for again every `busy_retry_ms` until it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from core.jobs import Progress

from ..context import AppContext
from .indexing import index_job, people_job
from .jobs import Job

BUSY_RETRY_MS = 15000
REGROUP_AFTER_MS = 4000
GROUPING_TITLE = "Grouping faces…"


@dataclass(frozen=True)
class IndexRequest:
    """What an index is asked to cover: the folders named, or every folder of the catalog."""

    folders: tuple[str, ...] = ()
    every_folder: bool = False

    @classmethod
    def of(cls, folders: Iterable[str] | None) -> IndexRequest:
        """The folders given; none (None or empty) means every folder (a rescan)."""
        folders = tuple(dict.fromkeys(str(f) for f in folders or ()))
        return cls(folders) if folders else cls.everything()

    @classmethod
    def everything(cls) -> IndexRequest:
        return cls(every_folder=True)

    def merged(self, other: IndexRequest | None) -> IndexRequest:
        """One request covering both (every folder covers any list)."""
        if other is None:
            return self
        if self.every_folder or other.every_folder:
            return IndexRequest.everything()
        return IndexRequest.of(self.folders + other.folders)

    def without(self, folder: str) -> IndexRequest | None:
        """This request once `folder` is removed (None when nothing is left to index)."""
        if self.every_folder:
            return self
        rest = tuple(f for f in self.folders if f != folder)
        return IndexRequest(rest) if rest else None

    def roots(self) -> list[str] | None:
        """As the index job takes it: the folders, or None for every folder."""
        return None if self.every_folder else list(self.folders)


def doing(job: Job) -> str:
    """The job in a sentence: "indexing is running", "when grouping is done"."""
    return {"index": "indexing", "people": "grouping"}.get(job.name, job.name)


def refused_as_busy(error) -> bool:
    """A worker's error (a TaskError) that is another process indexing the catalog."""
    from core.index_lock import IndexBusy

    return isinstance(getattr(error, "error", error), IndexBusy)


class JobQueue(QObject):
    """Runs the window's long jobs one at a time (see the module's docstring for the rules)."""

    started = Signal(object, str, bool)   # Job, title, pausable (the status bar attaches)
    progressed = Signal(object)           # Progress of the running job
    ended = Signal(object, str)           # Job, "finished" | "cancelled" | "failed" | "busy"
    failed = Signal(str, object)          # what, TaskError (not another process's index)
    said = Signal(str, int)               # a status-bar message and how long it shows (ms)

    def __init__(self, ctx: AppContext, index_options: dict | None = None,
                 parent: QObject | None = None) -> None:
        """`index_options` go to `core.pipeline.index` as they are (e.g. a shared analyzer
        in tests); the user's settings supply the rest."""
        super().__init__(parent)
        self.ctx = ctx
        self.index_options = dict(index_options or {})
        self.current: Job | None = None
        self.busy_retry_ms = BUSY_RETRY_MS
        self._running_index: IndexRequest | None = None   # what the running index covers
        self._waiting_index: IndexRequest | None = None   # an index asked for meanwhile
        self._waiting_removals: list[str] = []            # folders to forget after the job
        self._waiting_jobs: list[tuple[Job, str]] = []    # album updates (a grouping first)
        self._busy_index: IndexRequest | None = None      # refused by another process
        # Naming, merging or answering in Review changes what the people core can match: a
        # grouping a few seconds after the last such change fills the Review queue for the
        # people just named (as `faceshelf cluster` does in a terminal).
        self._regroup_timer = QTimer(self)
        self._regroup_timer.setSingleShot(True)
        self._regroup_timer.setInterval(REGROUP_AFTER_MS)
        self._regroup_timer.timeout.connect(self.update_people)

    # -- what can be asked for ----------------------------------------------------------------
    @property
    def indexing(self) -> bool:
        return self.current is not None and self.current.name == "index"

    @property
    def waiting_index(self) -> IndexRequest | None:
        """The index that runs after the current job (None: none waits)."""
        return self._waiting_index

    @property
    def waiting_removals(self) -> list[str]:
        return list(self._waiting_removals)

    def index(self, request: IndexRequest) -> None:
        """Index now, or after the running job (a rescan asked for while grouping runs is
        not dropped)."""
        if self.current is None:
            job = Job("index", index_job(self.ctx.catalog_dir, request.roots(),
                                         self.ctx.settings, self.index_options), self)
            self._running_index = request   # asked for again if another process holds it
            self._run(job, "Starting…")
            return
        if not request.every_folder:
            # in the catalog at once: a rescan indexes them even if the waiting one is dropped
            self.ctx.write(lambda catalog, new=request.folders: [catalog.add_folder(f)
                                                                 for f in new],
                           what="adding a folder")
        self._waiting_index = request.merged(self._waiting_index)
        what = "everything is" if request.every_folder else "the new folder is"
        self.said.emit(f"{doing(self.current).capitalize()} is running; {what} indexed after "
                       f"it.", 5000)

    def remove_folder(self, path: str) -> None:
        """Forget a folder: now, or after the running job."""
        if self._waiting_index is not None:   # added meanwhile: not any more
            self._waiting_index = self._waiting_index.without(path)
        if self.current is not None:
            self._waiting_removals.append(path)
            self.said.emit(f"{path} is removed when {doing(self.current)} is done.", 8000)
            return
        self._remove_folders([path], then=self.update_people)

    def update_people(self) -> None:
        """Group the faces into people: now, or once after the running job, however often
        it is asked for meanwhile."""
        if self.current is not None and (self.current.name == "people" or any(
                job.name == "people" for job, _title in self._waiting_jobs)):
            return
        job = Job("people", people_job(self.ctx.catalog_dir), self)
        if self.current is None:
            self._run(job, GROUPING_TITLE)
        else:   # after the running job, before the album updates
            self._waiting_jobs.insert(0, (job, GROUPING_TITLE))

    def regroup_soon(self) -> None:
        """A grouping a few seconds after the last people change (each change restarts it)."""
        self._regroup_timer.start()

    def run_or_queue(self, job: Job, title: str) -> None:
        """An album update: now, or after the running job."""
        if self.current is None:
            self._run(job, title, pausable=False)
            return
        self._waiting_jobs.append((job, title))
        self.said.emit(f"{title}: starts when {doing(self.current)} is done.", 8000)

    def shutdown(self) -> None:
        """The window closes: the running job stops and reports to no one."""
        self._regroup_timer.stop()
        job, self.current = self.current, None
        if job is not None:
            job.cancel()
            for signal in (job.progress, job.finished, job.failed, job.cancelled):
                signal.disconnect()

    # -- running ------------------------------------------------------------------------------
    def _run(self, job: Job, title: str, pausable: bool = True) -> None:
        self.current = job
        job.progress.connect(self._progress)
        job.finished.connect(lambda _last: self._ended(job, "finished"))
        job.cancelled.connect(lambda: self._ended(job, "cancelled"))
        job.failed.connect(lambda error: self._failed(job, error))
        self.started.emit(job, title, pausable)   # (the status bar shows it before it runs)
        job.start(self.ctx.workers)

    def _progress(self, progress: Progress) -> None:
        self.ctx.watcher.poll()   # people and photos appear while the job goes on
        self.progressed.emit(progress)

    def _failed(self, job: Job, error) -> None:
        if not refused_as_busy(error):
            self.failed.emit(job.name, error)
            self._ended(job, "failed")
            return
        if job.name == "index":
            # asked for again until it may run, with any index asked for behind it
            self._busy_index = (self._running_index or IndexRequest.everything()).merged(
                self._waiting_index)
            self._waiting_index = None
            QTimer.singleShot(self.busy_retry_ms, self._retry_busy_index)
        self._ended(job, "busy")

    def _retry_busy_index(self) -> None:
        request, self._busy_index = self._busy_index, None
        if request is not None:
            self.index(request)

    def _ended(self, job: Job, how: str) -> None:
        if job is not self.current:   # (shut down meanwhile)
            return
        self.current = None
        self._running_index = None
        self.ctx.watcher.poll()
        self.ended.emit(job, how)
        stopped_indexing = how == "cancelled" and job.name == "index"
        if stopped_indexing:
            self._waiting_index = None
        removals, self._waiting_removals = self._waiting_removals, []
        group_now = stopped_indexing or bool(removals)

        def next_job() -> None:
            if self.current is not None:   # the user started something meanwhile
                return
            if self._waiting_index is not None:
                request, self._waiting_index = self._waiting_index, None
                self.index(request)   # it groups people at its end
            elif group_now:
                # the faces found before a stop are grouped now, not at the next index; a
                # removed folder's groups go (quick when nothing changed; can be cancelled)
                self.update_people()
            elif self._waiting_jobs:
                self._run(*self._waiting_jobs.pop(0), pausable=False)

        # folders removed while it ran go first, and every write already asked for finishes
        # (a folder added meanwhile is in the catalog before a rescan reads the folders)
        self._remove_folders(removals, then=next_job)

    # -- removing folders ---------------------------------------------------------------------
    def _remove_folders(self, paths: list[str], then: Callable[[], None]) -> None:
        """Remove the folders, then call `then()` once those writes are done. A folder another
        process's index holds is tried again later."""
        def refused(error, path: str) -> None:
            if not refused_as_busy(error):
                self.ctx.workers.failed.emit("removing a folder", error)
                return
            self._waiting_removals.append(path)
            self.said.emit(f"Another Faceshelf process is indexing this catalog; {path} is "
                           f"removed when it has finished.", 8000)
            QTimer.singleShot(self.busy_retry_ms, self._retry_removals)

        for path in paths:
            self.ctx.write(lambda catalog, p=path: catalog.remove_folder(p),
                           on_error=lambda error, p=path: refused(error, p),
                           what="removing a folder")
        self._after_writes(then)

    def _after_writes(self, then: Callable[[], None]) -> None:
        """`then()` once the writes asked for until now are done (the writer runs in order)."""
        def not_open(error) -> None:   # (a damaged catalog: said once; the queue goes on)
            self.ctx.workers.failed.emit("writing to the catalog", error)
            then()

        self.ctx.write(lambda _catalog: None, on_success=lambda _result: then(),
                       on_error=not_open, what="writing to the catalog")

    def _retry_removals(self) -> None:
        # (while a job runs, its end removes them)
        if self.current is None and self._waiting_removals:
            paths, self._waiting_removals = self._waiting_removals, []
            self._remove_folders(paths, then=self.update_people)
