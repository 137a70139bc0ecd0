"""What a cluster worker does with one photo: the same analysis as a local indexing worker
(core.pipeline.analyze_photo, thumbnails included), on bytes the client sent or on a path
the worker mounts (`--path-map`), and the checks that the worker runs what the client runs.

The photo travels as bytes; the analysis code reads paths (the decoder sniffs the content,
the metadata reader falls back to the file's mtime, the tag reader looks for sidecars beside
the photo). Rather than a second, byte-based copy of that code, the bytes are given a path
for the time of the analysis: a private folder in RAM (/dev/shm on Linux) holding the photo
under its own name, its sidecars, and its original mtime, removed as soon as the result is
made. So a worker's result is the local one by construction, and no photo byte is kept on a
worker: on Linux none touches its disk (elsewhere the system's temporary folder is used for
the time of one photo; see the README).

This module imports no Dask: the client imports it to build the jobs it submits.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# Said on the worker: under Dask's logger, whose handler a worker process has (one that
# a nanny spawned has no other).
log = logging.getLogger("distributed.faceshelf")

RAM_FOLDER = Path("/dev/shm")


@dataclass(frozen=True)
class AnalysisSpec:
    """What the client indexes with; a worker that would give other embeddings refuses."""
    version: str                  # core.__version__ of the client
    pack_name: str                # the model pack (a name the worker finds: buffalo_s, ...)
    model_id: str                 # the client's model id (pack, recognizer, SHA-256 prefix)
    settings: tuple = ()          # FaceAnalyzer options (det_size, det_thresh), sorted items


@dataclass
class PhotoJob:
    photo_id: int
    name: str                                   # the file's name (tag problems quote it)
    mtime_ns: int                               # the metadata's date fallback, as locally
    # The photo's bytes (a numpy uint8 array from the client: Dask ships arrays as frames of
    # their own, without copying them into the pickled task, ~5 ms less CPU per photo
    # between the client, the scheduler and the worker), or None with remote_path.
    data: object = None
    sidecars: tuple[tuple[str, bytes], ...] = ()  # (name, bytes) of its .xmp sidecars
    remote_path: str | None = None              # --path-map: the worker reads it itself

    @property
    def shipped_bytes(self) -> int:
        photo = len(self.data) if self.data is not None else 0
        return photo + sum(len(data) for _, data in self.sidecars)


@dataclass
class Refused:
    """The worker cannot give the client's results; `reason` says which difference."""
    worker: str
    reason: str


@dataclass
class Analysed:
    result: object                 # core.pipeline.PhotoResult
    worker: str                    # the worker's address
    execution: str                 # "CUDA", "OpenVINO bf16", "CPU"
    seconds: float                 # wall time of the analysis on the worker
    thumb_bytes: int = 0


@dataclass
class WorkerIdentity:
    worker: str
    host: str
    version: str
    execution: str
    model_id: str | None = None
    problem: str | None = None      # why the requested pack cannot be used here
    extra: dict = field(default_factory=dict)


# -- the analyzers of this worker process -----------------------------------------------------
# A FaceAnalyzer is not thread-safe: each task borrows one and gives it back. A worker with
# one thread (the default of `faceshelf worker`) loads one; the plugin loads it at start.

_pool_lock = threading.Lock()
_load_lock = threading.Lock()
_idle: dict[tuple, list] = {}
_pack_ids: dict[str, tuple[str | None, str | None]] = {}


def _model_id_here(pack_name: str) -> tuple[str | None, str | None]:
    """(model id, problem) of the pack as this machine has it (its files hashed once)."""
    if pack_name not in _pack_ids:
        from ..faces.model_files import ModelError, find_pack

        try:
            _pack_ids[pack_name] = (find_pack(pack_name).model_id, None)
        except ModelError as error:
            _pack_ids[pack_name] = (None, str(error))
    return _pack_ids[pack_name]


def identity(spec: AnalysisSpec, worker_address: str = "") -> WorkerIdentity:
    """What this worker would index with, for the client to compare (cheap: no model load)."""
    from .. import __version__
    from .providers import worker_execution

    model_id, problem = _model_id_here(spec.pack_name)
    return WorkerIdentity(worker=worker_address, host=socket.gethostname(),
                          version=__version__, execution=worker_execution().label,
                          model_id=model_id, problem=problem)


def refusal(spec: AnalysisSpec, found: WorkerIdentity) -> str | None:
    """Why a worker must not index for this client, in words; None when it may."""
    if found.version != spec.version:
        return (f"it runs Faceshelf {found.version}, this computer {spec.version} "
                f"(install the same version on both)")
    if found.problem:
        return f"its model pack {spec.pack_name} is unusable: {found.problem}"
    if found.model_id != spec.model_id:
        return (f"its model pack differs: {found.model_id}, this catalog's is {spec.model_id} "
                f"(embeddings of two packs cannot be compared)")
    return None


def _load(spec: AnalysisSpec):
    """A FaceAnalyzer for the spec (models checked against their SHA-256 exactly as locally:
    core.faces.model_files.load_models), on the best execution provider here."""
    from ..faces.analyzer import FaceAnalyzer
    from .providers import worker_execution

    execution = worker_execution()
    started = time.monotonic()
    with _load_lock:  # two threads loading at once only fight over the cores
        import cv2

        cv2.setNumThreads(1)  # one core per analyzer, as the local workers
        analyzer = FaceAnalyzer(spec.pack_name, threads=1, providers=execution.providers,
                                backend=execution.backend, **dict(spec.settings))
    analyzer.execution = execution.label
    log.info("Faceshelf analyzer loaded in %.1f s: %s on %s", time.monotonic() - started,
             analyzer.model_id, execution.label)
    return analyzer


def warm(spec: AnalysisSpec) -> str:
    """Load one analyzer now (the worker plugin, at start), unless one is loaded already (a
    client registering the plugin again); its execution label."""
    with _pool_lock:
        idle = _idle.get((spec.pack_name, spec.settings))
        if idle:
            return idle[0].execution
    analyzer = _load(spec)
    _give_back(spec, analyzer)
    return analyzer.execution


def _borrow(spec: AnalysisSpec):
    key = (spec.pack_name, spec.settings)
    with _pool_lock:
        idle = _idle.get(key)
        if idle:
            return idle.pop()
    return _load(spec)


def _give_back(spec: AnalysisSpec, analyzer) -> None:
    with _pool_lock:
        _idle.setdefault((spec.pack_name, spec.settings), []).append(analyzer)


# -- one photo --------------------------------------------------------------------------------

def analyze_job(spec: AnalysisSpec, job: PhotoJob) -> Analysed | Refused:
    """Runs on a worker. Never raises for a bad photo (the reason is in the result)."""
    from .. import __version__
    from ..pipeline import analyze_photo

    worker = _worker_address()
    found = WorkerIdentity(worker, "", __version__, "", *_model_id_here(spec.pack_name))
    reason = refusal(spec, found)
    if reason:
        return Refused(worker, reason)
    analyzer = _borrow(spec)
    started = time.monotonic()
    try:
        if job.remote_path is not None:
            result = analyze_photo(analyzer, None, job.photo_id, job.remote_path)
        else:
            with photo_in_memory(job) as path:
                result = analyze_photo(analyzer, None, job.photo_id, str(path))
    finally:
        _give_back(spec, analyzer)
    thumbs = len(result.photo_thumb or b"") + sum(len(t or b"") for t in result.face_thumbs)
    return Analysed(result, worker, getattr(analyzer, "execution", "CPU"),
                    time.monotonic() - started, thumbs)


class photo_in_memory:
    """The job's bytes at a path, for the time of a `with`: a private folder (0700) in RAM
    where there is one, holding the photo under its own name with its mtime, and its
    sidecars; removed on exit, whatever happened."""

    def __init__(self, job: PhotoJob) -> None:
        self.job = job
        self.folder: str | None = None

    def __enter__(self) -> Path:
        base = RAM_FOLDER if RAM_FOLDER.is_dir() and os.access(RAM_FOLDER, os.W_OK) else None
        self.folder = tempfile.mkdtemp(prefix="faceshelf-", dir=base)
        folder = Path(self.folder)
        photo = folder / _safe_name(self.job.name, "photo")
        _write_private(photo, self.job.data if self.job.data is not None else b"")
        for name, data in self.job.sidecars:
            _write_private(folder / _safe_name(name, "sidecar.xmp"), data)
        os.utime(photo, ns=(self.job.mtime_ns, self.job.mtime_ns))
        return photo

    def __exit__(self, *exc) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _safe_name(name: str, fallback: str) -> str:
    """The base name only: a name from the client never places a file elsewhere."""
    name = os.path.basename(name.replace("\\", "/"))
    return name if name not in ("", ".", "..") else fallback


def _write_private(path: Path, data) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except Exception:  # not in a Dask worker (unit tests run the task in-process)
        return f"local:{os.getpid()}"
