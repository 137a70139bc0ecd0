"""Scoring new faces against known people: pure numpy in, decisions out.

A person is represented by several of their faces (exemplars), not by one centroid: a person
photographed as a child and as an adult, or in profile and frontal, has no meaningful mean. A
face's score for a person is the mean of its `top` best similarities to that person's
exemplars, so one lucky look-alike face is not enough. A face is assigned automatically only
when the best person is clearly ahead of the runner-up; otherwise, if plausible, it is
suggested for review.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

AUTO, SUGGEST, NONE = 2, 1, 0


@dataclass(frozen=True)
class AssignParams:
    top: int = 3                    # mean of the best `top` similarities to a person
    auto_threshold: float = 0.45    # score needed to assign without asking
    margin: float = 0.10            # ... and lead over the runner-up person
    suggest_threshold: float = 0.30  # plausible: offered in the review queue


@dataclass
class Decisions:
    person: np.ndarray      # int64[m], best allowed person (-1 none)
    score: np.ndarray       # float32[m], its score
    runner_up: np.ndarray   # float32[m], the next person's score (0 if none)
    kind: np.ndarray        # int8[m]: AUTO, SUGGEST or NONE


# With many people, scoring every face against every exemplar is the cost (1,000 faces x
# 93,000 exemplars: ~3.5 s here). Above this many people, a face is scored exactly only against
# the people whose mean face is among its SHORTLIST nearest; a person's best exemplar is rarely
# far from their mean, and the people outside the shortlist still bound the runner-up.
SHORTLIST_FROM = 1000
SHORTLIST = 32
SHORTLIST_DIMS = 128


@dataclass
class Evidence:
    """Exemplars grouped by person, with what scoring needs worked out once (and cacheable:
    it changes only when people do, while new faces arrive all the time)."""

    vectors: np.ndarray    # float32[n, d] unit rows; one person's rows are contiguous
    people: np.ndarray     # int64[p] person ids, ascending
    starts: np.ndarray     # int64[p] first row of each person in `vectors`
    centroids: np.ndarray  # float32[p, d] unit mean face of each person
    projected: np.ndarray  # float32[p, SHORTLIST_DIMS] the centroids, projected (shortlists)

    @classmethod
    def build(cls, vectors: np.ndarray, person: np.ndarray) -> Evidence:
        vectors = np.asarray(vectors, dtype=np.float32)
        person = np.asarray(person, dtype=np.int64)
        if len(person) and (np.diff(person) < 0).any():
            order = np.argsort(person, kind="stable")
            vectors, person = vectors[order], person[order]
        people, starts = np.unique(person, return_index=True)
        ends = np.append(starts[1:], len(person))
        # A plain loop: np.add.reduceat along rows is ~20x slower than slicing here.
        centroids = np.zeros((len(people), vectors.shape[1] if vectors.ndim == 2 else 0),
                             dtype=np.float32)
        for c, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
            centroids[c] = vectors[a:b].sum(axis=0)
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        return cls(vectors, people, starts.astype(np.int64), centroids,
                   centroids @ _projection(centroids.shape[1]))

    @property
    def ends(self) -> np.ndarray:
        return np.append(self.starts[1:], len(self.vectors))

    def __len__(self) -> int:
        return len(self.vectors)


@functools.lru_cache(maxsize=4)
def _projection(dims: int) -> np.ndarray:
    """A fixed random projection to SHORTLIST_DIMS. The shortlist only ranks people, so 128
    dims are enough (noise ~0.09 on a cosine against a true person's ~0.5+), and the product
    is 4x cheaper."""
    # drawn once, not per batch; read-only, since every caller shares it
    matrix = (np.random.default_rng(0).standard_normal((dims, SHORTLIST_DIMS))
              .astype(np.float32) / np.float32(np.sqrt(SHORTLIST_DIMS)))
    matrix.setflags(write=False)
    return matrix


def score_faces(vectors: np.ndarray, evidence: Evidence,
                params: AssignParams = AssignParams(), *,
                forbidden: set[tuple[int, int]] | frozenset = frozenset(),
                negatives: dict[int, np.ndarray] | None = None,
                batch: int = 1024) -> Decisions:
    """Decide for each row of `vectors` (unit) among the people of `evidence`.

    `forbidden` holds (row, person) pairs that must never be proposed (the user rejected the face
    for that person, or the person already has a face in the same photo). `negatives[p]` are
    faces the user said are NOT p: a face closer to them than to p is never auto-assigned to p.
    """
    m = len(vectors)
    decisions = Decisions(np.full(m, -1, dtype=np.int64), np.zeros(m, dtype=np.float32),
                          np.zeros(m, dtype=np.float32), np.zeros(m, dtype=np.int8))
    if m == 0 or len(evidence) == 0:
        return decisions
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():  # a broken embedding matches nobody (a zero vector scores 0)
        vectors = np.where(finite[:, None], vectors, 0).astype(np.float32)
    shortlisted = len(evidence.people) > SHORTLIST_FROM
    for b0 in range(0, m, batch):
        block = vectors[b0:b0 + batch]
        if shortlisted:
            face, column, best, score, outside = _shortlisted_pairs(block, evidence, params)
        else:
            face, column, best, score, outside = _all_pairs(block, evidence, params)
        # Only people whose best similarity reaches the suggestion bar are candidates (a
        # person's score, the mean of their top similarities, is at most their best one).
        keep = best >= params.suggest_threshold
        # The others still bound the runner-up (pairs are in face order, every face has some).
        row_first = np.searchsorted(face, np.arange(len(block)))
        outside = np.maximum(outside, np.maximum.reduceat(np.where(keep, -np.inf, best),
                                                          row_first))
        face, column, score = face[keep], column[keep], score[keep]
        who = evidence.people[column]  # once per block, not per face
        rows, first = np.unique(face, return_index=True)
        last = np.append(first[1:], len(face))
        for r, a, b in zip(rows.tolist(), first.tolist(), last.tolist()):
            ranked = sorted(zip(score[a:b].tolist(), who[a:b].tolist()), reverse=True)
            _decide(b0 + r, block[r], ranked, float(outside[r]), params, forbidden, negatives,
                    decisions)
    return decisions


def _all_pairs(block, ev: Evidence, params: AssignParams):
    """Every (face, person) pair: (face, person column, best similarity, score) arrays, face-
    major, and per face the bound on everyone else (none: everyone is scored)."""
    sims = block @ ev.vectors.T
    n, p = len(block), len(ev.people)
    best = np.maximum.reduceat(sims, ev.starts, axis=1)
    score = best.copy()  # stands in where it can't matter: below the suggestion bar
    plausible = best >= params.suggest_threshold
    for c, (a, b) in enumerate(zip(ev.starts.tolist(), ev.ends.tolist())):
        rows = np.flatnonzero(plausible[:, c])
        if len(rows):
            score[rows, c] = _top_mean(sims[rows, a:b], params.top)
    face = np.repeat(np.arange(n), p)
    column = np.tile(np.arange(p), n)
    return face, column, best.ravel(), score.ravel(), np.zeros(n, dtype=np.float32)


def _shortlisted_pairs(block, ev: Evidence, params: AssignParams):
    """Like _all_pairs, for each face's SHORTLIST people nearest by mean face only; the bound
    on the others is the exact similarity of the farthest shortlisted mean face (people outside
    the shortlist are farther still)."""
    near = (block @ _projection(block.shape[1])) @ ev.projected.T
    k = min(SHORTLIST, len(ev.people))
    # The k-th value per row, then a mask: about twice as fast as argpartition here.
    bar = np.partition(near, len(ev.people) - k, axis=1)[:, -k][:, None]
    face, column = np.nonzero(near >= bar)
    farthest = (near == bar).argmax(axis=1)
    outside = np.einsum("ij,ij->i", ev.centroids[farthest], block)
    # Exact scores, one product per shortlisted person over the faces that chose them: each
    # person's exemplars are read once per batch, not once per face.
    by_person = np.argsort(column, kind="stable")
    best = np.empty(len(face), dtype=np.float32)
    score = np.empty(len(face), dtype=np.float32)
    people, first = np.unique(column[by_person], return_index=True)
    last = np.append(first[1:], len(by_person))
    starts, ends = ev.starts, ev.ends
    for c, a, b in zip(people.tolist(), first.tolist(), last.tolist()):
        pairs = by_person[a:b]
        sims = block[face[pairs]] @ ev.vectors[starts[c]:ends[c]].T
        best[pairs] = sims.max(axis=1)
        score[pairs] = _top_mean(sims, params.top)
    return face, column, best, score, outside


def _top_mean(sims: np.ndarray, top: int) -> np.ndarray:
    """Per row, the mean of the `top` largest values."""
    n = sims.shape[1]
    if n <= top:
        return sims.mean(axis=1)
    return np.partition(sims, n - top, axis=1)[:, n - top:].mean(axis=1)


def _decide(i: int, vector: np.ndarray, ranked: list[tuple[float, int]], others: float,
            params: AssignParams, forbidden, negatives, d: Decisions) -> None:
    """One face: `ranked` holds (score, person) of the plausible people, best first; `others`
    bounds everybody else's score."""
    allowed = [(sc, p) for sc, p in ranked if (i, p) not in forbidden]
    if not allowed:
        return
    best, p = allowed[0]
    second = max([sc for sc, q in ranked if q != p] + [others, 0.0])
    d.person[i], d.score[i], d.runner_up[i] = p, best, second
    if best < params.suggest_threshold:
        return
    d.kind[i] = SUGGEST
    if best >= params.auto_threshold and best - second >= params.margin:
        neg = negatives.get(p) if negatives else None
        if neg is None or len(neg) == 0 or float((neg @ vector).max()) < best:
            d.kind[i] = AUTO
