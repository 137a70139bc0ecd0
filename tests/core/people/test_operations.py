"""People operations and undo against a real catalog (synthetic embeddings)."""

import pytest

from core.people import (NameInUse, PersonNotFound, find_person, forget_person, get_person,
                         ignore_faces, ignore_small_groups, likely_duplicates, list_people,
                         merge_people, move_faces, name_person, person_face_ids, person_photos,
                         reject_faces, run_update, set_cover, set_hidden, undo)

from .fake_faces import groups_of, populate


@pytest.fixture
def grouped(catalog):
    truth = populate(catalog, [8, 6, 5, 3, 1, 1])
    run_update(catalog)
    return catalog, truth


def person_of(cat, face_id):
    return cat.execute("SELECT person_id FROM faces WHERE id = ?", (face_id,)).fetchone()[0]


def test_update_groups_identities_and_leaves_singletons_unknown(grouped):
    cat, truth = grouped
    groups = sorted(map(sorted, groups_of(cat).values()), key=len, reverse=True)
    assert groups == [sorted(truth[i]) for i in range(4)]
    assert person_of(cat, truth[4][0]) is None and person_of(cat, truth[5][0]) is None
    people = list_people(cat)
    assert [p.face_count for p in people] == [8, 6, 5, 3]
    assert all(p.name is None and p.cover_face_id in truth[i] for i, p in enumerate(people))


def test_name_rename_and_name_in_use(grouped):
    cat, truth = grouped
    anna, bob = person_of(cat, truth[0][0]), person_of(cat, truth[1][0])
    assert name_person(cat, anna, "  Anna  ") == anna
    assert get_person(cat, anna).name == "Anna"
    assert find_person(cat, "anna") == anna and find_person(cat, str(anna)) == anna
    with pytest.raises(NameInUse) as err:
        name_person(cat, bob, "ANNA")
    assert err.value.person_id == anna
    assert name_person(cat, bob, "Anna", merge_if_taken=True) == anna
    assert set(person_face_ids(cat, anna)) == set(truth[0]) | set(truth[1])
    with pytest.raises(PersonNotFound):
        find_person(cat, "nobody")
    name_person(cat, anna, None)
    assert get_person(cat, anna).name is None


def test_merge_and_undo_restore_everything(grouped):
    cat, truth = grouped
    a, b, c = (person_of(cat, truth[i][0]) for i in range(3))
    name_person(cat, b, "Bob")
    before = groups_of(cat)
    assert merge_people(cat, [b, c], a) == a
    assert get_person(cat, a).name == "Bob"  # the unnamed target takes the source's name
    assert set(person_face_ids(cat, a)) == set(truth[0]) | set(truth[1]) | set(truth[2])
    with pytest.raises(PersonNotFound):
        get_person(cat, b)
    entry = undo(cat)
    assert (entry.action, entry.about) == ("merge", "Bob, unnamed into unnamed")
    assert groups_of(cat) == before
    assert get_person(cat, b).name == "Bob" and get_person(cat, a).name is None
    assert undo(cat).about == "unnamed -> Bob"  # the naming before it


def test_merged_unnamed_groups_stay_merged_when_regrouped(grouped):
    # The user says two unnamed groups are one person; the next update must not split them
    # again (it did: a second process's update between a merge and the naming undid it).
    cat, truth = grouped
    a, b = person_of(cat, truth[0][0]), person_of(cat, truth[1][0])
    merge_people(cat, [b], a)
    assert {r[0] for r in cat.execute("SELECT DISTINCT assigned_by FROM faces WHERE "
                                      "person_id = ?", (a,))} == {"user"}  # as after "move to"
    run_update(cat, force=True)
    assert get_person(cat, a).name is None
    assert set(person_face_ids(cat, a)) == set(truth[0]) | set(truth[1])


def test_undoing_a_merge_of_unnamed_groups_restores_how_faces_were_assigned(grouped):
    cat, truth = grouped
    a, b = person_of(cat, truth[0][0]), person_of(cat, truth[1][0])
    before = dict(cat.execute("SELECT id, assigned_by FROM faces"))
    merge_people(cat, [b], a)
    assert undo(cat).action == "merge"
    assert dict(cat.execute("SELECT id, assigned_by FROM faces")) == before


def test_move_faces_to_new_person_and_undo(grouped):
    cat, truth = grouped
    a = person_of(cat, truth[0][0])
    moved = truth[0][:3]
    new = move_faces(cat, moved, None, name="Carla")
    assert new != a and get_person(cat, new).name == "Carla"
    assert set(person_face_ids(cat, new)) == set(moved)
    assert {r[0] for r in cat.execute("SELECT DISTINCT assigned_by FROM faces WHERE person_id=?",
                                      (new,))} == {"user"}
    undo(cat)
    assert set(person_face_ids(cat, a)) == set(truth[0])
    with pytest.raises(PersonNotFound):
        get_person(cat, new)


def test_reject_is_remembered_across_updates(grouped):
    cat, truth = grouped
    a = person_of(cat, truth[0][0])
    name_person(cat, a, "Anna")
    face = truth[0][5]
    reject_faces(cat, [face], a)
    assert person_of(cat, face) is None
    for _ in range(2):
        run_update(cat, force=True)
        assert person_of(cat, face) != a
        assert cat.execute("SELECT COUNT(*) FROM suggestions WHERE face_id = ? AND person_id = ?",
                           (face, a)).fetchone()[0] == 0


def test_ignore_hide_cover_forget(grouped):
    cat, truth = grouped
    a, small = person_of(cat, truth[0][0]), person_of(cat, truth[3][0])
    assert ignore_faces(cat, truth[0][:2]) == 2
    assert ignore_faces(cat, truth[0][:2]) == 0       # already ignored: nothing changed
    assert get_person(cat, a).face_count == 6
    run_update(cat)
    assert all(person_of(cat, f) is None for f in truth[0][:2])  # ignored: never clustered
    set_hidden(cat, a)
    assert a not in [p.id for p in list_people(cat)]
    assert a in [p.id for p in list_people(cat, include_hidden=True)]
    set_cover(cat, a, truth[0][4])
    assert get_person(cat, a).cover_face_id == truth[0][4]
    with pytest.raises(ValueError):
        set_cover(cat, a, truth[1][0])
    assert ignore_small_groups(cat, 4) == 3
    with pytest.raises(PersonNotFound):
        get_person(cat, small)
    assert forget_person(cat, a) == 6
    assert all(person_of(cat, f) is None for f in truth[0])
    assert len(person_photos(cat, person_of(cat, truth[1][0]))) == 6


def test_likely_duplicates_finds_a_split_person(catalog):
    truth = populate(catalog, [6, 5])
    run_update(catalog)
    a = person_of(catalog, truth[0][0])
    split = move_faces(catalog, truth[0][:3], None)
    pairs = likely_duplicates(catalog)
    assert pairs and {pairs[0].person_a, pairs[0].person_b} == {a, split}
    # faces the user said are not `a` make a group that is no duplicate of `a`
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO face_rejections(face_id, person_id, at) VALUES (?, ?, 0)",
                     (truth[0][0], a))
    assert all({p.person_a, p.person_b} != {a, split} for p in likely_duplicates(catalog))


def test_undoing_an_answer_in_the_review_queue_asks_the_question_again(grouped):
    from core.people import confirm_faces

    cat, truth = grouped
    anna = person_of(cat, truth[0][0])
    name_person(cat, anna, "Anna")
    face = truth[4][0]                       # a stranger's face, suggested to Anna here
    with cat.transaction() as conn:
        conn.execute("INSERT INTO suggestions(face_id, person_id, score) VALUES (?, ?, 0.41)",
                     (face, anna))
    for answer in (confirm_faces, reject_faces):
        answer(cat, [face], anna)
        assert cat.execute("SELECT COUNT(*) FROM suggestions WHERE face_id=?",
                           (face,)).fetchone()[0] == 0
        undo(cat)
        assert [tuple(r) for r in cat.execute(
            "SELECT person_id, score FROM suggestions WHERE face_id=?", (face,))] == [(anna, 0.41)]
        assert person_of(cat, face) is None


def test_undo_after_a_regrouping_leaves_no_empty_group(grouped):
    cat, truth = grouped
    anna = person_of(cat, truth[0][0])
    name_person(cat, anna, "Anna")
    reject_faces(cat, truth[0][:3], anna)
    run_update(cat, force=True)            # the rejected faces may form a group of their own
    undo(cat)                              # (of the rejection)
    assert all(person_of(cat, f) == anna for f in truth[0][:3])
    empty = cat.execute("SELECT COUNT(*) FROM people p WHERE NOT EXISTS (SELECT 1 FROM faces f "
                        "WHERE f.person_id = p.id)").fetchone()[0]
    assert empty == 0
