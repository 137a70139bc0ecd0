"""The export commands: export (photos of people or of a search, to a folder) and albums
(saved exports: list, rename, delete)."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import time

from ..text import for_terminal
from .options import add_global_options, id_arg, open_catalog
from .search import SEARCH_FLAGS, in_flag_words
from .terminal import interruptible, keep_result, print_json, run_with_progress


_EXPORT_REASONS = {
    "source_missing": "the original is missing",
    "source_unreadable": "the original cannot be read",
    "other_device": "the original is on another disk (hard links cannot cross disks)",
    "inside_library": "the file would land inside a library folder",
    "exists": "a file appeared under that name meanwhile; left untouched",
}
_QUERY_FLAGS = ("person", "not_people", "face", "photo", "photo_face", "similar_to",
                "date_from", "date_to", "folder", "min_similarity", "top", "search_json")
_OPTION_FLAGS = ("destination", "mode", "template", "by", "xmp", "xmp_frame", "manifest",
                 "save_as")


def add_commands(sub) -> None:
    p = sub.add_parser(
        "export", help="copy or link the photos of people or of a search out of the library",
        description="Export photos to a folder without touching the originals. Re-running a "
                    "saved album (--save-as, then --album) adds only what is new.")
    q = p.add_argument_group("what to export (a saved --album brings its own)")
    q.add_argument("--person", action="append", default=[], metavar="NAME",
                   help="photos with this person (repeat: with ALL of them)")
    q.add_argument("--any", action="store_true",
                   help="with ANY of the --person instead of all of them")
    q.add_argument("--not", dest="not_people", action="append", default=[], metavar="NAME",
                   help="without this person (repeatable)")
    q.add_argument("--face", type=id_arg, metavar="ID", help="photos with a face like this one")
    q.add_argument("--photo", metavar="PATH", help="photos with a face like one in this image")
    q.add_argument("--photo-face", type=id_arg, metavar="N", help="which face of --photo")
    q.add_argument("--similar-to", metavar="PERSON",
                   help="photos with faces like any of this person's")
    q.add_argument("--since", dest="date_from", metavar="DATE", help="taken on/after (ISO)")
    q.add_argument("--until", dest="date_to", metavar="DATE", help="taken on/before (ISO)")
    q.add_argument("--folder", metavar="PATH", help="only photos under this library folder")
    q.add_argument("--min-similarity", type=float, metavar="X")
    q.add_argument("--top", type=int, metavar="K")
    q.add_argument("--search-json", metavar="FILE",
                   help="a search as SearchSpec JSON (as `search --json` takes; - for stdin)")
    p.add_argument("--album", metavar="NAME", help="re-export this saved album")
    p.add_argument("--to", dest="destination", metavar="DIR", help="destination folder")
    p.add_argument("--mode", choices=("copy", "hardlink", "symlink"),
                   help="copy (default), hardlink (same disk only) or symlink")
    p.add_argument("--template", metavar="T",
                   help="file name, default {date}_{name}.{ext}; fields: {date} {year} {month} "
                        "{day} {time} {people} {person} {name} {ext} {folder} {photo_id}")
    p.add_argument("--by", choices=("year", "person"), help="one sub-folder per year or person")
    p.add_argument("--xmp", action="store_true",
                   help="write <file>.xmp sidecars with names and MWG face regions")
    p.add_argument("--xmp-frame", choices=("stored", "oriented"),
                   help="XMP regions relative to the stored pixels (default: MWG, digiKam) or "
                        "to the image as displayed")
    p.add_argument("--manifest", choices=("json", "csv"),
                   help="also write faceshelf-manifest.json|csv listing what the folder holds")
    p.add_argument("--save-as", metavar="ALBUM", help="remember this export as an album")
    p.add_argument("--prune", action="store_true",
                   help="album only: remove files it wrote whose photos no longer match "
                        "(never files it did not write, never files changed since)")
    p.add_argument("--dry-run", action="store_true", help="list what would happen, write nothing")
    p.add_argument("--no-fsync", action="store_true",
                   help="do not flush each file to disk (faster; a power cut may lose files)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_cmd_export)

    a = sub.add_parser("albums", help="list, rename or delete saved export albums")
    a.add_argument("--json", action="store_true")
    a.add_argument("--delete", metavar="NAME", help="forget an album (its files stay)")
    a.set_defaults(func=_cmd_albums, albums_command=None)
    what = a.add_subparsers(dest="albums_command", metavar="ACTION")
    r = what.add_parser("rename", help="give an album another name (folder and files stay)")
    r.add_argument("name")
    r.add_argument("new_name")
    d = what.add_parser("delete", help="forget an album; --files also deletes the files it "
                                       "wrote (never files changed since, nothing else)")
    d.add_argument("name")
    d.add_argument("--files", action="store_true",
                   help="delete the album's own unchanged photos, sidecars and manifest too")
    d.add_argument("--dry-run", action="store_true", help="say what would be deleted")
    for p in (r, d):   # the global options after these too (see build_parser)
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
        add_global_options(p, on_command=True)


def _export_spec(args):
    from ..export import ExportError
    from ..search.spec import SearchSpec

    if args.search_json:
        mixed = [f for f in _QUERY_FLAGS if f != "search_json" and getattr(args, f)]
        if mixed or args.any:
            raise ExportError("--search-json is the whole query; drop the other query options")
        from ..search.spec import read_spec

        try:
            return read_spec(args.search_json, "--search-json")
        except ValueError as error:
            raise ExportError(str(error)) from None
    if args.photo and not os.path.isfile(args.photo):
        raise ExportError(f"--photo {args.photo}: no such file")
    people = list(args.person)   # names, or ids typed as digits: the search resolves both
    return SearchSpec(
        face_id=args.face, photo_path=args.photo, photo_face=args.photo_face,
        similar_to_person=args.similar_to,
        people_all=[] if args.any else people, people_any=people if args.any else [],
        people_not=list(args.not_people),
        date_from=args.date_from, date_to=args.date_to, folder=args.folder,
        min_similarity=args.min_similarity, top=args.top)


def _export_request(args):
    from ..export import ExportError, ExportOptions, ExportRequest

    common = dict(prune=args.prune, dry_run=args.dry_run, fsync=not args.no_fsync)
    if args.album:
        given = [f for f in _QUERY_FLAGS + _OPTION_FLAGS
                 if getattr(args, f) not in (None, [], False)]
        if given or args.any:
            raise ExportError("--album re-exports the saved query, destination and options; "
                              "only --dry-run, --prune, --no-fsync and --json go with it")
        return ExportRequest(album=args.album, **common)
    if not args.destination:
        raise ExportError("where to? give --to DIR (or --album NAME)")
    options = ExportOptions(mode=args.mode or "copy", by=args.by, xmp=args.xmp,
                            xmp_frame=args.xmp_frame or "stored", manifest=args.manifest)
    if args.template:
        options.template = args.template
    return ExportRequest(spec=_export_spec(args), destination=args.destination, options=options,
                         save_as=args.save_as, **common)


def _cmd_export(args) -> int:
    from ..export import ExportBusy, ExportError, run_export

    previous_handler = signal.getsignal(signal.SIGINT)
    try:
        request = _export_request(args)
        with open_catalog(args) as cat:
            result: list = []
            run_with_progress(keep_result(run_export(cat, request, interruptible()), result),
                              quiet=args.json or args.dry_run)
            summary = result[0]
    except ExportBusy as error:  # busy, as for a second index: try again later
        sys.stderr.write(f"faceshelf export: {error}\n")
        return 4
    except ExportError as error:
        text = str(error) if args.search_json else in_flag_words(str(error), _EXPORT_FLAGS)
        sys.stderr.write(f"faceshelf export: {text}\n")
        return 2
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    if args.json:
        print_json(_export_summary_json(summary))
    else:
        _print_export_summary(summary)
    if summary.stopped == "cancelled":
        return 130
    return 0 if summary.ok else 1


_EXPORT_FLAGS = {**SEARCH_FLAGS, "date_from": "--since", "date_to": "--until"}


def _export_summary_json(s) -> dict:
    return {
        "destination": s.destination, "album": s.album, "dry_run": s.dry_run,
        "photos_matched": s.photos_matched, "added": s.added, "updated": s.updated,
        "moved": s.moved, "skipped": s.skipped,
        "removed": s.removed, "kept": s.kept, "failed": s.failed,
        "sidecars_written": s.sidecars_written, "bytes_written": s.bytes_written,
        "seconds": round(s.seconds, 3), "stale_temp_removed": s.stale_temp_removed,
        "manifest": s.manifest, "stopped": s.stopped,
        "failures": [{"dest": f.dest, "source": f.source, "reason": f.reason, "error": f.error}
                     for f in s.failures],
        "files": [{"action": f.action, "reason": f.reason, "kind": f.kind, "dest": f.dest,
                   "source": f.source, "photo_id": f.photo_id} for f in s.plan.files],
    }


def _print_export_summary(s) -> None:
    from ..export import STOP_MESSAGES

    out = sys.stdout
    if s.dry_run:
        for f in s.plan.files:
            what = f"{f.action:<7}{f.dest}"
            if f.action == "add" and f.kind == "photo":
                what += f"  <- {f.source}"
            if f.action == "move":
                what += f"  <- {f.moved_from}"
            if f.reason not in ("new", "unmatched") or f.action == "keep":
                what += f"  ({f.reason})"
            out.write(what + "\n")
        if s.plan.stale_temp:
            out.write(f"would clean {len(s.plan.stale_temp)} temporary file(s) of an "
                      f"interrupted export\n")
        out.write(f"dry run, nothing written: {s.photos_matched} photo(s) match; would add "
                  f"{s.added}{_changes(s)}, skip {s.skipped}, remove {s.removed}, keep {s.kept}"
                  f"{f', {s.failed} cannot be exported' if s.failed else ''}\n")
        return
    for f in s.failures:
        why = _EXPORT_REASONS.get(f.reason) or STOP_MESSAGES.get(f.reason) or f.reason
        detail = f" [{f.error}]" if f.error and f.error not in why else ""
        sys.stderr.write(f"not exported: {f.source or f.dest}: {why}{detail}\n")
    mb = s.bytes_written / 1e6
    speed = f", {mb / s.seconds:.1f} MB/s" if s.seconds > 0 and mb > 1 else ""
    album = f" (album {for_terminal(s.album)})" if s.album else ""
    out.write(f"{for_terminal(s.destination)}{album}: {s.photos_matched} photo(s) match; "
              f"added {s.added}{_changes(s)}, skipped {s.skipped} already there, "
              f"removed {s.removed}, "
              f"kept {s.kept}, failed {s.failed}; {mb:.1f} MB in {s.seconds:.1f} s{speed}\n")
    if s.sidecars_written:
        out.write(f"{s.sidecars_written} XMP sidecar(s) written\n")
    if s.stale_temp_removed:
        out.write(f"cleaned {s.stale_temp_removed} temporary file(s) of an interrupted export\n")
    if s.manifest:
        out.write(f"manifest: {s.manifest}\n")
    if s.stopped:
        why = STOP_MESSAGES.get(s.stopped, s.stopped)
        again = (f"`faceshelf export --album {shlex.quote(s.album)}`" if s.album
                 else "the same command again")
        sys.stderr.write(f"export stopped: {why}. No partial file was left; run {again} "
                         f"to finish.\n")


def _changes(s) -> str:
    """", updated 2 (originals edited), moved 5 (people renamed)" when there were any (in a
    dry run's words: "update", "move")."""
    update, move = ("update", "move") if s.dry_run else ("updated", "moved")
    return ((f", {update} {s.updated} (originals edited)" if s.updated else "")
            + (f", {move} {s.moved} (people renamed)" if s.moved else ""))


def _cmd_albums(args) -> int:
    from ..export import delete_album, list_albums

    if args.albums_command is not None:
        return _cmd_album_change(args)
    with open_catalog(args, readonly=not args.delete) as cat:
        if args.delete:
            if not delete_album(cat, args.delete):
                sys.stderr.write(f"faceshelf albums: no album named {args.delete!r}\n")
                return 2
            print(f"forgot album {args.delete!r} (its exported files stay where they are)")
            return 0
        albums = list_albums(cat)
    if args.json:
        print_json([a.to_json() for a in albums])
        return 0
    if not albums:
        print("no albums yet (export with --save-as NAME to make one)")
    for a in albums:
        when = (time.strftime("%Y-%m-%d %H:%M", time.localtime(a.exported_at))
                if a.exported_at else "never")
        print(f"{for_terminal(a.name)}: {for_terminal(a.shown_spec.describe())} -> "
              f"{for_terminal(a.destination)} "
              f"({a.file_count} photo(s), {a.options.mode}, last exported {when})")
    return 0


def _cmd_album_change(args) -> int:
    """`albums rename OLD NEW` and `albums delete NAME [--files] [--dry-run]`."""
    from ..export import ExportError, album_deletion_plan, delete_album, rename_album

    with open_catalog(args, readonly=getattr(args, "dry_run", False)) as cat:
        try:
            if args.albums_command == "rename":
                album = rename_album(cat, args.name, args.new_name)
                if args.json:
                    print_json(album.to_json())
                else:
                    print(f"renamed album {args.name!r} to {album.name!r}")
                return 0
            if args.dry_run:
                result = album_deletion_plan(cat, args.name)
            else:
                result = delete_album(cat, args.name, delete_files=args.files)
                if result is None:
                    raise ExportError(f"no album named {args.name!r}")
        except ExportError as error:
            sys.stderr.write(f"faceshelf albums {args.albums_command}: {error}\n")
            return 2
    if args.json:
        print_json(result.to_json())
    elif args.dry_run:
        print(f"{for_terminal(result.name)}: deleting with --files would remove {result.photos} "
              f"photo(s) and {result.sidecars} sidecar/manifest file(s) from "
              f"{for_terminal(result.destination)}"
              + (f"; {len(result.kept)} file(s) changed since would stay" if result.kept else ""))
    elif result.files_deleted:
        print(f"deleted album {result.name!r} and {result.photos} photo(s), {result.sidecars} "
              f"sidecar/manifest file(s) it wrote in {result.destination}"
              + (f"; kept {len(result.kept)} file(s) changed since it wrote them"
                 if result.kept else ""))
    else:
        print(f"deleted album {result.name!r} (its files stay in {result.destination})")
    return 0

