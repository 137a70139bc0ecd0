"""Undo for people operations: each operation records the previous state of what it touches.

An operation opens a `Recorder` inside its transaction and tells it, BEFORE changing anything,
which faces, people and rejections it is about to change. The recorder writes one undo_log row
(in the same transaction) that restores exactly those rows. Undo is itself one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time

from .records import UndoEntry

KEEP_ENTRIES = 100  # older undo entries are dropped


def drop_empty_groups(conn: sqlite3.Connection) -> None:
    """Unnamed, shown groups left without a face disappear."""
    conn.execute("DELETE FROM people WHERE name IS NULL AND hidden = 0 AND NOT EXISTS "
                 "(SELECT 1 FROM faces WHERE person_id = people.id)")


def delete_suggestions(conn: sqlite3.Connection, face_ids: list[int], *,
                       recognition_only: bool = False) -> None:
    """The review questions about these faces, in chunks SQLite takes (`recognition_only`:
    not those that come from the photos' tags)."""
    only = " AND source IS NULL" if recognition_only else ""
    for start in range(0, len(face_ids), 500):
        chunk = face_ids[start:start + 500]
        conn.execute(f"DELETE FROM suggestions WHERE face_id IN ({','.join('?' * len(chunk))})"
                     f"{only}", chunk)


def bump_people_revision(conn: sqlite3.Connection) -> None:
    """A counter of changes to people (names, hidden, merges...), for the GUI and for updates.

    Face changes bump meta 'revision' by trigger; a rename touches no face, so people
    operations bump this one too.
    """
    conn.execute("INSERT INTO meta(key, value) VALUES ('people_revision', '1') "
                 "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def person_label(conn: sqlite3.Connection, person_id: int | None) -> str:
    """How an undo message names a person: their name, or "unnamed"."""
    row = conn.execute("SELECT name FROM people WHERE id = ?", (person_id,)).fetchone()
    return row[0] if row and row[0] else "unnamed"


def faces_phrase(count: int) -> str:
    return f"{count} face{'' if count == 1 else 's'}"


class Recorder:
    def __init__(self, conn: sqlite3.Connection, action: str) -> None:
        self.conn = conn
        self.action = action
        self.about = ""  # who or what, in words, for "Undid the merge (Bob into Anna)"
        self._faces: dict[int, list] = {}
        self._people: dict[int, dict | None] = {}
        self._rejections_added: list[tuple[int, int]] = []
        self._rejections_removed: list[tuple[int, int, float]] = []
        self._suggestions: list[tuple] = []  # (face, person, score, source) of the recorded faces
        self._faces_added: list[int] = []  # drawn by hand: undo deletes them

    def faces(self, face_ids) -> None:
        ids = [int(f) for f in face_ids if int(f) not in self._faces]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                    f"SELECT id, person_id, assigned_by, ignored FROM faces WHERE id IN ({marks})",
                    chunk):
                self._faces[row[0]] = [row[1], row[2], row[3]]
            # An answer in the review queue removes the question; undo asks it again.
            self._suggestions += [tuple(row) for row in self.conn.execute(
                f"SELECT face_id, person_id, score, source FROM suggestions WHERE face_id IN "
                f"({marks})",
                chunk)]

    def state(self, face_id: int) -> list:
        """[person_id, assigned_by, ignored] of a recorded face, as it was."""
        return self._faces[int(face_id)]

    def person(self, person_id: int) -> None:
        """Record a person before it changes or is deleted."""
        if person_id in self._people:
            return
        row = self.conn.execute(
            "SELECT name, hidden, cover_face_id, created_at, updated_at FROM people WHERE id=?",
            (person_id,)).fetchone()
        self._people[person_id] = dict(row) if row else None  # None: created by this operation

    def created(self, person_id: int) -> None:
        self._people.setdefault(person_id, None)

    def face_added(self, face_id: int) -> None:
        self._faces_added.append(int(face_id))

    def rejection_added(self, face_id: int, person_id: int) -> None:
        self._rejections_added.append((face_id, person_id))

    def rejections_removed(self, rows) -> None:
        self._rejections_removed += [(r[0], r[1], r[2]) for r in rows]

    def save(self) -> int:
        payload = {
            "faces": [[f, *state] for f, state in self._faces.items()],
            "people": [[p, state] for p, state in self._people.items()],
            "rejections_added": self._rejections_added,
            "rejections_removed": self._rejections_removed,
            "suggestions": self._suggestions,
            "faces_added": self._faces_added,
            "about": self.about,
        }
        cur = self.conn.execute("INSERT INTO undo_log(action, payload, at) VALUES (?, ?, ?)",
                                (self.action, json.dumps(payload), time.time()))
        self.conn.execute("DELETE FROM undo_log WHERE id <= ?", (cur.lastrowid - KEEP_ENTRIES,))
        bump_people_revision(self.conn)
        return cur.lastrowid


def last_entry(conn: sqlite3.Connection, since: float | None = None) -> UndoEntry | None:
    """The latest operation (made at or after `since`, a time.time(), when given)."""
    row = conn.execute("SELECT id, action, at, payload FROM undo_log WHERE at >= ? "
                       "ORDER BY id DESC LIMIT 1", (since or 0,)).fetchone()
    if row is None:
        return None
    return UndoEntry(row[0], row[1], row[2], json.loads(row[3]).get("about", ""))


def restore(conn: sqlite3.Connection, entry_id: int) -> None:
    """Put back what entry `entry_id` recorded and drop the entry (caller holds a transaction).

    Rows deleted since (a photo removed) are skipped; everything else returns exactly.
    """
    payload = json.loads(conn.execute("SELECT payload FROM undo_log WHERE id=?",
                                      (entry_id,)).fetchone()[0])
    now = time.time()
    created = [p for p, state in payload["people"] if state is None]
    for person_id, state in payload["people"]:
        if state is None:
            continue
        # back as themselves: a saved album asking for them no longer follows the merge
        conn.execute("DELETE FROM person_merges WHERE source = ?", (person_id,))
        conn.execute(
            "INSERT INTO people(id, name, hidden, cover_face_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
            "hidden=excluded.hidden, cover_face_id=excluded.cover_face_id, updated_at=?",
            (person_id, state["name"], state["hidden"], state["cover_face_id"],
             state["created_at"], now, now))
    conn.executemany(
        "UPDATE faces SET person_id = (SELECT id FROM people WHERE id = ?), assigned_by = ?, "
        "ignored = ? WHERE id = ?",
        [(person, by, ignored, face) for face, person, by, ignored in payload["faces"]])
    conn.executemany("DELETE FROM face_rejections WHERE face_id=? AND person_id=?",
                     payload["rejections_added"])
    conn.executemany(
        "INSERT OR IGNORE INTO face_rejections(face_id, person_id, at) SELECT ?, ?, ? WHERE "
        "EXISTS (SELECT 1 FROM faces WHERE id=?) AND EXISTS (SELECT 1 FROM people WHERE id=?)",
        [(f, p, at, f, p) for f, p, at in payload["rejections_removed"]])
    if "suggestions" in payload:  # (entries from before they were recorded have none)
        delete_suggestions(conn, [face for face, *_ in payload["faces"]])
    conn.executemany(
        "INSERT OR IGNORE INTO suggestions(face_id, person_id, score, source) SELECT ?, ?, ?, ? "
        "WHERE EXISTS (SELECT 1 FROM faces WHERE id=?) AND EXISTS (SELECT 1 FROM people WHERE "
        "id=?)",   # entries written before the source was recorded have three items
        [(f, p, score, (rest or [None])[0], f, p)
         for f, p, score, *rest in payload.get("suggestions", [])])
    for face_id in payload.get("faces_added", []):
        conn.execute("DELETE FROM faces WHERE id=?", (face_id,))
    for person_id in created:
        conn.execute("DELETE FROM people WHERE id=?", (person_id,))
    if payload["faces"]:  # a group a regrouping made since out of them is left empty
        drop_empty_groups(conn)
    conn.execute("DELETE FROM undo_log WHERE id=?", (entry_id,))
    bump_people_revision(conn)
