"""An outside photo is decoded once for both steps of a search by photo: its faces (with their
crops) and the search with them, in the engine and through `faceshelf search --photo`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

import core.scan.decode as decode_module
from core.search import SearchSpec, analyze_outside, search_photos
from core.search.search_index import SearchIndex, current_model_id
from tests.conftest import PROJECT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def library(tmp_path_factory, insightface_images, face_analyzer):
    """A catalog of t1.jpg (6 faces) and Tom Hanks, indexed by the real pipeline."""
    from core.catalog import Catalog
    from core.pipeline import index
    from core.search import outside

    root = tmp_path_factory.mktemp("outside-once")
    photos = root / "photos"
    photos.mkdir()
    Image.open(insightface_images / "t1.jpg").convert("RGB").save(photos / "t1.jpg")
    Image.open(insightface_images / "Tom_Hanks_54745.png").convert("RGB").save(
        photos / "tom.jpg")
    catalog = Catalog(root / "catalog")
    for _ in index(catalog, [photos], workers=0, analyzer=face_analyzer):
        pass
    outside._analyzers[current_model_id(catalog)] = face_analyzer  # reuse the loaded models
    yield catalog, root
    SearchIndex.forget_all()
    catalog.close()


@pytest.fixture
def decodes(monkeypatch) -> Counter:
    counts: Counter = Counter()
    for name in ("decode", "decode_with_detail"):
        original = getattr(decode_module, name)

        def counted(path, *args, _original=original, **kwargs):
            counts[Path(path).name] += 1
            return _original(path, *args, **kwargs)
        monkeypatch.setattr(decode_module, name, counted)
    return counts


def test_the_faces_and_the_search_come_from_one_decode(library, insightface_images, decodes):
    catalog, root = library
    group = root / "group.jpg"   # the six people of t1, not a file of the library
    Image.open(insightface_images / "t1.jpg").convert("RGB").save(group, quality=90)
    photo = analyze_outside(str(group), current_model_id(catalog))
    assert len(photo.faces) == len(photo.crops) == len(photo.vectors) == 6
    assert all(crop.startswith(b"\xff\xd8") for crop in photo.crops)   # JPEG crops to show
    hits = search_photos(catalog, SearchSpec(photo_path=str(group), photo_face=0), photo)
    assert [Path(h.path).name for h in hits] == ["t1.jpg"]
    # a search run again from the spec alone (a filter changed) finds the analysis too
    again = search_photos(catalog, SearchSpec(photo_path=str(group), photo_face=0))
    assert [(h.photo_id, h.similarity) for h in again] == [(h.photo_id, h.similarity)
                                                           for h in hits]
    assert decodes == {"group.jpg": 1}


# Runs the CLI in a process of its own, counting the decodes of each file; the count is
# printed to stderr when the process exits.
COUNTING_CLI = """
import atexit, collections, runpy, sys
from pathlib import Path
import core.scan.decode as d
counts = collections.Counter()
def counting(original):
    def counted(path, *args, **kwargs):
        counts[Path(path).name] += 1
        return original(path, *args, **kwargs)
    return counted
d.decode, d.decode_with_detail = counting(d.decode), counting(d.decode_with_detail)
atexit.register(lambda: sys.stderr.write(f"decodes: {dict(counts)}\\n"))
sys.argv = ["faceshelf", *sys.argv[1:]]
runpy.run_module("core.cli", run_name="__main__", alter_sys=True)
"""


def cli_decodes(*args) -> tuple[subprocess.CompletedProcess, str]:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    done = subprocess.run([sys.executable, "-c", COUNTING_CLI, *map(str, args)], cwd=PROJECT,
                          env=env, capture_output=True, text=True, timeout=600)
    return done, done.stderr.strip().splitlines()[-1]


def test_search_by_photo_on_the_command_line_decodes_it_once(library, insightface_images):
    catalog, root = library
    tom = root / "someone.png"
    Image.open(insightface_images / "Tom_Hanks_54745.png").save(tom)
    done, counted = cli_decodes("--catalog", catalog.dir, "search", "--photo", tom)
    assert done.returncode == 0 and "tom.jpg" in done.stdout, done.stderr
    assert counted == "decodes: {'someone.png': 1}"
    masked = root / "masked.png"   # nothing found: the answer says so from the same analysis
    Image.open(insightface_images / "mask_white.jpg").save(masked)
    done, counted = cli_decodes("--catalog", catalog.dir, "search", "--photo", masked)
    assert done.returncode == 0 and done.stdout.startswith("no face found in"), done.stderr
    assert counted == "decodes: {'masked.png': 1}"
    done, counted = cli_decodes("--catalog", catalog.dir, "search", "--photo", tom,
                                "--list-faces")
    assert done.returncode == 0 and done.stdout.startswith("face 0: box"), done.stderr
    assert counted == "decodes: {'someone.png': 1}"
