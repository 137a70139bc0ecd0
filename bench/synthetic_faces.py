"""Synthetic face embeddings that behave like ArcFace's, for search and clustering benchmarks.

Shape of real buffalo_s embeddings of ../shared/data/faces (measured 2026-11-26, 9,249 faces):
different-person cosines have std 0.083, 99.99th percentile 0.31; an uncentred PCA keeps 71% of
the variance in 128 dimensions. Identity centres drawn from a Gaussian with a power-law spectrum
(variance of dimension i ~ 1/(i+8)) reproduce that: std 0.084, p99.99 0.31, 68% in 128 d.
Each face is its identity centre tilted by a random direction (same spectrum) so that its cosine
to the centre is t ~ U(0.62, 0.93); two faces of one identity then have cosine ~t1*t2, spread
over ~0.4-0.85 like real same-person pairs (quantiles below). Identity sizes are log-normal
(median ~6, a long tail to a few hundred), like people in a family library.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

DIM = 512
_SCALE = np.sqrt(1.0 / (np.arange(DIM) + 8.0))
_SCALE *= np.sqrt(DIM / (_SCALE ** 2).sum())
# Cosine of a face to its identity centre: same-identity pairs then have cosines with quantiles
# 1% 0.41, 5% 0.45, 50% 0.59, 95% 0.78 (real buffalo_s pairs: 0.39, 0.47, 0.62, 0.80).
T_LOW, T_HIGH = 0.62, 0.93


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def identity_sizes(n_faces: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sizes = np.clip(np.round(rng.lognormal(mean=1.8, sigma=1.0, size=n_faces)), 1, 400)
    sizes = sizes.astype(np.int64)
    cut = np.searchsorted(np.cumsum(sizes), n_faces)
    sizes = sizes[:cut + 1]
    sizes[-1] -= sizes.sum() - n_faces
    return sizes[sizes > 0]


def faces_of(centres: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal((len(labels), DIM)) * _SCALE
    c = centres[labels]
    noise -= (noise * c).sum(1, keepdims=True) * c          # orthogonal to the centre
    noise = _unit(noise)
    t = rng.uniform(T_LOW, T_HIGH, size=(len(labels), 1))
    return _unit(t * c + np.sqrt(1 - t ** 2) * noise)


def generate(n_faces: int, seed: int = 0, chunk: int = 10_000,
             ) -> tuple[np.ndarray, Iterator[np.ndarray]]:
    """(labels int32[n], chunks of float32 vectors in label order). Deterministic per seed;
    the chunks are produced lazily so a million faces never sit in memory twice."""
    sizes = identity_sizes(n_faces, seed)
    labels = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    rng = np.random.default_rng(seed + 1)
    centres = _unit(rng.standard_normal((len(sizes), DIM)) * _SCALE)

    def chunks() -> Iterator[np.ndarray]:
        for start in range(0, n_faces, chunk):
            yield faces_of(centres, labels[start:start + chunk],
                           np.random.default_rng((seed, start)))

    return labels, chunks()
