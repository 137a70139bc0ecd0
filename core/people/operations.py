"""What the user does to people. Each operation is one BEGIN IMMEDIATE transaction that re-reads
what it needs inside, so a GUI and a CLI working on the same catalog never lose each other's
changes; each records an undo entry (see undo.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from ..catalog import Catalog
from ..text import clean_text
from .records import NameInUse, PersonNotFound, UndoEntry
from .queries import ANCHORED, person_by_name
from .undo import Recorder, faces_phrase, last_entry, person_label, restore


def _ids(values: Iterable) -> list[int]:
    return sorted({int(v) for v in values})


def _marks(values) -> str:
    return ",".join("?" * len(values))


def _require_person(conn, person_id: int) -> None:
    if conn.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone() is None:
        raise PersonNotFound(person_id)


def _spaces_collapsed(name) -> str:
    """Runs of white space (newlines, tabs) made one space, none at the ends; what is not
    text (control characters, noncharacters, lone surrogates) dropped: core/text.py."""
    return clean_text(name)


def _clean_name(name: str) -> str:
    cleaned = _spaces_collapsed(name)
    if not cleaned:
        raise ValueError("a name cannot be empty")
    return cleaned


def _touch(conn, person_id: int) -> None:
    conn.execute("UPDATE people SET updated_at = ? WHERE id = ?", (time.time(), person_id))


def _new_person(conn, rec: Recorder, name: str | None = None) -> int:
    now = time.time()
    person_id = conn.execute("INSERT INTO people(name, created_at, updated_at) VALUES (?, ?, ?)",
                             (name, now, now)).lastrowid
    rec.created(person_id)
    return person_id


def _drop_empty_unnamed(conn, rec: Recorder, person_ids: Iterable[int]) -> None:
    """Unnamed groups left without faces disappear (named people stay, even empty)."""
    for person_id in set(person_ids):
        if person_id is None:
            continue
        row = conn.execute("SELECT name, (SELECT COUNT(*) FROM faces WHERE person_id = p.id) "
                           "FROM people p WHERE id = ?", (person_id,)).fetchone()
        if row is not None and row[0] is None and row[1] == 0:
            rec.person(person_id)
            conn.execute("DELETE FROM people WHERE id = ?", (person_id,))


def _owners(conn, face_ids: list[int]) -> set[int]:
    owners: set[int] = set()
    for start in range(0, len(face_ids), 500):
        chunk = face_ids[start:start + 500]
        owners |= {r[0] for r in conn.execute(
            f"SELECT DISTINCT person_id FROM faces WHERE id IN ({_marks(chunk)}) "
            "AND person_id IS NOT NULL", chunk)}
    return owners


def _existing_faces(conn, face_ids: list[int]) -> list[int]:
    found = []
    for start in range(0, len(face_ids), 500):
        chunk = face_ids[start:start + 500]
        found += [r[0] for r in conn.execute(
            f"SELECT id FROM faces WHERE id IN ({_marks(chunk)})", chunk)]
    if len(found) != len(face_ids):
        missing = sorted(set(face_ids) - set(found))
        raise ValueError(f"no face {missing[0]}" if len(missing) == 1 else
                         f"no faces {', '.join(map(str, missing[:10]))}")
    return found


# -- naming ----------------------------------------------------------------------------------

MAX_NAME_LENGTH = 200


def clean_name(name: str | None) -> str:
    """A name as stored: runs of white space (newlines, tabs) made one space, control
    characters, noncharacters and lone surrogates dropped (core/text.py); "" for none.
    ValueError for a name no one could use: too long, or digits only (everywhere a person
    is given by name or id, digits are read as the id)."""
    name = _spaces_collapsed(name) if name is not None else ""
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a name is at most {MAX_NAME_LENGTH} characters, not {len(name)}")
    if name.isdigit():
        raise ValueError(f"a name cannot be only digits ({name!r} reads as a person id)")
    return name


def name_person(catalog: Catalog, person_id: int, name: str | None, *,
                merge_if_taken: bool = False) -> int:
    """Name or rename a person (None or blank: back to unnamed); returns the id that now
    carries the name.

    If another person already has this name, raises NameInUse (the caller offers the merge),
    or with merge_if_taken merges this person into the named one.
    """
    name = clean_name(name)
    with catalog.transaction() as conn:
        _require_person(conn, person_id)
        other = person_by_name(conn, name, exclude=person_id) if name else None
        if other is not None:
            if not merge_if_taken:
                raise NameInUse(name, other)
            _merge(conn, other, [person_id], "name")
            return other
        rec = Recorder(conn, "name")
        rec.person(person_id)
        rec.about = f"{person_label(conn, person_id)} -> {name or 'unnamed'}"
        conn.execute("UPDATE people SET name = ?, updated_at = ? WHERE id = ?",
                     (name or None, time.time(), person_id))
        rec.save()
        return person_id


def set_hidden(catalog: Catalog, person_id: int, hidden: bool = True) -> None:
    with catalog.transaction() as conn:
        _require_person(conn, person_id)
        rec = Recorder(conn, "hide" if hidden else "unhide")
        rec.person(person_id)
        rec.about = person_label(conn, person_id)
        conn.execute("UPDATE people SET hidden = ?, updated_at = ? WHERE id = ?",
                     (int(hidden), time.time(), person_id))
        rec.save()


def set_cover(catalog: Catalog, person_id: int, face_id: int | None) -> None:
    """Choose the face shown for the person (None: back to the best-quality face)."""
    with catalog.transaction() as conn:
        _require_person(conn, person_id)
        if face_id is not None and conn.execute(
                "SELECT 1 FROM faces WHERE id = ? AND person_id = ? AND ignored = 0",
                (face_id, person_id)).fetchone() is None:
            raise ValueError(f"face {face_id} is not a face of person {person_id}")
        rec = Recorder(conn, "cover")
        rec.person(person_id)
        rec.about = person_label(conn, person_id)
        conn.execute("UPDATE people SET cover_face_id = ?, updated_at = ? WHERE id = ?",
                     (face_id, time.time(), person_id))
        rec.save()


# -- merging and moving ----------------------------------------------------------------------

def merge_people(catalog: Catalog, sources: Iterable[int], target: int) -> int:
    """Move every face of `sources` into `target` and delete the sources; returns target.

    The target keeps its name (or takes the first source's name if it has none). Rejections
    follow the faces' person: a face rejected from one of them is never offered to the merged
    person, and a face already rejected from the target leaves to unknown.
    """
    if isinstance(sources, int) and not isinstance(target, int):
        sources, target = target, sources  # tolerate merge_people(catalog, target, [sources])
    sources = [s for s in _ids(sources) if s != target]
    if not sources:
        raise ValueError("nothing to merge: name at least one other person")
    with catalog.transaction() as conn:
        _merge(conn, target, sources, "merge")
    return target


def _merge(conn, target: int, sources: list[int], action: str) -> None:
    _require_person(conn, target)
    for source in sources:
        _require_person(conn, source)
    rec = Recorder(conn, action)
    rec.person(target)
    rec.about = (", ".join(person_label(conn, s) for s in sources)
                 + f" into {person_label(conn, target)}")
    face_ids = [r[0] for r in conn.execute(
        f"SELECT id FROM faces WHERE person_id IN ({_marks(sources)})", sources)]
    rec.faces(face_ids)
    name = conn.execute("SELECT name FROM people WHERE id = ?", (target,)).fetchone()[0]
    for source in sources:
        rec.person(source)
        rec.rejections_removed(conn.execute(
            "SELECT face_id, person_id, at FROM face_rejections WHERE person_id = ?", (source,)))
        source_name, cover = conn.execute("SELECT name, cover_face_id FROM people WHERE id = ?",
                                          (source,)).fetchone()
        if name is None and source_name is not None:
            name = source_name
        conn.execute("UPDATE people SET cover_face_id = ? WHERE id = ? AND cover_face_id IS NULL",
                     (cover, target))
        for (face_id,) in conn.execute(
                "SELECT face_id FROM face_rejections WHERE person_id = ? EXCEPT "
                "SELECT face_id FROM face_rejections WHERE person_id = ?", (source, target)):
            conn.execute("INSERT INTO face_rejections(face_id, person_id, at) VALUES (?, ?, ?)",
                         (face_id, target, time.time()))
            rec.rejection_added(face_id, target)
    conn.execute(f"UPDATE faces SET person_id = ?, assigned_by = COALESCE(assigned_by, 'cluster') "
                 f"WHERE person_id IN ({_marks(sources)})", [target, *sources])
    if name is None:
        # Merging unnamed groups is the user saying "one person": its faces count as assigned
        # by them (as after "move to"), which anchors the group; else the next re-clustering
        # would split it up again.
        rec.faces([r[0] for r in conn.execute("SELECT id FROM faces WHERE person_id = ? AND "
                                              "assigned_by = 'cluster'", (target,))])
        conn.execute("UPDATE faces SET assigned_by = 'user' WHERE person_id = ? AND "
                     "assigned_by = 'cluster'", (target,))
    # A face the user said is not this person stays out, whichever side it came from.
    conn.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE person_id = ? AND "
                 "id IN (SELECT face_id FROM face_rejections WHERE person_id = ?)",
                 (target, target))
    conn.execute(f"DELETE FROM people WHERE id IN ({_marks(sources)})", sources)
    # (a saved album asking for a source follows it here; undo brings the source back, and a
    # person that exists is never redirected)
    conn.executemany("INSERT OR REPLACE INTO person_merges(source, target) VALUES (?, ?)",
                     [(source, target) for source in sources])
    conn.execute("UPDATE people SET name = ?, updated_at = ? WHERE id = ?",
                 (name, time.time(), target))
    rec.save()


def move_faces(catalog: Catalog, face_ids: Iterable[int], to: int | None, *,
               name: str | None = None) -> int:
    """Assign faces by hand to person `to` (None: a new person, optionally named).

    The faces become assigned_by='user': later clustering never moves them. Returns the person.
    """
    return _assign_faces(catalog, face_ids, to, name, action="move", joined="to")


def _assign_faces(catalog: Catalog, face_ids: Iterable[int], to: int | None,
                  name: str | None, *, action: str, joined: str) -> int:
    """The one change behind a move and a confirmation; `action` and `joined` are how the undo
    log says it ("move": "3 faces to Anna", "confirm": "3 faces as Anna")."""
    face_ids = _ids(face_ids)
    with catalog.transaction() as conn:
        _existing_faces(conn, face_ids)
        rec = Recorder(conn, action)
        if to is None:
            if name is not None and person_by_name(conn, _clean_name(name)) is not None:
                raise NameInUse(_clean_name(name), person_by_name(conn, _clean_name(name)))
            to = _new_person(conn, rec, _clean_name(name) if name is not None else None)
        else:
            _require_person(conn, to)
            rec.person(to)
        rec.faces(face_ids)
        old_owners = _owners(conn, face_ids)
        for start in range(0, len(face_ids), 500):
            chunk = face_ids[start:start + 500]
            # The user's explicit choice overrides an earlier "not this person" for these faces.
            removed = conn.execute(
                f"SELECT face_id, person_id, at FROM face_rejections WHERE person_id = ? "
                f"AND face_id IN ({_marks(chunk)})", [to, *chunk]).fetchall()
            rec.rejections_removed(removed)
            conn.execute(f"DELETE FROM face_rejections WHERE person_id = ? AND face_id IN "
                         f"({_marks(chunk)})", [to, *chunk])
            conn.execute(f"UPDATE faces SET person_id = ?, assigned_by = 'user', ignored = 0 "
                         f"WHERE id IN ({_marks(chunk)})", [to, *chunk])
            conn.execute(f"DELETE FROM suggestions WHERE face_id IN ({_marks(chunk)})", chunk)
        _touch(conn, to)
        rec.about = f"{faces_phrase(len(face_ids))} {joined} {person_label(conn, to)}"
        _drop_empty_unnamed(conn, rec, old_owners - {to})
        rec.save()
        return to


def confirm_faces(catalog: Catalog, face_ids: Iterable[int], person_id: int) -> int:
    """"Yes, this is them": the faces join `person_id` as user-confirmed evidence. The same
    change as a move, said as a confirmation (the undo log's "Confirmed 3 faces as Anna")."""
    return _assign_faces(catalog, face_ids, person_id, None, action="confirm", joined="as")


def reject_faces(catalog: Catalog, face_ids: Iterable[int], person_id: int) -> int:
    """"Not this person": remembered forever; the faces leave that person to unknown.

    Returns how many faces were rejected (suggestions for the person are rejected the same way).
    """
    face_ids = _ids(face_ids)
    with catalog.transaction() as conn:
        _require_person(conn, person_id)
        _existing_faces(conn, face_ids)
        rec = Recorder(conn, "reject")
        rec.person(person_id)
        rec.about = f"{faces_phrase(len(face_ids))}, not {person_label(conn, person_id)}"
        rec.faces(face_ids)
        now = time.time()
        for face_id in face_ids:
            if conn.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id, at) "
                            "VALUES (?, ?, ?)", (face_id, person_id, now)).rowcount:
                rec.rejection_added(face_id, person_id)
        for start in range(0, len(face_ids), 500):
            chunk = face_ids[start:start + 500]
            conn.execute(f"UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE "
                         f"person_id = ? AND id IN ({_marks(chunk)})", [person_id, *chunk])
            conn.execute(f"DELETE FROM suggestions WHERE person_id = ? AND face_id IN "
                         f"({_marks(chunk)})", [person_id, *chunk])
        _touch(conn, person_id)
        _drop_empty_unnamed(conn, rec, [person_id])
        rec.save()
        return len(face_ids)


# -- faces drawn by hand ---------------------------------------------------------------------

def add_face(catalog: Catalog, drawn, to: int | None = None, *,
             name: str | None = None) -> tuple[int, int | None]:
    """Store a face drawn by hand (a core.people.drawn.DrawnFace: embed it first, outside any
    transaction) as source 'manual', and give it to person `to`, or to the person called
    `name` (made when no one has it), as the user's own choice (assigned_by 'user': evidence,
    never moved). Neither: an unknown face. Returns (face id, person id or None)."""
    from ..pipeline import insert_face

    face = drawn.face
    with catalog.transaction() as conn:
        if conn.execute("SELECT 1 FROM photos WHERE id = ? AND status = 'indexed'",
                        (drawn.photo_id,)).fetchone() is None:
            raise ValueError(f"photo {drawn.photo_id} is no longer in the library")
        rec = Recorder(conn, "add-face")
        if to is not None:
            _require_person(conn, to)
            rec.person(to)
        elif name is not None:
            to = person_by_name(conn, _clean_name(clean_name(name)))
            if to is None:
                to = _new_person(conn, rec, _clean_name(clean_name(name)))
            else:
                rec.person(to)
        face_id = insert_face(conn, drawn.photo_id, face, drawn.model_id, time.time(),
                              source="manual", person_id=to,
                              assigned_by="user" if to is not None else None)
        rec.face_added(face_id)
        if to is not None:
            _touch(conn, to)
        rec.about = "a face" + (f" for {person_label(conn, to)}" if to is not None else "") + (
            "" if face.usable else ", too small to recognise")
        rec.save()
    if drawn.thumb:
        from ..thumbs import face_thumb_path, write_file

        try:
            write_file(face_thumb_path(catalog.dir, face_id), drawn.thumb)
        except OSError as error:  # the cache is optional
            import logging

            logging.getLogger(__name__).warning("cannot write a drawn face's thumbnail: %s",
                                                error)
    return face_id, to


# -- ignoring and forgetting -----------------------------------------------------------------

def ignore_faces(catalog: Catalog, face_ids: Iterable[int], ignored: bool = True) -> int:
    """Not a face, or a stranger: the faces leave their person and are never clustered.
    Returns how many faces changed (those already so are left as they are)."""
    face_ids = _ids(face_ids)
    with catalog.transaction() as conn:
        _existing_faces(conn, face_ids)
        rec = Recorder(conn, "ignore" if ignored else "unignore")
        rec.faces(face_ids)
        owners = _owners(conn, face_ids)
        changed = sum(1 for f in face_ids if bool(rec.state(f)[2]) != ignored)
        rec.about = faces_phrase(changed)
        for start in range(0, len(face_ids), 500):
            chunk = face_ids[start:start + 500]
            if ignored:
                conn.execute(f"UPDATE faces SET ignored = 1, person_id = NULL, assigned_by = NULL "
                             f"WHERE id IN ({_marks(chunk)})", chunk)
                conn.execute(f"DELETE FROM suggestions WHERE face_id IN ({_marks(chunk)})", chunk)
            else:
                conn.execute(f"UPDATE faces SET ignored = 0 WHERE id IN ({_marks(chunk)})", chunk)
        _drop_empty_unnamed(conn, rec, owners)
        rec.save()
        return changed


def ignore_small_groups(catalog: Catalog, smaller_than: int) -> int:
    """Ignore the faces of every unnamed, untouched group with fewer than N faces.

    Returns the number of faces ignored. Named or user-touched people are never affected.
    """
    with catalog.transaction() as conn:
        groups = [r[0] for r in conn.execute(
            f"SELECT p.id FROM people p WHERE NOT {ANCHORED} AND "
            f"(SELECT COUNT(*) FROM faces f WHERE f.person_id = p.id AND f.ignored = 0) < ?",
            (smaller_than,))]
        if not groups:
            return 0
        rec = Recorder(conn, "ignore-groups")
        face_ids = []
        for start in range(0, len(groups), 500):
            chunk = groups[start:start + 500]
            face_ids += [r[0] for r in conn.execute(
                f"SELECT id FROM faces WHERE person_id IN ({_marks(chunk)})", chunk)]
        rec.faces(face_ids)
        for group in groups:
            rec.person(group)
        for start in range(0, len(groups), 500):
            chunk = groups[start:start + 500]
            conn.execute(f"UPDATE faces SET ignored = 1, person_id = NULL, assigned_by = NULL "
                         f"WHERE person_id IN ({_marks(chunk)})", chunk)
            conn.execute(f"DELETE FROM people WHERE id IN ({_marks(chunk)})", chunk)
        rec.about = f"{faces_phrase(len(face_ids))} of {len(groups)} groups"
        rec.save()
        return len(face_ids)


def forget_person(catalog: Catalog, person_id: int, *, ignore: bool = False) -> int:
    """Remove a person: name, assignments, rejections. Their faces return to unknown (or are
    ignored when `ignore`). Returns the number of faces released."""
    with catalog.transaction() as conn:
        _require_person(conn, person_id)
        rec = Recorder(conn, "forget")
        rec.person(person_id)
        rec.about = person_label(conn, person_id)
        face_ids = [r[0] for r in conn.execute("SELECT id FROM faces WHERE person_id = ?",
                                               (person_id,))]
        rec.faces(face_ids)
        rec.rejections_removed(conn.execute(
            "SELECT face_id, person_id, at FROM face_rejections WHERE person_id = ?",
            (person_id,)))
        conn.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL, ignored = ? "
                     "WHERE person_id = ?", (1 if ignore else 0, person_id))
        conn.execute("DELETE FROM people WHERE id = ?", (person_id,))  # cascades rejections
        rec.save()
        return len(face_ids)


# -- undo ------------------------------------------------------------------------------------

def last_undo(catalog: Catalog) -> UndoEntry | None:
    return last_entry(catalog.conn)


def undo(catalog: Catalog, since: float | None = None) -> UndoEntry | None:
    """Undo the latest people operation; returns what was undone (None: nothing to undo).

    With `since` (a time.time()), only an operation made since then: the app passes its start,
    so Ctrl+Z never reaches back into last week's work.
    """
    with catalog.transaction() as conn:
        entry = last_entry(conn, since)
        if entry is None:
            return None
        restore(conn, entry.id)
        return entry
