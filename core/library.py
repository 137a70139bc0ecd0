"""The library as the front ends show it: read-only questions about photos, faces, folders,
names, the review queue and the catalog's state, answered with small immutable records.

The GUI's views and the CLI's commands ask here (or in `core.people` for people, `core.status`
for the status, `core.scan.problems` for problems) instead of writing SQL of their own, so the
schema is known in core alone (tests/test_layers.py keeps it so).

Every function takes `db`: an open `Catalog` or a plain `sqlite3.Connection` to one (anything
with `execute`): the GUI's worker threads hold connections, the CLI a Catalog.

The records are NamedTuples rather than dataclasses on purpose: the photo grid holds one per
photo (100,000 and more), built in a worker and hashed to tell a changed list; a tuple is
built and hashed in C, and the views' snapshots store them as plain lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple


class Photo(NamedTuple):
    """A photo as a list or grid shows it. For a search hit, also which of its faces matched
    and how closely (None otherwise)."""
    id: int
    path: str
    taken_at: str | None          # ISO 8601 as the camera wrote it; None: date unknown
    width: int                    # after orientation; 0 when not known yet
    height: int
    similarity: float | None = None
    face_id: int | None = None


class Face(NamedTuple):
    """A face as a strip, a photo's boxes or the review queue show it."""
    id: int
    photo_id: int
    path: str
    box: tuple[float, float, float, float]   # x1, y1, x2, y2 in oriented full-size pixels
    photo_size: tuple[int, int]              # the photo's oriented (width, height); 0 unknown
    person_id: int | None
    person_name: str | None
    score: float | None = None               # a suggestion's: how likely it is theirs
    ignored: bool = False                    # "not a face"
    offered_by: str | None = None            # a suggestion's source: "tags" (named in tags)


class FaceDetail(NamedTuple):
    """Everything stored about a face (`faceshelf faces`). The blobs are as stored:
    little-endian float32, `landmarks` 5 x (x, y), `embedding` 512 values (None unless asked)."""
    id: int
    photo_id: int
    path: str
    box: tuple[float, float, float, float]
    landmarks: bytes
    det_score: float
    size: float
    quality: float
    usable: bool
    ignored: bool
    model_id: str | None
    person_id: int | None
    person_name: str | None
    embedding: bytes | None


class Folder(NamedTuple):
    id: int
    path: str
    added_at: float


class ReviewPerson(NamedTuple):
    person_id: int
    name: str | None
    waiting: int                  # suggestions waiting for an answer


class CatalogStamp(NamedTuple):
    """A cheap fingerprint of what the views show: when it changes, they reload."""
    revision: int
    photos: int
    people_updated: float
    people: int
    albums: int
    suggestions: tuple[int, int]   # a grouping that only adds questions for Review


def catalog_stamp(db) -> CatalogStamp:
    """Five one-row lookups (the GUI polls this every second)."""
    revision = int(db.execute("SELECT value FROM meta WHERE key='revision'").fetchone()[0])
    photos = db.execute("SELECT COUNT(*) FROM photos WHERE status='indexed'").fetchone()[0]
    updated, people = db.execute("SELECT MAX(updated_at), COUNT(*) FROM people").fetchone()
    albums = db.execute("SELECT COUNT(*) + COALESCE(MAX(exported_at), 0) FROM albums"
                        ).fetchone()[0]
    suggestions = tuple(db.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM suggestions"
                                   ).fetchone())
    return CatalogStamp(revision, photos, updated or 0.0, people, albums, suggestions)


# -- photos -------------------------------------------------------------------------------------

_PHOTO_COLUMNS = "ph.id, ph.path, ph.taken_at, COALESCE(ph.width, 0), COALESCE(ph.height, 0)"


def photo_order(*, newest_first: bool) -> str:
    """The ORDER BY of a photo list (photos `ph`), the same for the library's and a person's
    (`core.people.person_photos`): by date taken, undated last; oldest first (photos of one
    moment by path), or newest first (photos of one moment the later added first)."""
    order = "ph.taken_at DESC, ph.id DESC" if newest_first else "ph.taken_at, ph.path"
    return f"ph.taken_at IS NULL, {order}"


def all_photos(db, *, newest_first: bool) -> list[Photo]:
    """Every indexed photo, in `photo_order`."""
    rows = db.execute(f"SELECT {_PHOTO_COLUMNS} FROM photos ph WHERE ph.status = 'indexed' "
                      f"ORDER BY {photo_order(newest_first=newest_first)}")
    return [Photo(*r) for r in rows]


def photo(db, photo_id: int) -> Photo | None:
    """One photo, whatever its state (None: not in the library)."""
    row = db.execute(f"SELECT {_PHOTO_COLUMNS} FROM photos ph WHERE ph.id = ?",
                     (photo_id,)).fetchone()
    return Photo(*row) if row else None


def library_dates(db) -> tuple[str | None, str | None]:
    """The first and last day a photo of the library was taken (ISO). Two lookups: SQLite
    reads one end of the index for a lone MIN or MAX, but scans it for both at once."""
    first, last = db.execute(
        "SELECT (SELECT MIN(taken_at) FROM photos), (SELECT MAX(taken_at) FROM photos)"
    ).fetchone()
    return (first[:10] if first else None), (last[:10] if last else None)


# -- faces --------------------------------------------------------------------------------------

_FACE_COLUMNS = ("f.id, f.photo_id, ph.path, f.x1, f.y1, f.x2, f.y2, ph.width, ph.height, "
                 "f.person_id, p.name")


def photo_faces(db, photo_id: int) -> list[Face]:
    """The faces found in a photo, ignored ones too (marked), left to right."""
    rows = db.execute(
        f"SELECT {_FACE_COLUMNS}, f.ignored FROM faces f JOIN photos ph ON ph.id = f.photo_id "
        "LEFT JOIN people p ON p.id = f.person_id WHERE f.photo_id = ? ORDER BY f.x1",
        (photo_id,))
    return [Face(r[0], r[1], r[2], (r[3], r[4], r[5], r[6]), (r[7] or 0, r[8] or 0), r[9],
                 r[10], None, bool(r[11])) for r in rows]


def face_details(db, *, with_embeddings: bool = False) -> Iterator[FaceDetail]:
    """Every face of the catalog by id, streamed (100,000 faces need no big list)."""
    embedding = "f.embedding" if with_embeddings else "NULL"
    rows = db.execute(
        "SELECT f.id, f.photo_id, ph.path, f.x1, f.y1, f.x2, f.y2, f.landmarks, f.det_score, "
        "f.size, f.quality, f.usable, f.ignored, f.model_id, f.person_id, p.name, "
        f"{embedding} FROM faces f JOIN photos ph ON ph.id = f.photo_id "
        "LEFT JOIN people p ON p.id = f.person_id ORDER BY f.id")
    for r in rows:
        yield FaceDetail(r[0], r[1], r[2], (r[3], r[4], r[5], r[6]), r[7], r[8], r[9], r[10],
                         bool(r[11]), bool(r[12]), r[13], r[14], r[15], r[16])


def face_counts(db) -> list[tuple[int, int, int]]:
    """(photo id, faces, faces assigned to someone) for every photo with a face, by photo id;
    ignored faces count (they are still drawn, marked, in the viewer)."""
    return [tuple(r) for r in db.execute(
        "SELECT photo_id, COUNT(*), SUM(person_id IS NOT NULL) FROM faces "
        "GROUP BY photo_id ORDER BY photo_id")]


# -- names --------------------------------------------------------------------------------------

def person_names(db) -> list[tuple[int, str]]:
    """(id, name) of every named person, alphabetically (case-insensitively)."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT id, name FROM people WHERE name IS NOT NULL ORDER BY name COLLATE NOCASE")]


def person_name(db, person_id: int) -> str | None:
    """The name as it is now (None: unnamed, or no such person)."""
    row = db.execute("SELECT name FROM people WHERE id = ?", (person_id,)).fetchone()
    return row[0] if row else None


# -- the review queue ---------------------------------------------------------------------------

# A suggestion still waiting for an answer: its face is not ignored, nor already theirs.
_WAITING = "f.ignored = 0 AND (f.person_id IS NULL OR f.person_id != s.person_id)"


def review_people(db) -> list[ReviewPerson]:
    """Everyone with suggestions waiting: named first, then most waiting first."""
    return [ReviewPerson(*r) for r in db.execute(
        "SELECT s.person_id, p.name, COUNT(*) FROM suggestions s "
        "JOIN people p ON p.id = s.person_id "
        f"JOIN faces f ON f.id = s.face_id WHERE {_WAITING} "
        "GROUP BY s.person_id ORDER BY p.name IS NULL, COUNT(*) DESC")]


def review_count(db) -> int:
    """How many suggestions wait, all people together."""
    return db.execute("SELECT COUNT(*) FROM suggestions s JOIN faces f ON f.id = s.face_id "
                      f"WHERE {_WAITING}").fetchone()[0]


def review_faces(db, person_id: int) -> list[Face]:
    """The faces waiting to be confirmed as `person_id`'s, likeliest first."""
    rows = db.execute(
        f"SELECT {_FACE_COLUMNS}, s.score, s.source FROM suggestions s JOIN faces f ON "
        "f.id = s.face_id JOIN photos ph ON ph.id = f.photo_id JOIN people p ON "
        f"p.id = s.person_id WHERE s.person_id = ? AND {_WAITING} ORDER BY s.score DESC",
        (person_id,))
    return [Face(r[0], r[1], r[2], (r[3], r[4], r[5], r[6]), (r[7] or 0, r[8] or 0), r[9],
                 r[10], r[11], offered_by=r[12]) for r in rows]


# -- folders ------------------------------------------------------------------------------------

def folders(db) -> list[Folder]:
    """The folders the library was made from (its roots), by path."""
    return [Folder(*r) for r in db.execute(
        "SELECT id, path, added_at FROM folders ORDER BY path")]
