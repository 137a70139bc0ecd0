"""scan_folders() against a real Catalog: new, changed, touched, moved, removed, offline, errors."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.catalog import embedding_to_blob
from core.jobs import CancelToken
from core.scan import changes, walk
from core.scan.changes import scan_folders


def make_photo(path: Path, seed: int, size=(64, 48)) -> Path:
    """A small real JPEG with content unique to `seed` (so fingerprints differ)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format="JPEG")
    return path


def scan(catalog, roots=None, cancel=None):
    reports = list(scan_folders(catalog, roots, cancel))
    assert reports and all(p.stage == "scan" for p in reports)
    return reports[-1].counters


def photos(catalog) -> dict[str, dict]:
    return {r["path"]: dict(r) for r in catalog.execute("SELECT * FROM photos")}


def add_face(catalog, photo_id: int, person: str | None = None) -> int:
    """A face row as the pipeline would write it, optionally assigned to a named person."""
    now = time.time()
    person_id = None
    with catalog.transaction() as conn:
        if person:
            person_id = conn.execute("INSERT INTO people(name, created_at, updated_at) "
                                     "VALUES (?, ?, ?)", (person, now, now)).lastrowid
        cur = conn.execute(
            "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality, "
            "usable, embedding, model_id, person_id, assigned_by, created_at) "
            "VALUES (?, 0, 0, 10, 10, ?, 0.9, 10, 0.5, 1, ?, 'm', ?, 'user', ?)",
            (photo_id, np.zeros(10, np.float32).tobytes(),
             embedding_to_blob(np.ones(512) / np.sqrt(512)), person_id, now))
        conn.execute("UPDATE photos SET status='indexed' WHERE id=?", (photo_id,))
    return cur.lastrowid


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "Pictures"
    for i in range(6):
        make_photo(root / ("2019" if i < 3 else "2020") / f"img_{i}.jpg", seed=i)
    return root


def test_first_scan_then_unchanged(catalog, library):
    counters = scan(catalog, [library])
    assert counters["new"] == 6 and counters["errors"] == 0
    rows = photos(catalog)
    assert len(rows) == 6
    assert all(r["status"] == "pending" and len(r["fingerprint"]) == 64 for r in rows.values())
    assert {r["folder_id"] for r in rows.values()} == {catalog.folders()[0]["id"]}
    again = scan(catalog)  # roots=None: every folder of the catalog
    assert again["unchanged"] == 6 and again["new"] == again["changed"] == again["removed"] == 0
    assert photos(catalog) == rows


def test_changed_file_is_pending_again_and_keeps_its_faces_until_indexed(catalog, library):
    scan(catalog, [library])
    path = library / "2019" / "img_0.jpg"
    photo = photos(catalog)[str(path)]
    add_face(catalog, photo["id"], "Ann")
    make_photo(path, seed=99, size=(80, 60))
    counters = scan(catalog)
    assert counters["changed"] == 1 and counters["unchanged"] == 5
    after = photos(catalog)[str(path)]
    assert after["id"] == photo["id"] and after["status"] == "pending"
    assert after["fingerprint"] != photo["fingerprint"] and after["size"] == path.stat().st_size
    # (indexing it again replaces them, carrying their names over: test_pipeline)
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 1
    path.write_bytes(b"")                        # unreadable now: its faces go at once
    scan(catalog)
    assert photos(catalog)[str(path)]["status"] == "error"
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 0


def test_touched_file_keeps_its_faces(catalog, library):
    scan(catalog, [library])
    path = library / "2019" / "img_1.jpg"
    photo_id = photos(catalog)[str(path)]["id"]
    add_face(catalog, photo_id, "Ann")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    counters = scan(catalog)
    assert counters["touched"] == 1 and counters["changed"] == 0
    assert photos(catalog)[str(path)]["mtime_ns"] == path.stat().st_mtime_ns
    assert photos(catalog)[str(path)]["status"] == "indexed"
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 1


def test_moved_and_renamed_files_keep_id_faces_and_people(catalog, library, tmp_path):
    other_root = tmp_path / "Archive"
    other_root.mkdir()
    scan(catalog, [library, other_root])
    before = photos(catalog)
    src = library / "2019" / "img_2.jpg"
    face_id = add_face(catalog, before[str(src)]["id"], "Ann")
    revision = catalog.revision()
    renamed = library / "2020" / "renamed holiday.jpg"
    src.rename(renamed)                                              # move within the root
    across = other_root / "kept" / "img_3.jpg"
    across.parent.mkdir()
    (library / "2020" / "img_3.jpg").rename(across)                  # move to another root
    counters = scan(catalog)
    assert counters["moved"] == 2 and counters["new"] == counters["removed"] == 0
    after = photos(catalog)
    assert after[str(renamed)]["id"] == before[str(src)]["id"]
    assert after[str(renamed)]["status"] == "indexed"                # no re-detection
    assert after[str(across)]["id"] == before[str(library / "2020" / "img_3.jpg")]["id"]
    folder_ids = {f["path"]: f["id"] for f in catalog.folders()}
    assert after[str(across)]["folder_id"] == folder_ids[str(other_root)]
    face = catalog.execute("SELECT f.id, p.name FROM faces f JOIN people p ON p.id=f.person_id"
                           ).fetchone()
    assert tuple(face) == (face_id, "Ann")
    assert catalog.revision() == revision                             # faces untouched


def test_a_copy_is_new_not_a_move(catalog, library):
    scan(catalog, [library])
    shutil.copy2(library / "2019" / "img_0.jpg", library / "2019" / "copy.jpg")
    counters = scan(catalog)
    assert counters["new"] == 1 and counters["moved"] == 0
    rows = photos(catalog)
    assert rows[str(library / "2019" / "copy.jpg")]["fingerprint"] == \
        rows[str(library / "2019" / "img_0.jpg")]["fingerprint"]


def test_removed_file_row_and_faces_go(catalog, library):
    scan(catalog, [library])
    path = library / "2020" / "img_4.jpg"
    add_face(catalog, photos(catalog)[str(path)]["id"])
    path.unlink()
    counters = scan(catalog)
    assert counters["removed"] == 1 and str(path) not in photos(catalog)
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 0


def test_a_deleted_photos_id_is_never_given_to_a_new_photo(catalog, library):
    scan(catalog, [library])
    newest = max(photos(catalog).values(), key=lambda row: row["id"])
    Path(newest["path"]).unlink()
    scan(catalog)
    make_photo(library / "later.jpg", 99)
    scan(catalog)
    # (SQLite alone gives the highest id + 1, which was the deleted photo's)
    assert photos(catalog)[str(library / "later.jpg")]["id"] > newest["id"]


def test_offline_root_keeps_everything(catalog, library, tmp_path):
    scan(catalog, [library])
    add_face(catalog, next(iter(photos(catalog).values()))["id"], "Ann")
    library.rename(tmp_path / "unplugged")                 # the drive is gone
    counters = scan(catalog)
    assert counters["offline_roots"] == 1 and counters["removed"] == 0
    assert len(photos(catalog)) == 6
    library.mkdir()                                         # an empty mount point
    assert scan(catalog)["offline_roots"] == 1
    assert len(photos(catalog)) == 6
    library.rmdir()
    (tmp_path / "unplugged").rename(library)               # plugged back in
    counters = scan(catalog)
    assert counters["unchanged"] == 6 and counters["offline_roots"] == 0
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 1


def test_root_that_does_not_exist_is_refused(catalog, tmp_path):
    with pytest.raises(FileNotFoundError):
        scan(catalog, [tmp_path / "typo"])
    assert catalog.folders() == []


def test_hidden_symlink_loops_catalog_dir_and_formats(catalog, tmp_path):
    root = tmp_path / "root"
    make_photo(root / "a.jpg", 1)
    make_photo(root / ".hidden" / "b.jpg", 2)
    make_photo(root / ".c.jpg", 3)
    make_photo(root / "sub" / "d.JPEG", 4)
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)  # loop to an ancestor
    (root / "alias").symlink_to(root / "sub", target_is_directory=True)  # second path
    (root / "broken.jpg").symlink_to(root / "nowhere.jpg")
    Image.new("RGB", (8, 8)).save(root / "subject01.happy", format="GIF")  # Yale-style name
    Image.new("RGB", (8, 8)).save(root / "no_extension", format="PNG")
    (root / "notes.happy").write_text("not a photo")
    (root / "notes.txt").write_text("not a photo")
    make_photo(root / "clip.mp4", 5)                      # a JPEG in disguise is still skipped
    inner_catalog = root / "my catalog"
    from core.catalog import Catalog

    with Catalog(inner_catalog) as cat:
        make_photo(cat.thumbs_dir / "thumb.jpg", 6)
        scan(cat, [root])
        found = sorted(os.path.relpath(p, root) for p in photos(cat))
    # sub/ is reachable as alias/ too: recorded once, under its real path.
    assert found == ["a.jpg", "no_extension", "sub/d.JPEG", "subject01.happy"]


def test_unicode_and_spaces_in_paths(catalog, tmp_path):
    root = tmp_path / "Fotos été 2019"
    path = make_photo(root / "Ünïcødé 😀 folder" / "Strand mit Äpfeln 01.jpg", 7)
    assert scan(catalog, [root])["new"] == 1
    assert str(path) in photos(catalog)
    assert scan(catalog)["unchanged"] == 1


def test_unreadable_file_and_folder(catalog, library, monkeypatch):
    secret = library / "2019" / "img_0.jpg"
    locked_dir = library / "2020"
    scan(catalog, [library])
    make_photo(library / "2019" / "new.jpg", 50)
    if os.geteuid() != 0:
        secret_new = make_photo(library / "2019" / "locked.jpg", 51)
        secret_new.chmod(0)
        locked_dir.chmod(0)
    else:  # root reads through chmod 000: simulate the EACCES the kernel gives a user
        secret_new = make_photo(library / "2019" / "locked.jpg", 51)
        real_open, real_scandir = open, os.scandir

        def fake_open(path, *args, **kwargs):
            if str(path) == str(secret_new):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        def fake_scandir(path="."):
            if str(path) == str(locked_dir):
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(walk, "open", fake_open, raising=False)
        monkeypatch.setattr(os, "scandir", fake_scandir)
    try:
        counters = scan(catalog)
    finally:
        if os.geteuid() != 0:
            secret_new.chmod(0o644)
            locked_dir.chmod(0o755)
    assert counters["errors"] == 1 and counters["unreadable_dirs"] == 1
    assert counters["new"] == 1 and counters["removed"] == 0     # 2020's photos are kept
    rows = photos(catalog)
    assert rows[str(secret_new)]["status"] == "error"
    assert "Permission denied" in rows[str(secret_new)]["error"]
    assert len(rows) == 8 and str(secret) in rows
    monkeypatch.undo()                                           # readable again: retried
    counters = scan(catalog)
    assert counters["changed"] == 1 and counters["errors"] == 0
    assert photos(catalog)[str(secret_new)]["status"] == "pending"


def test_empty_file_is_an_error_with_reason(catalog, tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    (root / "zero.jpg").write_bytes(b"")
    assert scan(catalog, [root])["errors"] == 1
    row = photos(catalog)[str(root / "zero.jpg")]
    assert row["status"] == "error" and row["error"].startswith("empty file")
    assert scan(catalog)["errors"] == 1          # still reported, nothing rewritten


def test_nested_roots_count_each_file_once(catalog, library):
    counters = scan(catalog, [library, library / "2019"])
    assert counters["new"] == 6 and len(photos(catalog)) == 6
    assert scan(catalog)["unchanged"] == 6


def test_batched_writes_and_cancel_resume(catalog, tmp_path, monkeypatch):
    root = tmp_path / "many"
    for i in range(40):
        make_photo(root / f"d{i % 4}" / f"p{i:02}.jpg", 100 + i, size=(16, 16))
    monkeypatch.setattr(changes, "BATCH", 7)
    monkeypatch.setattr(changes, "PROGRESS_EVERY", 5)
    token = CancelToken()
    reports = []
    for progress in scan_folders(catalog, [root], token):
        reports.append(progress)
        if progress.done >= 15:
            token.cancel()
    last = reports[-1].counters
    assert last["cancelled"] == 1 and 15 <= last["new"] < 40
    assert len(photos(catalog)) == last["new"]            # every reported row is committed
    dones = [p.done for p in reports]
    assert dones == sorted(dones)
    counters = scan(catalog)                               # the re-run finishes the job
    assert counters["new"] == 40 - last["new"] and counters["unchanged"] == last["new"]
    assert counters["removed"] == 0 and len(photos(catalog)) == 40


def test_interrupted_write_leaves_no_half_batch(catalog, tmp_path, monkeypatch):
    root = tmp_path / "r"
    for i in range(10):
        make_photo(root / f"p{i}.jpg", 200 + i, size=(16, 16))
    monkeypatch.setattr(changes, "BATCH", 4)
    real = changes._Scan._flush
    calls = []

    def crash_on_second_flush(self):
        calls.append(len(self.writes))
        if len(calls) == 2:
            self.writes.insert(2, ("INSERT INTO nonsense VALUES (1)", ()))
        real(self)

    monkeypatch.setattr(changes._Scan, "_flush", crash_on_second_flush)
    with pytest.raises(sqlite3.OperationalError, match="no such table: nonsense"):
        scan(catalog, [root])
    assert len(photos(catalog)) == 4                      # first batch only, none of the second
    monkeypatch.undo()
    assert scan(catalog)["new"] == 6 and len(photos(catalog)) == 10


def test_scan_decode_and_metadata_never_write_photo_files(catalog, library):
    from core.scan.decode import decode
    from core.scan.metadata import read_metadata

    def snapshot():
        return {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
                for p in library.rglob("*") if p.is_file()}

    before = snapshot()
    scan(catalog, [library])
    for path in before:
        decode(path, min_long_side=32)
        read_metadata(path)
    scan(catalog)
    assert snapshot() == before


def test_progress_reports_done_and_final_counters(catalog, tmp_path, monkeypatch):
    root = tmp_path / "r"
    for i in range(12):
        make_photo(root / f"p{i}.jpg", 300 + i, size=(8, 8))
    monkeypatch.setattr(changes, "PROGRESS_EVERY", 5)
    reports = list(scan_folders(catalog, [root]))
    assert [p.done for p in reports] == [5, 10, 12]
    assert reports[-1].counters["new"] == 12
    assert set(changes.COUNTERS) <= set(reports[-1].counters)


def test_rows_without_fingerprint_get_one_without_reindexing(catalog, library):
    scan(catalog, [library])
    with catalog.transaction() as conn:
        conn.execute("UPDATE photos SET fingerprint=NULL, status='indexed'")
    assert scan(catalog)["unchanged"] == 6
    rows = photos(catalog).values()
    assert all(r["fingerprint"] and r["status"] == "indexed" for r in rows)


def test_file_name_that_is_not_text_is_counted_not_stored(catalog, tmp_path):
    root = tmp_path / "r"
    make_photo(root / "fine.jpg", 400)
    bad = os.fsencode(root) + b"/caf\xe9 latin-1.jpg"   # a name written by an old Windows tool
    with open(bad, "wb") as fh:
        fh.write((root / "fine.jpg").read_bytes())
    counters = scan(catalog, [root])
    assert counters["new"] == 1 and counters["errors"] == 1
    assert list(photos(catalog)) == [str(root / "fine.jpg")]


def test_a_copy_of_a_photo_on_an_unplugged_drive_is_not_a_move(catalog, library, tmp_path):
    other = tmp_path / "Phone"
    other.mkdir()
    scan(catalog, [library, other])
    original = library / "2019" / "img_0.jpg"
    photo_id = photos(catalog)[str(original)]["id"]
    shutil.copy2(original, other / "copy.jpg")
    library.rename(tmp_path / "unplugged")                # the original's drive is away
    counters = scan(catalog, [other])                     # only the phone folder is scanned
    assert counters["new"] == 1 and counters["moved"] == 0
    assert photos(catalog)[str(original)]["id"] == photo_id


def test_cancel_before_any_photo_stops_the_walk_and_removes_nothing(catalog, library):
    scan(catalog, [library])
    (library / "2019" / "img_0.jpg").unlink()
    token = CancelToken()
    token.cancel()
    counters = scan(catalog, cancel=token)
    assert counters["cancelled"] == 1 and counters["removed"] == 0
    assert counters["unchanged"] == 0 and len(photos(catalog)) == 6


_SLOW_SCAN = """
import sys, time
from core.catalog import Catalog
from core.scan import changes
changes.BATCH = 20
real_flush = changes._Scan._flush
def slow_flush(self):
    real_flush(self)
    time.sleep(0.2)  # room for the kill between two commits
changes._Scan._flush = slow_flush
with Catalog(sys.argv[1]) as cat:
    for _ in changes.scan_folders(cat, [sys.argv[2]]):
        pass
"""


def test_kill_9_during_a_scan_leaves_whole_batches_and_a_rerun_completes(tmp_path):
    import signal
    import subprocess
    import sys

    from core.catalog import Catalog

    root = tmp_path / "lib"
    source = make_photo(tmp_path / "src.jpg", 1, size=(8, 8))
    for i in range(400):
        folder = root / f"d{i // 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"p{i:03}.jpg").write_bytes(source.read_bytes() + i.to_bytes(2, "little"))
    catalog_dir = tmp_path / "cat"
    Catalog(catalog_dir).close()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_SCAN, str(catalog_dir), str(root)],
                            env=env)
    try:
        deadline = time.time() + 30
        with Catalog(catalog_dir, readonly=True) as reader:
            while time.time() < deadline and proc.poll() is None:
                if reader.execute("SELECT COUNT(*) FROM photos").fetchone()[0] >= 60:
                    break
                time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    with Catalog(catalog_dir) as cat:
        assert cat.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        written = cat.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
        assert 60 <= written < 400 and written % 20 == 0       # whole batches only
        counters = scan(cat)
        assert counters["new"] == 400 - written and counters["unchanged"] == written
        assert cat.execute("SELECT COUNT(DISTINCT path) FROM photos").fetchone()[0] == 400


def test_a_photo_moved_into_a_root_walked_later_is_a_move(catalog, library, tmp_path):
    first = tmp_path / "Archive"          # walked before "Pictures"
    make_photo(first / "old.jpg", 42)
    make_photo(first / "stays.jpg", 43)   # (an emptied root would look like an unplugged drive)
    scan(catalog, [first, library])
    before = photos(catalog)
    face_id = add_face(catalog, before[str(first / "old.jpg")]["id"], "Ann")
    target = library / "2020" / "old.jpg"
    (first / "old.jpg").rename(target)
    counters = scan(catalog)
    assert (counters["moved"], counters["new"], counters["removed"]) == (1, 0, 0)
    assert photos(catalog)[str(target)]["id"] == before[str(first / "old.jpg")]["id"]
    face = catalog.execute("SELECT f.id, p.name FROM faces f JOIN people p ON p.id=f.person_id"
                           ).fetchone()
    assert tuple(face) == (face_id, "Ann")


@pytest.mark.parametrize("parent_first", [True, False])
def test_a_subfolder_root_keeps_its_photos_when_its_parent_is_removed(catalog, library,
                                                                     parent_first):
    sub = library / "2019"
    scan(catalog, [library] if parent_first else [sub])
    scan(catalog, [sub] if parent_first else [library])
    folder_ids = {f["path"]: f["id"] for f in catalog.folders()}
    owners = {os.path.relpath(p, library): row["folder_id"] for p, row in photos(catalog).items()}
    assert {owners[f"2019/img_{i}.jpg"] for i in range(3)} == {folder_ids[str(sub)]}
    assert {owners[f"2020/img_{i}.jpg"] for i in range(3, 6)} == {folder_ids[str(library)]}
    face_id = add_face(catalog, photos(catalog)[str(sub / "img_0.jpg")]["id"], "Ann")

    assert catalog.remove_folder(library) == 1
    left = photos(catalog)
    assert sorted(os.path.relpath(p, library) for p in left) == [
        f"2019/img_{i}.jpg" for i in range(3)]
    assert catalog.execute("SELECT id FROM faces").fetchone()[0] == face_id
    assert scan(catalog)["unchanged"] == 3


def test_a_parent_root_keeps_the_photos_of_a_removed_subfolder_root(catalog, library):
    scan(catalog, [library, library / "2019"])
    face_id = add_face(catalog, photos(catalog)[str(library / "2019" / "img_1.jpg")]["id"])
    catalog.remove_folder(library / "2019")
    assert len(photos(catalog)) == 6
    assert catalog.execute("SELECT id FROM faces").fetchone()[0] == face_id


def test_another_catalog_inside_a_root_is_not_indexed(catalog, library):
    from core.catalog import Catalog

    with Catalog(library / "old faceshelf") as other:
        make_photo(other.thumbs_dir / "thumb.jpg", 7)
    counters = scan(catalog, [library])
    assert counters["new"] == 6
    assert not any("old faceshelf" in p for p in photos(catalog))


def test_status_says_which_folders_are_offline(catalog, library, capsys):
    import json

    from core.cli import main

    scan(catalog, [library])
    library.rename(library.with_name("Renamed"))
    assert main(["--catalog", str(catalog.dir), "status", "--json"]) == 0
    folders = json.loads(capsys.readouterr().out)["folders"]
    assert folders == [{"path": str(library), "photos": 6, "online": False}]
    assert main(["--catalog", str(catalog.dir), "status"]) == 0
    assert "OFFLINE" in capsys.readouterr().out
    library.with_name("Renamed").rename(library)
    assert main(["--catalog", str(catalog.dir), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["folders"][0]["online"] is True


def test_a_root_reached_through_a_symlink_in_another_root_is_walked_as_itself(catalog,
                                                                             tmp_path):
    lib = tmp_path / "a_lib"                 # sorts before "z_family": walked first
    family = tmp_path / "z_family"
    make_photo(lib / "own.jpg", 1)
    make_photo(family / "ann.jpg", 2)
    os.symlink(family, lib / "family")      # a shortcut to another root
    scan(catalog, [lib, family])
    rows = photos(catalog)
    assert sorted(rows) == [str(lib / "own.jpg"), str(family / "ann.jpg")]   # once each
    folder_ids = {f["path"]: f["id"] for f in catalog.folders()}
    assert rows[str(family / "ann.jpg")]["folder_id"] == folder_ids[str(family)]
    add_face(catalog, rows[str(family / "ann.jpg")]["id"], "Ann")
    catalog.remove_folder(lib)
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 1


def test_indexing_only_the_old_root_keeps_a_named_photo_moved_elsewhere(catalog, library,
                                                                        tmp_path):
    other = tmp_path / "Other"
    make_photo(other / "keep.jpg", 50)
    scan(catalog, [library, other])
    old = library / "2019" / "img_0.jpg"
    face = add_face(catalog, photos(catalog)[str(old)]["id"], "Ann")
    old.rename(other / "img_0.jpg")
    scan(catalog, [library])                 # `faceshelf index ~/Pictures`: Other not walked
    assert catalog.execute("SELECT COUNT(*) FROM faces WHERE id=?", (face,)).fetchone()[0] == 1
    counters = scan(catalog)                 # the next full rescan finds the move
    assert counters["moved"] == 1
    assert photos(catalog)[str(other / "img_0.jpg")]["id"] == \
        catalog.execute("SELECT photo_id FROM faces WHERE id=?", (face,)).fetchone()[0]


def test_a_folder_is_not_removed_while_the_catalog_is_indexed(catalog, library):
    import multiprocessing as mp

    from core.index_lock import IndexBusy

    scan(catalog, [library])

    context = mp.get_context("spawn")
    ready, release = context.Event(), context.Event()
    from tests.core.test_pipeline import _hold_index_lock

    holder = context.Process(target=_hold_index_lock, args=(str(catalog.dir), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(IndexBusy):
            catalog.remove_folder(library)
    finally:
        release.set()
        holder.join(30)
    assert len(photos(catalog)) == 6
    assert catalog.remove_folder(library) == 1
