"""`faceshelf import-tags [FOLDER] [--dry-run] [--json]`: names from other programs' face tags."""

from __future__ import annotations

import sys
from pathlib import Path

from .options import add_no_cluster_option, open_catalog
from .people import update_people_after
from .terminal import interruptible, print_json, run_with_progress


def add_commands(sub) -> None:
    p = sub.add_parser(
        "import-tags", help="name faces from the face tags other programs left in or beside "
                            "the photos (XMP regions, Picasa, Google Takeout); files are only read")
    p.add_argument("folder", nargs="?", metavar="FOLDER",
                   help="only the photos under this folder (default: the whole library)")
    p.add_argument("--dry-run", action="store_true",
                   help="say what would be matched, created and skipped; change nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_no_cluster_option(p)
    p.set_defaults(func=cmd_import_tags)


def cmd_import_tags(args) -> int:
    from ..index_lock import exclusive_index
    from ..photo_indexing import refresh_search_index
    from ..tags import ImportReport, import_tags

    folder = None
    if args.folder:
        folder = Path(args.folder).expanduser().resolve()
        if not folder.is_dir():
            raise FileNotFoundError(f"not a folder: {folder}")
    token = interruptible()
    report = ImportReport()
    people = None
    with open_catalog(args) as catalog:
        with exclusive_index(catalog.dir):   # not while an index run writes the same faces
            run_with_progress(import_tags(catalog, folder, dry_run=args.dry_run, report=report,
                                          cancel=token), quiet=args.quiet or args.json)
        changed = any(o.action in ("matched", "created", "assigned") for o in report.outcomes)
        if not args.dry_run and changed and not args.no_cluster:
            people = update_people_after(catalog, token, quiet=args.quiet, as_json=args.json)
            if not token.cancelled:
                refresh_search_index(catalog, wait=True)
    if args.json:
        print_json({**report.as_json(), "dry_run": args.dry_run, "people": people,
                    "cancelled": token.cancelled})
    else:
        _print_report(report, args.dry_run)
    return 130 if token.cancelled else 0


def _print_report(report, dry_run: bool) -> None:
    would = "would be " if dry_run else ""
    print(f"{report.photos_with_tags} of {report.photos} photos carry face tags"
          + (" (dry run: nothing changed)" if dry_run else ""))
    for source, counts in report.counts().items():
        parts = [f"{counts[k]} {k}" for k in ("matched", "created", "assigned", "already",
                                              "conflict", "offered", "skipped") if counts[k]]
        print(f"  {source:8} {', '.join(parts)}")
    created = sorted(set(report.people_created))
    if created:
        print(f"{len(created)} people {would}created: {', '.join(created[:20])}"
              + (" ..." if len(created) > 20 else ""))
    for outcome in report.outcomes:
        if outcome.action == "conflict":
            print(f"conflict  {outcome.path}: {outcome.name!r} ({outcome.source}): "
                  f"{outcome.detail}")
    for outcome in report.outcomes:
        if outcome.action in ("offered", "skipped"):
            print(f"{outcome.action:9} {outcome.path}: {outcome.name!r} ({outcome.source}): "
                  f"{outcome.detail}")
    for path, problem in report.problems:
        print(f"problem   {path}: {problem}", file=sys.stdout)
    if report.problems:
        print("these problems are also listed by `faceshelf status --errors`")
