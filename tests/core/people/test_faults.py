"""Faults: kill -9 in the middle of the people update; two processes writing at once."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from core.catalog import Catalog
from core.people import list_people, name_person, run_update

from .fake_faces import groups_of, populate

PROJECT = Path(__file__).resolve().parents[3]


def _python(code: str, *args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _state(cat):
    faces = cat.execute("SELECT id, person_id, assigned_by FROM faces ORDER BY id").fetchall()
    people = cat.execute("SELECT id, name FROM people ORDER BY id").fetchall()
    return [tuple(r) for r in faces], [tuple(r) for r in people]


def test_kill_during_the_write_leaves_old_or_new_state(tmp_path):
    with Catalog(tmp_path / "cat") as cat:
        populate(cat, [12, 9, 7, 5, 3] * 4)
        old = _state(cat)
    # The child stops half-way through writing the new groups, says so, and is killed there.
    child = _python("""
        import sys, time
        from core.catalog import Catalog
        from core.people import update as up
        real = up._apply
        def slow_apply(conn, plan, recluster):
            conn.execute("UPDATE faces SET person_id = NULL WHERE id = 1")  # a first write
            print("MIDWAY", flush=True)
            time.sleep(60)
        up._apply = slow_apply
        up.run_update(Catalog(sys.argv[1]))
    """, tmp_path / "cat")
    assert child.stdout.readline().strip() == "MIDWAY"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Catalog(tmp_path / "cat") as cat:
        assert cat.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert _state(cat) == old  # nothing of the half-done update
        run_update(cat)  # and the next run completes
        assert len(groups_of(cat)) == 20
        assert cat.execute("PRAGMA foreign_key_check").fetchall() == []


def test_two_processes_renaming_and_merging_lose_nothing(tmp_path):
    with Catalog(tmp_path / "cat") as cat:
        populate(cat, [4] * 24)
        run_update(cat)
        ids = sorted(p.id for p in list_people(cat))
    first, second = ids[:12], ids[12:]
    worker = """
        import sys
        from core.catalog import Catalog
        from core.people import merge_people, name_person, run_update
        cat = Catalog(sys.argv[1])
        tag, ids = sys.argv[2], [int(x) for x in sys.argv[3].split(",")]
        for round_ in range(3):
            for i, person in enumerate(ids[:8]):
                name_person(cat, person, f"{tag}{i}")
            run_update(cat, force=True)
        merge_people(cat, ids[9:12], ids[8])
        name_person(cat, ids[8], f"{tag}-merged")
        print("done", flush=True)
    """
    a = _python(worker, tmp_path / "cat", "A", ",".join(map(str, first)))
    b = _python(worker, tmp_path / "cat", "B", ",".join(map(str, second)))
    for child in (a, b):
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    with Catalog(tmp_path / "cat") as cat:
        names = {p.name: p for p in list_people(cat)}
        for tag, mine in (("A", first), ("B", second)):
            for i, person in enumerate(mine[:8]):
                assert names[f"{tag}{i}"].id == person and names[f"{tag}{i}"].face_count == 4
            assert names[f"{tag}-merged"].id == mine[8]
            assert names[f"{tag}-merged"].face_count == 16
        assert len(names) == 18
        name_person(cat, first[0], "A0")  # still writable, nothing left locked
