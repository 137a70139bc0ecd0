"""`faceshelf export` and `faceshelf albums` from the command line."""

from __future__ import annotations

import json
import os

from core.cli import main

from .helpers import files_under


def run(capsys, catalog, *argv) -> tuple[int, str, str]:
    code = main(["--catalog", str(catalog.dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_export_album_update_and_list(photo_library, catalog, tmp_path, capsys):
    photo_library.photo_of("IMG_1.jpg", "Anna", "Ben", taken_at="2019-07-14T13:05:22")
    photo_library.photo_of("IMG_2.jpg", "Ben", taken_at="2019-07-15T13:05:22")
    out = tmp_path / "out"
    code, text, _ = run(capsys, catalog, "export", "--person", "Anna", "--to", str(out),
                        "--dry-run")
    assert code == 0 and "would add 1" in text and "IMG_1.jpg" in text and not out.exists()

    code, text, _ = run(capsys, catalog, "export", "--person", "Ben", "--to", str(out),
                        "--save-as", "Ben", "--by", "year", "--xmp", "--json")
    summary = json.loads(text)
    assert code == 0 and summary["added"] == 2 and summary["sidecars_written"] == 2
    assert files_under(out) == ["2019/2019-07-14_IMG_1.jpg", "2019/2019-07-14_IMG_1.jpg.xmp",
                                "2019/2019-07-15_IMG_2.jpg", "2019/2019-07-15_IMG_2.jpg.xmp"]

    code, text, _ = run(capsys, catalog, "export", "--album", "Ben")
    assert code == 0 and "added 0, skipped 2" in text

    code, text, _ = run(capsys, catalog, "albums", "--json")
    albums = json.loads(text)
    assert [a["name"] for a in albums] == ["Ben"] and albums[0]["file_count"] == 2
    assert albums[0]["options"]["by"] == "year"
    code, text, _ = run(capsys, catalog, "albums")
    assert text.startswith("Ben: Ben -> ") and "(2 photo(s), copy, last exported" in text


def test_clear_errors(photo_library, catalog, tmp_path, capsys):
    photo_library.photo_of("IMG_1.jpg", "Anna")
    code, _, err = run(capsys, catalog, "export", "--person", "Anna",
                       "--to", str(photo_library.root / "x"))
    assert code == 2 and "inside the library folder" in err
    code, _, err = run(capsys, catalog, "export", "--album", "nope")
    assert code == 2 and "no album named 'nope'" in err
    code, _, err = run(capsys, catalog, "export", "--album", "top")  # a flag's word in a name
    assert code == 2 and "no album named 'top'" in err
    code, _, err = run(capsys, catalog, "export", "--album", "x", "--to", str(tmp_path))
    assert code == 2 and "--album re-exports the saved query" in err
    code, _, err = run(capsys, catalog, "export", "--person", "Anna")
    assert code == 2 and "--to" in err
    out = str(tmp_path / "out")
    # a person typed flags: the errors speak of flags and files, not of Python's internals
    cases = {("--person", "Anna", "--since", "2020-13-45"): "--since is not an ISO date",
             ("--photo", str(tmp_path / "nope.jpg")): "nope.jpg: no such file",
             ("--search-json", str(tmp_path / "nope.json")): "cannot read --search-json",
             ("--search-json", str(tmp_path / "bad.json")): "bad.json is not a search",
             ("--person", "Anna", "--template", "{photo_id:05d}"): "take no format",
             ("--person", "Anna", "--template", "{name!r}.{ext}"): "take no format"}
    (tmp_path / "bad.json").write_text("{bad")
    for flags, said in cases.items():
        code, _, err = run(capsys, catalog, "export", *flags, "--to", out)
        assert code == 2 and said in err and "Errno" not in err, (flags, err)
    code, text, _ = run(capsys, catalog, "export", "--person", "Anna", "--since", "2030-01-01",
                        "--to", out)
    assert code == 0 and "0 photo(s) match" in text
    assert not os.path.exists(out)  # matching nothing leaves no empty folder behind


def test_search_json(photo_library, catalog, tmp_path, capsys):
    photo_library.photo_of("IMG_1.jpg", "Anna")
    photo_library.photo_of("IMG_2.jpg", "Ben")
    spec = tmp_path / "q.json"
    spec.write_text(json.dumps({"people_any": ["Anna", "Ben"], "people_not": ["Ben"]}))
    code, text, _ = run(capsys, catalog, "export", "--search-json", str(spec),
                        "--to", str(tmp_path / "o"), "--json")
    assert code == 0 and json.loads(text)["added"] == 1


def test_a_stopped_export_says_how_to_finish(capsys):
    from core.cli.export import _print_export_summary
    from core.export.run import ExportSummary

    # saved with --save-as: running the same command again would be refused (the album
    # exists), so the message names the album
    _print_export_summary(ExportSummary("/out", "Trip 2019", False, stopped="disk_full"))
    assert "run `faceshelf export --album 'Trip 2019'` to finish" in capsys.readouterr().err
    _print_export_summary(ExportSummary("/out", None, False, stopped="disk_full"))
    assert "run the same command again to finish" in capsys.readouterr().err
