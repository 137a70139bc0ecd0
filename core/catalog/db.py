"""Opening a catalog: pragmas, migrations with a backup first, refusing a newer catalog."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

DB_NAME = "catalog.sqlite3"


class CatalogError(Exception):
    pass


class CatalogTooNew(CatalogError):
    pass


# -- SQLite handles on a file, and reading the file ourselves --------------------------------
#
# On POSIX, closing ANY descriptor of a file drops every lock this process holds on it, SQLite's
# included ("How To Corrupt An SQLite Database File", 2.2). A plain open()/close() of the catalog
# while a connection is open in this process silently unlocks that connection: another process
# then takes its last-connection exclusive lock, checkpoints and deletes the -wal and -shm
# still in use here, and both sides read a database that looks malformed. So every connection
# to a catalog file is counted, and the file is only opened by hand while none is open (and
# none can open meanwhile).

_handles_lock = threading.Lock()
_handles: collections.Counter[str] = collections.Counter()


def _key(path: Path | str) -> str:
    return os.path.realpath(path)


class _CountedConnection(sqlite3.Connection):
    """A connection that is counted in `_handles` until closed (one left to the garbage
    collector stays counted: the file is then never opened by hand, which is only slower
    to diagnose, never wrong)."""

    _counted_as: str | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            key, self._counted_as = self._counted_as, None
            if key is not None:
                _release(key)


def _release(key: str) -> None:
    """One handle on the file `key` less (a closed connection, or one that failed to open)."""
    with _handles_lock:
        _handles[key] -= 1
        if _handles[key] <= 0:
            del _handles[key]


def open_counted(db_path: Path | str, database: str | None = None,
                 **kwargs) -> sqlite3.Connection:
    """sqlite3.connect(database or db_path, **kwargs), counted as a handle on `db_path`."""
    key = _key(db_path)
    with _handles_lock:  # (not while a file is read by hand: see file_to_ourselves)
        _handles[key] += 1
    try:
        conn = sqlite3.connect(database or str(db_path), factory=_CountedConnection, **kwargs)
    except BaseException:
        _release(key)
        raise
    conn._counted_as = key
    return conn


@contextlib.contextmanager
def file_to_ourselves(db_path: Path | str) -> Iterator[bool]:
    """True inside when no SQLite connection of this process has `db_path` open, so opening
    and closing it by hand drops nobody's locks; no connection opens meanwhile. False: do
    not touch the file (SQLite's own first read checks it, under its locks)."""
    with _handles_lock:
        yield _handles[_key(db_path)] == 0


def connect(db_path: Path, *, readonly: bool = False,
            immutable: bool = False) -> sqlite3.Connection:
    """One connection per thread (sqlite3 objects must not cross threads). `immutable`: for
    a catalog in a read-only place, where SQLite cannot make the shared-memory file WAL
    readers need (nobody can write there either, so nothing can change under us)."""
    if readonly:
        uri = f"file:{db_path}?mode=ro" + ("&immutable=1" if immutable else "")
        conn = open_counted(db_path, uri, uri=True, timeout=30, isolation_level=None,
                            check_same_thread=True)
    else:
        conn = open_counted(db_path, timeout=30, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            _use_wal(conn)
            # NORMAL is durable against application crashes in WAL mode; only an OS crash can
            # lose the last commits, never corrupt the file.
            conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a new catalog to WAL. The switch needs an exclusive lock and SQLite does not call
    the busy handler for it, so two first opens at once must retry by hand."""
    for attempt in range(200):
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            time.sleep(0.01 * min(attempt + 1, 10))
    raise CatalogError("could not switch the catalog to WAL mode: it stays locked")


def migrate(conn: sqlite3.Connection, db_path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise CatalogTooNew(
            f"{db_path} was written by a newer Faceshelf (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); refusing to open it")
    if version == SCHEMA_VERSION:
        return
    if version == 0 and conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        from .problems import not_a_catalog

        # Someone else's database: adding our tables to it would be a quiet disaster.
        raise not_a_catalog(db_path)
    if version > 0:
        from .backups import migration_backup

        migration_backup(db_path, version, SCHEMA_VERSION)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        log.info("migrating catalog to schema %d", number)
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another connection (a second thread or the CLI beside the GUI) may have migrated
            # while we waited for the write lock: re-read the version inside the transaction.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                conn.execute("COMMIT")
                continue
            # executescript would COMMIT first; run statement by statement inside our transaction.
            for statement in _split_statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _split_statements(script: str) -> list[str]:
    """Split a migration into statements; sqlite3.complete_statement copes with triggers."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
