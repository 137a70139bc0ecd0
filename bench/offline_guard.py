"""What the offline guard (core/offline.py: an audit hook that refuses network use) costs the
work that raises audit events most: opening files and listing folders, as a scan does.
Baseline measured in the same process before the guard is installed.

    python bench/offline_guard.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N = 20_000


def work(folder: Path) -> float:
    started = time.perf_counter()
    for _ in range(N):
        with open(folder / "a", "rb"):
            pass
        with os.scandir(folder) as entries:
            for _entry in entries:
                pass
    return (time.perf_counter() - started) / N * 1e6


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    for name in "abcdefgh":
        (folder / name).write_bytes(b"x")
    before = statistics.median(work(folder) for _ in range(5))
    import core  # noqa: F401  installs the guard

    after = statistics.median(work(folder) for _ in range(5))
    print(f"open + scandir of 8 files, per pair: without guard {before:.2f} us, "
          f"with guard {after:.2f} us, ratio {after / before:.3f} (+{after - before:.2f} us)")


if __name__ == "__main__":
    main()
