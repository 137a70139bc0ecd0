"""The `faceshelf` command. Thin: parse arguments, call core, print.

With no subcommand it opens the GUI. `--json` output is stable and documented in README.md.
Each area of the engine has its own region below (engine, people, search, export); its
`_add_*_commands` registers subcommands whose handlers live in that same region.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .text import for_terminal  # user data (names, paths) never drives the terminal

if TYPE_CHECKING:  # imported where used: `faceshelf --help` should load next to nothing
    from .jobs import CancelToken, Progress

log = logging.getLogger("faceshelf")


# == shared helpers ========================================================================

def open_catalog(args, *, readonly: bool = False):
    """The catalog for this command. A command that writes makes the day's backup first
    (once a day; see core.catalog.backups)."""
    from .catalog import Catalog
    from .health_cli import catalog_dir_of

    catalog = Catalog(catalog_dir_of(args), readonly=readonly)
    if not readonly:
        catalog.daily_backup()
    return catalog


def _id_arg(text: str) -> int:
    """An id typed on the command line (counts take _count_arg): a whole number the catalog
    can hold, else argparse's usage error (exit 2) with the reason."""
    from .ids import checked_id

    try:
        return checked_id(text, "")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).strip()) from None


def _count_arg(text: str) -> int:
    """A count compared with the catalog's numbers (SQLite integers)."""
    from .ids import MAX_ID, out_of_range

    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if out_of_range(count):
        raise argparse.ArgumentTypeError(f"{count} is out of range: 0 to {MAX_ID}")
    return count


def print_json(value) -> None:
    """Indented; a list has one compact item per line: json's indenting encoder is pure
    Python (2.6 s for `people --json` of 100k faces; 0.05 s with its C encoder)."""
    if isinstance(value, list) and value:
        encode = json.JSONEncoder(ensure_ascii=False, default=str).encode  # one, not one each
        _write_json_lines([encode(item) for item in value])
        return
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _write_json_lines(items: list[str]) -> None:
    """A JSON list of already-encoded items, one per line, as print_json writes lists."""
    sys.stdout.write("[\n" + ",\n".join("  " + item for item in items) + "\n]\n"
                     if items else "[]\n")


class ProgressBar:
    """A one-line progress bar on stderr (only when stderr is a terminal, else a line per 5 s)."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr  # (the one now: a default would be import time's)
        self.width = width
        self.tty = self.stream.isatty()
        self._last = 0.0

    def update(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last < 5 and p.done != p.total:
            return
        if self.tty and now - self._last < 0.1 and p.done != p.total:
            return
        self._last = now
        parts = [p.stage]
        if p.total:
            filled = int(self.width * p.done / p.total)
            parts.append("[" + "#" * filled + "-" * (self.width - filled) + "]")
            parts.append(f"{p.done}/{p.total}")
        else:
            parts.append(str(p.done))
        if p.rate:
            parts.append(f"{p.rate:.1f}/s")
        if p.eta_s is not None and p.total:
            parts.append(f"ETA {int(p.eta_s) // 60}:{int(p.eta_s) % 60:02d}")
        parts += [f"{k} {v}" for k, v in p.counters.items()]
        if p.message:
            parts.append(p.message)
        line = "  ".join(parts)
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_with_progress(job: Iterable[Progress], quiet: bool = False) -> Progress | None:
    """Drive a job generator, showing progress; the last Progress is returned."""
    bar = None if quiet else ProgressBar()
    last = None
    try:
        for last in job:
            if bar:
                bar.update(last)
    finally:
        if bar:
            bar.close()
    return last


def interruptible() -> CancelToken:
    """A token that the first Ctrl-C cancels (the job stops cleanly); a second one kills.
    `kill` (SIGTERM) stops cleanly too: killed outright, an index left its worker processes'
    semaphores to the resource tracker, which printed "leaked semaphore" warnings."""
    from .jobs import CancelToken

    token = CancelToken()

    def handler(signum, frame):
        if token.cancelled:
            raise KeyboardInterrupt
        if signum == signal.SIGINT:
            sys.stderr.write("\nstopping after the current work; Ctrl-C again to abort\n")
        else:
            sys.stderr.write("\nstopping (terminated) after the current work\n")
        token.cancel()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return token


# == engine: index, status, faces, rescan, remove-folder ===================================

def _add_engine_commands(sub) -> None:
    p = sub.add_parser("index", help="add folders and index their photos (resumable)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="photo folders to add and index")
    _add_index_options(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("rescan", help="look for new, changed, moved and removed photos in "
                                      "every folder, and index what changed")
    _add_index_options(p)
    p.set_defaults(func=cmd_index, paths=None)

    p = sub.add_parser("status", help="what the catalog holds")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--errors", action="store_true", help="list photos that could not be read")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("faces", help="every face in the catalog")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--embeddings", action="store_true",
                   help="with --json: add each embedding (base64, little-endian float32 x 512)")
    p.set_defaults(func=cmd_faces)

    p = sub.add_parser("remove-folder", help="forget a folder: its photos and faces leave the "
                                             "catalog (the files are not touched)")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_remove_folder)


def _worker_count(text: str) -> int:
    count = int(text)
    if count < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {count}")
    return count


def _add_index_options(p) -> None:
    p.add_argument("--workers", type=_worker_count, metavar="N",
                   help="worker processes (default: one per core; 0 = in this process)")
    p.add_argument("--model-pack", metavar="NAME|DIR",
                   help="face models to use (default: the catalog's, else buffalo_s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-cluster", action="store_true",
                   help="don't update people afterwards (run `faceshelf cluster` later)")


def _refresh_search_index(catalog) -> None:
    """Rebuild the search index now if indexing left a large delta (searches would still be
    complete without it, only slower). The CLI waits: a daemon thread dies with the process."""
    from .search import keep_index_fresh

    thread = keep_index_fresh(catalog)
    if thread is not None:
        thread.join()


def cmd_index(args) -> int:
    from .pipeline import index

    roots = None
    if args.paths:
        roots = [Path(p).expanduser().resolve() for p in args.paths]
        for root in roots:
            if not root.is_dir():
                raise FileNotFoundError(f"not a folder: {root}")
    if args.model_pack:  # a wrong pack is said before the catalog or its folders change
        from .faces.models import find_pack

        find_pack(args.model_pack)
    token = interruptible()
    scanned: dict[str, int] = {}
    started = time.monotonic()

    def job() -> Iterator[Progress]:
        for progress in index(catalog, roots, workers=args.workers, cancel=token,
                              pack=args.model_pack):
            if progress.stage == "scan":
                scanned.update(progress.counters)
            yield progress

    with open_catalog(args) as catalog:
        last = run_with_progress(job(), quiet=args.quiet or args.json)
        ended = last is not None and last.stage == "index"
        summary = {
            "scan": scanned,
            "indexed": last.done if ended else 0,
            "pending_before": last.total if ended else 0,
            "faces": last.counters.get("faces", 0) if ended else 0,
            "errors": last.counters.get("errors", 0) if ended else 0,
            "seconds": round(time.monotonic() - started, 2),
            "rate": round(last.rate, 2) if ended and last.rate else None,
        }
        if not args.json:  # before the people line: in the order things happened
            counts = ", ".join(f"{v} {k}" for k, v in scanned.items() if v)
            print(f"scan: {counts or 'nothing found'}")
            done, errors = summary["indexed"], summary["errors"]
            print(f"{done} of {summary['pending_before']} photos done: {done - errors} indexed "
                  f"with {summary['faces']} faces, {errors} unreadable "
                  f"({summary['seconds']:.1f} s)")
            if errors:
                print("see `faceshelf status --errors` for the reasons")
        people = None if args.no_cluster else _people_after_index(
            catalog, token, quiet=args.quiet, as_json=args.json)
        if not token.cancelled:
            _refresh_search_index(catalog)
    cancelled = token.cancelled
    summary.update(cancelled=cancelled, people=people)
    if args.json:
        print_json(summary)
    if cancelled:
        sys.stderr.write("stopped; the rest stays queued: run `faceshelf rescan` (or the same "
                         "`faceshelf index` command) to resume\n")
        return 130
    return 0


def cmd_status(args) -> int:
    from .status import catalog_status

    with open_catalog(args, readonly=True) as catalog:
        status = catalog_status(catalog, with_errors=args.errors)
    if args.json:
        print_json(status)
        return 0
    print(f"catalog   {status['catalog']} (revision {status['revision']})")
    print(f"model     {status['model_id'] or '-'}")
    for folder in status["folders"]:
        print(f"folder    {folder['path']}  ({folder['photos']} photos)"
              + ("" if folder["online"] else "  OFFLINE: missing or empty; its photos are kept"))
    if not all(folder["online"] for folder in status["folders"]):
        print("          (a drive to plug back in; or, if the folder moved or was renamed, "
              "`faceshelf index NEW_PLACE` then `faceshelf remove-folder OLD_PLACE`: "
              "photos found again keep their faces and names)")
    photos = status["photos"]
    print(f"photos    {photos['total']}: {photos['indexed']} indexed, {photos['pending']} "
          f"pending, {photos['error']} errors")
    print(f"faces     {status['faces']} ({status['usable_faces']} usable for grouping)")
    print(f"people    {status['people']} ({status['named_people']} named)")

    for error in status.get("errors", []):
        print(f"error     {for_terminal(error['path'])}: {error['error']}")
    return 0


def cmd_faces(args) -> int:
    import base64

    import numpy as np

    with open_catalog(args, readonly=True) as catalog:
        rows = catalog.execute(
            "SELECT f.id, f.photo_id, p.path, f.x1, f.y1, f.x2, f.y2, f.landmarks, f.det_score, "
            "f.size, f.quality, f.usable, f.ignored, f.model_id, f.person_id, pe.name, "
            "f.embedding FROM faces f JOIN photos p ON p.id = f.photo_id "
            "LEFT JOIN people pe ON pe.id = f.person_id ORDER BY f.id")
        if not args.json:
            print("id\tphoto\tbox\tscore\tsize\tquality\tusable\tperson")
            for r in rows:
                person = r[15] or (f"#{r[14]}" if r[14] is not None else "-")
                print(f"{r[0]}\t{r[2]}\t{r[3]:.0f},{r[4]:.0f},{r[5]:.0f},{r[6]:.0f}\t"
                      f"{r[8]:.2f}\t{r[9]:.0f}\t{r[10]:.2f}\t{'yes' if r[11] else 'no'}\t{person}")
            return 0
        # Streamed, one face per line, so a library of 100k faces needs no big buffer.
        out = sys.stdout
        out.write("[")
        for n, r in enumerate(rows):
            face = {
                "id": r[0], "photo_id": r[1], "path": r[2],
                "box": [round(v, 2) for v in r[3:7]],
                "landmarks": np.frombuffer(r[7], dtype=np.float32).reshape(5, 2)
                .astype(float).round(2).tolist(),
                "det_score": round(r[8], 4), "size": round(r[9], 2), "quality": r[10],
                "usable": bool(r[11]), "ignored": bool(r[12]), "model_id": r[13],
                "person_id": r[14], "person": r[15],
            }
            if args.embeddings:
                vector = np.frombuffer(r[16], dtype="<f4")
                face["embedding"] = base64.b64encode(vector.tobytes()).decode("ascii")
            out.write(("\n" if n == 0 else ",\n") + json.dumps(face, ensure_ascii=False))
        out.write("\n]\n")
    return 0


def cmd_remove_folder(args) -> int:
    with open_catalog(args) as catalog:
        removed = catalog.remove_folder(args.path)
        if not removed:
            sys.stderr.write(f"faceshelf: {args.path} is not one of the catalog's folders\n")
            return 2
        print(f"removed {Path(args.path).expanduser().resolve()} from the catalog "
              f"(files untouched)")
        # The people those photos made up go too (groups left empty or too small), as after
        # `rescan`; a stopped update is finished by the next one.
        _people_after_index(catalog, interruptible())
    return 0


# == people: people, person, cluster, name, merge, move-faces, reject, ignore, review =======

def _add_people_commands(sub) -> None:
    p = sub.add_parser("people", help="people and unnamed groups, biggest first")
    p.add_argument("--json", action="store_true", help="machine-readable, with face ids")
    p.add_argument("--all", action="store_true", help="include hidden people")
    p.set_defaults(func=cmd_people)

    p = sub.add_parser("person", help="one person's faces and photos")
    p.add_argument("person", metavar="ID|NAME")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_person)

    p = sub.add_parser("cluster", help="assign new faces to people and group unknown faces")
    p.add_argument("--force", action="store_true", help="re-evaluate every face, even if "
                                                        "nothing changed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_cluster)

    p = sub.add_parser("name", help="name or rename a person or group")
    p.add_argument("person", metavar="ID|NAME")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--merge", action="store_true",
                   help="if someone already has this name, merge the two")
    p.set_defaults(func=cmd_name)

    p = sub.add_parser("merge", help="merge people B... into A (undo with `faceshelf undo`)")
    p.add_argument("target", metavar="A")
    p.add_argument("sources", nargs="+", metavar="B")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("move-faces", help="assign faces by hand to a person")
    p.add_argument("faces", nargs="+", type=_id_arg, metavar="FACE")
    p.add_argument("--to", required=True, metavar="ID|NAME|new",
                   help="a person; an unknown NAME or `new` creates a person")
    p.set_defaults(func=cmd_move_faces)

    p = sub.add_parser("reject", help="\"not this person\": remembered for good")
    p.add_argument("faces", nargs="+", type=_id_arg, metavar="FACE")
    p.add_argument("--from", dest="person", required=True, metavar="ID|NAME")
    p.set_defaults(func=cmd_reject)

    p = sub.add_parser("ignore", help="ignore faces (not a face, a stranger), or every small "
                                      "unnamed group")
    p.add_argument("faces", nargs="*", type=_id_arg, metavar="FACE")
    p.add_argument("--groups-smaller-than", type=_count_arg, metavar="N",
                   help="ignore the faces of unnamed groups with fewer than N faces")
    p.set_defaults(func=cmd_ignore)

    p = sub.add_parser("review", help="confirm or reject the faces suggested for a person")
    p.add_argument("person", metavar="ID|NAME")
    p.add_argument("--json", action="store_true", help="list the suggestions, change nothing")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("undo", help="undo the last people operation")
    p.set_defaults(func=cmd_undo)

    p = sub.add_parser("add-face", help="a face the detector missed: embed the box drawn "
                                        "(pixels of the upright photo) and store it")
    p.add_argument("photo", type=_id_arg, metavar="PHOTO_ID")
    p.add_argument("box", nargs=4, type=float, metavar=("X1", "Y1", "X2", "Y2"))
    p.add_argument("--name", metavar="NAME", help="whose face (a new name makes a person)")
    p.set_defaults(func=cmd_add_face)


def _people_after_index(catalog, token, *, quiet: bool = False,
                        as_json: bool = False) -> dict | None:
    """`faceshelf index` ends by assigning new faces and regrouping (unless --no-cluster);
    so does `remove-folder`. Prints its line unless `as_json`."""
    from .jobs import Cancelled
    from .people import update_people

    if token.cancelled:
        return None
    try:
        last = run_with_progress(update_people(catalog, token), quiet=quiet or as_json)
    except Cancelled:
        return None
    if last is None:
        return None
    summary = dict(_people_counts(last), skipped=bool(last.counters["skipped"]))
    if not as_json:
        print(f"people: {summary['auto_assigned']} faces joined known people, "
              f"{summary['suggested']} to review, {summary['groups']} unnamed groups")
    return summary


def _people_counts(last) -> dict:
    """What a people update reports, from its last Progress."""
    return {k: last.counters[k] for k in ("auto_assigned", "suggested", "groups",
                                          "grouped_faces", "unknown_faces")}


def _label(person) -> str:
    """A person as printed: a name stored with control characters by an older version is
    shown escaped, never sent raw to the terminal (core/text.py)."""

    return for_terminal(person.name) if person.name is not None else f"(unnamed #{person.id})"


def cmd_people(args) -> int:
    from .people import list_people, people_face_ids_json

    with open_catalog(args, readonly=True) as catalog:
        people = list_people(catalog, include_hidden=args.all)
        if args.json:
            # The face ids go in as SQLite wrote them (JSON arrays): no 100k ints to read
            # and encode again. One person per line, as print_json writes lists.
            face_ids = people_face_ids_json(catalog)
            encode = json.JSONEncoder(ensure_ascii=False).encode
            lines = [encode({"id": p.id, "name": p.name, "faces": p.face_count,
                             "photos": p.photo_count, "cover_face": p.cover_face_id,
                             "hidden": p.hidden})[:-1]
                     + f', "face_ids": {face_ids.get(p.id, "[]")}}}' for p in people]
            _write_json_lines(lines)
            return 0
    if not people:
        print("no people yet: index some photos (`faceshelf index PATH`), then "
              "`faceshelf cluster`")
    for p in people:
        hidden = "  (hidden)" if p.hidden else ""
        print(f"{p.id:>6}  {_label(p):<32} {p.face_count:>6} faces {p.photo_count:>6} "
              f"photos{hidden}")
    return 0


def cmd_person(args) -> int:
    from .people import find_person, get_person, person_faces, person_photos, suggestions

    with open_catalog(args, readonly=True) as catalog:
        person = get_person(catalog, find_person(catalog, args.person))
        faces = person_faces(catalog, person.id)
        photos = person_photos(catalog, person.id)
        pending = len(suggestions(catalog, person.id))
    if args.json:
        print_json({"id": person.id, "name": person.name, "hidden": person.hidden,
                    "cover_face": person.cover_face_id, "suggestions": pending,
                    "faces": [{"id": f.id, "photo_id": f.photo_id, "path": f.path,
                               "box": list(f.box), "quality": round(f.quality, 4),
                               "assigned_by": f.assigned_by} for f in faces],
                    "photos": [{"id": ph.id, "path": ph.path, "taken_at": ph.taken_at,
                                "face_ids": list(ph.face_ids)} for ph in photos]})
        return 0
    print(f"{_label(person)} (id {person.id}): {len(faces)} faces in {len(photos)} photos"
          + (f", {pending} to review" if pending else "") + (", hidden" if person.hidden else ""))
    for ph in photos:
        print(f"  {ph.taken_at or '':<19}  {for_terminal(ph.path)}  "
              f"(faces {', '.join(map(str, ph.face_ids))})")
    return 0


def cmd_cluster(args) -> int:
    from .jobs import Cancelled
    from .people import update_people

    token = interruptible()
    last = None
    with open_catalog(args) as catalog:
        try:
            last = run_with_progress(update_people(catalog, token, force=args.force),
                                     quiet=args.quiet or args.json)
        except Cancelled:
            pass
    if token.cancelled or last is None:
        sys.stderr.write("stopped; nothing was changed\n")
        return 130
    summary = dict(_people_counts(last), skipped=bool(last.counters["skipped"]))
    if args.json:
        print_json(summary)
    elif summary["skipped"]:
        print("nothing changed since the last run")
    else:
        print(f"{summary['auto_assigned']} faces joined known people, {summary['suggested']} "
              f"to review; {summary['groups']} unnamed groups ({summary['grouped_faces']} faces),"
              f" {summary['unknown_faces']} faces unknown")
    return 0


def cmd_name(args) -> int:
    from .people import NameInUse, find_person, name_person

    with open_catalog(args) as catalog:
        person = find_person(catalog, args.person)
        try:
            kept = name_person(catalog, person, args.name, merge_if_taken=args.merge)
        except NameInUse as taken:
            sys.stderr.write(f"faceshelf: {taken.name!r} is already person {taken.person_id}; "
                             f"if they are the same, run `faceshelf name {person} "
                             f"{taken.name!r} --merge` (or `faceshelf merge "
                             f"{taken.person_id} {person}`)\n")
            return 3
    from .people.operations import clean_name

    name = clean_name(args.name)
    if not name:
        print(f"person {kept} has no name again")
    else:
        print(f"person {kept} is now {name!r}" if kept == person else
              f"merged into person {kept} ({name!r})")
    return 0


def cmd_merge(args) -> int:
    from .people import find_person, merge_people

    with open_catalog(args) as catalog:
        target = find_person(catalog, args.target)
        sources = [find_person(catalog, s) for s in args.sources]
        merge_people(catalog, sources, target)
    print(f"merged {', '.join(map(str, sources))} into {target} (`faceshelf undo` reverts)")
    return 0


def cmd_move_faces(args) -> int:
    from .people import PersonNotFound, find_person, move_faces

    with open_catalog(args) as catalog:
        name = None
        if args.to.lower() == "new":
            target = None
        else:
            try:
                target = find_person(catalog, args.to)
            except PersonNotFound:
                if args.to.strip().isdigit():
                    raise
                target, name = None, args.to
        near = _near_names(catalog, name) if name else []
        person = move_faces(catalog, args.faces, target, name=name)
    if name:
        where = f"a new person {name!r} (id {person})"
    else:
        where = f"a new person (id {person})" if target is None else f"person {person}"
    count = len(args.faces)
    print(f"moved {count} face{'' if count == 1 else 's'} to {where}")
    if near:
        print(f"note: no one was named {name!r}; did you mean {' or '.join(map(repr, near))}? "
              f"`faceshelf undo` takes the move back", file=sys.stderr)
    return 0


def _near_names(catalog, name: str) -> list[str]:
    """Names of people close to `name` (a typo would otherwise make a new person silently)."""
    import difflib

    names = [r[0] for r in catalog.execute("SELECT name FROM people WHERE name IS NOT NULL")]
    return difflib.get_close_matches(name, names, n=2, cutoff=0.75)


def cmd_reject(args) -> int:
    from .people import find_person, reject_faces

    with open_catalog(args) as catalog:
        person = find_person(catalog, args.person)
        count = reject_faces(catalog, args.faces, person)
    print(f"{count} faces will never be offered to person {person} again")
    return 0


def cmd_ignore(args) -> int:
    from .people import ignore_faces, ignore_small_groups

    if bool(args.faces) == (args.groups_smaller_than is not None):
        raise ValueError("give face ids or --groups-smaller-than N (one of the two)")
    with open_catalog(args) as catalog:
        if args.faces:
            count = ignore_faces(catalog, args.faces)
        else:
            count = ignore_small_groups(catalog, args.groups_smaller_than)
    print(f"ignored {count} face{'' if count == 1 else 's'}"
          + (" (the others were already ignored)" if args.faces and count < len(args.faces)
             else ""))
    return 0


def cmd_review(args) -> int:
    from .people import (confirm_faces, find_person, get_person, reject_faces, run_update,
                         suggestions)

    with open_catalog(args) as catalog:
        person = get_person(catalog, find_person(catalog, args.person))
        queue = suggestions(catalog, person.id)
        if args.json:
            print_json([{"face_id": s.face_id, "score": round(s.score, 4),
                         "photo_id": s.photo_id, "path": s.path, "source": s.source}
                        for s in queue])
            return 0
        if not queue:
            print(f"nothing to review for {_label(person)}")
            return 0
        print(f"{len(queue)} faces may be {_label(person)}: y = yes, n = no, s = skip, q = quit")
        answers = {"y": 0, "n": 0, "s": 0}
        answered = 0
        for number, s in enumerate(queue, 1):
            why = ("named in the photo's tags" if s.source == "tags"
                   else f"score {s.score:.2f}")
            answer = _ask(f"[{number}/{len(queue)}] face {s.face_id} in "
                          f"{for_terminal(s.path)} ({why}) [y/n/s/q] ")
            if answer == "q":
                break
            if answer == "y":
                confirm_faces(catalog, [s.face_id], person.id)
            elif answer == "n":
                reject_faces(catalog, [s.face_id], person.id)
            answers[answer] += 1
            answered = number
        if answers["y"] or answers["n"]:
            run_update(catalog)  # confirmations are new evidence: re-rank what is left
    left = len(queue) - answered
    print(f"{answers['y']} confirmed, {answers['n']} rejected, {answers['s']} skipped"
          + (f", {left} not seen (quit)" if left else ""))
    return 0


def _ask(prompt: str) -> str:
    while True:
        sys.stdout.write(prompt)
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            return "q"  # end of input
        answer = line.strip().lower()[:1]
        if answer in ("y", "n", "s", "q"):
            return answer


def cmd_add_face(args) -> int:
    from .people import add_face
    from .people.drawn import embed_drawn_face

    with open_catalog(args) as catalog:
        drawn = embed_drawn_face(catalog, args.photo, args.box)
        face_id, person = add_face(catalog, drawn, name=args.name)
    print(f"added face {face_id} to photo {args.photo}"
          + (f", {args.name!r} (person {person})" if person is not None else "")
          + " (`faceshelf undo` takes it back)")
    if not drawn.usable:
        print(f"note: {drawn.too_small_sentence()}", file=sys.stderr)
    return 0


def cmd_undo(args) -> int:
    from .people import undo

    with open_catalog(args) as catalog:
        entry = undo(catalog)
    print("nothing to undo" if entry is None else
          f"undid {entry.action}" + (f" ({entry.about})" if entry.about else ""))
    return 0 if entry is not None else 1


# == search ================================================================================

def _add_search_commands(sub) -> None:
    p = sub.add_parser(
        "search", help="find photos by face, person or outside photo, and by people",
        description="Photos with a face like the query (best match first, one row per photo), "
                    "or, with only --and/--or, the photos of those people. --and/--or/--not "
                    "select by who is assigned in a photo.")
    q = p.add_mutually_exclusive_group()
    q.add_argument("--face", type=_id_arg, metavar="ID",
                   help="a face of the library (faces --json)")
    q.add_argument("--person", metavar="NAME|ID",
                   help="all of this person's faces as queries: photos of them, named or not")
    q.add_argument("--photo", metavar="PATH",
                   help="an outside image (nothing from it is stored); with several faces, "
                        "results per face unless --photo-face")
    q.add_argument("--spec", metavar="FILE",
                   help="the whole search as SearchSpec JSON (- for stdin; see --print-spec)")
    p.add_argument("--photo-face", type=_id_arg, metavar="N",
                   help="search with face N of --photo")
    p.add_argument("--list-faces", action="store_true",
                   help="with --photo: list the faces found in it and stop")
    p.add_argument("--and", dest="people_all", action="append", default=[], metavar="PERSON",
                   help="photos with this person too (repeat: with all of them)")
    p.add_argument("--or", dest="people_any", action="append", default=[], metavar="PERSON",
                   help="photos with at least one of these people (repeatable)")
    p.add_argument("--not", dest="people_not", action="append", default=[], metavar="PERSON",
                   help="photos without this person (repeatable)")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="taken on or after (ISO)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="taken on or before (ISO)")
    p.add_argument("--folder", metavar="PATH", help="only photos under this folder")
    p.add_argument("--min-similarity", type=float, metavar="X",
                   help="cosine threshold (default: the calibrated one)")
    p.add_argument("--top", type=int, metavar="K", help="at most K photos (per query face)")
    p.add_argument("--print-spec", action="store_true",
                   help="print the search as SearchSpec JSON (for --spec, export --search-json)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_search)

    r = sub.add_parser("reindex-search", help="rebuild the face search index now")
    r.add_argument("--kind", choices=("bits", "scan", "annoy"),
                   help="Hamming scan of sign codes, projected exact scan, or annoy trees "
                        "(default: the measured best, see README)")
    r.add_argument("--trees", type=int, metavar="N", help="annoy trees (default: measured)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--json", action="store_true", help="print the new index stamp as JSON")
    r.set_defaults(func=cmd_reindex_search)


def _person_ref(text: str):
    return int(text) if text.strip().isdigit() else text


def _search_spec(args):
    from .search.spec import SearchSpec, read_spec

    if args.spec:
        return read_spec(args.spec, "--spec")
    if args.photo and not os.path.isfile(args.photo):
        raise ValueError(f"--photo {args.photo}: no such file"
                         + (" (it is a folder)" if os.path.isdir(args.photo) else ""))
    return SearchSpec(
        face_id=args.face,
        photo_path=str(Path(args.photo).expanduser().resolve()) if args.photo else None,
        photo_face=args.photo_face,
        similar_to_person=_person_ref(args.person) if args.person else None,
        people_all=[_person_ref(x) for x in args.people_all],
        people_any=[_person_ref(x) for x in args.people_any],
        people_not=[_person_ref(x) for x in args.people_not],
        date_from=args.date_from, date_to=args.date_to, folder=args.folder,
        min_similarity=args.min_similarity, top=args.top)


def _search_row(hit) -> dict:
    row = {"photo": hit.path, "photo_id": hit.photo_id, "face_id": hit.face_id,
           "box": [round(v, 1) for v in hit.box] if hit.box else None,
           "similarity": round(hit.similarity, 4) if hit.similarity is not None else None,
           "person_id": hit.person_id, "person": hit.person_name}
    if hit.query_face is not None:
        row["query_face"] = hit.query_face
    return row


# The search core names a spec's fields; a person who typed flags reads the flags.
_SEARCH_FLAGS = {"date_from": "--from", "date_to": "--to", "min_similarity": "--min-similarity",
                 "top": "--top"}


def _in_flag_words(message: str, flags: dict[str, str]) -> str:
    """A spec validation message with the field it starts with said as the flag typed (only
    there: an album's name or a path may hold the same word)."""
    field = message.split(" ", 1)[0]
    return flags[field] + message[len(field):] if field in flags else message


def cmd_search(args) -> int:
    try:
        return _search(args)
    except ValueError as error:
        if args.spec:  # a JSON spec: its field names are the right words
            raise
        raise ValueError(_in_flag_words(str(error), _SEARCH_FLAGS)) from None


def _search(args) -> int:
    from .search import analyze_outside, search_photos
    from .search.index import SearchIndex, current_model_id

    spec = _search_spec(args)
    if args.print_spec:
        print_json(spec.to_json())
        return 0
    with open_catalog(args, readonly=True) as catalog:
        if args.list_faces and not spec.photo_path:
            raise ValueError("--list-faces goes with --photo")
        if not args.list_faces:
            spec.validate()  # a wrong query is said before the photo is analysed
        # analysed once: the faces listed or counted are those searched with
        photo = (analyze_outside(spec.photo_path, current_model_id(catalog))
                 if spec.photo_path else None)
        if args.list_faces:
            faces = photo.faces
            if args.json:
                print_json([{"face": f.index, "box": [round(v, 1) for v in f.box],
                             "score": round(f.det_score, 3)} for f in faces])
            else:
                for f in faces:
                    print(f"face {f.index}: box {', '.join(f'{v:.0f}' for v in f.box)}  "
                          f"score {f.det_score:.2f}")
                if not faces:
                    print(f"no face found in {for_terminal(spec.photo_path)}")
            return 0
        hits = search_photos(catalog, spec, photo)
        if not hits and photo is not None and not args.json:
            print(_no_match_with_photo(spec, len(photo.faces)))
            return 0
        model_id = current_model_id(catalog)
        index = (SearchIndex.for_catalog(catalog, model_id)
                 if model_id is not None and spec.is_similarity_query else None)
        behind = index is not None and index.needs_rebuild(
            catalog.conn, count_dead=False)  # deleted faces slow nothing down
        damaged = behind and index.damaged
        if damaged:
            _rebuild_damaged_index(catalog, model_id, damaged)  # the answer above was exact
            behind = False
    if args.json:
        print_json([_search_row(h) for h in hits])
    else:
        _print_hits(hits)
    if behind:
        sys.stderr.write("the search index is behind the library (results are complete, but "
                         "slower): run `faceshelf reindex-search`\n")
    return 0


def _no_match_with_photo(spec, faces: int) -> str:
    """What a search by an outside photo that found nothing looked for."""
    photo = for_terminal(spec.photo_path)
    if not faces:
        return f"no face found in {photo}"
    narrowed = (spec.people_all or spec.people_any or spec.people_not or spec.date_from
                or spec.date_to or spec.folder)
    where = "in the photos chosen" if narrowed else "in the library"
    if spec.photo_face is not None:
        return f"face {spec.photo_face} of {photo} is like no face {where}"
    if faces == 1:
        return f"1 face was found in {photo}; it is like no face {where}"
    return (f"{faces} faces were found in {photo}; none of them is like a face "
            f"{where}")


def _rebuild_damaged_index(catalog, model_id: str, why: str) -> None:
    from .search.index import build_index

    log.warning("rebuilding the search index of %s (the one there was not used: %s)",
                catalog.dir, why)
    try:
        for _ in build_index(catalog, model_id):
            pass
    except OSError as error:  # a read-only catalog folder: exact searches until it is writable
        log.warning("could not rebuild the search index: %s", error)


def _print_hits(hits) -> None:

    if not hits:
        print("no photos found")
        return
    current = object()
    for hit in hits:
        if hit.query_face is not None and hit.query_face != current:
            current = hit.query_face
            print(f"-- face {current} of the photo:")
        score = f"{hit.similarity:6.3f}" if hit.similarity is not None else "      "
        who = (f"  [{for_terminal(hit.person_name) or f'person {hit.person_id}'}]"
               if hit.person_id else "")
        print(f"{score}  {for_terminal(hit.path)}  (face {hit.face_id}){who}")


def cmd_reindex_search(args) -> int:
    from dataclasses import asdict

    from .jobs import Cancelled
    from .search.index import (DEFAULT_KIND, DEFAULT_TREES, build_index, current_model_id,
                               read_stamp)

    token = interruptible()
    with open_catalog(args, readonly=True) as catalog:
        model_id = current_model_id(catalog)
        if model_id is None:
            print("no faces in the catalog: nothing to index")
            return 0
        try:
            run_with_progress(build_index(catalog, model_id, cancel=token,
                                          kind=args.kind or DEFAULT_KIND,
                                          n_trees=args.trees or DEFAULT_TREES),
                              quiet=args.quiet or args.json)
        except Cancelled:
            sys.stderr.write("stopped; the previous search index stays in use\n")
            return 130
        stamp = read_stamp(catalog.index_dir, model_id)
    if args.json:
        print_json(asdict(stamp))
    else:
        size = f"{stamp.dims} bits" if stamp.kind == "bits" else f"{stamp.dims} d"
        print(f"search index ({stamp.kind}, {size}): {stamp.count} faces, "
              f"{stamp.build_seconds:.1f} s")
    return 0


# == export ================================================================================

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


def _add_export_commands(sub) -> None:
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
    q.add_argument("--face", type=_id_arg, metavar="ID", help="photos with a face like this one")
    q.add_argument("--photo", metavar="PATH", help="photos with a face like one in this image")
    q.add_argument("--photo-face", type=_id_arg, metavar="N", help="which face of --photo")
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
        _add_global_options(p, on_command=True)


def _export_spec(args):
    from .export import ExportError
    from .search.spec import SearchSpec

    if args.search_json:
        mixed = [f for f in _QUERY_FLAGS if f != "search_json" and getattr(args, f)]
        if mixed or args.any:
            raise ExportError("--search-json is the whole query; drop the other query options")
        from .search.spec import read_spec

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
    from .export import ExportError, ExportOptions, ExportRequest

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


def _keep_result(job, box: list):
    """Drive `job` for run_with_progress and keep the generator's return value."""
    box.append((yield from job))


def _cmd_export(args) -> int:
    from .export import ExportBusy, ExportError, run_export

    previous_handler = signal.getsignal(signal.SIGINT)
    try:
        request = _export_request(args)
        with open_catalog(args) as cat:
            result: list = []
            run_with_progress(_keep_result(run_export(cat, request, interruptible()), result),
                              quiet=args.json or args.dry_run)
            summary = result[0]
    except ExportBusy as error:  # busy, as for a second index: try again later
        sys.stderr.write(f"faceshelf export: {error}\n")
        return 4
    except ExportError as error:
        text = str(error) if args.search_json else _in_flag_words(str(error), _EXPORT_FLAGS)
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


_EXPORT_FLAGS = {**_SEARCH_FLAGS, "date_from": "--since", "date_to": "--until"}


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
    from .export import STOP_MESSAGES

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
    out.write(f"{for_terminal(s.destination)}{album}: {s.photos_matched} photo(s) match; added {s.added}"
              f"{_changes(s)}, skipped {s.skipped} already there, removed {s.removed}, "
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
    from .export import delete_album, list_albums

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
    from .export import ExportError, album_deletion_plan, delete_album, rename_album

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


# == desktop: install-desktop-entry ========================================================

def _add_desktop_commands(sub) -> None:
    p = sub.add_parser("install-desktop-entry",
                       help="add Faceshelf to the desktop's app launcher (Linux; see README "
                            "for macOS and Windows)")
    p.add_argument("--uninstall", action="store_true", help="remove it from the launcher")
    p.set_defaults(func=cmd_install_desktop_entry)


def cmd_install_desktop_entry(args) -> int:
    from . import desktop_entry

    if args.uninstall:
        removed = desktop_entry.uninstall()
        print("removed " + " and ".join(map(str, removed)) if removed else
              "there was no Faceshelf desktop entry to remove")
        return 0
    files = desktop_entry.install()
    print(f"added Faceshelf to the launcher: {files.entry} (icon {files.icon})")
    return 0


# == entry point ===========================================================================

# Options that go before or after the command: `faceshelf --catalog C status --json` and
# `faceshelf status --catalog C --json` are the same. --catalog and -v go with every command;
# --quiet and --json only with the commands that have them.
_WHERE_IT_APPLIES = ("quiet", "json")


def _add_global_options(parser: argparse.ArgumentParser, *, on_command: bool = False) -> None:
    """On the main parser with real defaults; on each command with SUPPRESS, so that a value
    given before the command is not reset by the command's own default."""
    parser.add_argument("--catalog", metavar="DIR",
                        default=argparse.SUPPRESS if on_command else None,
                        help="catalog folder (default: the user data folder for faceshelf)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        default=argparse.SUPPRESS if on_command else False, help="log more")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faceshelf",
        description="Find the people in your own photos. Everything stays on this computer.")
    from . import __version__  # what pyproject.toml's dynamic version reads: no metadata lookup

    parser.add_argument("--version", action="version", version=f"faceshelf {__version__}",
                        help="print the version and stop")
    _add_global_options(parser)
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar (for the commands that show one)")
    parser.add_argument("--json", action="store_true",
                        help="machine-readable output (for the commands that have it)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_engine_commands(sub)
    _add_people_commands(sub)
    _add_search_commands(sub)
    _add_export_commands(sub)
    from .health_cli import add_health_commands

    add_health_commands(sub)
    from .tags_cli import add_import_tags_command

    add_import_tags_command(sub)
    _add_desktop_commands(sub)
    for command in sub.choices.values():
        _add_global_options(command, on_command=True)
        has = {action.dest: action for action in command._actions}  # argparse has no getter
        for name in _WHERE_IT_APPLIES:
            if name in has:
                has[name].default = argparse.SUPPRESS
        command.set_defaults(_has_options=frozenset(n for n in _WHERE_IT_APPLIES if n in has))
    return parser


def _refuse_inapplicable(parser: argparse.ArgumentParser, args) -> None:
    for name in _WHERE_IT_APPLIES:
        if getattr(args, name, False) and name not in args._has_options:
            parser.error(f"`faceshelf {args.command}` has no --{name}")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a handler holding the stream it was
    made with breaks when that stream is swapped and closed, as test runners do)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    if args.command:
        _refuse_inapplicable(parser, args)
    if not args.command:
        from gui.app import main as gui_main  # the only place core reaches for the GUI

        return gui_main(catalog=args.catalog)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("aborted\n")
        return 130
    except BrokenPipeError:  # `faceshelf people | head`: the reader left, not an error
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a clear message, not a traceback, for expected failures
        from .catalog import CatalogError
        from .health_cli import report_unusable

        status = report_unusable(error, args)  # damaged, unusable or read-only: 5 or 6
        if status is not None:
            return status
        from .faces.models import ModelError

        from .index_lock import IndexBusy

        if isinstance(error, OSError) and error.strerror:  # not "[Errno 2] ...": words
            what = f" {error.filename}" if error.filename else ""
            sys.stderr.write(f"faceshelf: cannot use{what}: {error.strerror.lower()}\n")
            return 2 if isinstance(error, (FileNotFoundError, NotADirectoryError,
                                           IsADirectoryError, PermissionError)) else 1
        if isinstance(error, (CatalogError, ModelError, FileNotFoundError, ValueError)):
            sys.stderr.write(f"faceshelf: {error}\n")
            return 2
        if isinstance(error, OverflowError):  # a number past what SQLite holds, not caught
            sys.stderr.write(f"faceshelf: a number given is too large ({error})\n")  # earlier
            return 2
        if isinstance(error, IndexBusy):
            sys.stderr.write(f"faceshelf: {error}\n")
            return 4
        raise


if __name__ == "__main__":
    sys.exit(main())
