"""Faces drawn by hand (core.people.drawn + operations.add_face) and "Not a face" (ignore):
real photos from shared/data/faces, real models, a real catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.catalog import Catalog, embeddings_from_blobs

FACES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "faces"
PHOTOS = ("Aaron_Sorkin/lfw__Aaron_Sorkin_0001.jpg", "Aaron_Sorkin/lfw__Aaron_Sorkin_0002.jpg",
          "AJ_Lamas/lfw__AJ_Lamas_0001.jpg")


@pytest.fixture
def library(tmp_path):
    if not all((FACES / p).is_file() for p in PHOTOS):
        pytest.skip(f"face photos not found at {FACES} (shared data set absent)")
    folder = tmp_path / "library"
    folder.mkdir()
    for p in PHOTOS:
        shutil.copy(FACES / p, folder / Path(p).name)
    return folder


def _index(catalog_dir: Path, folder: Path, analyzer) -> Catalog:
    from core.pipeline import index

    catalog = Catalog(catalog_dir)
    for _ in index(catalog, [folder], analyzer=analyzer):
        pass
    return catalog


def _photo(catalog, stem: str) -> int:
    return catalog.execute("SELECT id FROM photos WHERE path LIKE ?", (f"%{stem}%",)).fetchone()[0]


def _embedding(catalog, face_id: int) -> np.ndarray:
    blob = catalog.execute("SELECT embedding FROM faces WHERE id=?", (face_id,)).fetchone()[0]
    return embeddings_from_blobs([blob])[0]


def _detected(catalog, photo_id: int):
    return catalog.execute("SELECT id, x1, y1, x2, y2 FROM faces WHERE photo_id=? AND source IS "
                           "NULL ORDER BY (x2-x1)*(y2-y1) DESC", (photo_id,)).fetchone()


def test_a_drawn_face_is_embedded_like_the_detected_face_in_its_place(tmp_path, library,
                                                                      face_analyzer):
    from core.people import add_face, list_people
    from core.people.drawn import embed_drawn_face

    catalog = _index(tmp_path / "cat", library, face_analyzer)
    sorkin = _photo(catalog, "Aaron_Sorkin_0001")
    face_id, x1, y1, x2, y2 = _detected(catalog, sorkin)
    # A hand-drawn box is sloppier than the detector's: a bit bigger and off-centre.
    w, h = x2 - x1, y2 - y1
    box = (x1 - 0.1 * w, y1 - 0.05 * h, x2 + 0.08 * w, y2 + 0.12 * h)
    drawn = embed_drawn_face(catalog, sorkin, box, analyzer=face_analyzer)
    assert drawn.usable and drawn.face.embedding.shape == (512,)
    same = float(drawn.face.embedding @ _embedding(catalog, face_id))
    other = _detected(catalog, _photo(catalog, "AJ_Lamas"))[0]
    stranger = float(drawn.face.embedding @ _embedding(catalog, other))
    assert same > 0.8, same                  # the same face, as the recognizer sees it
    assert stranger < 0.4 and same - stranger > 0.5, (same, stranger)

    new_id, person = add_face(catalog, drawn, name="Aaron")
    row = catalog.execute("SELECT source, assigned_by, person_id, usable, x1, y1 FROM faces "
                          "WHERE id=?", (new_id,)).fetchone()
    assert tuple(row[:4]) == ("manual", "user", person, 1)
    assert abs(row[4] - max(0.0, box[0])) < 1e-6 and abs(row[5] - max(0.0, box[1])) < 1e-6
    aaron = next(p for p in list_people(catalog) if p.id == person)
    assert (aaron.name, aaron.face_count) == ("Aaron", 1)
    catalog.close()

    # exported in XMP like every named face: an MWG region named Aaron
    from core.cli import main

    out = tmp_path / "out"
    assert main(["--catalog", str(tmp_path / "cat"), "export", "--person", "Aaron", "--to",
                 str(out), "--xmp", "--template", "{name}.{ext}"]) == 0
    sidecar, = out.glob("*.xmp")
    assert 'mwg-rs:Name="Aaron"' in sidecar.read_text()


def test_a_drawn_face_is_searchable_survives_reindex_and_undo_takes_it_back(
        tmp_path, library, face_analyzer, capsys):
    from core.cli import main
    from core.people import add_face, undo
    from core.people.drawn import embed_drawn_face

    catalog = _index(tmp_path / "cat", library, face_analyzer)
    first = _photo(catalog, "Aaron_Sorkin_0001")
    _, *box = _detected(catalog, first)
    # Pretend the detector had missed Sorkin in the first photo: its face is drawn instead.
    catalog.execute("DELETE FROM faces WHERE photo_id=?", (first,))
    drawn = embed_drawn_face(catalog, first, box, analyzer=face_analyzer)
    face_id, person = add_face(catalog, drawn, name="Aaron")
    catalog.close()

    # searchable: the drawn face as the query finds the other photo of the same man first
    assert main(["--catalog", str(tmp_path / "cat"), "search", "--face", str(face_id),
                 "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    paths = [Path(r["photo"]).name for r in found]
    assert paths[:2] == ["lfw__Aaron_Sorkin_0001.jpg", "lfw__Aaron_Sorkin_0002.jpg"], found
    # ...and a search for Aaron's photos gives the photo of the drawn face
    assert main(["--catalog", str(tmp_path / "cat"), "search", "--and", "Aaron", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [Path(r["photo"]).name for r in found] == ["lfw__Aaron_Sorkin_0001.jpg"]

    # Something the detector does not see as a face, drawn in another photo.
    with Catalog(tmp_path / "cat") as catalog:
        lamas = _photo(catalog, "AJ_Lamas")
        corner, corner_person = add_face(
            catalog, embed_drawn_face(catalog, lamas, (100, 100, 148, 148),
                                      analyzer=face_analyzer), name="Corner")

    # Both photos edited and indexed again: the face drawn where the detector finds one
    # now is the detector's, with the drawn face's person (no double); the other stays.
    for name in ("lfw__Aaron_Sorkin_0001.jpg", "lfw__AJ_Lamas_0001.jpg"):
        Image.open(library / name).save(library / name, quality=80)
    catalog = _index(tmp_path / "cat", library, face_analyzer)
    rows = catalog.execute("SELECT source, person_id, assigned_by FROM faces WHERE "
                           "photo_id=?", (first,)).fetchall()
    assert [tuple(r) for r in rows] == [(None, person, "user")]
    rows = catalog.execute("SELECT id, person_id, assigned_by FROM faces WHERE photo_id=? AND "
                           "source='manual'", (lamas,)).fetchall()
    assert [tuple(r) for r in rows] == [(corner, corner_person, "user")]
    assert catalog.execute("SELECT COUNT(*) FROM faces WHERE photo_id=?", (lamas,)
                           ).fetchone()[0] == 2

    entry = undo(catalog)
    assert entry.action == "add-face"
    assert catalog.execute("SELECT COUNT(*) FROM faces WHERE id=?", (corner,)).fetchone()[0] == 0
    assert catalog.execute("SELECT COUNT(*) FROM people WHERE id=?", (corner_person,)
                           ).fetchone()[0] == 0
    catalog.close()


def test_too_small_to_embed_is_stored_not_usable_and_said_so(tmp_path, library,
                                                             face_analyzer, capsys):
    from core.cli import main

    catalog = _index(tmp_path / "cat", library, face_analyzer)
    photo = _photo(catalog, "AJ_Lamas")
    catalog.close()
    assert main(["--catalog", str(tmp_path / "cat"), "add-face", str(photo), "10", "10", "20",
                 "21", "--name", "Tiny"]) == 0
    out, err = capsys.readouterr()
    assert "added face" in out and "too small to recognise" in err
    with Catalog(tmp_path / "cat") as catalog:
        row = catalog.execute("SELECT usable, source, p.name FROM faces f JOIN people p ON "
                              "p.id = f.person_id WHERE f.source = 'manual'").fetchone()
        assert tuple(row) == (0, "manual", "Tiny")
    # a box outside the photo is a sentence and an exit status, nothing stored
    assert main(["--catalog", str(tmp_path / "cat"), "add-face", str(photo), "900", "900",
                 "990", "990"]) != 0
    assert "not inside the photo" in capsys.readouterr().err
    assert main(["--catalog", str(tmp_path / "cat"), "undo"]) == 0
    with Catalog(tmp_path / "cat") as catalog:
        assert catalog.execute("SELECT COUNT(*) FROM faces WHERE source='manual'"
                               ).fetchone()[0] == 0


@pytest.mark.parametrize("source", [None, "manual"])
def test_not_a_face_leaves_people_and_search_holds_after_reindex_and_undoes(
        tmp_path, library, face_analyzer, capsys, source):
    from core.cli import main
    from core.people import add_face, ignore_faces, list_people, move_faces, undo
    from core.people.drawn import embed_drawn_face

    catalog = _index(tmp_path / "cat", library, face_analyzer)
    photo = _photo(catalog, "AJ_Lamas")
    face_id = _detected(catalog, photo)[0]
    if source == "manual":  # a face drawn by mistake, where the detector sees none
        face_id, person = add_face(catalog, embed_drawn_face(catalog, photo, (100, 100, 148, 148),
                                                             analyzer=face_analyzer),
                                   name="Poster")
    else:
        person = move_faces(catalog, [face_id], None, name="Poster")
    other = _detected(catalog, _photo(catalog, "Aaron_Sorkin_0001"))[0]
    move_faces(catalog, [other], person)   # Poster has two faces
    counts = {p.name: p.face_count for p in list_people(catalog)}
    assert counts["Poster"] == 2

    assert ignore_faces(catalog, [face_id]) == 1
    counts = {p.name: p.face_count for p in list_people(catalog)}
    assert counts["Poster"] == 1
    catalog.close()

    def poster_photos() -> list[str]:
        assert main(["--catalog", str(tmp_path / "cat"), "search", "--and", "Poster",
                     "--json"]) == 0
        found = json.loads(capsys.readouterr().out)
        return [Path(r["photo"]).name for r in found]

    assert poster_photos() == ["lfw__Aaron_Sorkin_0001.jpg"]
    # the photo edited and indexed again: still not a face
    path = library / "lfw__AJ_Lamas_0001.jpg"
    Image.open(path).save(path, quality=80)
    catalog = _index(tmp_path / "cat", library, face_analyzer)
    rows = catalog.execute("SELECT ignored, person_id FROM faces WHERE photo_id=? AND "
                           "source IS ?", (photo, source)).fetchall()
    assert [tuple(r) for r in rows] == [(1, None)]
    catalog.close()
    assert poster_photos() == ["lfw__Aaron_Sorkin_0001.jpg"]

    with Catalog(tmp_path / "cat") as catalog:
        if source == "manual":  # kept, so undo is exact: it comes back with its person
            entry = undo(catalog)
            assert entry.action == "ignore"
            row = catalog.execute("SELECT ignored, person_id FROM faces WHERE id=?",
                                  (face_id,)).fetchone()
            assert tuple(row) == (0, person)
    if source == "manual":
        assert sorted(poster_photos()) == ["lfw__AJ_Lamas_0001.jpg", "lfw__Aaron_Sorkin_0001.jpg"]
