"""Read-only questions about people, for the GUI, the CLI and export."""

from __future__ import annotations

from ..catalog import Catalog, embeddings_from_blobs
from ..ids import checked_id
from ..library import photo_order
from ..text import clean_text
from .records import DuplicatePair, FaceInfo, PersonNotFound, PersonSummary, PhotoInfo, Suggestion

# A person the user has touched: named, hidden, or holding a face the user assigned/confirmed.
# Re-clustering never changes such a person; only unanchored unnamed groups are rebuilt.
ANCHORED = ("(p.name IS NOT NULL OR p.hidden = 1 OR EXISTS (SELECT 1 FROM faces uf "
            "WHERE uf.person_id = p.id AND uf.assigned_by = 'user'))")

# Faces that count for people: not ignored.
_PEOPLE_SQL = """
    SELECT q.*, COALESCE(
        (SELECT c.id FROM faces c WHERE c.id = q.cover_face_id AND c.person_id = q.id
           AND c.ignored = 0),
        (SELECT b.id FROM faces b WHERE b.person_id = q.id AND b.ignored = 0
           ORDER BY b.quality DESC, b.id LIMIT 1)) AS cover
    FROM (SELECT p.id, p.name, p.hidden, p.cover_face_id,
                 COUNT(f.id) AS face_count, COUNT(DISTINCT f.photo_id) AS photo_count
          FROM people p LEFT JOIN faces f ON f.person_id = p.id AND f.ignored = 0
          {where}
          GROUP BY p.id) q
"""


def _summary(row) -> PersonSummary:
    return PersonSummary(id=row["id"], name=row["name"], face_count=row["face_count"],
                         photo_count=row["photo_count"], cover_face_id=row["cover"],
                         hidden=bool(row["hidden"]))


def list_people(catalog: Catalog, *, include_hidden: bool = False,
                named_only: bool = False) -> list[PersonSummary]:
    """Every person and unnamed group, biggest first (named before unnamed on ties)."""
    conds = []
    if not include_hidden:
        conds.append("p.hidden = 0")
    if named_only:
        conds.append("p.name IS NOT NULL")
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    rows = catalog.execute(_PEOPLE_SQL.format(where=where) +
                           " ORDER BY q.face_count DESC, q.name IS NULL, q.name, q.id").fetchall()
    return [_summary(r) for r in rows]


def get_person(catalog: Catalog, person_id: int) -> PersonSummary:
    row = catalog.execute(_PEOPLE_SQL.format(where="WHERE p.id = ?"), (person_id,)).fetchone()
    if row is None:
        raise PersonNotFound(person_id)
    return _summary(row)


def find_person(catalog: Catalog, ref: int | str) -> int:
    """A person id from an id or a name (names compare case-insensitively)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        row = catalog.execute("SELECT id FROM people WHERE id = ?",
                              (checked_id(ref, "person id"),)).fetchone()
    else:
        # as typed (a name stored by an older version), or as a name is stored now
        row = catalog.execute("SELECT id FROM people WHERE name COLLATE NOCASE IN (?, ?) "
                              "ORDER BY id LIMIT 1", (str(ref).strip(), clean_text(ref))
                              ).fetchone()
    if row is None:
        raise PersonNotFound(ref)
    return row[0]


def person_by_name(conn, name: str, *, exclude: int | None = None) -> int | None:
    row = conn.execute("SELECT id FROM people WHERE name = ? COLLATE NOCASE AND id IS NOT ? "
                       "ORDER BY id LIMIT 1", (name, exclude)).fetchone()
    return row[0] if row else None


_FACE_COLUMNS = ("f.id, f.photo_id, ph.path, f.x1, f.y1, f.x2, f.y2, f.quality, f.person_id, "
                 "f.assigned_by, f.ignored, ph.width, ph.height")


def _face(row) -> FaceInfo:
    return FaceInfo(id=row[0], photo_id=row[1], path=row[2], box=(row[3], row[4], row[5], row[6]),
                    quality=row[7], person_id=row[8], assigned_by=row[9], ignored=bool(row[10]),
                    photo_size=(row[11] or 0, row[12] or 0))


def person_faces(catalog: Catalog, person_id: int) -> list[FaceInfo]:
    """The person's faces, best quality first."""
    rows = catalog.execute(
        f"SELECT {_FACE_COLUMNS} FROM faces f JOIN photos ph ON ph.id = f.photo_id "
        "WHERE f.person_id = ? AND f.ignored = 0 ORDER BY f.quality DESC, f.id",
        (person_id,)).fetchall()
    return [_face(r) for r in rows]


def faces_by_id(catalog: Catalog, face_ids) -> list[FaceInfo]:
    ids = [int(f) for f in face_ids]
    out = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = catalog.execute(
            f"SELECT {_FACE_COLUMNS} FROM faces f JOIN photos ph ON ph.id = f.photo_id "
            f"WHERE f.id IN ({','.join('?' * len(chunk))}) ORDER BY f.id", chunk).fetchall()
        out += [_face(r) for r in rows]
    return out


def people_face_ids_json(catalog: Catalog) -> dict[int, str]:
    """Every person's face ids (not ignored) as JSON arrays, ascending, written by SQLite in
    one walk over an index in (person, id) order: for `people --json`, where reading 100k ids
    into Python and encoding them again cost more than the rest of the command."""
    return dict(catalog.execute(
        "SELECT person_id, json_group_array(id) FROM faces WHERE person_id IS NOT NULL "
        "AND ignored = 0 GROUP BY person_id"))


def person_face_ids(catalog: Catalog, person_id: int) -> list[int]:
    return [r[0] for r in catalog.execute(
        "SELECT id FROM faces WHERE person_id = ? AND ignored = 0 ORDER BY id", (person_id,))]


def person_photos(catalog: Catalog, person_id: int, *,
                  newest_first: bool = False) -> list[PhotoInfo]:
    """Photos the person is in by date taken, undated last. Oldest first (the CLI, export),
    photos of one moment by path; or newest first (the GUI's grids, as its photo grid shows
    the whole library), photos of one moment the later added first."""
    rows = catalog.execute(
        "SELECT ph.id, ph.path, ph.taken_at, group_concat(f.id), COALESCE(ph.width, 0), "
        "COALESCE(ph.height, 0) FROM faces f "
        "JOIN photos ph ON ph.id = f.photo_id WHERE f.person_id = ? AND f.ignored = 0 "
        f"GROUP BY ph.id ORDER BY {photo_order(newest_first=newest_first)}",
        (person_id,)).fetchall()
    return [PhotoInfo(id=r[0], path=r[1], taken_at=r[2],
                      face_ids=tuple(sorted(int(x) for x in r[3].split(","))),
                      width=r[4], height=r[5]) for r in rows]


def suggestions(catalog: Catalog, person_id: int | None = None,
                limit: int | None = None) -> list[Suggestion]:
    """The review queue: faces probably theirs but below the auto-assign bar, likeliest first."""
    where = "WHERE s.person_id = ?" if person_id is not None else ""
    params: tuple = (person_id,) if person_id is not None else ()
    sql = (f"SELECT s.face_id, s.person_id, s.score, f.photo_id, ph.path, s.source "
           f"FROM suggestions s "
           f"JOIN faces f ON f.id = s.face_id JOIN photos ph ON ph.id = f.photo_id {where} "
           f"ORDER BY s.score DESC, s.face_id")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [Suggestion(face_id=r[0], person_id=r[1], score=r[2], photo_id=r[3], path=r[4],
                       source=r[5]) for r in catalog.execute(sql, params)]


def suggestion_counts(catalog: Catalog) -> dict[int, int]:
    return dict(catalog.execute("SELECT person_id, COUNT(*) FROM suggestions GROUP BY person_id"))


def unknown_face_count(catalog: Catalog) -> int:
    return catalog.execute("SELECT COUNT(*) FROM faces WHERE person_id IS NULL AND ignored = 0 "
                           "AND usable = 1").fetchone()[0]


def likely_duplicates(catalog: Catalog, *, min_similarity: float = 0.45,
                      limit: int = 50) -> list[DuplicatePair]:
    """Pairs of people whose faces look alike, most alike first: candidates for "merge?".

    Similarity of two people = the average cosine between their faces (exact, from per-person
    sums of up to 200 best-quality faces), the same criterion clustering uses to merge.
    """
    import numpy as np  # only here: listing people needs no numpy

    rows = catalog.execute(
        "SELECT person_id, embedding FROM (SELECT f.person_id, f.embedding, ROW_NUMBER() OVER "
        "(PARTITION BY f.person_id ORDER BY f.quality DESC, f.id) AS r FROM faces f "
        "WHERE f.person_id IS NOT NULL AND f.ignored = 0) WHERE r <= 200").fetchall()
    if not rows:
        return []
    person = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vectors = embeddings_from_blobs(r[1] for r in rows)
    ids, inverse, counts = np.unique(person, return_inverse=True, return_counts=True)
    sums = np.zeros((len(ids), vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, inverse, vectors)
    means = (sums / counts[:, None]).astype(np.float32)
    # A duplicate pair's average similarity needs no all-pairs search over people: a person's
    # mean vector is close to its duplicate's. Blocks keep memory small at 10,000 people.
    pairs = []
    for start in range(0, len(ids), 1024):
        block = means[start:start + 1024] @ means.T
        a, b = np.nonzero(block >= min_similarity)
        a += start
        keep = a < b
        pairs += [(float(block[i - start, j]), int(ids[i]), int(ids[j]))
                  for i, j in zip(a[keep], b[keep])]
    # A group holding faces the user said are not the other person is not a duplicate of
    # them (a merge would only set those faces aside again).
    refused = {tuple(sorted(r)) for r in catalog.execute(
        "SELECT DISTINCT f.person_id, r.person_id FROM face_rejections r JOIN faces f "
        "ON f.id = r.face_id WHERE f.person_id IS NOT NULL")}
    pairs = [p for p in pairs if (min(p[1], p[2]), max(p[1], p[2])) not in refused]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [DuplicatePair(a, b, s) for s, a, b in pairs[:limit]]
