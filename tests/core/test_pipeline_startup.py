"""Short jobs start fast: with folders to index, the workers load their models while the
folders are scanned; a rescan with nothing pending starts none."""

from __future__ import annotations

import multiprocessing
import shutil

from core.pipeline import index


def _index_workers() -> list[str]:
    return [p.name for p in multiprocessing.active_children()
            if p.name.startswith("faceshelf-index-")]


def test_workers_load_during_the_scan_and_none_start_for_nothing(catalog, tmp_path,
                                                                 insightface_images):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(insightface_images / "t1.jpg", photos / "group.jpg")
    during_scan, last = [], None
    for progress in index(catalog, [photos], workers=1):
        if progress.stage == "scan":
            during_scan.append(_index_workers())
        last = progress
    assert during_scan and during_scan[-1] == ["faceshelf-index-0"]
    assert (last.done, last.counters["faces"]) == (1, 6)
    assert _index_workers() == []  # stopped at the end

    during_scan = []
    for progress in index(catalog, None, workers=1):  # a rescan: nothing new, nothing pending
        if progress.stage == "scan":
            during_scan.append(_index_workers())
    assert during_scan and during_scan[-1] == [] and _index_workers() == []
