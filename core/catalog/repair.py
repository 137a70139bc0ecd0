"""`faceshelf repair`: save what can still be read from a damaged catalog into a new one.

The damaged file is only ever read (from a private copy), never written, never deleted: it is
renamed `catalog.damaged-<time>.sqlite3` when the salvaged catalog takes its place (or, with
`switch=False`, left where it is with the salvaged catalog beside it).

How rows are saved: the new catalog gets the current schema; each table is copied in rowid
order in batches. Where SQLite meets a page it cannot read, the copy steps over it: it
searches (doubling, then halving) for the first rowid past the damage that reads again, and
records the ids it could not read. A zeroed or overwritten header (SQLite then calls the
whole file "not a database") is rebuilt in the private copy first, so the pages behind it
can still be read. Afterwards rows that point at rows lost (a face of a lost photo) are
dropped or unlinked as the schema's foreign keys say, and the revision moves on so every
cache is rebuilt.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .db import DB_NAME, connect, file_to_ourselves, migrate, open_counted
from .problems import SQLITE_MAGIC, CatalogReadOnly, why_read_only

log = logging.getLogger(__name__)

BATCH = 500
_MAX_ROWID = (1 << 63) - 1


class NothingToSalvage(Exception):
    """The file holds nothing SQLite can read (e.g. empty, or its table list is gone)."""


@dataclass
class TableSalvage:
    table: str
    rows: int = 0
    lost_ranges: list[tuple[int, int]] = field(default_factory=list)  # rowids not readable
    dropped: int = 0   # rows left out afterwards: they pointed at rows that were lost
    missing: bool = False  # the whole table could not be found
    from_pages: int = 0    # of `rows`, found by reading leaf pages directly (core.catalog.pages)
    rebuilt: int = 0       # of `rows`, made again from other tables (a folder from its photos)

    def describe(self) -> str:
        if self.missing:
            return f"{self.table}: missing, could not be read at all"
        text = f"{self.table}: {self.rows:,} rows"
        if self.lost_ranges:
            spans = ", ".join(f"{a}" if a == b else f"{a} and above" if b >= _MAX_ROWID - 1
                              else f"{a}-{b}" for a, b in self.lost_ranges[:8])
            more = f" and {len(self.lost_ranges) - 8} more" if len(self.lost_ranges) > 8 else ""
            text += f" (ids {spans}{more} could not be read through the table"
            text += (f"; {self.from_pages:,} of them found on its pages)" if self.from_pages
                     else ")")
        if self.rebuilt:
            text += f", {self.rebuilt:,} made again from the rows pointing at them"
        if self.dropped:
            text += f", {self.dropped:,} dropped (they pointed at lost rows)"
        return text


@dataclass
class RepairResult:
    tables: list[TableSalvage]
    salvaged_path: Path          # where the salvaged catalog is now
    damaged_path: Path           # where the damaged file is now
    switched: bool
    header_rebuilt: bool = False
    photos_to_reindex: int = 0

    @property
    def lost_anything(self) -> bool:
        return any(t.lost_ranges or t.dropped or t.missing for t in self.tables) \
            or self.header_rebuilt


def repair(catalog_dir: Path | str, *, switch: bool = True) -> RepairResult:
    catalog_dir = Path(catalog_dir).expanduser().resolve()
    db_path = catalog_dir / DB_NAME
    why = why_read_only(db_path)
    if why is not None:
        raise CatalogReadOnly(db_path, why)
    if not db_path.exists() or db_path.stat().st_size == 0:
        raise NothingToSalvage("the file is empty (0 bytes) or missing")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix=".repair-", dir=catalog_dir) as work:
        work = Path(work)
        copy = work / "damaged-copy.sqlite3"
        _copy_with_sidecars(db_path, copy)  # the original is only ever read here
        header_rebuilt = _rebuild_header_if_needed(copy)
        source = _open_source(copy)
        try:
            target_path = work / "salvaged.sqlite3"
            target = connect(target_path)
            try:
                migrate(target, target_path)
                tables = _copy_tables(source, target)
                _rows_from_pages(copy, source, target, tables)
                tables_by_name = {t.table: t for t in tables}
                _rebuild_lost_folders(target, tables_by_name)
                _drop_dangling(target, tables_by_name)
                to_reindex = _after_copy(target, tables_by_name)
                check = target.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":  # never hand over a catalog that is itself damaged
                    raise RuntimeError(f"the salvaged catalog fails its own check: {check}")
            finally:
                target.close()
        finally:
            source.close()
        salvaged_beside = catalog_dir / f"catalog.repaired-{stamp}.sqlite3"
        os.replace(target_path, salvaged_beside)
    if not switch:
        return RepairResult(tables, salvaged_beside, db_path, False, header_rebuilt, to_reindex)
    damaged_aside = catalog_dir / f"catalog.damaged-{stamp}.sqlite3"
    for suffix in ("", "-wal", "-shm"):  # the journal goes with its file
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            os.replace(side, damaged_aside.with_name(damaged_aside.name + suffix))
    os.replace(salvaged_beside, db_path)
    log.info("repaired catalog in place; the damaged one is %s", damaged_aside)
    return RepairResult(tables, db_path, damaged_aside, True, header_rebuilt, to_reindex)


def _copy_with_sidecars(db_path: Path, copy: Path) -> None:
    with file_to_ourselves(db_path) as ours:
        if ours:
            shutil.copyfile(db_path, copy)
            wal = db_path.with_name(db_path.name + "-wal")
            if wal.exists() and wal.stat().st_size:  # committed changes not yet in the file
                shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            return
    # A connection of this process (the GUI's other threads) has it open: closing a
    # descriptor of our own would drop its locks (see db.file_to_ourselves), so let SQLite
    # copy the pages, the WAL's included, under its locks.
    source = open_counted(db_path, f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        target = sqlite3.connect(str(copy))
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.DatabaseError as error:
        raise NothingToSalvage(f"it cannot be copied while Faceshelf has it open ({error}); "
                               f"close Faceshelf and repair it again") from None
    finally:
        source.close()


def _open_source(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        _forgive_truncation(conn)
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as error:
        conn.close()
        raise NothingToSalvage(f"its list of tables cannot be read ({error}); this tool "
                               f"cannot salvage it (`sqlite3 FILE .recover` may)") from None
    return conn


# -- a damaged header -------------------------------------------------------------------------

def _rebuild_header_if_needed(path: Path) -> bool:
    """Write a plausible header over a damaged one (in the private copy). Page 1's table
    list starts at byte 100, after the header, so it usually survives a zeroed header."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    size = path.stat().st_size
    if header.startswith(SQLITE_MAGIC):
        if _readable(path):
            return False
        page_size = int.from_bytes(header[16:18], "big")
        expected = int.from_bytes(header[28:32], "big") * (65536 if page_size == 1 else page_size)
        if size < expected:  # the header is fine: the table list was in the part cut off
            raise NothingToSalvage(f"it is cut short ({size:,} of {expected:,} bytes) and its "
                                   f"list of tables was in the part that is lost")
    for page_size in (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512):
        if size % page_size:
            continue
        with open(path, "r+b") as handle:
            handle.write(_header(page_size, size // page_size))
        if _readable(path):
            log.info("rebuilt the damaged header of %s (page size %d)", path, page_size)
            return True
    raise NothingToSalvage("its header is damaged and could not be rebuilt")


def _readable(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            _forgive_truncation(conn)
            return bool(conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def _forgive_truncation(conn: sqlite3.Connection) -> None:
    """SQLite refuses a file shorter than its header says; with writable_schema it reads
    the pages that are there (only ever set on the private copy)."""
    conn.execute("PRAGMA writable_schema = ON")


def _header(page_size: int, pages: int) -> bytes:
    def u32(value: int) -> bytes:
        return value.to_bytes(4, "big")

    return (SQLITE_MAGIC + (1 if page_size == 65536 else page_size).to_bytes(2, "big")
            + bytes([1, 1, 0, 64, 32, 32])      # legacy journal (no WAL), no reserved bytes
            + u32(1) + u32(pages)               # change counter, pages
            + u32(0) + u32(0)                   # no free-list (it is lost with the header)
            + u32(1) + u32(4) + u32(0)          # schema cookie, schema format, cache size
            + u32(0) + u32(1) + u32(0)          # no auto-vacuum, UTF-8, user_version
            + u32(0) + u32(0) + bytes(20)       # incremental vacuum, application id
            + u32(1) + u32(sqlite3.sqlite_version_info[0] * 1000000
                           + sqlite3.sqlite_version_info[1] * 1000
                           + sqlite3.sqlite_version_info[2]))


# -- rows ---------------------------------------------------------------------------------------

def _copy_tables(source: sqlite3.Connection, target: sqlite3.Connection) -> list[TableSalvage]:
    target.execute("PRAGMA foreign_keys = OFF")  # rows arrive in any order; fixed afterwards
    wanted = [row[0] for row in target.execute(
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY rootpage")]
    present = {row[0] for row in source.execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    results = []
    target.execute("BEGIN")
    # A new catalog starts with its own first rows (meta's revision): the salvaged ones win.
    target.execute("DELETE FROM meta")
    for table in wanted:
        if table not in present:
            results.append(TableSalvage(table, missing=table != "sqlite_sequence"))
            continue
        columns = _common_columns(source, target, table)
        results.append(_copy_table(source, target, table, columns))
    target.execute("COMMIT")
    return results


def _rows_from_pages(copy: Path, source, target, tables: list[TableSalvage]) -> None:
    """Rows the b-tree could not reach, read off the leaf pages themselves. A row is taken
    for a table only if its value count is that table's alone and its id is one that was
    lost: never a second copy of a row already saved, never a deleted one (free pages
    are skipped)."""
    from .pages import leaf_rows

    lost = {t.table: t for t in tables if t.lost_ranges}
    if not lost:
        return
    layouts: dict[int, list[tuple[str, list]]] = {}
    for (table,) in source.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        try:
            info = source.execute(f'PRAGMA table_info("{table}")').fetchall()
        except sqlite3.DatabaseError:
            continue
        layouts.setdefault(len(info), []).append((table, info))
    wanted = {count: entries[0] for count, entries in layouts.items()
              if len(entries) == 1 and entries[0][0] in lost}
    if not wanted:
        return
    targets = {table: {row[1] for row in target.execute(f'PRAGMA table_info("{table}")')}
               for table, _info in wanted.values()}
    page_size = source.execute("PRAGMA page_size").fetchone()[0]
    target.execute("BEGIN")
    for rowid, values in leaf_rows(copy, page_size):
        entry = wanted.get(len(values))
        if entry is None:
            continue
        table, info = entry
        salvage = lost[table]
        if not any(a <= rowid <= b for a, b in salvage.lost_ranges):
            continue
        row = {}
        for (_cid, name, kind, _notnull, _default, pk), value in zip(info, values):
            if pk == 1 and kind.upper() == "INTEGER" and value is None:
                value = rowid  # an INTEGER PRIMARY KEY is the rowid, stored as NULL
            if name in targets[table]:
                row[name] = value
        names = ", ".join(f'"{n}"' for n in row)
        try:
            cursor = target.execute(
                f'INSERT OR IGNORE INTO "{table}" (rowid, {names}) '
                f'VALUES ({", ".join("?" * (len(row) + 1))})', (rowid, *row.values()))
        except sqlite3.Error:
            continue  # not a row of this table after all
        if cursor.rowcount:
            salvage.rows += 1
            salvage.from_pages += 1
    target.execute("COMMIT")


def _common_columns(source, target, table: str) -> list[str]:
    def names(conn):
        return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]

    try:
        have = set(names(source))
    except sqlite3.DatabaseError:
        have = set()
    return [c for c in names(target) if c in have]


def _copy_table(source, target, table: str, columns: list[str]) -> TableSalvage:
    result = TableSalvage(table)
    quoted = ", ".join(f'"{c}"' for c in columns)
    select = f'SELECT rowid, {quoted} FROM "{table}" WHERE rowid >= ? ORDER BY rowid LIMIT ?'
    insert = (f'INSERT OR REPLACE INTO "{table}" (rowid, {quoted}) '
              f'VALUES ({", ".join("?" * (len(columns) + 1))})')
    position = -_MAX_ROWID
    while True:
        try:
            rows = source.execute(select, (position, BATCH)).fetchall()
        except sqlite3.DatabaseError:
            rows = _rows_one_by_one(source, select, position, BATCH)
            if not rows:  # the next row itself cannot be read: step over the damage
                resume = _first_readable(source, select, position)
                result.lost_ranges.append((position, (resume or _MAX_ROWID) - 1))
                if resume is None:
                    break
                position = resume
                continue
        if not rows:
            break
        target.executemany(insert, rows)
        result.rows += len(rows)
        position = rows[-1][0] + 1
    if result.lost_ranges and result.lost_ranges[0][0] == -_MAX_ROWID:
        first = result.lost_ranges[0]
        result.lost_ranges[0] = (min(1, first[1]), first[1])
    return result


def _rows_one_by_one(source, select: str, position: int, limit: int) -> list[tuple]:
    """The rows from `position` up to the first one that cannot be read."""
    rows: list[tuple] = []
    while len(rows) < limit:
        try:
            row = source.execute(select, (position, 1)).fetchone()
        except sqlite3.DatabaseError:
            break
        if row is None:
            break
        rows.append(row)
        position = row[0] + 1
    return rows


def _first_readable(source, select: str, bad: int) -> int | None:
    """The smallest rowid past `bad` from which reading works again (None: none does)."""
    def reads(position: int) -> bool:
        try:
            source.execute(select, (position, 1)).fetchone()
            return True
        except sqlite3.DatabaseError:
            return False

    step, good = 1, None
    while bad + step <= _MAX_ROWID:
        if reads(bad + step):
            good = bad + step
            break
        bad, step = bad + step, step * 2
    if good is None:
        return None
    while good - bad > 1:  # reads(good) and not reads(bad): halve the gap
        middle = (bad + good) // 2
        if reads(middle):
            good = middle
        else:
            bad = middle
    return good


# -- afterwards -----------------------------------------------------------------------------

def _known_high(salvage: TableSalvage | None) -> int:
    """The highest id known to have been lost (ranges open to the end say nothing)."""
    if salvage is None:
        return 0
    return max([b for _a, b in salvage.lost_ranges if b < _MAX_ROWID - 1] + [0])


def _rebuild_lost_folders(target: sqlite3.Connection,
                          tables: dict[str, TableSalvage]) -> None:
    """A lost folder row would take all its photos with it (ON DELETE CASCADE). Its path is
    where its photos are: the deepest folder holding them all."""
    orphans = target.execute(
        "SELECT folder_id, GROUP_CONCAT(path, char(0)) FROM photos WHERE folder_id NOT IN "
        "(SELECT id FROM folders) GROUP BY folder_id").fetchall()
    if not orphans:
        return
    target.execute("BEGIN")
    for folder_id, paths in orphans:
        paths = paths.split("\0")
        root = os.path.commonpath(paths) if len(paths) > 1 else os.path.dirname(paths[0])
        if root in paths:  # every photo in one folder: commonpath is a photo's own path
            root = os.path.dirname(root)
        existing = target.execute("SELECT id FROM folders WHERE path = ?", (root,)).fetchone()
        if existing is not None:
            target.execute("UPDATE photos SET folder_id = ? WHERE folder_id = ?",
                           (existing[0], folder_id))
        else:
            target.execute("INSERT INTO folders(id, path, added_at) VALUES (?, ?, ?)",
                           (folder_id, root, time.time()))
            if "folders" in tables:
                tables["folders"].rows += 1
                tables["folders"].rebuilt += 1
    target.execute("COMMIT")


def _drop_dangling(target: sqlite3.Connection, tables: dict[str, TableSalvage]) -> None:
    """Apply each foreign key's own rule to rows whose parent was lost: CASCADE drops the
    row, SET NULL unlinks it (a face of a lost person stays, unassigned)."""
    for _round in range(10):  # a dropped photo drops its faces, which drop their rejections
        violations = target.execute("PRAGMA foreign_key_check").fetchall()
        if not violations:
            return
        target.execute("BEGIN")
        for table, rowid, _parent, fk_index in violations:
            rule = [fk for fk in target.execute(f'PRAGMA foreign_key_list("{table}")')
                    if fk[0] == fk_index]
            if rule and rule[0][6] == "SET NULL":
                target.execute(f'UPDATE "{table}" SET "{rule[0][3]}" = NULL WHERE rowid = ?',
                               (rowid,))
            else:
                target.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
                if table in tables:
                    tables[table].dropped += 1
                    tables[table].rows -= 1
        target.execute("COMMIT")


def _after_copy(target: sqlite3.Connection, tables: dict[str, TableSalvage]) -> int:
    """Make the salvaged catalog consistent with itself; the number of photos set to be
    indexed again (their faces were lost)."""
    target.execute("BEGIN")
    # Every cache (search index, people snapshot) is stamped with a revision: move it on.
    revision = target.execute("SELECT value FROM meta WHERE key='revision'").fetchone()
    target.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('revision', ?)",
                   (str(int(revision[0]) + 1 if revision else 1),))
    # Ids never come back (AUTOINCREMENT, photo_id_high) even where their rows were lost.
    for table in ("people", "faces", "undo_log"):
        high = max([_known_high(tables.get(table))] + [row[0] or 0 for row in target.execute(
            f'SELECT MAX(rowid) FROM "{table}" UNION ALL '
            "SELECT MAX(seq) FROM sqlite_sequence WHERE name = ?", (table,))])
        target.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        target.execute("INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)", (table, high))
    photo_high = max([_known_high(tables.get("photos"))] + [int(row[0] or 0) for row in
                     target.execute("SELECT MAX(id) FROM photos UNION ALL SELECT value FROM "
                                    "meta WHERE key = 'photo_id_high'")])
    target.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('photo_id_high', ?)",
                   (str(photo_high),))
    reindex = 0
    faces = tables.get("faces")
    if faces is not None and (faces.lost_ranges or faces.dropped):
        # Which photos lost faces is not known; those left with none are found again by the
        # next rescan (a photo that really has no face only costs a second look).
        reindex = target.execute(
            "UPDATE photos SET status='pending', indexed_at=NULL WHERE status='indexed' AND "
            "NOT EXISTS (SELECT 1 FROM faces WHERE faces.photo_id = photos.id)").rowcount
    target.execute("COMMIT")
    return reindex
