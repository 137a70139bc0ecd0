import json

import numpy as np
import pytest

from core.search.people import UnknownPerson
from core.search import search_photos
from core.search.spec import PhotoHit, SearchSpec

from .helpers import Library


def test_spec_json_round_trip_is_exact():
    spec = SearchSpec(face_id=None, photo_path="/x/y.jpg", photo_face=2,
                      people_all=["Anna", 3], people_any=("Ben",), people_not=[7],
                      date_from="2019-01-01", date_to="2019-12-31", folder="/photos",
                      min_similarity=0.45, top=20)
    text = json.dumps(spec.to_json())
    back = SearchSpec.from_json(json.loads(text))
    assert back == spec
    assert back.people_any == ["Ben"]
    assert json.dumps(back.to_json()) == text
    assert SearchSpec.from_json({}) == SearchSpec()


def test_spec_rejects_unknown_fields_and_bad_combinations():
    with pytest.raises(ValueError):
        SearchSpec.from_json({"face": 3})
    with pytest.raises(ValueError):
        SearchSpec(face_id=1, photo_path="/a.jpg").validate()
    with pytest.raises(ValueError):
        SearchSpec().validate()
    with pytest.raises(ValueError):
        SearchSpec(people_not=["Anna"]).validate()


def test_photo_hit_json_has_list_box():
    hit = PhotoHit(1, "/a.jpg", 0.5, 3, (1.0, 2.0, 3.0, 4.0), None, None)
    assert hit.to_json()["box"] == [1.0, 2.0, 3.0, 4.0]


@pytest.fixture
def people_library(catalog):
    lib = Library(catalog)
    rng = np.random.default_rng(0)
    anna, ben, carl = lib.person("Anna"), lib.person("Ben"), lib.person("Carl")
    v = lambda: rng.standard_normal(512)  # noqa: E731
    photos = {}
    for name, who, date, sub in [("ab", [anna, ben], "2019-03-01T10:00:00", "a"),
                                 ("a", [anna], "2019-12-31T23:00:00", "a"),
                                 ("abc", [anna, ben, carl], "2020-01-01T00:00:00", "b"),
                                 ("bc", [ben, carl], "2018-05-05T00:00:00", "b"),
                                 ("none", [None], None, "b")]:
        photos[name] = lib.photo(f"{sub}/{name}.jpg", date)
        for person in who:
            lib.face(photos[name], v(), person)
    return lib, photos, (anna, ben, carl)


def _names(hits):
    return sorted(h.path.rsplit("/", 1)[1][:-4] for h in hits)


def test_people_only_and_or_not(people_library):
    lib, photos, (anna, ben, carl) = people_library
    cat = lib.cat
    assert _names(search_photos(cat, SearchSpec(people_all=["Anna", "Ben"]))) == ["ab", "abc"]
    assert _names(search_photos(cat, SearchSpec(people_all=["anna"], people_not=["Carl"]))) \
        == ["a", "ab"]
    assert _names(search_photos(cat, SearchSpec(people_any=["Anna", carl]))) \
        == ["a", "ab", "abc", "bc"]
    assert _names(search_photos(cat, SearchSpec(people_any=[str(carl)]))) == ["abc", "bc"]
    hits = search_photos(cat, SearchSpec(people_all=[ben]))
    assert all(h.person_id == ben and h.person_name == "Ben" and h.box for h in hits)
    with pytest.raises(UnknownPerson):
        search_photos(cat, SearchSpec(people_all=["Nobody"]))


def test_people_only_date_and_folder_filters(people_library):
    lib, photos, _ = people_library
    cat = lib.cat
    spec = SearchSpec(people_any=["Anna", "Ben"], date_from="2019-01-01", date_to="2019-12-31")
    assert _names(search_photos(cat, spec)) == ["a", "ab"]  # a bare date_to includes that day
    spec = SearchSpec(people_any=["Anna", "Ben"], folder="/photolib/b")
    assert _names(search_photos(cat, spec)) == ["abc", "bc"]
    spec = SearchSpec(people_any=["Anna", "Ben"], folder="/photol")  # a prefix is not a folder
    assert search_photos(cat, spec) == []
    assert len(search_photos(cat, SearchSpec(people_any=["Ben"], top=2))) == 2


def test_chosen_photos_alone_or_narrowing_people(people_library):
    lib, photos, _ = people_library
    cat = lib.cat
    chosen = [photos["a"], photos["bc"], photos["none"]]
    assert _names(search_photos(cat, SearchSpec(photo_ids=chosen))) == ["a", "bc", "none"]
    assert _names(search_photos(cat, SearchSpec(photo_ids=chosen, people_any=["Anna"]))) \
        == ["a"]
    spec = SearchSpec.from_json(json.loads(json.dumps(SearchSpec(photo_ids=chosen).to_json())))
    assert spec.photo_ids == chosen and spec.describe() == "3 chosen photos"
    with pytest.raises(ValueError, match="'photo_ids'"):
        SearchSpec.from_json({"photo_ids": ["a"]})


def test_a_saved_search_reads_as_one_line():
    spec = SearchSpec(people_all=["Anna", "Ben"], people_not=["Carl"], date_from="2019-01-01",
                      folder="/photos/trips")
    assert spec.describe() == "Anna and Ben; without Carl; 2019-01-01 to ...; in /photos/trips"
    assert SearchSpec(similar_to_person=4).describe() == "like person 4"
    assert SearchSpec(similar_to_person="Anna").describe() == "like Anna"
    assert SearchSpec(face_id=12).describe() == "like face 12"


@pytest.mark.parametrize("text, field", [
    ("[]", "JSON object"), ("null", "JSON object"),
    ('{"top": "x", "face_id": 1}', "'top'"), ('{"face_id": true}', "'face_id'"),
    ('{"min_similarity": "0.5", "face_id": 1}', "'min_similarity'"),
    ('{"date_from": 5, "face_id": 1}', "'date_from'"), ('{"photo_path": 5}', "'photo_path'"),
    ('{"folder": 7, "face_id": 1}', "'folder'"), ('{"people_all": [1.5]}', "'people_all'"),
    ('{"people_all": [null]}', "'people_all'"), ('{"people_all": "Tony Blair"}', "'people_all'"),
    ('{"people_any": null}', "'people_any'"), ('{"similar_to_person": ""}', "'similar_to_person'"),
])
def test_a_malformed_search_json_names_the_field(text, field):
    with pytest.raises(ValueError, match=field):
        SearchSpec.from_json(json.loads(text))


def test_every_saved_field_reads_back():
    spec = SearchSpec(photo_path="/x.jpg", photo_face=0, people_not=["Carl", 4],
                      date_from="2019-01-01", date_to="2019-12-31", folder="/p",
                      min_similarity=0.4, top=5)
    assert SearchSpec.from_json(spec.to_json()) == spec
