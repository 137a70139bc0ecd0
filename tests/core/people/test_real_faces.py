"""Integration: real photos from ../shared/data/faces, indexed with the real models, grouped."""

import os
from collections import Counter
from pathlib import Path

import pytest

from core.people import list_people, name_person, person_face_ids, run_update

PEOPLE = {"Colin_Powell": 6, "Tony_Blair": 6, "Hugo_Chavez": 5, "Angela_Bassett": 5,
          "Cameron_Diaz": 4}
SINGLES = ["Aaron_Sorkin", "Abba_Eban", "AJ_Lamas"]


def _link_sample(faces: Path, target: Path) -> dict[str, str]:
    """Symlinks to a few photos of a few people; returns {link path: person}."""
    label = {}
    for person, count in [*PEOPLE.items(), *((s, 1) for s in SINGLES)]:
        folder = faces / person
        if not folder.is_dir():
            pytest.skip(f"{folder} missing")
        (target / person).mkdir(parents=True)
        for photo in sorted(folder.glob("lfw__*.jpg"))[:count]:
            link = target / person / photo.name
            os.symlink(photo, link)
            label[str(link)] = person
    return label


@pytest.mark.shared
@pytest.mark.slow
def test_real_faces_group_into_the_right_people(tmp_path, catalog, shared_data, face_analyzer):
    from core.pipeline import index

    label = _link_sample(shared_data / "faces", tmp_path / "photos")
    for _ in index(catalog, [tmp_path / "photos"], analyzer=face_analyzer, workers=0):
        pass
    summary = run_update(catalog)
    central = {}  # photo -> its central face (the labelled one)
    for face_id, path, x1, x2, width in catalog.execute(
            "SELECT f.id, p.path, f.x1, f.x2, p.width FROM faces f JOIN photos p "
            "ON p.id = f.photo_id"):
        offset = abs((x1 + x2) / 2 - width / 2)
        if path not in central or offset < central[path][1]:
            central[path] = (face_id, offset)
    truth = {face: label[path] for path, (face, _) in central.items() if path in label}
    groups = {p.id: Counter(truth[f] for f in person_face_ids(catalog, p.id) if f in truth)
              for p in list_people(catalog)}
    assert all(len(c) <= 1 for c in groups.values()), groups  # no group mixes two people
    for person, count in PEOPLE.items():
        holding = [g for g, c in groups.items() if c.get(person)]
        assert len(holding) == 1 and groups[holding[0]][person] >= count - 1, (person, groups)
    assert summary.groups >= len(PEOPLE)
    # Naming sticks, and a re-run changes nothing.
    powell = next(g for g, c in groups.items() if "Colin_Powell" in c)
    name_person(catalog, powell, "Colin Powell")
    before = set(person_face_ids(catalog, powell))
    assert run_update(catalog, force=True).auto_assigned == 0
    assert set(person_face_ids(catalog, powell)) == before
