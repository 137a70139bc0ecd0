"""Why a catalog cannot be used, said in words a user can act on.

Every way a catalog can be unusable (damaged bytes, an empty or foreign file, a read-only file,
folder or mount, `--catalog` naming a file) ends up as a `CatalogUnusable`: the file, what is
wrong with it, and what to do. The CLI prints it and exits with its `exit_status`; the GUI
shows it in a dialog. Nothing here writes anything.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import stat
from pathlib import Path

from .db import CatalogError, file_to_ourselves

# Exit statuses (the CLI's others: 1 failed, 2 usage, 3 name in use, 4 busy, 130 interrupted).
EXIT_CATALOG_UNUSABLE = 5   # damaged, empty, not a catalog, cannot be opened
EXIT_CATALOG_READ_ONLY = 6  # readable, but a command that writes was refused

SQLITE_MAGIC = b"SQLite format 3\x00"
READ_ONLY_COMMANDS = ("status", "people", "person", "search", "faces", "albums", "check")


class CatalogUnusable(CatalogError):
    """The catalog cannot be used as it is. `str()` is the whole message for the user."""

    exit_status = EXIT_CATALOG_UNUSABLE
    kind = "unusable"

    def __init__(self, db_path: Path | str, problem: str, advice: str | None = None) -> None:
        self.db_path = Path(db_path)
        self.problem = problem
        self.advice = advice if advice is not None else damage_advice(self.db_path)
        super().__init__(f"{self.headline()}\n{self.advice}")

    def headline(self) -> str:
        return f"the catalog {self.db_path} {self.problem}"


class CatalogDamaged(CatalogUnusable):
    kind = "damaged"


class CatalogReadOnly(CatalogUnusable):
    """Readable, but nothing can be written: commands that only read still work."""

    exit_status = EXIT_CATALOG_READ_ONLY
    kind = "read-only"

    def __init__(self, db_path: Path | str, why: str) -> None:
        super().__init__(db_path, f"cannot be changed: {why}", read_only_advice(Path(db_path)))


def not_a_catalog(db_path: Path | str) -> CatalogUnusable:
    """Someone else's SQLite file: it gets none of our tables."""
    return CatalogUnusable(db_path, "is an SQLite database but not a Faceshelf catalog",
                           "Give --catalog a Faceshelf catalog folder, or a new empty folder "
                           "to start one. Nothing was changed.")


# -- advice -------------------------------------------------------------------------------------

def _cli(db_path: Path, command: str) -> str:
    return f"`faceshelf --catalog {shlex.quote(str(db_path.parent))} {command}`"


def newest_backup(db_path: Path) -> Path | None:
    from .backups import list_backups

    backups = list_backups(db_path.parent)
    return backups[0] if backups else None


def damage_advice(db_path: Path, *, checked: bool = False) -> str:
    """What to do about a damaged catalog: the backup if there is one, check and repair
    (`checked`: the user has just run the check, so only repair is suggested)."""
    lines = []
    backup = newest_backup(db_path)
    if backup is not None:
        lines.append(f"To go back to the automatic backup of {backup_date(backup)}: move the "
                     f"damaged file aside and copy {backup} in its place "
                     f"(changes made since then are lost).")
    else:
        lines.append("There is no automatic backup of this catalog.")
    repair = (f"to save what can still be read into a new catalog (the damaged file is kept, "
              f"renamed) run {_cli(db_path, 'repair')}.")
    lines.append(repair[0].upper() + repair[1:] if checked else
                 f"For a diagnosis run {_cli(db_path, 'check')}; {repair}")
    return "\n".join(lines)


def read_only_advice(db_path: Path) -> str:
    return ("Commands that only read (" + ", ".join(READ_ONLY_COMMANDS) + ") still work. "
            "To change the catalog, make it writable again (file and folder), or copy the "
            "catalog folder somewhere writable and use `--catalog` there.")


def backup_date(path: Path) -> str:
    """'2026-12-06' from catalog.2026-12-06.sqlite3; the file's time for other names."""
    parts = path.name.split(".")
    if len(parts) >= 3 and len(parts[1]) == 10 and parts[1][4] == "-":
        return parts[1]
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))


# -- looking at the file itself ------------------------------------------------------------------

def inspect_file(db_path: Path) -> CatalogUnusable | None:
    """A cheap look (a stat and the 100-byte header) for what SQLite would silently get
    wrong: an empty file becomes a new empty database, and a truncated one fails later, at
    some query. None when nothing is visibly wrong (or there is no file yet)."""
    directory = db_path.parent
    if directory.exists() and not directory.is_dir():
        hint = (f"; give --catalog the folder that holds it: {directory.parent}"
                if directory.name == db_path.name else "")
        return CatalogUnusable(
            directory, "is a file, not a catalog folder" + hint,
            "Give --catalog the folder that holds catalog.sqlite3 (a new, empty folder "
            "makes a new catalog). Nothing was changed.")
    try:
        info = os.stat(db_path)
    except FileNotFoundError:
        return None
    except OSError as error:
        return CatalogUnusable(db_path, f"cannot be looked at: {error.strerror}")
    if not stat.S_ISREG(info.st_mode):
        return CatalogUnusable(db_path, "is not a regular file",
                               "Move it away, or give --catalog another folder. "
                               "Nothing was changed.")
    if info.st_size == 0:
        return CatalogDamaged(db_path, "is empty (0 bytes): a catalog file is never empty, so "
                                       "it was truncated or overwritten")
    with file_to_ourselves(db_path) as ours:
        if not ours:  # a connection of ours has it open: it was looked at, and SQLite watches
            return None
        return _inspect_header(db_path)


def _inspect_header(db_path: Path) -> CatalogUnusable | None:
    """The header's checks (call only with the file to ourselves: see file_to_ourselves)."""
    try:
        with open(db_path, "rb") as handle:
            header = handle.read(100)
            # In this order: a checkpoint (another process closing its last connection)
            # grows the file after writing the new header and deletes the -wal only once
            # it is done, so a size taken after the header and after seeing no journal
            # is never older than the page count the header states.
            journals = [db_path.with_name(db_path.name + suffix)
                        for suffix in ("-wal", "-journal")]
            journaled = any(map(_has_content, journals))
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return None
    except PermissionError:
        return CatalogUnusable(db_path, "cannot be read: permission denied",
                               "Make the file readable by you (e.g. `chmod u+r`), or give "
                               "--catalog another folder. Nothing was changed.")
    except OSError as error:
        return CatalogUnusable(db_path, f"cannot be read: {error.strerror}")
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return CatalogDamaged(db_path, "is not a database: its first bytes (the SQLite header) "
                                       "are damaged or it was overwritten by another file")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return CatalogDamaged(db_path, f"has a damaged header (page size {page_size})")
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is valid when its two change counters agree; with a WAL (or a
    # hot rollback journal) beside the file, a checkpoint may be growing it right now, so
    # only a lone file is judged.
    counted = header[24:28] == header[92:96]
    if counted and pages and not journaled and size < pages * page_size:
        return CatalogDamaged(
            db_path, f"is truncated: it is {size:,} bytes long, its header says "
                     f"{pages * page_size:,}")
    return None


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def why_read_only(db_path: Path) -> str | None:
    """Why this process could not write the catalog (None if it can): a read-only mount,
    file or folder. SQLite writes a journal beside the file, so the folder counts too."""
    directory = db_path.parent
    try:  # (no statvfs on Windows: the access checks below still apply there)
        if os.statvfs(directory).f_flag & os.ST_RDONLY:
            return f"it is on a file system mounted read-only ({directory})"
    except (OSError, AttributeError):
        pass
    if _unwritable(db_path):
        mode = stat.filemode(db_path.stat().st_mode)
        return f"the file is read-only ({mode})"
    if directory.exists() and not os.access(directory, os.W_OK | os.X_OK):
        return (f"its folder {directory} is read-only (SQLite writes its journal beside "
                f"the file)")
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if _unwritable(side):
            return f"{side.name} beside it is read-only"
    return None


def _unwritable(path: Path) -> bool:
    """There and not writable. The -wal and -shm vanish whenever the last connection (of any
    process) closes, so a failed access() is only believed if the file is still there after
    it, and still not writable: never "read-only" for a file that was merely deleted."""
    return not os.access(path, os.W_OK) and path.exists() and not os.access(path, os.W_OK)


# -- SQLite's errors --------------------------------------------------------------------------

def explain(error: BaseException, db_path: Path) -> CatalogUnusable | None:
    """The user's words for an SQLite error met while using the catalog at `db_path`, or
    None for errors that are not about the file (a locked catalog, a constraint, a bug)."""
    if isinstance(error, CatalogUnusable):
        return error
    if not isinstance(error, sqlite3.Error):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return inspect_file(db_path) or CatalogDamaged(
            db_path, f"is damaged (SQLite says: {text})")
    if name == "SQLITE_NOTADB" or "not a database" in text:
        return inspect_file(db_path) or CatalogDamaged(
            db_path, "is not a database: its header is damaged or it was overwritten")
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return CatalogReadOnly(db_path, why_read_only(db_path) or f"SQLite says: {text}")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        found = inspect_file(db_path)
        if found is not None:
            return found
        why = why_read_only(db_path)
        if why is not None:
            return CatalogReadOnly(db_path, why)
        return CatalogUnusable(db_path, "cannot be opened (check that its folder exists and "
                                        "is readable)")
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return CatalogUnusable(db_path, f"could not be read or written: a disk error ({text})",
                               "Check the disk (is it still connected? is it failing?), then "
                               f"run {_cli(db_path, 'check')}.")
    if name == "SQLITE_FULL" or "database or disk is full" in text:
        return CatalogUnusable(db_path, "cannot grow: the disk is full",
                               "Free some space on that disk and try again; nothing was "
                               "lost.")
    if isinstance(error, sqlite3.OperationalError) and text.startswith("no such table"):
        return CatalogDamaged(db_path, f"is not a complete Faceshelf catalog ({text})")
    return None
