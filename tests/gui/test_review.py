"""The review queue through the real widgets: Y confirms, N rejects, S skips, on a real catalog."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.catalog import Catalog
from core.people import name_person
from gui.models.people import RecordRole

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
    # The queue reloads whenever the catalog changes (here: another suggestion's score): the
    # cursor must stay on the face it was on, not jump back to the skipped one.
    with Catalog(indexed) as cat, cat.transaction() as conn:
        conn.execute("UPDATE suggestions SET score = 0.5 WHERE face_id = ?", (second,))
    page.refresh()
    qtbot.waitUntil(lambda: [r.score for r in page.faces.rows if r.id == second] == [0.5],
                    timeout=WAIT_MS)
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


def test_switching_person_never_shows_one_persons_faces_under_anothers_name(qtbot, indexed,
                                                                           window_for):
    tom, faces = _suggest_t1_faces_for_tom(indexed)
    with Catalog(indexed) as cat:
        ann = cat.execute("SELECT person_id FROM faces WHERE person_id IS NOT NULL AND "
                          "person_id != ? LIMIT 1", (tom,)).fetchone()[0]
        name_person(cat, ann, "Ann")
        spare = cat.execute(
            "SELECT f.id FROM faces f JOIN photos p ON p.id = f.photo_id WHERE p.path LIKE "
            f"'%/t1.jpg' AND f.usable = 1 AND f.id NOT IN ({','.join(map(str, faces))}) AND "
            "(f.person_id IS NULL OR f.person_id != ?) LIMIT 1", (ann,)).fetchone()[0]
        with cat.transaction() as conn:
            conn.execute("INSERT INTO suggestions(face_id, person_id, score) VALUES (?, ?, 0.4)",
                         (spare, ann))
    queue = {tom: set(faces), ann: {spare}}
    window = window_for(indexed)
    window.show_section("review")
    page = window.review_page
    qtbot.waitUntil(lambda: page.people.count() == 2 and page.faces.rowCount() > 0,
                    timeout=WAIT_MS)
    for row in (1, 0, 1):  # quick clicks: each while the previous person's faces still load
        page.people.setCurrentRow(row)
        chosen = page.people.item(row).data(Qt.ItemDataRole.UserRole)
        shown = {r.id for r in page.faces.rows}
        assert not shown or shown == queue[chosen], "another person's faces under this name"
    chosen = page.people.item(1).data(Qt.ItemDataRole.UserRole)
    qtbot.waitUntil(lambda: {r.id for r in page.faces.rows} == queue[chosen], timeout=WAIT_MS)


def test_review_reached_from_the_sidebar_answers_keys_at_once(qtbot, indexed, window_for):
    """A click on "Review" in the sidebar, then Y and S typed at once (to whatever has the
    focus, as a keyboard does): Y answers the face shown and S skips; S never jumps the
    sidebar to "Search" (its type-ahead had the keys before)."""
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    tom, (first, _second, _third) = _suggest_t1_faces_for_tom(indexed)
    window = window_for(indexed)
    window.show_section("people")
    window.activateWindow()
    sidebar = window.sidebar
    row = window.sidebar.row_of("review")
    QTest.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton,
                     pos=sidebar.visualItemRect(sidebar.item(row)).center())
    page = window.review_page
    qtbot.waitUntil(lambda: window.pages.currentWidget() is page and page.faces.rowCount() == 3
                    and page.grid.currentIndex().isValid(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not sidebar, timeout=WAIT_MS)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: _row(indexed, "SELECT person_id, assigned_by FROM faces WHERE id = ?",
                                 (first,)) == (tom, "user"), timeout=WAIT_MS)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_S)
    qtbot.wait(300)
    assert window.pages.currentWidget() is page
    assert window.sidebar.currentRow() == row
    assert window.errors == []


def test_a_name_from_a_photos_tags_is_asked_face_by_face(qtbot, indexed, window_for):
    """A name the photo's tags give without a box (Takeout) waits in Review for each unnamed
    face of that photo, marked "in tags" (not a similarity); Y on one gives it that name."""
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from core.tags.apply import ImportReport, People, apply_photo_tags

    with Catalog(indexed) as cat, cat.transaction() as conn:
        photo_id, path = conn.execute("SELECT id, path FROM photos WHERE path LIKE "
                                      "'%/t1.jpg'").fetchone()
        apply_photo_tags(conn, People(conn), ImportReport(), photo_id, path, [],
                         [("Carl", "takeout")])
    carl = _row(indexed, "SELECT id FROM people WHERE name = 'Carl'", ())[0]
    window = window_for(indexed)
    window.show_section("people")
    window.activateWindow()
    sidebar = window.sidebar
    row = window.sidebar.row_of("review")
    QTest.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton,
                     pos=sidebar.visualItemRect(sidebar.item(row)).center())
    page = window.review_page
    qtbot.waitUntil(lambda: window.pages.currentWidget() is page, timeout=WAIT_MS)
    people = page.people

    def carl_row():
        return next((i for i in range(people.count())
                     if people.item(i).data(Qt.ItemDataRole.UserRole) == carl), None)

    qtbot.waitUntil(lambda: carl_row() is not None, timeout=WAIT_MS)
    QTest.mouseClick(people.viewport(), Qt.MouseButton.LeftButton,
                     pos=people.visualItemRect(people.item(carl_row())).center())
    qtbot.waitUntil(lambda: page.faces.rowCount() >= 2 and page.grid.currentIndex().isValid()
                    and all(r.person_id != carl for r in page.faces.rows), timeout=WAIT_MS)
    badges = {page.faces.index(i).data(Qt.ItemDataRole.DisplayRole)
              for i in range(page.faces.rowCount())}
    assert badges == {"in tags"}
    asked = page.grid.currentIndex().data(RecordRole)
    page.grid.setFocus()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: _row(indexed, "SELECT person_id, assigned_by FROM faces WHERE "
                                 "id = ?", (asked.id,)) == (carl, "user"), timeout=WAIT_MS)
    assert window.errors == []


def test_confirm_all_says_what_it_did_and_undo_takes_it_back(qtbot, indexed, window_for):
    """Confirm all used to change 3 faces without a word, and Undo then spoke of 'the move of
    faces': the user reads what was confirmed, with Undo beside it, in the same words."""
    tom, faces = _suggest_t1_faces_for_tom(indexed)
    window = window_for(indexed)
    window.show_section("review")
    page = window.review_page
    qtbot.waitUntil(lambda: page.faces.rowCount() == 3, timeout=WAIT_MS)
    before = [_row(indexed, "SELECT person_id FROM faces WHERE id = ?", (f,)) for f in faces]

    qtbot.mouseClick(page.confirm_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notice.text() == "Confirmed 3 faces as Tom.", timeout=WAIT_MS)
    assert window.notice.button.isVisible() and window.notice.button.text() == "Undo"
    assert all(_row(indexed, "SELECT person_id, assigned_by FROM faces WHERE id = ?", (f,))
               == (tom, "user") for f in faces)

    qtbot.mouseClick(window.notice.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Undid the confirmation (3 faces as Tom).", timeout=WAIT_MS)
    assert [_row(indexed, "SELECT person_id FROM faces WHERE id = ?", (f,))
            for f in faces] == before
    qtbot.waitUntil(lambda: page.faces.rowCount() == 3, timeout=WAIT_MS)   # asked again
    assert window.errors == []
