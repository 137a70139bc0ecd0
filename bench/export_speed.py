"""Export speed: `faceshelf export` in copy mode against a plain `cp -r` of the same files.

Generates N real JPEGs of ~1-3 MB (montages of the faces in ../shared/data/faces; a few distinct
montages, copied N times), a catalog with a photos row per file and one person owning them all,
then times, in the same run and on the same disk:
    cp -r                      the baseline (returns before the data reaches the disk)
    cp -r + fsync every file   the baseline made as durable as the export's default
    export (default, fsync)    faceshelf export --person Bench --to DIR
    export --no-fsync
and prints MB/s and the ratios. The page cache holds the sources after generation, so both
sides read from memory; what differs is how they write.

    python bench/export_speed.py            # 5,000 photos (~10 GB on disk, twice, briefly)
    python bench/export_speed.py --quick    # 500 photos
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

FACES = PROJECT.parent / "shared" / "data" / "faces"
SIZES = [(2400, 1800), (3000, 2000), (3200, 2400), (3600, 2700), (4000, 3000), (2800, 2100)]


def montage(faces: list[Path], size: tuple[int, int], offset: int, path: Path) -> None:
    """A big real-content JPEG: real face photos tiled over the canvas."""
    from PIL import Image

    canvas = Image.new("RGB", size)
    tile = 250
    k = offset
    for y in range(0, size[1], tile):
        for x in range(0, size[0], tile):
            with Image.open(faces[k % len(faces)]) as im:
                canvas.paste(im.convert("RGB").resize((tile, tile)), (x, y))
            k += 1
    canvas.save(path, quality=90)


def make_library(root: Path, n: int, face_dir: Path = FACES) -> list[Path]:
    faces = sorted(face_dir.glob("*/*.jpg"))[:4000:7]
    if not faces:
        sys.exit(f"no face photos under {face_dir} (give --faces DIR: folders of JPEGs)")
    bases = []
    for i, size in enumerate(SIZES):
        base = root / f"base_{i}.jpg"
        montage(faces, size, i * 97, base)
        bases.append(base)
    lib = root / "library"
    paths = []
    for i in range(n):
        folder = lib / f"{2010 + i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"IMG_{i:05d}.jpg"
        shutil.copyfile(bases[i % len(bases)], path)
        paths.append(path)
    for base in bases:
        base.unlink()
    return paths


def make_catalog(cat_dir: Path, lib: Path, paths: list[Path]):
    from core.catalog import Catalog

    cat = Catalog(cat_dir)
    folder = cat.add_folder(lib)
    with cat.transaction() as conn:
        person = conn.execute("INSERT INTO people(name, created_at, updated_at) "
                              "VALUES ('Bench', 0, 0)").lastrowid
        for i, path in enumerate(paths):
            st = path.stat()
            pid = conn.execute(
                "INSERT INTO photos(folder_id, path, size, mtime_ns, width, height, taken_at,"
                " status) VALUES (?, ?, ?, ?, 3000, 2000, ?, 'indexed')",
                (folder, str(path), st.st_size, st.st_mtime_ns,
                 f"{2010 + i % 10}-0{1 + i % 9}-1{i % 10}T12:00:00")).lastrowid
            conn.execute(
                "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality,"
                " usable, embedding, model_id, person_id, assigned_by, created_at)"
                " VALUES (?, 100, 100, 300, 300, ?, 0.9, 200, 0.9, 1, ?, 'bench', ?, 'user', 0)",
                (pid, b"\0" * 40, b"\0" * 2048, person))
    return cat


def timed(label: str, fn) -> float:
    t = time.perf_counter()
    fn()
    dt = time.perf_counter() - t
    print(f"  {label:<28} {dt:7.2f} s", flush=True)
    return dt


def fsync_tree(root: Path) -> None:
    for folder, _, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="500 photos instead of 5,000")
    ap.add_argument("-n", type=int, help="number of photos")
    ap.add_argument("--dir", help="work folder (default: a temporary folder)")
    ap.add_argument("--repeat", type=int, help="rounds, median reported (default 3; 2 full)")
    ap.add_argument("--faces", type=Path, default=FACES,
                    help="folders of face JPEGs to tile into the photos (default: %(default)s)")
    args = ap.parse_args()
    n = args.n or (500 if args.quick else 5000)
    args.repeat = args.repeat or (3 if args.quick or n <= 1000 else 2)

    from core.export import ExportOptions, ExportRequest, export
    from core.search.spec import SearchSpec

    work = Path(tempfile.mkdtemp(prefix="faceshelf-export-bench-", dir=args.dir))
    try:
        t = time.perf_counter()
        paths = make_library(work, n, args.faces)
        lib = work / "library"
        total = sum(p.stat().st_size for p in paths)
        cat = make_catalog(work / "catalog", lib, paths)
        mb = total / 1e6
        print(f"{n} photos, {mb:.0f} MB ({mb / n:.2f} MB each), generated in "
              f"{time.perf_counter() - t:.1f} s; work folder {work}")
        subprocess.run(["sync"], check=False)   # generation's dirty pages out of the way

        def cp(dest):
            subprocess.run(["cp", "-r", str(lib), str(dest)], check=True)

        def run_export(dest, fsync):
            s = export(cat, ExportRequest(spec=SearchSpec(people_all=["Bench"]),
                                          destination=str(dest), options=ExportOptions(),
                                          fsync=fsync))
            assert s.ok and s.added == n, s

        runs = [
            ("cp -r", lambda d: cp(d)),
            ("cp -r + fsync each file", lambda d: (cp(d), fsync_tree(d))),
            ("export (fsync, default)", lambda d: run_export(d, True)),
            ("export --no-fsync", lambda d: run_export(d, False)),
        ]
        times: dict[str, list[float]] = {label: [] for label, _ in runs}
        for rep in range(args.repeat):     # round-robin so machine noise hits every contender
            print(f"round {rep + 1}/{args.repeat}", flush=True)
            for label, fn in runs:
                dest = work / "out"
                times[label].append(timed(label, lambda fn=fn, dest=dest: fn(dest)))
                shutil.rmtree(dest)
                subprocess.run(["sync"], check=False)   # each run starts with clean write-back
        results = {label: statistics.median(ts) for label, ts in times.items()}

        print(f"\nmedian of {args.repeat} runs, {mb:.0f} MB ({n} photos):")
        for label, dt in results.items():
            print(f"  {label:<28} {mb / dt:8.1f} MB/s  {n / dt:8.1f} photos/s")
        cp_plain, cp_sync = results["cp -r"], results["cp -r + fsync each file"]
        print("\nratios (export speed / baseline speed; 1.0 = as fast):")
        exp, nosync = results["export (fsync, default)"], results["export --no-fsync"]
        print(f"  export --no-fsync vs cp -r              {cp_plain / nosync:.2f}")
        print(f"  export (fsync)    vs cp -r              {cp_plain / exp:.2f}")
        print(f"  export (fsync)    vs cp -r + fsync      {cp_sync / exp:.2f}")

        # Incremental: what re-running a saved album costs when nothing changed.
        dest = work / "album"
        export(cat, ExportRequest(spec=SearchSpec(people_all=["Bench"]), destination=str(dest),
                                  save_as="bench", options=ExportOptions(xmp=True),
                                  fsync=False))
        t = time.perf_counter()
        s = export(cat, ExportRequest(album="bench"))
        again = time.perf_counter() - t
        assert s.added == 0 and s.skipped == n, s
        print(f"\nre-export of the unchanged album ({n} photos + sidecars): {again:.2f} s")
        shutil.rmtree(dest)
        cat.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
