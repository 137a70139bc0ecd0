"""The single catalog writer's ceiling: how many photos per second `write_result` stores when
fed results as fast as it takes them (what a cluster of many workers would send).

    python bench/writer_ceiling.py [--photos 2000] [--faces 3] [--worker-rate 8]

Synthetic results, built before the clock starts: 3 faces per photo (random unit embeddings,
real 5-point landmarks shape), a photo thumbnail of ~12 KB and face thumbnails of ~5 KB (the
sizes the indexer makes), on a fresh catalog whose photos are pending, as after a scan.
Measured in the same run (the catalog and thumbnails in a temporary folder: BENCH_TMP sets
where; on a loaded machine file creation varies 10x from run to run):
- `write_result`: one transaction per photo, its rows and tag bookkeeping, and its
  thumbnail files written by `ThumbnailFiles`' threads as a cluster run does (the figure;
  target >= 1,000 photos/s, issue 15), and with the files written inline (as local runs do);
- the floor: the same rows inserted with bare SQL in one transaction per photo, no
  thumbnails (what any one-transaction-per-photo writer costs on this disk), and the ratio.
`--worker-rate`: photos/s of one worker (bench/cluster_index.py prints it) to say how many
workers one catalog keeps up with.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import core  # noqa: E402,F401  (first: telemetry off)


def pending_catalog(folder: Path, photos: int):
    from core.catalog import Catalog

    catalog = Catalog(folder)
    now = time.time()
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/bench', ?)", (now,))
        conn.executemany(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, status) "
            "VALUES (?, 1, ?, 1000, 1, 'pending')",
            ((pid, f"/bench/IMG_{pid:06d}.jpg") for pid in range(1, photos + 1)))
    return catalog


def synthetic_results(photos: int, faces: int, seed: int = 3) -> list:
    from core.faces.analyzer import DetectedFace
    from core.pipeline import PhotoResult

    rng = np.random.default_rng(seed)
    photo_thumb = rng.bytes(12_000)
    face_thumb = rng.bytes(5_000)
    results = []
    for pid in range(1, photos + 1):
        vectors = rng.standard_normal((faces, 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        found = []
        for i in range(faces):
            x, y = 100.0 + 400 * i, 200.0
            found.append(DetectedFace(
                box=(x, y, x + 180, y + 220),
                landmarks=rng.uniform(0, 200, size=(5, 2)).astype(np.float32),
                det_score=0.9, size=180.0, quality=0.8, usable=True, embedding=vectors[i]))
        results.append(PhotoResult(
            pid, width=4000, height=3000,
            metadata={"orientation": 1, "taken_at": "2024-05-01T12:00:00",
                      "taken_at_source": "exif_original", "camera_make": "Bench",
                      "camera_model": "One"},
            faces=found, face_thumbs=[face_thumb] * faces, detected=faces,
            photo_thumb=photo_thumb))
    return results


def writer_rate(folder: Path, results: list, threads: bool = True) -> float:
    from core.pipeline import ThumbnailFiles, write_result

    catalog = pending_catalog(folder, len(results))
    files = ThumbnailFiles() if threads else None
    try:
        started = time.perf_counter()
        for result in results:
            write_result(catalog, result, "bench/model/000000000000", files=files)
        if files is not None:
            files.close()  # every thumbnail on disk before the clock stops
        return len(results) / (time.perf_counter() - started)
    finally:
        catalog.close()


def floor_rate(folder: Path, results: list) -> float:
    from core.catalog import embedding_to_blob

    catalog = pending_catalog(folder, len(results))
    try:
        started = time.perf_counter()
        for result in results:
            with catalog.transaction() as conn:
                conn.execute("UPDATE photos SET width=?, height=?, status='indexed' WHERE id=?",
                             (result.width, result.height, result.photo_id))
                conn.executemany(
                    "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, "
                    "quality, usable, embedding, model_id, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(result.photo_id, *face.box, face.landmarks.tobytes(), face.det_score,
                      face.size, face.quality, 1, embedding_to_blob(face.embedding), "m", 0.0)
                     for face in result.faces])
        return len(results) / (time.perf_counter() - started)
    finally:
        catalog.close()


def _without_thumbs(result):
    import dataclasses

    return dataclasses.replace(result, photo_thumb=None, face_thumbs=[])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--faces", type=int, default=3, help="faces per photo")
    parser.add_argument("--worker-rate", type=float, default=8.0,
                        help="photos/s of one worker, to say how many one catalog keeps up with")
    args = parser.parse_args()
    results = synthetic_results(args.photos, args.faces)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        floor = floor_rate(Path(tmp) / "floor", results)
        inline = writer_rate(Path(tmp) / "inline", results, threads=False)
        rate = writer_rate(Path(tmp) / "writer", results)
        rows = writer_rate(Path(tmp) / "rows", [_without_thumbs(r) for r in results],
                           threads=False)
    print(f"writer      {rate:8.0f} photos/s ({args.photos} photos, {args.faces} faces each, "
          f"thumbnails written by its file threads, as from a cluster)   "
          f"target >= 1000: {rate / 1000:.2f}x")
    print(f"  inline    {inline:8.0f} photos/s (thumbnails written by the writer itself, as "
          f"for local workers)   threads/inline = {rate / inline:.2f}")
    print(f"  rows only {rows:8.0f} photos/s (write_result of results without thumbnails: "
          f"the catalog's part)")
    print(f"bare SQL    {floor:8.0f} photos/s (the same rows, one transaction per photo, no "
          f"thumbnails)   writer/bare = {rate / floor:.2f}")
    print(f"keeps up with ~{rate / args.worker_rate:.0f} workers of {args.worker_rate:g} photos/s")


if __name__ == "__main__":
    main()
