"""The client side of indexing on a cluster: photos out, results back to the local writer.

A ClusterRun is an executor for core.pipeline (`index(executor=run)`, the AnalysisExecutor
seam): in place of the local worker processes, `results()` yields one PhotoResult per pending
photo as the cluster finishes them (in any order), and the pipeline's single writer stores
each in its own transaction, as for local workers. So:
- back-pressure: at most `in_flight` photos are out at once (twice the cluster's threads, and
  at most MAX_IN_FLIGHT_BYTES of photo bytes); a consumer that stops taking results (the
  GUI's pause) stops new submissions, and what is out finishes and waits;
- a worker killed mid-photo: Dask runs its task again on another worker (a photo that kills
  workers KILLS_BEFORE_ERROR times is recorded as an error, as a local crash is); a result
  arrives once per photo, and the writer stores only photos still pending: nothing lost or
  doubled;
- the scheduler gone: the run stops as if cancelled (the token is cancelled, `lost` says
  why); what was not written stays pending for the next `index`/`rescan`;
- a worker whose version or model pack differs is refused, with a message saying which
  (`refused`), and never given a photo again in this run.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .address import (ClusterError, allow_cluster_host, dask_settings, plan_connection,
                      security)
from .pathmap import PathMap
from .task import AnalysisSpec, Analysed, PhotoJob, Refused, WorkerIdentity, refusal

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 20          # reaching the scheduler
WORKERS_TIMEOUT_S = 120         # waiting for a first worker to join
REFRESH_S = 2.0                 # how often the worker list is read again
LOST_AFTER_S = 5.0              # scheduler unreachable this long: the run stops
MAX_IN_FLIGHT_BYTES = 256 << 20
_AGAIN, _LOST = object(), object()   # what became of a task, besides a PhotoResult


@dataclass
class WorkerStats:
    execution: str = "?"
    photos: int = 0
    busy_s: float = 0.0
    first_at: float | None = None
    last_at: float | None = None

    @property
    def rate(self) -> float | None:
        """Photos per second this worker delivered, from its first result on."""
        if self.photos < 2 or self.first_at is None or self.last_at == self.first_at:
            return None
        return (self.photos - 1) / (self.last_at - self.first_at)


def _identity_on_worker(spec: AnalysisSpec, dask_worker=None) -> WorkerIdentity:
    from .task import identity

    return identity(spec, dask_worker.address if dask_worker is not None else "")


class ClusterRun:
    """One indexing run's use of a cluster. `connect()` early (the address rule and the
    connection are checked before the catalog changes); `results()` is what the pipeline
    consumes; `close()` at the end (also a context manager)."""

    def __init__(self, address: str, *, cert_dir: Path | str | None = None,
                 insecure: bool = False, path_map: PathMap | None = None,
                 in_flight: int | None = None, workers_timeout_s: float = WORKERS_TIMEOUT_S):
        self.plan = plan_connection(address, role="client", cert_dir=cert_dir,
                                    insecure=insecure)
        self.path_map = path_map or PathMap()
        self.in_flight = in_flight
        self.workers_timeout_s = workers_timeout_s
        self.client = None
        self.lost: str | None = None          # why the run stopped early, if the cluster left
        self.workers: dict[str, WorkerStats] = {}
        self.refused: dict[str, str] = {}     # worker address -> reason
        self.checked: set[str] = set()
        self._prepared: AnalysisSpec | None = None   # the spec the plugin was registered for
        self.shipped_bytes = 0                # photo and sidecar bytes sent
        self.returned_bytes = 0               # thumbnails received (the rest is small)
        self.photos = 0                       # results received
        self.submitted = 0                    # tasks sent (a photo sent again counts again)
        self._unreachable_since: float | None = None   # the scheduler's, while it is

    # -- connecting ---------------------------------------------------------------------------
    def connect(self) -> None:
        if self.client is not None:
            return
        if self.plan.warning:
            log.warning("%s", self.plan.warning)
        allow_cluster_host(self.plan.address)
        import dask
        from distributed import Client

        dask.config.set(dask_settings())
        address = self.plan.address.text
        try:
            # direct_to_workers=False: results come through the scheduler, the one address
            # this process connects to (and the only one core.offline lets it reach).
            self.client = Client(address, security=security(self.plan),
                                 timeout=CONNECT_TIMEOUT_S, direct_to_workers=False,
                                 set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the cluster's scheduler at {address}: "
                               f"{_short(error)}") from None
        log.info("connected to the cluster at %s", address)

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.close(timeout=5)
            except Exception as error:  # the scheduler already gone: nothing to tell it
                log.debug("closing the cluster client: %s", error)

    def __enter__(self) -> "ClusterRun":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- workers ------------------------------------------------------------------------------
    def _check_new_workers(self, spec: AnalysisSpec) -> dict:
        """Compare every worker not seen yet with this client; refuse those that differ.
        The scheduler's workers as read (address -> info), for _limit."""
        current = self.client.scheduler_info(n_workers=-1).get("workers", {})
        new = [address for address in current if address not in self.checked]
        if not new:
            return current
        answers = self.client.run(_identity_on_worker, spec, workers=new, on_error="return")
        for address in new:
            self.checked.add(address)
            found = answers.get(address)
            if isinstance(found, WorkerIdentity):
                reason = refusal(spec, found)
                execution = found.execution
            elif found is None:  # it left meanwhile
                continue
            else:
                reason = f"it cannot run Faceshelf's analysis ({_short(found)})"
                execution = "?"
            if reason:
                self._refuse(address, reason)
            else:
                self.workers.setdefault(address, WorkerStats()).execution = execution
                log.info("cluster worker %s: %s", address, execution)
        return current

    def _refuse(self, address: str, reason: str) -> None:
        if address not in self.refused:
            self.refused[address] = reason
            log.warning("cluster worker %s refused: %s", address, reason)
        self.workers.pop(address, None)

    def _wait_for_a_worker(self, spec: AnalysisSpec, cancel) -> dict:
        """The scheduler's workers once one of them may index ({} when cancelled or lost)."""
        deadline = time.monotonic() + self.workers_timeout_s
        self._unreachable_since = None
        while not cancel.cancelled:
            scheduler = self._scheduler_state(cancel)
            if scheduler == "lost":
                return {}
            if scheduler == "away":
                time.sleep(0.5)
                continue
            try:
                current = self._check_new_workers(spec)
                if any(address not in self.refused for address in current):
                    return current
            except (OSError, TimeoutError) as error:  # gone meanwhile: the status says it
                log.debug("reading the cluster's workers: %s", error)
            if time.monotonic() > deadline:
                if self.refused:
                    reasons = "; ".join(f"{a}: {r}" for a, r in self.refused.items())
                    raise ClusterError(f"no worker of the cluster can index for this catalog "
                                       f"({reasons})")
                raise ClusterError(f"no worker joined the cluster at {self.plan.address.text} "
                                   f"within {self.workers_timeout_s:.0f} s (start one with "
                                   f"`faceshelf worker {self.plan.address.text}`)")
            time.sleep(0.5)
        return {}

    def _limit(self, current: dict) -> int:
        """Photos out at once, for the scheduler's workers `current` (address -> info)."""
        if self.in_flight:
            return self.in_flight
        threads = sum(w.get("nthreads", 1) for a, w in current.items() if a not in self.refused)
        return max(2, 2 * threads)

    # -- the run ------------------------------------------------------------------------------
    def results(self, catalog, pending: list[tuple[int, str]], pack, settings: dict,
                cancel) -> Iterator:
        """PhotoResults of `pending` ((photo id, path), all still pending in `catalog`) as the
        cluster finishes them. Stops early when `cancel` is cancelled or the scheduler is gone
        (then `cancel` is cancelled too, and `lost` says why)."""
        from distributed import as_completed

        spec = self.prepare(pack, settings)
        current = self._wait_for_a_worker(spec, cancel)
        if cancel.cancelled:
            return
        mtimes = dict(catalog.execute("SELECT id, mtime_ns FROM photos WHERE status='pending'"))
        todo = list(reversed(pending))          # popped from the end: in id order
        outstanding: dict = {}                  # future -> (photo id, path, bytes)
        run_id = uuid.uuid4().hex[:8]
        last_refresh = time.monotonic()
        limit = self._limit(current)
        # Results are fetched by the client's own event loop as tasks finish (no round trip
        # per result from this thread: ~half the client's CPU per photo went there).
        finished = as_completed(loop=self.client.loop, with_results=True, raise_errors=False)
        try:
            while todo or outstanding:
                if cancel.cancelled:
                    return
                out_bytes = sum(size for _, _, size in outstanding.values())
                while todo and len(outstanding) < limit and out_bytes < MAX_IN_FLIGHT_BYTES:
                    photo_id, path = todo.pop()
                    future, size, unreadable = self._submit(spec, run_id, photo_id, path,
                                                            mtimes.get(photo_id, 0))
                    if unreadable is not None:  # gone or unreadable here: said as locally
                        yield unreadable
                        continue
                    outstanding[future] = (photo_id, path, size)
                    finished.add(future)
                    out_bytes += size
                if not outstanding:
                    continue
                done = finished.next_batch(block=False)
                if not done:
                    with finished.thread_condition:  # woken as soon as one finishes
                        finished.thread_condition.wait(timeout=0.25)
                    done = finished.next_batch(block=False)
                scheduler = self._scheduler_state(cancel)
                if scheduler == "lost":
                    return
                if scheduler == "away":
                    continue
                for future, value in done:
                    if future not in outstanding:  # (cancelled by us: not waited for)
                        continue
                    photo_id, path, _ = outstanding.pop(future)
                    outcome = self._outcome(future, value, photo_id, path)
                    if outcome is _LOST:
                        self._lose(cancel, "the cluster's scheduler stopped the work "
                                           "(it was restarted or is gone)")
                        return
                    if outcome is _AGAIN:
                        todo.append((photo_id, path))
                        continue
                    yield outcome
                now = time.monotonic()
                if now - last_refresh > REFRESH_S:
                    last_refresh = now
                    try:
                        limit = self._limit(self._check_new_workers(spec))
                    except (OSError, TimeoutError) as error:  # gone meanwhile: seen above
                        log.debug("reading the cluster's workers: %s", error)
        finally:
            if outstanding and self.client is not None and self.client.status == "running":
                try:
                    self.client.cancel(list(outstanding), force=True)
                except Exception as error:
                    log.debug("cancelling the cluster's tasks: %s", error)

    def prepare(self, pack, settings: dict) -> AnalysisSpec:
        """Connect and have every worker load the analyzer (the plugin): called before the
        scan, the workers load their models while the folders are scanned. Idempotent."""
        from .. import __version__

        spec = AnalysisSpec(__version__, pack.name, pack.model_id,
                            tuple(sorted(settings.items())))
        if self._prepared != spec:
            self.connect()
            from .plugin import PLUGIN_NAME, AnalyzerPlugin

            # Workers started by `faceshelf worker` have it already; a LocalCluster's need it.
            self.client.register_plugin(AnalyzerPlugin(spec), name=PLUGIN_NAME)
            self._prepared = spec
        return spec

    # -- as core.pipeline's AnalysisExecutor: index(executor=run) ----------------------------
    def __call__(self, catalog, pack, settings: dict) -> "ClusterAnalysis":
        return ClusterAnalysis(self, catalog, pack, settings)

    def _submit(self, spec, run_id, photo_id, path, mtime_ns):
        """(future, bytes shipped, None); or (None, 0, a PhotoResult with the error) when the
        photo cannot be read here (as a local worker would say it)."""
        from ..pipeline import PhotoResult
        from .task import analyze_job

        remote_path = self.path_map.remote(path)
        job = PhotoJob(photo_id, Path(path).name, int(mtime_ns or 0), remote_path=remote_path)
        if remote_path is None:
            from ..tags.read import sidecars

            try:
                import numpy as np

                job.data = np.fromfile(path, dtype=np.uint8)  # (see PhotoJob.data)
                job.sidecars = tuple((p.name, p.read_bytes()) for p in sidecars(Path(path)))
            except OSError as error:
                return None, 0, PhotoResult(
                    photo_id, error=f"cannot read file: {error.strerror or error}")
        usable = [a for a in self.workers if a not in self.refused]
        restrict = usable if self.refused and usable else None
        # A key per attempt: a photo sent again after a refusal must not get the old answer
        # back from a key Dask still remembers.
        key = f"faceshelf-{run_id}-{photo_id}-{self.submitted}"
        future = self.client.submit(analyze_job, spec, job, key=key, pure=False,
                                    workers=restrict, allow_other_workers=False)
        self.shipped_bytes += job.shipped_bytes
        self.submitted += 1
        return future, job.shipped_bytes, None

    def _outcome(self, future, value, photo_id: int, path: str):
        """The PhotoResult of a finished task (`value`: what it returned, or its exception);
        _AGAIN (send it again) or _LOST (stop)."""
        from concurrent.futures import CancelledError

        from distributed.scheduler import KilledWorker

        from ..pipeline import PhotoResult

        # Dask cancels a client's tasks when it loses the scheduler ("scheduler-connection-
        # lost"), and the result of a task the scheduler forgot cannot be had.
        if future.status == "cancelled" or isinstance(value, CancelledError):
            return _LOST
        if future.status == "error" or isinstance(value, BaseException):
            error = value
            if isinstance(error, KilledWorker):
                log.warning("cluster workers died on %s", path)
                return PhotoResult(photo_id, error="the indexing process crashed on this photo "
                                                   "(on cluster workers, several times)")
            log.warning("cluster task for %s failed: %s", path, error)
            return PhotoResult(photo_id, error=f"internal error on a cluster worker: "
                                               f"{_short(error)}")
        if isinstance(value, Refused):
            self._refuse(value.worker, value.reason)
            if not [a for a in self.workers if a not in self.refused]:
                raise ClusterError(f"no worker of the cluster can index for this catalog "
                                   f"({value.worker}: {value.reason})")
            return _AGAIN
        assert isinstance(value, Analysed)
        stats = self.workers.setdefault(value.worker, WorkerStats(execution=value.execution))
        now = time.monotonic()
        stats.execution = value.execution
        stats.photos += 1
        stats.busy_s += value.seconds
        stats.first_at = stats.first_at or now
        stats.last_at = now
        self.returned_bytes += value.thumb_bytes
        self.photos += 1
        return value.result

    def _scheduler_state(self, cancel) -> str:
        """"running"; "away" (unreachable for less than LOST_AFTER_S: it may come back); or
        "lost" (longer: the run stops, `lost` says why)."""
        if self.client.status == "running":
            self._unreachable_since = None
            return "running"
        now = time.monotonic()
        self._unreachable_since = self._unreachable_since or now
        if now - self._unreachable_since > LOST_AFTER_S:
            self._lose(cancel, "the connection to the cluster's scheduler was lost")
            return "lost"
        return "away"

    def _lose(self, cancel, reason: str) -> None:
        self.lost = reason
        log.info("%s; the rest stays pending", reason)  # (the front end says it)
        cancel.cancel()

    # -- what the user is shown ---------------------------------------------------------------
    def summary(self) -> dict:
        """Per worker: its execution provider, photos and rate; the bytes shipped."""
        return {
            "workers": {address: {"execution": s.execution, "photos": s.photos,
                                  "rate": round(s.rate, 2) if s.rate else None}
                        for address, s in self.workers.items() if s.photos},
            "refused": dict(self.refused),
            "photos": self.photos,
            "shipped_bytes_per_photo": round(self.shipped_bytes / self.photos)
            if self.photos else None,
            "returned_kb_per_photo": round(self.returned_bytes / self.photos / 1000, 1)
            if self.photos else None,
            "lost": self.lost,
        }


def _short(error) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) < 300 else text[:300] + "..."


class ClusterAnalysis:
    """One indexing run's analysis on the cluster, in the shape core.pipeline takes
    (warm_up, results, close). The ClusterRun stays its owner's to close."""

    thumbnails_shipped = True   # the writer stores the photo thumbnails too (ThumbnailFiles)

    def __init__(self, run: ClusterRun, catalog, pack, settings: dict) -> None:
        self.run, self.catalog, self.pack, self.settings = run, catalog, pack, settings

    def warm_up(self) -> None:
        self.run.prepare(self.pack, self.settings)

    def results(self, pending, cancel) -> Iterator:
        return self.run.results(self.catalog, pending, self.pack, self.settings, cancel)

    def close(self) -> None:
        pass
