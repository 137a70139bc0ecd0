"""Faults: full disk, refused writes and killed exports leave no partial file, and a re-run
finishes the job."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.export import ExportRequest, export, files
from core.export.albums import album_files
from core.search.spec import SearchSpec

from .helpers import anna, drive, files_under, no_temp_files, snapshot, temp_files

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture
def lib(photo_library):
    for i in range(6):
        photo_library.photo_of(f"IMG_{i}.jpg", "Anna", taken_at=f"2019-01-0{i + 1}T10:00:00")
    return photo_library


def test_disk_full_leaves_no_partial_file_then_resumes(lib, catalog, tmp_path, monkeypatch):
    before = snapshot(lib.root)
    real_copy = files._copy_data
    calls = []

    def filling_disk(src_fd, dst_fd):
        calls.append(1)
        if len(calls) < 3:
            return real_copy(src_fd, dst_fd)
        os.write(dst_fd, os.read(src_fd, 1000))    # some bytes made it, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "_copy_data", filling_disk)
    out = tmp_path / "out"
    s = export(catalog, anna(out, save_as="A", xmp=True))
    assert s.stopped == "disk_full" and s.added == 2 and s.failed == 1
    assert s.failures[0].reason == "disk_full" and "space" in s.failures[0].error
    assert files_under(out) == ["2019-01-01_IMG_0.jpg", "2019-01-01_IMG_0.jpg.xmp",
                                "2019-01-02_IMG_1.jpg", "2019-01-02_IMG_1.jpg.xmp"]
    for name in files_under(out):                          # complete files only
        if name.endswith(".jpg"):
            assert (out / name).read_bytes() == (lib.root / name.split("_", 1)[1]).read_bytes()
    assert no_temp_files(out)
    assert len(album_files(catalog, 1)) == 4               # nothing recorded for the failure

    monkeypatch.setattr(files, "_copy_data", real_copy)    # space freed: run the album again
    s = export(catalog, ExportRequest(album="A"))
    assert s.ok and (s.added, s.skipped) == (4, 2)
    assert len(files_under(out)) == 12 and no_temp_files(out)
    assert snapshot(lib.root) == before


def test_new_files_go_out_in_batches_each_durable_before_it_is_published(
        lib, catalog, tmp_path, monkeypatch):
    from core.export import run

    monkeypatch.setattr(run, "BATCH_FILES", 4)
    events = []

    def spy(name, real):
        def call(*args, **kw):
            events.append((name, Path(args[0]).name if name != "write" else Path(args[1]).name))
            return real(*args, **kw)
        monkeypatch.setattr(files, name if name != "write" else "write_copy", call)

    spy("write", files.write_copy)
    spy("sync_file", files.sync_file)
    spy("publish", files.publish)
    s = export(catalog, anna(tmp_path / "out", save_as="A"))
    assert s.ok and s.added == 6
    assert [name for name, _ in events] == (["write"] * 4 + ["sync_file", "publish"] * 4
                                            + ["write"] * 2 + ["sync_file", "publish"] * 2)
    for tmp in {t for _, t in events}:   # each temporary file: written, synced, published
        assert [name for name, t in events if t == tmp] == ["write", "sync_file", "publish"]
    assert len(album_files(catalog, 1)) == 6 and no_temp_files(tmp_path / "out")


def test_each_copy_starts_its_write_back_unless_no_fsync(lib, catalog, tmp_path, monkeypatch):
    started = []
    real = files.start_writeback
    monkeypatch.setattr(files, "start_writeback", lambda fd: started.append(fd) or real(fd))
    assert export(catalog, anna(tmp_path / "a")).added == 6
    assert len(started) == 6
    request = anna(tmp_path / "b")
    request.fsync = False
    assert export(catalog, request).added == 6
    assert len(started) == 6   # no fsync asked for: the kernel writes back when it likes


def test_permission_denied_stops_with_a_clear_reason(lib, catalog, tmp_path, monkeypatch):
    # Tests run as root, which chmod cannot stop: refuse creating files the way EACCES would.
    real_open = os.open

    def refusing_open(path, flags, *args, **kw):
        if os.path.basename(os.fspath(path)).startswith(files.TEMP_PREFIX):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", refusing_open)
    out = tmp_path / "out"
    s = export(catalog, anna(out))
    assert s.stopped == "permission_denied" and s.added == 0 and s.failed == 1
    assert files_under(out) == []


def test_unreadable_original_only_skips_that_photo(lib, catalog, tmp_path, monkeypatch):
    real_open = files._open_source

    def unreadable(source):
        if source.endswith("IMG_2.jpg"):
            raise files.SourceError(errno.EACCES, os.strerror(errno.EACCES), source)
        return real_open(source)

    monkeypatch.setattr(files, "_open_source", unreadable)
    s = export(catalog, anna(tmp_path / "out"))
    assert s.stopped is None and s.added == 5
    assert [f.reason for f in s.failures] == ["source_unreadable"]


def test_stale_temp_files_are_cleaned_and_foreign_dotfiles_kept(lib, catalog, tmp_path):
    out = tmp_path / "out"
    (out / "2019").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = out / "2019" / f"{files.TEMP_PREFIX}{dead}-abcdef"
    stale.write_bytes(b"half a photo")
    mine = out / ".faceshelf-tmpfoo"          # not our pattern's pid: left alone
    mine.write_text("x")
    live = out / f"{files.TEMP_PREFIX}{os.getpid()}-live"   # a running export's: left alone
    live.write_text("y")
    dry = export(catalog, ExportRequest(spec=SearchSpec(people_all=["Anna"]),
                                        destination=str(out), dry_run=True))
    assert dry.plan.stale_temp == [str(stale)] and stale.exists()
    s = export(catalog, anna(out))
    assert s.stale_temp_removed == 1 and not stale.exists()
    assert mine.exists() and live.exists()


@pytest.mark.parametrize("album", [True, False], ids=["album", "one-off"])
def test_kill_9_in_the_middle_then_rerun(photo_library, catalog, tmp_path, album):
    """A real process killed with SIGKILL while a file is half written; the re-run completes
    the export exactly: every photo once, complete, no temporary files left."""
    lib = photo_library
    for i in range(16):
        lib.photo_of(f"d{i % 3}/IMG_{i:02d}.jpg", "Anna", taken_at=f"2019-02-{i + 1:02d}T10:00:00",
                     src="mask_white.jpg")
    before = snapshot(lib.root)
    out = tmp_path / "out"
    args = ["--catalog", str(catalog.dir), "export", "--person", "Anna", "--to", str(out),
            "--xmp"] + (["--save-as", "A"] if album else [])
    script = f"""
import os, sys, time
from core.export import files
real, calls = files._copy_data, []
def copy(src, dst):
    calls.append(1)
    if len(calls) == 6:
        os.write(dst, os.read(src, 20000))   # half of the 6th photo is on disk...
        print("half", flush=True)
        time.sleep(60)                        # ...when the kill comes
    return real(src, dst)
files._copy_data = copy
from core.cli import main
sys.exit(main({args!r}))
"""
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline() == "half\n"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    temps = temp_files(out)
    assert [p.stat().st_size for p in temps].count(20000) == 1   # the photo half written
    # the five before it: written, and published or not yet (new files go out in batches)
    assert len([n for n in files_under(out) if n.endswith(".jpg")]) <= 5

    from core.cli import main
    rerun = ["--catalog", str(catalog.dir), "export"] + (
        ["--album", "A"] if album else args[3:])
    assert main(rerun) == 0
    photos = [n for n in files_under(out) if n.endswith(".jpg")]
    assert len(photos) == 16 and len([n for n in files_under(out) if n.endswith(".xmp")]) == 16
    for name in photos:
        original = lib.root / f"d{int(name[-6:-4]) % 3}" / name.split("_", 1)[1]
        assert (out / name).read_bytes() == original.read_bytes()
    assert no_temp_files(out)
    if album:
        owned = sorted(Path(f.dest_path).name for f in album_files(catalog, 1))
        assert owned == sorted(files_under(out))
    assert snapshot(lib.root) == before


def test_cancel_stops_cleanly_and_a_rerun_finishes(lib, catalog, tmp_path):
    from core.export import run_export
    from core.jobs import CancelToken

    token = CancelToken()
    out = tmp_path / "out"
    job = run_export(catalog, anna(out, save_as="A"), token)
    progress = [next(job), next(job), next(job)]          # start, then two files done
    token.cancel()                                         # what Ctrl-C does in the CLI
    more, summary = drive(job)
    progress += more
    assert summary.stopped == "cancelled" and summary.added == 2
    assert progress[-1].done == 2 and progress[-1].total == 6
    assert len(files_under(out)) == 2 and no_temp_files(out)
    s = export(catalog, ExportRequest(album="A"))
    assert s.ok and (s.added, s.skipped) == (4, 2)
