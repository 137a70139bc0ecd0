"""The people commands of `faceshelf`, run in-process against a real catalog."""

import io
import json

import numpy as np
import pytest

from core.cli import main

from .fake_faces import add_photo, faces_of, identities, populate


@pytest.fixture
def cli(catalog, capsys):
    def run(*args, stdin=None, monkeypatch=None):
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--catalog", str(catalog.dir), *map(str, args)])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def _people(cli):
    code, out, _ = cli("people", "--json")
    assert code == 0
    return json.loads(out)


def test_cluster_people_and_person(catalog, cli):
    truth = populate(catalog, [6, 4, 1])
    code, out, _ = cli("cluster", "--json", "--quiet")
    assert code == 0 and json.loads(out)["groups"] == 2
    people = _people(cli)
    assert [sorted(p["face_ids"]) for p in people] == [sorted(truth[0]), sorted(truth[1])]
    assert set(people[0]) == {"id", "name", "faces", "photos", "cover_face", "hidden",
                              "face_ids"}
    code, out, _ = cli("person", people[1]["id"], "--json")
    person = json.loads(out)
    assert code == 0 and len(person["faces"]) == 4 and len(person["photos"]) == 4
    code, out, _ = cli("people")
    assert "(unnamed #" in out


def test_name_merge_undo_move_reject_ignore(catalog, cli):
    truth = populate(catalog, [6, 5, 4, 2])
    cli("cluster", "--quiet")
    a, b, c, d = (p["id"] for p in _people(cli))
    assert cli("name", a, "Anna")[0] == 0
    code, _, err = cli("name", b, "anna")
    assert code == 3 and "--merge" in err
    assert cli("merge", "Anna", b, c)[0] == 0
    assert _people(cli)[0]["faces"] == 15
    code, out, _ = cli("undo")
    assert code == 0 and "undid merge (unnamed, unnamed into Anna)" in out
    assert [p["faces"] for p in _people(cli)] == [6, 5, 4, 2]
    code, out, err = cli("move-faces", truth[0][0], truth[0][1], "--to", "Bruno")
    assert code == 0 and "to a new person 'Bruno'" in out and "did you mean" not in err
    bruno = next(p for p in _people(cli) if p["name"] == "Bruno")
    assert sorted(bruno["face_ids"]) == sorted(truth[0][:2])
    code, out, err = cli("move-faces", truth[0][2], "--to", "Bruna")  # a typo of Bruno
    assert code == 0 and "did you mean 'Bruno'?" in err
    assert cli("undo")[1].startswith("undid move (1 face to Bruna)")
    assert cli("reject", truth[1][0], "--from", b)[0] == 0
    cli("cluster", "--quiet", "--force")
    assert truth[1][0] not in next(p for p in _people(cli) if p["id"] == b)["face_ids"]
    code, out, _ = cli("ignore", "--groups-smaller-than", 3)
    assert code == 0 and "ignored 2 faces" in out
    assert d not in [p["id"] for p in _people(cli)]
    assert cli("ignore", truth[2][0])[0] == 0
    assert cli("person", "nobody")[0] == 2


def test_review_interactive_and_json(catalog, cli, monkeypatch):
    populate(catalog, [8, 5])
    cli("cluster", "--quiet")
    anna = _people(cli)[0]["id"]
    cli("name", anna, "Anna")
    rng = np.random.default_rng(11)
    faint = [add_photo(catalog, [v])[0] for v in faces_of(identities(2)[0], 3, rng, 2.2)]
    cli("cluster", "--quiet")
    code, out, _ = cli("review", "Anna", "--json")
    queued = [s["face_id"] for s in json.loads(out)]
    assert code == 0 and len(queued) >= 2 and set(queued) <= set(faint)
    code, out, _ = cli("review", "Anna", stdin="y\nn\nq\n", monkeypatch=monkeypatch)
    assert code == 0 and "1 confirmed, 1 rejected, 0 skipped" in out
    assert (f"{len(queued) - 2} not seen" in out) == (len(queued) > 2)
    anna_faces = next(p for p in _people(cli) if p["id"] == anna)["face_ids"]
    assert queued[0] in anna_faces and queued[1] not in anna_faces
    code, out, _ = cli("review", "Anna", "--json")
    assert [s["face_id"] for s in json.loads(out)] == queued[2:]


def test_remove_folder_takes_the_groups_of_its_photos_along(catalog, cli):
    truth = populate(catalog, [6, 4])
    cli("cluster", "--quiet")
    assert len(_people(cli)) == 2
    other = catalog.add_folder(catalog.dir / "other")
    marks = ",".join("?" * len(truth[1]))
    with catalog.transaction() as conn:
        conn.execute(f"UPDATE photos SET folder_id=?, path=replace(path, '/photos/', '/other/') "
                     f"WHERE id IN (SELECT photo_id FROM faces WHERE id IN ({marks}))",
                     (other, *truth[1]))
    code, out, _ = cli("remove-folder", catalog.dir / "other")
    assert code == 0 and "people:" in out
    assert [sorted(p["face_ids"]) for p in _people(cli)] == [sorted(truth[0])]
    assert cli("remove-folder", catalog.dir / "other")[0] == 2   # not a folder any more


def test_names_are_cleaned_and_unusable_ones_refused(catalog, cli):
    populate(catalog, [3, 3])
    cli("cluster", "--quiet")
    a, b = (p["id"] for p in _people(cli))
    code, out, _ = cli("name", a, "  Anna\n  Maria ")
    assert code == 0 and "'Anna Maria'" in out
    code, out, _ = cli("name", a, "   ")
    assert code == 0 and "has no name again" in out
    assert _people(cli)[0]["name"] is None
    code, _, err = cli("name", b, "2")
    assert code == 2 and "only digits" in err
    code, _, err = cli("name", b, "x" * 201)
    assert code == 2 and "at most 200" in err
    assert all(p["name"] is None for p in _people(cli))
