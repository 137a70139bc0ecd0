"""Face-tag problems reach the app's Problems page as "other" problems, not unreadable photos."""

from __future__ import annotations

from PIL import Image


def test_tag_problems_are_other_problems_not_unreadable_photos(tmp_path, face_analyzer):
    from core.catalog import Catalog
    from core.pipeline import index
    from gui.views.problems_page import read_problems

    library = tmp_path / "library"
    library.mkdir()
    Image.new("RGB", (300, 200), "gray").save(library / "p.jpg")
    (library / "p.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>")  # malformed
    with Catalog(tmp_path / "cat") as catalog:
        for _ in index(catalog, [library], analyzer=face_analyzer):
            pass
    problems = read_problems(tmp_path / "cat")
    assert problems.unreadable == []
    assert [(path.endswith("p.jpg"), reason.startswith("face tags: p.xmp: malformed XMP"))
            for path, reason in problems.other] == [(True, True)]
