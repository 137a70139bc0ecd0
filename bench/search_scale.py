"""Search by face at scale: latency and recall of the search index against exact numpy search.

    python bench/search_scale.py --quick             # 10k and 100k synthetic faces, real data
    python bench/search_scale.py --catalog DIR       # 10k, 100k, 1M (the lead, on a quiet machine)
    python bench/search_scale.py --sizes 100000 --kinds annoy --trees 16,32 --dims 64,128 --sk 64
    python bench/search_scale.py --sizes 100000 --kinds scan --dims 96,128 --cut 0.5,0.55

Index kinds (--kinds): "bits" (the default index: Hamming scan of 768-bit sign codes, candidates
within a bar re-ranked exactly; --dims is the code length, --z the bar), "scan" (exact scan of
PCA-projected vectors, re-ranked exactly) and "annoy" (trees over the projection, with widening
probes); scan and annoy run when --kinds is not given. Each
configuration runs in its own process, so its peak memory is its own.

Part 1, synthetic (bench/synthetic_faces.py: identities with several faces each, same-identity
cosines ~0.4-0.85 and different-identity spread as measured on real buffalo_s embeddings): for
each N and index configuration, build time, on-disk size, p50/p95 latency of a face query ("all
faces at or above the threshold", what search_photos asks), recall of the same-identity faces above
the threshold and of all above-threshold faces, each against exact numpy search of the same
queries; and the exact baseline (float32 matvec + threshold) timed in the same run. Peak memory
(VmHWM) is printed after the index phase, before the exact baseline loads the matrix.

Part 2, real (a catalog of ../shared/data/faces, the folder name of a photo is its person; the
labelled face of a photo is the one nearest its centre, the others are bystanders): for each
person with >= 3 photos with a face, query search_photos with one of their faces at the default
threshold; mean precision and recall of their photos in the result. Precision is printed strict
(a photo outside the person's folder is wrong) and "labelled" (photos that matched only through
an unlabelled bystander face are not judged: they are mostly the person really being there, e.g.
Sadie Frost in Jude Law's photos). A sweep over thresholds shows how the default was chosen.
Then the delta path: the photos of 50 people are removed, the index is built, the photos are
added back (new face ids) and searched at once, without a rebuild.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import synthetic_faces  # noqa: E402

from core.search import search_index as search_index  # noqa: E402
from core.search.threshold import DEFAULT_MIN_SIMILARITY  # noqa: E402

DEV_CATALOG = Path("/work/devdata/faces_catalog")


def vm_hwm_mb() -> str:
    """Peak resident memory, and how much of the current one is anonymous (the rest is
    memory-mapped index files, which the kernel can drop and re-read)."""
    try:
        fields = {line.split(":")[0]: int(line.split()[1]) / 1024
                  for line in open("/proc/self/status") if line.startswith(("VmHWM", "Rss"))}
        return (f"{fields['VmHWM']:.0f} MB (now {fields['RssAnon']:.0f} anon + "
                f"{fields['RssFile']:.0f} mapped files)")
    except (OSError, KeyError):
        import resource

        return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values), q))


# -- part 1: synthetic --------------------------------------------------------------------

def build_synthetic(workdir: Path, n: int, kind: str, n_trees: int, dims: int, seed: int = 0):
    labels, chunks = synthetic_faces.generate(n, seed=seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    started = time.perf_counter()
    for _ in search_index.build_generation(workdir, "synthetic", ids, chunks, revision=0,
                                           max_face_id=n, kind=kind, n_trees=n_trees,
                                           dims=dims, n_jobs=1):
        pass
    seconds = time.perf_counter() - started
    stamp = search_index.read_stamp(workdir, "synthetic")
    return labels, stamp, seconds


def pick_queries(labels: np.ndarray, count: int, seed: int = 7) -> np.ndarray:
    sizes = np.bincount(labels)
    rng = np.random.default_rng(seed)
    candidates = np.nonzero(sizes[labels] >= 2)[0]
    return np.sort(rng.choice(candidates, size=min(count, len(candidates)), replace=False))


def run_synthetic(n: int, configs: list[dict], queries: int, threshold: float):
    """Each configuration in a fresh process, so peak memory is its own."""
    import json
    import subprocess

    print(f"\n== synthetic N = {n:,} faces, threshold {threshold}; index vs exact numpy "
          f"float32 (timed alternately, same queries) ==", flush=True)
    for config in configs:
        job = json.dumps(dict(config, n=n, queries=queries, threshold=threshold))
        subprocess.run([sys.executable, __file__, "--one", job], check=True)


def run_one(job: dict) -> None:
    n, queries, threshold = job["n"], job["queries"], job["threshold"]
    rows = []
    for config in [job]:
        with tempfile.TemporaryDirectory(prefix="faceshelf-bench-") as tmp:
            workdir = Path(tmp)
            labels, stamp, build_s = build_synthetic(workdir, n, config["kind"],
                                                     config["trees"], config["dims"])
            size_mb = dir_size_mb(workdir)
            gen = search_index.Generation(workdir, stamp)
            gen.search_k_per_item = config["sk"]
            gen.expansions = config["exp"]
            gen.scan_cut = config["cut"]
            gen.bits_z = config.get("z", search_index.BITS_Z)
            q_rows = pick_queries(labels, queries)
            found = []
            candidates = []
            for row in q_rows:  # recall pass (also warms the page cache)
                ids, _ = gen.matches(np.asarray(gen.vectors[row]), threshold)
                found.append(set((ids - 1).tolist()))
                if gen.scanner is not None:  # bits: how many faces the exact re-rank reads
                    code = search_index.sign_codes(np.asarray(gen.vectors[row])[None], gen.planes)
                    bar = search_index.hamming_bar(stamp.dims, threshold, gen.bits_z)
                    candidates.append(len(gen.scanner.within(code[0], bar)))
            hwm = vm_hwm_mb()  # before the exact baseline holds the whole matrix
            matrix = np.ascontiguousarray(gen.vectors)
            times, exact_times = [], []
            hits_same = truth_same = hits_all = truth_all = 0
            for row, got in zip(q_rows, found):
                # Timed alternately, so the load of a shared machine hits both alike.
                query = matrix[row].copy()
                started = time.perf_counter()
                gen.matches(query, threshold)
                times.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                sims = matrix @ query
                above = np.nonzero(sims >= threshold)[0]
                exact_times.append((time.perf_counter() - started) * 1000)
                same = above[labels[above] == labels[row]]
                truth_same += len(same)
                hits_same += len(got.intersection(same.tolist()))
                truth_all += len(above)
                hits_all += len(got.intersection(above.tolist()))
            gen.close()
            del matrix
        if config["kind"] == "scan":
            label = f"scan  dims {stamp.dims:3d} cut {config['cut']:.2f}           "
        elif config["kind"] == "bits":
            bar = search_index.hamming_bar(stamp.dims, threshold, gen.bits_z)
            label = (f"bits  B {stamp.dims:4d} z {gen.bits_z:.1f} bar {bar:4d} "
                     f"cand/q {np.mean(candidates):7.0f}")
        else:
            label = (f"annoy dims {stamp.dims:3d} trees {config['trees']:2d} sk/k "
                     f"{config['sk']:3d} exp {config['exp']}")
        rows.append((label, build_s, size_mb, pct(times, 50), pct(times, 95),
                     hits_same / max(1, truth_same), hits_all / max(1, truth_all),
                     pct(exact_times, 50), pct(exact_times, 95), hwm,
                     truth_same / len(q_rows)))
        r = rows[-1]
        print(f"{r[0]} | build {r[1]:6.1f} s disk {r[2]:6.0f} MB | index p50 {r[3]:6.2f} ms "
              f"p95 {r[4]:6.2f} ms | recall same-id {r[5]:.4f} all-above {r[6]:.4f} | exact "
              f"p50 {r[7]:6.2f} ms p95 {r[8]:6.2f} ms | exact/index p50 x{r[7] / r[3]:.1f} | "
              f"peak {r[9]} | {r[10]:.1f} matches/query", flush=True)


# -- part 2: real catalog -----------------------------------------------------------------

def copy_catalog(source: Path, workdir: Path) -> Path:
    from core.catalog import Catalog

    target = workdir / "catalog"
    target.mkdir()
    with Catalog(source, readonly=True) as src:  # a consistent copy even while WAL is active
        import sqlite3

        dst = sqlite3.connect(target / "catalog.sqlite3")
        src.conn.backup(dst)
        dst.close()
    return target


def labelled_faces(cat) -> tuple[dict, dict, set]:
    """person -> their photos (with a usable face), photo -> person, labelled face ids.
    Faces too small or poor to use (faces.usable = 0, e.g. the 23x28 px ORL crops) are not
    searchable by design; photos with only such faces are left out of the evaluation."""
    rows = cat.execute("""SELECT f.id, f.photo_id, p.path, f.x1, f.y1, f.x2, f.y2, p.width,
                          p.height FROM faces f JOIN photos p ON p.id = f.photo_id
                          WHERE f.usable = 1""").fetchall()
    nearest: dict[int, tuple[float, int]] = {}
    person_of: dict[int, str] = {}
    for fid, pid, path, x1, y1, x2, y2, w, h in rows:
        person_of[pid] = Path(path).parent.name
        d = ((x1 + x2) / 2 - (w or 0) / 2) ** 2 + ((y1 + y2) / 2 - (h or 0) / 2) ** 2
        if pid not in nearest or d < nearest[pid][0]:
            nearest[pid] = (d, fid)
    photos: dict[str, set[int]] = {}
    for pid, person in person_of.items():
        photos.setdefault(person, set()).add(pid)
    return photos, person_of, {fid for _, fid in nearest.values()}


def score(hits, relevant: set[int], labelled: set[int]) -> tuple[float, float, float]:
    got = {h.photo_id for h in hits}
    judged = {h.photo_id for h in hits if h.photo_id in relevant or h.face_id in labelled}
    tp = len(got & relevant)
    return (tp / max(1, len(got)), len(judged & relevant) / max(1, len(judged)),
            tp / len(relevant))


def run_real(source: Path, threshold: float) -> None:
    from core.catalog import Catalog
    from core.search.search_index import SearchIndex, build_index
    from core.search import SearchSpec, search_photos

    print(f"\n== real: catalog {source} ==")
    with tempfile.TemporaryDirectory(prefix="faceshelf-bench-real-") as tmp:
        cat = Catalog(copy_catalog(source, Path(tmp)))
        photos, person_of, labelled = labelled_faces(cat)
        people = sorted(p for p, ph in photos.items() if len(ph) >= 3)
        n_faces = cat.execute("SELECT COUNT(*) FROM faces").fetchone()[0]
        started = time.perf_counter()
        for _ in build_index(cat):
            pass
        n_photos = cat.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
        print(f"{n_faces} faces, {n_photos} photos, {len(person_of)} with a usable face; "
              f"{len(people)} people with >= 3 such photos; index built in "
              f"{time.perf_counter() - started:.1f} s")
        query_face = {}
        for person in people:  # the labelled face of their first photo
            for pid in sorted(photos[person]):
                face = next((f for f in _faces_of(cat, pid) if f in labelled), None)
                if face is not None:
                    query_face[person] = face
                    break
        sweep = sorted({0.28, 0.30, 0.32, 0.34, threshold, 0.36, 0.38, 0.40, 0.45})
        for t in sweep:
            strict, lab, rec, times = [], [], [], []
            for person in people:
                started = time.perf_counter()
                hits = search_photos(cat, SearchSpec(face_id=query_face[person], min_similarity=t))
                times.append((time.perf_counter() - started) * 1000)
                s, lb, r = score(hits, photos[person], labelled)
                strict.append(s), lab.append(lb), rec.append(r)
            mark = "  <- default" if t == threshold else ""
            print(f"threshold {t:.2f}: precision strict {np.mean(strict):.4f} labelled "
                  f"{np.mean(lab):.4f}  recall {np.mean(rec):.4f}  search_photos p50 "
                  f"{pct(times, 50):.2f} ms{mark}", flush=True)
        run_delta(cat, photos, people, query_face, threshold)
        SearchIndex.forget_all()
        cat.close()


def _faces_of(cat, photo_id: int) -> list[int]:
    return [r[0] for r in cat.execute("SELECT id FROM faces WHERE photo_id=? ORDER BY id",
                                      (photo_id,))]


def run_delta(cat, photos, people, query_face, threshold) -> None:
    """Remove the non-query photos of 50 people, build, add them back, search at once."""
    from core.search.search_index import SearchIndex, build_index, current_model_id
    from core.search import SearchSpec, search_photos

    rng = np.random.default_rng(3)
    chosen = [people[i] for i in rng.choice(len(people), size=min(50, len(people)),
                                            replace=False)]
    query_photo = {p: cat.execute("SELECT photo_id FROM faces WHERE id=?",
                                  (query_face[p],)).fetchone()[0] for p in chosen}
    moved = [pid for p in chosen for pid in sorted(photos[p]) if pid != query_photo[p]]

    def recall_of_moved() -> list[float]:
        rec = []
        for person in chosen:
            relevant = photos[person] - {query_photo[person]}
            got = {h.photo_id for h in search_photos(cat, SearchSpec(face_id=query_face[person]))}
            rec.append(len(got & relevant) / max(1, len(relevant)))
        return rec

    baseline = recall_of_moved()  # the same photos found through the built index
    saved_photos = [tuple(cat.execute("SELECT * FROM photos WHERE id=?", (pid,)).fetchone())
                    for pid in moved]
    saved_faces = [tuple(r) for pid in moved
                   for r in cat.execute("SELECT * FROM faces WHERE photo_id=?", (pid,))]
    with cat.transaction() as conn:
        conn.execute(f"DELETE FROM photos WHERE id IN ({','.join('?' * len(moved))})", moved)
    for _ in build_index(cat):
        pass
    stamp = search_index.read_stamp(cat.index_dir, current_model_id(cat))
    # "faceshelf index" adds them back: same photos, new face ids (after the stamp).
    face_cols = [d[0] for d in cat.execute("SELECT * FROM faces LIMIT 0").description]
    with cat.transaction() as conn:
        marks = ",".join("?" * len(saved_photos[0]))
        conn.executemany(f"INSERT INTO photos VALUES ({marks})", saved_photos)
        cols = [c for c in face_cols if c != "id"]
        conn.executemany(
            f"INSERT INTO faces({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
            [tuple(v for c, v in zip(face_cols, r) if c != "id") for r in saved_faces])
    rec, times = [], []
    for person in chosen:
        started = time.perf_counter()
        hits = search_photos(cat, SearchSpec(face_id=query_face[person]))
        times.append((time.perf_counter() - started) * 1000)
        relevant = photos[person] - {query_photo[person]}
        got = {h.photo_id for h in hits}
        rec.append(len(got & relevant) / max(1, len(relevant)))
    index = SearchIndex.for_catalog(cat, current_model_id(cat))
    assert index.generation.stamp.max_face_id == stamp.max_face_id  # no rebuild happened
    print(f"delta path: {len(moved)} photos ({len(saved_faces)} faces) added after the build "
          f"(stamp max face id {stamp.max_face_id}, delta {index.delta_size} faces); searched "
          f"at once for {len(chosen)} people: recall of the added photos {np.mean(rec):.4f} "
          f"(the same photos through the built index before: {np.mean(baseline):.4f}), "
          f"search_photos p50 {pct(times, 50):.2f} ms")


# -- main ---------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k only")
    parser.add_argument("--sizes", help="comma-separated N (default 10k,100k,1M)")
    parser.add_argument("--kinds", default=search_index.DEFAULT_KIND,
                        help="bits, scan and/or annoy (comma-separated; default: the app's)")
    parser.add_argument("--z", default=str(search_index.BITS_Z),
                        help="bits: Hamming bar, in std above the threshold's mean")
    parser.add_argument("--trees", default=str(search_index.DEFAULT_TREES))
    parser.add_argument("--dims", help="projection dims (default per kind)")
    parser.add_argument("--cut", default=str(search_index.SCAN_CUT),
                        help="scan: candidate bar as a share of the threshold")
    parser.add_argument("--sk", default=str(search_index.SEARCH_K_PER_ITEM),
                        help="annoy search_k per requested neighbour")
    parser.add_argument("--expansions", default=str(search_index.EXPANSIONS))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threshold", type=float, default=DEFAULT_MIN_SIMILARITY)
    parser.add_argument("--catalog", type=Path, default=DEV_CATALOG,
                        help="a catalog of ../shared/data/faces for part 2")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # one configuration (a subprocess)
    args = parser.parse_args()
    if args.one:
        import json

        run_one(json.loads(args.one))
        return
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    configs = []
    for kind in args.kinds.split(","):
        dims = args.dims.split(",") if args.dims else [search_index.DEFAULT_DIMS[kind]]
        for d in dims:
            if kind == "scan":
                configs += [dict(kind=kind, dims=int(d), cut=float(c), trees=0, sk=0, exp=0)
                            for c in args.cut.split(",")]
            elif kind == "bits":
                configs += [dict(kind=kind, dims=int(d), z=float(z), cut=0, trees=0, sk=0,
                                 exp=0) for z in args.z.split(",")]
            else:
                configs += [dict(kind=kind, dims=int(d), trees=int(t), sk=int(k), exp=int(e),
                                 cut=0) for t in args.trees.split(",")
                            for k in args.sk.split(",") for e in args.expansions.split(",")]
    if not args.skip_synthetic:
        for n in sizes:
            run_synthetic(n, configs, args.queries, args.threshold)
    if not args.skip_real:
        if args.catalog.joinpath("catalog.sqlite3").exists():
            run_real(args.catalog, args.threshold)
        else:
            print(f"\n(no catalog at {args.catalog}: real-data part skipped)")


if __name__ == "__main__":
    main()
