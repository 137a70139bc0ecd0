"""Importing other programs' face tags (core.tags): frames on all 8 orientations, bad input,
conflicts with the user's naming, the export -> import round trip, the real files in
shared/data/regions."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from core.catalog import Catalog
from core.export.xmp import oriented_to_stored
from core.tags.read import read_photo_tags
from tests.core.test_pipeline import save_oriented

UPRIGHT_SIZE = (300, 200)
# A face box in the displayed (upright) picture, normalised: off-centre on both axes so that
# any wrong turn or flip moves it.
SHOWN = (0.10, 0.20, 0.35, 0.60)


def _mwg_sidecar(name: str, box_stored, extra: str = "", unit: str = 'stArea:unit="normalized"'):
    x1, y1, x2, y2 = box_stored
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
  xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" {extra}>
  <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag><rdf:li>
   <rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="Face">
    <mwg-rs:Area stArea:x="{(x1 + x2) / 2}" stArea:y="{(y1 + y2) / 2}" stArea:w="{x2 - x1}"
     stArea:h="{y2 - y1}" {unit}/>
   </rdf:Description></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
 </rdf:Description></rdf:RDF></x:xmpmeta>"""


def _mp_packet(name: str, box) -> str:
    x1, y1, x2, y2 = box
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:MP="http://ns.microsoft.com/photo/1.2/"
 xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
 xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#"><MP:RegionInfo
 rdf:parseType="Resource"><MPRI:Regions><rdf:Bag><rdf:li MPReg:Rectangle="{x1}, {y1},
 {x2 - x1}, {y2 - y1}" MPReg:PersonDisplayName="{name}"/></rdf:Bag></MPRI:Regions>
 </MP:RegionInfo></rdf:Description></rdf:RDF></x:xmpmeta>"""


def _stored_box(box, orientation):
    a = oriented_to_stored(box[0], box[1], orientation)
    b = oriented_to_stored(box[2], box[3], orientation)
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))


def _close(a, b, tol=1e-4):
    return all(abs(x - y) < tol for x, y in zip(a, b))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_mwg_sidecar_and_embedded_regions_land_on_the_displayed_box(tmp_path, orientation):
    photo = tmp_path / "p.jpg"
    save_oriented(Image.new("RGB", UPRIGHT_SIZE, "gray"), photo, orientation)
    stored = _stored_box(SHOWN, orientation)
    (tmp_path / "p.jpg.xmp").write_text(_mwg_sidecar("Anna", stored))
    tags = read_photo_tags(photo, orientation)
    assert [r.name for r in tags.regions] == ["Anna"]
    assert _close(tags.regions[0].box, SHOWN), (orientation, tags.regions[0].box)

    # The same region embedded in a PNG and a WebP, with no unit (as Lightroom writes it).
    for ext in ("png", "webp"):
        other = tmp_path / f"q.{ext}"
        exif = Image.Exif()
        exif[0x0112] = orientation
        packet = _mwg_sidecar("Anna", stored, unit="")
        if ext == "png":   # Pillow writes PNG XMP only as a text chunk given by hand
            from PIL.PngImagePlugin import PngInfo

            info = PngInfo()
            info.add_itxt("XML:com.adobe.xmp", packet)
            options = {"pnginfo": info}
        else:
            options = {"xmp": packet.encode()}
        Image.new("RGB", UPRIGHT_SIZE, "gray").save(other, exif=exif.tobytes(), **options)
        tags = read_photo_tags(other, orientation)
        assert _close(tags.regions[0].box, SHOWN), (ext, orientation)

    # TIFF keeps the packet in tag 700, with the orientation in tag 274.
    from PIL import TiffImagePlugin

    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[0x0112] = orientation
    ifd[700] = _mwg_sidecar("Anna", stored).encode()
    tiff = tmp_path / "r.tif"
    Image.new("RGB", UPRIGHT_SIZE, "gray").save(tiff, tiffinfo=ifd)
    assert _close(read_photo_tags(tiff, orientation).regions[0].box, SHOWN), orientation


def test_jpeg_extended_xmp_is_joined(tmp_path):
    """Photoshop moves big properties (regions among them) to extended XMP: APP1 chunks of
    the extension's bytes, tied by the MD5 named in the standard packet's HasExtendedXMP."""
    import struct

    guid = b"0123456789ABCDEF0123456789ABCDEF"
    standard = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
                b'1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmpNote='
                b'"http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="' + guid +
                b'"/></rdf:RDF></x:xmpmeta>')
    extension = _mwg_sidecar("Anna", SHOWN).encode()
    segments = [b"http://ns.adobe.com/xap/1.0/\x00" + standard]
    half = len(extension) // 2
    for offset, part in ((half, extension[half:]), (0, extension[:half])):   # any order
        segments.append(b"http://ns.adobe.com/xmp/extension/\x00" + guid +
                        struct.pack(">II", len(extension), offset) + part)
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", UPRIGHT_SIZE, "gray").save(plain)
    data = plain.read_bytes()
    app1 = b"".join(b"\xff\xe1" + struct.pack(">H", len(s) + 2) + s for s in segments)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(data[:2] + app1 + data[2:])
    tags = read_photo_tags(photo, 1)
    assert [r.name for r in tags.regions] == ["Anna"] and _close(tags.regions[0].box, SHOWN)


def test_heic_packet_is_found(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    photo = tmp_path / "p.heic"
    Image.new("RGB", UPRIGHT_SIZE, "gray").save(photo, xmp=_mwg_sidecar("Anna", SHOWN).encode())
    tags = read_photo_tags(photo, 1)
    assert [r.name for r in tags.regions] == ["Anna"] and _close(tags.regions[0].box, SHOWN)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_microsoft_rectangles_are_in_the_displayed_frame(tmp_path, orientation):
    photo = tmp_path / "p.jpg"
    save_oriented(Image.new("RGB", UPRIGHT_SIZE, "gray"), photo, orientation)
    (tmp_path / "p.xmp").write_text(_mp_packet("Bob", SHOWN))
    tags = read_photo_tags(photo, orientation)
    assert [(r.name, r.source) for r in tags.regions] == [("Bob", "mp")]
    assert _close(tags.regions[0].box, SHOWN)


def test_mwg_wins_over_a_disagreeing_microsoft_copy(tmp_path):
    photo = tmp_path / "p.jpg"
    save_oriented(Image.new("RGB", UPRIGHT_SIZE, "gray"), photo, 6)
    both = _mwg_sidecar("Anna", _stored_box(SHOWN, 6)).replace(
        "</rdf:RDF>", _mp_packet("Anna", (0.6, 0.6, 0.9, 0.9)).split("<rdf:RDF")[1]
        .split(">", 1)[1].replace("</x:xmpmeta>", ""))
    (tmp_path / "p.xmp").write_text(both)
    tags = read_photo_tags(photo, 6)
    assert [(r.name, r.source) for r in tags.regions] == [("Anna", "mwg")]
    assert _close(tags.regions[0].box, SHOWN)


def test_sidecar_orientation_turns_regions_of_a_photo_without_one(tmp_path):
    """A raw-like case: the photo has no EXIF orientation, the sidecar says 6; Microsoft's
    rectangle is in the frame that program showed (turned), Faceshelf shows the stored one."""
    photo = tmp_path / "p.jpg"
    Image.new("RGB", UPRIGHT_SIZE, "gray").save(photo)
    packet = _mp_packet("Bob", SHOWN).replace(
        'rdf:about=""', 'rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
                        'tiff:Orientation="6"')
    (tmp_path / "p.xmp").write_text(packet)
    tags = read_photo_tags(photo, None)
    assert _close(tags.regions[0].box, _stored_box(SHOWN, 6))


BAD_PACKETS = {
    "malformed": "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>",
    "laughs": ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
               '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
               "<x:xmpmeta xmlns:x='adobe:ns:meta/'>&lol2;</x:xmpmeta>"),
    "huge": "<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + " " * (5 * 1024 * 1024) + "</x:xmpmeta>",
    "outside": _mwg_sidecar("Far", (1.5, 1.5, 1.9, 1.9)),
    "zero": _mwg_sidecar("Flat", (0.2, 0.2, 0.2, 0.5)),
    "control": _mwg_sidecar("Ev&#x1b;[31mil&#x7;", SHOWN),
}


@pytest.mark.parametrize("kind", sorted(BAD_PACKETS))
def test_bad_tags_are_a_problem_of_the_file_never_a_crash_nor_a_change(tmp_path, kind):
    photo = tmp_path / "p.jpg"
    Image.new("RGB", UPRIGHT_SIZE, "gray").save(photo)
    sidecar = tmp_path / "p.xmp"
    sidecar.write_text(BAD_PACKETS[kind])
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (photo, sidecar)}
    tags = read_photo_tags(photo, 1)
    assert tags.problems, kind
    # (control characters cannot even be written in XML 1.0: that packet is malformed)
    assert tags.regions == []
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (photo, sidecar)} == before


def test_picasa_and_takeout(tmp_path):
    photo = tmp_path / "IMG_1.jpg"
    Image.new("RGB", UPRIGHT_SIZE, "gray").save(photo)
    (tmp_path / ".picasa.ini").write_text(
        "[IMG_1.jpg]\nfaces=rect64(1999333359997fff),c0643b82e098e2e1;rect64(8000800090009000),"
        "abc\n[Contacts2]\nc0643b82e098e2e1=Anna Smith;;\n")
    (tmp_path / "IMG_1.jpg.json").write_text(json.dumps(
        {"title": "IMG_1.jpg", "people": [{"name": "Carl"}, {"name": "anna  smith"},
                                          {"name": "\u001b[31mEve\u0007"}]}))
    tags = read_photo_tags(photo, 1)
    assert [(r.name, r.source) for r in tags.regions] == [("Anna Smith", "picasa")]
    assert _close(tags.regions[0].box, (0x1999 / 65535, 0x3333 / 65535, 0x5999 / 65535,
                                        0x7fff / 65535))
    # "anna  smith" is Anna Smith, boxed already; Eve's escape codes are removed, and said.
    assert tags.names == [("Carl", "takeout"), ("[31mEve", "takeout")]
    assert any("control characters" in p for p in tags.problems)
    assert any("abc" in p for p in tags.problems)   # a contact without a name is said


# -- the catalog side (real models) ----------------------------------------------------------

FACES = SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"


def _two_people_photo(folder: Path) -> Image.Image:
    """Two LFW portraits side by side (each 250x250 with one centred face)."""
    people = sorted(p for p in folder.iterdir() if p.is_dir())[:2]
    images = [Image.open(sorted(p.iterdir())[0]).convert("RGB") for p in people]
    canvas = Image.new("RGB", (500, 250))
    canvas.paste(images[0], (0, 0))
    canvas.paste(images[1], (250, 0))
    return canvas


@pytest.fixture(scope="module")
def two_people():
    if not FACES.is_dir():
        pytest.skip(f"face photos not found at {FACES} (shared data set absent)")
    return _two_people_photo(FACES)


def _index(catalog_dir: Path, folder: Path, analyzer) -> Catalog:
    from core.pipeline import index

    catalog = Catalog(catalog_dir)
    for _ in index(catalog, [folder], analyzer=analyzer):
        pass
    return catalog


def _people_boxes(catalog: Catalog) -> dict[tuple[str, str], tuple]:
    rows = catalog.execute(
        "SELECT ph.path, pe.name, f.x1, f.y1, f.x2, f.y2, f.assigned_by, f.source FROM faces f "
        "JOIN photos ph ON ph.id = f.photo_id JOIN people pe ON pe.id = f.person_id "
        "WHERE pe.name IS NOT NULL").fetchall()
    return {(Path(r[0]).name.split("_", 1)[-1], r[1]): (r[2:6], r[6], r[7]) for r in rows}


@pytest.mark.parametrize("frame", ["stored", "oriented"])
def test_export_then_import_gives_back_the_same_people(tmp_path, two_people, face_analyzer,
                                                       frame):
    from core.cli import main
    from core.people import move_faces

    library = tmp_path / "library"
    library.mkdir()
    for orientation in (1, 3, 6, 8):
        save_oriented(two_people, library / f"o{orientation}.jpg", orientation)
    first = _index(tmp_path / "first", library, face_analyzer)
    faces = first.execute("SELECT f.id, f.x1 FROM faces f ORDER BY f.photo_id, f.x1").fetchall()
    assert len(faces) == 8
    left = [f for i, f in enumerate(faces) if i % 2 == 0]
    right = [f for i, f in enumerate(faces) if i % 2 == 1]
    move_faces(first, [f[0] for f in left], None, name="Anna")
    move_faces(first, [f[0] for f in right], None, name="Bob")
    first.close()
    out = tmp_path / "out"
    assert main(["--catalog", str(tmp_path / "first"), "export", "--person", "Anna", "--to",
                 str(out), "--xmp", "--xmp-frame", frame, "--template", "{name}.{ext}"]) == 0
    assert len(list(out.glob("*.xmp"))) == 4

    second = _index(tmp_path / "second", out, face_analyzer)
    got = _people_boxes(second)
    again = _people_boxes(Catalog(tmp_path / "first"))
    assert {k[1] for k in got} == {"Anna", "Bob"}
    for key, (box, _by, _source) in again.items():
        name = key[1]
        match = [v for k, v in got.items() if k[1] == name and k[0] == key[0]]
        assert match, (key, sorted(got))
        new_box, new_by, new_source = match[0]
        assert new_by == "user" and new_source is None     # matched the detected face
        assert all(abs(a - b) < 3 for a, b in zip(box, new_box)), (key, box, new_box)
    second.close()


def test_user_choice_wins_and_the_conflict_is_listed(tmp_path, two_people, face_analyzer,
                                                     capsys):
    from core.cli import main
    from core.people import move_faces

    library = tmp_path / "library"
    library.mkdir()
    save_oriented(two_people, library / "a.jpg", 6)
    catalog = _index(tmp_path / "cat", library, face_analyzer)
    (left, lx), (right, rx) = catalog.execute(
        "SELECT id, x1 FROM faces ORDER BY x1").fetchall()
    move_faces(catalog, [left], None, name="Anna")
    # Another program calls the left face "Zoe" and the right one "anna " (Anna's case and
    # spacing), and has a dog nobody detected.
    w, h = catalog.execute("SELECT width, height FROM photos").fetchone()
    boxes = {}
    for face_id, name in ((left, "Zoe"), (right, "ANNA "),):
        x1, y1, x2, y2 = catalog.execute("SELECT x1, y1, x2, y2 FROM faces WHERE id=?",
                                         (face_id,)).fetchone()
        boxes[name] = (x1 / w, y1 / h, x2 / w, y2 / h)
    (library / "a.xmp").write_text(_mp_packet("Zoe", boxes["Zoe"]))
    (library / "a.jpg.xmp").write_text(
        _mwg_sidecar("ANNA ", _stored_box(boxes["ANNA "], 6)).replace(
            "</rdf:Bag>", '<rdf:li><rdf:Description mwg-rs:Name="Rex" mwg-rs:Type="Pet">'
            '<mwg-rs:Area stArea:x="0.5" stArea:y="0.9" stArea:w="0.1" stArea:h="0.1"/>'
            "</rdf:Description></rdf:li></rdf:Bag>"))
    before = {p.name: p.read_bytes() for p in library.iterdir()}
    catalog.close()
    assert main(["--catalog", str(tmp_path / "cat"), "import-tags", "--dry-run", "--json",
                 "--quiet"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["counts"]["mwg"]["created"] == 1 and dry["counts"]["mp"]["conflict"] == 1
    with Catalog(tmp_path / "cat") as cat:
        assert cat.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 2   # dry: no change
    assert main(["--catalog", str(tmp_path / "cat"), "import-tags", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "conflict" in out and "Zoe" in out
    with Catalog(tmp_path / "cat") as cat:
        named = dict(cat.execute("SELECT f.id, p.name FROM faces f JOIN people p "
                                 "ON p.id = f.person_id").fetchall())
        assert named[left] == "Anna"                  # the user's choice stays
        assert named[right] == "Anna"                 # "ANNA " is Anna
        rex = cat.execute("SELECT f.source, f.assigned_by FROM faces f JOIN people p ON "
                          "p.id = f.person_id WHERE p.name = 'Rex'").fetchall()
        assert [tuple(r) for r in rex] == [("imported", "user")]
        assert cat.execute("SELECT COUNT(*) FROM people WHERE name = 'Zoe'").fetchone()[0] == 0
    assert {p.name: p.read_bytes() for p in library.iterdir()} == before


def test_an_ignored_imported_face_stays_ignored_when_indexed_again(tmp_path, face_analyzer):
    from core.people import ignore_faces

    library = tmp_path / "library"
    library.mkdir()
    save_oriented(Image.new("RGB", UPRIGHT_SIZE, "gray"), library / "p.jpg", 6)
    (library / "p.jpg.xmp").write_text(_mwg_sidecar("Poster", _stored_box(SHOWN, 6)))
    catalog = _index(tmp_path / "cat", library, face_analyzer)
    (face_id, source), = catalog.execute("SELECT id, source FROM faces").fetchall()
    assert source == "imported"
    ignore_faces(catalog, [face_id])
    save_oriented(Image.new("RGB", UPRIGHT_SIZE, "white"), library / "p.jpg", 6)  # edited
    catalog.close()
    catalog = _index(tmp_path / "cat", library, face_analyzer)
    rows = catalog.execute("SELECT ignored, person_id, source FROM faces").fetchall()
    assert [tuple(r) for r in rows] == [(1, None, "imported")]
    kinds = [r[0] for r in catalog.execute("SELECT kind FROM tag_notes")]
    assert kinds == ["conflict"]
    catalog.close()


def test_tag_problems_show_in_status_errors(tmp_path, face_analyzer, capsys):
    from core.cli import main

    library = tmp_path / "library"
    library.mkdir()
    Image.new("RGB", UPRIGHT_SIZE, "gray").save(library / "p.jpg")
    (library / "p.xmp").write_text(BAD_PACKETS["laughs"])
    _index(tmp_path / "cat", library, face_analyzer).close()
    assert main(["--catalog", str(tmp_path / "cat"), "status", "--errors"]) == 0
    out = capsys.readouterr().out
    assert "p.jpg: face tags: p.xmp: XMP with a DOCTYPE or ENTITY declaration refused" in out
    assert "1 indexed" in out


def test_upgrade_adds_the_source_column(tmp_path):
    from core.catalog.schema import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "catalog.sqlite3")
    for step in MIGRATIONS[:5]:
        conn.executescript(step)
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with Catalog(tmp_path) as cat:
        columns = [r[1] for r in cat.execute("PRAGMA table_info(faces)")]
        assert "source" in columns
        # migration 8: review questions from the photos' tags
        assert "source" in [r[1] for r in cat.execute("PRAGMA table_info(suggestions)")]
        assert cat.execute("SELECT COUNT(*) FROM tag_notes").fetchone()[0] == 0


def test_import_tags_command_says_what_is_wrong(tmp_path, capsys):
    from core.cli import main

    assert main(["--catalog", str(tmp_path / "cat"), "import-tags", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["--catalog", str(tmp_path / "cat"), "import-tags", "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["photos"] == 0 and report["counts"] == {} and report["dry_run"] is False


def test_a_name_without_a_box_is_asked_about_in_review(tmp_path, face_analyzer,
                                                       insightface_images):
    """Takeout names Carl in a six-face photo: no face can be chosen for him, so each unnamed
    face of the photo is offered for Carl in Review (source 'tags'). Regrouping keeps these
    questions; once one face is confirmed as Carl, the others of that photo are asked no more."""
    import shutil

    from core.people import confirm_faces, run_update, suggestions
    from core.tags.apply import ImportReport
    from core.tags.importer import import_tags

    library = tmp_path / "library"
    library.mkdir()
    shutil.copy(insightface_images / "t1.jpg", library / "t1.jpg")
    catalog = _index(tmp_path / "cat", library, face_analyzer)   # no tags yet
    (library / "t1.jpg.json").write_text(json.dumps({"title": "t1.jpg",
                                                     "people": [{"name": "Carl"}]}))
    report = ImportReport()
    for _ in import_tags(catalog, report=report, analyzer=face_analyzer):
        pass
    offered = [o for o in report.outcomes if o.action == "offered"]
    assert len(offered) == 1 and offered[0].detail.endswith("offered in Review")
    carl = catalog.execute("SELECT id FROM people WHERE name = 'Carl'").fetchone()[0]
    faces = {r[0] for r in catalog.execute(
        "SELECT id FROM faces WHERE ignored = 0 AND person_id IS NULL OR person_id IN "
        "(SELECT id FROM people WHERE name IS NULL)")}
    queue = suggestions(catalog, carl)
    assert {s.face_id for s in queue} == faces and len(faces) >= 2
    assert {s.source for s in queue} == {"tags"}
    run_update(catalog, force=True)                       # recognition does not drop them
    assert {s.face_id for s in suggestions(catalog, carl)} == faces
    chosen = sorted(faces)[0]
    confirm_faces(catalog, [chosen], carl)
    run_update(catalog)
    assert suggestions(catalog, carl) == []               # Carl is placed in that photo
    catalog.close()
