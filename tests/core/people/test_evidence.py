"""The evidence cache: people's exemplars kept on disk between updates, refreshed when people
change, never trusted when damaged."""

import numpy as np
import pytest

from core.people import name_person, run_update
from core.people.evidence import _cache_root, _in_memory, _select, load_evidence

from .fake_faces import populate


def _revision(cat) -> int:
    return int(cat.get_meta("people_revision", "0"))


@pytest.fixture
def named(catalog):
    truth = populate(catalog, [6, 5, 4], seed=3)
    run_update(catalog)
    groups = [catalog.execute("SELECT person_id FROM faces WHERE id = ?", (faces[0],)
                              ).fetchone()[0] for faces in truth.values()]
    name_person(catalog, groups[0], "Anna")
    name_person(catalog, groups[1], "Ben")
    return catalog, groups


def _query(cat):
    """The evidence read from the catalog, never from the cache."""
    return _in_memory(*_select(cat, "fake"))


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, n), getattr(b, n))
               for n in ("vectors", "people", "starts", "centroids", "projected"))


def _from_cache_only(monkeypatch):
    from core.people import evidence

    def no_query(*args):
        raise AssertionError("read from the catalog, not from the cache")

    monkeypatch.setattr(evidence, "_select", no_query)


def test_the_cached_evidence_is_what_the_catalog_says(named, monkeypatch):
    cat, groups = named
    first = load_evidence(cat, "fake", _revision(cat))
    assert sorted(first.people.tolist()) == sorted(groups[:2])
    fresh = _query(cat)
    _from_cache_only(monkeypatch)
    assert _same(load_evidence(cat, "fake", _revision(cat)), fresh)


def test_naming_someone_behind_the_apps_back_refreshes_it(named):
    cat, groups = named
    load_evidence(cat, "fake", _revision(cat))
    with cat.transaction() as conn:  # a script's SQL: no people_revision bump
        conn.execute("UPDATE people SET name = 'Cleo', updated_at = updated_at + 1 WHERE id = ?",
                     (groups[2],))
    fresh = load_evidence(cat, "fake", _revision(cat))
    assert groups[2] in fresh.people.tolist()
    # one folder per state of people: the old one is gone
    assert len([p for p in _cache_root(cat, "fake").iterdir()]) == 1


def test_a_damaged_cache_is_rebuilt_from_the_catalog(named, monkeypatch):
    cat, _ = named
    load_evidence(cat, "fake", _revision(cat))
    (folder,) = _cache_root(cat, "fake").iterdir()
    (folder / "vectors.npy").write_bytes(b"not an array")
    fresh = _query(cat)
    assert _same(load_evidence(cat, "fake", _revision(cat)), fresh)
    _from_cache_only(monkeypatch)  # and the cache is whole again
    assert _same(load_evidence(cat, "fake", _revision(cat)), fresh)


def test_each_person_keeps_what_the_user_confirmed_then_their_best_faces(named, monkeypatch):
    from core.people import evidence

    cat, groups = named
    anna = groups[0]
    faces = [f for (f,) in cat.execute("SELECT id FROM faces WHERE person_id = ? ORDER BY id",
                                       (anna,))]
    with cat.transaction() as conn:
        for quality, face in enumerate(faces):  # the last face is the best
            conn.execute("UPDATE faces SET quality = ? WHERE id = ?", (quality / 10, face))
        conn.execute("UPDATE faces SET assigned_by = 'user' WHERE id = ?", (faces[0],))
    monkeypatch.setattr(evidence, "MAX_EXEMPLARS", 2)
    ev = _query(cat)
    column = ev.people.tolist().index(anna)
    rows = ev.vectors[ev.starts[column]:ev.ends[column]]
    wanted = [np.frombuffer(blob, dtype=np.float32) for (blob,) in cat.execute(
        f"SELECT embedding FROM faces WHERE id IN ({faces[0]}, {faces[-1]})")]
    assert len(rows) == 2
    assert all(any(np.array_equal(r, w) for r in rows) for w in wanted)


def test_nobody_named_yet_means_no_evidence_and_no_cache(catalog):
    populate(catalog, [4, 3], seed=5)
    run_update(catalog)
    assert len(load_evidence(catalog, "fake", _revision(catalog))) == 0
    assert not _cache_root(catalog, "fake").exists()


def test_a_killed_writers_leftovers_are_cleared_a_live_ones_are_not(named):
    import os
    import time

    cat, groups = named
    root = _cache_root(cat, "fake")
    root.mkdir(parents=True)
    (root / ".tmp-killed").mkdir()
    (root / ".tmp-killed" / "vectors.npy").write_bytes(b"half")
    hours_ago = time.time() - 7200
    os.utime(root / ".tmp-killed", (hours_ago, hours_ago))
    (root / ".tmp-writing").mkdir()  # another process, right now
    load_evidence(cat, "fake", _revision(cat))
    assert not (root / ".tmp-killed").exists()
    assert (root / ".tmp-writing").exists()
