"""`faceshelf check`: a read-only diagnosis of a catalog folder.

`check_catalog(dir)` runs every function in CHECKS and gathers their findings. A check takes
the catalog folder and returns Findings; it must not write anything (the catalog file's bytes
are the same afterwards). Other parts add their own verification by appending to CHECKS,
e.g. the rebuildable caches checking their checksums:

    from core.catalog.health import CHECKS, Finding
    CHECKS.append(check_search_index)      # def check_search_index(catalog_dir) -> list[Finding]

A finding's level: "ok" (a fact), "warning" (worth knowing, nothing lost: a read-only folder,
no backup yet, a cache to rebuild), "damaged" (the catalog cannot be trusted as it is).
`what` names the part; "folder" and "catalog" mean it is not a catalog at all (a file given as
the folder, someone else's database): nothing to repair there. `Report.not_a_catalog` says so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .backups import list_backups
from .db import DB_NAME, connect
from .problems import inspect_file, why_read_only
from .schema import MIGRATIONS, SCHEMA_VERSION

LEVELS = ("ok", "warning", "damaged")


@dataclass
class Finding:
    level: str     # ok | warning | damaged
    what: str      # the part looked at: "file", "integrity", "schema", "backups", ...
    message: str

    def to_json(self) -> dict:
        return {"level": self.level, "what": self.what, "message": self.message}


@dataclass
class Report:
    catalog_dir: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        return any(f.level == "damaged" for f in self.findings)

    @property
    def not_a_catalog(self) -> bool:
        return any(f.level == "damaged" and f.what in ("folder", "catalog")
                   for f in self.findings)

    @property
    def db_path(self) -> Path:
        return self.catalog_dir / DB_NAME

    def to_json(self) -> dict:
        return {"catalog": str(self.db_path), "damaged": self.damaged,
                "findings": [f.to_json() for f in self.findings]}


Check = Callable[[Path], list[Finding]]


def check_file(catalog_dir: Path) -> list[Finding]:
    db_path = catalog_dir / DB_NAME
    problem = inspect_file(db_path)
    if problem is not None:
        return [Finding("damaged", "file", problem.headline())]
    if not db_path.exists():
        return [Finding("damaged", "file", f"there is no catalog file {db_path}")]
    size = db_path.stat().st_size
    return [Finding("ok", "file", f"{db_path} ({size:,} bytes)")]


def check_database(catalog_dir: Path, *, full: bool = True) -> list[Finding]:
    """SQLite's own integrity check (every page, every index entry; `full=False`: quick_check,
    which skips matching indexes to tables), the schema version and the expected tables."""
    db_path = catalog_dir / DB_NAME
    if inspect_file(db_path) is not None or not db_path.exists():
        return []  # check_file said why; SQLite would only add noise
    findings: list[Finding] = []
    try:
        conn = _open_readonly(db_path)
    except sqlite3.Error as error:
        return [Finding("damaged", "integrity", f"SQLite cannot open it: {error}")]
    try:
        pragma = "integrity_check(100)" if full else "quick_check(100)"
        try:
            lines = [row[0] for row in conn.execute(f"PRAGMA {pragma}")]
        except sqlite3.DatabaseError as error:
            lines = [str(error)]
        if lines == ["ok"]:
            findings.append(Finding("ok", "integrity", "SQLite's integrity check: ok"))
        else:
            shown = "; ".join(lines[:10]) + (f"; ... ({len(lines)} problems)"
                                               if len(lines) > 10 else "")
            findings.append(Finding("damaged", "integrity",
                                    f"SQLite's integrity check found damage: {shown}"))
        findings += _check_schema(conn)
    finally:
        conn.close()
    return findings


def _check_schema(conn: sqlite3.Connection) -> list[Finding]:
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        have = {row[0]: row[1] for row in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    except sqlite3.DatabaseError as error:
        return [Finding("damaged", "schema", f"the schema cannot be read: {error}")]
    if version > SCHEMA_VERSION:
        return [Finding("warning", "schema", f"schema {version} is newer than this Faceshelf "
                                             f"knows ({SCHEMA_VERSION}): not checked further")]
    if version == 0:
        return [Finding("damaged", "catalog", "schema version 0: not a Faceshelf catalog"
                                             + (f" (it holds {', '.join(sorted(have))})"
                                                if have else " (no tables)"))]
    expected = expected_schema(version)
    missing = sorted(f"{kind} {name}" for name, kind in expected.items() if name not in have)
    if missing:
        return [Finding("damaged", "schema", f"schema {version}: missing " + ", ".join(missing))]
    return [Finding("ok", "schema", f"schema {version} of {SCHEMA_VERSION}, all "
                                    f"{len(expected)} tables, indexes and triggers present")]


def expected_schema(version: int) -> dict[str, str]:
    """{name: type} of what migrations 1..version create, built in memory."""
    conn = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            conn.executescript(script)
        return {row[0]: row[1] for row in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    finally:
        conn.close()


def _open_readonly(db_path: Path) -> sqlite3.Connection:
    conn = connect(db_path, readonly=True, immutable=why_read_only(db_path) is not None)
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    return conn


def check_writable(catalog_dir: Path) -> list[Finding]:
    why = why_read_only(catalog_dir / DB_NAME)
    if why is None:
        return []
    return [Finding("warning", "access", f"read-only: {why}; commands that only read work")]


def check_backups(catalog_dir: Path) -> list[Finding]:
    backups = list_backups(catalog_dir)
    if not backups:
        return [Finding("warning", "backups", "no automatic backup yet (one is made on the "
                                              "first change of each day)")]
    return [Finding("ok", "backups", f"{len(backups)} automatic backup(s), the newest "
                                     f"{backups[0]}")]


def check_caches(catalog_dir: Path) -> list[Finding]:
    """Every block of the rebuildable caches against its checksum (core/caches.py). A damaged
    cache is a warning: nothing is lost, the next use discards and rebuilds it."""
    from ..caches import verify_caches

    reports = verify_caches(catalog_dir)
    findings = [Finding("warning", "caches", f"{r.kind} damaged: {r.problem}; it is rebuilt "
                                             f"the next time it is used")
                for r in reports if not r.ok]
    if reports and not findings:
        findings.append(Finding("ok", "caches", f"{len(reports)} cache(s) (search index, "
                                                f"people evidence): every block matches its "
                                                f"checksum"))
    return findings


# The checks `faceshelf check` runs, in order. Append yours (see the module docstring).
CHECKS: list[Check] = [check_file, check_database, check_writable, check_backups, check_caches]


def check_catalog(catalog_dir: Path | str, checks: list[Check] | None = None) -> Report:
    catalog_dir = Path(catalog_dir).expanduser().resolve()
    report = Report(catalog_dir)
    if catalog_dir.exists() and not catalog_dir.is_dir():
        report.findings.append(Finding("damaged", "folder", f"{catalog_dir} is a file, not a "
                                                            f"catalog folder"))
        return report
    for check in CHECKS if checks is None else checks:
        try:
            report.findings += check(catalog_dir)
        except Exception as error:  # noqa: BLE001 - one broken check must not hide the others
            report.findings.append(Finding("damaged", getattr(check, "__name__", "check"),
                                           f"the check itself failed: {error}"))
    return report
