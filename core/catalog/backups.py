"""Automatic backups of the catalog database, in `<catalog>/backups/`.

    catalog.2026-12-06.sqlite3              once per day of use (the last DAILY_KEPT days)
    catalog.before-v6.20261206-101500.sqlite3   before each schema migration (the last
                                                MIGRATION_KEPT of them)

Made with SQLite's online backup API in one step: one read transaction, so the copy is
consistent and, in WAL mode, writers are never blocked while it runs. The copy is
written under a temporary name, checked (`PRAGMA quick_check`) and only then renamed: a
backup taken of an already damaged catalog is thrown away instead of pushing a good
older one out of the rotation, and the damage is raised (CatalogDamaged) so that the
command about to write stops and says so: this is the daily look at every page.
Caches (thumbs/, index/) are rebuilt, never backed up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from .db import open_counted

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
DAILY_KEPT = 2
MIGRATION_KEPT = 2


def backup_dir(catalog_dir: Path) -> Path:
    return Path(catalog_dir) / BACKUP_DIR


def list_backups(catalog_dir: Path) -> list[Path]:
    """Every backup, newest first."""
    folder = backup_dir(catalog_dir)
    try:
        found = [p for p in folder.glob("catalog.*.sqlite3") if p.is_file()]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _daily_name(day: str) -> str:
    return f"catalog.{day}.sqlite3"


def daily_backup(db_path: Path, *, today: str | None = None) -> Path | None:
    """Back up `db_path` if no backup was made today; drop daily backups beyond the last
    DAILY_KEPT. The path made, or None (already done today, or could not: logged)."""
    day = today or time.strftime("%Y-%m-%d")
    target = backup_dir(db_path.parent) / _daily_name(day)
    if target.exists() or not db_path.exists():
        return None
    made = _backup(db_path, target)
    if made is not None:
        _rotate(db_path.parent, "catalog.????-??-??.sqlite3", DAILY_KEPT)
    return made


def migration_backup(db_path: Path, version: int, target_version: int) -> Path:
    """The backup an upgrade needs first: an upgrade without one does not happen
    (CatalogUnusable says why: the disk is full, say)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = backup_dir(db_path.parent) / f"catalog.before-v{target_version}.{stamp}.sqlite3"
    log.info("backing up catalog (schema %d) to %s before migrating", version, target)
    failures: list[BaseException] = []
    made = _backup(db_path, target, failures)
    if made is None:
        from .problems import CatalogUnusable

        raise CatalogUnusable(db_path, f"was not upgraded to schema {target_version}: the "
                                       f"backup it needs first could not be written "
                                       f"({failures[0] if failures else 'unknown error'})",
                              f"Make room in {target.parent} (or make it writable) and try "
                              f"again; the catalog was not changed.")
    _rotate(db_path.parent, "catalog.before-v*.sqlite3", MIGRATION_KEPT)
    return made


def _backup(db_path: Path, target: Path, failures: list | None = None) -> Path | None:
    """Copy with the backup API into a temporary file, check it, then rename it into place.
    A failure (disk full, read-only) is logged, added to `failures` and leaves no file;
    a damaged source raises CatalogDamaged."""
    started = time.perf_counter()
    temporary = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(exist_ok=True)
        source = open_counted(db_path, f"file:{db_path}?mode=ro", uri=True, timeout=30)
        try:
            copy = sqlite3.connect(str(temporary))
            try:
                source.backup(copy)  # pages=-1: all in one step, one consistent snapshot
                verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                copy.close()
        finally:
            source.close()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({verdict})")
        os.replace(temporary, target)
    except sqlite3.DatabaseError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
            target.parent.rmdir()  # only if empty: made just now for this copy
        from .problems import explain

        damage = explain(error, db_path)
        if damage is None or damage.kind != "damaged":
            log.warning("could not back up the catalog to %s: %s", target, error)
            if failures is not None:
                failures.append(error)
            return None
        # The day's look at the whole file found damage: say so now, before a command
        # writes more into a damaged catalog (older backups are kept as they are).
        raise damage from error
    except (OSError, sqlite3.Error) as error:
        log.warning("could not back up the catalog to %s: %s", target, error)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        if failures is not None:
            failures.append(error)
        return None
    log.info("backed up the catalog to %s in %.2f s", target, time.perf_counter() - started)
    return target


def _rotate(catalog_dir: Path, pattern: str, keep: int) -> None:
    """Remove the oldest backups matching `pattern` beyond `keep` (the date or time stamp
    before the suffix sorts as text)."""
    found = sorted(backup_dir(catalog_dir).glob(pattern), key=lambda p: p.name.split(".")[-2],
                   reverse=True)
    for old in found[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
            log.info("removed old backup %s", old)
