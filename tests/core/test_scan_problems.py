"""What the walk skips is recorded with its reason (issue 11, item 6): a file whose name is not
valid text and a folder that cannot be read appear in `status --errors` and in
core.scan.problems.list_problems (the app's list of problems), and leave once fixed."""

from __future__ import annotations

import json
import os

from core.cli import main
from core.scan.changes import scan_folders
from core.scan.problems import list_problems

from .test_scan_changes import make_photo


def _scan(catalog, roots=None):
    for _ in scan_folders(catalog, roots):
        pass


def _status_errors(catalog, capsys):
    code = main(["--catalog", str(catalog.dir), "status", "--errors", "--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)["errors"]


def _locked(monkeypatch, folder):
    """The folder can no longer be listed (chmod 000, or as the kernel answers a user when
    the tests run as root, who reads through it)."""
    if os.geteuid() != 0:
        folder.chmod(0)
        return lambda: folder.chmod(0o755)
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path) == str(folder):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)
    monkeypatch.setattr(os, "scandir", scandir)
    return monkeypatch.undo


def test_bad_names_and_unreadable_folders_are_listed_with_their_reason(catalog, tmp_path,
                                                                      capsys, monkeypatch):
    root = tmp_path / "photos"
    make_photo(root / "ok.jpg", 1)
    locked = root / "locked"
    make_photo(locked / "inside.jpg", 2)
    bad = os.path.join(os.fsencode(root), b"caf\xe9.jpg")  # Latin-1 bytes: not UTF-8
    with open(bad, "wb") as stream:
        stream.write((root / "ok.jpg").read_bytes())
    unlock = _locked(monkeypatch, locked)
    try:
        _scan(catalog, [root])
        errors = _status_errors(catalog, capsys)
        problems = list_problems(catalog)
    finally:
        unlock()
    assert errors == [
        {"path": f"{root}/caf\\xe9.jpg", "kind": "name",
         "error": "skipped: the name is not valid text (UTF-8); rename the file to index it"},
        {"path": str(locked), "kind": "folder",
         "error": "folder not read: Permission denied; its photos are neither indexed nor "
                  "removed"}]
    assert [(p.kind, p.path) for p in problems] == [("name", f"{root}/caf\\xe9.jpg"),
                                                    ("folder", str(locked))]
    main(["--catalog", str(catalog.dir), "status", "--errors"])
    text = capsys.readouterr().out
    assert f"error     {root}/caf\\xe9.jpg: skipped: the name is not valid text" in text
    # fixed (renamed, readable again): gone from the list on the next scan
    os.rename(bad, os.path.join(os.fsencode(root), "café.jpg".encode()))
    _scan(catalog)
    assert _status_errors(catalog, capsys) == [] and list_problems(catalog) == []


def test_a_removed_folder_takes_its_problems_with_it(catalog, tmp_path, capsys):
    root = tmp_path / "photos"
    make_photo(root / "ok.jpg", 1)
    with open(os.path.join(os.fsencode(root), b"\xff.jpg"), "wb") as stream:
        stream.write((root / "ok.jpg").read_bytes())
    _scan(catalog, [root])
    assert len(list_problems(catalog)) == 1
    catalog.remove_folder(root)
    assert list_problems(catalog) == [] and _status_errors(catalog, capsys) == []
