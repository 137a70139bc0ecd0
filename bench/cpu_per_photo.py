"""CPU milliseconds per photo, per stage, of the indexing worker's code path (one process).

    python bench/cpu_per_photo.py [--count N] [--photos DIR] [--repeat R]

Runs exactly what a worker runs (`core.pipeline.analyze_photo`: metadata, decode, detect,
align, embed, thumbnails) plus what the parent does per photo (unpickling the result,
`write_result` into a fresh catalog), with one intra-op thread, on the synthetic 12 MP photos
of bench/synth.py. CPU time (time.process_time), not wall time, so the figures hold on a
loaded machine; the 2-core ceiling printed is 2000 / (worker ms + parent ms).
"""

from __future__ import annotations

import argparse
import collections
import pickle
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(PROJECT), str(PROJECT / "bench")]

from synth import faces_found, make_library  # noqa: E402

STAGES = collections.OrderedDict()


def timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            STAGES[label] = STAGES.get(label, 0.0) + time.process_time() - started
            COUNTS[label] += 1

    setattr(owner, name, wrapper)


COUNTS: collections.Counter = collections.Counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--photos", type=Path,
                        default=Path(tempfile.gettempdir()) / "faceshelf-bench" / "photos12mp")
    args = parser.parse_args()
    folder = args.photos / f"n{args.count}"
    manifest = make_library(folder, args.count)
    files = sorted(folder.glob("*.jpg"))[:args.count]

    import cv2

    cv2.setNumThreads(1)
    from core import pipeline
    from core.catalog import Catalog
    from core.faces import analyzer as analyzer_mod
    from core.scan import decode as decode_mod
    from core.scan import metadata as metadata_mod

    analyzer = analyzer_mod.FaceAnalyzer(threads=1)
    models = analyzer.models
    if hasattr(decode_mod, "read_photo_bytes"):  # the one read of the file the stages share
        timed(decode_mod, "read_photo_bytes", "file read")
    timed(metadata_mod, "read_metadata", "metadata")
    if hasattr(decode_mod, "decode_with_detail"):
        timed(decode_mod, "decode_with_detail", "decode")
        timed(decode_mod, "decode", "2nd decode")  # for small faces (or a fallback inside)
    else:
        timed(decode_mod, "decode", "decode")
    timed(models.detector, "detect", "detect")
    timed(analyzer_mod, "align_face", "align")
    timed(models.recognizer, "get_feat", "embed")
    timed(pipeline, "photo_thumb", "photo thumb")
    timed(pipeline, "face_thumb", "face thumbs")
    timed(pipeline, "write_file", "thumb file")

    work = tempfile.TemporaryDirectory(prefix="faceshelf-cpu-")
    catalog = Catalog(Path(work.name) / "cat")
    # warm-up: first inferences allocate
    pipeline.analyze_photo(analyzer, catalog.dir, 0, str(files[0]))
    STAGES.clear()
    COUNTS.clear()

    ids = {}
    now = time.time()
    with catalog.transaction() as conn:
        folder_id = conn.execute("INSERT INTO folders(path, added_at) VALUES (?,?)",
                                 (str(folder), now)).lastrowid
        for path in files:
            ids[path] = conn.execute(
                "INSERT INTO photos(folder_id, path, size, mtime_ns, status) "
                "VALUES (?,?,?,?,'pending')",
                (folder_id, str(path), path.stat().st_size, path.stat().st_mtime_ns)).lastrowid

    boxes: dict[str, list] = {}
    total = parent = 0.0
    faces = photos = redecoded = 0
    for _ in range(args.repeat):
        for path in files:
            started = time.process_time()
            result = pipeline.analyze_photo(analyzer, catalog.dir, ids[path], str(path))
            data = pickle.dumps(("done", 0, result), protocol=pickle.HIGHEST_PROTOCOL)
            total += time.process_time() - started
            started = time.process_time()
            result = pickle.loads(data)[2]
            pipeline.write_result(catalog, result, analyzer.model_id)
            parent += time.process_time() - started
            photos += 1
            faces += len(result.faces)
            boxes[path.name] = [face.box for face in result.faces]
        catalog.execute("UPDATE photos SET status='pending'")
    redecoded = COUNTS["decode"] + COUNTS["2nd decode"] - photos
    print(f"{photos} photos, {faces / photos:.2f} faces/photo, "
          f"{redecoded} second decodes ({100 * redecoded / photos:.0f}% of photos); "
          f"models on {analyzer.models.backend} (FACESHELF_INFERENCE to choose)")
    found, placed = faces_found(manifest, boxes)
    print(f"faces found: {found} of {placed} placed ({100 * found / placed:.1f}%)")
    print(f"{'stage':14s} {'ms/photo':>9s}")
    accounted = 0.0
    for label, seconds in STAGES.items():
        if label == "thumb file":
            continue
        accounted += seconds
        print(f"{label:14s} {1000 * seconds / photos:9.1f}   ({COUNTS[label]} calls)")
    rest = total - accounted
    print(f"{'other worker':14s} {1000 * rest / photos:9.1f}   (files, pickling, glue)")
    print(f"{'worker total':14s} {1000 * total / photos:9.1f}")
    print(f"{'parent writer':14s} {1000 * parent / photos:9.1f}   (unpickle + write_result)")
    print(f"2-core ceiling ~ {2000 / (1000 * (total + parent) / photos):.1f} photos/s")
    catalog.close()


if __name__ == "__main__":
    main()
