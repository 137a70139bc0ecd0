"""The review queue through the real widgets: Y confirms, N rejects, S skips, on a real catalog."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.catalog import Catalog
from core.people import name_person

WAIT_MS = 20000  # generous: a busy 2-core machine; waits end as soon as true


def _suggest_t1_faces_for_tom(catalog_dir) -> tuple[int, list[int]]:
    """Name Tom and put three of t1.jpg's faces in his review queue (most likely first)."""
    with Catalog(catalog_dir) as cat:
        tom = cat.execute("SELECT f.person_id FROM faces f JOIN photos p ON p.id = f.photo_id "
                          "WHERE p.path LIKE '%/Tom_Hanks_54745.png' AND f.person_id IS NOT "
                          "NULL").fetchone()[0]
        name_person(cat, tom, "Tom")
        faces = [f for (f,) in cat.execute(
            "SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.path LIKE "
            "'%/t1.jpg' AND f.usable = 1 ORDER BY f.id LIMIT 3")]
        with cat.transaction() as conn:
            conn.executemany("INSERT INTO suggestions(face_id, person_id, score) VALUES (?, ?, ?)",
                             [(f, tom, 0.40 - i / 100) for i, f in enumerate(faces)])
    return tom, faces


def _row(catalog_dir, sql, params):
    with Catalog(catalog_dir) as cat:
        row = cat.execute(sql, params).fetchone()
        return None if row is None else tuple(row)


def test_answer_the_review_queue_with_the_keyboard(qtbot, indexed, window_for):
    tom, (first, second, third) = _suggest_t1_faces_for_tom(indexed)
    window = window_for(indexed)
    window.show_section("review")
    page = window.review_page
    qtbot.waitUntil(lambda: page.faces.rowCount() == 3 and page.grid.currentIndex().isValid(),
                    timeout=WAIT_MS)
    assert page.remaining.text() == "3 left for this person"
    page.grid.setFocus()

    qtbot.keyClick(page.grid, Qt.Key.Key_Y)   # the most likely face: yes, that's Tom
    qtbot.waitUntil(lambda: _row(indexed, "SELECT person_id, assigned_by FROM faces WHERE id = ?",
                                 (first,)) == (tom, "user"), timeout=WAIT_MS)
    qtbot.keyClick(page.grid, Qt.Key.Key_S)   # the next: not sure, leave it
    qtbot.keyClick(page.grid, Qt.Key.Key_N)   # the third: no
    qtbot.waitUntil(lambda: _row(indexed, "SELECT COUNT(*) FROM face_rejections WHERE "
                                 "face_id = ? AND person_id = ?", (third, tom)) == (1,),
                    timeout=WAIT_MS)
    # The skipped face is still waiting, and is all that is left.
    qtbot.waitUntil(lambda: page.faces.rowCount() == 1, timeout=WAIT_MS)
    assert page.remaining.text() == "1 left for this person"
    assert _row(indexed, "SELECT person_id FROM faces WHERE id = ?", (second,)) != (tom,)
    assert _row(indexed, "SELECT COUNT(*) FROM suggestions WHERE face_id = ? AND person_id = ?",
                (second, tom)) == (1,)
    assert window.errors == []
