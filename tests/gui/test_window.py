"""The window skeleton against a real catalog on disk: welcome on first start, photo grid."""

from __future__ import annotations

import shutil

import pytest

from gui.main_window import MainWindow

WAIT_MS = 20000  # generous: a busy 2-core machine; waits end as soon as true


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(tmp_path / "catalog")
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_first_start_shows_welcome(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)
    window.welcome.add_folder(str(tmp_path))
    assert window.welcome.paths() == [str(tmp_path.resolve())]
    assert window.welcome.start.isEnabled()
    assert window.errors == []


def test_photos_grid_lists_indexed_photos(qtbot, tmp_path, insightface_images):
    from core.catalog import Catalog

    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(insightface_images / "t1.jpg", folder / "a.jpg")
    shutil.copy(insightface_images / "Tom_Hanks_54745.png", folder / "b.png")
    with Catalog(tmp_path / "catalog") as cat:
        folder_id = cat.add_folder(folder)
        with cat.transaction() as conn:
            for i, (name, taken) in enumerate([("a.jpg", "2021-05-01T10:00:00"),
                                               ("b.png", "2019-01-02T10:00:00")]):
                conn.execute("INSERT INTO photos(folder_id, path, size, mtime_ns, width, height,"
                             " taken_at, status) VALUES (?, ?, 1, 1, 100, 100, ?, 'indexed')",
                             (folder_id, str(folder / name), taken))
    w = MainWindow(tmp_path / "catalog")
    qtbot.addWidget(w)
    w.show()
    w.show_section("photos")
    model = w.photos_page.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)
    assert [row.path for row in model.rows] == [str(folder / "a.jpg"), str(folder / "b.png")]
    # thumbnails arrive from the worker pool and replace the placeholder
    qtbot.waitUntil(lambda: model.cached_thumbnail(0) is not None, timeout=WAIT_MS)
    assert not model.cached_thumbnail(0).isNull()  # decoded, not the "broken" marker
    assert w.errors == []
    w.close()
