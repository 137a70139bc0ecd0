"""Exporting to a folder: modes, names and collisions, sub-folders, dry run, refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.export import ExportError, ExportOptions, ExportRequest, export, plan_export
from core.search.spec import SearchSpec

from .helpers import files_under, snapshot


def request(dest, *people, mode="copy", any_=False, not_=(), **options):
    spec = SearchSpec(people_all=[] if any_ else list(people),
                      people_any=list(people) if any_ else [], people_not=list(not_))
    return ExportRequest(spec=spec, destination=str(dest),
                         options=ExportOptions(mode=mode, **options))


@pytest.fixture
def family(photo_library):
    lib = photo_library
    lib.photo_of("2019/IMG_1.jpg", "Anna", taken_at="2019-07-14T13:05:22")
    lib.photo_of("2019/IMG_2.jpg", "Anna", "Ben", taken_at="2019-08-01T09:00:00")
    lib.photo_of("2020/IMG_3.jpg", "Ben", taken_at="2020-01-02T10:00:00")
    lib.photo_of("2020/IMG_4.jpg", "Carl", "Anna", taken_at="2020-02-03T11:00:00")
    lib.photo_of("2020/none.jpg", taken_at="2020-03-03T11:00:00")
    return lib


@pytest.mark.parametrize("mode", ["copy", "hardlink", "symlink"])
def test_every_mode_exports_and_never_touches_originals(family, catalog, tmp_path, mode):
    before = snapshot(family.root)
    out = tmp_path / "out"
    s = export(catalog, request(out, "Anna", mode=mode))
    assert s.ok and s.added == 3 and s.photos_matched == 3
    assert files_under(out) == ["2019-07-14_IMG_1.jpg", "2019-08-01_IMG_2.jpg",
                                "2020-02-03_IMG_4.jpg"]
    exported = out / "2019-07-14_IMG_1.jpg"
    original = family.root / "2019" / "IMG_1.jpg"
    assert exported.read_bytes() == original.read_bytes()
    if mode == "copy":
        assert not os.path.samefile(exported, original)
        assert exported.stat().st_mtime_ns == original.stat().st_mtime_ns   # date kept
    elif mode == "hardlink":
        assert os.path.samefile(exported, original)
    else:
        assert exported.is_symlink() and os.readlink(exported) == str(original.resolve())
    assert snapshot(family.root) == before
    assert not list(out.glob(".faceshelf-tmp-*"))


def test_and_or_not(family, catalog, tmp_path):
    both = export(catalog, request(tmp_path / "and", "Anna", "Ben"))
    assert files_under(tmp_path / "and") == ["2019-08-01_IMG_2.jpg"] and both.added == 1
    export(catalog, request(tmp_path / "or", "Ben", "Carl", any_=True))
    assert len(files_under(tmp_path / "or")) == 3
    export(catalog, request(tmp_path / "not", "Anna", not_=["Carl"]))
    assert files_under(tmp_path / "not") == ["2019-07-14_IMG_1.jpg", "2019-08-01_IMG_2.jpg"]


def test_collisions_never_overwrite(photo_library, catalog, tmp_path):
    lib = photo_library
    lib.photo_of("a/IMG.jpg", "Anna", taken_at="2019-07-14T10:00:00")
    lib.photo_of("b/IMG.jpg", "Anna", taken_at="2019-07-14T11:00:00", src="mask_blue.jpg")
    lib.photo_of("c/img.JPG", "Anna", taken_at="2019-07-14T12:00:00", src="mask_white.jpg")
    out = tmp_path / "out"
    out.mkdir()
    foreign = out / "2019-07-14_IMG.jpg"
    foreign.write_bytes(b"the user's own file")
    s = export(catalog, request(out, "Anna"))
    assert s.added == 3
    assert foreign.read_bytes() == b"the user's own file"
    # case-insensitive collisions too: macOS/Windows would see IMG.jpg and img.JPG as one
    assert files_under(out) == ["2019-07-14_IMG.jpg", "2019-07-14_IMG_2.jpg",
                                "2019-07-14_IMG_3.jpg", "2019-07-14_img_4.JPG"]
    assert (out / "2019-07-14_img_4.JPG").read_bytes() == (lib.root / "c/img.JPG").read_bytes()


def test_one_off_export_again_skips_what_is_there(family, catalog, tmp_path):
    out = tmp_path / "out"
    export(catalog, request(out, "Anna"))
    again = export(catalog, request(out, "Anna"))
    assert again.added == 0 and again.skipped == 3
    assert len(files_under(out)) == 3


def test_template_and_sub_folders(family, catalog, tmp_path):
    export(catalog, request(tmp_path / "y", "Anna", by="year"))
    assert files_under(tmp_path / "y") == ["2019/2019-07-14_IMG_1.jpg",
                                           "2019/2019-08-01_IMG_2.jpg",
                                           "2020/2020-02-03_IMG_4.jpg"]
    export(catalog, request(tmp_path / "p", "Anna", "Ben", "Carl", any_=True, by="person",
                            template="{time}_{people}"))
    assert files_under(tmp_path / "p") == [
        "Anna/090000_Anna+Ben.jpg", "Anna/110000_Anna+Carl.jpg", "Anna/130522_Anna.jpg",
        "Ben/090000_Anna+Ben.jpg", "Ben/100000_Ben.jpg", "Carl/110000_Anna+Carl.jpg"]


def test_dry_run_writes_nothing(family, catalog, tmp_path):
    out = tmp_path / "out"
    revision = catalog.revision()
    s = export(catalog, ExportRequest(spec=SearchSpec(people_all=["Anna"]), destination=str(out),
                                      options=ExportOptions(xmp=True, manifest="json"),
                                      save_as="trip", dry_run=True))
    assert s.dry_run and s.added == 3 and s.sidecars_written == 3
    assert [f.action for f in s.plan.files].count("add") == 6
    assert not out.exists()
    assert catalog.revision() == revision
    assert catalog.execute("SELECT COUNT(*) FROM albums").fetchone()[0] == 0


def test_destination_inside_library_is_refused(family, catalog, tmp_path):
    with pytest.raises(ExportError, match="inside the library folder"):
        export(catalog, request(family.root / "exports", "Anna"))
    link = tmp_path / "sneaky"
    link.symlink_to(family.root / "2019")
    with pytest.raises(ExportError, match="inside the library folder"):
        plan_export(catalog, request(link / "out", "Anna"))
    with pytest.raises(ExportError, match="catalog folder"):
        export(catalog, request(catalog.dir / "x", "Anna"))
    assert not (family.root / "exports").exists()


def test_template_that_reaches_into_the_library_is_refused(family, catalog, tmp_path):
    s = export(catalog, request(tmp_path, "Anna", template="library/{name}.{ext}"))
    assert s.added == 0 and {f.reason for f in s.failures} == {"inside_library"}
    assert len(files_under(family.root)) == 5


def test_destination_that_is_a_file(family, catalog, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export(catalog, request(blocker, "Anna"))
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export(catalog, request(blocker / "sub", "Anna"))


def test_missing_parent_folder_is_not_created(family, catalog, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export(catalog, request(tmp_path / "no" / "such" / "place", "Anna"))
    assert not (tmp_path / "no").exists()


def test_unknown_person_is_a_clear_error(family, catalog, tmp_path):
    with pytest.raises(ExportError, match="no person named 'Zed'"):
        export(catalog, request(tmp_path / "o", "Zed"))


def test_missing_original_is_skipped_with_a_reason(family, catalog, tmp_path, monkeypatch):
    (family.root / "2019" / "IMG_1.jpg").unlink()
    s = export(catalog, request(tmp_path / "o", "Anna"))
    assert s.added == 2 and [f.reason for f in s.failures] == ["source_missing"]
    # vanishing between plan and copy: reported, and no sidecar without its photo
    from core.export import run

    real_plan = run.plan_export

    def plan_then_vanish(catalog, req):
        plan = real_plan(catalog, req)
        (family.root / "2019" / "IMG_2.jpg").unlink()
        return plan

    monkeypatch.setattr(run, "plan_export", plan_then_vanish)
    s = export(catalog, request(tmp_path / "p", "Anna", xmp=True))
    assert s.added == 1 and [f.reason for f in s.failures] == ["source_missing"] * 2
    assert files_under(tmp_path / "p") == ["2020-02-03_IMG_4.jpg", "2020-02-03_IMG_4.jpg.xmp"]


def test_hardlink_across_devices_is_refused_per_file(family, catalog):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(family.root).st_dev:
        pytest.skip("no second file system to link across")
    out = shm / f"faceshelf-test-{os.getpid()}"
    try:
        s = export(catalog, request(out, "Anna", mode="hardlink"))
        assert s.added == 0 and {f.reason for f in s.failures} == {"other_device"}
        assert files_under(out) == []
    finally:
        for p in sorted(out.rglob("*"), reverse=True) if out.exists() else []:
            p.unlink() if not p.is_dir() else p.rmdir()
        if out.exists():
            out.rmdir()


def test_manifest(family, catalog, tmp_path):
    import csv
    import json

    out = tmp_path / "out"
    s = export(catalog, request(out, "Anna", manifest="json"))
    doc = json.loads(Path(s.manifest).read_text())
    assert doc["faceshelf_manifest"] == 1
    assert [r["file"] for r in doc["files"]] == ["2019-07-14_IMG_1.jpg", "2019-08-01_IMG_2.jpg",
                                                 "2020-02-03_IMG_4.jpg"]
    assert doc["files"][1]["people"] == ["Anna", "Ben"]
    assert doc["files"][1]["source"] == str(family.root / "2019" / "IMG_2.jpg")
    s = export(catalog, request(tmp_path / "csv", "Anna", manifest="csv"))
    rows = list(csv.DictReader(open(s.manifest, newline="")))
    assert [r["taken_at"] for r in rows][0] == "2019-07-14T13:05:22"
    # a manifest-named file that is not ours is never overwritten
    other = tmp_path / "o3"
    other.mkdir()
    (other / "faceshelf-manifest.json").write_text("{}")
    s = export(catalog, request(other, "Anna", manifest="json"))
    assert (other / "faceshelf-manifest.json").read_text() == "{}"
    assert [f.reason for f in s.failures] == ["exists"]


def test_people_selection_agrees_with_search(family, catalog):
    """An export selects exactly the photos search_photos finds."""
    from core.export.selection import select_items
    from core.search import search_photos

    family.photo_of("2021/IMG_5.jpg", "Anna", taken_at="2021-05-05T10:00:00")
    ignored = family.photo_of("2021/IMG_6.jpg", "Ben", taken_at="2021-06-06T10:00:00")
    catalog.execute("UPDATE faces SET ignored = 1 WHERE photo_id = ?", (ignored,))
    specs = [SearchSpec(people_all=["Anna"]), SearchSpec(people_all=["anna", "Ben"]),
             SearchSpec(people_any=["Ben", "Carl"]), SearchSpec(people_any=["Anna"],
                                                               people_not=["Ben", "Carl"]),
             SearchSpec(people_all=["Anna"], people_any=["Ben", "Carl"]),
             SearchSpec(people_all=["Anna"], date_from="2019-08-01", date_to="2020-02-03"),
             SearchSpec(people_any=["Anna", "Ben"], folder=str(family.root / "2020")),
             SearchSpec(people_any=["Anna", "Ben"], top=2)]
    for spec in specs:
        assert sorted(i.photo_id for i in select_items(catalog, spec)) == sorted(
            h.photo_id for h in search_photos(catalog, spec)), spec


def test_destination_reached_through_a_symlink_in_the_library_is_refused(family, catalog,
                                                                         tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (family.root / "ext").symlink_to(outside, target_is_directory=True)
    photo = family.photo_of("ext/IMG_9.jpg", "Anna", taken_at="2021-01-01T10:00:00")
    with catalog.transaction() as conn:   # the scan stores the path it walked, link and all
        conn.execute("UPDATE photos SET path=? WHERE id=?",
                     (str(family.root.resolve() / "ext" / "IMG_9.jpg"), photo))
    with pytest.raises(ExportError, match="inside the library folder"):
        export(catalog, request(outside / "exported", "Anna"))
    assert sorted(p.name for p in outside.iterdir()) == ["IMG_9.jpg"]
    assert export(catalog, request(tmp_path / "fine", "Anna")).added == 4


def test_an_unnamed_person_by_person_goes_to_unknown_not_to_someone_else(family, catalog,
                                                                         tmp_path):
    photo = catalog.execute("SELECT id FROM photos WHERE path LIKE '%IMG_4.jpg'").fetchone()[0]
    with catalog.transaction() as conn:
        group = conn.execute("INSERT INTO people(name, created_at, updated_at) "
                             "VALUES (NULL, 0, 0)").lastrowid
    face = family.face(photo, box=(200.0, 20.0, 250.0, 80.0))
    with catalog.transaction() as conn:
        conn.execute("UPDATE faces SET person_id=?, assigned_by='cluster' WHERE id=?",
                     (group, face))
    export(catalog, request(tmp_path / "p", group, by="person"))
    assert files_under(tmp_path / "p") == ["unknown/2020-02-03_IMG_4.jpg"]


def test_destination_an_empty_library_shortcut_leads_to_is_refused(family, catalog, tmp_path):
    exports = tmp_path / "Exports"
    exports.mkdir()
    (family.root / "2019" / "Exports").symlink_to(exports, target_is_directory=True)
    with pytest.raises(ExportError, match="inside the library folder"):
        export(catalog, request(exports / "Anna", "Anna"))
    assert list(exports.iterdir()) == []
