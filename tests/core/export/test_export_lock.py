"""Two exports into one folder at once (issue 11, item 6): the second refuses at once, naming
the first, and exits 4 (busy); the first finishes cleanly; run again, the second adds nothing
twice. Before, both exited 1 listing the other's files as failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from core.cli import main
from core.export import ExportBusy, export, run_export

from .helpers import anna, files_under


def _library(photo_library):
    for i in range(4):
        photo_library.photo_of(f"IMG_{i}.jpg", "Anna", taken_at=f"2019-07-1{i}T13:05:22")


def test_a_second_export_into_the_same_folder_refuses_naming_the_first(photo_library, catalog,
                                                                      tmp_path, capsys):
    _library(photo_library)
    out = tmp_path / "out"
    first = run_export(catalog, anna(out, save_as="Trip"))
    next(first)  # the first is under way: it holds the folder
    code = main(["--catalog", str(catalog.dir), "export", "--person", "Anna", "--to", str(out),
                 "--json"])
    err = capsys.readouterr().err
    assert code == 4
    assert (f"another export is writing into {out} (process {os.getpid()}, saving album "
            f"'Trip', since ") in err and "wait until it has finished" in err
    try:  # the first goes on undisturbed
        while True:
            next(first)
    except StopIteration as stop:
        summary = stop.value
    assert summary.ok and summary.added == 4 and summary.failed == 0
    # and afterwards the second runs: everything is already there under the album's names
    code = main(["--catalog", str(catalog.dir), "export", "--album", "Trip", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["added"] == 0 and result["skipped"] == 4
    assert len(files_under(out)) == 4


def test_the_lock_is_held_across_processes_and_goes_with_a_killed_one(photo_library, catalog,
                                                                     tmp_path):
    _library(photo_library)
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from core.export.lock import exclusive_destination as x\n"
         f"with x(Path({str(out)!r}), 'album \\'Other\\''):\n"
         "    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert holder.stdout.readline().strip() == "held"
        try:
            export(catalog, anna(out))
            raise AssertionError("exported while another process held the folder")
        except ExportBusy as busy:
            assert f"process {holder.pid}, album 'Other'" in str(busy)
        assert not out.exists()  # refused before anything was written
    finally:
        holder.kill()
        holder.wait()
    assert export(catalog, anna(out)).added == 4  # a killed holder leaves no lock behind


def test_no_lock_file_is_left_behind(photo_library, catalog, tmp_path):
    import hashlib

    from core.export.lock import lock_dir

    _library(photo_library)
    out = tmp_path / "out"
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:24]
    first = run_export(catalog, anna(out))
    next(first)
    assert (lock_dir() / f"{key}.lock").exists()  # held while it runs
    for _ in first:
        pass
    assert not (lock_dir() / f"{key}.lock").exists()  # and removed by its holder after


def test_exports_into_different_folders_run_side_by_side(photo_library, catalog, tmp_path):
    _library(photo_library)
    first = run_export(catalog, anna(tmp_path / "a"))
    next(first)
    assert export(catalog, anna(tmp_path / "b")).added == 4
    for _ in first:
        pass
    assert len(files_under(tmp_path / "a")) == 4
