"""The evidence people are matched against, read once per change of people and kept on disk.

Evidence is what the user stands behind: faces they assigned or confirmed first, then the faces
of the group they named, best quality first, up to MAX_EXEMPLARS per person. Faces matched
automatically are not evidence, so a wrong match cannot attract more.

That set changes only through people operations, while new faces arrive all the time, so it is
cached under the catalog's index folder, one folder per state of people, holding plain .npy
arrays. They are memory-mapped when read: reading 100,000 embeddings from SQLite takes ~0.5 s
and even np.load of the copy ~0.3 s (fresh memory is slow to fault in on these VMs), while a
mapping of the page-cached file costs next to nothing and only the rows a match needs are
touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ..cache_seal import CacheDamaged, check_folder, seal
from ..catalog import Catalog, embeddings_from_blobs
from ..cluster.assign import Evidence
from .queries import ANCHORED

log = logging.getLogger(__name__)

MAX_EXEMPLARS = 100    # faces per person used as evidence (user-confirmed first, then quality)
_ARRAYS = ("vectors", "people", "starts", "centroids", "projected")
_FORMAT = 5            # bump when what is stored changes (5: seal.json)
STALE_SECONDS = 3600   # a temporary folder this old belongs to a writer that died
FULL_CHECK_BYTES = 32 << 20  # evidence vectors up to this size are checked in full at load


def load_evidence(catalog: Catalog, model_id: str, people_revision: int) -> Evidence:
    """The evidence for every anchored person, grouped by person (from the cache when fresh)."""
    # The counter is bumped by every people operation; the fingerprint also catches a tool
    # that named people by writing SQL directly.
    named, touched = catalog.execute("SELECT COUNT(*), MAX(updated_at) FROM people WHERE "
                                     "name IS NOT NULL OR hidden = 1").fetchone()
    key = f"{_FORMAT}:{model_id}:{people_revision}:{named}:{touched}:{MAX_EXEMPLARS}"
    folder = _cache_root(catalog, model_id) / hashlib.sha1(key.encode()).hexdigest()[:16]
    built_from = {"key": key, "model_id": model_id, "people_revision": people_revision}
    cached = _read(folder, built_from)
    if cached is not None:
        return cached
    shutil.rmtree(folder, ignore_errors=True)  # damaged, if there at all
    person, blobs = _select(catalog, model_id)
    if not blobs:  # nobody named yet: nothing worth caching (and nothing to map)
        return _in_memory(person, blobs)
    try:
        return _write(folder, person, blobs, built_from)
    except OSError as error:  # a cache: matching works without it
        log.warning("could not cache people evidence in %s: %s", folder, error)
        return _in_memory(person, blobs)


def _cache_root(catalog: Catalog, model_id: str) -> Path:
    return catalog.index_dir / f"people-evidence-{hashlib.sha1(model_id.encode()).hexdigest()[:12]}"


def _select(catalog: Catalog, model_id: str) -> tuple[np.ndarray, list[bytes]]:
    """(person of each exemplar, ascending; their embeddings as stored)."""
    # Streamed in person order through the person index, keeping each person's best
    # MAX_EXEMPLARS as they go by: memory stays at what is kept (a window function did the
    # same in SQL but made SQLite sort the embeddings, +60%).
    cursor = catalog.conn.execute(
        f"SELECT f.person_id, f.assigned_by = 'user', f.quality, f.id, f.embedding FROM faces f "
        f"WHERE f.ignored = 0 AND f.usable = 1 AND f.model_id = ? AND (f.assigned_by IS NULL OR "
        f"f.assigned_by != 'auto') AND f.person_id IN (SELECT p.id FROM people p WHERE "
        f"{ANCHORED}) ORDER BY f.person_id", (model_id,))
    person: list[int] = []
    blobs: list[bytes] = []
    for person_id, rows in itertools.groupby(cursor, key=lambda r: r[0]):
        rows = list(rows)
        if len(rows) > MAX_EXEMPLARS:
            # user-confirmed first, then quality (unknown last), then the oldest face
            rows.sort(key=lambda r: (-(r[1] or 0), -(r[2] if r[2] is not None else -1e9), r[3]))
            del rows[MAX_EXEMPLARS:]
        person += [person_id] * len(rows)
        blobs += [r[4] for r in rows]
    return np.array(person, dtype=np.int64), blobs


def _in_memory(person: np.ndarray, blobs: list[bytes]) -> Evidence:
    return Evidence.build(embeddings_from_blobs(blobs), person)


def _read(folder: Path, built_from: dict) -> Evidence | None:
    """The cached evidence, or None when there is none or it is damaged (with a log line:
    the caller rebuilds it). Checked against the seal: every block of the small arrays, and
    of vectors.npy all blocks up to FULL_CHECK_BYTES (16,000 exemplars: ~20 ms), else its
    header, first, last and 8 random blocks (a full pass over 100,000 exemplars cost 126 ms,
    a third of a whole update: bench/cache_check.py). `faceshelf check` reads every block."""
    if not folder.is_dir():
        return None
    try:
        big = (folder / "vectors.npy").stat().st_size > FULL_CHECK_BYTES
    except OSError:
        big = False  # missing: check_folder says so
    try:
        check_folder(folder, built_from, sampled=("vectors.npy",) if big else ())
    except CacheDamaged as error:
        log.warning("people evidence cache damaged (%s): rebuilding it", error)
        return None
    try:
        # plain views of the maps: slicing a np.memmap costs ~2 us more per slice
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray)
                  for name in _ARRAYS}
    except (OSError, ValueError):
        return None
    return Evidence(**arrays)


def _write(folder: Path, person: np.ndarray, blobs: list[bytes], built_from: dict) -> Evidence:
    """Write the cache into a private folder, then rename it into place: readers see all or
    nothing, and two processes (GUI and CLI) may refresh it at once. The embeddings go straight
    from SQLite's rows to the file, and what is worked out from them is read through a map:
    joining 200 MB of them in memory first cost more than the whole match."""
    if len(person) and (np.diff(person) < 0).any():
        raise ValueError("evidence rows must come grouped by person")  # the offsets assume it
    root = folder.parent
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale(root)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    try:
        dims = len(blobs[0]) // 4
        with open(tmp / "vectors.npy", "wb") as stream:
            np.lib.format.write_array_header_1_0(
                stream, {"descr": "<f4", "fortran_order": False, "shape": (len(blobs), dims)})
            start = stream.tell()
            for first in range(0, len(blobs), 4096):  # 8 MB writes: syscalls are dear here
                stream.write(b"".join(blobs[first:first + 4096]))
            if stream.tell() - start != len(blobs) * dims * 4:
                raise ValueError("embeddings of different lengths under one model id")
        mapped = np.load(tmp / "vectors.npy", mmap_mode="r")
        built = Evidence.build(mapped.view(np.ndarray), person)
        for name in _ARRAYS[1:]:
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(getattr(built, name)))
        # Unmapped before the rename: Windows renames no folder with a file in use.
        del built, mapped
        seal(tmp, {**built_from, "count": len(blobs), "dtype": "<f4",
                   "shape": [len(blobs), dims]})
        try:
            os.rename(tmp, folder)
        except OSError:
            if not folder.is_dir():  # else the other process won: same key, same content
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in root.iterdir():  # earlier states of people
        if old != folder and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
    with contextlib.suppress(OSError):  # the single-file cache of earlier versions
        root.with_suffix(".npz").unlink()
    evidence = _read(folder, built_from)
    if evidence is None:
        raise OSError(f"the evidence cache just written to {folder} cannot be read")
    return evidence


def _remove_stale(root: Path) -> None:
    """Temporary folders of writers that were killed (a live writer's is minutes old at most)."""
    for old in root.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if time.time() - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
