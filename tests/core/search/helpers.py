"""A small synthetic library for search tests: photos, people and faces with fake embeddings.

Fake embeddings are fine here: these tests check the index and query logic, not recognition.
"""

from __future__ import annotations

import time

import numpy as np

from core.catalog import Catalog, embedding_to_blob

MODEL = "test/model/0"


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def identity_vectors(rng: np.random.Generator, n_ids: int, per_id: int,
                     spread: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """(labels, vectors): faces of one identity have cosine ~0.6-0.8 to each other."""
    centres = unit(rng.standard_normal((n_ids, 512)))
    labels = np.repeat(np.arange(n_ids), per_id)
    noise = unit(rng.standard_normal((len(labels), 512)))
    return labels, unit(centres[labels] + spread * noise)


class Library:
    """Photos and faces written straight into a real catalog."""

    def __init__(self, cat: Catalog, root: str = "/photolib") -> None:
        self.cat = cat
        self.root = root
        with cat.transaction() as conn:
            conn.execute("INSERT INTO folders(path, added_at) VALUES (?, 0)", (root,))
            self.folder = conn.execute("SELECT id FROM folders WHERE path=?", (root,)).fetchone()[0]

    def photo(self, name: str, taken_at: str | None = "2020-06-01T12:00:00") -> int:
        with self.cat.transaction() as conn:
            return conn.execute(
                "INSERT INTO photos(folder_id, path, size, mtime_ns, taken_at, status) "
                "VALUES (?, ?, 1, 1, ?, 'indexed')",
                (self.folder, f"{self.root}/{name}", taken_at)).lastrowid

    def face(self, photo: int, vector: np.ndarray, person: int | None = None,
             box=(10.0, 20.0, 110.0, 140.0), usable: int = 1, model: str = MODEL) -> int:
        with self.cat.transaction() as conn:
            return conn.execute(
                "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality,"
                " usable, embedding, model_id, person_id, assigned_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 0.9, 100, 0.9, ?, ?, ?, ?, ?, ?)",
                (photo, *box, b"\0" * 40, usable, embedding_to_blob(unit(vector)), model,
                 person, "user" if person else None, time.time())).lastrowid

    def person(self, name: str | None) -> int:
        with self.cat.transaction() as conn:
            return conn.execute("INSERT INTO people(name, created_at, updated_at) VALUES (?, 0, 0)",
                                (name,)).lastrowid
