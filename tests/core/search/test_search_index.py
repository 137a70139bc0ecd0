"""The search index on synthetic clustered vectors in a real catalog: delta, deletions, swap,
exact re-ranking, person queries and filters."""


import numpy as np
import pytest

from core.search import search_index as search_index
from core.search.search_index import SearchIndex, build_index, read_stamp
from core.search import SearchSpec, search_photos

from .helpers import MODEL, Library, identity_vectors, unit


@pytest.fixture(autouse=True)
def _fresh_indexes():
    yield
    SearchIndex.forget_all()


@pytest.fixture
def clustered(catalog):
    """300 identities x 6 faces, one face per photo; identity i's photos are 'id{i}-{j}'."""
    rng = np.random.default_rng(1)
    labels, vectors = identity_vectors(rng, 300, 6)
    lib = Library(catalog)
    face_ids = []
    with catalog.transaction():
        for j, (label, vector) in enumerate(zip(labels, vectors)):
            photo = lib.photo(f"id{label}-{j % 6}.jpg")
            face_ids.append(lib.face(photo, vector))
    return lib, labels, vectors, np.array(face_ids)


def build(catalog, kind="scan", **options):
    for _ in build_index(catalog, MODEL, kind=kind, n_trees=4, **options):
        pass
    return read_stamp(catalog.index_dir, MODEL)


def exact_hits(catalog, vector, threshold):
    ids, vectors = catalog.face_embeddings("ignored = 0")
    sims = vectors @ vector
    return {int(i): float(s) for i, s in zip(ids, sims) if s >= threshold}


@pytest.mark.parametrize("kind", ["bits", "scan", "annoy"])
def test_search_matches_exact_and_is_ranked(clustered, kind):
    lib, labels, vectors, face_ids = clustered
    build(lib.cat, kind)
    for row in (0, 17, 600, 1799):
        hits = search_photos(lib.cat, SearchSpec(face_id=int(face_ids[row]), min_similarity=0.3))
        truth = exact_hits(lib.cat, vectors[row], 0.3)
        assert {h.face_id for h in hits} == set(truth)
        for hit in hits:  # exact cosine on stored vectors, not annoy's estimate
            assert hit.similarity == pytest.approx(truth[hit.face_id], abs=1e-5)
        assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
        assert hits[0].face_id == face_ids[row] and hits[0].similarity == pytest.approx(1.0)
        assert all(labels[list(face_ids).index(h.face_id)] == labels[row] for h in hits)


@pytest.mark.parametrize("kind", ["bits", "scan", "annoy"])
def test_faces_added_after_build_are_found_without_rebuild(clustered, kind):
    lib, labels, vectors, face_ids = clustered
    stamp = build(lib.cat, kind)
    assert stamp.kind == kind and stamp.count == len(face_ids)
    assert stamp.max_face_id == face_ids[-1]
    rng = np.random.default_rng(5)
    new_photo = lib.photo("new.jpg")
    new_face = lib.face(new_photo, vectors[42] + 0.3 * unit(rng.standard_normal(512)))
    hits = search_photos(lib.cat, SearchSpec(face_id=int(face_ids[42])))
    assert new_photo in {h.photo_id for h in hits}
    index = SearchIndex.for_catalog(lib.cat, MODEL)
    assert index.delta_size == 1 and index.generation.stamp == stamp  # no rebuild happened
    # and searching *with* the new face works too (it is only in the delta)
    hits = search_photos(lib.cat, SearchSpec(face_id=new_face))
    assert {h.photo_id for h in hits} >= {new_photo, lib.cat.execute(
        "SELECT photo_id FROM faces WHERE id=?", (int(face_ids[42]),)).fetchone()[0]}


@pytest.mark.parametrize("kind", ["bits", "scan", "annoy"])
def test_deleted_and_ignored_faces_are_never_returned(clustered, kind):
    lib, labels, vectors, face_ids = clustered
    build(lib.cat, kind)
    query = int(face_ids[60])
    before = search_photos(lib.cat, SearchSpec(face_id=query))
    assert len(before) >= 3
    gone, hidden = before[1], before[2]
    lib.cat.execute("DELETE FROM photos WHERE id=?", (gone.photo_id,))
    lib.cat.execute("UPDATE faces SET ignored=1 WHERE id=?", (hidden.face_id,))
    after = {h.face_id for h in search_photos(lib.cat, SearchSpec(face_id=query))}
    assert gone.face_id not in after and hidden.face_id not in after
    lib.cat.execute("UPDATE faces SET ignored=0 WHERE id=?", (hidden.face_id,))  # undo
    assert hidden.face_id in {h.face_id for h in
                              search_photos(lib.cat, SearchSpec(face_id=query))}


def test_rebuild_swaps_without_a_window(clustered, monkeypatch):
    lib, labels, vectors, face_ids = clustered
    build(lib.cat)
    for row in range(6):  # grow the delta
        lib.face(lib.photo(f"late{row}.jpg"), vectors[row * 6])
    index = SearchIndex.for_catalog(lib.cat, MODEL)
    monkeypatch.setattr(search_index, "DELTA_LIMIT", 3)
    monkeypatch.setattr(search_index, "DELTA_SHARE", 0)
    expected = {h.face_id for h in search_photos(lib.cat, SearchSpec(face_id=int(face_ids[0])))}
    assert index.needs_rebuild(lib.cat.conn)
    old_generation = index.generation.stamp.generation
    from core.search import keep_index_fresh

    thread = keep_index_fresh(lib.cat)
    assert thread is not None
    searches = 0
    while thread.is_alive() or searches < 3:
        got = {h.face_id for h in search_photos(lib.cat, SearchSpec(face_id=int(face_ids[0])))}
        assert got == expected
        searches += 1
    thread.join()
    search_photos(lib.cat, SearchSpec(face_id=int(face_ids[0])))
    assert index.generation.stamp.generation != old_generation
    assert index.delta_size == 0 and index.generation.stamp.count == len(face_ids) + 6
    # the old generation is gone from disk, no temporary folders are left
    names = [p.name for p in lib.cat.index_dir.iterdir() if p.is_dir()]
    assert names == [index.generation.stamp.generation]


def test_interrupted_build_leaves_the_old_index(clustered):
    lib, labels, vectors, face_ids = clustered
    stamp = build(lib.cat)
    job = build_index(lib.cat, MODEL, n_trees=4)
    next(job), next(job)
    job.close()  # like a cancel or a crash in the middle: the temp folder is removed
    assert read_stamp(lib.cat.index_dir, MODEL) == stamp
    assert not list(lib.cat.index_dir.glob("*.tmp"))
    (lib.cat.index_dir / "search-x.tmp").mkdir()  # a kill -9 leaves one: next build cleans
    assert search_photos(lib.cat, SearchSpec(face_id=int(face_ids[0])))
    build(lib.cat)
    assert not list(lib.cat.index_dir.glob("*.tmp"))


def test_no_index_at_all_searches_exactly(clustered):
    lib, labels, vectors, face_ids = clustered
    hits = search_photos(lib.cat, SearchSpec(face_id=int(face_ids[9]), min_similarity=0.3))
    assert {h.face_id for h in hits} == set(exact_hits(lib.cat, vectors[9], 0.3))


def test_other_models_and_unusable_faces_are_not_searched(clustered):
    lib, labels, vectors, face_ids = clustered
    other = lib.face(lib.photo("other.jpg"), vectors[0], model="another/model/1")
    small = lib.face(lib.photo("small.jpg"), vectors[0], usable=0)
    build(lib.cat)
    got = {h.face_id for h in search_photos(lib.cat, SearchSpec(face_id=int(face_ids[0])))}
    assert other not in got and small not in got


def test_similarity_search_with_people_and_filters(catalog):
    rng = np.random.default_rng(3)
    lib = Library(catalog)
    anna, ben = lib.person("Anna"), lib.person("Ben")
    _, (a, b, c) = identity_vectors(rng, 3, 1, spread=0)
    near = lambda v: v + 0.4 * unit(rng.standard_normal(512))  # noqa: E731
    p1 = lib.photo("x/1.jpg", "2019-05-01T10:00:00")   # query face + Anna
    q = lib.face(p1, c)
    lib.face(p1, a, anna)
    p2 = lib.photo("x/2.jpg", "2019-06-01T10:00:00")   # match + Anna + Ben
    lib.face(p2, near(c))
    lib.face(p2, near(a), anna)
    lib.face(p2, b, ben)
    p3 = lib.photo("y/3.jpg", "2021-01-01T10:00:00")   # match + Ben
    lib.face(p3, near(c))
    lib.face(p3, near(b), ben)
    p4 = lib.photo("y/4.jpg", "2019-07-01T10:00:00")   # match alone
    lib.face(p4, near(c))
    lib.photo("y/5.jpg")                               # nothing
    photos = lambda **kw: {h.photo_id for h in search_photos(  # noqa: E731
        catalog, SearchSpec(face_id=q, **kw))}
    assert photos() == {p1, p2, p3, p4}
    assert photos(people_all=["Anna", "Ben"]) == {p2}
    assert photos(people_any=["Anna", "Ben"]) == {p1, p2, p3}
    assert photos(people_not=["Ben"]) == {p1, p4}
    assert photos(date_from="2019-01-01", date_to="2019-06-30") == {p1, p2}
    assert photos(folder="/photolib/y") == {p3, p4}
    assert photos(min_similarity=0.999) == {p1}
    assert len(search_photos(catalog, SearchSpec(face_id=q, top=2))) == 2


def test_person_query_uses_all_their_faces(catalog):
    """A person seen young and old: every assigned face is a query, so both ends are found."""
    rng = np.random.default_rng(4)
    lib = Library(catalog)
    anna, ben = lib.person("Anna"), lib.person("Ben")
    young, old = unit(rng.standard_normal(512)), unit(rng.standard_normal(512))
    jitter = lambda v: v + 0.5 * unit(rng.standard_normal(512))  # noqa: E731
    assigned = [lib.face(lib.photo(f"a{i}.jpg"), jitter(young if i % 2 else old), anna)
                for i in range(6)]
    young_unknown = lib.photo("young-unknown.jpg")
    lib.face(young_unknown, jitter(young))
    old_unknown = lib.photo("old-unknown.jpg")
    lib.face(old_unknown, jitter(old))
    bens = lib.photo("ben.jpg")                       # looks like Anna, but the user said Ben
    lib.face(bens, jitter(old), ben)
    rejected = lib.photo("rejected.jpg")              # "not Anna"
    face = lib.face(rejected, jitter(young))
    catalog.execute("INSERT INTO face_rejections(face_id, person_id, at) VALUES (?, ?, 0)",
                    (face, anna))
    stranger = lib.photo("stranger.jpg")
    lib.face(stranger, rng.standard_normal(512))
    hits = search_photos(catalog, SearchSpec(similar_to_person="anna"))
    got = {h.photo_id for h in hits}
    own = {catalog.execute("SELECT photo_id FROM faces WHERE id=?", (f,)).fetchone()[0]
           for f in assigned}
    assert got == own | {young_unknown, old_unknown}
    one_old_face = {h.photo_id for h in search_photos(catalog, SearchSpec(face_id=assigned[0]))}
    assert young_unknown not in one_old_face  # what searching with one face would miss
    assert all(h.person_id in (anna, None) for h in hits)


def test_bits_index_recall_of_weak_matches(tmp_path):
    """Sign codes keep the weak same-person pairs (cosine 0.35-0.5, ~70 degrees apart, what
    annoy's trees lose) with the recall the Hamming bar is derived for."""
    from core.search.stored_index import (Generation, build_generation, hamming_bar,
                                        sign_codes)

    rng = np.random.default_rng(11)
    n_ids, per_id = 400, 5
    centres = unit(rng.standard_normal((n_ids, 512)))
    labels = np.repeat(np.arange(n_ids), per_id)
    spread = rng.uniform(0.7, 1.3, len(labels))[:, None]  # same-id cosines ~0.35-0.7
    vectors = unit(centres[labels] + spread * unit(rng.standard_normal((len(labels), 512))))
    ids = np.arange(1, len(labels) + 1)
    for _ in build_generation(tmp_path, MODEL, ids, [vectors[:900], vectors[900:]],
                              revision=1, max_face_id=len(ids), kind="bits"):
        pass
    stamp = read_stamp(tmp_path, MODEL)
    assert stamp.kind == "bits" and stamp.dims % 64 == 0
    gen = Generation(tmp_path, stamp)
    # the stored codes are the codes of the vectors, word rows of all faces
    assert np.array_equal(gen.scanner.codes.T, sign_codes(vectors, gen.planes))
    found = truth = weak = weak_found = 0
    for row in range(0, len(ids), 7):
        got_ids, sims = gen.matches(vectors[row], 0.35)
        exact = vectors @ vectors[row]
        above = set((np.nonzero(exact >= 0.35)[0] + 1).tolist())
        got = dict(zip(got_ids.tolist(), sims.tolist()))
        assert set(got) <= above  # exact re-rank: nothing below the threshold
        for face_id, sim in got.items():
            assert sim == pytest.approx(exact[face_id - 1], abs=1e-5)
        found += len(above & set(got))
        truth += len(above)
        low = {i + 1 for i in np.nonzero((exact >= 0.35) & (exact < 0.45))[0]}
        weak += len(low)
        weak_found += len(low & set(got))
    gen.close()
    assert weak > 50 and truth > 500
    assert found / truth >= 0.99 and weak_found / weak >= 0.95
    # the bar: a pair at the threshold differs in arccos(t)/pi of the bits on average
    assert hamming_bar(768, 0.35, 0) == int(768 * np.arccos(0.35) / np.pi)
    assert hamming_bar(768, 0.35, 2) > hamming_bar(768, 0.35, 0) < hamming_bar(768, 0.5, 0) * 2


def test_bits_index_with_several_queries_and_an_empty_library(tmp_path):
    from core.search.stored_index import Generation, build_generation

    for _ in build_generation(tmp_path / "empty", MODEL, np.empty(0, np.int64), [],
                              revision=0, max_face_id=0, kind="bits"):
        pass
    gen = Generation(tmp_path / "empty", read_stamp(tmp_path / "empty", MODEL))
    assert len(gen.matches(unit(np.ones(512)), 0.3)[0]) == 0
    gen.close()
    rng = np.random.default_rng(2)
    labels, vectors = identity_vectors(rng, 50, 4)
    ids = np.arange(10, 10 + len(labels))
    for _ in build_generation(tmp_path, MODEL, ids, [vectors], revision=0,
                              max_face_id=int(ids[-1]), kind="bits", dims=512):
        pass
    gen = Generation(tmp_path, read_stamp(tmp_path, MODEL))
    got_ids, sims = gen.matches_many(vectors[[0, 4]], 0.3)  # a person with two faces
    exact = (vectors @ vectors[[0, 4]].T).max(axis=1)
    assert set(got_ids.tolist()) == set((ids[exact >= 0.3]).tolist())
    assert np.allclose(np.sort(sims), np.sort(exact[exact >= 0.3]), atol=1e-5)
    gen.close()
