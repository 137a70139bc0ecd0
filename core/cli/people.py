"""The people commands: people, person, cluster, review, and the edits (people_edits.py):
name, merge, move-faces, reject, ignore, undo, add-face."""

from __future__ import annotations

import json
import sys

from ..text import for_terminal
from . import people_edits as edits
from .options import count_arg, id_arg, open_catalog
from .terminal import (interruptible, keep_result, print_json, run_with_progress,
                       write_json_lines)


def add_commands(sub) -> None:
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
    p.set_defaults(func=edits.cmd_name)

    p = sub.add_parser("merge", help="merge people B... into A (undo with `faceshelf undo`)")
    p.add_argument("target", metavar="A")
    p.add_argument("sources", nargs="+", metavar="B")
    p.set_defaults(func=edits.cmd_merge)

    p = sub.add_parser("move-faces", help="assign faces by hand to a person")
    p.add_argument("faces", nargs="+", type=id_arg, metavar="FACE")
    p.add_argument("--to", required=True, metavar="ID|NAME|new",
                   help="a person; an unknown NAME or `new` creates a person")
    p.set_defaults(func=edits.cmd_move_faces)

    p = sub.add_parser("reject", help="\"not this person\": remembered for good")
    p.add_argument("faces", nargs="+", type=id_arg, metavar="FACE")
    p.add_argument("--from", dest="person", required=True, metavar="ID|NAME")
    p.set_defaults(func=edits.cmd_reject)

    p = sub.add_parser("ignore", help="ignore faces (not a face, a stranger), or every small "
                                      "unnamed group")
    p.add_argument("faces", nargs="*", type=id_arg, metavar="FACE")
    p.add_argument("--groups-smaller-than", type=count_arg, metavar="N",
                   help="ignore the faces of unnamed groups with fewer than N faces")
    p.set_defaults(func=edits.cmd_ignore)

    p = sub.add_parser("review", help="confirm or reject the faces suggested for a person")
    p.add_argument("person", metavar="ID|NAME")
    p.add_argument("--json", action="store_true", help="list the suggestions, change nothing")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("undo", help="undo the last people operation")
    p.set_defaults(func=edits.cmd_undo)

    p = sub.add_parser("add-face", help="a face the detector missed: embed the box drawn "
                                        "(pixels of the upright photo) and store it")
    p.add_argument("photo", type=id_arg, metavar="PHOTO_ID")
    # Four positionals, not nargs=4 with a tuple metavar: Python 3.11's help crashes on that.
    for corner in ("x1", "y1", "x2", "y2"):
        p.add_argument(corner, type=float, metavar=corner.upper())
    p.add_argument("--name", metavar="NAME", help="whose face (a new name makes a person)")
    p.set_defaults(func=edits.cmd_add_face)


def update_people_after(catalog, token, *, quiet: bool = False,
                        as_json: bool = False) -> dict | None:
    """After `remove-folder` and `import-tags` (`index` has it in its workflow): assign new
    faces and regroup, showing progress; its summary, printed unless `as_json`."""
    from ..photo_indexing import people_update

    if token.cancelled:
        return None
    counters: list = []
    run_with_progress(keep_result(people_update(catalog, token), counters),
                      quiet=quiet or as_json)
    return report_people(counters[0] if counters else None, as_json=as_json)


def report_people(counters: dict | None, *, as_json: bool) -> dict | None:
    """The summary of a people update that followed other work (None: it did not run to its
    end), and its line unless `as_json`."""
    if counters is None:
        return None
    summary = people_summary(counters)
    if not as_json:
        print(f"people: {summary['auto_assigned']} faces joined known people, "
              f"{summary['suggested']} to review, {summary['groups']} unnamed groups")
    return summary


def people_summary(counters: dict) -> dict:
    """What a people update reports (--json), from its last Progress's counters."""
    return dict({k: counters[k] for k in ("auto_assigned", "suggested", "groups",
                                          "grouped_faces", "unknown_faces")},
                skipped=bool(counters["skipped"]))


def _label(person) -> str:
    """A person as printed: a name stored with control characters by an older version is
    shown escaped, never sent raw to the terminal (core/text.py)."""

    return for_terminal(person.name) if person.name is not None else f"(unnamed #{person.id})"


def cmd_people(args) -> int:
    from ..people import list_people, people_face_ids_json

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
            write_json_lines(lines)
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
    from ..people import find_person, get_person, person_faces, person_photos, suggestions

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
    from ..jobs import Cancelled
    from ..people import update_people

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
    summary = people_summary(last.counters)
    if args.json:
        print_json(summary)
    elif summary["skipped"]:
        print("nothing changed since the last run")
    else:
        print(f"{summary['auto_assigned']} faces joined known people, {summary['suggested']} "
              f"to review; {summary['groups']} unnamed groups ({summary['grouped_faces']} faces),"
              f" {summary['unknown_faces']} faces unknown")
    return 0


def cmd_review(args) -> int:
    from ..people import (confirm_faces, find_person, get_person, reject_faces, run_update,
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


