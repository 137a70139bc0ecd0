"""Indexing: scan -> decode -> detect -> embed -> write.

`index()` runs the folder scan, then analyses every photo left `pending`:

- Worker processes (started with 'spawn': forking after onnxruntime is loaded hangs the
  children) each build their own ONNX sessions with one intra-op thread and run at lower CPU
  priority. Each gets photo ids and paths, at most `PREFETCH` at a time (the queues stay small),
  and sends back a `PhotoResult`: metadata, boxes, 2 KB embeddings and face thumbnails as JPEG
  bytes. Pixels never cross a process boundary.
- The parent is the only catalog writer: one transaction per photo (its metadata, its faces,
  status 'indexed' or 'error'). A kill at any moment leaves each photo either untouched
  (still pending, done again next run) or complete, never half, and never twice.
- `workers=0` runs the same stages in-process (tests, the GUI's search by an outside photo).
- Where photos are analysed is an `AnalysisExecutor` (this process, or the worker processes);
  `index(executor=...)` takes another, e.g. one that sends the photos to other machines.

The whole workflow around it (people, the search index) is core.photo_indexing's.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import os
import queue
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .catalog import Catalog, embedding_to_blob
from .index_lock import exclusive_index
from .jobs import CancelToken, Progress
from .thumbs import (drop_outdated_face_thumbs, face_thumb, face_thumb_path, photo_thumb,
                     photo_thumb_path, write_file)

log = logging.getLogger(__name__)

PREFETCH = 2            # photos queued per worker beyond the one it works on
MAX_RESTARTS = 3        # crashed workers replaced per run, per worker slot
ETA_AFTER_S = 8.0       # seconds of results before a time left is given


@dataclass
class PhotoResult:
    """What a worker found in one photo; small enough to pickle cheaply."""
    photo_id: int
    error: str | None = None
    width: int | None = None
    height: int | None = None
    metadata: dict = field(default_factory=dict)
    faces: list = field(default_factory=list)          # DetectedFace
    face_thumbs: list[bytes | None] = field(default_factory=list)
    # Face tags from other programs (core.tags): faces[i] for i >= detected came from a region.
    detected: int | None = None                        # faces found by the detector
    tagged: list = field(default_factory=list)         # (face index, name, source, created)
    tag_names: list = field(default_factory=list)      # (name, source) without a box
    tag_problems: list = field(default_factory=list)   # sentences
    # The photo's thumbnail as JPEG bytes, from a worker on another machine (core.remote); a
    # local worker writes it to the cache itself (None here).
    photo_thumb: bytes | None = None


# -- one photo (runs in a worker, or in-process) --------------------------------------------

def analyze_photo(analyzer, catalog_dir: Path | None, photo_id: int, path: str) -> PhotoResult:
    """Decode, find faces, write the photo thumbnail, crop the face thumbnails. Never raises
    for a bad photo: the reason goes into the result. `catalog_dir` None (a worker on another
    machine): the photo thumbnail comes back in the result, for the writer to store."""
    from .scan.decode import DecodeError

    try:
        analyzed = analyzer.analyze_file(path)
    except DecodeError as error:
        return PhotoResult(photo_id, error=str(error) or "cannot decode")
    except OSError as error:
        return PhotoResult(photo_id, error=f"cannot read file: {error.strerror or error}")
    except Exception as error:  # a bug or a model failure on this photo: record, go on
        log.exception("analysing %s failed", path)
        return PhotoResult(photo_id, error=f"internal error: {type(error).__name__}: {error}")
    image, detail = analyzed.image, analyzed.detail
    faces = list(analyzed.faces)
    detected = len(faces)
    tagged, tag_names, tag_problems = _read_tags(analyzer, path, image, detail, faces,
                                                 analyzed.data)
    thumbs: list[bytes | None] = []
    shipped_thumb = None
    try:
        if catalog_dir is None:
            shipped_thumb = photo_thumb(image.bgr)
        else:
            write_file(photo_thumb_path(catalog_dir, photo_id), photo_thumb(image.bgr))
        thumbs = [face_thumb(detail.bgr, detail.scale, face.box) for face in faces]
    except Exception as error:  # the cache is optional; the faces are not
        log.warning("thumbnails for %s failed: %s", path, error)
    width, height = image.full_size
    return PhotoResult(photo_id, width=int(width), height=int(height),
                       metadata=_metadata_fields(analyzed.metadata, image.orientation),
                       faces=faces, face_thumbs=thumbs, detected=detected, tagged=tagged,
                       tag_names=tag_names, tag_problems=tag_problems, photo_thumb=shipped_thumb)


def _read_tags(analyzer, path, image, detail, faces: list,
               data: bytes | None = None) -> tuple[list, list, list]:
    """Other programs' face tags of the photo (core.tags): regions matched to `faces` or made
    into faces appended to it. A bad tag is a problem of this photo, never a failed photo.
    `data`: the photo's bytes the analysis read (the photo is not opened again)."""
    try:
        from .tags.faces import faces_for_regions
        from .tags.read import read_photo_tags

        tags = read_photo_tags(path, image.orientation, data)
        if not tags:
            return [], [], []
        matches, created = faces_for_regions(analyzer, detail, image.full_size, faces,
                                             tags.regions)
        faces += created
        tagged = [(m.face, tags.regions[m.region].name, tags.regions[m.region].source,
                   m.created) for m in matches]
        return tagged, tags.names, tags.problems
    except Exception as error:  # a bug in a reader must not cost the photo its faces
        log.exception("reading the face tags of %s failed", path)
        return [], [], [f"face tags not read: internal error: {type(error).__name__}: {error}"]


def _metadata_fields(metadata, orientation: int | None) -> dict:
    def text(value):
        if value is None:
            return None
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    return {
        "orientation": getattr(metadata, "orientation", None),
        "taken_at": text(getattr(metadata, "taken_at", None)),
        "taken_at_source": getattr(metadata, "taken_at_source", None),
        "gps_lat": getattr(metadata, "gps_lat", None),
        "gps_lon": getattr(metadata, "gps_lon", None),
        "camera_make": getattr(metadata, "camera_make", None),
        "camera_model": getattr(metadata, "camera_model", None),
    }


# -- the writer -----------------------------------------------------------------------------

def insert_face(conn, photo_id: int, face, model_id: str, created_at: float, *,
                source: str | None = None, person_id: int | None = None,
                assigned_by: str | None = None) -> int:
    """One face (a core.faces.analyzer.DetectedFace) as a row of `faces`; its id. Every
    writer of new faces goes through here: indexing, an imported tag, a face drawn by hand."""
    x1, y1, x2, y2 = face.box
    return conn.execute(
        "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality, "
        "usable, embedding, model_id, created_at, person_id, assigned_by, source) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (photo_id, x1, y1, x2, y2, face.landmarks.astype("float32").tobytes(),
         float(face.det_score), float(face.size), float(face.quality), int(face.usable),
         embedding_to_blob(face.embedding), model_id, created_at, person_id, assigned_by,
         source)).lastrowid


def write_result(catalog: Catalog, result: PhotoResult, model_id: str,
                 report=None, files: "ThumbnailFiles | None" = None) -> list[int]:
    """Store one photo's outcome in one transaction; returns the new face ids. Its face tags
    name its faces (outcomes added to `report`, a core.tags.ImportReport, when given).
    Its thumbnails go to the cache after the commit, through `files` when given (off this
    thread), else here.

    Only a photo still pending is written (a rescan may have removed it meanwhile), so a
    result can never be stored twice.
    """
    now = time.time()
    face_ids: list[int] = []
    with catalog.transaction() as conn:
        row = conn.execute("SELECT status FROM photos WHERE id=?", (result.photo_id,)).fetchone()
        if row is None or row[0] != "pending":
            return []
        if result.error is not None:
            conn.execute("DELETE FROM faces WHERE photo_id=?", (result.photo_id,))
            conn.execute("UPDATE photos SET status='error', error=?, indexed_at=?, model_id=NULL "
                         "WHERE id=?", (result.error, now, result.photo_id))
            return []
        # earlier: a changed file, another model. Faces drawn by hand stay (with their
        # person, or ignored): the detector missed them; where it now finds one (another
        # model, an edit), its face takes over.
        earlier, drawn = _earlier_faces(conn, result.photo_id)
        conn.execute("DELETE FROM faces WHERE photo_id=? AND source IS NOT 'manual'",
                     (result.photo_id,))
        meta = result.metadata
        conn.execute(
            "UPDATE photos SET width=?, height=?, orientation=?, taken_at=?, taken_at_source=?, "
            "gps_lat=?, gps_lon=?, camera_make=?, camera_model=?, status='indexed', error=NULL, "
            "indexed_at=?, model_id=? WHERE id=?",
            (result.width, result.height, meta.get("orientation"), meta.get("taken_at"),
             meta.get("taken_at_source"), meta.get("gps_lat"), meta.get("gps_lon"),
             meta.get("camera_make"), meta.get("camera_model"), now, model_id, result.photo_id))
        for face in result.faces:
            face_ids.append(insert_face(
                conn, result.photo_id, face, model_id, now,
                source="imported" if result.detected is not None
                and len(face_ids) >= result.detected else None))
        if earlier or drawn:
            carried = _carry_over(conn, earlier + [d[1:] for d in drawn], face_ids,
                                  [face.box for face in result.faces])
            for i in carried:
                if i >= len(earlier):
                    conn.execute("DELETE FROM faces WHERE id=?", (drawn[i - len(earlier)][0],))
        _apply_tags(conn, result, face_ids, report)
    thumbs = [(face_thumb_path(catalog.dir, face_id), data)
              for face_id, data in zip(face_ids, result.face_thumbs) if data]
    if result.photo_thumb:
        thumbs.append((photo_thumb_path(catalog.dir, result.photo_id), result.photo_thumb))
    for path, data in thumbs:
        if files is not None:
            files.write(path, data)
        else:
            _write_thumb(path, data)
    return face_ids


def _write_thumb(path: Path, data: bytes) -> None:
    try:
        write_file(path, data)
    except OSError as error:  # a cache: made again on demand
        log.warning("cannot write thumbnail %s: %s", path, error)


class ThumbnailFiles:
    """Thumbnail files written by a few threads beside the catalog writer. Creating a file
    costs more than a photo's rows (0.1-0.3 ms each, 4 per photo from a cluster: the photo's
    and 3 faces'), so results arriving from many workers would wait on them; here the
    writer's next transaction overlaps them. At most MAX_PENDING writes wait; `close()`
    waits for all (a run ends with its thumbnails on disk; a kill loses only cache files,
    made again on demand)."""

    MAX_PENDING = 512

    def __init__(self, threads: int = 2) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="faceshelf-thumbs")
        self.pending: collections.deque = collections.deque()

    def write(self, path: Path, data: bytes) -> None:
        while self.pending and (self.pending[0].done() or len(self.pending) >= self.MAX_PENDING):
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(_write_thumb, path, data))

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.pending.clear()


def _apply_tags(conn, result: PhotoResult, face_ids: list[int], report) -> None:
    if not (result.tagged or result.tag_names or result.tag_problems):
        conn.execute("DELETE FROM tag_notes WHERE photo_id=?", (result.photo_id,))
        return
    from .tags.apply import ImportReport, People, apply_photo_tags, record_notes

    report = report if report is not None else ImportReport()
    path = conn.execute("SELECT path FROM photos WHERE id=?", (result.photo_id,)).fetchone()[0]
    tagged = [(face_ids[i], name, source, created) for i, name, source, created in result.tagged]
    outcomes = apply_photo_tags(conn, People(conn), report, result.photo_id, path, tagged,
                                result.tag_names)
    report.problems += [(path, problem) for problem in result.tag_problems]
    record_notes(conn, result.photo_id, result.tag_problems, outcomes)


# -- a photo indexed again keeps its names -------------------------------------------------

CARRY_IOU = 0.5  # a new face this much over an old one is the same face


def _earlier_faces(conn, photo_id: int) -> tuple[list[tuple], list[tuple]]:
    """What the user and the people core said about the photo's faces before it is indexed
    again, in two lists (one pass over the photo's faces and rejections):
    - detected or imported faces: (box, person, assigned_by, ignored, rejections) per face
      that carries anything;
    - faces drawn by hand, every one: (id, box, person, assigned_by, ignored, rejections)."""
    rows = conn.execute(
        "SELECT id, x1, y1, x2, y2, person_id, assigned_by, ignored, source IS 'manual' "
        "FROM faces WHERE photo_id=?", (photo_id,)).fetchall()
    if not rows:
        return [], []
    rejections: dict[int, list[int]] = collections.defaultdict(list)
    for face_id, person in conn.execute(
            "SELECT r.face_id, r.person_id FROM face_rejections r JOIN faces f "
            "ON f.id = r.face_id WHERE f.photo_id=?", (photo_id,)):
        rejections[face_id].append(person)
    earlier, drawn = [], []
    for face_id, x1, y1, x2, y2, person, by, ignored, manual in rows:
        rejected = rejections.get(face_id, [])
        if manual:
            drawn.append((face_id, (x1, y1, x2, y2), person, by, ignored, rejected))
        elif person is not None or ignored or rejected:
            earlier.append(((x1, y1, x2, y2), person, by, ignored, rejected))
    return earlier, drawn


def _carry_over(conn, earlier: list[tuple], face_ids: list[int], boxes: list) -> list[int]:
    """Each old face's name (or ignore, or "not this person") goes to the new face in its
    place: editing a photo (colours, metadata) or changing the model must not lose names.
    Returns the positions in `earlier` that found a new face."""
    taken: set[int] = set()
    carried: list[int] = []
    now = time.time()
    for position, (box, person, by, ignored, rejected) in enumerate(earlier):
        best, best_iou = None, CARRY_IOU
        for i, new_box in enumerate(boxes):
            overlap = _iou(box, new_box)
            if i not in taken and overlap >= best_iou:
                best, best_iou = i, overlap
        if best is None:
            continue
        taken.add(best)
        carried.append(position)
        conn.execute("UPDATE faces SET person_id=(SELECT id FROM people WHERE id=?), "
                     "assigned_by=?, ignored=? WHERE id=?",
                     (person, by if person is not None else None, ignored, face_ids[best]))
        conn.executemany("INSERT OR IGNORE INTO face_rejections(face_id, person_id, at) "
                         "SELECT ?, id, ? FROM people WHERE id=?",
                         [(face_ids[best], now, p) for p in rejected])
    return carried


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


# -- choosing the model pack ----------------------------------------------------------------

def resolve_pack(catalog: Catalog, pack=None):
    """The pack to index with: the one asked for (remembered in the catalog), else the one the
    catalog was indexed with, else the bundled default."""
    from .faces.model_files import ModelPack, find_pack

    if isinstance(pack, ModelPack):
        return pack
    if pack is not None:
        resolved = find_pack(str(pack))
        catalog.set_meta("model_pack", str(pack))
        return resolved
    return find_pack(catalog.get_meta("model_pack"))


def requeue_other_models(catalog: Catalog, model_id: str) -> int:
    """Photos indexed with another model go back to pending: embeddings of two models are
    never compared, so the library is re-indexed with the current one."""
    with catalog.transaction() as conn:
        return conn.execute("UPDATE photos SET status='pending' WHERE status='indexed' "
                            "AND model_id IS NOT NULL AND model_id != ?", (model_id,)).rowcount


# -- the job --------------------------------------------------------------------------------

def default_workers() -> int:
    """One worker per core this process may run on (a container's CPU set, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def index(catalog: Catalog, roots=None, *, workers: int | None = None,
          cancel: CancelToken | None = None, pack=None, analyzer=None,
          det_size: int = 640, det_thresh: float | None = None,
          scan: bool = True, executor: "ExecutorFactory | None" = None) -> Iterator[Progress]:
    """Scan the roots (all of them when None), then index every pending photo.

    `workers`: processes (default one per core); 0 runs in this process, and so does passing
    a loaded `analyzer` (tests, a GUI that already has one). `pack`: a pack name or folder
    (remembered by the catalog), default the catalog's. `executor`: where the photos are
    analysed instead (see AnalysisExecutor); this process stays the catalog's only writer.
    The last Progress has stage "index" and, when the token stopped the run, message
    "cancelled" (the photos not reached stay pending for the next run).
    """
    with exclusive_index(catalog.dir):  # IndexBusy when another process is indexing it
        drop_outdated_face_thumbs(catalog.dir)  # (made again on demand, the current way)
        yield from _index(catalog, roots, workers=workers, cancel=cancel or CancelToken(),
                          pack=pack, analyzer=analyzer, det_size=det_size,
                          det_thresh=det_thresh, scan=scan, executor=executor)


def _index(catalog, roots, *, workers, cancel, pack, analyzer, det_size, det_thresh,
           scan, executor) -> Iterator[Progress]:
    if analyzer is not None:
        model_pack = analyzer.models.pack
    else:
        model_pack = resolve_pack(catalog, pack)
    settings = {"det_size": det_size}
    if det_thresh is not None:
        settings["det_thresh"] = det_thresh
    if executor is None:
        executor = _local_executor(workers, analyzer)
    analysis = executor(catalog, model_pack, settings)
    try:
        if roots or _has_pending(catalog):
            # Folders given (or photos left over): there is work, most likely. The models
            # load (1-2 s) while the folders are scanned, not after.
            analysis.warm_up()
        yield from _scan_then_index(catalog, roots, cancel, model_pack, scan, analysis)
    finally:
        analysis.close()  # a no-op once its results were all read


def _has_pending(catalog) -> bool:
    return catalog.execute("SELECT 1 FROM photos WHERE status='pending' LIMIT 1").fetchone() \
        is not None


def _scan_then_index(catalog, roots, cancel, model_pack, scan,
                     analysis: "AnalysisExecutor") -> Iterator[Progress]:
    if scan:
        from .scan import scan_folders

        for progress in scan_folders(catalog, roots, cancel):
            yield progress
    if cancel.cancelled:
        yield Progress(stage="index", message="cancelled")
        return
    requeued = requeue_other_models(catalog, model_pack.model_id)
    if requeued:
        log.info("%d photos indexed with another model go back to pending", requeued)
    pending = [(row[0], row[1]) for row in catalog.execute(
        "SELECT id, path FROM photos WHERE status='pending' ORDER BY id")]
    _forget_photo_thumbs(catalog.dir, [photo_id for photo_id, _ in pending])
    tracker = _Tracker(len(pending))
    yield tracker.progress()
    if not pending:
        return
    # Results from other machines bring their photo thumbnails too: written beside the writer.
    files = ThumbnailFiles() if getattr(analysis, "thumbnails_shipped", False) else None
    try:
        for result in analysis.results(pending, cancel):
            face_ids = write_result(catalog, result, model_pack.model_id, files=files)
            tracker.count(result, len(face_ids))
            yield tracker.progress()
    finally:
        if files is not None:
            files.close()
    if cancel.cancelled:
        yield tracker.progress(message="cancelled")


def _forget_photo_thumbs(catalog_dir: Path, photo_ids: list[int]) -> None:
    """A pending photo is new or changed, and photo ids can be reused after a removal: its
    cached thumbnail, if any, may show another picture. The worker writes a fresh one."""
    for photo_id in photo_ids:
        try:
            photo_thumb_path(catalog_dir, photo_id).unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("cannot remove stale thumbnail of photo %s: %s", photo_id, error)


class _Tracker:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = self.faces = self.errors = 0
        self.first_done_at: float | None = None

    def count(self, result: PhotoResult, faces: int) -> None:
        now = time.monotonic()
        if self.first_done_at is None:
            self.first_done_at = now
        self.done += 1
        self.faces += faces
        self.errors += result.error is not None

    def progress(self, message: str = "") -> Progress:
        rate = eta = None
        if self.first_done_at is not None and self.done > 1:
            elapsed = time.monotonic() - self.first_done_at
            if elapsed > 0:
                # From the first result on: model loading is not part of the steady rate.
                rate = (self.done - 1) / elapsed
                # The first seconds say little (one worker may still be loading, a first
                # group photo has 20 faces): a time left only once the rate has settled.
                if rate > 0 and elapsed >= ETA_AFTER_S:
                    eta = (self.total - self.done) / rate
        return Progress(stage="index", done=self.done, total=self.total, rate=rate, eta_s=eta,
                        counters={"faces": self.faces, "errors": self.errors}, message=message)


# -- where photos are analysed ---------------------------------------------------------------

class AnalysisExecutor(Protocol):
    """Runs the heavy step of indexing (decode, detect, embed, thumbnails) for pending photos
    and yields their PhotoResults, in any order, to the caller: the catalog's single writer.
    Here: this process, or local worker processes; another executor (a cluster's client)
    plugs in through `index(executor=...)`."""

    def warm_up(self) -> None:
        """Start loading the models: called before the scan when there is work, likely."""

    def results(self, pending: list[tuple[int, str]],
                cancel: CancelToken) -> Iterator[PhotoResult]:
        """(photo id, path) in, one PhotoResult per photo out, until done or cancelled."""

    def close(self) -> None:
        """Stop whatever still runs (after the results were read, or an early stop)."""


# How an executor is made for one run: (the catalog, read-only for it: this process writes;
# the model pack; the analyzer's settings).
ExecutorFactory = Callable[[Catalog, object, dict], AnalysisExecutor]


def _local_executor(workers: int | None, analyzer) -> ExecutorFactory:
    """This process (workers=0, or a loaded analyzer given), else worker processes."""
    workers = default_workers() if workers is None else max(0, workers)
    if workers == 0 or analyzer is not None:
        return lambda catalog, pack, settings: InProcessAnalysis(catalog.dir, pack, settings,
                                                                 analyzer)
    return lambda catalog, pack, settings: WorkerProcesses(catalog.dir, pack, settings, workers)


class InProcessAnalysis:
    """Analysis in the calling process (tests, the GUI's search by an outside photo)."""

    def __init__(self, catalog_dir: Path, pack, settings: dict, analyzer=None) -> None:
        self.catalog_dir, self.pack, self.settings = catalog_dir, pack, settings
        self.analyzer = analyzer

    def warm_up(self) -> None:
        pass  # the models load on the first photo

    def results(self, pending, cancel) -> Iterator[PhotoResult]:
        if self.analyzer is None:
            from .faces.analyzer import FaceAnalyzer

            self.analyzer = FaceAnalyzer(self.pack, threads=default_workers(), **self.settings)
        for photo_id, path in pending:
            if cancel.cancelled:
                return
            yield analyze_photo(self.analyzer, self.catalog_dir, photo_id, path)

    def close(self) -> None:
        pass


class WorkerProcesses:
    """Analysis in `count` local worker processes (see _WorkerPool)."""

    def __init__(self, catalog_dir: Path, pack, settings: dict, count: int) -> None:
        self.catalog_dir, self.pack, self.settings, self.count = (catalog_dir, pack, settings,
                                                                  count)
        self.pool: _WorkerPool | None = None

    def warm_up(self) -> None:
        if self.pool is None:
            self.pool = _WorkerPool(self.catalog_dir, self.pack, self.settings, self.count)

    def results(self, pending, cancel) -> Iterator[PhotoResult]:
        if self.pool is None:  # not warmed up: no more workers than photos
            self.pool = _WorkerPool(self.catalog_dir, self.pack, self.settings,
                                    min(self.count, len(pending)))
        yield from _run_workers(pending, self.pool, cancel)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.stop(finished=False)  # a no-op after _run_workers stopped them


# -- worker processes -----------------------------------------------------------------------

def _worker_main(slot: int, pack, settings: dict, catalog_dir: str, inbox, outbox) -> None:
    """Entry point of a worker process: load the models, then analyse photos until told to
    stop (None) or until the parent disappears (kill -9 of the parent leaves no orphans)."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass
    import cv2

    cv2.setNumThreads(1)  # one core per worker; OpenCV's pool would fight the other worker
    try:
        from .faces.analyzer import FaceAnalyzer

        analyzer = FaceAnalyzer(pack, threads=1, **settings)
    except Exception as error:
        outbox.put(("fatal", slot, f"{type(error).__name__}: {error}"))
        return
    outbox.put(("ready", slot, None))
    parent = multiprocessing.parent_process()
    directory = Path(catalog_dir)
    while True:
        if parent is not None and not parent.is_alive():
            # Nobody reads the results any more, and the other worker keeps the pipe open, so
            # flushing them at exit would wait forever on a full pipe (each orphan held
            # ~0.5 GB): drop them.
            outbox.cancel_join_thread()
            return
        try:
            task = inbox.get(timeout=1.0)
        except queue.Empty:
            continue
        if task is None:
            return
        photo_id, path = task
        outbox.put(("done", slot, analyze_photo(analyzer, directory, photo_id, path)))


class _Worker:
    def __init__(self, context, slot, pack, settings, catalog_dir, outbox) -> None:
        self.slot = slot
        self.ready = False
        self.told_to_stop = False
        self.inbox = context.Queue()
        self.assigned: collections.deque = collections.deque()
        self.process = context.Process(
            target=_worker_main, name=f"faceshelf-index-{slot}", daemon=True,
            args=(slot, pack, settings, str(catalog_dir), self.inbox, outbox))
        self.process.start()

    def give(self, task) -> None:
        self.assigned.append(task)
        self.inbox.put(task)

    def ask_to_stop(self) -> None:
        """The stop signal, read once the worker is between photos."""
        if not self.told_to_stop and self.process.is_alive():
            self.told_to_stop = True
            try:
                self.inbox.put(None)
            except (OSError, ValueError):
                pass

    def stop(self, *, wait: float) -> None:
        if self.process.is_alive() and wait > 0:
            self.ask_to_stop()
            self.process.join(wait)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.inbox.cancel_join_thread()
        self.inbox.close()


# The resource tracker is a process of its own, started with our interpreter's -W options;
# its one warning here is that it unlinked the queues' semaphores of a process killed with -9
# (a plain kill stops cleanly: core.cli.terminal.interruptible). It did the cleaning; the
# warning is noise.
_TRACKER_QUIET = "ignore::UserWarning:multiprocessing.resource_tracker"


def _quiet_resource_tracker() -> None:
    """Before the first queue: the tracker starts with the first semaphore."""
    if _TRACKER_QUIET not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_QUIET)


class _WorkerPool:
    """The worker processes of one run and the queue they answer on; started as soon as it
    is made (the models load meanwhile)."""

    def __init__(self, catalog_dir: Path, pack, settings: dict, count: int) -> None:
        self.context = multiprocessing.get_context("spawn")
        _quiet_resource_tracker()
        self.outbox = self.context.Queue()
        self.pack, self.settings, self.catalog_dir = pack, settings, catalog_dir
        self.started = time.monotonic()   # for the debug timeline: ready, first result, stop
        self.workers = {slot: self.start(slot) for slot in range(count)}
        self.stopped = False

    def start(self, slot: int) -> "_Worker":
        return _Worker(self.context, slot, self.pack, self.settings, self.catalog_dir,
                       self.outbox)

    def stop(self, *, finished: bool) -> None:
        if self.stopped:
            return
        self.stopped = True
        stopping = time.monotonic()
        if finished:
            for worker in self.workers.values():
                worker.ask_to_stop()  # all at once: they wind down side by side
        for worker in self.workers.values():
            # A worker still loading its models when the work ran out (more workers than
            # photos) is not waited for: it would only read its stop signal once loaded.
            worker.stop(wait=5 if finished and worker.ready else 0)
        self.outbox.cancel_join_thread()
        self.outbox.close()
        log.debug("workers stopped in %.2f s", time.monotonic() - stopping)


def _run_workers(pending, pool: _WorkerPool, cancel) -> Iterator[PhotoResult]:
    from .faces.model_files import ModelError

    todo = collections.deque(pending)
    restarts = collections.Counter()
    workers, outbox = pool.workers, pool.outbox
    finished = False
    try:
        while todo or any(w.assigned for w in workers.values()):
            if cancel.cancelled:
                return
            for worker in workers.values():
                while todo and len(worker.assigned) <= PREFETCH:
                    worker.give(todo.popleft())
            try:
                kind, slot, payload = outbox.get(timeout=0.25)
            except queue.Empty:
                yield from _replace_dead(workers, todo, restarts, pool)
                continue
            if kind == "fatal":
                raise ModelError(f"the indexing worker could not load the models: {payload}")
            worker = workers[slot]
            if kind == "ready":
                worker.ready = True
                log.debug("worker %d ready %.2f s after the pool started", slot,
                          time.monotonic() - pool.started)
                continue
            if worker.assigned and worker.assigned[0][0] == payload.photo_id:
                worker.assigned.popleft()
            yield payload
        finished = True
    finally:
        pool.stop(finished=finished)


def _replace_dead(workers, todo, restarts, pool: _WorkerPool) -> Iterator[PhotoResult]:
    """A worker that died (a decoder crash, the OOM killer) takes the blame for the photo it
    was on, recorded as an error; its queued photos go to the others; a new worker starts."""
    for slot, worker in list(workers.items()):
        if worker.process.is_alive():
            continue
        code = worker.process.exitcode
        if not worker.ready:
            # Dying before the models loaded is not the photo's fault (a script that starts
            # indexing without `if __name__ == "__main__":` makes every spawned worker fail).
            raise RuntimeError(f"an indexing worker failed to start (exit code {code}); "
                               "see the messages above")
        if worker.assigned:
            photo_id, path = worker.assigned.popleft()
            log.warning("worker %d died (exit code %s) on %s", slot, code, path)
            yield PhotoResult(photo_id, error=f"the indexing process crashed on this photo "
                                              f"(exit code {code})")
            todo.extendleft(reversed(worker.assigned))
            worker.assigned.clear()
        worker.stop(wait=0)
        restarts[slot] += 1
        if restarts[slot] > MAX_RESTARTS:
            del workers[slot]
            if not workers:
                raise RuntimeError("every indexing worker crashed; see the log")
            continue
        workers[slot] = pool.start(slot)
