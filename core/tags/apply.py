"""Imported names onto the catalog's faces, inside the caller's transaction.

A tagged face becomes the named person's, assigned_by='user': the user named it, in another
program, so it is evidence and later clustering never moves it. Conflicts are never resolved
silently: when the user already said something else about that face in Faceshelf (another
person, "not a face", "not this person"), the user's choice stays and the conflict is listed.
Names differing only in case or spacing are one person, whichever program wrote them.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..people.undo import bump_people_revision
from .read import name_key

COUNTED = ("matched", "created", "assigned", "already", "conflict", "offered", "skipped")


@dataclass
class Outcome:
    path: str
    source: str
    name: str
    action: str                  # one of COUNTED
    face_id: int | None = None
    detail: str = ""


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)    # (path, problem)
    photos: int = 0
    photos_with_tags: int = 0
    people_created: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        by_source: dict[str, Counter] = defaultdict(Counter)
        for outcome in self.outcomes:
            by_source[outcome.source][outcome.action] += 1
        return {source: {action: counter[action] for action in COUNTED}
                for source, counter in sorted(by_source.items())}

    def as_json(self) -> dict:
        return {
            "photos": self.photos, "photos_with_tags": self.photos_with_tags,
            "counts": self.counts(), "people_created": sorted(set(self.people_created)),
            "conflicts": [vars(o) for o in self.outcomes if o.action == "conflict"],
            "offered": [vars(o) for o in self.outcomes if o.action == "offered"],
            "skipped": [vars(o) for o in self.outcomes if o.action == "skipped"],
            "problems": [{"path": p, "problem": m} for p, m in self.problems],
            "outcomes": [vars(o) for o in self.outcomes],
        }


class People:
    """Named people by name key. Looked up one name at a time (an index run meets a few names
    per photo, the library may have thousands of people): stored names are already
    space-collapsed, so SQLite's NOCASE finds an ASCII name; other names are compared by
    casefold over the named people, once per name."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.by_key: dict[str, int | None] = {}
        self.names: dict[int, str] = {}

    def find(self, name: str) -> int | None:
        key = name_key(name)
        if key not in self.by_key:
            self.by_key[key] = self._lookup(" ".join(name.split()), key)
        return self.by_key[key]

    def _lookup(self, name: str, key: str) -> int | None:
        if name.isascii():
            rows = self.conn.execute("SELECT id, name FROM people WHERE name = ? COLLATE NOCASE "
                                     "ORDER BY id LIMIT 1", (name,)).fetchall()
        else:
            rows = [r for r in self.conn.execute(
                "SELECT id, name FROM people WHERE name IS NOT NULL ORDER BY id")
                if name_key(r[1]) == key][:1]
        for person_id, stored in rows:
            self.names[person_id] = stored
            return person_id
        return None

    def get_or_create(self, name: str, report: ImportReport) -> int:
        person_id = self.find(name)
        if person_id is None:
            now = time.time()
            person_id = self.conn.execute(
                "INSERT INTO people(name, created_at, updated_at) VALUES (?, ?, ?)",
                (name, now, now)).lastrowid
            self.by_key[name_key(name)] = person_id
            self.names[person_id] = name
            report.people_created.append(name)
        return person_id


def record_notes(conn, photo_id: int, problems: list[str], outcomes: list[Outcome]) -> None:
    """The photo's tag notes, replacing the previous reading's."""
    now = time.time()
    conn.execute("DELETE FROM tag_notes WHERE photo_id = ?", (photo_id,))
    conn.executemany("INSERT INTO tag_notes(photo_id, kind, source, message, at) "
                     "VALUES (?, 'problem', NULL, ?, ?)", [(photo_id, p, now) for p in problems])
    conn.executemany(
        "INSERT INTO tag_notes(photo_id, kind, source, message, at) VALUES (?, ?, ?, ?, ?)",
        [(photo_id, "conflict" if o.action == "conflict" else "offer", o.source,
          f"{o.name}: {o.detail}", now)
         for o in outcomes if o.action in ("conflict", "offered")])


def apply_photo_tags(conn, people: People, report: ImportReport, photo_id: int, path: str,
                     tagged: list[tuple[int | None, str, str, bool]],
                     names: list[tuple[str, str]], *, dry_run: bool = False) -> list[Outcome]:
    """`tagged`: (face id, name, source, created) per region (face id None: a face that a dry
    run would create); `names`: (name, source) without a box. Returns the outcomes."""
    outcomes: list[Outcome] = []
    faces = {row[0]: row[1:] for row in conn.execute(
        "SELECT f.id, f.person_id, f.assigned_by, f.ignored, p.name FROM faces f "
        "LEFT JOIN people p ON p.id = f.person_id WHERE f.photo_id = ?", (photo_id,))}
    changed = False
    for face_id, name, source, created in tagged:
        action = "created" if created else "matched"
        if face_id is None or face_id not in faces:
            outcomes.append(Outcome(path, source, name, action, face_id))
            continue
        person, by, ignored, current = faces[face_id]
        target = people.find(name)
        rejected = target is not None and conn.execute(
            "SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?",
            (face_id, target)).fetchone() is not None
        if ignored:   # "not a face" holds for an imported face too, indexed again or not
            outcomes.append(Outcome(path, source, name, "conflict", face_id,
                                    "you ignored this face in Faceshelf; it stays ignored"))
            continue
        if rejected:
            outcomes.append(Outcome(path, source, name, "conflict", face_id,
                                    f"you said this face is not {people.names[target]}; "
                                    "that stays"))
            continue
        if by == "user" and person is not None:
            if current is not None and name_key(current) == name_key(name):
                outcomes.append(Outcome(path, source, name, "already", face_id))
            else:
                label = current or f"unnamed person #{person}"
                outcomes.append(Outcome(path, source, name, "conflict", face_id,
                                        f"you put this face with {label}; that stays"))
            continue
        outcomes.append(Outcome(path, source, name, action, face_id))
        if dry_run:
            if target is None:
                report.people_created.append(name)
            faces[face_id] = (None, "user", 0, name)
            continue
        target = people.get_or_create(name, report)
        conn.execute("UPDATE faces SET person_id = ?, assigned_by = 'user', ignored = 0 "
                     "WHERE id = ?", (target, face_id))
        conn.execute("DELETE FROM suggestions WHERE face_id = ?", (face_id,))
        faces[face_id] = (target, "user", 0, name)
        changed = True
    changed |= _names_without_box(conn, people, report, photo_id, path, names, faces, outcomes,
                                  dry_run)
    if changed:
        bump_people_revision(conn)
    report.outcomes += outcomes
    return outcomes


def _names_without_box(conn, people, report, photo_id, path, names, faces, outcomes,
                       dry_run) -> bool:
    """A name without a box goes to the photo's one face nobody has, if it is clear: exactly
    one face not ignored and not with a named person, and no suggestion of someone else for
    it. Otherwise it is offered (listed) for the user to place."""
    changed = False
    for name, source in names:
        here = [f for f, (person, by, ignored, current) in faces.items()
                if current is not None and name_key(current) == name_key(name)]
        if here:
            outcomes.append(Outcome(path, source, name, "already", here[0]))
            continue
        free = [f for f, (person, by, ignored, current) in faces.items()
                if not ignored and current is None]
        if len(free) == 1:
            face_id = free[0]
            target = people.find(name)
            others = conn.execute("SELECT 1 FROM suggestions WHERE face_id = ? AND person_id "
                                  "IS NOT ?", (face_id, target)).fetchone()
            rejected = target is not None and conn.execute(
                "SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?",
                (face_id, target)).fetchone()
            if not others and not rejected and faces[face_id][1] != "user":
                outcomes.append(Outcome(path, source, name, "assigned", face_id))
                if dry_run:
                    faces[face_id] = (None, "user", 0, name)
                    continue
                target = people.get_or_create(name, report)
                conn.execute("UPDATE faces SET person_id = ?, assigned_by = 'user' WHERE id = ?",
                             (target, face_id))
                conn.execute("DELETE FROM suggestions WHERE face_id = ?", (face_id,))
                faces[face_id] = (target, "user", 0, name)
                changed = True
                continue
        why = (f"{len(free)} faces without a name in this photo" if len(free) != 1 else
               "its one unnamed face looks like someone else")
        if not faces:
            why = "no face was found in this photo"
        asked = _offer_in_review(conn, people, report, name, free, dry_run)
        where = "offered in Review" if asked else "place it by hand (draw the face)"
        outcomes.append(Outcome(path, source, name, "offered", None,
                                f"named in the file without a box; {why}: {where}"))
    return changed


def _offer_in_review(conn, people, report, name, face_ids, dry_run) -> int:
    """Ask in Review whether each of these faces is `name` (not those the user already said
    are not them). How many faces are asked about."""
    target = people.find(name)
    if target is not None:
        rejected = {row[0] for row in conn.execute(
            f"SELECT face_id FROM face_rejections WHERE person_id = ? AND face_id IN "
            f"({','.join('?' * len(face_ids))})", (target, *face_ids))} if face_ids else set()
        face_ids = [f for f in face_ids if f not in rejected]
    if not face_ids or dry_run:
        return len(face_ids)
    target = people.get_or_create(name, report)
    conn.executemany("INSERT INTO suggestions(face_id, person_id, score, source) "
                     "VALUES (?, ?, 0, 'tags') ON CONFLICT(face_id, person_id) "
                     "DO UPDATE SET source = 'tags'", [(f, target) for f in face_ids])
    return len(face_ids)
