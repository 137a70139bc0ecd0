"""The people commands that change who is who: name, merge, move-faces, reject, ignore,
add-face (each one undoable) and undo. Registered with the others in people.py."""

from __future__ import annotations

import sys

from .options import open_catalog


def cmd_name(args) -> int:
    from ..people import NameInUse, find_person, name_person

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
    from ..people.operations import clean_name

    name = clean_name(args.name)
    if not name:
        print(f"person {kept} has no name again")
    else:
        print(f"person {kept} is now {name!r}" if kept == person else
              f"merged into person {kept} ({name!r})")
    return 0


def cmd_merge(args) -> int:
    from ..people import find_person, merge_people

    with open_catalog(args) as catalog:
        target = find_person(catalog, args.target)
        sources = [find_person(catalog, s) for s in args.sources]
        merge_people(catalog, sources, target)
    print(f"merged {', '.join(map(str, sources))} into {target} (`faceshelf undo` reverts)")
    return 0


def cmd_move_faces(args) -> int:
    from ..people import PersonNotFound, find_person, move_faces

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

    from ..library import person_names

    names = [n for _id, n in person_names(catalog)]
    return difflib.get_close_matches(name, names, n=2, cutoff=0.75)


def cmd_reject(args) -> int:
    from ..people import find_person, reject_faces

    with open_catalog(args) as catalog:
        person = find_person(catalog, args.person)
        count = reject_faces(catalog, args.faces, person)
    print(f"{count} faces will never be offered to person {person} again")
    return 0


def cmd_ignore(args) -> int:
    from ..people import ignore_faces, ignore_small_groups

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


def cmd_add_face(args) -> int:
    from ..people import add_face
    from ..people.drawn import embed_drawn_face

    with open_catalog(args) as catalog:
        drawn = embed_drawn_face(catalog, args.photo, (args.x1, args.y1, args.x2, args.y2))
        face_id, person = add_face(catalog, drawn, name=args.name)
    print(f"added face {face_id} to photo {args.photo}"
          + (f", {args.name!r} (person {person})" if person is not None else "")
          + " (`faceshelf undo` takes it back)")
    if not drawn.usable:
        print(f"note: {drawn.too_small_sentence()}", file=sys.stderr)
    return 0


def cmd_undo(args) -> int:
    from ..people import undo

    with open_catalog(args) as catalog:
        entry = undo(catalog)
    print("nothing to undo" if entry is None else
          f"undid {entry.action}" + (f" ({entry.about})" if entry.about else ""))
    return 0 if entry is not None else 1

