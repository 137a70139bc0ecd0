"""`make bench`: every benchmark once, at quick sizes, then a summary of their figures.

    python bench/run_all.py                  # quick sizes (a few minutes on 2 cores)
    python bench/run_all.py --full           # each bench's own default sizes (hours)
    python bench/run_all.py --only search_scale,cluster_quality

Each bench runs in its own process (as `python bench/NAME.py ...`), one after another, so
they never share the CPU; each measures its baseline in the same run and prints the ratio
itself. Its whole output goes to bench/out/run_all/NAME.txt; the summary repeats the last
lines of each (where every bench prints its figures), with its wall time and exit status.
Not run here: gui_walkthrough.py (`make walkthrough`: Xvfb, screenshots to look at) and the
helpers synth.py and synthetic_faces.py. Asserts nothing; a bench that fails or exceeds its
time is reported and the others still run (exit status 1 at the end).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out" / "run_all"

# name -> arguments at quick sizes (what each bench's own --help offers; sizes chosen so the
# whole run takes minutes, not hours). Cheap ones first: a slow one at the end cannot starve
# them of the time limit.
QUICK: dict[str, list[str]] = {
    "offline_guard": [],
    "model_load": ["--rounds", "3"],
    "cache_check": ["10000"],
    "catalog_backup": ["--faces", "5000"],
    "catalog_open_races": ["--seconds", "5"],
    "cli_startup": ["--faces", "10000", "--runs", "3"],
    "rescan_speed": ["--photos", "1000", "--repeat", "3"],
    "search_scale": ["--sizes", "10000", "--queries", "50"],
    "cluster_quality": ["--only", "scale", "--faces", "5000"],
    "cpu_per_photo": ["--count", "6"],
    "index_throughput": ["--count", "12", "--naive", "4"],
    "export_speed": ["-n", "60", "--repeat", "1"],
    "import_tags": ["--slice", "30", "--rounds", "1"],
    "face_size": ["--pairs", "60"],
    "accuracy": ["--quick", "--pairs", "150"],
    "gui_responsiveness": ["--photos", "3000", "--faces", "4500"],
    "first_people": ["--runs", "1"],
}
SUMMARY_LINES = 8
TIME_LIMIT_S = {"quick": 20 * 60, "full": 4 * 3600}


def run(name: str, args: list[str], limit_s: float) -> tuple[str, float, list[str]]:
    """(status, seconds, last lines of its output)."""
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / f"{name}.txt"
    command = [sys.executable, str(BENCH / f"{name}.py"), *args]
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.perf_counter()
    with open(log_path, "w") as log:
        try:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                  cwd=BENCH.parent, timeout=limit_s, check=False)
            status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        except subprocess.TimeoutExpired:
            status = f"stopped after {limit_s / 60:.0f} min"
    seconds = time.perf_counter() - started
    lines = [ln.rstrip() for ln in log_path.read_text(errors="replace").splitlines()
             if ln.strip()]
    print(f"   {status}, {seconds:.0f} s, output in {log_path.relative_to(BENCH.parent)}",
          flush=True)
    return status, seconds, lines[-SUMMARY_LINES:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true",
                        help="each bench at its own default sizes instead of quick ones")
    parser.add_argument("--only", help="comma-separated bench names (default: all)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(QUICK)
    unknown = [n for n in names if n not in QUICK]
    if unknown:
        parser.error(f"no such bench: {', '.join(unknown)} (known: {', '.join(QUICK)})")
    limit = TIME_LIMIT_S["full" if args.full else "quick"]
    results = {}
    started = time.perf_counter()
    for name in names:
        results[name] = run(name, [] if args.full else QUICK[name], limit)

    print(f"\n==== summary ({'full' if args.full else 'quick'} sizes, "
          f"{(time.perf_counter() - started) / 60:.1f} min) ====")
    for name, (status, seconds, lines) in results.items():
        print(f"\n-- {name}: {status}, {seconds:.0f} s")
        for line in lines:
            print(f"   {line}")
    failed = [n for n, (status, _, _) in results.items() if status != "ok"]
    if failed:
        print(f"\nnot ok: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
