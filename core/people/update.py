"""Keeping people up to date after indexing: assign new faces, then cluster what is left.

    update_people(catalog) -> Iterator[Progress]

1. Assignment. Faces that are unknown or sit in an untouched unnamed group are scored against
   every anchored person (named, hidden or user-touched; see queries.ANCHORED) using several of
   the person's faces. Clear winners join (assigned_by='auto'); plausible ones go to the review
   queue (suggestions); a rejected (face, person) pair is never proposed again; a person never
   gets two faces of one photo. Only new faces are scored, unless people changed since the last
   update (a name, a merge, a confirmation: new evidence), then all candidates are.
2. Clustering. The remaining candidates are clustered afresh (core.cluster) into unnamed
   groups. Anchored people are never touched; a new group takes the id of the old unnamed group
   it overlaps most, so ids stay stable; a face rejected from a group stays out of it.
3. One write transaction applies both, after checking that nobody changed the catalog since it
   was read (else the work is redone on fresh data). Killed at any point: old state or new.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..catalog import Catalog, embeddings_from_blobs
from ..cluster.assign import AUTO, SUGGEST, AssignParams, score_faces
from ..cluster.graph import ClusterParams, cluster
from ..jobs import CancelToken, Progress
from .evidence import load_evidence
from .records import UpdateSummary
from .queries import ANCHORED
from .undo import delete_suggestions, drop_empty_groups

log = logging.getLogger(__name__)

MAX_NEGATIVES = 50     # rejected faces per person used as counter-evidence
ATTEMPTS = 4           # re-reads when someone else changed the catalog meanwhile


@dataclass(frozen=True)
class PeopleParams:
    cluster: ClusterParams = field(default_factory=ClusterParams)
    assign: AssignParams = field(default_factory=AssignParams)


@dataclass
class _Plan:
    stamp: tuple[int, int]                        # (revision, people_revision) when read
    auto: list[tuple[int, int]] = field(default_factory=list)          # (face, person)
    suggest: list[tuple[int, int, float]] = field(default_factory=list)  # (face, person, score)
    scored: list[int] = field(default_factory=list)                    # faces re-evaluated
    groups: list[list[int]] = field(default_factory=list)              # new groups, face ids
    group_ids: list[int | None] = field(default_factory=list)          # reused old id or None
    pool: dict[int, int | None] = field(default_factory=dict)          # face -> old group
    max_face_id: int = 0


def update_people(catalog: Catalog, cancel: CancelToken | None = None,
                  params: PeopleParams = PeopleParams(), *, force: bool = False,
                  recluster: bool = True) -> Iterator[Progress]:
    """Assign new faces and regroup unknown ones; the last Progress carries the summary in
    `counters` (auto_assigned, suggested, groups, grouped_faces, unknown_faces, skipped)."""
    total = 3
    for attempt in range(ATTEMPTS):
        # Planning runs without holding the write lock (a GUI stays responsive); if others keep
        # writing meanwhile, the last attempt plans inside the write transaction.
        last_try = attempt == ATTEMPTS - 1
        with catalog.transaction() if last_try else contextlib.nullcontext():
            yield Progress("people", 0, total, message="reading")
            stamp = _stamp(catalog)
            if not force and catalog.get_meta("people_stamp") == f"{stamp[0]}:{stamp[1]}":
                summary = UpdateSummary(0, 0, *_group_counts(catalog), skipped=True)
                yield Progress("people", total, total, counters=_counters(summary))
                return
            plan = _Plan(stamp=stamp)
            plan.max_face_id = catalog.execute("SELECT COALESCE(MAX(id), 0) FROM faces"
                                               ).fetchone()[0]
            # Only new faces are scored, unless people changed since the last update.
            rescore = force or catalog.get_meta("people_scored_revision") != str(stamp[1])
            since = 0 if rescore else int(catalog.get_meta("people_scored_face", "0"))
            models = _models(catalog, since)
            for model_id in models:
                _plan_assignments(catalog, model_id, params.assign, plan, since)
            yield Progress("people", 1, total, message="clustering",
                           counters={"auto_assigned": len(plan.auto)})
            if recluster:
                for model_id in (models if since == 0 else _models(catalog, 0)):
                    _plan_clusters(catalog, model_id, params.cluster, plan, cancel)
            if cancel:
                cancel.raise_if_cancelled()
            yield Progress("people", 2, total, message="writing")
            with catalog.transaction() as conn:
                if _stamp(catalog) != plan.stamp:
                    log.info("catalog changed while planning (attempt %d); re-reading",
                             attempt + 1)
                    continue
                _apply(conn, plan, recluster)
        summary = UpdateSummary(len(plan.auto), len(plan.suggest), *_group_counts(catalog))
        yield Progress("people", total, total, counters=_counters(summary))
        return


def run_update(catalog: Catalog, cancel: CancelToken | None = None, **kwargs) -> UpdateSummary:
    """update_people, drained: for callers that need no progress."""
    last = None
    for last in update_people(catalog, cancel, **kwargs):  # noqa: B007  (keeps the last one)
        pass
    c = last.counters
    return UpdateSummary(c["auto_assigned"], c["suggested"], c["groups"], c["grouped_faces"],
                         c["unknown_faces"], bool(c["skipped"]))


def _counters(s: UpdateSummary) -> dict[str, int]:
    return {"auto_assigned": s.auto_assigned, "suggested": s.suggested, "groups": s.groups,
            "grouped_faces": s.grouped_faces, "unknown_faces": s.unknown_faces,
            "skipped": int(s.skipped)}


def _stamp(catalog: Catalog) -> tuple[int, int]:
    return catalog.revision(), int(catalog.get_meta("people_revision", "0"))


def _group_counts(catalog: Catalog) -> tuple[int, int, int]:
    groups, grouped = catalog.execute(
        f"SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT (SELECT COUNT(*) FROM faces f "
        f"WHERE f.person_id = p.id AND f.ignored = 0) AS n FROM people p WHERE NOT {ANCHORED}) "
        f"WHERE n > 0").fetchone()
    unknown = catalog.execute("SELECT COUNT(*) FROM faces WHERE person_id IS NULL AND "
                              "ignored = 0 AND usable = 1").fetchone()[0]
    return groups, grouped, unknown


def _vectors(rows, column: int) -> np.ndarray:
    return embeddings_from_blobs(r[column] for r in rows)


# -- 1. assignment ---------------------------------------------------------------------------

_CANDIDATE = (f"f.usable = 1 AND f.ignored = 0 AND f.model_id = ? AND (f.person_id IS NULL OR "
              f"f.person_id IN (SELECT p.id FROM people p WHERE NOT {ANCHORED}))")


def _models(catalog: Catalog, since: int) -> list[str]:
    """The embedding models of the usable faces after face id `since` (a key range: cheap when
    only new faces are asked for, a scan of the table otherwise)."""
    return [r[0] for r in catalog.execute("SELECT DISTINCT model_id FROM faces WHERE id > ? AND "
                                          "usable = 1 AND ignored = 0", (since,))]


def _plan_assignments(catalog: Catalog, model_id: str, params: AssignParams, plan: _Plan,
                      since: int) -> None:
    conn = catalog.conn
    rows = conn.execute(f"SELECT f.id, f.photo_id, f.embedding FROM faces f WHERE {_CANDIDATE} "
                        f"AND f.id > ? ORDER BY f.id", (model_id, since)).fetchall()
    plan.scored += [r[0] for r in rows]
    if not rows:
        return
    evidence = load_evidence(catalog, model_id, plan.stamp[1])
    if len(evidence) == 0:
        return
    face_ids = [r[0] for r in rows]
    row_of = {f: i for i, f in enumerate(face_ids)}
    photo_of = [r[1] for r in rows]
    forbidden = set()
    # Rejections, and people already present in the photo (any of their faces, not only the
    # exemplars): one person is never twice in a photo.
    for face_id, person_id in _rejections(conn, face_ids):
        forbidden.add((row_of[face_id], person_id))
    in_photo = defaultdict(set)
    for photo_id, person_id in _people_in_photos(conn, set(photo_of)):
        in_photo[photo_id].add(person_id)
    for i, photo_id in enumerate(photo_of):
        for person_id in in_photo.get(photo_id, ()):
            forbidden.add((i, person_id))
    decisions = score_faces(_vectors(rows, 2), evidence, params,
                            forbidden=forbidden, negatives=_negatives(conn, model_id))
    # Two new faces of one photo never both go to the same person: the stronger one wins.
    best_in_photo: dict[tuple[int, int], int] = {}
    for i in np.flatnonzero(decisions.kind == AUTO):
        key = (photo_of[i], int(decisions.person[i]))
        j = best_in_photo.get(key)
        if j is None or decisions.score[i] > decisions.score[j]:
            if j is not None:
                decisions.kind[j] = SUGGEST
            best_in_photo[key] = i
        else:
            decisions.kind[i] = SUGGEST
    for i in range(len(rows)):
        if decisions.kind[i] == AUTO:
            plan.auto.append((face_ids[i], int(decisions.person[i])))
        elif decisions.kind[i] == SUGGEST:
            plan.suggest.append((face_ids[i], int(decisions.person[i]), float(decisions.score[i])))


def _rejections(conn, face_ids: list[int]):
    for start in range(0, len(face_ids), 500):
        chunk = face_ids[start:start + 500]
        yield from conn.execute(f"SELECT face_id, person_id FROM face_rejections WHERE face_id "
                                f"IN ({','.join('?' * len(chunk))})", chunk)


def _people_in_photos(conn, photo_ids: set[int]):
    ids = sorted(photo_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        yield from conn.execute(
            f"SELECT DISTINCT photo_id, person_id FROM faces WHERE person_id IS NOT NULL AND "
            f"ignored = 0 AND photo_id IN ({','.join('?' * len(chunk))})", chunk)


def _negatives(conn, model_id: str) -> dict[int, np.ndarray]:
    rows = conn.execute(
        "SELECT person_id, embedding FROM (SELECT r.person_id, f.embedding, ROW_NUMBER() OVER "
        "(PARTITION BY r.person_id ORDER BY r.at DESC) AS n FROM face_rejections r JOIN faces f "
        "ON f.id = r.face_id WHERE f.model_id = ?) WHERE n <= ?",
        (model_id, MAX_NEGATIVES)).fetchall()
    out: dict[int, list] = defaultdict(list)
    for person_id, blob in rows:
        out[person_id].append(np.frombuffer(blob, dtype=np.float32))
    return {p: np.stack(v) for p, v in out.items()}


# -- 2. clustering ---------------------------------------------------------------------------

def _plan_clusters(catalog: Catalog, model_id: str, params: ClusterParams, plan: _Plan,
                   cancel: CancelToken | None) -> None:
    auto = {f for f, _ in plan.auto}
    rows = [r for r in catalog.execute(
        f"SELECT f.id, f.photo_id, f.person_id, f.embedding FROM faces f WHERE {_CANDIDATE} "
        f"ORDER BY f.id", (model_id,)).fetchall() if r[0] not in auto]
    if not rows:
        return
    face_ids = np.array([r[0] for r in rows], dtype=np.int64)
    labels = cluster(_vectors(rows, 3), np.array([r[1] for r in rows], dtype=np.int64), params,
                     cancel=cancel)
    old = [r[2] for r in rows]
    for face_id, old_group in zip(face_ids.tolist(), old):
        plan.pool[face_id] = old_group
    groups = [face_ids[labels == g].tolist() for g in range(labels.max() + 1)]
    ids = _reuse_ids(groups, plan.pool, {g for g in plan.group_ids if g is not None})
    # A face rejected from the group it lands in stays out of it.
    rejected = set(map(tuple, catalog.execute(
        "SELECT face_id, person_id FROM face_rejections").fetchall()))
    for faces, group_id in zip(groups, ids):
        if group_id is not None:
            faces = [f for f in faces if (f, group_id) not in rejected]
        if len(faces) >= params.min_size:
            plan.groups.append(faces)
            plan.group_ids.append(group_id)


def _reuse_ids(groups: list[list[int]], old_group: dict[int, int | None],
               taken: set[int]) -> list[int | None]:
    """Each new group takes the old unnamed id it overlaps most (each old id used once)."""
    overlaps = []
    for g, faces in enumerate(groups):
        counts: dict[int, int] = defaultdict(int)
        for f in faces:
            if old_group.get(f) is not None:
                counts[old_group[f]] += 1
        overlaps += [(-n, old_id, g) for old_id, n in counts.items()]
    overlaps.sort()
    ids: list[int | None] = [None] * len(groups)
    for _, old_id, g in overlaps:
        if ids[g] is None and old_id not in taken:
            ids[g] = old_id
            taken.add(old_id)
    return ids


# -- 3. writing ------------------------------------------------------------------------------

def _apply(conn, plan: _Plan, recluster: bool) -> None:
    now = time.time()
    conn.executemany("UPDATE faces SET person_id = ?, assigned_by = 'auto' WHERE id = ?",
                     [(p, f) for f, p in plan.auto])
    if recluster:
        target: dict[int, int | None] = {f: None for f in plan.pool}
        for faces, group_id in zip(plan.groups, plan.group_ids):
            if group_id is None:
                group_id = conn.execute("INSERT INTO people(name, created_at, updated_at) "
                                        "VALUES (NULL, ?, ?)", (now, now)).lastrowid
            for f in faces:
                target[f] = group_id
        changed = [(g, None if g is None else "cluster", f) for f, g in target.items()
                   if g != plan.pool[f]]
        conn.executemany("UPDATE faces SET person_id = ?, assigned_by = ? WHERE id = ?", changed)
    # Unnamed groups left empty (regrouped, or every face matched a named person) disappear.
    drop_empty_groups(conn)
    # The review queue: re-evaluated faces get fresh suggestions; stale ones go. Questions
    # from a photo's tags are not recognition's to drop: they go once the person has a face in
    # that photo (or by the rules below).
    delete_suggestions(conn, plan.scored, recognition_only=True)
    conn.execute("DELETE FROM suggestions WHERE source = 'tags' AND EXISTS (SELECT 1 FROM "
                 "faces f JOIN faces g ON g.photo_id = f.photo_id AND g.id != f.id WHERE "
                 "f.id = suggestions.face_id AND g.person_id = suggestions.person_id)")
    # Walks the (short) queue with key lookups; "face_id IN (SELECT ... FROM faces)" would
    # scan every face of the library.
    conn.execute(f"DELETE FROM suggestions WHERE EXISTS (SELECT 1 FROM faces f WHERE f.id = "
                 f"suggestions.face_id AND (f.ignored = 1 OR f.person_id IN (SELECT p.id FROM "
                 f"people p WHERE {ANCHORED})))")
    conn.executemany("INSERT INTO suggestions(face_id, person_id, score) VALUES (?, ?, ?) "
                     "ON CONFLICT(face_id, person_id) DO UPDATE SET score = excluded.score",
                     plan.suggest)   # a question from the tags keeps its source
    revision = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0]
    people_revision = plan.stamp[1]
    for key, value in (("people_stamp", f"{revision}:{people_revision}"),
                       ("people_scored_revision", str(people_revision)),
                       ("people_scored_face", str(plan.max_face_id))):
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                     "SET value = excluded.value", (key, value))
