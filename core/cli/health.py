"""The catalog's own commands, `faceshelf check` and `faceshelf repair`, and how every
command says that the catalog cannot be used (exit status 5 or 6)."""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path

from .options import catalog_dir_of

# (sqlite3 and the catalog's modules load in the functions: `faceshelf --help` would pay.)

CATALOG_UNUSABLE_HELP = (
    "Exit status 5: the catalog is damaged or unusable (the message names the file, says what "
    "is wrong and what to do); 6: the catalog is read-only and the command writes.")


def report_unusable(error: BaseException, args) -> int | None:
    """Print the message for a catalog that cannot be used and return its exit status;
    None when `error` is not about the catalog file."""
    import sqlite3

    from ..catalog.db import DB_NAME
    from ..catalog.problems import CatalogUnusable, explain

    db_path = catalog_dir_of(args) / DB_NAME
    if isinstance(error, OSError) and _inside(error.filename, db_path.parent) and \
            error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        # a cache beside the catalog (search index, thumbnails) in a read-only place
        from ..catalog.problems import CatalogReadOnly, why_read_only

        error = CatalogReadOnly(db_path, why_read_only(db_path)
                                or f"{error.filename}: {error.strerror}")
    if not isinstance(error, (CatalogUnusable, sqlite3.Error)):
        return None
    explained = explain(error, db_path)
    if explained is None:
        return None
    sys.stderr.write(f"faceshelf: {explained}\n")
    return explained.exit_status


def _inside(filename, directory: Path) -> bool:
    if not filename:
        return False
    try:
        return Path(filename).resolve().is_relative_to(directory)
    except (OSError, ValueError, TypeError):
        return False


def add_commands(sub) -> None:
    p = sub.add_parser("check", help="diagnose the catalog (read-only): is it intact, what is "
                                     "damaged",
                       description="Look at the catalog without changing it: the file, "
                                   "SQLite's integrity check, the schema, backups. "
                                   + CATALOG_UNUSABLE_HELP)
    p.add_argument("--quick", action="store_true",
                   help="SQLite's quick_check instead of the full integrity_check")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("repair", help="save what can be read from a damaged catalog into a new "
                                      "one (the damaged file is kept)",
                       description="Check the catalog; if it is damaged, copy every row that "
                                   "can still be read into a new catalog, move the damaged "
                                   "file aside (renamed, never deleted) and put the new one "
                                   "in its place. " + CATALOG_UNUSABLE_HELP)
    p.add_argument("--keep-in-place", action="store_true",
                   help="leave the damaged catalog where it is; write the salvaged one beside "
                        "it and say how to switch")
    p.set_defaults(func=cmd_repair)


def cmd_check(args) -> int:
    from ..catalog import health
    from ..catalog.problems import EXIT_CATALOG_UNUSABLE

    directory = catalog_dir_of(args)
    if not directory.exists():
        sys.stderr.write(f"faceshelf: no catalog at {directory}\n")
        return 2
    checks = list(health.CHECKS)
    if args.quick:
        checks = [(lambda d: health.check_database(d, full=False))
                  if c is health.check_database else c for c in checks]
    report = health.check_catalog(directory, checks)
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for finding in report.findings:
            print(f"{finding.level:<8} {finding.what:<10} {finding.message}")
    if report.not_a_catalog:
        sys.stderr.write(f"faceshelf: {directory} does not hold a Faceshelf catalog: give "
                         f"--catalog a catalog folder (a new, empty folder starts one)\n")
        return EXIT_CATALOG_UNUSABLE
    if report.damaged:
        from ..catalog.problems import damage_advice

        sys.stderr.write(f"faceshelf: the catalog {report.db_path} is damaged.\n"
                         f"{damage_advice(report.db_path, checked=True)}\n")
        return EXIT_CATALOG_UNUSABLE
    if not args.json:
        print(f"the catalog {report.db_path} is intact")
    return 0


def cmd_repair(args) -> int:
    from ..catalog import health
    from ..catalog.problems import EXIT_CATALOG_UNUSABLE
    from ..catalog.repair import NothingToSalvage, repair
    from ..index_lock import exclusive_index

    directory = catalog_dir_of(args)
    if not directory.exists():
        sys.stderr.write(f"faceshelf: no catalog at {directory}\n")
        return 2
    report = health.check_catalog(directory)
    damage = [f for f in report.findings if f.level == "damaged"]
    if report.not_a_catalog:
        sys.stderr.write(f"faceshelf: {directory} does not hold a Faceshelf catalog: there is "
                         f"nothing to repair\n")
        return EXIT_CATALOG_UNUSABLE
    if not damage:
        print(f"the catalog {report.db_path} is intact: nothing to repair")
        return 0
    for finding in damage:
        print(f"damaged  {finding.message}")
    try:
        with exclusive_index(directory):  # no index may write while the files change places
            result = repair(directory, switch=not args.keep_in_place)
    except NothingToSalvage as error:
        from ..catalog.problems import newest_backup

        backup = newest_backup(report.db_path)
        sys.stderr.write(f"faceshelf: nothing can be salvaged from {report.db_path}: {error}."
                         + (f"\nRestore the automatic backup {backup} instead (move the "
                            f"damaged file aside and copy the backup in its place)."
                            if backup else
                            "\nThere is no automatic backup. Move the damaged file aside (keep "
                            "it) to start a new catalog, then index your folders again.")
                         + "\n")
        return EXIT_CATALOG_UNUSABLE
    print("salvaged:")
    for table in result.tables:
        if table.table not in ("sqlite_sequence",):
            print(f"  {table.describe()}")
    if result.header_rebuilt:
        print("  (the file's header was damaged and was rebuilt to read it)")
    if result.photos_to_reindex:
        print(f"{result.photos_to_reindex} photo(s) lost their faces: the next `faceshelf "
              f"rescan` indexes them again")
    if result.switched:
        print(f"the repaired catalog is now {result.salvaged_path}")
        print(f"the damaged one is kept as {result.damaged_path} (delete it yourself once "
              f"you are happy)")
    else:
        print(f"the repaired catalog is {result.salvaged_path}; the damaged one is untouched")
        print(f"to switch: move {result.damaged_path} aside, then rename "
              f"{result.salvaged_path.name} to {result.damaged_path.name}")
    print("caches (thumbnails, search index) are rebuilt as needed")
    return 0
