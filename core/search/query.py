"""Answering a `SearchSpec`: people-only searches from assignments, similarity searches through
the face index, then the photo filters, grouped per photo with the best face's score."""

from __future__ import annotations

import json
import logging

import numpy as np

from .search_index import SearchIndex, current_model_id
from .people import photo_filter_sql, resolve_person
from .spec import PhotoHit, SearchSpec
from .threshold import DEFAULT_MIN_SIMILARITY

log = logging.getLogger(__name__)

PERSON_QUERIES = 32   # a person with more faces is queried with this many, spread over them


def search_photos(catalog, spec: SearchSpec, photo=None) -> list[PhotoHit]:
    """Photos matching `spec`, one hit per photo (per query face), best first.

    `photo`: the `core.search.outside.OutsidePhoto` of `spec.photo_path` when the caller has
    it already (it showed the photo's faces): the photo is not analysed again."""
    spec.validate()
    where, params = photo_filter_sql(catalog.conn, spec)
    if not spec.is_similarity_query:
        return _people_only(catalog, spec, where, params)
    threshold = (DEFAULT_MIN_SIMILARITY if spec.min_similarity is None
                 else float(spec.min_similarity))
    if spec.face_id is not None:
        model_id, vector = _face_vector(catalog, spec.face_id)
        return _similar(catalog, model_id, vector[None], threshold, where, params, spec.top)
    if spec.photo_path is not None:
        return _outside(catalog, spec, threshold, where, params, photo)
    return _person(catalog, spec, threshold, where, params)


def _face_vector(catalog, face_id: int) -> tuple[str, np.ndarray]:
    row = catalog.execute("SELECT model_id, embedding FROM faces WHERE id=?",
                          (face_id,)).fetchone()
    if row is None:
        raise ValueError(f"no face with id {face_id}")
    return row[0], np.frombuffer(row[1], np.float32)


def _outside(catalog, spec, threshold, where, params, photo=None) -> list[PhotoHit]:
    """Each face of the image searched on its own; hits tagged with `query_face`."""
    from .outside import analyze_outside

    library_model = current_model_id(catalog)
    if photo is None or photo.path != spec.photo_path or (
            library_model is not None and photo.model_id != library_model):
        photo = analyze_outside(spec.photo_path, library_model)
    model_id, faces, vectors = photo.model_id, photo.faces, photo.vectors
    if spec.photo_face is not None:
        if not 0 <= spec.photo_face < len(faces):
            raise ValueError(f"{spec.photo_path} has {len(faces)} faces; no face "
                             f"{spec.photo_face}")
        faces = [faces[spec.photo_face]]
    hits: list[PhotoHit] = []
    for face in faces:
        found = _similar(catalog, model_id, vectors[face.index][None], threshold, where,
                         params, spec.top)
        for hit in found:
            hit.query_face = face.index
        hits += found
    return hits


def _person(catalog, spec, threshold, where, params) -> list[PhotoHit]:
    """All of the person's assigned faces as queries (a spread subset of them when there are
    many), plus the photos where they are assigned; never a face assigned to someone else
    or rejected for them."""
    person_ids = sorted(resolve_person(catalog.conn, spec.similar_to_person))
    model_id = current_model_id(catalog)
    marks = ",".join("?" * len(person_ids))
    own_ids, own = catalog.face_embeddings(
        f"person_id IN ({marks}) AND ignored = 0 AND model_id = ?", (*person_ids, model_id))
    if not len(own_ids):
        return []
    queries = own[spread_subset(own, PERSON_QUERIES)]
    extra = dict(zip(own_ids.tolist(), (own @ queries.T).max(axis=1).tolist()))
    return _similar(catalog, model_id, queries, threshold, where, params, spec.top,
                    person_ids=person_ids, extra=extra)


def spread_subset(vectors: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to `count` rows spread over `vectors` (farthest-point order): the
    person's look at different ages, not `count` near-copies of their most common photo."""
    if len(vectors) <= count:
        return np.arange(len(vectors))
    chosen = [int(np.argmax(vectors @ vectors.mean(axis=0)))]  # the most typical face first
    closest = vectors @ vectors[chosen[0]]
    for _ in range(count - 1):
        pick = int(np.argmin(closest))
        chosen.append(pick)
        closest = np.maximum(closest, vectors @ vectors[pick])
    return np.array(sorted(chosen))


def _similar(catalog, model_id: str, queries: np.ndarray, threshold: float, where: str,
             params: list, top: int | None, *, person_ids: list[int] | None = None,
             extra: dict[int, float] | None = None) -> list[PhotoHit]:
    """Photos with a face at or above `threshold` to any query, filtered, best face each."""
    index = SearchIndex.for_catalog(catalog, model_id)
    found = index.matches(catalog.conn, queries, threshold)
    for face_id, sim in (extra or {}).items():
        found[face_id] = max(sim, found.get(face_id, -2.0))
    if not found:
        return []
    exclude = ""
    exclude_params: list = []
    if person_ids:
        marks = ",".join("?" * len(person_ids))
        exclude = (f"AND (f.person_id IS NULL OR f.person_id IN ({marks})) AND NOT EXISTS "
                   f"(SELECT 1 FROM face_rejections r WHERE r.face_id = f.id "
                   f"AND r.person_id IN ({marks}))")
        exclude_params = person_ids + person_ids
    rows = catalog.conn.execute(
        f"""SELECT f.id, f.photo_id, p.path, f.x1, f.y1, f.x2, f.y2, f.person_id, pe.name,
                   p.taken_at, COALESCE(p.width, 0), COALESCE(p.height, 0)
            FROM faces f JOIN photos p ON p.id = f.photo_id
            LEFT JOIN people pe ON pe.id = f.person_id
            WHERE f.id IN (SELECT value FROM json_each(?)) AND f.ignored = 0 {exclude}
              AND {where}""",
        [json.dumps(list(found))] + exclude_params + params).fetchall()
    best: dict[int, PhotoHit] = {}
    for face_id, photo_id, path, x1, y1, x2, y2, person_id, name, taken, width, height in rows:
        sim = found[face_id]
        hit = best.get(photo_id)
        if hit is None or sim > hit.similarity or (sim == hit.similarity
                                                    and face_id < hit.face_id):
            best[photo_id] = PhotoHit(photo_id=photo_id, path=path, similarity=sim,
                                      face_id=face_id, box=(x1, y1, x2, y2),
                                      person_id=person_id, person_name=name,
                                      taken_at=taken, width=width, height=height)
    hits = sorted(best.values(), key=lambda h: (-h.similarity, h.photo_id))
    return hits[:top] if top else hits


def _people_only(catalog, spec: SearchSpec, where: str, params: list) -> list[PhotoHit]:
    """Photos chosen by assignments (or a selection) alone; the face shown is the best one of
    the first person."""
    first = (spec.people_all or spec.people_any or [None])[0]
    shown = sorted(resolve_person(catalog.conn, first)) if first is not None else []
    sql = (f"SELECT p.id, p.path, p.taken_at, COALESCE(p.width, 0), COALESCE(p.height, 0) "
           f"FROM photos p WHERE {where} "
           f"ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.path")
    if spec.top:
        sql += f" LIMIT {int(spec.top)}"
    rows = catalog.conn.execute(sql, params).fetchall()
    marks = ",".join("?" * len(shown))
    best_face: dict[int, int] = {}
    # `+f.person_id`: look faces up by photo, not by person (that would be quadratic)
    for photo_id, face_id in catalog.conn.execute(
            f"""SELECT f.photo_id, f.id FROM faces f
                WHERE f.photo_id IN (SELECT value FROM json_each(?)) AND f.ignored = 0
                  AND +f.person_id IN ({marks})
                ORDER BY f.photo_id, f.quality DESC, f.id""",
            [json.dumps([r[0] for r in rows])] + shown):
        best_face.setdefault(photo_id, face_id)
    faces = _face_rows(catalog, list(best_face.values()))
    hits = []
    for photo_id, path, taken, width, height in rows:
        face_id = best_face.get(photo_id)
        face = faces.get(face_id)
        hits.append(PhotoHit(photo_id=photo_id, path=path, similarity=None, face_id=face_id,
                             box=face[0] if face else None,
                             person_id=face[1] if face else None,
                             person_name=face[2] if face else None,
                             taken_at=taken, width=width, height=height))
    return hits


def _face_rows(catalog, face_ids: list[int]) -> dict[int, tuple]:
    """face id -> (box, person_id, person_name)."""
    if not face_ids:
        return {}
    rows = catalog.conn.execute(
        """SELECT f.id, f.x1, f.y1, f.x2, f.y2, f.person_id, pe.name
           FROM faces f LEFT JOIN people pe ON pe.id = f.person_id
           WHERE f.id IN (SELECT value FROM json_each(?))""",
        (json.dumps(face_ids),)).fetchall()
    return {r[0]: ((r[1], r[2], r[3], r[4]), r[5], r[6]) for r in rows}
