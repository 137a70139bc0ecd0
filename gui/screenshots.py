"""`make screenshots`: PNGs of every view, with a library indexed from ../shared/data.

    python -m gui.screenshots screenshots [--rebuild]

The first run builds a demo catalog in <out>/.demo: it copies the group photos and a slice of
the labelled face photos into <out>/.demo/library (the output folder is git-ignored; the
originals are never touched), indexes them with the real pipeline, groups people with the
people core, names the biggest groups after their folder label (demo data only: a user names
people by hand) and exports one album. Later runs reuse it. Then it opens the real window
offscreen, visits every view and saves a PNG of each.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared" / "data"
PEOPLE_IN_SLICE = 14
PHOTOS_PER_PERSON = 8
SIZE = (1280, 820)


# -- the demo library -----------------------------------------------------------------------------

def _date_files(folder: Path, seed: int) -> None:
    """Spread the copies' file times over years (these photos carry no EXIF date), so the
    Photos view shows its month headers as a real library would."""
    import random

    rng = random.Random(seed)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            when = rng.uniform(1.30e9, 1.76e9)  # 2011 .. 2025
            os.utime(path, (when, when))


def build_library(library: Path) -> None:
    faces = SHARED / "faces"
    groups = SHARED / "groups"
    if not faces.is_dir() or not groups.is_dir():
        sys.exit(f"screenshots need the shared data set at {SHARED}")
    library.mkdir(parents=True, exist_ok=True)
    shutil.copytree(groups, library / "groups", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.tsv"))
    people = sorted((p for p in faces.iterdir() if p.is_dir()),
                    key=lambda p: (-len(list(p.iterdir())), p.name))
    for person in people[:PEOPLE_IN_SLICE]:
        target = library / "people" / person.name
        target.mkdir(parents=True, exist_ok=True)
        for photo in sorted(person.iterdir())[:PHOTOS_PER_PERSON]:
            shutil.copy2(photo, target / photo.name)
    _date_files(library, 1)


def _show_a_new_month(grid) -> None:
    """Scroll so that the second month's header is mid-screen, under the end of the first."""
    from PySide6.QtWidgets import QAbstractItemView

    sections = grid.sections
    headers = [row for row in range(sections.rowCount()) if sections.is_header(row)]
    if len(headers) > 1:
        grid.scrollTo(sections.index(headers[1]), QAbstractItemView.ScrollHint.PositionAtCenter)


def add_more_photos(library: Path, count: int = 3) -> None:
    """Later photos of the same people, some as poor old scans (small, soft, grey): after
    naming, clear ones are assigned and doubtful ones land in the review queue."""
    from PIL import Image, ImageFilter

    faces = SHARED / "faces"
    scans = library / "old scans"
    scans.mkdir(exist_ok=True)
    for target in sorted((library / "people").iterdir()):
        later = sorted((faces / target.name).iterdir())[PHOTOS_PER_PERSON + 1:]
        for i, photo in enumerate(later[:count]):
            shutil.copy2(photo, target / photo.name)
            when = 1.765e9 + i * 86400.0  # this month: the newest photos
            os.utime(target / photo.name, (when, when))
        for photo in later[count:count + 2]:
            with Image.open(photo) as im:
                small = im.convert("L").resize((im.width * 2 // 5, im.height * 2 // 5))
                small.filter(ImageFilter.GaussianBlur(1.2)).resize(im.size).save(
                    scans / f"scan_{photo.name}", quality=70)
    import zlib

    for path in scans.iterdir():  # old scans: late 1990s
        when = 9.0e8 + zlib.crc32(path.name.encode()) % 10**8
        os.utime(path, (when, when))


def build_catalog(demo: Path) -> Path:
    from core import pipeline
    from core.catalog import Catalog

    library = demo / "library"
    catalog_dir = demo / "catalog"
    build_library(library)
    started = time.perf_counter()
    with Catalog(catalog_dir) as catalog:
        catalog.add_folder(library)
        last = None
        for last in pipeline.index(catalog, [str(library)], workers=0):
            pass
        print(f"indexed: {last.done if last else 0} photos, "
              f"{(last.counters or {}).get('faces', 0) if last else 0} faces in "
              f"{time.perf_counter() - started:.0f} s")
        _people(catalog)
        add_more_photos(library)  # the review queue needs newer photos of named people
        for last in pipeline.index(catalog, [str(library)], workers=0):
            pass
        from core import people

        for _ in people.update_people(catalog, None):
            pass
        _album(catalog, demo)
    return catalog_dir


def _people(catalog) -> None:
    """Group faces, then name groups after the folder most of their faces come from."""
    from core import people

    for _ in people.update_people(catalog, None):
        pass
    from core import library

    labels: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for face in library.face_details(catalog):
        parent = Path(face.path).parent
        if face.person_id is not None and parent.parent.name == "people":
            labels[face.person_id][parent.name] += 1
    taken = set()
    for person_id, counts in sorted(labels.items(), key=lambda kv: -sum(kv[1].values())):
        label, count = counts.most_common(1)[0]
        if label in taken or count < 3:
            continue
        taken.add(label)
        if len(taken) % 4 == 0:  # leave some groups unnamed, as a real library has
            continue
        people.name_person(catalog, person_id, label.replace("_", " "))


def _album(catalog, demo: Path) -> None:
    from core import library
    from core.export import ExportRequest, export
    from core.search.spec import SearchSpec

    first = min(library.person_names(catalog), default=None)  # (id, name): the first named
    if first is None:
        return
    name = first[1]
    (demo / "export").mkdir(parents=True, exist_ok=True)
    try:
        export(catalog, ExportRequest(spec=SearchSpec(people_all=[name]),
                                      destination=str(demo / "export" / name),
                                      save_as=f"{name} for the family"))
    except Exception as error:  # noqa: BLE001 - an album is a nicety for the screenshot
        print(f"album export failed: {error}")


# -- taking the pictures ---------------------------------------------------------------------------

class Camera:
    def __init__(self, app, out: Path) -> None:
        self.app = app
        self.out = out
        self.taken: list[tuple[str, str]] = []

    def settle(self, window=None, seconds: float = 0.6, until=None, timeout: float = 20) -> None:
        """Let workers finish: thumbnails in, models loaded, then a little more painting."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.app.processEvents()
            busy = window is not None and (window.ctx.loader.pending() or
                                           window.ctx.workers.busy())
            if not busy and (until is None or until()):
                break
            time.sleep(0.01)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def shoot(self, widget, name: str, what: str) -> None:
        path = self.out / f"{name}.png"
        widget.grab().save(str(path))
        self.taken.append((path.name, what))
        print(f"  {path.name}: {what}")


def take(out: Path, catalog_dir: Path) -> None:
    from gui.app import create_app
    from gui.main_window import MainWindow

    app = create_app()
    camera = Camera(app, out)

    welcome = MainWindow(out / ".demo" / "empty_catalog", index_options={"workers": 0})
    welcome.resize(*SIZE)
    welcome.show()
    camera.settle(welcome, until=lambda: welcome.pages.currentWidget() is welcome.welcome)
    welcome.welcome.add_folder(str(out / ".demo" / "library" / "people"))
    camera.shoot(welcome, "01_welcome", "first start: welcome page asking for photo folders")
    welcome.welcome.start.click()
    status = welcome.status
    camera.settle(None, 0.5, until=lambda: "Finding faces" in status.label.text() and
                  status.bar.value() >= 5, timeout=120)
    camera.shoot(welcome, "01b_indexing", "first index running: progress, photos/s, time left, "
                 "pause and cancel in the status bar; people appear meanwhile")
    status.cancel()
    camera.settle(None, 0.2, until=lambda: welcome.job is None, timeout=60)
    welcome.close()

    window = MainWindow(catalog_dir)
    window.resize(*SIZE)
    window.show()
    people = window.people_page
    camera.settle(window, until=lambda: people.model.rowCount() > 0)
    camera.shoot(window, "02_people", "People: person cards, named first by photo count")

    if people.model.rows:
        biggest = max(people.model.rows, key=lambda r: (r.name is not None, r.photos))
        window.open_person(biggest.id)
        camera.settle(window, until=lambda: window.person_page.photos.rowCount() > 0)
        window.person_page.strip.selectionModel().select(
            window.person_page.faces.index(1), window.person_page.strip.selectionModel()
            .SelectionFlag.Select)
        camera.settle(window, 0.2)
        camera.shoot(window, "03_person", f"one person ({biggest.name or 'unnamed'}): name, "
                     "face strip with a selection, their photos")

    window.show_section("photos")
    camera.settle(window, until=lambda: window.photos_page.model.rowCount() > 0)
    _show_a_new_month(window.photos_page.grid)
    camera.settle(window, 0.5)
    camera.shoot(window, "04_photos", "Photos: every photo by date, a header row per month "
                 "(the month scrolled off stays on top), lazy thumbnails")

    group_photo = _photo_with_most_faces(catalog_dir)
    if group_photo is not None:
        window.open_photo(group_photo)
        camera.settle(window, until=lambda: window.viewer.canvas.image is not None)
        faces = window.viewer.canvas.faces
        named = next((f for f in faces if f.person_name), faces[0] if faces else None)
        if named is not None:
            window.viewer.canvas.hover = named.id
            window.viewer.canvas.update()
        camera.settle(window, 0.2)
        camera.shoot(window, "05_viewer", "viewer: a group photo upright with face boxes and "
                     "names (hovered face highlighted)")

    window.show_section("review")
    camera.settle(window, 1.0)
    camera.shoot(window, "06_review", "Review: suggested faces for a person, Y/N/S, bulk confirm")

    window.show_section("search")
    named_people = [r.name for r in people.model.rows if r.name]
    sample = _outside_photo()
    if sample is not None:
        window.search_by_photo(str(sample))
    elif named_people:
        window.search_page.all_of.add(named_people[0])
    camera.settle(window, 1.5, until=lambda: window.search_page.model.rowCount() > 0,
                  timeout=30)
    camera.shoot(window, "07_search", "Search: results for a dropped photo with similarity "
                 "badges, people chips, dates, threshold")

    window.show_section("albums")
    camera.settle(window, 0.5)
    camera.shoot(window, "08_albums", "Albums: saved albums with Update")

    dialog = window.export_dialog(people=named_people[:1])
    dialog.destination.setText(str(out / ".demo" / "export" / "preview"))
    dialog.xmp.setChecked(True)
    dialog.preview()
    camera.settle(window, 0.5, until=lambda: dialog.table.rowCount() > 0, timeout=15)
    camera.shoot(dialog, "09_export", "Export dialog: people, folder, mode, template, XMP, "
                 "dry-run preview")
    dialog.close()

    settings = window.settings_dialog()
    camera.settle(window, 0.3)
    camera.shoot(settings, "10_settings", "Settings: folders, model pack, threshold, workers")
    settings.close()
    about = window.about_dialog()
    camera.settle(window, 0.2)
    camera.shoot(about, "11_about", "About: everything stays on this computer; model licence")
    about.close()

    app.setPalette(dark_palette())  # what a system in dark mode hands the app
    window.show_section("people")
    camera.settle(window, 0.5)
    camera.shoot(window, "12_people_dark", "People with a dark system palette (colours and "
                 "icons follow it)")
    window.show_section("photos")
    camera.settle(window, 0.5)
    camera.shoot(window, "13_photos_dark", "Photos with a dark system palette")
    window.close()
    (out / "INDEX.txt").write_text("".join(f"{n}\t{w}\n" for n, w in camera.taken))


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#333333",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7bc4",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Mid: "#555555",
        QPalette.ColorRole.PlaceholderText: "#9a9a9a", QPalette.ColorRole.Dark: "#151515",
        QPalette.ColorRole.ToolTipBase: "#3a3a3a", QPalette.ColorRole.ToolTipText: "#e6e6e6",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


def _photo_with_most_faces(catalog_dir: Path) -> int | None:
    from core import library
    from core.catalog import Catalog

    with Catalog(catalog_dir) as catalog:
        counts = [(photo_id, faces, named) for photo_id, faces, named
                  in library.face_counts(catalog) if 3 <= faces <= 12]
    # most named faces, then most faces; the first photo of those
    best = min(counts, key=lambda c: (-c[2], -c[1], c[0]), default=None)
    return best[0] if best else None


def _outside_photo() -> Path | None:
    """A photo of someone in the library that is not itself in the library."""
    faces = SHARED / "faces"
    people = sorted((p for p in faces.iterdir() if p.is_dir()),
                    key=lambda p: (-len(list(p.iterdir())), p.name))
    for person in people[:PEOPLE_IN_SLICE]:
        photos = sorted(person.iterdir())
        if len(photos) > PHOTOS_PER_PERSON:
            return photos[PHOTOS_PER_PERSON]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save a PNG of every view of the app.")
    parser.add_argument("out", nargs="?", default="screenshots", type=Path)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the demo catalog")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    demo = out / ".demo"
    catalog_dir = demo / "catalog"
    if args.rebuild and demo.exists():
        shutil.rmtree(demo)
    out.mkdir(parents=True, exist_ok=True)
    if not (catalog_dir / "catalog.sqlite3").exists():
        print(f"building the demo catalog in {demo} (once)")
        build_catalog(demo)
    if (demo / "empty_catalog").exists():
        shutil.rmtree(demo / "empty_catalog")
    print(f"writing screenshots to {out}")
    take(out, catalog_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
