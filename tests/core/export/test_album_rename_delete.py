"""Renaming and deleting albums: the query and files follow a rename; deleting removes the
album, and with its files only those it wrote and nobody changed since."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.export import (ExportError, ExportOptions, ExportRequest, album_deletion_plan,
                         delete_album, export, find_album, list_albums, rename_album)
from core.search.spec import SearchSpec

from .helpers import again, edit, files_under, snapshot


@pytest.fixture
def saved(photo_library, catalog, tmp_path):
    """Album "Anna" of two photos (by year, XMP, a CSV manifest) in tmp_path/out."""
    photo_library.photo_of("IMG_1.jpg", "Anna", taken_at="2019-01-01T10:00:00")
    photo_library.photo_of("IMG_2.jpg", "Anna", taken_at="2020-01-02T10:00:00")
    out = tmp_path / "out"
    export(catalog, ExportRequest(spec=SearchSpec(people_all=["Anna"]), destination=str(out),
                                  save_as="Anna", options=ExportOptions(by="year", xmp=True,
                                                                        manifest="csv")))
    return out


def test_rename_keeps_query_files_and_updates(saved, photo_library, catalog):
    album = rename_album(catalog, "Anna", "  Anna's years ")
    assert album.name == "Anna's years" and find_album(catalog, "Anna") is None
    assert album.file_count == 2 and album.spec == SearchSpec(
        people_all=[photo_library.person("Anna")])
    photo_library.photo_of("IMG_3.jpg", "Anna", taken_at="2021-01-01T10:00:00")
    summary = again(catalog, "Anna's years")
    assert (summary.added, summary.skipped) == (1, 2)   # the same album, not a new one


def test_rename_refuses_a_taken_or_empty_name_and_an_unknown_album(saved, catalog, tmp_path):
    export(catalog, ExportRequest(spec=SearchSpec(people_all=["Anna"]),
                                  destination=str(tmp_path / "b"), save_as="Other"))
    with pytest.raises(ExportError, match="already exists"):
        rename_album(catalog, "Anna", "Other")
    with pytest.raises(ExportError, match="needs a name"):
        rename_album(catalog, "Anna", "  ")
    with pytest.raises(ExportError, match="no album named"):
        rename_album(catalog, "Nobody", "X")
    assert sorted(a.name for a in list_albums(catalog)) == ["Anna", "Other"]


def test_the_cover_is_a_photo_of_the_album(saved, photo_library, catalog):
    newest = photo_library.root / "IMG_2.jpg"
    cover = find_album(catalog, "Anna").cover_photo_id
    assert catalog.execute("SELECT path FROM photos WHERE id = ?",
                           (cover,)).fetchone()[0] == str(newest.resolve())


def test_delete_without_files_leaves_the_folder_as_it_is(saved, catalog):
    before = snapshot(saved)
    result = delete_album(catalog, "Anna")
    assert result is not None and not result.files_deleted
    assert find_album(catalog, "Anna") is None
    assert snapshot(saved) == before
    assert catalog.execute("SELECT COUNT(*) FROM album_files").fetchone()[0] == 0
    assert delete_album(catalog, "Anna") is None


def test_delete_with_files_removes_only_its_own_unchanged_files(saved, photo_library, catalog):
    originals = snapshot(photo_library.root)
    mine = saved / "2019" / "notes.txt"          # the user's own file in the album's folder
    mine.write_text("mine")
    edit(saved / "2020" / "2020-01-02_IMG_2.jpg")    # an album photo the user retouched
    plan = album_deletion_plan(catalog, "Anna")
    assert (plan.photos, plan.sidecars, len(plan.kept)) == (1, 3, 1)  # 2 xmp + manifest
    assert files_under(saved) != []   # the plan touched nothing
    result = delete_album(catalog, "Anna", delete_files=True)
    assert result.files_deleted and (result.photos, result.sidecars) == (1, 3)
    assert result.kept == [str(saved / "2020" / "2020-01-02_IMG_2.jpg")]
    assert files_under(saved) == ["2019/notes.txt", "2020/2020-01-02_IMG_2.jpg"]
    assert snapshot(photo_library.root) == originals
    assert find_album(catalog, "Anna") is None


def test_delete_with_files_removes_the_emptied_folder(saved, catalog):
    delete_album(catalog, "Anna", delete_files=True)
    assert not saved.exists()


def run(capsys, catalog, *argv):
    code = main(["--catalog", str(catalog.dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_rename_and_delete(saved, catalog, capsys):
    code, out, _ = run(capsys, catalog, "albums", "rename", "Anna", "Family")
    assert code == 0 and "renamed album 'Anna' to 'Family'" in out
    code, _, err = run(capsys, catalog, "albums", "rename", "Anna", "X")
    assert code == 2 and "no album named 'Anna'" in err and "Traceback" not in err
    code, out, _ = run(capsys, catalog, "albums", "delete", "Family", "--files", "--dry-run")
    assert code == 0 and "would remove 2 photo(s)" in out and saved.exists()
    code, out, _ = run(capsys, catalog, "albums", "delete", "Family", "--files", "--json")
    result = json.loads(out)
    assert code == 0 and result["photos"] == 2 and result["files_deleted"]
    assert not saved.exists()
    code, out, _ = run(capsys, catalog, "albums", "--json")
    assert json.loads(out) == []
    code, _, err = run(capsys, catalog, "albums", "delete", "Family")
    assert code == 2 and "no album named 'Family'" in err


def test_cli_global_options_after_the_album_action(saved, catalog, capsys):
    code = main(["albums", "rename", "Anna", "Family", "--json", "--catalog", str(catalog.dir)])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["name"] == "Family"
    code = main(["--json", "albums", "delete", "Family", "--catalog", str(catalog.dir)])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["files_deleted"] is False
