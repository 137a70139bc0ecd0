"""update_people: incremental assignment, review queue, stability, transactions."""

import numpy as np
import pytest

from core.jobs import Cancelled, CancelToken
from core.people import (get_person, move_faces, name_person, reject_faces, run_update,
                         suggestions, update_people)

from .fake_faces import add_photo, faces_of, groups_of, identities, populate


def person_of(cat, face_id):
    return cat.execute("SELECT person_id FROM faces WHERE id = ?", (face_id,)).fetchone()[0]


def assigned_by(cat, face_id):
    return cat.execute("SELECT assigned_by FROM faces WHERE id = ?", (face_id,)).fetchone()[0]


def new_faces(cat, who, count, seed, noise=0.75):
    rng = np.random.default_rng(seed)
    return [add_photo(cat, [v])[0] for v in faces_of(identities(8)[who], count, rng, noise)]


@pytest.fixture
def library(catalog):
    truth = populate(catalog, [10, 8, 6, 5, 4, 1], seed=0)
    run_update(catalog)
    return catalog, truth


def test_new_faces_join_a_named_person(library):
    cat, truth = library
    anna = person_of(cat, truth[0][0])
    name_person(cat, anna, "Anna")
    added = new_faces(cat, 0, 4, seed=50)
    summary = run_update(cat)
    assert summary.auto_assigned == 4
    assert all(person_of(cat, f) == anna and assigned_by(cat, f) == "auto" for f in added)


def test_doubtful_face_goes_to_review_and_a_rejection_is_final(library):
    cat, truth = library
    anna = person_of(cat, truth[0][0])
    name_person(cat, anna, "Anna")
    faint = new_faces(cat, 0, 1, seed=51, noise=2.2)[0]  # a poor photo of Anna
    run_update(cat)
    queue = suggestions(cat, anna)
    assert [s.face_id for s in queue] == [faint] and person_of(cat, faint) is None
    reject_faces(cat, [faint], anna)
    for _ in range(2):
        run_update(cat, force=True)
        assert suggestions(cat, anna) == [] and person_of(cat, faint) != anna


def test_confirming_a_suggestion_makes_it_evidence(library):
    cat, truth = library
    anna = person_of(cat, truth[0][0])
    name_person(cat, anna, "Anna")
    faint = new_faces(cat, 0, 1, seed=52, noise=2.2)[0]
    run_update(cat)
    assert suggestions(cat, anna)
    move_faces(cat, [faint], anna)
    assert assigned_by(cat, faint) == "user" and suggestions(cat, anna) == []


def test_reclustering_never_changes_named_people_or_user_choices(library):
    cat, truth = library
    anna, bob = person_of(cat, truth[0][0]), person_of(cat, truth[1][0])
    name_person(cat, anna, "Anna")
    stray = truth[1][0]
    move_faces(cat, [stray], anna)  # the user says this face is Anna's (it is "Bob"'s)
    anna_faces = set(groups_of(cat)[anna])
    for seed in range(3):
        for who in range(5):
            new_faces(cat, who, 2, seed=100 + 10 * seed + who)
        run_update(cat, force=True)
        assert get_person(cat, anna).name == "Anna"
        assert anna_faces <= groups_of(cat)[anna]
        assert person_of(cat, stray) == anna and assigned_by(cat, stray) == "user"
    assert person_of(cat, truth[1][1]) == bob  # the unnamed group kept its id


def test_unnamed_group_ids_are_stable_as_the_library_grows(library):
    cat, truth = library
    before = {who: person_of(cat, faces[0]) for who, faces in truth.items() if who < 5}
    for who in range(5):
        new_faces(cat, who, 3, seed=200 + who)
    populate(cat, [4, 3], seed=7)  # and two new people
    run_update(cat)
    after = {who: person_of(cat, faces[0]) for who, faces in truth.items() if who < 5}
    assert after == before
    assert len(groups_of(cat)) == 7


def test_nothing_changed_means_nothing_to_do(library):
    cat, _ = library
    revision = cat.revision()
    assert run_update(cat).skipped
    assert cat.revision() == revision


def test_cancel_leaves_the_catalog_as_it_was(catalog):
    populate(catalog, [6, 5, 4])
    token = CancelToken()
    job = update_people(catalog, token)
    next(job)
    token.cancel()
    with pytest.raises(Cancelled):
        for _ in job:
            pass
    assert groups_of(catalog) == {}


def test_a_change_made_while_planning_is_kept(library):
    """Another process renames a group while clustering runs: the name survives."""
    cat, truth = library
    new_faces(cat, 2, 2, seed=300)
    group = person_of(cat, truth[2][0])
    other = type(cat)(cat.dir)
    job = update_people(cat)
    for progress in job:
        if progress.message == "writing" and get_person(other, group).name is None:
            name_person(other, group, "Carla")  # lands before our write transaction
    other.close()
    assert progress.counters["auto_assigned"] == 2  # re-planned: the named group gets faces
    assert get_person(cat, group).name == "Carla"
    assert set(truth[2]) <= groups_of(cat)[group]


def test_faces_of_different_models_are_never_compared(catalog):
    rng = np.random.default_rng(3)
    centre = identities(1, seed=3)[0]
    a = [add_photo(catalog, [v], model_id="m1")[0] for v in faces_of(centre, 3, rng)]
    b = [add_photo(catalog, [v], model_id="m2")[0] for v in faces_of(centre, 3, rng)]
    run_update(catalog)
    assert len({person_of(catalog, f) for f in a}) == 1
    assert len({person_of(catalog, f) for f in b}) == 1
    assert person_of(catalog, a[0]) != person_of(catalog, b[0])


def test_unusable_and_ignored_faces_are_never_grouped(catalog):
    rng = np.random.default_rng(8)
    centre = identities(1, seed=8)[0]
    vectors = faces_of(centre, 4, rng)
    ok = [add_photo(catalog, [v])[0] for v in vectors[:2]]
    poor = [add_photo(catalog, [v], usable=0)[0] for v in vectors[2:]]
    run_update(catalog)
    assert person_of(catalog, ok[0]) is not None
    assert all(person_of(catalog, f) is None for f in poor)


def test_a_group_whose_faces_all_join_a_named_person_disappears(catalog):
    from core.people import PersonNotFound

    truth = populate(catalog, [8, 5])
    run_update(catalog)
    group = person_of(catalog, truth[0][0])
    anna = move_faces(catalog, truth[0][:4], None, name="Anna")
    run_update(catalog)
    assert all(person_of(catalog, f) == anna for f in truth[0])
    with pytest.raises(PersonNotFound):
        get_person(catalog, group)
