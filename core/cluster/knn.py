"""Approximate k-nearest-neighbour graph of face embeddings, built with annoy.

Clustering a library must never build an all-pairs similarity matrix (100,000 faces would be
40 GB). annoy's random-projection forest finds candidates; every candidate is then scored
exactly, so a similarity in the graph is always the true cosine. A missed neighbour costs a
little recall, never precision.

Measured on real ArcFace (buffalo_s) embeddings of 9,000 faces, recall of the true 20 nearest
neighbours above cosine 0.4 (what the clustering uses):
  annoy on the 512-d vectors, 20 trees, search_k 1,000 ............ 0.91
  annoy on a 128-d PCA projection, 40 candidates, search_k 1,000 .. 0.98, and faster
  + one neighbour-of-neighbour round, rescored exactly ............ 0.99
Random hyperplanes split 512 dimensions poorly; the PCA keeps the directions in which faces
differ, so the trees cut along identities.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..jobs import CancelToken

log = logging.getLogger(__name__)

PROJECTION_DIM = 128


@dataclass
class KnnGraph:
    neighbors: np.ndarray      # int32[n, k], row i's neighbours (never i itself), -1 = none
    similarities: np.ndarray   # float32[n, k], exact cosine, descending per row (-inf = none)


def knn_graph(vectors: np.ndarray, k: int = 20, *, candidates: int = 40, trees: int = 20,
              search_k: int = 1000, seed: int = 1,
              cancel: CancelToken | None = None) -> KnnGraph:
    """The k nearest neighbours of every row of `vectors` (L2-normalised float32)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    if n < 2:
        return KnnGraph(np.full((n, k), -1, np.int32), np.full((n, k), -np.inf, np.float32))
    projected = _project(vectors, PROJECTION_DIM)
    found = _annoy_candidates(projected, min(candidates, n - 1), trees, search_k, seed, cancel)
    graph = _rescore(vectors, found, k, cancel)
    return refine(vectors, graph, cancel=cancel)


def _project(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Unit vectors in the `dim` principal directions of this set (identity if already small)."""
    if vectors.shape[1] <= dim or len(vectors) <= dim:
        return vectors
    centred_mean = vectors.mean(axis=0, dtype=np.float64)
    # Covariance by chunks keeps memory flat at 100k faces (512 x 512 float64 only).
    cov = np.zeros((vectors.shape[1], vectors.shape[1]), dtype=np.float64)
    for start in range(0, len(vectors), 16384):
        chunk = vectors[start:start + 16384] - centred_mean.astype(np.float32)
        cov += chunk.T.astype(np.float64) @ chunk.astype(np.float64)
    _, eigvecs = np.linalg.eigh(cov)
    basis = np.ascontiguousarray(eigvecs[:, ::-1][:, :dim], dtype=np.float32)
    projected = (vectors - centred_mean.astype(np.float32)) @ basis
    norms = np.linalg.norm(projected, axis=1, keepdims=True)
    return projected / np.maximum(norms, 1e-12)


def _annoy_candidates(points: np.ndarray, count: int, trees: int, search_k: int, seed: int,
                      cancel: CancelToken | None) -> np.ndarray:
    from annoy import AnnoyIndex  # lazily: the CLI starts faster without it

    n, dim = points.shape
    index = AnnoyIndex(dim, "angular")
    index.set_seed(seed)
    for i, row in enumerate(points):
        index.add_item(i, row)
    if cancel:
        cancel.raise_if_cancelled()
    index.build(trees, n_jobs=1)  # one job: the same forest for the same seed, every time
    found = np.full((n, count), -1, dtype=np.int32)
    for i in range(n):
        if cancel and i % 5000 == 0:
            cancel.raise_if_cancelled()
        row = [j for j in index.get_nns_by_item(i, count + 1, search_k=search_k) if j != i]
        found[i, :min(count, len(row))] = row[:count]
    index.unload()
    return found


def _rescore(vectors: np.ndarray, candidates: np.ndarray, k: int,
             cancel: CancelToken | None, batch: int = 1024) -> KnnGraph:
    """The k best of each row's candidates by exact cosine (duplicates, self and -1 dropped)."""
    n = len(vectors)
    out_n = np.full((n, k), -1, dtype=np.int32)
    out_s = np.full((n, k), -np.inf, dtype=np.float32)
    for start in range(0, n, batch):
        if cancel:
            cancel.raise_if_cancelled()
        stop = min(n, start + batch)
        rows = np.arange(start, stop)
        cand = np.sort(candidates[start:stop], axis=1)
        bad = (cand < 0) | (cand == rows[:, None])
        bad[:, 1:] |= cand[:, 1:] == cand[:, :-1]
        scores = np.einsum("bd,bcd->bc", vectors[start:stop], vectors[np.where(bad, 0, cand)])
        scores[bad] = -np.inf
        take = min(k, scores.shape[1])
        top = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), axis=1,
                                                 kind="stable"), 1)
        top_s = np.take_along_axis(scores, top, 1)
        out_s[start:stop, :take] = top_s
        out_n[start:stop, :take] = np.where(np.isfinite(top_s),
                                            np.take_along_axis(cand, top, 1), -1)
    return KnnGraph(out_n, out_s)


def refine(vectors: np.ndarray, graph: KnnGraph, *, expand: int = 3,
           cancel: CancelToken | None = None) -> KnnGraph:
    """One round of neighbour-of-neighbour search, rescored exactly.

    The faces of one person are each other's neighbours: the lists of a face's nearest
    neighbours, and the faces that list it, hold most of the neighbours annoy missed.
    """
    n, k = graph.neighbors.shape
    nbrs = graph.neighbors
    # Reverse lists: the k strongest faces that list i among their neighbours.
    src = np.repeat(np.arange(n, dtype=np.int32), k)
    dst = nbrs.reshape(-1)
    sim = graph.similarities.reshape(-1)
    ok = dst >= 0
    src, dst, sim = src[ok], dst[ok], sim[ok]
    order = np.lexsort((-sim, dst))
    src, dst = src[order], dst[order]
    rank = np.arange(len(dst)) - np.searchsorted(dst, np.arange(n))[dst]
    keep = rank < k
    reverse = np.full((n, k), -1, dtype=np.int32)
    reverse[dst[keep], rank[keep]] = src[keep]
    near = nbrs[:, :expand]
    second = np.where(near[:, :, None] >= 0, nbrs[np.maximum(near, 0)], -1).reshape(n, -1)
    return _rescore(vectors, np.concatenate([nbrs, reverse, second], axis=1), k, cancel)
