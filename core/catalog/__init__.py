"""The catalog: one SQLite file (WAL) plus rebuildable caches beside it.

    <catalog dir>/catalog.sqlite3   photos, faces, people, albums
    <catalog dir>/thumbs/           thumbnail cache (photos and face crops)
    <catalog dir>/index/            ANN search index, stamped with the revision it was built from
    <catalog dir>/index.lock        held by the process indexing the catalog (core.index_lock)

One writer, many readers: every thread opens its own `Catalog` (or calls `reader()`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .db import DB_NAME, CatalogError, CatalogTooNew, connect, migrate, open_counted
from .problems import (CatalogDamaged, CatalogReadOnly, CatalogUnusable, explain, inspect_file,
                       not_a_catalog, why_read_only)
from .schema import SCHEMA_VERSION

__all__ = ["Catalog", "CatalogError", "CatalogTooNew", "CatalogUnusable", "CatalogDamaged",
           "CatalogReadOnly", "EMBEDDING_DIM",
           "embedding_to_blob", "blob_to_embedding", "embeddings_from_blobs"]

if TYPE_CHECKING:  # annotations only: numpy loads where a function needs it
    import numpy as np

EMBEDDING_DIM = 512


def embedding_to_blob(vector: np.ndarray) -> bytes:
    import numpy as np  # here, not at the top: `faceshelf status` needs no numpy

    return np.asarray(vector, dtype=np.float32).tobytes()


def blob_to_embedding(blob: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(blob, dtype=np.float32)


def embeddings_from_blobs(blobs) -> np.ndarray:
    """float32 [n, d] from stored embeddings (read-only: a view of one joined buffer)."""
    import numpy as np

    blobs = list(blobs)
    if not blobs:
        return np.empty((0, EMBEDDING_DIM), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)


class Catalog:
    """Opening says what is wrong instead of failing later: a damaged, empty or foreign
    file raises CatalogDamaged/CatalogUnusable, a catalog that cannot be written (file,
    folder or mount) raises CatalogReadOnly unless opened `readonly`. A missing file is
    created whole (never left empty), so an empty file is always damage, never a start."""

    def __init__(self, directory: Path | str, *, readonly: bool = False) -> None:
        self.dir = Path(directory).expanduser().resolve()
        self.readonly = readonly
        self.db_path = self.dir / DB_NAME
        found = inspect_file(self.db_path)
        if found is not None:
            raise found
        try:
            if readonly:
                if not self.db_path.exists():
                    raise CatalogError(f"no catalog at {self.dir}")
                self.conn = _open_readonly(self.db_path)
            else:
                self.conn = _open_for_writing(self.db_path)
        except sqlite3.Error as error:
            explained = explain(error, self.db_path)
            if explained is None:
                raise
            raise explained from error

    def daily_backup(self) -> Path | None:
        """The day's backup, if none was made today (see core.catalog.backups)."""
        from .backups import daily_backup

        return None if self.readonly else daily_backup(self.db_path)

    # -- places beside the database -------------------------------------------------------
    @property
    def thumbs_dir(self) -> Path:
        return self.dir / "thumbs"

    @property
    def index_dir(self) -> Path:
        return self.dir / "index"

    def reader(self) -> "Catalog":
        """Another connection to the same catalog, for a worker thread."""
        return Catalog(self.dir, readonly=self.readonly)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: a crash leaves the old state or the new, never half."""
        if self.conn.in_transaction:  # nested use joins the outer transaction
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    # -- meta -----------------------------------------------------------------------------
    def revision(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE key='revision'").fetchone()[0])

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                          "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    # -- folders --------------------------------------------------------------------------
    def add_folder(self, path: Path | str) -> int:
        """Add a root. Photos already in the catalog under it (through a parent root) move to
        it: a photo belongs to the innermost root that holds it."""
        path = str(Path(path).expanduser().resolve())
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)",
                              (path, time.time()))
            folder_id = self.conn.execute("SELECT id FROM folders WHERE path=?",
                                          (path,)).fetchone()[0]
            prefix = folder_prefix(path)
            parents = [row[0] for row in self.conn.execute("SELECT id, path FROM folders")
                       if row[0] != folder_id and prefix.startswith(folder_prefix(row[1]))]
            for parent in parents:
                self._hand_over_photos(parent, folder_id, prefix)
            return folder_id

    def _hand_over_photos(self, from_folder: int, to_folder: int, prefix: str) -> None:
        """The photos of `from_folder` under `prefix` (a folder_prefix) go to `to_folder`."""
        self.conn.execute("UPDATE photos SET folder_id=? WHERE folder_id=? AND "
                          "substr(path, 1, ?) = ?", (to_folder, from_folder, len(prefix), prefix))

    def folders(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM folders ORDER BY path").fetchall()

    def remove_folder(self, path: Path | str) -> int:
        """Forget a root: its photos and faces leave the catalog (the files are untouched),
        except those under another root (a subfolder or a parent added on its own), which
        stay, names and all, with the innermost of those. IndexBusy while the catalog is
        being indexed."""
        from ..index_lock import exclusive_index

        path = str(Path(path).expanduser().resolve())
        # not under an index: its scan would write photos of a folder that is gone
        with exclusive_index(self.dir), self.transaction():
            row = self.conn.execute("SELECT id FROM folders WHERE path=?", (path,)).fetchone()
            if row is None:
                return 0
            others = sorted(((folder_prefix(r[1]), r[0]) for r in self.conn.execute(
                "SELECT id, path FROM folders WHERE id != ?", (row[0],))),
                key=lambda root: -len(root[0]))
            for prefix, other in others:  # innermost first: it takes its photos first
                self._hand_over_photos(row[0], other, prefix)
            cur = self.conn.execute("DELETE FROM folders WHERE id=?", (row[0],))
            return cur.rowcount

    # -- faces ----------------------------------------------------------------------------
    def face_embeddings(self, where: str = "1", params=()) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64[n], vectors float32[n, 512]) of the faces matching `where`."""
        rows = self.conn.execute(
            f"SELECT id, embedding FROM faces WHERE {where} ORDER BY id", params).fetchall()
        import numpy as np

        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, embeddings_from_blobs(r[1] for r in rows).copy()


def _open_readonly(db_path: Path) -> sqlite3.Connection:
    conn = _reader(db_path)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        # An older schema is upgraded (backup first) before it is read: today's reads name
        # today's columns, so a command that only reads (`status`, `person`, `albums`) failed
        # on a catalog no writing command had opened since Faceshelf was updated
        # (tests/core/test_old_catalogs.py).
        conn.close()
        why = why_read_only(db_path)
        if why is not None:
            raise CatalogUnusable(
                db_path, f"was written by an older Faceshelf (schema {version}, this one "
                f"reads {SCHEMA_VERSION}) and cannot be upgraded where it is: {why}",
                "Copy the catalog folder somewhere you can write to and give --catalog that "
                "folder. Nothing was changed.")
        _open_for_writing(db_path).close()
        conn = _reader(db_path)
    return conn


def _reader(db_path: Path) -> sqlite3.Connection:
    try:
        return _first_read(connect(db_path, readonly=True), db_path)
    except sqlite3.OperationalError:
        # A WAL catalog in a read-only folder or mount: SQLite cannot create the -shm file
        # its readers share ("unable to open", or SQLITE_READONLY_CANTINIT). Nobody can
        # write there, so reading it as immutable is safe.
        if why_read_only(db_path) is None:
            raise
    return _first_read(connect(db_path, readonly=True, immutable=True), db_path)


def _first_read(conn: sqlite3.Connection, db_path: Path) -> sqlite3.Connection:
    """Read the header and schema now, so a damaged file fails here and not mid-command.
    A connection that fails is closed (see core.catalog.db: counted until closed)."""
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            raise not_a_catalog(db_path)
    except BaseException:
        conn.close()
        raise
    return conn


def _open_for_writing(db_path: Path) -> sqlite3.Connection:
    why = why_read_only(db_path)
    if why is not None:
        raise CatalogReadOnly(db_path, why)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CatalogUnusable(db_path.parent, f"cannot be created: {error.strerror}",
                              "Give --catalog a folder you can write to.") from None
    if not db_path.exists():
        _create(db_path)
    else:
        _refuse_foreign(db_path)
    conn = connect(db_path)
    try:
        migrate(conn, db_path)
    except BaseException:
        conn.close()
        raise
    return conn


def _refuse_foreign(db_path: Path) -> None:
    """Someone else's SQLite file gets no tables of ours (nor WAL mode): look before
    opening it for writing."""
    conn = open_counted(db_path, f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    finally:
        conn.close()
    if version == 0 and tables:
        raise not_a_catalog(db_path)


def _create(db_path: Path) -> None:
    """Make a new catalog whole under another name, then link it into place: the catalog
    file never exists half-made (or empty), and two first opens at once agree on one."""
    temporary = db_path.with_name(f".{db_path.name}.new-{os.getpid()}-{threading.get_ident()}")
    conn = connect(temporary)
    try:
        migrate(conn, temporary)
    finally:
        conn.close()
    try:
        os.link(temporary, db_path)
    except FileExistsError:
        pass  # another thread or process made it first: use theirs
    except OSError:  # a file system without hard links (FAT, some shares)
        if not db_path.exists():
            os.replace(temporary, db_path)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + "-wal"),
                         temporary.with_name(temporary.name + "-shm")):
            leftover.unlink(missing_ok=True)


def folder_prefix(directory: str) -> str:
    """The path with one trailing separator: `path.startswith(prefix)` means "inside"."""
    return directory.rstrip(os.sep) + os.sep
