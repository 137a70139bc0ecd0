"""A photo chosen for Search is decoded once: its faces (the crops to pick from) and the search
with the face picked come from one analysis, with the library's model."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

import core.scan.decode as decode_module
from core.faces.analyzer import FaceAnalyzer

from .test_search_page import WAIT_MS, choose_photo, names


@pytest.fixture
def decodes(monkeypatch) -> Counter:
    """Decodes (decode, decode_with_detail) and analyses (FaceAnalyzer.analyze_file) per file,
    on whichever thread they run."""
    counts: Counter = Counter()

    def counting(name, function):
        def counted(path, *args, **kwargs):
            counts[(name, Path(path).name)] += 1
            return function(path, *args, **kwargs)
        return counted

    for name in ("decode", "decode_with_detail"):
        monkeypatch.setattr(decode_module, name, counting("decode", getattr(decode_module,
                                                                             name)))
    analyze_file = FaceAnalyzer.analyze_file
    monkeypatch.setattr(FaceAnalyzer, "analyze_file",
                        lambda self, path: counting("analysis", lambda p: analyze_file(self, p))
                        (path))
    return counts


def test_a_chosen_photo_is_decoded_once_for_its_faces_and_the_search(
        qtbot, tmp_path, indexed, window_for, insightface_images, decodes):
    outside = tmp_path / "outside" / "group.jpg"   # six people, not in the library
    outside.parent.mkdir()
    shutil.copy(insightface_images / "t1.jpg", outside)
    window = window_for(indexed)
    window.show_section("search")
    page = window.search_page
    choose_photo(qtbot, page, outside)
    strip = page.query_faces
    qtbot.waitUntil(strip.isVisible, timeout=WAIT_MS)
    assert strip.count() == 6 and not strip.item(0).icon().isNull()   # the crops, shown
    rect = strip.visualItemRect(strip.item(3))
    QTest.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    assert names(page.model) == {"t1.jpg", "t1_small.jpg"}
    assert decodes[("decode", "group.jpg")] == 1, decodes
    assert decodes[("analysis", "group.jpg")] == 1, decodes
    assert window.errors == []


def test_a_photo_with_one_face_is_decoded_once(qtbot, tmp_path, indexed, window_for,
                                               insightface_images, decodes):
    outside = tmp_path / "tom.png"
    shutil.copy(insightface_images / "Tom_Hanks_54745.png", outside)
    window = window_for(indexed)
    window.show_section("search")
    page = window.search_page
    choose_photo(qtbot, page, outside)       # one face: searched at once
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    assert names(page.model) == {"Tom_Hanks_54745.png", "tom_framed.jpg"}
    assert decodes[("decode", "tom.png")] == 1, decodes
    assert decodes[("analysis", "tom.png")] == 1, decodes
