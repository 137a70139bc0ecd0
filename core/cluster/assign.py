"""Scoring new faces against known people: pure numpy in, decisions out.

A person is represented by several of their faces (exemplars), not by one centroid: a person
photographed as a child and as an adult, or in profile and frontal, has no meaningful mean. A
face's score for a person is the mean of its `top` best similarities to that person's
exemplars, so one lucky look-alike face is not enough. A face is assigned automatically only
when the best person is clearly ahead of the runner-up; otherwise, if plausible, it is
suggested for review.
"""

from __future__ import annotations

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


def score_faces(vectors: np.ndarray, exemplars: np.ndarray, exemplar_person: np.ndarray,
                params: AssignParams = AssignParams(), *,
                forbidden: set[tuple[int, int]] | frozenset = frozenset(),
                negatives: dict[int, np.ndarray] | None = None,
                batch: int = 1024) -> Decisions:
    """Decide for each row of `vectors` (unit) among the people of `exemplars` (unit rows).

    `forbidden` holds (row, person) pairs that must never be proposed (the user rejected the face
    for that person, or the person already has a face in the same photo). `negatives[p]` are
    faces the user said are NOT p: a face closer to them than to p is never auto-assigned to p.
    """
    m = len(vectors)
    decisions = Decisions(np.full(m, -1, dtype=np.int64), np.zeros(m, dtype=np.float32),
                          np.zeros(m, dtype=np.float32), np.zeros(m, dtype=np.int8))
    if m == 0 or len(exemplars) == 0:
        return decisions
    order = np.argsort(exemplar_person, kind="stable")
    exemplars, exemplar_person = exemplars[order], exemplar_person[order]
    people, starts = np.unique(exemplar_person, return_index=True)
    ends = np.append(starts[1:], len(exemplar_person))
    if len(people) > SHORTLIST_FROM:
        _score_shortlisted(vectors, exemplars, people, starts, ends, params, forbidden,
                           negatives, decisions, batch)
        return decisions
    for b0 in range(0, m, batch):
        sims = vectors[b0:b0 + batch] @ exemplars.T
        # A person's score (mean of their top similarities) is at most their best one, so
        # only people whose best reaches the suggestion bar need the exact score.
        best_of = np.maximum.reduceat(sims, starts, axis=1)
        for r in range(len(sims)):
            plausible = np.flatnonzero(best_of[r] >= params.suggest_threshold)
            if plausible.size == 0:
                continue
            others = best_of[r].copy()
            others[plausible] = -np.inf
            segments = [(int(people[c]), sims[r, starts[c]:ends[c]]) for c in plausible.tolist()]
            _decide(b0 + r, vectors[b0 + r], segments, float(others.max()), params, forbidden,
                    negatives, decisions)
    return decisions


def _score_shortlisted(vectors, exemplars, people, starts, ends, params, forbidden, negatives,
                       decisions, batch) -> None:
    # A plain loop: np.add.reduceat along rows is ~20x slower than slicing here.
    centroids = np.stack([exemplars[a:b].sum(axis=0) for a, b in zip(starts.tolist(),
                                                                        ends.tolist())])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    # The shortlist only ranks people, so a random projection to 128 dims is enough (noise
    # ~0.09 on a cosine against a true person's ~0.5+) and makes this product 4x cheaper.
    projection = np.random.default_rng(0).standard_normal(
        (vectors.shape[1], SHORTLIST_DIMS)).astype(np.float32) / np.sqrt(SHORTLIST_DIMS)
    centroids_low = centroids @ projection
    k = min(SHORTLIST, len(people))
    for b0 in range(0, len(vectors), batch):
        block = vectors[b0:b0 + batch]
        near = (block @ projection) @ centroids_low.T
        shortlist = np.argpartition(-near, k - 1, axis=1)[:, :k]
        for r in range(len(block)):
            chosen = shortlist[r]
            index = np.concatenate([np.arange(starts[c], ends[c]) for c in chosen.tolist()])
            sims = exemplars[index] @ block[r]
            segments, offset = [], 0
            for c in chosen.tolist():
                n = int(ends[c] - starts[c])
                seg = sims[offset:offset + n]
                offset += n
                if float(seg.max()) >= params.suggest_threshold:
                    segments.append((int(people[c]), seg))
            if not segments:
                continue
            # People outside the shortlist: their mean face is farther than every shortlisted
            # one's, so the k-th nearest (exact) mean is a fair stand-in for their best score.
            outside = float(centroids[chosen[np.argmin(near[r, chosen])]] @ block[r])
            _decide(b0 + r, block[r], segments, outside, params, forbidden, negatives, decisions)


def _decide(i: int, vector: np.ndarray, segments: list[tuple[int, np.ndarray]], others: float,
            params: AssignParams, forbidden, negatives, d: Decisions) -> None:
    """One face: `segments` are (person, similarities to that person's exemplars) for the
    plausible people; `others` bounds everybody else's score."""
    ranked = []
    for person, seg in segments:
        take = min(params.top, len(seg))
        ranked.append((float(np.partition(seg, len(seg) - take)[-take:].mean()), person))
    ranked.sort(reverse=True)
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
