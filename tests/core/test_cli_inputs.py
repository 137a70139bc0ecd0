"""Bad numbers and bad search files get a sentence and exit status 2 (issue 11, item 6):
ids past what SQLite holds, and --spec / --search-json pointing at a folder, /dev/zero,
deeply nested JSON or a binary file."""

from __future__ import annotations

import io
import json

import pytest

from core.cli import main

from .people.fake_faces import populate

TOO_BIG = str(2**63)
RANGE = f"{TOO_BIG} is out of range: ids are whole numbers from 1 to {2**63 - 1}"


@pytest.fixture
def cli(catalog, capsys):
    populate(catalog, [5, 4])
    main(["--catalog", str(catalog.dir), "cluster", "--quiet"])
    capsys.readouterr()

    def run(*args):
        try:
            code = main(["--catalog", str(catalog.dir), *args])
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.mark.parametrize("argv", [
    ["person", TOO_BIG], ["name", TOO_BIG, "X"], ["merge", TOO_BIG, "1"], ["merge", "1", TOO_BIG],
    ["review", TOO_BIG], ["move-faces", TOO_BIG, "--to", "1"], ["move-faces", "1", "--to", TOO_BIG],
    ["reject", TOO_BIG, "--from", "1"], ["reject", "1", "--from", TOO_BIG], ["ignore", TOO_BIG],
    ["search", "--face", TOO_BIG],
    ["search", "--person", TOO_BIG], ["search", "--photo", "x.jpg", "--photo-face", TOO_BIG],
    ["export", "--face", TOO_BIG, "--to", "out", "--dry-run"],
    ["export", "--person", TOO_BIG, "--to", "out", "--dry-run"],
    ["export", "--similar-to", TOO_BIG, "--to", "out", "--dry-run"],
])
def test_an_id_too_large_for_the_catalog_is_a_clear_error(cli, argv):
    code, out, err = cli(*argv)
    assert code == 2 and RANGE in err and "Traceback" not in err and "Overflow" not in err


def test_a_count_too_large_for_the_catalog_is_a_clear_error(cli):
    code, _, err = cli("ignore", "--groups-smaller-than", TOO_BIG)
    assert code == 2 and f"{TOO_BIG} is out of range: 0 to {2**63 - 1}" in err


@pytest.mark.parametrize("spec, field", [
    ({"face_id": 2**63}, "face_id"), ({"people_all": [2**64]}, "people_all"),
    ({"similar_to_person": 2**63}, "similar_to_person"),
    ({"photo_ids": [1, 2**63]}, "photo_ids"),
])
def test_an_id_too_large_in_a_search_file_is_a_clear_error(cli, tmp_path, spec, field):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    code, _, err = cli("search", "--spec", str(path))
    assert code == 2 and f"search field {field!r} must be" in err and str(2**63 - 1) in err
    code, _, err = cli("export", "--search-json", str(path), "--to", str(tmp_path / "o"))
    assert code == 2 and f"search field {field!r} must be" in err


def test_search_files_that_are_not_searches(cli, tmp_path, monkeypatch):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    broken = tmp_path / "broken.json"
    broken.write_text('{"face_id": ')
    cases = {str(tmp_path): "is not a search: it is a folder",
             "/dev/zero": "is not a search: larger than 1 MB (1,048,576 bytes)",
             str(deep): "is not a search: nested too deeply",
             str(binary): "is not a search: not text (UTF-8)",
             str(broken): "is not a search: not valid JSON (Expecting value",
             str(tmp_path / "missing.json"): "no such file or directory"}
    for flag, argv in (("--spec", ["search", "--spec"]),
                       ("--search-json", ["export", "--to", str(tmp_path / "o"),
                                          "--search-json"])):
        for source, message in cases.items():
            code, _, err = cli(*argv, source)
            assert code == 2 and flag in err and message in err, (source, err)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b" " * (2 << 20))))
    code, _, err = cli("search", "--spec", "-")
    assert code == 2 and "--spec standard input is not a search: larger than 1 MB" in err
