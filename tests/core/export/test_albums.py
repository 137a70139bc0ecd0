"""Saved albums: re-export adds only what is new; prune removes only the album's own,
unchanged files; nothing else in the folder is ever touched."""

from __future__ import annotations

import os

import pytest

from core.export import (ExportError, ExportOptions, ExportRequest, export, find_album,
                         list_albums)
from core.search.spec import SearchSpec

from .helpers import files_under, snapshot


def first(catalog, out, **options):
    return export(catalog, ExportRequest(spec=SearchSpec(people_all=["Anna"]),
                                         destination=str(out), save_as="Anna",
                                         options=ExportOptions(**options)))


def again(catalog, prune=False, dry_run=False):
    return export(catalog, ExportRequest(album="Anna", prune=prune, dry_run=dry_run))


@pytest.fixture
def lib(photo_library):
    photo_library.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    photo_library.photo_of("IMG_2.jpg", "Anna", taken_at="2019-01-02T10:00:00")
    return photo_library


def test_album_is_saved_and_listed(lib, catalog, tmp_path):
    first(catalog, tmp_path / "out", mode="copy", by="year", xmp=True)
    album = find_album(catalog, "Anna")
    assert album.spec == SearchSpec(people_all=[lib.person("Anna")])   # pinned by id
    catalog.execute("UPDATE people SET name = 'Anna S.' WHERE name = 'Anna'")
    assert find_album(catalog, "Anna").display_spec.people_all == ["Anna S."]
    assert album.options.by == "year" and album.options.xmp
    assert album.destination == str((tmp_path / "out").resolve())
    assert album.exported_at is not None and album.file_count == 2
    assert [a.name for a in list_albums(catalog)] == ["Anna"]
    with pytest.raises(ExportError, match="already exists"):
        first(catalog, tmp_path / "elsewhere")


def test_re_export_adds_only_new_matches(lib, catalog, tmp_path):
    out = tmp_path / "out"
    first(catalog, out)
    stamps = {p: os.stat(out / p).st_mtime_ns for p in files_under(out)}
    lib.photo_of("IMG_3.jpg", "Anna", taken_at="2019-01-03T10:00:00")
    lib.photo_of("IMG_4.jpg", "Ben", taken_at="2019-01-04T10:00:00")
    s = again(catalog)
    assert (s.added, s.skipped, s.removed) == (1, 2, 0)
    assert files_under(out) == ["2019-01-01_IMG_1.jpg", "2019-01-02_IMG_2.jpg",
                                "2019-01-03_IMG_3.jpg"]
    assert all(os.stat(out / p).st_mtime_ns == t for p, t in stamps.items())  # not rewritten


def test_prune_removes_only_own_unchanged_files(lib, catalog, tmp_path):
    out = tmp_path / "out"
    p3 = lib.photo_of("IMG_3.jpg", "Anna", taken_at="2019-01-03T10:00:00")
    first(catalog, out, xmp=True)
    (out / "holiday notes.txt").write_text("mine")          # a foreign file
    (out / "sub").mkdir()
    (out / "sub" / "other.jpg").write_bytes(b"also mine")
    # Anna is no longer in IMG_1 and IMG_3; the user edited the exported IMG_3
    catalog.execute("UPDATE faces SET person_id = NULL WHERE photo_id IN (1, ?)", (p3,))
    with open(out / "2019-01-03_IMG_3.jpg", "ab") as fh:
        fh.write(b"edited")
    dry = again(catalog, prune=True, dry_run=True)
    assert dry.removed == 1 and dry.kept == 1
    assert len(files_under(out)) == 8                     # dry run removed nothing

    s = again(catalog, prune=True)
    assert (s.added, s.removed, s.kept) == (0, 1, 1)
    # IMG_1 and its sidecar go; the edited IMG_3 stays (its unchanged sidecar is the album's
    # and no longer matches, so it goes); foreign files stay
    assert files_under(out) == ["2019-01-02_IMG_2.jpg", "2019-01-02_IMG_2.jpg.xmp",
                                "2019-01-03_IMG_3.jpg", "holiday notes.txt", "sub/other.jpg"]
    assert (out / "holiday notes.txt").read_text() == "mine"
    assert (out / "sub" / "other.jpg").read_bytes() == b"also mine"
    s = again(catalog, prune=True)
    assert s.removed == 0 and (out / "2019-01-03_IMG_3.jpg").exists()


def test_without_prune_nothing_is_removed(lib, catalog, tmp_path):
    out = tmp_path / "out"
    first(catalog, out)
    catalog.execute("UPDATE faces SET person_id = NULL WHERE photo_id = 1")
    s = again(catalog)
    assert s.removed == 0 and s.kept == 1 and len(files_under(out)) == 2


def test_deleted_album_file_is_restored(lib, catalog, tmp_path):
    out = tmp_path / "out"
    first(catalog, out)
    (out / "2019-01-01_IMG_1.jpg").unlink()
    s = again(catalog)
    assert s.added == 1 and s.plan.files[0].reason == "missing"
    assert (out / "2019-01-01_IMG_1.jpg").read_bytes() == (lib.root / "IMG_1.jpg").read_bytes()


def test_renamed_person_refreshes_own_sidecars(lib, catalog, tmp_path):
    out = tmp_path / "out"
    first(catalog, out, xmp=True)
    # the album follows the person, not the name: a rename keeps it working
    catalog.execute("UPDATE people SET name = 'Anna Smith' WHERE name = 'Anna'")
    lib.face(1, "Ben", box=(100.0, 20.0, 150.0, 80.0))
    s = again(catalog)
    assert (s.added, s.skipped, s.sidecars_written) == (0, 2, 2)   # both sidecars refreshed
    xmp = (out / "2019-01-01_IMG_1.jpg.xmp").read_text()
    assert "Ben" in xmp and "Anna Smith" in xmp


def test_album_follows_a_merge(lib, catalog, tmp_path):
    from core.people.operations import merge_people

    out = tmp_path / "out"
    first(catalog, out)
    twin = lib.photo_of("IMG_9.jpg", "Anna 2", taken_at="2019-01-09T10:00:00")
    # the user merges her named group into a bigger group (whose id survives), then renames
    target = lib.person("Anna 2")
    catalog.execute("UPDATE people SET name = NULL WHERE id = ?", (target,))
    merge_people(catalog, [lib.person("Anna")], target)
    s = again(catalog)
    assert (s.added, s.skipped) == (1, 2) and twin
    # stored as herself (an undo of the merge brings her back), shown as who she joined
    assert find_album(catalog, "Anna").spec.people_all == [lib.person("Anna")]
    catalog.execute("UPDATE people SET name = 'Anna B.' WHERE id = ?", (target,))
    assert find_album(catalog, "Anna").display_spec.people_all == ["Anna B."]
    assert again(catalog).skipped == 3
    catalog.execute("DELETE FROM people WHERE id = ?", (target,))
    with pytest.raises(ExportError, match="no longer exists"):
        again(catalog)


def test_album_follows_a_merge_into_someone_named(lib, catalog, tmp_path):
    from core.people.operations import merge_people, undo

    out = tmp_path / "out"
    lib.photo_of("IMG_5.jpg", "Ben", taken_at="2019-01-05T10:00:00")
    export(catalog, ExportRequest(spec=SearchSpec(people_any=["Anna", "Ben"]),
                                  destination=str(out), save_as="Both",
                                  options=ExportOptions(by="person")))
    ben, anna = lib.person("Ben"), lib.person("Anna")
    merge_people(catalog, [anna], ben)        # "Anna" was Ben all along: her name is gone
    s = export(catalog, ExportRequest(album="Both"))
    assert (s.added, s.moved, s.failed) == (0, 2, 0)
    assert find_album(catalog, "Both").spec.people_any == [anna, ben]   # as asked
    assert find_album(catalog, "Both").display_spec.people_any == ["Ben", "Ben"]
    assert files_under(out) == ["Ben/2019-01-01_IMG_1.jpg", "Ben/2019-01-02_IMG_2.jpg",
                                "Ben/2019-01-05_IMG_5.jpg"]
    undo(catalog)                             # not Ben after all: her folder comes back
    s = export(catalog, ExportRequest(album="Both"))
    assert (s.added, s.kept, s.failed) == (2, 2, 0)   # her copies in Ben's folder: kept
    s = export(catalog, ExportRequest(album="Both", prune=True))
    assert s.removed == 2
    assert files_under(out) == ["Anna/2019-01-01_IMG_1.jpg", "Anna/2019-01-02_IMG_2.jpg",
                                "Ben/2019-01-05_IMG_5.jpg"]


def test_album_folder_gone_is_refused_not_recreated(lib, catalog, tmp_path):
    import shutil

    out = tmp_path / "usb" / "Anna"
    out.parent.mkdir()
    first(catalog, out)
    shutil.rmtree(tmp_path / "usb")                    # the drive is unplugged
    with pytest.raises(ExportError, match="not there"):
        again(catalog)
    assert not (tmp_path / "usb").exists()


def test_prune_needs_an_album(lib, catalog, tmp_path):
    with pytest.raises(ExportError, match="only applies to a saved album"):
        export(catalog, ExportRequest(spec=SearchSpec(people_all=["Anna"]),
                                      destination=str(tmp_path / "o"), prune=True))


def test_originals_untouched_through_album_life(lib, catalog, tmp_path):
    before = snapshot(lib.root)
    first(catalog, tmp_path / "out", xmp=True, manifest="csv")
    catalog.execute("UPDATE faces SET person_id = NULL")
    again(catalog, prune=True)
    assert files_under(tmp_path / "out") == ["faceshelf-manifest.csv"]
    assert snapshot(lib.root) == before


def test_renamed_person_moves_their_folder_instead_of_copying_again(lib, catalog, tmp_path):
    from core.people.operations import name_person

    out = tmp_path / "out"
    lib.photo_of("IMG_5.jpg", "Anna", "Ben", taken_at="2019-01-05T10:00:00")
    export(catalog, ExportRequest(spec=SearchSpec(people_any=["Anna", "Ben"]),
                                  destination=str(out), save_as="Family",
                                  options=ExportOptions(by="person", xmp=True)))
    (out / "Anna" / "notes.txt").write_text("mine")   # a foreign file in her folder
    name_person(catalog, lib.person("Anna"), "Anna Smith")
    dry = export(catalog, ExportRequest(album="Family", dry_run=True))
    assert (dry.added, dry.moved, dry.kept) == (0, 3, 0)
    s = export(catalog, ExportRequest(album="Family"))
    assert (s.added, s.moved, s.skipped, s.kept, s.removed) == (0, 3, 1, 0, 0)
    assert files_under(out) == [
        "Anna Smith/2019-01-01_IMG_1.jpg", "Anna Smith/2019-01-01_IMG_1.jpg.xmp",
        "Anna Smith/2019-01-02_IMG_2.jpg", "Anna Smith/2019-01-02_IMG_2.jpg.xmp",
        "Anna Smith/2019-01-05_IMG_5.jpg", "Anna Smith/2019-01-05_IMG_5.jpg.xmp",
        "Anna/notes.txt",                                 # not ours: stays, so does its folder
        "Ben/2019-01-05_IMG_5.jpg", "Ben/2019-01-05_IMG_5.jpg.xmp"]
    assert "Anna Smith" in (out / "Anna Smith" / "2019-01-01_IMG_1.jpg.xmp").read_text()
    s = export(catalog, ExportRequest(album="Family"))   # settled: nothing more to do
    assert (s.added, s.moved, s.skipped, s.removed) == (0, 0, 4, 0)
    # the album owns the moved files: a prune after Ben leaves IMG_5 removes them
    catalog.execute("UPDATE faces SET person_id = NULL WHERE person_id = ?", (lib.person("Ben"),))
    s = export(catalog, ExportRequest(album="Family", prune=True))
    assert s.removed == 1 and not (out / "Ben").exists()


def test_an_edited_original_reaches_the_album_and_a_moved_copy_is_left(lib, catalog, tmp_path):
    out = tmp_path / "out"
    first(catalog, out)
    original = lib.root / "IMG_2.jpg"
    with open(original, "ab") as fh:                     # the user edits the original
        fh.write(b"retouched")
    with catalog.transaction() as conn:                   # as a rescan records it
        st = original.stat()
        conn.execute("UPDATE photos SET size = ?, mtime_ns = ? WHERE path = ?",
                     (st.st_size, st.st_mtime_ns, str(original.resolve())))
    dry = again(catalog, dry_run=True)
    assert (dry.added, dry.updated, dry.skipped) == (0, 1, 1)
    s = again(catalog)
    assert (s.added, s.updated, s.skipped) == (0, 1, 1)
    assert (out / "2019-01-02_IMG_2.jpg").read_bytes() == original.read_bytes()
    assert files_under(out) == ["2019-01-01_IMG_1.jpg", "2019-01-02_IMG_2.jpg"]
    assert again(catalog).updated == 0
    # a copy the user changed is theirs: an edited original does not overwrite it
    with open(out / "2019-01-01_IMG_1.jpg", "ab") as fh:
        fh.write(b"mine")
    with open(lib.root / "IMG_1.jpg", "ab") as fh:
        fh.write(b"retouched")
    s = again(catalog)
    assert s.updated == 0 and (out / "2019-01-01_IMG_1.jpg").read_bytes().endswith(b"mine")
