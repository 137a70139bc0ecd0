"""Opening a catalog: pragmas, migrations with a backup first, refusing a newer catalog."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from .schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

DB_NAME = "catalog.sqlite3"


class CatalogError(Exception):
    pass


class CatalogTooNew(CatalogError):
    pass


def connect(db_path: Path, *, readonly: bool = False,
            immutable: bool = False) -> sqlite3.Connection:
    """One connection per thread (sqlite3 objects must not cross threads). `immutable`: for
    a catalog in a read-only place, where SQLite cannot make the shared-memory file WAL
    readers need (nobody can write there either, so nothing can change under us)."""
    if readonly:
        uri = f"file:{db_path}?mode=ro" + ("&immutable=1" if immutable else "")
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None,
                               check_same_thread=True)
    else:
        conn = sqlite3.connect(str(db_path), timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    if not readonly:
        _use_wal(conn)
        # NORMAL is durable against application crashes in WAL mode; only an OS crash can lose
        # the last commits, never corrupt the file.
        conn.execute("PRAGMA synchronous = NORMAL")
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
        from .problems import CatalogUnusable

        # Someone else's database: adding our tables to it would be a quiet disaster.
        raise CatalogUnusable(db_path, "is an SQLite database but not a Faceshelf catalog",
                              "Give --catalog a Faceshelf catalog folder, or a new empty "
                              "folder to start one. Nothing was changed.")
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
