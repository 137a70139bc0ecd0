"""`faceshelf` as a user runs it (subprocesses): global options anywhere, --version, messages
in words with their exit statuses, the documented JSON keys, progress counted in photos, and
a search by photo that finds nothing saying what it searched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import PROJECT


def faceshelf(*args, cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run([sys.executable, "-m", "core.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def said_in_words(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stderr and "[Errno" not in done.stderr, done.stderr
    assert done.stderr.startswith("faceshelf: ") or done.stderr.startswith("usage:")


@pytest.fixture(scope="module")
def library(tmp_path_factory, insightface_images):
    """A catalog of one real photo (one face), indexed by the CLI with --json."""
    root = tmp_path_factory.mktemp("cli")
    photos = root / "photos"
    photos.mkdir()
    Image.open(insightface_images / "Tom_Hanks_54745.png").convert("RGB").save(
        photos / "tom.jpg", quality=92)
    catalog = root / "catalog"
    done = faceshelf("index", photos, "--catalog", catalog, "--json")
    assert done.returncode == 0, done.stderr
    return catalog, json.loads(done.stdout), root


def test_index_json_people_has_the_documented_keys(library):
    _catalog, summary, _root = library
    assert summary["faces"] == 1
    assert set(summary["people"]) == {"auto_assigned", "suggested", "groups", "grouped_faces",
                                      "unknown_faces", "skipped"}
    assert summary["people"]["skipped"] is False


def test_global_options_go_before_or_after_the_command(library):
    catalog, _summary, root = library
    before = faceshelf("--catalog", catalog, "--json", "status", cwd=root)
    after = faceshelf("status", "--catalog", catalog, "--json", "-v", cwd=root)
    mixed = faceshelf("--json", "status", "--catalog", catalog, cwd=root)
    assert before.returncode == after.returncode == mixed.returncode == 0, after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout) == json.loads(mixed.stdout)
    assert json.loads(after.stdout)["catalog"] == str(catalog)
    people = faceshelf("--quiet", "cluster", "--catalog", catalog, "--json", cwd=root)
    assert people.returncode == 0 and people.stderr == "", people.stderr
    assert json.loads(people.stdout)["skipped"] is True
    refused = faceshelf("--catalog", catalog, "--quiet", "status", cwd=root)
    assert refused.returncode == 2 and "`faceshelf status` has no --quiet" in refused.stderr


def test_version():
    from core import __version__

    done = faceshelf("--version")
    assert (done.returncode, done.stdout) == (0, f"faceshelf {__version__}\n")


def test_a_missing_photo_or_spec_is_a_sentence_with_exit_2(library, tmp_path):
    catalog, _summary, _root = library
    done = faceshelf("--catalog", catalog, "search", "--photo", tmp_path / "missing.jpg")
    assert done.returncode == 2
    said_in_words(done)
    assert f"--photo {tmp_path / 'missing.jpg'}: no such file" in done.stderr
    done = faceshelf("--catalog", catalog, "search", "--spec", tmp_path / "missing.json")
    assert done.returncode == 2
    said_in_words(done)
    assert f"{tmp_path / 'missing.json'}: no such file or directory" in done.stderr
    done = faceshelf("--catalog", catalog, "search", "--photo", tmp_path)
    assert done.returncode == 2 and "(it is a folder)" in done.stderr
    said_in_words(done)


def test_a_crowd_with_no_one_from_the_library_says_so(library, insightface_images):
    catalog, _summary, _root = library
    done = faceshelf("--catalog", catalog, "search", "--photo", insightface_images / "t1.jpg")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"6 faces were found in {insightface_images / 't1.jpg'}; none of "
                           f"them is like a face in the library\n")
    done = faceshelf("--catalog", catalog, "search", "--photo", insightface_images / "t1.jpg",
                     "--photo-face", "2")
    assert done.stdout == f"face 2 of {insightface_images / 't1.jpg'} is like no face in the " \
                          f"library\n"


def test_export_progress_counts_photos_not_sidecars(library):
    catalog, _summary, root = library
    face = json.loads(faceshelf("--catalog", catalog, "faces", "--json").stdout)[0]["id"]
    out = root / "out"
    done = faceshelf("--catalog", catalog, "export", "--face", face, "--to", out, "--xmp")
    assert done.returncode == 0, done.stderr
    assert sorted(p.suffix for p in out.iterdir()) == [".jpg", ".xmp"]
    progress = [line for line in done.stderr.splitlines() if line.startswith("export")]
    assert progress and progress[-1].split()[2] == "1/1", done.stderr  # one photo, not 2 files
    assert "added 1" in done.stdout


def test_a_photo_path_with_control_characters_is_printed_escaped(tmp_path, library):
    """Paths come from the user's disk: a search by a photo whose name holds an escape
    sequence prints it as visible text, never as a raw ESC that drives the terminal."""
    from PIL import Image

    catalog, _summary, _root = library
    photo = tmp_path / "grey\x1b[2J.png"
    Image.new("RGB", (64, 64), (128, 128, 128)).save(photo)
    done = faceshelf("--catalog", catalog, "search", "--photo", photo)
    assert done.returncode == 0, done.stderr
    assert "no face found in" in done.stdout
    assert "\x1b" not in done.stdout and "\\x1b[2J" in done.stdout
