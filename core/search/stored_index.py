"""One generation of the search index on disk: building it, publishing it atomically, and
answering "which faces are at or above this cosine" from it.

On disk, per model id, in `catalog.index_dir`:

    search-<key>.json          the pointer: which generation is current, and its stamp
    search-<key>-<gen>/        one generation, never modified after it is published
        ids.npy                int64 [n], faces.id of each row
        vectors.npy            float32 [n, 512], memory-mapped: the exact cosine of every result
        projection.npy         float32 [512, d]: PCA basis fitted on the library
        projected.npy          float32 [n, d] (kind "scan"): what a query scans
        tree.ann               annoy trees over the projected vectors (kind "annoy")
        planes.npy             float32 [512, B] (kind "bits"): seeded random hyperplanes
        codes.npy              uint64 [B/64, n] (kind "bits"): sign bits, one word row per
                               64 planes, so a query streams B/8 bytes per face
        seal.json              what it was built from and a CRC32 of every 1 MiB block of
                               every file (core/cache_seal.py)

Opening a generation checks its seal: every block of the files scanned whole by each query
(ids, codes, planes, projection, projected, tree), and of vectors.npy (2 KB a face, only the
candidates' rows are read) the header, first, last and 8 random blocks; and every vector row a
query re-ranks on must be a unit vector. Damage raises CacheDamaged; SearchIndex then drops the
generation, answers exactly from the catalog, and rebuilds.

A build writes a new generation under a temporary name, renames it, then replaces the pointer
with os.replace: readers see the old generation or the new one, never a half. Open readers keep
their memory maps of an old generation after it is deleted (POSIX keeps the inode alive).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..cache_seal import CacheDamaged, check_folder, seal
from ..catalog import EMBEDDING_DIM
from ..jobs import CancelToken, Progress
from . import hamming

log = logging.getLogger(__name__)

FORMAT = 2               # 2: generations carry seal.json
# Chosen by measurement (bench/search_scale.py, README search section).
DEFAULT_KIND = "bits"
DEFAULT_DIMS = {"annoy": 64, "scan": 128, "bits": 768}   # "bits": code length B (x 64)
KINDS = ("bits", "scan", "annoy")
BITS_Z = 2.0             # bits: the Hamming bar sits this many std above the threshold's mean
BITS_SEED = 20_240_611   # the hyperplanes are stored with the index; the seed only fixes them
BITS_CHUNKS = 4          # row chunks per query, shared by
BITS_THREADS = 2         # this many threads (numpy releases the GIL in the ufuncs)
SCAN_CUT = 0.55          # scan: candidates are the projected scores >= this x the threshold
SCAN_ROWS = 262_144      # scan in blocks: bounded temporary memory for many queries
DEFAULT_TREES = 32
FIRST_K = 64             # candidates asked of annoy first; grows while most are matches
SEARCH_K_PER_ITEM = 64   # annoy search_k = this x k (annoy's default is n_trees x k)
EXPANSIONS = 2           # probes around the centre of the matches found so far


@dataclass(frozen=True)
class IndexStamp:
    model_id: str
    generation: str          # folder name of the generation
    revision: int            # catalog revision the build read
    max_face_id: int         # faces with a larger id were added since
    count: int
    n_trees: int             # annoy trees (0 for a projected scan)
    dims: int                # dimension of the candidate search (512: no projection)
    built_at: float
    build_seconds: float
    kind: str = "annoy"      # "annoy" trees, "scan" of the projected vectors, or "bits":
                             # Hamming scan of sign codes (dims = code length B)
    format: int = FORMAT


def built_from(stamp: IndexStamp) -> dict:
    """What a generation's seal must say it was built from (its own stamp, not another's)."""
    return {"model_id": stamp.model_id, "generation": stamp.generation,
            "revision": stamp.revision, "max_face_id": stamp.max_face_id, "count": stamp.count,
            "kind": stamp.kind, "dims": stamp.dims, "dtype": "<f4",
            "shape": [stamp.count, EMBEDDING_DIM]}


def index_key(model_id: str) -> str:
    return hashlib.sha1(model_id.encode()).hexdigest()[:12]


def pointer_path(index_dir: Path, model_id: str) -> Path:
    return Path(index_dir) / f"search-{index_key(model_id)}.json"


def pointer_problem(index_dir: Path, model_id: str) -> str | None:
    """Why a pointer file that is there gives no stamp (None: it is fine, or absent)."""
    path = pointer_path(index_dir, model_id)
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        return f"{path} is unreadable ({error})"
    if not isinstance(data, dict) or data.get("model_id") != model_id:
        return f"{path} is not a search index pointer of this model"
    if data.get("format") != FORMAT:
        return f"{path} was written by another version (format {data.get('format')})"
    try:
        IndexStamp(**data)
    except TypeError as error:
        return f"{path} is damaged ({error})"
    return None


def read_stamp(index_dir: Path, model_id: str) -> IndexStamp | None:
    try:
        data = json.loads(pointer_path(index_dir, model_id).read_text())
        stamp = IndexStamp(**data)
    except (OSError, ValueError, TypeError):
        return None
    return stamp if stamp.format == FORMAT and stamp.model_id == model_id else None


# -- building -----------------------------------------------------------------------------

def _write_npy_stream(path: Path, rows: int, chunks: Iterable[np.ndarray],
                      sample_step: int | None) -> np.ndarray:
    """Write a float32 [rows, 512] .npy from chunks with plain writes (no array of the whole
    library in memory, no memory map counted against the process); return every
    `sample_step`-th row, to fit the projection on (none when None)."""
    header = {"descr": "<f4", "fortran_order": False, "shape": (rows, EMBEDDING_DIM)}
    written = 0
    sample = []
    with open(path, "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, header)
        for chunk in chunks:
            chunk = np.ascontiguousarray(chunk, dtype=np.float32)
            stream.write(chunk.tobytes())
            if sample_step:  # copies: a slice would keep its whole chunk alive
                sample.append(chunk[(-written) % sample_step::sample_step].copy())
            written += len(chunk)
    if written != rows:
        raise RuntimeError(f"index build: expected {rows} vectors, got {written}")
    return np.concatenate(sample) if sample else np.empty((0, EMBEDDING_DIM), np.float32)


def _read_blocks(path: Path, projection: np.ndarray | None, cancel: CancelToken,
                 size: int = 20_000) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, block [projected]) of a .npy written by _write_npy_stream, read with plain
    reads: a million faces never sit in the process's memory."""
    with open(path, "rb") as stream:
        np.lib.format.read_magic(stream)
        shape, _, _ = np.lib.format.read_array_header_1_0(stream)
        for start in range(0, shape[0], size):
            cancel.raise_if_cancelled()
            count = min(size, shape[0] - start)
            block = np.fromfile(stream, np.float32, count * EMBEDDING_DIM)
            block = block.reshape(count, EMBEDDING_DIM)
            yield start, (block @ projection if projection is not None else block)


def fit_projection(vectors: np.ndarray, dims: int) -> np.ndarray:
    """PCA basis [512, dims] (no centring: cosine geometry is kept around the origin)."""
    sample = np.asarray(vectors, dtype=np.float32)
    # eigh of the 512x512 second-moment matrix: an SVD of the sample is ~100x slower
    values, vecs = np.linalg.eigh((sample.T @ sample).astype(np.float64))
    order = np.argsort(values)[::-1][:dims]
    return np.ascontiguousarray(vecs[:, order], dtype=np.float32)


def build_generation(index_dir: Path, model_id: str, ids: np.ndarray,
                     chunks: Iterable[np.ndarray], *, revision: int, max_face_id: int,
                     kind: str = DEFAULT_KIND, n_trees: int = DEFAULT_TREES,
                     dims: int | None = None, n_jobs: int = 1,
                     cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Build and publish a generation from `ids` and their vectors (in `chunks`, same order).
    Yields Progress; `read_stamp` then tells what was published."""
    if kind not in KINDS:
        raise ValueError(f"unknown search index kind {kind!r}")
    cancel = cancel or CancelToken()
    dims = dims or DEFAULT_DIMS[kind]
    if kind == "bits" and (dims % 64 or dims > 4096):
        raise ValueError(f"bits index: code length {dims} is not a multiple of 64 (<= 4096)")
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    generation = (f"search-{index_key(model_id)}-{time.strftime('%Y%m%d%H%M%S')}-"
                  f"{uuid.uuid4().hex[:6]}")
    tmp = index_dir / (generation + ".tmp")
    tmp.mkdir()
    n = len(ids)
    try:
        yield Progress("search index", 0, n, message="writing vectors")
        np.save(tmp / "ids.npy", np.asarray(ids, dtype=np.int64))
        # Bits need no PCA (the codes are of the whole vector), nor does a full-size scan.
        fits = kind != "bits" and dims < EMBEDDING_DIM
        sample = _write_npy_stream(tmp / "vectors.npy", n, chunks,
                                   max(1, n // 50_000) if fits else None)
        projection = None
        if kind == "bits":
            pass
        elif fits and n:
            projection = fit_projection(sample, dims)
            np.save(tmp / "projection.npy", projection)
        else:
            dims = EMBEDDING_DIM
        del sample
        vectors = tmp / "vectors.npy"
        if kind == "annoy":
            yield from _build_trees(tmp, vectors, n, projection, dims, n_trees, n_jobs, cancel)
        elif kind == "bits":
            yield from _write_codes(tmp, vectors, n, dims, cancel)
            n_trees = 0
        else:
            yield from _write_projected(tmp, vectors, n, projection, cancel)
            n_trees = 0
        cancel.raise_if_cancelled()
        stamp = IndexStamp(model_id=model_id, generation=generation, revision=revision,
                           max_face_id=int(max_face_id), count=n, n_trees=n_trees, dims=dims,
                           built_at=time.time(), build_seconds=time.monotonic() - started,
                           kind=kind)
        seal(tmp, built_from(stamp))
        os.rename(tmp, index_dir / generation)
        _publish(index_dir, stamp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_generations(index_dir, model_id, keep=generation)
    log.info("search index %s: %s, %d faces, %.1f s", generation, kind, n, stamp.build_seconds)
    yield Progress("search index", n, n, message="done")


def _build_trees(folder: Path, vectors: Path, n: int, projection, dims: int, n_trees: int,
                 n_jobs: int, cancel: CancelToken) -> Iterator[Progress]:
    from annoy import AnnoyIndex

    tree = AnnoyIndex(dims, "angular")
    tree.set_seed(1)
    tree.on_disk_build(str(folder / "tree.ann"))  # items go to the file, not to our heap
    for start, block in _read_blocks(vectors, projection, cancel):
        for offset, row in enumerate(block):
            tree.add_item(start + offset, row)
        yield Progress("search index", start + len(block), n, message="adding faces")
    cancel.raise_if_cancelled()
    yield Progress("search index", n, n, message=f"building {n_trees} trees")
    tree.build(n_trees, n_jobs)
    tree.unload()


def _write_projected(folder: Path, vectors: Path, n: int, projection, cancel: CancelToken,
                     ) -> Iterator[Progress]:
    if projection is None:
        return
    header = {"descr": "<f4", "fortran_order": False, "shape": (n, projection.shape[1])}
    with open(folder / "projected.npy", "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, header)
        for start, block in _read_blocks(vectors, projection, cancel):
            stream.write(np.ascontiguousarray(block, dtype=np.float32).tobytes())
            yield Progress("search index", start + len(block), n, message="projecting")


def random_planes(bits: int, seed: int = BITS_SEED) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((EMBEDDING_DIM, bits)).astype(np.float32)


def sign_codes(vectors: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """uint64 [n, B/64]: bit j of a face is "on the positive side of hyperplane j" (SimHash).
    Two faces at angle theta differ in each bit with probability theta / pi."""
    bits = np.packbits(np.asarray(vectors, np.float32) @ planes > 0, axis=1)
    return np.ascontiguousarray(bits).view("<u8")


def _write_codes(folder: Path, vectors: Path, n: int, bits: int, cancel: CancelToken,
                 ) -> Iterator[Progress]:
    planes = random_planes(bits)
    np.save(folder / "planes.npy", planes)
    if not n:
        np.save(folder / "codes.npy", np.empty((bits // 64, 0), "<u8"))
        return
    codes = np.lib.format.open_memmap(folder / "codes.npy", mode="w+", dtype="<u8",
                                      shape=(bits // 64, n))
    for start, block in _read_blocks(vectors, None, cancel):
        codes[:, start:start + len(block)] = sign_codes(block, planes).T
        yield Progress("search index", start + len(block), n, message="hashing")
    codes.flush()
    del codes


def hamming_bar(bits: int, min_sim: float, z: float = BITS_Z) -> int:
    """Largest Hamming distance kept as a candidate: a pair at exactly `min_sim` differs in
    Binomial(B, p) bits, p = arccos(min_sim) / pi; the bar is z std above its mean, so such a
    pair is kept with probability ~Phi(z) (99.7% at z = 2.8), closer pairs more often."""
    p = float(np.arccos(np.clip(min_sim, -1.0, 1.0)) / np.pi)
    return int(np.floor(bits * p + z * np.sqrt(bits * p * (1 - p))))


class _HammingScanner:
    """Hamming distances of query codes to every stored code: one compiled pass when numba is
    there and the work pays for loading it (core/search/hamming.py), else numpy over row
    chunks on a small thread pool, with buffers allocated once. The numpy scan goes in
    cache-sized blocks and every query of a person is scored on a block while it is in cache:
    many query faces still cost about one pass over the codes.

    `use_compiled`: True or False forces a side; None (the index's default) loads the
    compiled kernel only when a call scans more than COMPILE_AFTER code rows (rows x queries)
    or when this process has loaded it already: loading numba (and the scipy.linalg it pulls
    in) takes 0.5-0.8 s, which a one-shot `faceshelf search --face N` would pay for a 2 ms scan.
    """

    BLOCK = 16_384
    # numpy scans 40-70M code rows (768 bits) a second on two busy cores, so 30M take ~0.5 s:
    # about what loading the kernel costs (0.37 s from numba's disk cache, same machine).
    COMPILE_AFTER = 30_000_000

    def __init__(self, codes: np.ndarray, chunks: int, threads: int,
                 use_compiled: bool | None = None) -> None:
        self.codes = np.asarray(codes)  # a plain view of the map: what the compiled scan takes
        self.chunks, self.threads = chunks, threads
        self.use_compiled = use_compiled
        self.pool = None
        self.spans = None
        self.lock = threading.Lock()
        self.compiled = bool(use_compiled) and hamming.kernel() is not None
        if self.compiled:
            self.flags = np.empty(self.codes.shape[1], np.bool_)  # the compiled scan's buffer

    def _want_compiled(self, queries: int) -> bool:
        if self.compiled or self.use_compiled is False:
            return self.compiled
        if hamming.loaded() or self.codes.shape[1] * queries > self.COMPILE_AFTER:
            if hamming.kernel() is not None:
                self.flags = np.empty(self.codes.shape[1], np.bool_)
                self.compiled = True
        return self.compiled

    def _numpy_setup(self) -> None:
        words, n = self.codes.shape
        step = -(-n // max(1, self.chunks)) if n else 1
        self.spans = [(s, min(n, s + step)) for s in range(0, n, step)]
        block = min(self.BLOCK, step)
        self.buffers = [(np.empty((words, block), np.uint64), np.empty((words, block), np.uint8),
                         np.empty(block, np.uint16)) for _ in self.spans]
        if self.threads > 1 and len(self.spans) > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="search-bits")

    def _span(self, k: int, queries: np.ndarray, bar: int) -> list[np.ndarray]:
        a, b = self.spans[k]
        xor_all, count_all, distance_all = self.buffers[k]
        found = []
        for start in range(a, b, distance_all.shape[0]):
            end = min(b, start + distance_all.shape[0])
            xor, count = xor_all[:, :end - start], count_all[:, :end - start]
            distance = distance_all[:end - start]
            block = self.codes[:, start:end]
            for query in queries:
                # All words of the block at once: three calls instead of three per word
                # (numpy's per-call cost was a third of the scan).
                np.bitwise_xor(block, query[:, None], out=xor)
                np.bitwise_count(xor, out=count)
                np.add.reduce(count, axis=0, dtype=np.uint16, out=distance)
                found.append(start + np.flatnonzero(distance <= bar))
        return found

    def within(self, queries: np.ndarray, bar: int) -> np.ndarray:
        """Rows within Hamming distance `bar` of any of `queries` (uint64 [q, W]), ascending."""
        queries = np.atleast_2d(queries)
        if not self.codes.shape[1]:
            return np.empty(0, np.int64)
        if self._want_compiled(len(queries)):
            return hamming.within(self.codes, queries, bar, self.flags)
        with self.lock:
            if self.spans is None:
                self._numpy_setup()
            if self.pool is None:
                parts = [p for k in range(len(self.spans)) for p in self._span(k, queries, bar)]
            else:
                parts = [p for found in self.pool.map(lambda k: self._span(k, queries, bar),
                                                      range(len(self.spans))) for p in found]
        if not parts:
            return np.empty(0, np.int64)
        items = np.concatenate(parts)
        return np.unique(items) if len(queries) > 1 else items

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False)
            self.pool = None


def _publish(index_dir: Path, stamp: IndexStamp) -> None:
    target = pointer_path(index_dir, stamp.model_id)
    tmp = target.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
    with open(tmp, "w") as stream:
        json.dump(asdict(stamp), stream, indent=1)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, target)


def _remove_old_generations(index_dir: Path, model_id: str, keep: str) -> None:
    prefix = f"search-{index_key(model_id)}-"
    for path in Path(index_dir).glob(prefix + "*"):
        if path.is_dir() and path.name != keep and not path.name.endswith(".tmp"):
            shutil.rmtree(path, ignore_errors=True)  # open readers keep their maps


def stale_temp_dirs(index_dir: Path) -> list[Path]:
    return sorted(Path(index_dir).glob("search-*.tmp"))


# -- reading one generation ---------------------------------------------------------------

class Generation:
    """A published generation opened for queries: memory maps only, loads at no cost."""

    def __init__(self, index_dir: Path, stamp: IndexStamp) -> None:
        folder = Path(index_dir) / stamp.generation
        self.folder = folder
        self.stamp = stamp
        if not folder.is_dir():  # deleted under us by a newer build: not damage
            raise FileNotFoundError(f"search index {folder} is gone")
        # vectors.npy is only sampled when queries scan something else (see the module doc)
        whole_scan = stamp.kind == "scan" and not (folder / "projection.npy").exists()
        check_folder(folder, built_from(stamp), sampled=() if whole_scan else ("vectors.npy",))
        self.ids = np.load(folder / "ids.npy")
        self.vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        self.projection = (np.load(folder / "projection.npy")
                           if (folder / "projection.npy").exists() else None)
        self.first_k = FIRST_K
        self.search_k_per_item = SEARCH_K_PER_ITEM
        self.expansions = EXPANSIONS
        self.scan_cut = SCAN_CUT
        self.tree = None
        self.projected = None
        self.scanner = None
        self.bits_z = BITS_Z
        if stamp.kind == "bits":
            self.planes = np.load(folder / "planes.npy")
            codes = np.load(folder / "codes.npy", mmap_mode="r")
            self.scanner = _HammingScanner(codes, BITS_CHUNKS, BITS_THREADS)
            items = codes.shape[1]
        elif stamp.kind == "annoy":
            from annoy import AnnoyIndex

            self.tree = AnnoyIndex(stamp.dims, "angular")
            self.tree.load(str(folder / "tree.ann"))
            items = self.tree.get_n_items()
        else:
            self.projected = (np.load(folder / "projected.npy", mmap_mode="r")
                              if self.projection is not None else self.vectors)
            items = len(self.projected)
        if items != len(self.ids) or len(self.vectors) != len(self.ids):
            raise CacheDamaged(f"search index {folder} is inconsistent")

    def _rows(self, items: np.ndarray) -> np.ndarray:
        """The stored vectors of `items`, which are unit vectors unless the file was damaged
        where the load's sample did not look (noise makes wild or NaN norms)."""
        rows = np.asarray(self.vectors[items])
        norms = np.einsum("ij,ij->i", rows, rows)
        if not np.all(np.abs(norms - 1.0) < 1e-2):  # NaN fails too
            bad = int(items[np.flatnonzero(~(np.abs(norms - 1.0) < 1e-2))[0]])
            raise CacheDamaged(f"search index {self.folder}: vectors.npy row {bad} is not a "
                               f"unit vector")
        return rows

    def close(self) -> None:
        if self.tree is not None:
            self.tree.unload()
        if self.scanner is not None:
            self.scanner.close()

    def matches(self, query: np.ndarray, min_sim: float) -> tuple[np.ndarray, np.ndarray]:
        """(face ids, exact cosines) of the indexed faces with cosine >= min_sim to `query`."""
        return self.matches_many(query[None, :], min_sim)

    def matches_many(self, queries: np.ndarray, min_sim: float,
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(face ids, best exact cosine over `queries` [q, 512]) at or above min_sim."""
        if self.tree is not None:
            found: dict[int, float] = {}
            for query in queries:
                merge_best(found, *self._annoy(query, min_sim))
            return (np.fromiter(found, np.int64, len(found)),
                    np.fromiter(found.values(), np.float32, len(found)))
        if self.scanner is not None:
            return self._bits(queries, min_sim)
        return self._scan(queries, min_sim)

    def _bits(self, queries: np.ndarray, min_sim: float) -> tuple[np.ndarray, np.ndarray]:
        """Candidates are the faces within a Hamming bar of a query's code (a pass over B/8
        bytes per face: 96 MB at 1M faces and B = 768, vs 2 GB for the exact vectors; one pass
        for all of a person's faces); they are re-ranked on the stored vectors. Unlike trees,
        the bar keeps weak same-person pairs (cosine 0.35-0.45, ~70 degrees apart) with a
        known probability; unrelated faces (~90 degrees) pass it rarely (measured:
        bench/search_scale.py)."""
        bar = hamming_bar(self.stamp.dims, min_sim, self.bits_z)
        codes = sign_codes(queries, self.planes)
        items = self.scanner.within(codes, bar)
        if not len(items):
            return self.ids[:0], np.empty(0, np.float32)
        sims = (self._rows(items) @ queries.T).max(axis=1)
        keep = sims >= min_sim
        return self.ids[items[keep]], sims[keep]

    def _scan(self, queries: np.ndarray, min_sim: float) -> tuple[np.ndarray, np.ndarray]:
        """Every projected vector is scored (a pass over dims/512 of the data: memory-bound,
        so ~4x faster than exact at 128 d, and the same pass serves all of a person's
        queries); those above a lowered bar are re-ranked with the exact cosine. The
        projection keeps only part of each cosine (71% of the variance at 128 d on real
        faces), hence the bar at scan_cut x the threshold (measured: bench/search_scale.py)."""
        if self.projection is None:
            probes, bar = queries.T, min_sim
        else:
            probes, bar = (queries @ self.projection).T, self.scan_cut * min_sim
        candidates = []
        for start in range(0, len(self.projected), SCAN_ROWS):
            scores = self.projected[start:start + SCAN_ROWS] @ probes
            candidates.append(start + np.nonzero((scores >= bar).any(axis=1))[0])
        items = np.concatenate(candidates) if candidates else np.empty(0, np.int64)
        sims = (self._rows(items) @ queries.T).max(axis=1) if len(items) \
            else np.empty(0, np.float32)
        keep = sims >= min_sim
        return self.ids[items[keep]], sims[keep]

    def _probe(self, vector: np.ndarray, k: int) -> np.ndarray:
        probe = vector @ self.projection if self.projection is not None else vector
        search_k = max(k * self.search_k_per_item, k * self.stamp.n_trees)
        return np.asarray(self.tree.get_nns_by_vector(probe, k, search_k=search_k), np.int64)

    def _annoy(self, query: np.ndarray, min_sim: float) -> tuple[np.ndarray, np.ndarray]:
        """annoy proposes candidates, the stored vectors re-rank them exactly (cosine to the
        query). Trees find strong neighbours easily but miss weak ones (a same-person face at
        cosine 0.4 is 66 degrees away: most tree splits separate them), so the search widens
        in two ways: while most candidates are matches, ask for 4x as many; then probe again
        around the centre of the matches found, which is much closer to the person's other
        faces than the query is (measured in bench/search_scale.py)."""
        n = len(self.ids)
        items = np.empty(0, np.int64)
        sims = np.empty(0, np.float32)

        def add(candidates: np.ndarray) -> None:
            nonlocal items, sims
            new = np.setdiff1d(candidates, items)  # sorted: memory-map locality
            if len(new):
                items = np.concatenate([items, new])
                sims = np.concatenate([sims, self._rows(new) @ query])

        k = min(self.first_k, n)
        add(self._probe(query, k))
        while (sims >= min_sim).sum() * 2 >= k and k < n:
            k = min(n, k * 4)
            add(self._probe(query, k))
        for _ in range(self.expansions):
            above = items[sims >= min_sim]
            if len(above) < 2:
                break
            centre = self._rows(np.sort(above)).sum(axis=0)
            centre /= np.linalg.norm(centre)
            before = len(above)
            add(self._probe(centre, min(n, max(self.first_k, 2 * before))))
            if (sims >= min_sim).sum() == before:
                break
        keep = sims >= min_sim
        return self.ids[items[keep]], sims[keep]


def merge_best(found: dict[int, float], ids: np.ndarray, sims: np.ndarray) -> None:
    for face_id, sim in zip(ids.tolist(), sims.tolist()):
        if sim > found.get(face_id, -2.0):
            found[face_id] = sim
