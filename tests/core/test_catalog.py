import sqlite3

import numpy as np
import pytest

from core.catalog import Catalog, CatalogTooNew, embedding_to_blob
from core.catalog.schema import SCHEMA_VERSION


def _add_photo_with_face(cat: Catalog) -> int:
    folder = cat.add_folder(cat.dir)
    with cat.transaction() as conn:
        photo = conn.execute(
            "INSERT INTO photos(folder_id, path, size, mtime_ns) VALUES (?, ?, 1, 1)",
            (folder, str(cat.dir / "a.jpg"))).lastrowid
        conn.execute(
            "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality,"
            " usable, embedding, model_id, created_at)"
            " VALUES (?, 0, 0, 10, 10, ?, 0.9, 10, 1, 1, ?, 'm', 0)",
            (photo, b"\0" * 40, embedding_to_blob(np.ones(512, np.float32))))
    return photo


def test_new_catalog_has_current_schema_and_pragmas(catalog):
    assert catalog.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert catalog.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert catalog.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_revision_bumps_on_face_changes(catalog):
    before = catalog.revision()
    photo = _add_photo_with_face(catalog)
    assert catalog.revision() == before + 1
    catalog.execute("DELETE FROM photos WHERE id=?", (photo,))  # cascades to the face
    assert catalog.revision() == before + 2
    ids, vectors = catalog.face_embeddings()
    assert len(ids) == 0 and vectors.shape == (0, 512)


def test_failed_transaction_leaves_old_state(catalog):
    _add_photo_with_face(catalog)
    with pytest.raises(RuntimeError):
        with catalog.transaction() as conn:
            conn.execute("DELETE FROM faces")
            raise RuntimeError("crash in the middle")
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 1


def test_refuses_newer_catalog(tmp_path):
    Catalog(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "catalog.sqlite3")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CatalogTooNew):
        Catalog(tmp_path)


def test_removing_folder_forgets_its_photos(catalog):
    _add_photo_with_face(catalog)
    assert catalog.remove_folder(catalog.dir) == 1
    assert catalog.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0


def test_concurrent_first_opens_migrate_once(tmp_path):
    import threading

    errors = []
    barrier = threading.Barrier(6)

    def open_it():
        try:
            barrier.wait()
            Catalog(tmp_path / "shared").close()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Catalog(tmp_path / "shared") as cat:
        assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
