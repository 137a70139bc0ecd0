"""Re-scan speed of an unchanged library (target: 10,000 photos well under 5 s).

Builds a library of N photos (hard links of a few real JPEGs from the insightface wheel, in
folders of 100), scans it once into a fresh catalog, then times the unchanged re-scan against a
baseline measured in the same run: a bare os.walk + os.stat of the same tree, which is the floor
for any scan that notices changed files.

    python bench/rescan_speed.py            # 10,000 photos
    python bench/rescan_speed.py --quick    # 1,000 photos
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.catalog import Catalog  # noqa: E402
from core.scan.changes import scan_folders  # noqa: E402


def source_photos() -> list[Path]:
    spec = importlib.util.find_spec("insightface")
    images = Path(list(spec.submodule_search_locations)[0]) / "data" / "images"
    return sorted(images.glob("*.jpg"))


def build_library(root: Path, count: int) -> None:
    sources = source_photos()
    for i in range(count):
        folder = root / f"{2000 + i // 1000}" / f"event {i // 100:03}"
        if i % 100 == 0:
            folder.mkdir(parents=True)
        os.link(sources[i % len(sources)], folder / f"IMG_{i:05}.jpg")


def bare_walk(root: Path) -> int:
    seen = 0
    for directory, _dirs, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(directory, name))
            seen += 1
    return seen


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 photos instead of 10,000")
    parser.add_argument("--photos", type=int, help="number of photos (overrides --quick)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    count = args.photos or (1_000 if args.quick else 10_000)

    work = Path(tempfile.mkdtemp(prefix="faceshelf-rescan-"))
    try:
        library = work / "Pictures"
        started = time.perf_counter()
        build_library(library, count)
        print(f"library: {count:,} photos in {time.perf_counter() - started:.1f} s")
        with Catalog(work / "catalog") as catalog:
            first_s, reports = timed(lambda: list(scan_folders(catalog, [library])), 1)
            new = reports[-1].counters["new"]
            print(f"first scan: {first_s:.2f} s ({new:,} new, fingerprints included)")
            rescan_s, reports = timed(lambda: list(scan_folders(catalog)), args.repeat)
            counters = reports[-1].counters
            assert counters["unchanged"] == count, counters
            baseline_s, seen = timed(lambda: bare_walk(library), args.repeat)
            assert seen == count
        print(f"unchanged re-scan: {rescan_s * 1000:.0f} ms "
              f"({count / rescan_s:,.0f} photos/s, median of {args.repeat})")
        print(f"baseline os.walk + stat: {baseline_s * 1000:.0f} ms")
        print(f"ratio re-scan / baseline: {rescan_s / baseline_s:.2f}x")
        print(f"target: 10,000 photos < 5 s -> projected {rescan_s * 10_000 / count:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
