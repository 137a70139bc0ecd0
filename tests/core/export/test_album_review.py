"""Album bookkeeping, second round: a library folder re-added, originals moved then edited,
links following their originals, albums from before the original's state was recorded,
undone merges, prune in link modes, sidecar updates killed half-way."""

from __future__ import annotations

import os
import shutil

import pytest

import core.export.run as run
from core.export.options import ExportError
from core.people.operations import forget_person, merge_people, name_person, undo
from core.search.spec import SearchSpec

from .helpers import Killed, again, album, edit, files_under, kill_at_call


def rescan_row(catalog, photo_id, path):
    """What the scan writes for a photo it found moved (same id) or changed in place."""
    st = os.stat(path)
    catalog.execute("UPDATE photos SET path = ?, size = ?, mtime_ns = ? WHERE id = ?",
                    (str(path), st.st_size, st.st_mtime_ns, photo_id))


def test_prune_never_deletes_a_copy_the_plan_counts_as_present_after_a_reindex(
        photo_library, catalog, tmp_path):
    """The library folder is removed and added again (a drive moved, a root re-added): the
    same files come back under new photo ids. The plan finds each album copy "present"
    (identical, same name), yet --prune deletes it as the old id's unmatched file."""
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]))
    assert files_under(out) == ["2019-01-01_IMG_1.jpg"]

    catalog.remove_folder(lib.root)                 # photos and faces leave the catalog
    lib.folder_id = catalog.add_folder(lib.root)    # and come back, as a new scan makes them
    path = lib.root / "IMG_1.jpg"
    st = path.stat()
    new_id = lib.row(str(path), st.st_size, st.st_mtime_ns, None, None, None,
                     "2019-01-01T10:00:00")
    assert new_id == 2                              # ids are never reused
    lib.face(new_id, "Anna")

    dry = again(catalog, prune=True, dry_run=True)
    assert dry.skipped == 1
    assert dry.removed == 0, "the dry run plans to delete the copy it also counts as present"
    again(catalog, prune=True)
    assert files_under(out) == ["2019-01-01_IMG_1.jpg"], "the album's only copy was deleted"


def test_an_original_moved_in_the_library_then_edited_updates_its_copy(photo_library, catalog,
                                                                      tmp_path):
    """The scan keeps a moved photo's id. The album compares the original with its recorded
    source_path only, so after a move an edit is never seen as an edit: the copy is taken for
    another photo's and a second copy is written beside the stale one."""
    lib = photo_library
    pid = lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]))
    moved = lib.root / "2019" / "IMG_1.jpg"
    moved.parent.mkdir()
    shutil.move(lib.root / "IMG_1.jpg", moved)     # the user tidies the library
    rescan_row(catalog, pid, moved)
    assert again(catalog).skipped == 1
    edit(moved)                                     # then retouches the photo
    rescan_row(catalog, pid, moved)
    s = again(catalog)
    assert (s.updated, s.added) == (1, 0)
    assert files_under(out) == ["2019-01-01_IMG_1.jpg"]
    assert (out / "2019-01-01_IMG_1.jpg").read_bytes() == moved.read_bytes()


def test_a_symlink_album_follows_an_original_moved_in_the_library(photo_library, catalog,
                                                                  tmp_path):
    """Before 667e47d a symlink whose original moved was relinked ("update": same_photo
    compares the link target); now symlink albums are never updated, so the link dangles
    forever."""
    lib = photo_library
    pid = lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]), mode="symlink")
    moved = lib.root / "2019" / "IMG_1.jpg"
    moved.parent.mkdir()
    shutil.move(lib.root / "IMG_1.jpg", moved)
    rescan_row(catalog, pid, moved)
    again(catalog)
    link = out / "2019-01-01_IMG_1.jpg"
    assert link.is_symlink()
    assert link.exists(), f"dangling: points at {os.readlink(link)}"


def test_an_album_from_before_migration_3_still_follows_an_edited_original(
        photo_library, catalog, tmp_path):
    """Rows written before migration 3 have no source_path: _original_edited returns False
    for them and nothing re-records them, so every album saved before the upgrade stops
    following edits of its originals (9ff3f1a updated them)."""
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]))
    # what migration 3 leaves for a file exported by version 2
    catalog.execute("UPDATE album_files SET source_path = NULL, source_size = NULL, "
                    "source_mtime_ns = NULL, person_id = NULL")
    original = lib.root / "IMG_1.jpg"
    edit(original)
    s = again(catalog)
    assert s.updated == 1
    assert (out / "2019-01-01_IMG_1.jpg").read_bytes() == original.read_bytes()


def test_an_undone_merge_does_not_send_the_album_to_the_merge_target_later(
        photo_library, catalog, tmp_path):
    """Merge Anna into Bob, undo it (Anna is back), later forget Anna. person_merges still
    says Anna -> Bob, so Anna's album silently becomes Bob's album (and with --prune deletes
    Anna's copies). It should say Anna no longer exists, as before the change."""
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    lib.photo_of("IMG_2.jpg", "Bob", taken_at="2019-01-02T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]))
    anna, bob = lib.person("Anna"), lib.person("Bob")
    merge_people(catalog, [anna], bob)
    undo(catalog)                                   # "no, not the same person"
    forget_person(catalog, anna)
    with pytest.raises(ExportError, match="no longer exists"):
        again(catalog, prune=True)
    assert files_under(out) == ["2019-01-01_IMG_1.jpg"]


@pytest.mark.parametrize("mode", ["hardlink", "symlink"])
def test_prune_removes_a_persons_copy_in_link_modes(photo_library, catalog, tmp_path, mode):
    """The 'present' guard compares files with os.path.samefile: in hardlink mode every copy
    of a photo is the same inode, in symlink mode samefile follows the links. A photo's copy
    in the folder of a person no longer in it is then never pruned (it is in copy mode)."""
    lib = photo_library
    pid = lib.photo_of("IMG_1.jpg", "Anna", "Bob", taken_at="2019-01-01T10:00:00")
    lib.photo_of("IMG_2.jpg", "Anna", taken_at="2019-01-02T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_any=["Anna", "Bob"]), by="person", mode=mode)
    assert "Anna/2019-01-01_IMG_1.jpg" in files_under(out)
    # that face in IMG_1 was not Anna after all: it is Carl, whom the album does not ask for
    carl = lib.person("Carl")
    catalog.execute("UPDATE faces SET person_id = ? WHERE photo_id = ? AND person_id = ?",
                    (carl, pid, lib.person("Anna")))
    s = again(catalog, prune=True)
    assert files_under(out) == ["Anna/2019-01-02_IMG_2.jpg", "Bob/2019-01-01_IMG_1.jpg"]
    assert s.removed == 1


@pytest.mark.parametrize("call", [1, 2], ids=["before_replacing", "after_replacing"])
def test_a_sidecar_update_killed_around_its_record_is_taken_back(photo_library, catalog,
                                                                 tmp_path, monkeypatch, call):
    """A sidecar the album was refreshing when killed is still the album's: it follows the
    next renames instead of counting as changed by someone ("modified") for good."""
    lib = photo_library
    lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]), xmp=True)
    name_person(catalog, lib.person("Anna"), "Anne")        # the sidecar's names change
    kill_at_call(monkeypatch, run, "record_file", call)  # 1: the pending state, 2: the done one
    with pytest.raises(Killed):
        again(catalog)
    monkeypatch.undo()
    sidecar = out / "2019-01-01_IMG_1.jpg.xmp"
    again(catalog)
    assert b"Anne" in sidecar.read_bytes()
    name_person(catalog, lib.person("Anna"), "Annie")
    again(catalog)
    assert b"Annie" in sidecar.read_bytes(), "the sidecar is stuck as 'modified'"


def readd(lib, catalog, photo_id, person):
    """The photo's folder removed and added again: the same file under a new photo id."""
    row = catalog.execute("SELECT path, size, mtime_ns, width, height, orientation, taken_at "
                          "FROM photos WHERE id = ?", (photo_id,)).fetchone()
    catalog.execute("DELETE FROM photos WHERE id = ?", (photo_id,))
    new = lib.row(*row)
    lib.face(new, person)
    return new


@pytest.mark.parametrize("moved", [False, True], ids=["same_place", "moved_before"])
def test_a_photo_back_under_a_new_id_keeps_its_album_file(photo_library, catalog, tmp_path,
                                                          moved):
    lib = photo_library
    first = lib.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    edited = lib.photo_of("IMG_2.jpg", "Anna", taken_at="2019-01-02T10:00:00")
    out = tmp_path / "out"
    album(catalog, out, SearchSpec(people_all=["Anna"]), xmp=True)
    if moved:   # renamed in the library, and the album has seen it since
        new_path = lib.root / "IMG_1_renamed.jpg"
        os.rename(lib.root / "IMG_1.jpg", new_path)
        rescan_row(catalog, first, new_path)
        again(catalog)
    with open(out / "2019-01-02_IMG_2.jpg", "ab") as fh:    # the user edits one copy
        fh.write(b"mine")
    before = sorted(files_under(out))
    for photo in (first, edited):
        readd(lib, catalog, photo, "Anna")
    dry = again(catalog, prune=True, dry_run=True)
    s = again(catalog, prune=True)
    assert (s.added, s.removed) == (0, 0) == (dry.added, dry.removed)
    assert sorted(files_under(out)) == before               # no second copy, no sidecar lost
    s = again(catalog, prune=True)
    assert (s.skipped, s.kept, s.added, s.removed) == (2, 0, 0, 0)   # counts settle
