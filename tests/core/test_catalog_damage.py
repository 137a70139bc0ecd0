"""A damaged or read-only catalog is explained, never silently replaced: the real CLI in a
subprocess on real damaged SQLite files. Exit 5 = damaged or unusable, 6 = read-only and the
command writes; the message names the file; no traceback; the file's bytes stay as they were."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.catalog_cases import (DB, corrupt_page, empty, make_catalog, read_only_mount_prefix,
                                 sha256, truncate, without_root_powers, zero_header)

PROJECT = Path(__file__).resolve().parents[2]
DAMAGES = {"truncated": truncate, "zeroed header": zero_header, "empty": empty,
           "corrupt page": lambda db: corrupt_page(db, 300)}
EXPECTED = {"truncated": "is truncated", "zeroed header": "is not a database",
            "empty": "is empty (0 bytes)", "corrupt page": "is damaged"}


def run(catalog: Path, *args: str, prefix: list[str] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "core.cli", "--catalog", str(catalog),
                           *args], capture_output=True, text=True, cwd=PROJECT, timeout=120)


_DRIVER = """
import contextlib, io, json, sys, traceback
from core.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
        except BaseException:
            traceback.print_exc()
            status = 1
    results.append([status, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def run_many(catalog: Path, commands: list[list[str]], prefix: list[str] = ()) \
        -> list[subprocess.CompletedProcess]:
    """The CLI's main() for each command in turn, in one process (under `prefix`): what a
    subprocess per command would show, without paying the start-up each time."""
    argvs = [["--catalog", str(catalog), *args] for args in commands]
    done = subprocess.run([*prefix, sys.executable, "-c", _DRIVER, json.dumps(argvs)],
                          capture_output=True, text=True, cwd=PROJECT, timeout=300)
    assert done.returncode == 0, done.stderr
    return [subprocess.CompletedProcess(argv, status, out, err)
            for argv, (status, out, err) in zip(argvs, json.loads(done.stdout))]


def assert_explained(done: subprocess.CompletedProcess, status: int, *words: str) -> None:
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_catalog(tmp_path_factory.mktemp("template") / "catalog")


@pytest.fixture
def fresh(tmp_path, template):
    def make(name: str = "catalog") -> Path:
        target = tmp_path / name
        shutil.copytree(template, target)
        return target
    return make


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_catalog_is_explained_and_left_alone(fresh, tmp_path, damage):
    catalog = fresh()
    db = catalog / DB
    DAMAGES[damage](db)
    before = sha256(db)
    photos = tmp_path / "photos"
    photos.mkdir()
    # commands that only read, then ones that write (the day's backup looks at every page
    # before the first write: a corrupt page stops a writing command before it writes)
    commands = [["status"], ["people"], ["faces"], ["check"], ["name", "1", "Bob"],
                ["index", str(photos), "--workers", "0", "--quiet"]]
    for args, done in zip(commands, run_many(catalog, commands)):
        if damage == "corrupt page" and args in (["status"], ["people"], ["faces"]):
            # `status` and `people` count from an index (faces_person_summary), which is
            # intact, and never read the bad page of face rows; `faces` reaches it
            assert done.returncode in (0, 5) and "Traceback" not in done.stderr
            continue
        if args == ["check"]:  # (having just checked, only repair is suggested)
            assert_explained(done, 5, f"the catalog {db} is damaged", "faceshelf --catalog",
                             "repair")
            continue
        assert_explained(done, 5, str(db), EXPECTED[damage], "faceshelf --catalog", "check",
                         "repair")
    assert sha256(db) == before  # never written, never replaced
    assert sorted(p.name for p in catalog.iterdir()) == [DB]  # nothing made beside it


def test_empty_catalog_is_never_replaced_by_index(tmp_path):
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / DB).write_bytes(b"")
    photos = tmp_path / "photos"
    photos.mkdir()
    done = run(catalog, "index", str(photos), "--workers", "0", "--quiet")
    assert_explained(done, 5, f"the catalog {catalog / DB} is empty (0 bytes)")
    assert (catalog / DB).stat().st_size == 0


def test_catalog_option_naming_a_file(tmp_path):
    regular = tmp_path / "notes.txt"
    regular.write_text("hello")
    for args in (["status"], ["index", str(tmp_path), "--quiet"]):
        done = run(regular, *args)
        assert_explained(done, 5, f"the catalog {regular} is a file, not a catalog folder")
    assert regular.read_text() == "hello"


def test_check_is_read_only_and_says_intact(fresh):
    catalog = fresh()
    before = sha256(catalog / DB)
    done = run(catalog, "check")
    assert done.returncode == 0, done.stderr
    assert "SQLite's integrity check: ok" in done.stdout and "is intact" in done.stdout
    report = json.loads(run(catalog, "check", "--json", "--quick").stdout)
    assert report["damaged"] is False and report["catalog"] == str(catalog / DB)
    assert sha256(catalog / DB) == before


def test_check_names_the_damage(fresh):
    catalog = fresh()
    corrupt_page(catalog / DB, 300)
    done = run(catalog, "check", "--json")
    assert done.returncode == 5
    report = json.loads(done.stdout)
    assert report["damaged"] is True
    assert [f["what"] for f in report["findings"] if f["level"] == "damaged"] == ["integrity"]


def _faces(db: Path) -> dict[int, tuple]:
    conn = sqlite3.connect(db)
    try:
        return {row[0]: row for row in conn.execute("SELECT * FROM faces")}
    finally:
        conn.close()


@pytest.mark.parametrize("damage", ["corrupt page", "truncated", "zeroed header"])
def test_repair_salvages_rows_into_a_new_catalog_and_keeps_the_old(fresh, template, damage):
    catalog = fresh()
    db = catalog / DB
    original = _faces(template / DB)
    DAMAGES[damage](db)
    damaged_bytes = sha256(db)
    done = run(catalog, "repair")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"the repaired catalog is now {db}" in done.stdout
    kept = sorted(catalog.glob("catalog.damaged-*.sqlite3"))
    assert len(kept) == 1 and sha256(kept[0]) == damaged_bytes  # renamed, byte for byte
    assert str(kept[0]) in done.stdout
    salvaged = _faces(db)
    # every row saved is the row that was there, bytes of the embedding and all
    assert salvaged and all(original[i] == row for i, row in salvaged.items())
    if damage == "corrupt page":
        assert set(original) - set(salvaged) == {300}   # exactly the face on the bad page
        assert "faces: 599 rows (ids 300 could not be read" in done.stdout
    if damage == "zeroed header":
        assert salvaged == original                      # the header was rebuilt
    if damage == "truncated":
        assert len(salvaged) > 100 and "found on its pages" in done.stdout
    assert run(catalog, "check").returncode == 0
    status = run(catalog, "status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["faces"] == len(salvaged)
    again = run(catalog, "repair")
    assert again.returncode == 0 and "nothing to repair" in again.stdout


def test_repair_keep_in_place_only_writes_beside(fresh):
    catalog = fresh()
    corrupt_page(catalog / DB, 300)
    before = sha256(catalog / DB)
    done = run(catalog, "repair", "--keep-in-place")
    assert done.returncode == 0, done.stderr
    assert sha256(catalog / DB) == before
    beside = sorted(catalog.glob("catalog.repaired-*.sqlite3"))
    assert len(beside) == 1 and "to switch: move" in done.stdout


def test_repair_of_an_empty_file_points_to_the_backup(fresh):
    catalog = fresh()
    assert run(catalog, "name", "1", "Bea").returncode == 0   # the day's backup is made
    backups = sorted((catalog / "backups").glob("catalog.*.sqlite3"))
    assert len(backups) == 1
    empty(catalog / DB)
    done = run(catalog, "status")
    assert_explained(done, 5, "is empty (0 bytes)", f"copy {backups[0]} in its place")
    done = run(catalog, "repair")
    assert_explained(done, 5, "nothing can be salvaged", f"Restore the automatic backup "
                                                         f"{backups[0]}")
    assert (catalog / DB).stat().st_size == 0
    # the backup really holds the catalog as it was that day
    conn = sqlite3.connect(backups[0])
    assert conn.execute("SELECT name FROM people WHERE id=1").fetchone()[0] == "Anna"
    conn.close()


# -- read-only -------------------------------------------------------------------------------

READ_COMMANDS = [["status"], ["people"], ["person", "1"], ["faces"], ["albums"],
                 ["search", "--person", "Anna"], ["check"]]
WRITE_COMMANDS = [["name", "1", "Bob"], ["index", "{photos}", "--quiet"], ["rescan", "--quiet"]]


def _read_only_case(catalog: Path, how: str, tmp_path: Path) -> list[str]:
    if how == "mount":
        prefix = read_only_mount_prefix(catalog)
        if prefix is None:
            pytest.skip("no user namespaces here to mount a folder read-only")
        return prefix
    prefix = without_root_powers()
    if prefix is None:
        pytest.skip("root, and no setpriv to give up the power to write read-only files")
    if how == "file":
        (catalog / DB).chmod(0o444)
    else:
        catalog.chmod(0o555)
    return prefix


@pytest.fixture(scope="module")
def writable_outputs(template, tmp_path_factory) -> dict:
    """What the read commands print on a writable copy (the catalog's path taken out)."""
    catalog = tmp_path_factory.mktemp("writable") / "catalog"
    shutil.copytree(template, catalog)
    return {tuple(done.args[2:]): done.stdout.replace(str(catalog), "")
            for done in run_many(catalog, READ_COMMANDS)}


@pytest.mark.parametrize("how", ["file", "folder", "mount"])
def test_read_only_catalog_reads_and_refuses_writes(fresh, tmp_path, how, writable_outputs):
    catalog = fresh()
    photos = tmp_path / "photos"
    photos.mkdir()
    prefix = _read_only_case(catalog, how, tmp_path)
    before = sha256(catalog / DB)
    # reindex-search writes only its cache beside the catalog: refused where that can't be
    writes = [[a.format(photos=photos) for a in args] for args in
              WRITE_COMMANDS + ([["reindex-search"]] if how != "file" else [])]
    try:
        results = run_many(catalog, READ_COMMANDS + writes, prefix=prefix)
    finally:
        catalog.chmod(0o755)
        (catalog / DB).chmod(0o644)
    for done in results[:len(READ_COMMANDS)]:
        args = tuple(done.args[2:])
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
        if args != ("check",):
            assert done.stdout.replace(str(catalog), "") == writable_outputs[args], args
    for done in results[len(READ_COMMANDS):]:
        assert_explained(done, 6, f"the catalog {catalog / DB} cannot be changed",
                         {"file": "the file is read-only", "folder": "is read-only",
                          "mount": "mounted read-only"}[how], "Commands that only read")
    assert sha256(catalog / DB) == before


# -- automatic backups -------------------------------------------------------------------------

def test_daily_backups_once_a_day_and_only_the_last_two_kept(fresh):
    from core.catalog import Catalog
    from core.catalog.backups import DAILY_KEPT, daily_backup, list_backups

    catalog = fresh()
    db = catalog / DB
    made = [daily_backup(db, today=day) for day in
            ("2026-12-01", "2026-12-01", "2026-12-02", "2026-12-03")]
    assert [m.name if m else None for m in made] == [
        "catalog.2026-12-01.sqlite3", None, "catalog.2026-12-02.sqlite3",
        "catalog.2026-12-03.sqlite3"]
    assert sorted(p.name for p in list_backups(catalog)) == [
        "catalog.2026-12-02.sqlite3", "catalog.2026-12-03.sqlite3"][:DAILY_KEPT]
    conn = sqlite3.connect(made[-1])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 600
    conn.close()
    assert not list((catalog / "backups").glob(".*"))  # no temporary left behind
    with Catalog(catalog, readonly=True) as reader:
        assert reader.daily_backup() is None  # a reader never writes one


def test_a_damaged_catalog_is_not_backed_up_over_good_backups(fresh):
    from core.catalog import CatalogDamaged
    from core.catalog.backups import daily_backup, list_backups

    catalog = fresh()
    db = catalog / DB
    good = daily_backup(db, today="2026-12-01")
    corrupt_page(db, 300)
    with pytest.raises(CatalogDamaged) as raised:
        daily_backup(db, today="2026-12-02")
    assert str(db) in str(raised.value) and str(good) in str(raised.value)
    assert list_backups(catalog) == [good]


def test_migration_backs_up_first_into_backups(tmp_path):
    from core.catalog import Catalog
    from core.catalog.schema import MIGRATIONS, SCHEMA_VERSION

    catalog = tmp_path / "catalog"
    catalog.mkdir()
    conn = sqlite3.connect(catalog / DB)
    for number, script in enumerate(MIGRATIONS[:-1], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO folders(path, added_at) VALUES ('/old', 0)")
    conn.commit()
    conn.close()
    Catalog(catalog).close()
    backups = list((catalog / "backups").glob(f"catalog.before-v{SCHEMA_VERSION}.*.sqlite3"))
    assert len(backups) == 1
    conn = sqlite3.connect(backups[0])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
    assert conn.execute("SELECT path FROM folders").fetchall() == [("/old",)]
    conn.close()


def test_a_foreign_sqlite_file_is_not_taken_over(tmp_path):
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    conn = sqlite3.connect(catalog / DB)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = sha256(catalog / DB)
    for args in (["name", "1", "Bob"], ["status"]):
        done = run(catalog, *args)
        assert_explained(done, 5, f"the catalog {catalog / DB} is an SQLite database but not "
                                  f"a Faceshelf catalog")
    for args in (["check"], ["repair"]):
        assert_explained(run(catalog, *args), 5, "does not hold a Faceshelf catalog")
    assert sha256(catalog / DB) == before
    assert sorted(p.name for p in catalog.iterdir()) == [DB]


def test_no_upgrade_without_its_backup(tmp_path):
    from core.catalog import Catalog, CatalogUnusable
    from core.catalog.schema import MIGRATIONS

    catalog = tmp_path / "catalog"
    catalog.mkdir()
    conn = sqlite3.connect(catalog / DB)
    for number, script in enumerate(MIGRATIONS[:-1], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.commit()
    conn.close()
    (catalog / "backups").write_text("a file where the backup folder should be")
    with pytest.raises(CatalogUnusable) as raised:
        Catalog(catalog)
    assert "was not upgraded" in str(raised.value)
    conn = sqlite3.connect(catalog / DB)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) - 1
    conn.close()


def test_repair_keeps_the_photos_of_a_lost_folder_row(fresh):
    """The folders table's only page is garbage: its photos would all go with it (ON DELETE
    CASCADE); the folder is made again from where its photos are."""
    from tests.catalog_cases import corrupt_table

    catalog = fresh()
    corrupt_table(catalog / DB, "folders")
    done = run(catalog, "repair")
    assert done.returncode == 0, done.stderr
    assert "folders: 1 rows (ids 1 and above could not be read through the table), " \
           "1 made again from the rows pointing at them" in done.stdout
    status = json.loads(run(catalog, "status", "--json").stdout)
    assert [(f["path"], f["photos"]) for f in status["folders"]] == [("/library", 300)]
    assert status["faces"] == 600


def test_repair_of_a_catalog_cut_before_its_table_list_says_so(fresh):
    """Cut short mid-page, before the pages that hold its list of tables: repair says that
    (it said "its header is damaged", which it is not) and points to the backup."""
    catalog = fresh()
    db = catalog / DB
    with open(db, "r+b") as handle:
        handle.truncate(50_000)
    done = run(catalog, "repair")
    assert done.returncode == 5 and "Traceback" not in done.stderr
    assert "is cut short (50,000 of" in done.stderr
    assert "header is damaged" not in done.stderr
    assert db.stat().st_size == 50_000            # the damaged file is left as it is
