"""What the automatic backup costs on a big catalog, and that it leaves other threads running.

    python bench/catalog_backup.py                    # 100k faces, 50k photos (generated once)
    python bench/catalog_backup.py --faces 20000 --catalog /tmp/cat

A synthetic catalog (the real schema, random 2 KiB embeddings so pages do not compress) is
generated into --catalog (default bench/out/backup_catalog_<faces>). Timed, each 3 times:
  - baseline: a plain copy of the file (shutil.copyfile) made in the same run: the disk's cost;
  - the daily backup as Faceshelf makes it (online backup API in one step + quick_check of
    the copy + rename), and its two parts on their own;
  - while the backup runs in a worker thread, the longest gap of a 5 ms ticker in the main
    thread (what a UI thread would feel: SQLite releases the GIL while it copies and checks).
Prints the figures and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(catalog_dir: Path, faces: int) -> None:
    from core.catalog import Catalog

    if catalog_dir.exists():
        shutil.rmtree(catalog_dir)
    Catalog(catalog_dir).close()
    conn = sqlite3.connect(catalog_dir / "catalog.sqlite3")
    conn.execute("PRAGMA synchronous=OFF")
    now = time.time()
    with conn:
        conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/library', ?)", (now,))
        conn.executemany(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, width, height, taken_at, "
            "status, indexed_at, model_id) VALUES (?, 1, ?, 1000, 1, 4000, 3000, "
            "'2020-01-01T00:00:00', 'indexed', ?, 'synthetic')",
            [(i, f"/library/{i // 1000:03d}/IMG_{i:06d}.jpg", now)
             for i in range(1, faces // 2 + 1)])
        conn.executemany("INSERT INTO people(id, name, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?)",
                         [(p, f"Person {p}" if p % 3 == 0 else None, now, now)
                          for p in range(1, faces // 50 + 1)])
        conn.executemany(
            "INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, det_score, size, "
            "quality, usable, embedding, model_id, person_id, created_at) VALUES "
            "(?, ?, 0, 0, 100, 100, randomblob(40), 0.9, 100, 0.5, 1, randomblob(2048), "
            "'synthetic', ?, ?)",
            [(i, (i - 1) // 2 + 1, (i % (faces // 50)) + 1 if i % 5 else None, now)
             for i in range(1, faces + 1)])
    conn.close()


def timed(fn, runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def longest_tick_gap(fn) -> float:
    """Run fn in a thread; the longest gap between 5 ms ticks of this thread meanwhile."""
    worker = threading.Thread(target=fn)
    worker.start()
    longest, last = 0.0, time.perf_counter()
    while worker.is_alive():
        time.sleep(0.005)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    return longest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--catalog", type=Path)
    args = parser.parse_args()
    from core.catalog import backups

    catalog_dir = args.catalog or ROOT / "bench" / "out" / f"backup_catalog_{args.faces}"
    db = catalog_dir / "catalog.sqlite3"
    marker = catalog_dir / f".generated_{args.faces}"
    if not marker.exists():
        started = time.perf_counter()
        generate(catalog_dir, args.faces)
        marker.touch()
        print(f"generated {args.faces:,} faces in {time.perf_counter() - started:.1f} s")
    size_mb = db.stat().st_size / 1e6
    out = catalog_dir / "bench_out"
    out.mkdir(exist_ok=True)

    def plain_copy():
        shutil.copyfile(db, out / "plain.sqlite3")

    def backup_only():
        src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        dst = sqlite3.connect(out / "api.sqlite3")
        src.backup(dst)
        dst.close()
        src.close()

    def check_only():
        conn = sqlite3.connect(out / "api.sqlite3")
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        conn.close()

    day = iter(range(1, 1000))

    def daily():
        made = backups.daily_backup(db, today=f"2000-01-{next(day):02d}")
        assert made is not None

    baseline = timed(plain_copy)
    api = timed(backup_only)
    check = timed(check_only)
    full = timed(daily)
    gap = longest_tick_gap(daily)
    base = statistics.median(baseline)
    print(f"catalog: {args.faces:,} faces, {size_mb:.0f} MB")
    runs = ", ".join(f"{t:.2f}" for t in baseline)
    print(f"baseline plain file copy      median {base:.2f} s  ({runs})")
    for name, times in (("backup API, one step", api), ("quick_check of the copy", check),
                        ("daily backup, all of it", full)):
        median = statistics.median(times)
        print(f"{name:<29} median {median:.2f} s  ({', '.join(f'{t:.2f}' for t in times)})  "
              f"x{median / base:.1f} the plain copy")
    print(f"longest gap of a 5 ms ticker in another thread during the daily backup: "
          f"{gap * 1000:.0f} ms")
    shutil.rmtree(out)
    shutil.rmtree(catalog_dir / "backups", ignore_errors=True)


if __name__ == "__main__":
    main()
