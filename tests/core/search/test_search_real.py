"""Search with the real models on real photos: t1.jpg (6 faces) and shifted, sideways (EXIF)
and tilted copies of it, indexed by the real pipeline; queries by face, by outside photo, and
through the CLI."""

import json

import numpy as np
import pytest
from PIL import Image

from core.search import detect_query_faces, search_photos
from core.search.search_index import SearchIndex, current_model_id
from core.search.spec import SearchSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, insightface_images, face_analyzer):
    from core.catalog import Catalog
    from core.pipeline import index
    from core.search import outside

    root = tmp_path_factory.mktemp("search-real")
    library = root / "library"
    library.mkdir()
    original = Image.open(insightface_images / "t1.jpg").convert("RGB")
    original.save(library / "t1.jpg", quality=95)
    canvas = Image.new("RGB", (original.width + 300, original.height + 200), (90, 90, 90))
    canvas.paste(original, (300, 200))   # the same people, 300 px right and 200 px down
    canvas.save(library / "shifted.jpg", quality=95)
    # Pixels stored sideways with EXIF orientation 6: upright once oriented, boxes as t1.jpg
    exif = Image.Exif()
    exif[0x0112] = 6
    original.transpose(Image.Transpose.ROTATE_90).save(library / "sideways.jpg", quality=95,
                                                        exif=exif)
    # A slightly tilted copy (8 degrees about the centre)
    original.rotate(8, resample=Image.Resampling.BICUBIC, fillcolor=(90, 90, 90)).save(
        library / "tilted.jpg", quality=95)
    outside_photo = root / "outside.jpg"  # never indexed: a crop of the left half
    original.crop((0, 0, original.width // 2, original.height)).save(outside_photo, quality=95)
    catalog = Catalog(root / "catalog")
    for _ in index(catalog, [library], workers=0, analyzer=face_analyzer):
        pass
    outside._analyzers[current_model_id(catalog)] = face_analyzer  # reuse the loaded models
    yield catalog, library, outside_photo, original.size
    SearchIndex.forget_all()
    catalog.close()


COPIES = {"t1.jpg", "shifted.jpg", "sideways.jpg", "tilted.jpg"}


def _faces(catalog, name):
    return catalog.execute("SELECT f.id, f.x1, f.y1, f.x2, f.y2 FROM faces f JOIN photos p "
                           "ON p.id = f.photo_id WHERE p.path LIKE ? ORDER BY f.x1",
                           (f"%/{name}",)).fetchall()


def _centre(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def test_a_face_finds_the_same_face_in_the_other_photos(indexed):
    catalog, library, _, (width, height) = indexed
    originals = _faces(catalog, "t1.jpg")
    assert len(originals) == 6
    for face in originals:
        hits = {h.path.rsplit("/", 1)[1]: h for h in
                search_photos(catalog, SearchSpec(face_id=face[0]))}
        assert set(hits) == COPIES
        assert hits["t1.jpg"].face_id == face[0]
        x, y = _centre(face[1:])
        # the best face of each copy is the same person, where the copy put them
        assert np.allclose(_centre(hits["shifted.jpg"].box), (x + 300, y + 200), atol=12)
        assert np.allclose(_centre(hits["sideways.jpg"].box), (x, y), atol=12)
        a = np.radians(8)  # PIL rotates counter-clockwise on screen about the centre
        dx, dy = x - width / 2, y - height / 2
        tilted = (width / 2 + dx * np.cos(a) + dy * np.sin(a),
                  height / 2 - dx * np.sin(a) + dy * np.cos(a))
        assert np.allclose(_centre(hits["tilted.jpg"].box), tilted, atol=15)
        assert min(h.similarity for h in hits.values()) > 0.6


def test_outside_photo_query_stores_nothing(indexed):
    catalog, library, outside_photo, _ = indexed
    before = (catalog.revision(), catalog.execute("SELECT COUNT(*) FROM photos").fetchone()[0],
              catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0])
    faces = detect_query_faces(str(outside_photo), current_model_id(catalog))
    assert len(faces) == 3  # the left half of t1.jpg
    hits = search_photos(catalog, SearchSpec(photo_path=str(outside_photo)))
    assert {h.query_face for h in hits} == {0, 1, 2}
    for index in range(3):
        mine = [h for h in hits if h.query_face == index]
        assert {h.path.rsplit("/", 1)[1] for h in mine} == COPIES
    one = search_photos(catalog, SearchSpec(photo_path=str(outside_photo), photo_face=1))
    assert one == [h for h in hits if h.query_face == 1]
    after = (catalog.revision(), catalog.execute("SELECT COUNT(*) FROM photos").fetchone()[0],
             catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0])
    assert after == before
    assert not any(str(outside_photo) in r[0] for r in catalog.execute("SELECT path FROM photos"))


def test_cli_search_json_and_reindex(indexed, capsys):
    from core.cli import main

    catalog, library, outside_photo, _ = indexed
    face = _faces(catalog, "shifted.jpg")[0][0]
    assert main(["--catalog", str(catalog.dir), "reindex-search", "--json"]) == 0
    stamp = json.loads(capsys.readouterr().out)
    assert stamp["count"] == 24 and stamp["max_face_id"] >= face
    assert main(["--catalog", str(catalog.dir), "search", "--face", str(face), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["photo"].rsplit("/", 1)[1] for r in rows][0] == "shifted.jpg"
    assert len(rows) == 4 and set(rows[0]) >= {"photo", "photo_id", "face_id", "box",
                                               "similarity", "person"}
    assert rows[0]["similarity"] == pytest.approx(1.0, abs=1e-4)
    assert main(["--catalog", str(catalog.dir), "search", "--face", str(face), "--folder",
                 str(library), "--top", "1", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert main(["--catalog", str(catalog.dir), "search", "--photo", str(outside_photo),
                 "--photo-face", "0", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and all(r["query_face"] == 0 for r in rows)
    assert main(["--catalog", str(catalog.dir), "search", "--face", "999999"]) == 2
    capsys.readouterr()
    # mistakes in flags are told in the flags' words, in a JSON spec in its field names
    assert main(["--catalog", str(catalog.dir), "search", "--face", str(face), "--from",
                 "garbage"]) == 2
    assert "--from is not an ISO date" in capsys.readouterr().err
    assert main(["--catalog", str(catalog.dir), "search", "--face", str(face), "--top",
                 "0"]) == 2
    assert "--top must be at least 1" in capsys.readouterr().err


def test_photos_indexed_after_the_build_are_found_at_once(indexed, face_analyzer):
    """`faceshelf index` adds a photo after the search index was built: found via the delta."""
    import shutil

    from core.pipeline import index
    from core.search.search_index import build_index, read_stamp

    catalog, library, _, _ = indexed
    for _ in build_index(catalog):
        pass
    stamp = read_stamp(catalog.index_dir, current_model_id(catalog))
    query = _faces(catalog, "t1.jpg")[2][0]
    shutil.copy(library / "shifted.jpg", library / "later.jpg")
    for _ in index(catalog, [library], workers=0, analyzer=face_analyzer):
        pass
    hits = {h.path.rsplit("/", 1)[1] for h in search_photos(catalog, SearchSpec(face_id=query))}
    assert "later.jpg" in hits
    assert read_stamp(catalog.index_dir, current_model_id(catalog)) == stamp  # no rebuild
    assert SearchIndex.for_catalog(catalog, current_model_id(catalog)).delta_size == 6
