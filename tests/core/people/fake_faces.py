"""Synthetic faces for people tests: clustered unit vectors standing in for a real embedder.

Each identity has a random direction; its faces are that direction plus noise, giving cosines of
about 0.6-0.7 within an identity and about 0 between identities, like ArcFace on clear photos.
"""

from __future__ import annotations

import time

import numpy as np

from core.catalog import Catalog, embedding_to_blob

DIM = 512


def identities(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n, DIM)).astype(np.float32)
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


def faces_of(centre: np.ndarray, count: int, rng: np.random.Generator,
             noise: float = 0.75) -> np.ndarray:
    v = centre + rng.standard_normal((count, DIM)).astype(np.float32) * (noise / np.sqrt(DIM))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def add_photo(cat: Catalog, vectors, *, model_id: str = "fake", usable: int = 1,
              name: str | None = None) -> list[int]:
    """One photo holding one face per vector; returns the face ids."""
    folder = cat.add_folder(cat.dir / "photos")
    with cat.transaction() as conn:
        count = conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
        path = str(cat.dir / "photos" / (name or f"p{count:06d}.jpg"))
        photo = conn.execute("INSERT INTO photos(folder_id, path, size, mtime_ns, width, height, "
                             "status) VALUES (?, ?, 1, 1, 1000, 1000, 'indexed')",
                             (folder, path)).lastrowid
        ids = []
        for i, v in enumerate(vectors):
            ids.append(conn.execute(
                "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality, "
                "usable, embedding, model_id, created_at) VALUES (?, ?, 0, ?, 100, ?, 0.9, 100, "
                "?, ?, ?, ?, ?)",
                (photo, 100.0 * i, 100.0 * i + 100, b"\0" * 40, 0.5 + 0.01 * (i % 7), usable,
                 embedding_to_blob(v), model_id, time.time())).lastrowid)
    return ids


def populate(cat: Catalog, sizes: list[int], seed: int = 0) -> dict[int, list[int]]:
    """Identities of the given sizes, one face per photo; returns identity -> face ids."""
    rng = np.random.default_rng(seed + 1)
    centres = identities(len(sizes), seed)
    out: dict[int, list[int]] = {}
    for who, size in enumerate(sizes):
        out[who] = [add_photo(cat, [v])[0] for v in faces_of(centres[who], size, rng)]
    return out


def groups_of(cat: Catalog) -> dict[int, set[int]]:
    """person id -> face ids, as stored."""
    out: dict[int, set[int]] = {}
    for face, person in cat.execute("SELECT id, person_id FROM faces WHERE person_id IS NOT NULL"):
        out.setdefault(person, set()).add(face)
    return out
