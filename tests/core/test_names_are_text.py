"""Names are text at every entry point (issue 11, item 4): `name`, `move-faces --to NAME`,
albums (`export --save-as`), and the core operations the GUI's rename and name dialogs call;
and a name stored raw by an older version never reaches the terminal raw."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from core.cli import main
from core.people import move_faces, name_person

from .people.fake_faces import populate

EVIL = "\x1b[2J\x1b]0;owned\x07An\x00na\x7f\x9b\ufffe"
CLEAN = "[2J]0;ownedAnna"


def _cli(catalog, capsys, *argv):
    code = main(["--catalog", str(catalog.dir), *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _stored_names(catalog):
    return [r[0] for r in catalog.execute("SELECT name FROM people WHERE name IS NOT NULL")]


def test_the_name_command_stores_text_only(catalog, capsys):
    populate(catalog, [5, 4])
    _cli(catalog, capsys, "cluster", "--quiet")
    person = catalog.execute("SELECT MIN(id) FROM people").fetchone()[0]
    code, out, _ = _cli(catalog, capsys, "name", person, EVIL)
    assert code == 0 and _stored_names(catalog) == [CLEAN]
    assert "\x1b" not in out and "\x00" not in out
    code, out, _ = _cli(catalog, capsys, "person", EVIL)  # found by what it is now
    assert code == 0 and out.startswith(CLEAN)


def test_move_faces_to_a_new_name_stores_text_only(catalog, capsys):
    faces = populate(catalog, [3])[0]
    code, out, _ = _cli(catalog, capsys, "move-faces", faces[0], "--to", "Ben\x1b[31m\x01")
    assert code == 0 and _stored_names(catalog) == ["Ben[31m"] and "\x1b" not in out


def test_the_core_operations_the_gui_calls_store_text_only(catalog):
    faces = populate(catalog, [3, 3])
    new = move_faces(catalog, faces[0], None, name="Cleo\x00\u0085Dora")  # "new person" dialog
    assert _stored_names(catalog) == ["Cleo Dora"]
    name_person(catalog, new, "\x1b[1mCleo\ud800 Z\U0010fffe")  # the rename dialog
    assert _stored_names(catalog) == ["[1mCleo Z"]
    with pytest.raises(ValueError, match="empty"):
        move_faces(catalog, faces[1], None, name="\x00\x1b\x7f")


def test_people_never_prints_a_raw_escape_stored_by_an_older_version(catalog, capsys):
    populate(catalog, [4])
    _cli(catalog, capsys, "cluster", "--quiet")
    with catalog.transaction() as conn:  # as an older version (or a script) stored it
        conn.execute("UPDATE people SET name = ?", ("\x1b[2JEve\x9b\x00",))
    code, out, _ = _cli(catalog, capsys, "people")
    assert code == 0 and "\x1b" not in out and "\x9b" not in out and "\x00" not in out
    assert "\\x1b[2JEve\\x9b\\x00" in out  # shown, visibly
    code, out, _ = _cli(catalog, capsys, "people", "--json")  # JSON escapes them itself
    assert json.loads(out)[0]["name"] == "\x1b[2JEve\x9b\x00"


def test_album_names_and_sidecars_hold_text_only(photo_library, catalog, tmp_path, capsys):
    photo_library.photo_of("IMG_1.jpg", "Anna", taken_at="2019-07-14T13:05:22")
    with catalog.transaction() as conn:  # a name stored raw by an older version
        conn.execute("UPDATE people SET name = ? WHERE name = 'Anna'", ("An\x1bna\x01",))
    out = tmp_path / "out"
    code, text, err = _cli(catalog, capsys, "export", "--person", "An\x1bna\x01", "--to", out,
                           "--save-as", "Trip\x1b[5m\x00", "--xmp", "--by", "person")
    assert code == 0, err
    code, text, _ = _cli(catalog, capsys, "albums", "--json")
    assert [a["name"] for a in json.loads(text)] == ["Trip[5m"]
    (sidecar,) = out.rglob("*.xmp")
    assert "\x1b" not in str(sidecar.relative_to(out))  # the person's folder name too
    root = ET.parse(sidecar).getroot()  # well-formed
    subjects = [li.text for li in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}li")
                if li.text]
    assert "Anna" in subjects
    code, text, _ = _cli(catalog, capsys, "export", "--album", "Trip\x1b[5m\x00")
    assert code == 0
