"""How fast the `faceshelf` command answers: wall time of fresh processes, above `python -c pass`.

    python bench/cli_startup.py              # a 100,000-face catalog (built once, then reused)
    python bench/cli_startup.py --faces 10000 --runs 5

The catalog (bench/out/cli_catalog_<faces>) has the real schema with synthetic rows: 1.5 faces
per photo, embeddings from bench/synthetic_faces.py (identities as in a family library), the
faces of each identity assigned to a person (a third of them named), and a search index built
by `faceshelf reindex-search`. Each command runs --runs times, alternating with the baseline
`python -c pass` of the same interpreter; the figure is the median above the baseline's median.

Commands run as the `faceshelf` script beside this Python (as installed), else `-m core.cli`.
Targets (issue 14): --help <= 0.1 s above, status and people --json <= 0.2 s, search --face N
<= 0.3 s. `python -X importtime -m core.cli ...` shows what a command loads.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MODEL_ID = "buffalo_s/w600k_mbf/synthetic000"
FIRST_NAMES = ["Anna", "Ben", "Carl", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"]


def generate(catalog_dir: Path, n_faces: int, seed: int = 7) -> None:
    import numpy as np

    import synthetic_faces
    from core.catalog import Catalog

    started = time.perf_counter()
    rng = random.Random(seed)
    Catalog(catalog_dir).close()
    conn = sqlite3.connect(catalog_dir / "catalog.sqlite3")
    conn.execute("PRAGMA synchronous=OFF")
    now = time.time()
    n_photos = max(1, n_faces * 2 // 3)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/synthetic', ?)", (now,))
    conn.executemany(
        "INSERT INTO photos(id, folder_id, path, size, mtime_ns, width, height, taken_at, "
        "taken_at_source, status, indexed_at, model_id) "
        "VALUES (?, 1, ?, ?, ?, 4000, 3000, ?, 'exif_original', 'indexed', ?, ?)",
        ((pid, f"/synthetic/{2004 + pid % 22}/IMG_{pid:06d}.jpg", 1000 + pid, pid,
          f"{2004 + pid % 22}-{1 + pid % 12:02d}-{1 + pid % 28:02d}T12:00:00", now, MODEL_ID)
         for pid in range(1, n_photos + 1)))
    labels, chunks = synthetic_faces.generate(n_faces, seed=seed)
    n_people = int(labels.max()) + 1
    conn.executemany(
        "INSERT INTO people(id, name, hidden, created_at, updated_at) VALUES (?, ?, 0, ?, ?)",
        ((p + 1, f"{rng.choice(FIRST_NAMES)} {p + 1}" if p % 3 == 0 else None, now, now)
         for p in range(n_people)))
    landmarks = np.zeros((5, 2), np.float32).tobytes()
    face_id = 0
    for chunk in chunks:
        rows = []
        for vector in chunk.astype("<f4"):
            face_id += 1
            label = int(labels[face_id - 1])
            x, y = rng.uniform(50, 3000), rng.uniform(50, 2000)
            rows.append((face_id, rng.randrange(1, n_photos + 1), x, y, x + 300, y + 300,
                         landmarks, 300.0, rng.random(), vector.tobytes(), label + 1, now))
        conn.executemany(
            "INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, det_score, size, "
            "quality, usable, embedding, model_id, person_id, assigned_by, created_at) "
            f"VALUES (?,?,?,?,?,?,?,0.9,?,?,1,?,'{MODEL_ID}',?,'cluster',?)", rows)
    conn.execute("COMMIT")
    conn.close()
    subprocess.run([sys.executable, "-m", "core.cli", "--catalog", str(catalog_dir),
                    "reindex-search", "--quiet"], check=True, cwd=ROOT)
    print(f"generated {n_photos:,} photos, {n_faces:,} faces, {n_people:,} people and the "
          f"search index in {time.perf_counter() - started:.0f} s -> {catalog_dir}")


def wall(command: list[str]) -> float:
    return timed(command)[0]


# As installed: pip writes the bytecode caches at install time. Without them (this machine
# sets PYTHONDONTWRITEBYTECODE) every run compiles core/cli/ and the rest from source.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=CHILD_ENV)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    catalog_dir = args.catalog or ROOT / "bench" / "out" / f"cli_catalog_{args.faces}"
    marker = catalog_dir / f".generated_{args.faces}"
    if args.regenerate or not marker.exists():
        if catalog_dir.exists():
            import shutil

            shutil.rmtree(catalog_dir)
        generate(catalog_dir, args.faces)
        marker.touch()
    else:
        print(f"reusing {catalog_dir} ({args.faces:,} faces)")
    # A face of a big identity (the search returns a few hundred photos, like a family member).
    conn = sqlite3.connect(catalog_dir / "catalog.sqlite3")
    face = conn.execute("SELECT MIN(id) FROM faces WHERE person_id = (SELECT person_id FROM "
                        "faces GROUP BY person_id ORDER BY COUNT(*) DESC LIMIT 1)").fetchone()[0]
    conn.close()

    python = sys.executable
    # The installed command, as a user runs it (`python -m core.cli` would also compile
    # core/cli/__main__.py on every run: a __main__ module is never cached).
    installed = Path(python).parent / "faceshelf"
    script = [str(installed)] if installed.is_file() else [python, "-m", "core.cli"]
    cli = [*script, "--catalog", str(catalog_dir)]
    commands = [("faceshelf --help", [*script, "--help"], 0.1),
                ("faceshelf status", [*cli, "status"], 0.2),
                ("faceshelf people --json", [*cli, "people", "--json"], 0.2),
                (f"faceshelf search --face {face}", [*cli, "search", "--face", str(face)], 0.3)]
    load_before = os.getloadavg()[0]
    for _name, command, _target in commands:  # warm the page cache, write bytecode caches
        wall(command)
    baseline: list[tuple[float, float]] = []
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in commands}
    for _ in range(args.runs):
        for name, command, _target in commands:
            baseline.append(timed([python, "-c", "pass"]))
            times[name].append(timed(command))
    base_wall = statistics.median(t[0] for t in baseline)
    base_cpu = statistics.median(t[1] for t in baseline)
    print(f"CPU: {_cpu()}; load average {load_before:.1f} before the runs, "
          f"{os.getloadavg()[0]:.1f} after (other processes share the CPU); "
          f"{args.runs} runs each, "
          f"medians")
    print(f"baseline `python -c pass`: {base_wall * 1000:.0f} ms wall, {base_cpu * 1000:.0f} ms "
          f"CPU")
    print(f"{'command':<32} {'wall':>7} {'above':>7} {'target':>7} {'of target':>9}   "
          f"{'CPU':>7} {'above':>7} {'of target':>9}")
    for name, _command, target in commands:
        wall_s = statistics.median(t[0] for t in times[name])
        cpu_s = statistics.median(t[1] for t in times[name])
        print(f"{name:<32} {wall_s * 1000:5.0f}ms {(wall_s - base_wall) * 1000:5.0f}ms "
              f"{target * 1000:5.0f}ms {(wall_s - base_wall) / target:8.2f}x   "
              f"{cpu_s * 1000:5.0f}ms {(cpu_s - base_cpu) * 1000:5.0f}ms "
              f"{(cpu_s - base_cpu) / target:8.2f}x")
    print("(wall is the target's measure; CPU, user + system, is what the command itself "
          "costs and moves less when other processes hold the cores)")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
