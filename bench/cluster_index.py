"""Indexing through a Dask cluster against local indexing, on this machine and the same photos.

    python bench/cluster_index.py [--count 500] [--quick] [--rounds 1] [--plaintext]

The cluster is a `distributed.LocalCluster` of 2 worker processes of one thread each (what
`faceshelf index` runs locally on 2 cores), over loopback with mutual TLS (certificates made
here), started before the clock and warmed up on 2 photos (a cluster is a service that is
already running). Both runs are the real command, `faceshelf index --json` on a fresh
catalog, alternating `--rounds` times:
- local: `faceshelf index --workers 2`;
- cluster: `faceshelf index --cluster tls://127.0.0.1:PORT --cert-dir ...`: photos are
  shipped as bytes through the scheduler, results (boxes, embeddings, thumbnails) come back,
  this process writes the catalog.
Printed: each run's end-to-end and steady rates, the ratio cluster/local (issue 15: >= 0.85,
the overhead of shipping bytes and results), and the bytes shipped per photo.

Photos: bench/synth.py's 12-megapixel JPEGs with real faces (--photos, reused when there).
On a machine shared with other work the rates move by 20-30% from run to run: use --rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(PROJECT), str(PROJECT / "bench")]

import core  # noqa: E402,F401  (first: telemetry off)


def _cpu(usage) -> float:
    return usage.ru_utime + usage.ru_stime


class CpuWatch:
    """CPU seconds spent during a run: by the `faceshelf` command (with the worker processes
    it waited for), by this process (the LocalCluster's scheduler and nannies), and by the
    cluster's worker processes. On a shared machine, more telling than wall time."""

    def __init__(self, worker_pids=()) -> None:
        import resource

        import psutil

        self.resource, self.workers = resource, [psutil.Process(pid) for pid in worker_pids]
        self.start = self._now()

    def _now(self) -> tuple[float, float, float]:
        workers = sum(sum(p.cpu_times()[:2]) for p in self.workers)
        return (_cpu(self.resource.getrusage(self.resource.RUSAGE_CHILDREN)),
                _cpu(self.resource.getrusage(self.resource.RUSAGE_SELF)), workers)

    def spent(self) -> tuple[float, float, float]:
        """(command, this process, cluster workers) CPU seconds since made."""
        return tuple(b - a for a, b in zip(self.start, self._now()))


def run_index(args: list[str], worker_pids=()) -> tuple[dict, float, tuple]:
    """(the JSON summary, wall seconds, CPU seconds: command, scheduler, cluster workers)."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    watch = CpuWatch(worker_pids)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"faceshelf failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout), wall, watch.spent()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, help="photos (default 500; --quick 40)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="local/cluster pairs")
    parser.add_argument("--plaintext", action="store_true",
                        help="tcp:// on loopback instead of TLS (to see what TLS costs)")
    parser.add_argument("--photos", type=Path,
                        default=Path(tempfile.gettempdir()) / "faceshelf-bench" / "photos12mp")
    args = parser.parse_args()
    count = args.count or (40 if args.quick else 500)

    from synth import make_library

    folder = args.photos / f"n{count}"
    make_library(folder, count)
    files = sorted(folder.glob("*.jpg"))
    mean_size = statistics.mean(path.stat().st_size for path in files)
    print(f"photos: {len(files)} x 4000x3000 JPEG q90 in {folder}, "
          f"{mean_size / 1e6:.2f} MB on average")

    from core.remote.certs import make_cluster_certs
    from core.remote.local import local_cluster

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        tmp = Path(tmp)
        certs = None
        if not args.plaintext:
            certs = tmp / "certs"
            make_cluster_certs(certs)
        security = [] if certs is None else ["--cert-dir", str(certs)]
        with local_cluster(2, cert_dir=certs) as cluster:
            address = cluster.scheduler_address
            warm = tmp / "warm"
            warm.mkdir()
            for path in files[:2]:
                os.link(path, warm / path.name) if _same_fs(path, warm) else \
                    warm.joinpath(path.name).write_bytes(path.read_bytes())
            run_index(["--catalog", str(tmp / "warm-catalog"), "index", str(warm),
                       "--cluster", address, *security, "--json", "--no-cluster"])
            from distributed import Client

            with Client(cluster, set_as_default=False) as client:
                pids = list(client.run(os.getpid).values())
            print(f"cluster: LocalCluster, 2 worker processes x 1 thread at {address} "
                  f"({'plaintext' if certs is None else 'mutual TLS'}), models loaded")
            local_runs, cluster_runs = [], []
            for round_ in range(args.rounds):
                summary, wall, cpu = run_index(["--catalog", str(tmp / f"local-{round_}"),
                                                "index", str(folder), "--workers", "2",
                                                "--json", "--no-cluster"])
                local_runs.append((summary, wall))
                _say("local  ", summary, wall, count)
                print(f"    CPU per photo: {cpu[0] / count * 1000:.1f} ms (the command and its "
                      f"2 workers)")
                summary, wall, cpu = run_index(["--catalog", str(tmp / f"cluster-{round_}"),
                                                "index", str(folder), "--cluster", address,
                                                *security, "--json", "--no-cluster"], pids)
                cluster_runs.append((summary, wall))
                _say("cluster", summary, wall, count)
                print(f"    CPU per photo: {sum(cpu) / count * 1000:.1f} ms = workers "
                      f"{cpu[2] / count * 1000:.1f} + client (reads, sends, writes) "
                      f"{cpu[0] / count * 1000:.1f} + scheduler {cpu[1] / count * 1000:.1f}")
                for worker, figures in summary["cluster"]["workers"].items():
                    print(f"    worker {worker}: {figures['execution']}, "
                          f"{figures['photos']} photos, {figures['rate'] or 0:.2f} photos/s")
    steady = [statistics.median(s["rate"] or 0 for s, _ in runs)
              for runs in (local_runs, cluster_runs)]
    end_to_end = [statistics.median(count / wall for _, wall in runs)
                  for runs in (local_runs, cluster_runs)]
    shipped = statistics.median(s["cluster"]["shipped_bytes_per_photo"] for s, _ in cluster_runs)
    print(f"ratio cluster/local: steady {steady[1] / steady[0]:.2f}x, end to end "
          f"{end_to_end[1] / end_to_end[0]:.2f}x   (target >= 0.85; medians of "
          f"{args.rounds} round(s))")
    print(f"shipped to the cluster: {shipped / 1e6:.2f} MB per photo (the photo's bytes; "
          f"results come back as ~{_returned(cluster_runs):.0f} KB of thumbnails and 2 KB "
          f"per face)")


def _say(label: str, summary: dict, wall: float, count: int) -> None:
    print(f"{label}  {count / wall:6.2f} photos/s end to end ({wall:.1f} s), steady "
          f"{summary['rate'] or 0:.2f} photos/s, {summary['faces']} faces, "
          f"{summary['errors']} errors")


def _returned(runs) -> float:
    values = [s["cluster"].get("returned_kb_per_photo") or 0 for s, _ in runs]
    return statistics.median(values)


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


if __name__ == "__main__":
    main()
