"""A CLI that answers at once: what a command loads, and which queries read the face rows.

Timings live in bench/cli_startup.py; here, the causes: heavy modules a command must not
import, and the people/status queries that must be answered from an index (each face row
holds a 2 KB embedding, so reading the rows is what made them slow).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import PROJECT

HEAVY = ("numba", "scipy", "onnxruntime", "openvino", "insightface", "cv2", "PIL", "sklearn",
         "annoy", "PySide6", "onnx",
         # the cluster's (core/remote): only for --cluster, `worker`, `scheduler`, `cluster-certs`
         "dask", "distributed", "tornado", "cryptography")


def _loaded_by(*args: str) -> set[str]:
    """Top-level modules a `faceshelf ...` process has imported when it exits."""
    script = ("import sys, runpy, atexit\n"
              "atexit.register(lambda: sys.stderr.write('\\nLOADED ' + ' '.join(sorted("
              "{m.split('.')[0] for m in sys.modules})) + '\\n'))\n"
              f"sys.argv = ['faceshelf', *{list(args)!r}]\n"
              "from core.cli import main\n"
              "sys.exit(main())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=PROJECT, timeout=300)
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("LOADED ")][-1]
    return set(line.split()[1:])


@pytest.fixture
def indexed_catalog(catalog):
    """A catalog with 60 faces of 3 people (random unit embeddings) and a search index."""
    from core.catalog import embedding_to_blob
    from core.search.search_index import build_index

    rng = np.random.default_rng(1)
    now = 0.0
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
        for pid in range(1, 4):
            conn.execute("INSERT INTO people(id, name, created_at, updated_at) "
                         "VALUES (?, ?, 0, 0)", (pid, f"P{pid}"))
        for fid in range(1, 61):
            conn.execute("INSERT INTO photos(id, folder_id, path, size, mtime_ns, status) "
                         "VALUES (?, 1, ?, 1, 1, 'indexed')", (fid, f"/p/{fid}.jpg"))
            vector = rng.standard_normal(512).astype(np.float32)
            vector /= np.linalg.norm(vector)
            conn.execute(
                "INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, det_score, size, "
                "quality, usable, embedding, model_id, person_id, created_at) "
                "VALUES (?, ?, 0, 0, 100, 100, zeroblob(40), 0.9, 100, 0.5, 1, ?, 'm', ?, ?)",
                (fid, fid, embedding_to_blob(vector), 1 + fid % 3, now))
    for _ in build_index(catalog, "m", kind="bits"):
        pass
    return catalog


def test_quick_commands_load_no_heavy_module(indexed_catalog):
    where = ["--catalog", str(indexed_catalog.dir)]
    for command in (["--help"], [*where, "status"], [*where, "people", "--json"],
                    [*where, "search", "--face", "1"], ["--version"]):
        heavy = _loaded_by(*command) & set(HEAVY)
        assert heavy == set(), f"faceshelf {' '.join(command)} loaded {sorted(heavy)}"


def test_people_and_status_counts_are_read_from_an_index(indexed_catalog):
    from core.people.queries import _PEOPLE_SQL

    def plan(sql: str) -> str:
        return " | ".join(row[3] for row in indexed_catalog.execute("EXPLAIN QUERY PLAN " + sql))

    for sql in ("SELECT COUNT(*), COALESCE(SUM(usable), 0) FROM faces",
                "SELECT person_id, json_group_array(id) FROM faces WHERE person_id IS NOT NULL "
                "AND ignored = 0 GROUP BY person_id",
                _PEOPLE_SQL.format(where="WHERE p.hidden = 0")):
        steps = plan(sql)
        assert "SCAN faces" not in steps.replace("SCAN faces USING COVERING INDEX", ""), steps
        assert "faces_person_summary" in steps or "COVERING INDEX" in steps, steps


def test_people_json_lists_each_persons_face_ids_ascending(indexed_catalog):
    import json

    done = subprocess.run([sys.executable, "-m", "core.cli", "--catalog",
                           str(indexed_catalog.dir), "people", "--json"], capture_output=True,
                          text=True, cwd=PROJECT, timeout=120)
    assert done.returncode == 0, done.stderr
    people = json.loads(done.stdout)
    assert [p["id"] for p in people] == [1, 2, 3]  # 20 faces each: biggest first, then by id
    for person in people:
        expected = [f for f in range(1, 61) if 1 + f % 3 == person["id"]]
        assert person["face_ids"] == expected and person["faces"] == 20
