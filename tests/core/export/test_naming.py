"""File names: template fields, sanitising for every OS, collision numbering."""

from __future__ import annotations

import pytest

from core.export.naming import check_template, name_key, numbered, render, sanitize_component
from core.export.options import ExportError
from core.export.selection import ExportItem


def item(path="/lib/2019/IMG_1234.JPG", taken="2019-07-14T13:05:22", people=("Anna", "Ben")):
    return ExportItem(photo_id=42, path=path, taken_at=taken, width=10, height=10,
                      orientation=None, people=list(people))


def test_default_template_keeps_the_name_date_prefixed():
    assert render("{date}_{name}.{ext}", item()) == "2019-07-14_IMG_1234.JPG"


def test_every_field():
    t = "{year}/{month}/{day}_{time}_{people}_{person}_{folder}_{photo_id}_{name}.{ext}"
    assert render(t, item()) == "2019/07/14_130522_Anna+Ben_Anna_2019_42_IMG_1234.JPG"
    assert render("{person}-{name}", item(), slot="Ben") == "Ben-IMG_1234.JPG"  # ext appended


def test_missing_date_and_people():
    got = render("{date}_{year}_{people}_{name}.{ext}", item(taken=None, people=()))
    assert got == "undated_undated_unknown_IMG_1234.JPG"


def test_sub_folders_by_year_and_person():
    assert render("{name}.{ext}", item(), by="year") == "2019/IMG_1234.JPG"
    assert render("{name}.{ext}", item(), slot="Ben", by="person") == "Ben/IMG_1234.JPG"


def test_values_never_add_folders_or_escape():
    odd = item(people=("AC/DC", "..", "a\\b"))
    out = render("{people}_{name}.{ext}", odd)
    assert "/" not in out and "\\" not in out
    with pytest.raises(ExportError):
        check_template("../{name}")
    with pytest.raises(ExportError):
        check_template("/abs/{name}")
    with pytest.raises(ExportError, match="unknown template field"):
        check_template("{nmae}")


@pytest.mark.parametrize("raw, safe", [
    ('a<b>c:d"e|f?g*h.jpg', "a_b_c_d_e_f_g_h.jpg"),
    ("tab\there\x00.jpg", "tab_here_.jpg"),
    ("trailing dots... ", "trailing dots"),
    (".hidden.jpg", "_hidden.jpg"),
    ("CON.jpg", "_CON.jpg"),
    ("lpt1", "_lpt1"),
    ("", "_"),
    ("e\u0301te.jpg", "\u00e9te.jpg"),          # NFC: one é whatever the source OS wrote
])
def test_sanitize(raw, safe):
    assert sanitize_component(raw) == safe


def test_long_names_are_cut_keeping_the_extension():
    out = sanitize_component("ü" * 300 + ".jpeg")
    assert out.endswith(".jpeg") and len(out.encode()) <= 200
    out.encode("utf-8").decode("utf-8")          # never cut inside a character


def test_collision_numbering_and_case_folding():
    assert numbered("IMG.jpg", 1) == "IMG.jpg"
    assert numbered("IMG.jpg", 3) == "IMG_3.jpg"
    assert numbered("noext", 2) == "noext_2"
    assert name_key("IMG.JPG") == name_key("img.jpg")
