"""The live search index of a catalog: the current generation plus an exact delta, rebuilt in
the background; and building a generation from the catalog.

Results are always complete: faces added since the build (faces.id is AUTOINCREMENT, so
"id > stamp.max_face_id" is exactly "added since") are searched exactly with numpy and merged;
deleted and ignored faces are filtered by the caller's join with the faces table. Ignored faces
stay in the index on purpose, so un-ignoring (undo) takes effect at once, without a rebuild.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..cache_seal import CacheDamaged
from ..catalog import EMBEDDING_DIM, embeddings_from_blobs
from ..jobs import CancelToken, Progress
from .stored_index import (BITS_Z, DEFAULT_DIMS, DEFAULT_KIND, DEFAULT_TREES,  # noqa: F401
                         EXPANSIONS, KINDS, hamming_bar, sign_codes,
                         SCAN_CUT, SEARCH_K_PER_ITEM, Generation, IndexStamp, merge_best,
                         build_generation, index_key, pointer_path, pointer_problem,
                         read_stamp,
                         stale_temp_dirs)

log = logging.getLogger(__name__)

MIN_INDEXED = 5_000      # below this many faces exact search is as fast: no index is built
DELTA_LIMIT = 10_000     # rebuild when more faces than this were added since the build,
DELTA_SHARE = 0.05       # and more than this share of the indexed ones (exact delta stays cheap)
DEAD_FRACTION = 0.10     # ... or when this share of the indexed faces was deleted

INDEXABLE = "model_id = ? AND usable = 1"


# -- the live index of a catalog ----------------------------------------------------------

class SearchIndex:
    """Queries over one model's faces: the current generation (if any) plus the exact delta.

    One per catalog folder and model id per process (`for_catalog`); thread-safe."""

    _open: dict[tuple[str, str], "SearchIndex"] = {}
    _open_lock = threading.Lock()

    def __init__(self, index_dir: Path, model_id: str) -> None:
        self.index_dir = Path(index_dir)
        self.model_id = model_id
        self._lock = threading.RLock()
        self._pointer_sig: tuple | None = None
        self.generation: Generation | None = None
        self._delta_after = 0
        self._delta_ids = np.empty(0, np.int64)
        self._delta_vectors = np.empty((0, EMBEDDING_DIM), np.float32)
        self._rebuild_thread: threading.Thread | None = None
        self.damaged: str | None = None  # why the last generation was discarded, if it was
        self._damaged_generations: set[str] = set()

    @classmethod
    def for_catalog(cls, catalog, model_id: str) -> "SearchIndex":
        key = (str(catalog.dir), model_id)
        with cls._open_lock:
            if key not in cls._open:
                cls._open[key] = cls(catalog.index_dir, model_id)
            return cls._open[key]

    @classmethod
    def forget_all(cls) -> None:
        """Drop every open index of this process (tests; a catalog being closed for good)."""
        with cls._open_lock:
            for index in cls._open.values():
                index.wait_for_rebuild()
                if index.generation:
                    index.generation.close()
            cls._open.clear()

    # -- keeping up with the disk and the catalog -----------------------------------------
    def _refresh_generation(self) -> None:
        path = pointer_path(self.index_dir, self.model_id)
        try:
            st = path.stat()
            sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            sig = None
        if sig == self._pointer_sig:
            return
        stamp = read_stamp(self.index_dir, self.model_id)
        if stamp is None and sig is not None and (problem := pointer_problem(
                self.index_dir, self.model_id)):  # garbage, or an older version's
            log.warning("search index not used: %s; searching exactly until it is rebuilt",
                        problem)
            self.damaged = problem
        if stamp is not None and stamp.generation in self._damaged_generations:
            stamp = None  # could not be deleted (a read-only folder): never used again
        old = self.generation
        try:
            self.generation = Generation(self.index_dir, stamp) if stamp else None
        except CacheDamaged as error:
            self._discard_damaged(stamp, error)
            self.generation = None
        except OSError as error:  # deleted under us by a newer build: take the newest next time
            log.warning("search index unreadable (%s); searching exactly until rebuilt", error)
            self.generation = None
            sig = None
        self._pointer_sig = sig
        if old is not None:
            old.close()
        # The delta restarts from the new stamp.
        self._delta_after = self.generation.stamp.max_face_id if self.generation else 0
        self._delta_ids = np.empty(0, np.int64)
        self._delta_vectors = np.empty((0, EMBEDDING_DIM), np.float32)

    def _discard_damaged(self, stamp: IndexStamp, error: Exception) -> None:
        """A generation whose checksums or vectors are wrong is never used again: its pointer
        and folder go (unless a newer build already replaced them), searches run exactly on
        the catalog, and `damaged` makes needs_rebuild say yes."""
        log.warning("search index damaged (%s): discarded; searching exactly until it is "
                    "rebuilt", error)
        self.damaged = str(error)
        self._damaged_generations.add(stamp.generation)
        with contextlib.suppress(OSError):
            if read_stamp(self.index_dir, self.model_id) == stamp:
                pointer_path(self.index_dir, self.model_id).unlink()
                shutil.rmtree(Path(self.index_dir) / stamp.generation, ignore_errors=True)

    def _refresh_delta(self, conn) -> None:
        rows = conn.execute(
            f"SELECT id, embedding FROM faces WHERE id > ? AND {INDEXABLE} ORDER BY id",
            (self._delta_after, self.model_id)).fetchall()
        if not rows:
            return
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        vectors = embeddings_from_blobs(r[1] for r in rows)
        self._delta_ids = np.concatenate([self._delta_ids, ids])
        self._delta_vectors = np.concatenate([self._delta_vectors, vectors])
        self._delta_after = int(ids[-1])

    def refresh(self, conn) -> None:
        with self._lock:
            self._refresh_generation()
            self._refresh_delta(conn)

    @property
    def delta_size(self) -> int:
        return len(self._delta_ids)

    # -- queries ---------------------------------------------------------------------------
    def matches(self, conn, queries: np.ndarray, min_sim: float) -> dict[int, float]:
        """face id -> best cosine over `queries` [q, 512] (unit vectors), for every face of
        this model (indexed or added since) at or above `min_sim`. Deleted faces may appear:
        the caller joins with the faces table."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        with self._lock:
            self.refresh(conn)
            found: dict[int, float] = {}
            if self.generation is not None:
                try:
                    merge_best(found, *self.generation.matches_many(queries, min_sim))
                except CacheDamaged as error:  # a damaged row the load's sample missed
                    self._discard_damaged(self.generation.stamp, error)
                    self._pointer_sig = ()  # re-read: a newer build, or none and all exact
                    return self.matches(conn, queries, min_sim)
            if len(self._delta_ids):
                sims = self._delta_vectors @ queries.T
                best = sims.max(axis=1)
                keep = best >= min_sim
                merge_best(found, self._delta_ids[keep], best[keep])
        return found

    # -- rebuilding ------------------------------------------------------------------------
    def needs_rebuild(self, conn, *, count_dead: bool = True) -> bool:
        """Whether a rebuild is due: no generation yet, a large delta (searches get slower),
        or many indexed faces deleted since. `count_dead=False` skips the last, which reads
        every face row (0.25 s at 100k faces): for a one-shot search that only warns."""
        with self._lock:
            self.refresh(conn)
            indexed = self.generation.stamp.count if self.generation else 0
            total = indexed + self.delta_size
            if self.generation is None:
                return total >= MIN_INDEXED or (self.damaged is not None and total > 0)
            if self.delta_size > max(DELTA_LIMIT, DELTA_SHARE * indexed):
                return True
            if not count_dead:
                return False
            live = conn.execute(f"SELECT COUNT(*) FROM faces WHERE id <= ? AND {INDEXABLE}",
                                (self.generation.stamp.max_face_id, self.model_id)).fetchone()[0]
            return indexed - live > DEAD_FRACTION * indexed

    def rebuild_in_background(self, catalog, **options) -> threading.Thread | None:
        """Start a rebuild on a thread with its own catalog connection, unless one runs.
        Searches keep using the current generation and the delta until the swap."""
        with self._lock:
            if self._rebuild_thread and self._rebuild_thread.is_alive():
                return None

            def run() -> None:
                try:
                    with catalog.reader() as reader:
                        for _ in build_index(reader, self.model_id, **options):
                            pass
                except Exception:  # noqa: BLE001 - a failed rebuild leaves the old index
                    log.exception("search index rebuild failed; the old index stays in use")

            self._rebuild_thread = threading.Thread(target=run, name="search-index-rebuild",
                                                    daemon=True)
            self._rebuild_thread.start()
            return self._rebuild_thread

    def maybe_rebuild(self, catalog, **options) -> threading.Thread | None:
        """What the GUI and CLI call after indexing or a search: rebuild in the background
        when the delta or the dead share has grown."""
        if self.needs_rebuild(catalog.conn):
            return self.rebuild_in_background(catalog, **options)
        return None

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        thread = self._rebuild_thread
        if thread is not None:
            thread.join(timeout)


# -- from a catalog -----------------------------------------------------------------------

def current_model_id(catalog) -> str | None:
    """The model of the most recently stored face (the pack the library is indexed with)."""
    stored = catalog.get_meta("model_id")
    if stored:
        return stored
    row = catalog.execute("SELECT model_id FROM faces ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def _catalog_chunks(conn, model_id: str, max_face_id: int, size: int = 20_000,
                    ) -> Iterator[np.ndarray]:
    after = 0
    while True:
        rows = conn.execute(
            f"SELECT id, embedding FROM faces WHERE id > ? AND id <= ? AND {INDEXABLE} "
            f"ORDER BY id LIMIT ?", (after, max_face_id, model_id, size)).fetchall()
        if not rows:
            return
        after = rows[-1][0]
        yield embeddings_from_blobs(r[1] for r in rows)


@contextlib.contextmanager
def _build_lock(index_dir: Path, model_id: str):
    """One build per model at a time across processes (where fcntl exists)."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    path = Path(index_dir) / f"search-{index_key(model_id)}.lock"
    with open(path, "a") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: in-process threads are serialised by SearchIndex
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(catalog, model_id: str | None = None, *, kind: str = DEFAULT_KIND,
                n_trees: int = DEFAULT_TREES, dims: int | None = None, n_jobs: int = 1,
                cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Rebuild the search index of `model_id` (default: the current model) from the catalog.
    A snapshot read: faces added while building land in the next delta."""
    model_id = model_id or current_model_id(catalog)
    if model_id is None:
        return
    with _build_lock(catalog.index_dir, model_id):
        for path in stale_temp_dirs(catalog.index_dir):  # left by a killed build
            shutil.rmtree(path, ignore_errors=True)
        conn = catalog.conn
        conn.execute("BEGIN")  # one snapshot for the ids and the vectors
        try:
            revision = catalog.revision()
            ids, _ = _ids_only(conn, model_id)
            max_face_id = int(ids[-1]) if len(ids) else 0
            yield from build_generation(
                catalog.index_dir, model_id, ids, _catalog_chunks(conn, model_id, max_face_id),
                revision=revision, max_face_id=max_face_id, kind=kind, n_trees=n_trees,
                dims=dims, n_jobs=n_jobs, cancel=cancel)
        finally:
            conn.execute("COMMIT")


def _ids_only(conn, model_id: str) -> tuple[np.ndarray, None]:
    rows = conn.execute(f"SELECT id FROM faces WHERE {INDEXABLE} ORDER BY id",
                        (model_id,)).fetchall()
    return np.fromiter((r[0] for r in rows), np.int64, len(rows)), None
