"""What the caches' self-check costs at load (issue 11): opening a 100,000-face search index
and reading 100,000 faces of people evidence, without the seal check (the old load) and with
it, in the same run; and `verify_caches`' full pass.

    python bench/cache_check.py [FACES]

Files are page-cached (the common case: the CLI just ran, or the GUI is open); a cold disk
adds the read of the sampled blocks (~10 MB) to the checked load.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import cache_seal  # noqa: E402
from core.cluster.assign import Evidence  # noqa: E402
from core.people import evidence  # noqa: E402
from core.search import stored_index  # noqa: E402


def unit_rows(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 512)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def timed(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    vectors = unit_rows(n)
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        chunks = (vectors[i:i + 20_000] for i in range(0, n, 20_000))
        for _ in stored_index.build_generation(index_dir, "bench", np.arange(1, n + 1), chunks,
                                             revision=1, max_face_id=n):
            pass
        stamp = stored_index.read_stamp(index_dir, "bench")
        folder = index_dir / stamp.generation
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6

        def open_generation():
            stored_index.Generation(index_dir, stamp).close()

        checked = timed(open_generation)
        real_check = stored_index.check_folder
        stored_index.check_folder = lambda *a, **k: None  # the load before this change
        try:
            unchecked = timed(open_generation)
        finally:
            stored_index.check_folder = real_check
        full = timed(lambda: cache_seal.verify_folder(folder), repeat=3)
        print(f"search index, {n:,} faces ({size:.0f} MB): open {unchecked * 1e3:.1f} ms "
              f"unchecked, {checked * 1e3:.1f} ms checked (x{checked / unchecked:.1f}, "
              f"+{(checked - unchecked) * 1e3:.1f} ms); every block {full * 1e3:.0f} ms")

        root = Path(tmp) / "evidence"
        root.mkdir()
        people = np.repeat(np.arange(n // 100), 100)
        blobs = [row.tobytes() for row in vectors[:len(people)]]
        built_from = {"key": "bench"}
        evidence._write(root / "e", people, blobs, built_from)

        def read_unchecked():
            return Evidence(**{name: np.load(root / "e" / f"{name}.npy", mmap_mode="r")
                               .view(np.ndarray) for name in evidence._ARRAYS})

        before = timed(read_unchecked)
        after = timed(lambda: evidence._read(root / "e", built_from))
        size = sum(p.stat().st_size for p in (root / "e").iterdir()) / 1e6
        print(f"people evidence, {len(people):,} exemplars ({size:.0f} MB): read "
              f"{before * 1e3:.1f} ms unchecked, {after * 1e3:.1f} ms checked "
              f"(+{(after - before) * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
