"""A healthy catalog is never called damaged or read-only because someone else is using it at
the same moment: another thread of the GUI opening it, the CLI beside it writing and closing
(a checkpoint that grows the file, then deletes the -wal and -shm). Each race is played in
one fixed order, with a real second process where the real case has one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.catalog import Catalog
from core.catalog import problems
from core.catalog.db import DB_NAME

PROJECT = Path(__file__).resolve().parents[2]

posix_locks = pytest.mark.skipif(os.name != "posix", reason="POSIX advisory locks")


class OtherProcess:
    """A second Python process with the project on its path, driven line by line on stdin
    (one statement per line, 'ok' or the printed value back), like the CLI beside the GUI."""

    def __init__(self, catalog_dir: Path) -> None:
        driver = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(PROJECT)!r})
            from core.catalog import Catalog
            d = {str(catalog_dir)!r}
            for line in sys.stdin:
                result = eval(compile(line, "<test>", "eval"))
                print("ok" if result is None else result, flush=True)
            """)
        self.process = subprocess.Popen([sys.executable, "-c", driver], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, cwd=PROJECT)

    def __call__(self, expression: str) -> str:
        self.process.stdin.write(expression + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        assert answer, f"the other process died on: {expression}"
        return answer

    def close(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0


def in_other_process(catalog_dir: Path, *expressions: str) -> list[str]:
    other = OtherProcess(catalog_dir)
    try:
        return [other(e) for e in expressions]
    finally:
        other.close()


@posix_locks
def test_opening_again_keeps_the_locks_of_the_connections_already_open(tmp_path):
    """A second open in this process (each GUI worker thread opens its own) used to read the
    header with open()/close(), and closing any descriptor drops all of this process's locks
    on the file: the CLI closing beside it then took itself for the last user, checkpointed
    and deleted the -wal and -shm still in use here. Commits made here after that went to a
    deleted WAL that no other process sees (and readers sharing nothing got 'malformed')."""
    directory = tmp_path / "catalog"
    held = Catalog(directory)               # the GUI, open all along
    held.set_meta("first", "1")
    Catalog(directory).close()              # another of its threads opens (and closes) it
    assert in_other_process(directory, "Catalog(d).get_meta('first')") == ["1"]  # CLI, done
    held.set_meta("second", "2")
    assert in_other_process(directory, "Catalog(d).get_meta('second')") == ["2"]
    assert (directory / (DB_NAME + "-wal")).exists(), "the WAL of an open catalog was deleted"
    held.close()
    with Catalog(directory, readonly=True) as catalog:
        assert catalog.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_checkpoint_growing_the_file_while_it_is_looked_at_is_not_truncation(
        tmp_path, monkeypatch):
    """The other process closes its last connection just as the file is looked at: its
    checkpoint writes the new header, grows the file, then deletes the -wal. A size taken
    before the header (the old order) is shorter than the header says: 'truncated'."""
    directory = tmp_path / "catalog"
    Catalog(directory).close()
    other = OtherProcess(directory)
    other("globals().update(c=Catalog(d))")
    other("c.execute(\"PRAGMA wal_autocheckpoint = 0\")")   # everything stays in the WAL
    other("c.execute(\"CREATE TABLE filler(x)\")")
    other("c.execute(\"INSERT INTO filler SELECT zeroblob(4000) FROM "
          "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 500) "
          "SELECT i FROM n)\")")
    db_path = directory / DB_NAME
    size_before = db_path.stat().st_size
    real_open = open
    closed = []

    def open_while_the_other_closes(path, *args, **kwargs):
        if Path(path) == db_path and not closed:   # the moment between the stat and the read
            closed.append(other("c.close()"))         # checkpoint on close, then no -wal
            other.close()
            assert db_path.stat().st_size > size_before
            assert not (directory / (DB_NAME + "-wal")).exists()
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(problems, "open", open_while_the_other_closes, raising=False)
    assert problems.inspect_file(db_path) is None
    assert closed, "the race was not played: the header was never read"
    with Catalog(directory) as catalog:
        assert catalog.execute("SELECT COUNT(*) FROM filler").fetchone()[0] == 500


def test_a_journal_deleted_while_looked_at_is_not_read_only(tmp_path, monkeypatch):
    """The -wal and -shm vanish when the last connection closes; one that vanished between
    'is it there' and 'can I write it' is not a read-only file."""
    directory = tmp_path / "catalog"
    held = Catalog(directory)
    held.set_meta("first", "1")
    db_path = directory / DB_NAME
    sidecars = [db_path.with_name(DB_NAME + suffix) for suffix in ("-wal", "-shm")]
    assert all(side.exists() for side in sidecars)
    real_access = os.access

    def access_as_the_last_connection_closes(path, mode, *args, **kwargs):
        if Path(path) in sidecars and not held_closed:
            held_closed.append(held.close())       # checkpoint, -wal and -shm deleted
        return real_access(path, mode, *args, **kwargs)

    held_closed: list = []
    monkeypatch.setattr(os, "access", access_as_the_last_connection_closes)
    assert problems.why_read_only(db_path) is None
    assert held_closed, "the race was not played"
    monkeypatch.undo()
    with Catalog(directory) as catalog:
        assert catalog.get_meta("first") == "1"


@posix_locks
def test_repairing_beside_an_open_catalog_keeps_its_locks(tmp_path):
    """The GUI repairs from a worker thread while its other threads hold the catalog open:
    copying the file with open()/close() dropped their locks (as above), so the CLI closing
    beside it deleted the -wal still in use here."""
    from core.catalog.repair import repair

    directory = tmp_path / "catalog"
    held = Catalog(directory)               # the GUI, open all along
    held.set_meta("first", "1")
    result = repair(directory, switch=False)
    assert in_other_process(directory, "Catalog(d).get_meta('first')") == ["1"]  # CLI, done
    held.set_meta("second", "2")
    assert in_other_process(directory, "Catalog(d).get_meta('second')") == ["2"]
    assert (directory / (DB_NAME + "-wal")).exists(), "the WAL of an open catalog was deleted"
    held.close()
    salvaged = sqlite3.connect(result.salvaged_path)
    try:  # the rows still in the WAL were copied too
        assert salvaged.execute("SELECT value FROM meta WHERE key='first'").fetchone() == ("1",)
    finally:
        salvaged.close()
