"""Answering a `SearchSpec`: people-only searches from assignments, similarity searches through
the face index, then the photo filters, grouped per photo with the best face's score."""

from __future__ import annotations

import logging

from .people import photo_filter_sql
from .spec import PhotoHit, SearchSpec

log = logging.getLogger(__name__)


def run_search(catalog, spec: SearchSpec) -> list[PhotoHit]:
    spec.validate()
    where, params = photo_filter_sql(catalog.conn, spec)
    if not spec.is_similarity_query:
        return _people_only(catalog, spec, where, params)
    raise NotImplementedError("similarity search lands next")


def _people_only(catalog, spec: SearchSpec, where: str, params: list) -> list[PhotoHit]:
    """Photos chosen by assignments alone; the face shown is one of the first person's."""
    from .people import resolve_person

    first = spec.people_all[0] if spec.people_all else spec.people_any[0]
    shown = sorted(resolve_person(catalog.conn, first))
    marks = ",".join("?" * len(shown))
    sql = f"""
        SELECT p.id, p.path,
               (SELECT f.id FROM faces f WHERE f.photo_id = p.id AND f.ignored = 0
                  AND f.person_id IN ({marks}) ORDER BY f.quality DESC, f.id LIMIT 1) AS face_id
        FROM photos p
        WHERE {where}
        ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.path
    """
    if spec.top:
        sql += f" LIMIT {int(spec.top)}"
    rows = catalog.conn.execute(sql, shown + params).fetchall()
    faces = _face_rows(catalog, [r[2] for r in rows if r[2] is not None])
    hits = []
    for photo_id, path, face_id in rows:
        face = faces.get(face_id)
        hits.append(PhotoHit(photo_id=photo_id, path=path, similarity=None, face_id=face_id,
                             box=face[0] if face else None,
                             person_id=face[1] if face else None,
                             person_name=face[2] if face else None))
    return hits


def _face_rows(catalog, face_ids: list[int]) -> dict[int, tuple]:
    """face id -> (box, person_id, person_name)."""
    import json

    if not face_ids:
        return {}
    rows = catalog.conn.execute(
        """SELECT f.id, f.x1, f.y1, f.x2, f.y2, f.person_id, pe.name
           FROM faces f LEFT JOIN people pe ON pe.id = f.person_id
           WHERE f.id IN (SELECT value FROM json_each(?))""",
        (json.dumps(face_ids),)).fetchall()
    return {r[0]: ((r[1], r[2], r[3], r[4]), r[5], r[6]) for r in rows}
