"""Read-only catalog queries behind the GUI's models (run in worker threads).

Writes and anything with engine logic go through `core`; these are plain reads shaped for the
views: what a grid cell or a card needs, nothing else.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple


class PhotoRow(NamedTuple):
    id: int
    path: str
    taken_at: str | None
    width: int
    height: int
    badge: str = ""          # e.g. a similarity shown on the cell
    face_id: int | None = None


class PersonRow(NamedTuple):
    id: int
    name: str | None
    faces: int
    photos: int
    hidden: bool
    cover_face_id: int | None


class FaceRow(NamedTuple):
    id: int
    photo_id: int
    path: str
    box: tuple[float, float, float, float]
    photo_size: tuple[int, int]
    person_id: int | None
    person_name: str | None
    score: float | None = None  # a suggestion's score
    ignored: bool = False
    offered_by: str | None = None  # a suggestion's source: "tags" (named in the photo's tags)


class CatalogStamp(NamedTuple):
    """Cheap fingerprint of what the views show; when it changes, they reload."""
    revision: int
    photos: int
    people_updated: float
    people: int
    albums: int
    suggestions: tuple[int, int]   # a grouping that only adds questions for Review


def catalog_stamp(conn: sqlite3.Connection) -> CatalogStamp:
    revision = int(conn.execute("SELECT value FROM meta WHERE key='revision'").fetchone()[0])
    photos = conn.execute("SELECT COUNT(*) FROM photos WHERE status='indexed'").fetchone()[0]
    updated, people = conn.execute("SELECT MAX(updated_at), COUNT(*) FROM people").fetchone()
    albums = conn.execute("SELECT COUNT(*) + COALESCE(MAX(exported_at), 0) FROM albums"
                          ).fetchone()[0]
    suggestions = tuple(conn.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM suggestions"
                                     ).fetchone())
    return CatalogStamp(revision, photos, updated or 0.0, people, albums, suggestions)


# -- photos -------------------------------------------------------------------------------------

_PHOTO_COLUMNS = "ph.id, ph.path, ph.taken_at, COALESCE(ph.width, 0), COALESCE(ph.height, 0)"


def all_photos(conn: sqlite3.Connection) -> list[PhotoRow]:
    rows = conn.execute(
        f"SELECT {_PHOTO_COLUMNS} FROM photos ph WHERE ph.status = 'indexed' "
        "ORDER BY ph.taken_at IS NULL, ph.taken_at DESC, ph.id DESC")
    return [PhotoRow(*r) for r in rows]


def person_photos(conn: sqlite3.Connection, person_id: int) -> list[PhotoRow]:
    rows = conn.execute(
        f"SELECT DISTINCT {_PHOTO_COLUMNS} FROM photos ph JOIN faces f ON f.photo_id = ph.id "
        "WHERE f.person_id = ? AND f.ignored = 0 "
        "ORDER BY ph.taken_at IS NULL, ph.taken_at DESC, ph.id DESC", (person_id,))
    return [PhotoRow(*r) for r in rows]


def photo_record(conn: sqlite3.Connection, photo_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM photos WHERE id = ?", (photo_id,)).fetchone()


def photo_faces(conn: sqlite3.Connection, photo_id: int) -> list[FaceRow]:
    rows = conn.execute(
        "SELECT f.id, f.photo_id, ph.path, f.x1, f.y1, f.x2, f.y2, ph.width, ph.height, "
        "f.person_id, p.name, f.ignored FROM faces f JOIN photos ph ON ph.id = f.photo_id "
        "LEFT JOIN people p ON p.id = f.person_id WHERE f.photo_id = ? ORDER BY f.x1",
        (photo_id,))
    return [FaceRow(r[0], r[1], r[2], (r[3], r[4], r[5], r[6]), (r[7] or 0, r[8] or 0), r[9],
                    r[10], None, bool(r[11])) for r in rows]


# -- people -------------------------------------------------------------------------------------

def people(catalog) -> list[PersonRow]:
    """Every person and unnamed group, hidden ones too (the view filters), from the people
    core: counts, and the cover (the chosen face, else their best-quality face)."""
    from core.people import list_people

    return [PersonRow(p.id, p.name, p.face_count, p.photo_count, p.hidden, p.cover_face_id)
            for p in list_people(catalog, include_hidden=True) if p.face_count]


PEOPLE_SNAPSHOT = "gui_people.json"


def save_people_snapshot(catalog_dir, rows: list[PersonRow]) -> None:
    """The people list as last shown, beside the catalog: the next start paints it at once
    and replaces it when the live query (about a second at 150,000 faces) is done."""
    import json
    import os
    import tempfile
    from pathlib import Path

    path = Path(catalog_dir) / PEOPLE_SNAPSHOT
    tmp = None
    try:  # a cache: a read-only or full disk only costs the next start its head start
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump([list(r) for r in rows], stream)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def load_people_snapshot(catalog_dir) -> list[PersonRow]:
    import json
    from pathlib import Path

    try:
        data = json.loads((Path(catalog_dir) / PEOPLE_SNAPSHOT).read_text())
        return [PersonRow(*r) for r in data]
    except (OSError, ValueError, TypeError):
        return []


def person_faces(conn: sqlite3.Connection, person_id: int) -> list[FaceRow]:
    rows = conn.execute(
        "SELECT f.id, f.photo_id, ph.path, f.x1, f.y1, f.x2, f.y2, ph.width, ph.height, "
        "f.person_id, p.name FROM faces f JOIN photos ph ON ph.id = f.photo_id "
        "JOIN people p ON p.id = f.person_id WHERE f.person_id = ? AND f.ignored = 0 "
        "ORDER BY f.quality DESC, f.id", (person_id,))
    return [FaceRow(r[0], r[1], r[2], (r[3], r[4], r[5], r[6]), (r[7] or 0, r[8] or 0), r[9],
                    r[10]) for r in rows]


def library_dates(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """The first and last day a photo of the library was taken (ISO). Two lookups: SQLite
    reads one end of the index for a lone MIN or MAX, but scans it for both at once."""
    first, last = conn.execute(
        "SELECT (SELECT MIN(taken_at) FROM photos), (SELECT MAX(taken_at) FROM photos)"
    ).fetchone()
    return (first[:10] if first else None), (last[:10] if last else None)


def person_names(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT id, name FROM people WHERE name IS NOT NULL ORDER BY name COLLATE NOCASE")]


# -- review -------------------------------------------------------------------------------------

# A suggestion still waiting for an answer: its face is not ignored, nor already theirs.
_WAITING = "f.ignored = 0 AND (f.person_id IS NULL OR f.person_id != s.person_id)"


def review_people(conn: sqlite3.Connection) -> list[tuple[int, str | None, int]]:
    """(person id, name, open suggestions) for everyone with suggestions waiting."""
    return [tuple(r) for r in conn.execute(
        "SELECT s.person_id, p.name, COUNT(*) FROM suggestions s "
        "JOIN people p ON p.id = s.person_id "
        f"JOIN faces f ON f.id = s.face_id WHERE {_WAITING} "
        "GROUP BY s.person_id ORDER BY p.name IS NULL, COUNT(*) DESC")]


def review_count(conn: sqlite3.Connection) -> int:
    """How many suggestions wait, all people together (the sidebar's figure)."""
    return conn.execute("SELECT COUNT(*) FROM suggestions s JOIN faces f ON f.id = s.face_id "
                        f"WHERE {_WAITING}").fetchone()[0]


def review_faces(conn: sqlite3.Connection, person_id: int) -> list[FaceRow]:
    rows = conn.execute(
        "SELECT f.id, f.photo_id, ph.path, f.x1, f.y1, f.x2, f.y2, ph.width, ph.height, "
        "f.person_id, p.name, s.score, s.source FROM suggestions s JOIN faces f ON "
        "f.id = s.face_id JOIN photos ph ON ph.id = f.photo_id JOIN people p ON "
        f"p.id = s.person_id WHERE s.person_id = ? AND {_WAITING} ORDER BY s.score DESC",
        (person_id,))
    return [FaceRow(r[0], r[1], r[2], (r[3], r[4], r[5], r[6]), (r[7] or 0, r[8] or 0), r[9],
                    r[10], r[11], offered_by=r[12]) for r in rows]


# -- albums -------------------------------------------------------------------------------------

def albums(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT a.*, (SELECT COUNT(*) FROM album_files af WHERE af.album_id = a.id) AS files "
        "FROM albums a ORDER BY a.name COLLATE NOCASE").fetchall()


def person_name(conn: sqlite3.Connection, person_id: int) -> str | None:
    """The name as it is now (None: unnamed, or no such person)."""
    row = conn.execute("SELECT name FROM people WHERE id = ?", (person_id,)).fetchone()
    return row[0] if row else None
