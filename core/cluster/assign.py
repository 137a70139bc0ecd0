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
    person = np.full(m, -1, dtype=np.int64)
    score = np.zeros(m, dtype=np.float32)
    runner = np.zeros(m, dtype=np.float32)
    kind = np.zeros(m, dtype=np.int8)
    if m == 0 or len(exemplars) == 0:
        return Decisions(person, score, runner, kind)
    order = np.argsort(exemplar_person, kind="stable")
    exemplars, exemplar_person = exemplars[order], exemplar_person[order]
    people, starts = np.unique(exemplar_person, return_index=True)
    ends = np.append(starts[1:], len(exemplar_person))
    for b0 in range(0, m, batch):
        sims = vectors[b0:b0 + batch] @ exemplars.T
        # A person's score (mean of their top similarities) is at most their best one, so
        # only people whose best reaches the suggestion bar need the exact score.
        best_of = np.maximum.reduceat(sims, starts, axis=1)
        for r in range(len(sims)):
            i = b0 + r
            plausible = np.flatnonzero(best_of[r] >= params.suggest_threshold)
            if plausible.size == 0:
                continue
            ranked = []
            for c in plausible.tolist():
                seg = sims[r, starts[c]:ends[c]]
                take = min(params.top, len(seg))
                ranked.append((float(np.partition(seg, len(seg) - take)[-take:].mean()),
                               int(people[c])))
            ranked.sort(reverse=True)
            allowed = [(sc, p) for sc, p in ranked if (i, p) not in forbidden]
            if not allowed:
                continue
            best, p = allowed[0]
            # The runner-up: the best other plausible person, or an upper bound for the rest.
            others = best_of[r].copy()
            others[plausible] = -np.inf
            second = max([sc for sc, q in ranked if q != p] + [float(others.max()), 0.0])
            person[i], score[i], runner[i] = p, best, second
            if best < params.suggest_threshold:
                continue
            kind[i] = SUGGEST
            if best >= params.auto_threshold and best - second >= params.margin:
                neg = negatives.get(p) if negatives else None
                if neg is None or len(neg) == 0 or float((neg @ vectors[i]).max()) < best:
                    kind[i] = AUTO
    return Decisions(person, score, runner, kind)
