"""Draw a face the detector missed and remove a false one, in the viewer: real mouse presses,
moves and releases on the canvas, a name typed in the picker, the face menu clicked; the
catalog, the boxes shown and Ctrl+Z checked. Real models embed the drawn face."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from core.catalog import Catalog, embeddings_from_blobs
from core.people import name_person

from .test_faces_and_merges import _picker, _visible_menu
from .test_people import WAIT_MS, _db, _person_of


def _photo(catalog_dir, name: str) -> int:
    return _db(catalog_dir, "SELECT id FROM photos WHERE path LIKE ?", (f"%/{name}",))[0][0]


def _open(qtbot, window, photo: int):
    window.open_photo(photo)
    viewer = window.viewer
    qtbot.waitUntil(lambda: viewer.canvas.image is not None and viewer.photo_id == photo
                    and viewer.caption.text() not in ("", "Loading…"), timeout=WAIT_MS)
    return viewer


def _drag(qtbot, widget, start: QPoint, end: QPoint, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, modifier, start)
    for step in range(1, 9):
        qtbot.mouseMove(widget, start + (end - start) * (step / 8))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, modifier, end)


def test_draw_a_missed_face_name_it_and_undo(qtbot, indexed, window_for):
    # The detector "missed" Tom in the framed copy: his face there is taken away; the user
    # draws it again over the same place and names him.
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    photo = _photo(indexed, "tom_framed.jpg")
    with Catalog(indexed) as cat:
        name_person(cat, tom, "Tom")
        face_id, x1, y1, x2, y2, blob = cat.execute(
            "SELECT id, x1, y1, x2, y2, embedding FROM faces WHERE photo_id=?", (photo,)
        ).fetchone()
        cat.execute("DELETE FROM faces WHERE id=?", (face_id,))
    original = embeddings_from_blobs([blob])[0]
    window = window_for(indexed)
    viewer = _open(qtbot, window, photo)
    canvas = viewer.canvas
    assert canvas.faces == []
    qtbot.mouseClick(viewer.draw_button, Qt.MouseButton.LeftButton)
    assert viewer.draw_button.isChecked()
    rect = canvas.box_rect((x1, y1, x2, y2))
    slack = 1.5 / canvas._scale()           # a widget pixel, in photo pixels, and rounding
    _drag(qtbot, canvas, rect.topLeft().toPoint(), rect.bottomRight().toPoint())
    picker = _picker(qtbot, window)
    qtbot.keyClicks(picker.filter, "tom")
    assert picker.proxy.rowCount() == 1
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)

    query = "SELECT id, x1, y1, x2, y2, person_id, assigned_by, embedding FROM faces " \
            "WHERE photo_id=? AND source='manual'"
    qtbot.waitUntil(lambda: len(_db(indexed, query, (photo,))) == 1, timeout=WAIT_MS)
    (new_id, *box, person, by, new_blob), = _db(indexed, query, (photo,))
    assert (person, by) == (tom, "user")
    assert all(abs(a - b) <= slack for a, b in zip(box, (x1, y1, x2, y2))), (box, slack)
    similarity = float(embeddings_from_blobs([new_blob])[0] @ original)
    assert similarity > 0.8, similarity
    # the viewer shows it, named, where it was drawn
    qtbot.waitUntil(lambda: [(f.id, f.person_name) for f in canvas.faces] == [(new_id, "Tom")],
                    timeout=WAIT_MS)
    assert "1 face" in viewer.info.text() and "Tom" in viewer.info.text()

    # said in the status bar, with Undo: the button takes the face back
    qtbot.waitUntil(lambda: window.notice.text() == "Added a face for Tom.", timeout=WAIT_MS)
    button = window.notice.button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
    qtbot.waitUntil(lambda: not _db(indexed, query, (photo,)), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: canvas.faces == [], timeout=WAIT_MS)
    assert window.errors == []


def test_shift_drag_then_cancel_adds_nothing(qtbot, indexed, window_for):
    photo = _photo(indexed, "t1.jpg")
    window = window_for(indexed)
    viewer = _open(qtbot, window, photo)
    canvas = viewer.canvas
    before = _db(indexed, "SELECT COUNT(*) FROM faces")
    target = canvas._target()
    start = QPoint(int(target.left()) + 10, int(target.top()) + 10)
    _drag(qtbot, canvas, start, start + QPoint(40, 40), Qt.KeyboardModifier.ShiftModifier)
    assert canvas.pending is not None
    picker = _picker(qtbot, window)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: canvas.pending is None, timeout=WAIT_MS)
    assert _db(indexed, "SELECT COUNT(*) FROM faces") == before
    # without Shift and without the button, a drag draws nothing
    _drag(qtbot, canvas, start, start + QPoint(40, 40))
    assert canvas.pending is None and not window.findChildren(type(picker))[-1].isVisible()


def test_not_a_face_takes_it_off_the_photo_and_undo_puts_it_back(qtbot, indexed, window_for):
    photo = _photo(indexed, "t1.jpg")
    window = window_for(indexed)
    viewer = _open(qtbot, window, photo)
    canvas = viewer.canvas
    qtbot.waitUntil(lambda: len(canvas.faces) == 6, timeout=WAIT_MS)
    assert viewer.info.text().split(" · ")[1] == "6 faces"
    face = canvas.faces[2]
    person = face.person_id
    at = canvas.face_rect(face).center().toPoint()
    qtbot.mouseMove(canvas, at)
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, pos=at)
    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                     canvas.mapToGlobal(at)))
    menu = _visible_menu(qtbot, viewer)
    assert "Ignore face" not in [a.text() for a in menu.actions()]
    not_a_face = next(a for a in menu.actions() if a.text() == "Not a face")
    item = menu.actionGeometry(not_a_face).center()
    qtbot.mouseMove(menu, item)                  # the pointer goes to the item, then clicks
    qtbot.waitUntil(lambda: menu.activeAction() is not_a_face, timeout=WAIT_MS)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=item)
    qtbot.waitUntil(lambda: _db(indexed, "SELECT ignored, person_id FROM faces WHERE id=?",
                                (face.id,)) == [(1, None)], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: face.id not in [f.id for f in canvas.faces], timeout=WAIT_MS)
    assert len(canvas.faces) == 5 and viewer.info.text().split(" · ")[1] == "5 faces"
    qtbot.waitUntil(lambda: window.notice.text().startswith("Marked 1 face as not a face"),
                    timeout=WAIT_MS)

    window.activateWindow()     # a shortcut reaches the window that has the focus
    qtbot.waitUntil(lambda: QApplication.focusWindow() is window.windowHandle(),
                    timeout=WAIT_MS)
    qtbot.keyClick(viewer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)   # Ctrl+Z
    qtbot.waitUntil(lambda: _db(indexed, "SELECT ignored, person_id FROM faces WHERE id=?",
                                (face.id,)) == [(0, person)], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(canvas.faces) == 6, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Undid “not a face” (1 face).", timeout=WAIT_MS)
    assert window.errors == []


def test_the_name_picker_leaves_the_drawn_box_in_sight(qtbot, indexed, window_for):
    """A box drawn in the middle of the photo: the picker that asks whose face it is opens
    beside it, not over it (centred on the window it covered the face asked about)."""
    from PySide6.QtCore import QRect

    photo = _photo(indexed, "t1.jpg")
    window = window_for(indexed)
    window.resize(1200, 800)
    viewer = _open(qtbot, window, photo)
    canvas = viewer.canvas
    target = canvas._target()
    middle = target.center().toPoint()
    start, end = middle - QPoint(30, 30), middle + QPoint(30, 30)
    _drag(qtbot, canvas, start, end, Qt.KeyboardModifier.ShiftModifier)
    picker = _picker(qtbot, window)
    box = QRect(canvas.mapToGlobal(start), canvas.mapToGlobal(end))
    qtbot.waitUntil(lambda: not picker.frameGeometry().intersects(box), timeout=WAIT_MS)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Escape)
    assert window.errors == []
