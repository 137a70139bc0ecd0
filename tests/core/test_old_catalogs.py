"""Catalogs written by every older schema version, by the code of that time, open with
today's code: upgraded to the current schema, a backup of the old file kept, nothing lost,
and the reads the app makes work on them.

The catalogs are stored in tests/data/catalogs (how each was made: README.md there). Each
holds 8 photos of two people, Colin Powell's 4 faces named by the user, Tony Blair's 4 an
unnamed group; from schema 2 on, made by indexing real photos with the real models: a 9th
face (a stranger cut off at the photo's edge) ignored, and a saved album of Colin's photos.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from core.catalog import Catalog
from core.catalog.backups import list_backups
from core.catalog.schema import SCHEMA_VERSION
from tests.conftest import PROJECT

STORED = PROJECT / "tests" / "data" / "catalogs"
OLD_VERSIONS = range(1, SCHEMA_VERSION)
PHOTOS = "/tmp/faceshelf-photos"  # where the photos were when the catalogs were made


def test_a_stored_catalog_for_every_older_version():
    """Adding a migration means storing a catalog of the version it replaces (README.md)."""
    stored = sorted(int(p.stem[1:]) for p in STORED.glob("v*.sqlite3"))
    assert stored == list(OLD_VERSIONS)


def _counts(db) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731  (a short local reader)
        return {"version": q("PRAGMA user_version"), "photos": q("SELECT COUNT(*) FROM photos"),
                "faces": q("SELECT COUNT(*) FROM faces"),
                "people": q("SELECT COUNT(*) FROM people"),
                "named": q("SELECT group_concat(name) FROM people WHERE name IS NOT NULL")}
    finally:
        conn.close()


@pytest.fixture(params=OLD_VERSIONS, ids=lambda v: f"v{v}")
def upgraded(request, tmp_path):
    """(version, the stored file's counts, today's Catalog opened on a copy of it)."""
    version = request.param
    # Only copies are opened: reading a WAL database makes -shm/-wal files beside it.
    (tmp_path / "old").mkdir()
    shutil.copyfile(STORED / f"v{version}.sqlite3", tmp_path / "old" / "catalog.sqlite3")
    before = _counts(tmp_path / "old" / "catalog.sqlite3")
    assert before["version"] == version
    (tmp_path / "catalog").mkdir()
    shutil.copyfile(STORED / f"v{version}.sqlite3", tmp_path / "catalog" / "catalog.sqlite3")
    with Catalog(tmp_path / "catalog") as catalog:
        yield version, before, catalog


def test_upgrade_keeps_photos_faces_people_and_names(upgraded):
    version, before, catalog = upgraded
    assert catalog.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert catalog.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert catalog.execute("PRAGMA foreign_key_check").fetchall() == []
    after = _counts(catalog.db_path)
    assert {**after, "version": version} == before
    assert before["photos"] == 8 and before["people"] == 2 and before["named"] == "Colin Powell"

    # Every face of a Colin Powell photo still belongs to him, every Tony Blair face that was
    # grouped to the one unnamed group; the stranger stays ignored and nobody's.
    rows = catalog.execute(
        "SELECT p.path, f.person_id, pe.name, f.ignored FROM faces f "
        "JOIN photos p ON p.id = f.photo_id LEFT JOIN people pe ON pe.id = f.person_id "
        "ORDER BY f.id").fetchall()
    colin = {(r["person_id"], r["name"]) for r in rows if "Colin" in r["path"]}
    tony = {(r["person_id"], r["name"]) for r in rows if "Blair" in r["path"] and not r[3]}
    assert len(colin) == 1 and next(iter(colin))[1] == "Colin Powell"
    assert len(tony) == 1 and next(iter(tony))[1] is None and next(iter(tony))[0] is not None
    ignored = [r for r in rows if r["ignored"]]
    assert all(r["person_id"] is None for r in ignored)
    assert len(ignored) == (0 if version == 1 else 1)
    assert all(r["path"].startswith(PHOTOS + "/") for r in rows)


def test_upgrade_keeps_a_backup_of_the_old_catalog(upgraded):
    version, before, catalog = upgraded
    backups = [p for p in list_backups(catalog.dir)
               if p.name.startswith(f"catalog.before-v{SCHEMA_VERSION}.")]
    assert len(backups) == 1, list_backups(catalog.dir)
    assert _counts(backups[0]) == before  # the old schema, every row


def test_the_apps_reads_work_on_an_upgraded_catalog(upgraded):
    from core.people.queries import find_person, list_people, person_faces, person_photos
    from core.search import SearchSpec, search_photos
    from core.status import catalog_status

    version, before, catalog = upgraded
    people = list_people(catalog)
    assert [(p.name, p.face_count, p.photo_count) for p in people] == [
        ("Colin Powell", 4, 4), (None, 4, 4)]
    colin = find_person(catalog, "colin powell")
    assert {f.path.rsplit("/", 1)[1] for f in person_faces(catalog, colin)} == {
        f"krasserm__Colin_Powell_000{n}.jpg" for n in range(1, 5)}
    assert len(person_photos(catalog, colin)) == 4

    status = catalog_status(catalog, with_errors=True)
    assert status["photos"]["total"] == 8 and status["faces"] == before["faces"]
    assert status["named_people"] == 1 and [f["path"] for f in status["folders"]] == [PHOTOS]

    hits = search_photos(catalog, SearchSpec(people_all=["Colin Powell"]))
    assert sorted(h.path for h in hits) == sorted(f.path for f in person_photos(catalog, colin))

    if version >= 2:  # real faces of the real model (schema 1's are its test helper's)
        similar = search_photos(catalog, SearchSpec(similar_to_person="Colin Powell"))
        found = {h.path for h in similar}
        assert {f.path for f in person_faces(catalog, colin)} <= found
        assert not any("Blair" in path for path in found)


@pytest.mark.parametrize("version", [v for v in OLD_VERSIONS if v >= 2])
def test_the_cli_and_regrouping_work_on_an_upgraded_catalog(version, tmp_path, capsys):
    """Regrouping with today's code keeps the user's name; the CLI reads the album, people and
    status of the upgraded catalog."""
    from core.cli import main

    (tmp_path / "catalog").mkdir()
    shutil.copyfile(STORED / f"v{version}.sqlite3", tmp_path / "catalog" / "catalog.sqlite3")
    where = ["--catalog", str(tmp_path / "catalog")]
    assert main([*where, "cluster"]) == 0
    capsys.readouterr()
    assert main([*where, "people", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    assert sorted((p["name"] or "", len(p["face_ids"])) for p in people) == [
        ("", 4), ("Colin Powell", 4)]
    assert main([*where, "albums", "--json"]) == 0
    assert "Colin" in capsys.readouterr().out


@pytest.mark.parametrize("version", OLD_VERSIONS, ids=lambda v: f"v{v}")
def test_commands_that_only_read_upgrade_an_old_catalog_first(version, tmp_path, capsys):
    """The first command after an update may be one that only reads. Its queries name
    today's columns: `person` failed on every older catalog ('no such column: s.source'),
    `albums` on schema 1, and `status --errors` called a schema-5 catalog damaged."""
    from core.cli import main

    (tmp_path / "catalog").mkdir()
    shutil.copyfile(STORED / f"v{version}.sqlite3", tmp_path / "catalog" / "catalog.sqlite3")
    where = ["--catalog", str(tmp_path / "catalog")]
    assert main([*where, "status", "--errors", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["named_people"] == 1
    assert main([*where, "person", "Colin Powell", "--json"]) == 0
    assert "Colin_Powell_0004.jpg" in capsys.readouterr().out
    assert main([*where, "albums", "--json"]) == 0
    albums = [album["name"] for album in json.loads(capsys.readouterr().out)]
    assert albums == ([] if version == 1 else ["Colin"])
    assert _counts(tmp_path / "catalog" / "catalog.sqlite3")["version"] == SCHEMA_VERSION
    assert [p.name.startswith("catalog.before-v") for p in list_backups(tmp_path / "catalog")
            ] == [True]


def test_an_old_catalog_that_cannot_be_written_is_explained_and_left_alone(tmp_path):
    """Where the upgrade cannot be written (a read-only folder), the command says so in
    words instead of failing on a missing column; nothing is changed."""
    import subprocess
    import sys

    from tests.catalog_cases import without_root_powers

    prefix = without_root_powers()
    if prefix is None:
        pytest.skip("root, and no setpriv to give up the power to write read-only files")
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    shutil.copyfile(STORED / "v5.sqlite3", catalog / "catalog.sqlite3")
    before = (catalog / "catalog.sqlite3").read_bytes()
    catalog.chmod(0o555)
    try:
        done = subprocess.run([*prefix, sys.executable, "-m", "core.cli", "--catalog",
                               str(catalog), "person", "Colin Powell"],
                              capture_output=True, text=True, cwd=PROJECT, timeout=300)
    finally:
        catalog.chmod(0o755)
    assert done.returncode == 5, done.stderr
    assert "Traceback" not in done.stderr
    assert "written by an older Faceshelf (schema 5" in done.stderr, done.stderr
    assert "Copy the catalog folder somewhere you can write to" in done.stderr
    assert (catalog / "catalog.sqlite3").read_bytes() == before
    assert sorted(p.name for p in catalog.iterdir()) == ["catalog.sqlite3"]
