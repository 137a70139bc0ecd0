"""A small real library for the GUI tests: the insightface wheel's photos plus altered copies
(so one person has several photos), indexed with the real models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageOps


def make_library(root: Path, images: Path) -> Path:
    """t1.jpg (6 faces), Tom Hanks, the mask photos, and re-encoded copies of t1 and Tom Hanks
    (different bytes, same people): each of those people is in two photos."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("t1.jpg", "Tom_Hanks_54745.png", "mask_white.jpg", "mask_blue.jpg"):
        shutil.copy(images / name, root / name)
    with Image.open(images / "t1.jpg") as im:
        im.convert("RGB").resize((im.width * 9 // 10, im.height * 9 // 10)).save(
            root / "t1_small.jpg", quality=88)
    with Image.open(images / "Tom_Hanks_54745.png") as im:
        ImageOps.expand(im.convert("RGB"), border=20, fill=(200, 200, 200)).save(
            root / "tom_framed.jpg", quality=90)
    return root


@pytest.fixture(scope="session")
def library_template(tmp_path_factory, insightface_images) -> Path:
    return make_library(tmp_path_factory.mktemp("library"), insightface_images)


@pytest.fixture
def library(tmp_path, library_template) -> Path:
    target = tmp_path / "library"
    shutil.copytree(library_template, target)
    return target


@pytest.fixture(scope="session")
def indexed_template(tmp_path_factory, library_template, face_analyzer) -> tuple[Path, Path]:
    """(catalog dir, library dir) indexed once per session by the real pipeline (+ people)."""
    from core import people, pipeline
    from core.catalog import Catalog

    base = tmp_path_factory.mktemp("indexed")
    library = base / "library"
    shutil.copytree(library_template, library)
    with Catalog(base / "catalog") as catalog:
        catalog.add_folder(library)
        for _ in pipeline.index(catalog, [str(library)], analyzer=face_analyzer):
            pass
        for _ in people.update_people(catalog, None):
            pass
    return base / "catalog", library


@pytest.fixture
def indexed(tmp_path, indexed_template) -> Path:
    """A private copy of the indexed catalog (tests change names, merge, ...)."""
    catalog_dir, library = indexed_template
    target = tmp_path / "catalog"
    shutil.copytree(catalog_dir, target)
    return target


@pytest.fixture
def window_over(qtbot, tmp_path):
    """Make a MainWindow over a catalog of indexed photo rows: window_over(folder, [(file name
    in folder, taken at)]), the catalog in tmp_path/catalog."""
    from core.catalog import Catalog
    from gui.main_window import MainWindow

    def make(folder: Path, photos):
        with Catalog(tmp_path / "catalog") as cat:
            folder_id = cat.add_folder(folder)
            with cat.transaction() as conn:
                for name, taken in photos:
                    conn.execute("INSERT INTO photos(folder_id, path, size, mtime_ns, width, "
                                 "height, taken_at, status) VALUES (?, ?, 1, 1, 100, 100, ?, "
                                 "'indexed')", (folder_id, str(folder / name), taken))
        window = MainWindow(tmp_path / "catalog")
        qtbot.addWidget(window)
        return window

    return make


@pytest.fixture
def window_for(qtbot, face_analyzer):
    """Open a MainWindow on a catalog folder; closed (and its workers stopped) at the end."""
    from gui.main_window import MainWindow

    windows = []

    def make(catalog_dir: Path):
        window = MainWindow(catalog_dir, index_options={"analyzer": face_analyzer})
        qtbot.addWidget(window)
        window.resize(1100, 760)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
