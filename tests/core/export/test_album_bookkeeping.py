"""An album's bookkeeping under stress: photo ids, edited originals, renamed people, kills
between a step and its record, disks that round mtimes, folder names that collide."""

from __future__ import annotations

import os

import pytest

import core.export.files as fs
import core.export.run as run
from core.people.operations import name_person
from core.search.spec import SearchSpec

from .helpers import Killed, again, album, edit, files_under, kill_at, kill_at_call


def test_a_deleted_photos_copy_is_never_overwritten_by_a_later_photo(photo_library, catalog,
                                                                     tmp_path):
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    gone = lib.photo_of("IMG_2.jpg", "Anna", taken_at="2019-01-02T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]))
    kept = (out / "2019-01-02_IMG_2.jpg").read_bytes()
    # IMG_2 leaves the library (its copy in the album may be the last one); a photo that
    # comes later gets a new id (SQLite alone would give it IMG_2's)
    (lib.root / "IMG_2.jpg").unlink()
    catalog.execute("DELETE FROM photos WHERE id = ?", (gone,))
    newcomer = lib.photo_of("IMG_3.jpg", "Anna", taken_at="2019-01-03T10:00:00",
                            src="mask_white.jpg")
    assert newcomer > gone
    s = again(catalog)
    assert (s.updated, s.added, s.kept) == (0, 1, 1)
    assert (out / "2019-01-02_IMG_2.jpg").read_bytes() == kept
    assert "2019-01-03_IMG_3.jpg" in files_under(out)


@pytest.mark.parametrize("call", [1, 2], ids=["before_replacing", "after_replacing"])
def test_an_update_killed_around_its_record_is_finished(photo_library, catalog, tmp_path,
                                                         monkeypatch, call):
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]))
    original = lib.root / "IMG_1.jpg"
    edit(original)
    kill_at_call(monkeypatch, run, "record_file", call)  # 1: the pending state, 2: the done one
    with pytest.raises(Killed):
        again(catalog)
    monkeypatch.undo()
    if call == 2:
        edit(original)                               # edited again before the next run
    again(catalog)
    copy = out / "2019-01-01_IMG_1.jpg"
    assert copy.read_bytes() == original.read_bytes()
    s = again(catalog)                               # settled: ours, not "modified"
    assert (s.updated, s.skipped, s.kept) == (0, 1, 0)
    edit(original)                                   # and it still follows the original
    assert again(catalog).updated == 1 and copy.read_bytes() == original.read_bytes()


def test_an_update_killed_before_replacing_is_done_again(photo_library, catalog, tmp_path,
                                                         monkeypatch):
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]))
    edit(lib.root / "IMG_1.jpg")
    kill_at(monkeypatch, fs, "replace")
    with pytest.raises(Killed):
        again(catalog)
    monkeypatch.undo()
    assert again(catalog).updated == 1
    assert (out / "2019-01-01_IMG_1.jpg").read_bytes() == (lib.root / "IMG_1.jpg").read_bytes()
    assert not [p for p in os.listdir(out) if p.startswith(fs.TEMP_PREFIX)]


def test_a_disk_that_rounds_mtimes_does_not_rewrite_every_copy(photo_library, catalog,
                                                               tmp_path, monkeypatch):
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    real_utime = os.utime

    def fat_utime(path, *args, ns=None, **kw):   # FAT keeps 2 s, SMB and exFAT less
        if ns is not None:
            ns = tuple(v - v % 2_000_000_000 for v in ns)
        return real_utime(path, *args, ns=ns, **kw)
    monkeypatch.setattr(fs.os, "utime", fat_utime)
    album(catalog, tmp_path / "out", SearchSpec(people_all=["Anna"]))
    assert again(catalog).updated == 0 and again(catalog).updated == 0


def renamed_in_per_person_album(lib, catalog, out, old: str, new: str, **options) -> None:
    """One photo of `old`, exported to `out` as an album with a folder per person, then
    `old` renamed to `new`."""
    lib.photo_of("IMG_1.jpg", old, taken_at="2019-01-01T10:00:00")
    album(catalog, out, SearchSpec(people_all=[old]), by="person", **options)
    name_person(catalog, lib.person(old), new)


def test_a_move_that_fails_keeps_the_sidecar_beside_the_photo(photo_library, catalog, tmp_path,
                                                              monkeypatch):
    out = tmp_path / "out"
    renamed_in_per_person_album(photo_library, catalog, out, "Anna", "Anne", xmp=True)
    real = run.plan_export

    def plan_then_the_user_edits(*args, **kw):
        plan = real(*args, **kw)
        edit(out / "Anna" / "2019-01-01_IMG_1.jpg")   # between the plan and the move
        return plan
    monkeypatch.setattr(run, "plan_export", plan_then_the_user_edits)
    s = again(catalog)
    assert (s.moved, s.failed) == (0, 1)
    assert (out / "Anna" / "2019-01-01_IMG_1.jpg.xmp").exists()


@pytest.mark.parametrize("step", ["publish", "forget_file"])
def test_a_killed_move_finishes_without_a_second_copy(photo_library, catalog, tmp_path,
                                                      monkeypatch, step):
    out = tmp_path / "out"
    renamed_in_per_person_album(photo_library, catalog, out, "Anna", "Anne", xmp=True)
    if step == "publish":
        kill_at(monkeypatch, fs, "publish")           # recorded, not yet linked
    else:
        def linked_then_killed(old, new):            # linked under the new name only
            os.link(old, new)
            raise Killed("after link")
        monkeypatch.setattr(fs, "publish", linked_then_killed)
    with pytest.raises(Killed):
        again(catalog)
    monkeypatch.undo()
    again(catalog)
    assert files_under(out) == ["Anne/2019-01-01_IMG_1.jpg", "Anne/2019-01-01_IMG_1.jpg.xmp"]
    s = again(catalog)
    assert (s.added, s.moved, s.removed, s.kept) == (0, 0, 0, 0)


def test_a_case_only_rename_moves_the_folder(photo_library, catalog, tmp_path):
    out = tmp_path / "out"
    renamed_in_per_person_album(photo_library, catalog, out, "anna", "Anna")
    s = again(catalog)
    assert (s.added, s.moved) == (0, 1)
    assert files_under(out) == ["Anna/2019-01-01_IMG_1.jpg"]


def test_a_rename_into_the_same_folder_never_prunes_the_copy(photo_library, catalog, tmp_path):
    # "Anna?" and "Anna_" both make the folder Anna_ (as "anna" and "Anna" do on a disk that
    # ignores case): the plan finds the copy already there, and prune must not delete it
    out = tmp_path / "out"
    renamed_in_per_person_album(photo_library, catalog, out, "Anna?", "Anna_")
    again(catalog, prune=True)
    assert files_under(out) == ["Anna_/2019-01-01_IMG_1.jpg"]


def test_each_persons_copy_follows_that_person(photo_library, catalog, tmp_path):
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Zoe", "Bob", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_any=["Zoe", "Bob"]), by="person", xmp=True)
    name_person(catalog, lib.person("Zoe"), "Zed")
    name_person(catalog, lib.person("Bob"), None)   # Bob is in no folder now
    s = again(catalog)
    assert s.moved == 1
    assert files_under(out) == ["Bob/2019-01-01_IMG_1.jpg", "Bob/2019-01-01_IMG_1.jpg.xmp",
                                "Zed/2019-01-01_IMG_1.jpg", "Zed/2019-01-01_IMG_1.jpg.xmp"]
