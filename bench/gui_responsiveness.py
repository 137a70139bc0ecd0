"""GUI responsiveness at library scale (offscreen). Prints figures; asserts nothing.

    python bench/gui_responsiveness.py            # 100,000 photos, 150,000 faces
    python bench/gui_responsiveness.py --quick    # 10,000 photos, 15,000 faces

A synthetic catalog (real schema, synthetic rows) is generated once into --catalog (default
bench/out/gui_catalog_<photos>); thumbnails are hard links to a small set of real thumbnails
made from the insightface sample photos, so every cell really decodes a JPEG.

Figures:
- window shown: a fresh process, from interpreter start to the window's first paint
  (target < 1.5 s);
- first people grid painted: from creating the window to the people grid's first paint with
  cards (target < 0.5 s);
- photo grid scrolled end to end, a page per 16 ms frame, with a 5 ms QTimer recording the
  largest event-loop gap (target: no stall over 50 ms);
- peak memory (target < 1 GB).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIRST_NAMES = ["Anna", "Ben", "Carl", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai",
               "Lea", "Max", "Nia", "Oli", "Pia", "Quin", "Rae", "Sam", "Tea", "Uma", "Vic"]


# -- the synthetic catalog ------------------------------------------------------------------------

def sample_images() -> list[Path]:
    import importlib.util

    spec = importlib.util.find_spec("insightface")
    folder = Path(list(spec.submodule_search_locations)[0]) / "data" / "images"
    return sorted(folder.glob("*.jpg")) + sorted(folder.glob("*.png"))


def make_thumb_set(out: Path) -> tuple[list[Path], list[Path]]:
    """A few real photo thumbnails (256 px) and face crops (160 px) to link to."""
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    photos, faces = [], []
    for i, src in enumerate(sample_images()):
        with Image.open(src) as im:
            im = im.convert("RGB")
            for j, angle in enumerate((0, 90, 180)):
                variant = im.rotate(angle, expand=True) if angle else im
                thumb = variant.copy()
                thumb.thumbnail((256, 256))
                path = out / f"photo_{i}_{j}.jpg"
                thumb.save(path, quality=85)
                photos.append(path)
            side = min(im.size) // 2
            crop = im.crop((im.width // 2 - side // 2, im.height // 3 - side // 2,
                            im.width // 2 + side // 2, im.height // 3 + side // 2))
            crop = crop.resize((160, 160))
            path = out / f"face_{i}.jpg"
            crop.save(path, quality=85)
            faces.append(path)
    return photos, faces


def generate(catalog_dir: Path, n_photos: int, n_faces: int, seed: int = 7) -> None:
    from core.catalog import Catalog
    from core.thumbs import face_thumb_path, photo_thumb_path

    rng = random.Random(seed)
    t0 = time.perf_counter()
    if catalog_dir.exists():
        shutil.rmtree(catalog_dir)
    Catalog(catalog_dir).close()
    thumbs_photo, thumbs_face = make_thumb_set(catalog_dir / "thumb_set")
    conn = sqlite3.connect(catalog_dir / "catalog.sqlite3")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    now = time.time()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/synthetic', ?)", (now,))
    photos = []
    start = time.mktime((2004, 1, 1, 0, 0, 0, 0, 0, -1))
    span = time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, -1)) - start
    for pid in range(1, n_photos + 1):
        taken = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(start + rng.random() * span))
        # Paths are unique and not read: the thumbnails below are what the grid shows.
        photos.append((pid, 1, f"/synthetic/{taken[:4]}/IMG_{pid:06d}.jpg", 1000 + pid, pid,
                       640, 480, taken, "exif_original",
                       "indexed", now, "synthetic"))
    conn.executemany(
        "INSERT INTO photos(id, folder_id, path, size, mtime_ns, width, height, taken_at, "
        "taken_at_source, status, indexed_at, model_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", photos)
    # People: Zipf-like sizes, a third of them named; 80% of faces belong to someone.
    n_people = max(10, n_faces // 50)
    names = {}
    conn.executemany(
        "INSERT INTO people(id, name, hidden, created_at, updated_at) VALUES (?,?,0,?,?)",
        [(p, (f"{rng.choice(FIRST_NAMES)} {p}" if p % 3 == 0 else None), now, now)
         for p in range(1, n_people + 1)])
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(n_people)]
    faces = []
    for fid in range(1, n_faces + 1):
        pid = rng.randrange(1, n_photos + 1)
        person = rng.choices(range(1, n_people + 1), weights)[0] if rng.random() < 0.8 else None
        x = rng.uniform(50, 400)
        y = rng.uniform(50, 300)
        faces.append((fid, pid, x, y, x + 120, y + 120, 0.9, 120.0, rng.random(), person,
                      "cluster" if person else None, now))
    conn.executemany(
        "INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality, "
        "usable, embedding, model_id, person_id, assigned_by, created_at) "
        "VALUES (?,?,?,?,?,?,zeroblob(40),?,?,?,1,zeroblob(2048),'synthetic',?,?,?)", faces)
    conn.execute("COMMIT")
    conn.close()
    for pid in range(1, n_photos + 1):
        target = photo_thumb_path(catalog_dir, pid)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(thumbs_photo[pid % len(thumbs_photo)], target)
    for fid in range(1, n_faces + 1):
        target = face_thumb_path(catalog_dir, fid)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(thumbs_face[fid % len(thumbs_face)], target)
    print(f"generated {n_photos:,} photos, {n_faces:,} faces, {n_people:,} people in "
          f"{time.perf_counter() - t0:.1f} s -> {catalog_dir}")
    del names


# -- measurements ---------------------------------------------------------------------------------

def child_window_shown(catalog_dir: str) -> None:
    """Run in a fresh process: print seconds from interpreter start to the first paint."""
    import psutil

    born = psutil.Process().create_time()
    from PySide6.QtCore import QEvent, QObject, QTimer

    from gui.app import create_app
    from gui.main_window import MainWindow

    app = create_app()
    window = MainWindow(Path(catalog_dir))

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                print(f"SHOWN {time.time() - born:.3f}", flush=True)
                QTimer.singleShot(0, app.quit)
                obj.removeEventFilter(self)
            return False

    watcher = FirstPaint()
    window.installEventFilter(watcher)
    window.show()
    app.exec()
    window.close()


def window_shown_seconds(catalog_dir: Path, runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--child-start", str(catalog_dir)],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        for line in out.stdout.splitlines():
            if line.startswith("SHOWN "):
                times.append(float(line.split()[1]))
        if out.returncode != 0:
            print(out.stderr[-2000:])
    return times


class GapMeter:
    """A 5 ms timer; the largest interval between its ticks is the longest UI stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.last = now

    def start(self) -> None:
        self.gaps = []
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def summary(self) -> str:
        if not self.gaps:
            return "no ticks"
        gaps = sorted(self.gaps)
        p99 = gaps[int(len(gaps) * 0.99) - 1] if len(gaps) > 100 else gaps[-1]
        over = sum(1 for g in gaps if g > 0.050)
        return (f"max gap {gaps[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
                f"{over} gaps > 50 ms in {len(gaps):,} ticks")


def wait_until(app, predicate, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.002)
    return False


def warm_snapshot(catalog_dir: Path) -> None:
    """A previous session: it saved the people list the next start paints first."""
    from core.catalog import Catalog
    from gui.models import queries

    with Catalog(catalog_dir) as catalog:
        queries.save_people_snapshot(catalog_dir, queries.people(catalog))


def in_process(catalog_dir: Path) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer

    from gui.app import create_app
    from gui.main_window import MainWindow

    app = create_app()
    painted = {}

    # The machine's own noise, same run: an idle event loop measured the same way.
    idle = GapMeter()
    idle.start()
    wait_until(app, lambda: False, 1.0)
    idle.stop()
    print(f"baseline, idle event loop for 1 s: {idle.summary()}")

    t0 = time.perf_counter()
    window = MainWindow(catalog_dir)
    grid = window.people_page.grid
    model = window.people_page.model

    class PeoplePainted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and model.rowCount() and "people" not in painted:
                painted["people"] = time.perf_counter() - t0
            return False

    spy = PeoplePainted()
    grid.viewport().installEventFilter(spy)
    live = {}
    original_apply = window.people_page._apply

    def apply_and_time(rows):
        live.setdefault("t", time.perf_counter() - t0)
        original_apply(rows)

    window.people_page._apply = apply_and_time
    window.resize(1280, 860)
    window.show()
    wait_until(app, lambda: "people" in painted and "t" in live, 60)
    print(f"first people grid painted: {painted.get('people', float('nan')) * 1000:.0f} ms "
          f"after creating the window ({model.rowCount():,} people; target < 500 ms); "
          f"it paints the list saved by the last session, the live query's list replaced it "
          f"at {live.get('t', float('nan')) * 1000:.0f} ms")

    # Photos: load, then scroll end to end a page per frame while the gap meter runs.
    meter = GapMeter()
    t1 = time.perf_counter()
    meter.start()
    window.show_section("photos")
    photos = window.photos_page.model
    wait_until(app, lambda: photos.rowCount() > 0, 60)
    loaded = time.perf_counter() - t1
    photo_grid = window.photos_page.grid
    bar = photo_grid.verticalScrollBar()
    wait_until(app, lambda: bar.maximum() > 0, 30)
    first_rows = time.perf_counter() - t1
    # Month headers make cells of two sizes, so Qt lays the rows out in batches between
    # events and sets the scroll range at the end: laid out once the range has stopped
    # changing for 1.5 s (timed from its last change).
    height, changed = bar.maximum(), time.perf_counter()
    while time.perf_counter() - changed < 1.5:
        wait_until(app, lambda: False, 0.05)
        if bar.maximum() != height:
            height, changed = bar.maximum(), time.perf_counter()
    laid_out = changed - t1
    meter.stop()
    print(f"photos loaded: {photos.rowCount():,} rows in {loaded * 1000:.0f} ms, first rows "
          f"laid out at {first_rows * 1000:.0f} ms, all at {laid_out * 1000:.0f} ms "
          f"(event loop meanwhile: {meter.summary()})")

    frames = {"n": 0}
    done = {}
    step = max(1, photo_grid.viewport().height())

    def frame() -> None:
        frames["n"] += 1
        if bar.value() >= bar.maximum():
            done["t"] = time.perf_counter()
            return
        bar.setValue(bar.value() + step)
        QTimer.singleShot(16, frame)

    meter.start()
    t2 = time.perf_counter()
    cpu0 = time.thread_time()
    QTimer.singleShot(0, frame)
    wait_until(app, lambda: "t" in done, 600)
    meter.stop()
    cpu = time.thread_time() - cpu0
    scroll_s = done.get("t", time.perf_counter()) - t2
    print(f"photo grid scrolled end to end: {frames['n']:,} frames (a page each) in "
          f"{scroll_s:.1f} s; {meter.summary()}; target: no gap > 50 ms")
    print(f"  UI-thread CPU during the scroll: {cpu:.2f} s, {cpu / max(1, frames['n']) * 1000:.1f}"
          f" ms per frame (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    loader = window.ctx.loader
    print(f"  thumbnails in the LRU cache after the scroll: {len(loader._cache):,} "
          f"(cap {loader.cache_items:,}); requests still queued: {loader.pending():,}")

    # Scroll the people grid too (round faces, clipped painting).
    window.show_section("people")
    people_bar = grid.verticalScrollBar()
    wait_until(app, lambda: people_bar.maximum() > 0, 10)
    meter.start()
    frames["n"] = 0
    done.clear()
    bar = people_bar
    step = max(1, grid.viewport().height())
    QTimer.singleShot(0, frame)
    wait_until(app, lambda: "t" in done, 300)
    meter.stop()
    print(f"people grid scrolled end to end: {frames['n']:,} frames; {meter.summary()}")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import psutil

    rss_mb = psutil.Process().memory_info().rss / 2 ** 20
    print(f"memory: peak RSS {peak_mb:.0f} MB, now {rss_mb:.0f} MB (target < 1024 MB)")
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 photos / 15,000 faces")
    parser.add_argument("--photos", type=int)
    parser.add_argument("--faces", type=int)
    parser.add_argument("--catalog", type=Path, help="where to generate (or reuse) the catalog")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--child-start", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_start:
        child_window_shown(args.child_start)
        return
    n_photos = args.photos or (10_000 if args.quick else 100_000)
    n_faces = args.faces or (15_000 if args.quick else 150_000)
    catalog_dir = args.catalog or ROOT / "bench" / "out" / f"gui_catalog_{n_photos}"
    marker = catalog_dir / f".generated_{n_photos}_{n_faces}"
    if args.regenerate or not marker.exists():
        generate(catalog_dir, n_photos, n_faces)
        marker.touch()
    else:
        print(f"reusing {catalog_dir} ({n_photos:,} photos, {n_faces:,} faces)")
    warm_snapshot(catalog_dir)
    times = window_shown_seconds(catalog_dir)
    if times:
        print(f"window shown after start: best {min(times):.2f} s, worst {max(times):.2f} s "
              f"over {len(times)} fresh processes (target < 1.5 s)")
    in_process(catalog_dir)


if __name__ == "__main__":
    main()
