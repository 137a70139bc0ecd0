"""core.library, the read API both front ends use, on a real catalog: what each read returns,
in which order, and that search hits and a person's photos carry what a grid shows."""

from __future__ import annotations

import numpy as np
import pytest

from core import library
from core.people import person_faces, person_photos
from core.search import SearchSpec, search_photos
from core.search.search_index import SearchIndex
from tests.core.search.helpers import Library, identity_vectors, unit


@pytest.fixture(autouse=True)
def _fresh_indexes():
    yield
    SearchIndex.forget_all()


@pytest.fixture
def lib(catalog):
    """Anna in three photos (two taken at the same moment), Ben in one, an undated photo, a
    pending one; sizes set on some."""
    lib = Library(catalog)
    rng = np.random.default_rng(7)
    _, (a, b, other) = identity_vectors(rng, 3, 1, spread=0)
    lib.anna, lib.ben = lib.person("Anna"), lib.person(None)
    lib.photos = {}
    for name, taken in [("b.jpg", "2020-01-01T10:00:00"), ("a.jpg", "2020-01-01T10:00:00"),
                        ("old.jpg", "2018-05-01T09:00:00"), ("undated.jpg", None),
                        ("new.jpg", "2022-03-04T05:06:07")]:
        lib.photos[name] = lib.photo(name, taken)
    with catalog.transaction() as conn:
        conn.execute("UPDATE photos SET width = 640, height = 480 WHERE path LIKE '%/a.jpg'")
        conn.execute("INSERT INTO photos(folder_id, path, size, mtime_ns, status) "
                     "VALUES (?, '/photolib/pending.jpg', 1, 1, 'pending')", (lib.folder,))
    p = lib.photos
    lib.faces = {
        "anna_a": lib.face(p["a.jpg"], a, lib.anna, box=(300.0, 0.0, 400.0, 100.0)),
        "other_a": lib.face(p["a.jpg"], other, box=(10.0, 0.0, 90.0, 100.0)),
        "anna_b": lib.face(p["b.jpg"], a + 0.3 * unit(rng.standard_normal(512)), lib.anna),
        "anna_old": lib.face(p["old.jpg"], a + 0.3 * unit(rng.standard_normal(512)), lib.anna),
        "ben_new": lib.face(p["new.jpg"], b, lib.ben),
        "ben_undated": lib.face(p["undated.jpg"], b + 0.3 * unit(rng.standard_normal(512))),
    }
    return lib


def _names(rows) -> list[str]:
    return [row.path.rsplit("/", 1)[1] for row in rows]


def test_all_photos_in_either_order_indexed_only(catalog, lib):
    newest = library.all_photos(catalog, newest_first=True)
    # same moment: the later added (a.jpg) first; undated last; pending never
    assert _names(newest) == ["new.jpg", "a.jpg", "b.jpg", "old.jpg", "undated.jpg"]
    assert _names(library.all_photos(catalog.conn, newest_first=False)) == [
        "old.jpg", "a.jpg", "b.jpg", "new.jpg", "undated.jpg"]   # same moment: by path
    a = newest[1]
    assert (a.id, a.taken_at, a.width, a.height) == (lib.photos["a.jpg"], "2020-01-01T10:00:00",
                                                     640, 480)
    assert (newest[0].width, newest[0].height) == (0, 0)   # size not known yet
    assert a.similarity is None and a.face_id is None


def test_a_persons_photos_oldest_first_for_the_cli_newest_first_for_the_gui(catalog, lib):
    oldest = person_photos(catalog, lib.anna)
    assert _names(oldest) == ["old.jpg", "a.jpg", "b.jpg"]   # same moment: by path
    newest = person_photos(catalog, lib.anna, newest_first=True)
    assert _names(newest) == ["a.jpg", "b.jpg", "old.jpg"]   # same moment: later added first
    assert (newest[0].width, newest[0].height, newest[0].face_ids) == (
        640, 480, (lib.faces["anna_a"],))
    # the newest-first order is the photo grid's own, restricted to Anna's photos
    grid = [p.id for p in library.all_photos(catalog, newest_first=True)]
    assert [p.id for p in newest] == [i for i in grid if i in {p.id for p in oldest}]


def test_person_faces_carry_the_photo_size(catalog, lib):
    faces = {f.id: f for f in person_faces(catalog, lib.anna)}
    assert faces[lib.faces["anna_a"]].photo_size == (640, 480)
    assert faces[lib.faces["anna_old"]].photo_size == (0, 0)


def test_one_photo_and_its_faces_left_to_right(catalog, lib):
    assert library.photo(catalog, 10_000) is None
    record = library.photo(catalog.conn, lib.photos["a.jpg"])
    assert (record.path, record.taken_at, record.width) == ("/photolib/a.jpg",
                                                             "2020-01-01T10:00:00", 640)
    with catalog.transaction() as conn:
        conn.execute("UPDATE faces SET ignored = 1 WHERE id = ?", (lib.faces["other_a"],))
    faces = library.photo_faces(catalog, lib.photos["a.jpg"])
    assert [f.id for f in faces] == [lib.faces["other_a"], lib.faces["anna_a"]]  # by x1
    assert [(f.person_name, f.ignored) for f in faces] == [(None, True), ("Anna", False)]
    assert faces[1].box == (300.0, 0.0, 400.0, 100.0) and faces[1].photo_size == (640, 480)


def test_face_details_stream_every_face_embeddings_only_when_asked(catalog, lib):
    details = list(library.face_details(catalog))
    assert [d.id for d in details] == sorted(lib.faces.values())
    assert all(d.embedding is None for d in details)
    anna_a = next(d for d in details if d.id == lib.faces["anna_a"])
    assert (anna_a.person_name, anna_a.path, anna_a.usable, anna_a.landmarks) == (
        "Anna", "/photolib/a.jpg", True, b"\0" * 40)
    with_vectors = list(library.face_details(catalog, with_embeddings=True))
    _, stored = catalog.face_embeddings("1")
    assert np.array_equal(np.stack([np.frombuffer(d.embedding, "<f4") for d in with_vectors]),
                          stored)


def test_names_counts_and_folders(catalog, lib):
    assert library.person_names(catalog) == [(lib.anna, "Anna")]   # unnamed groups left out
    assert library.person_name(catalog, lib.anna) == "Anna"
    assert library.person_name(catalog, lib.ben) is None
    counts = {photo: (faces, named) for photo, faces, named in library.face_counts(catalog)}
    assert counts[lib.photos["a.jpg"]] == (2, 1)
    assert counts[lib.photos["undated.jpg"]] == (1, 0)
    assert lib.photos["b.jpg"] in counts and len(counts) == 5
    assert [f.path for f in library.folders(catalog)] == ["/photolib"]
    catalog.add_folder(catalog.dir)
    assert [f.path for f in library.folders(catalog)] == sorted(["/photolib", str(catalog.dir)])
    assert library.library_dates(catalog) == ("2018-05-01", "2022-03-04")


def test_the_review_queue(catalog, lib):
    assert library.review_people(catalog) == [] and library.review_count(catalog) == 0
    with catalog.transaction() as conn:
        conn.executemany("INSERT INTO suggestions(face_id, person_id, score) VALUES (?, ?, ?)",
                         [(lib.faces["other_a"], lib.anna, 0.4),
                          (lib.faces["ben_undated"], lib.anna, 0.6),
                          (lib.faces["ben_undated"], lib.ben, 0.7),
                          (lib.faces["anna_b"], lib.anna, 0.9)])   # already hers: not asked
    assert library.review_people(catalog) == [(lib.anna, "Anna", 2), (lib.ben, None, 1)]
    assert library.review_count(catalog) == 3
    faces = library.review_faces(catalog, lib.anna)
    assert [(f.id, f.score, f.person_name) for f in faces] == [
        (lib.faces["ben_undated"], 0.6, "Anna"), (lib.faces["other_a"], 0.4, "Anna")]


def test_the_stamp_moves_when_what_the_views_show_changes(catalog, lib):
    before = library.catalog_stamp(catalog)
    assert before == library.catalog_stamp(catalog.conn)
    assert before.photos == 5 and before.people == 2
    lib.photo("more.jpg")
    assert library.catalog_stamp(catalog).photos == 6


def test_search_hits_carry_date_and_size(catalog, lib):
    """What a result grid shows comes with the hits: no second query for it."""
    people = search_photos(catalog, SearchSpec(people_all=["Anna"]))
    by_name = {h.path.rsplit("/", 1)[1]: h for h in people}
    assert (by_name["a.jpg"].taken_at, by_name["a.jpg"].width, by_name["a.jpg"].height) == (
        "2020-01-01T10:00:00", 640, 480)
    assert by_name["old.jpg"].taken_at == "2018-05-01T09:00:00"
    similar = search_photos(catalog, SearchSpec(face_id=lib.faces["anna_old"]))
    hit = next(h for h in similar if h.photo_id == lib.photos["a.jpg"])
    assert (hit.taken_at, hit.width, hit.height) == ("2020-01-01T10:00:00", 640, 480)
    assert {h.path.rsplit("/", 1)[1] for h in similar} >= {"a.jpg", "b.jpg", "old.jpg"}
