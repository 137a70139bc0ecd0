"""What the user sees is what they answer: merges by drag, link and picker keep the named
person; Review marks the face it asks about; one Enter names. Real widgets, real catalog."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMenu, QPushButton

from core.catalog import Catalog
from core.people import move_faces, name_person
from gui.models import people as roles
from gui.views import names
from gui.views.person_picker import NameChoiceDialog, PersonPicker
from gui.views.viewer import HIGHLIGHT

from .test_people import (WAIT_MS, _card, _db, _person_of, _person_page,  # noqa: F401
                          _rename_in_place, people_window)
from .test_review import _suggest_t1_faces_for_tom


def _people(catalog_dir) -> list[int]:
    return [pid for (pid,) in _db(catalog_dir, "SELECT DISTINCT person_id FROM faces WHERE "
                                  "person_id IS NOT NULL ORDER BY person_id")]


def _faces_of(catalog_dir, person_id: int) -> int:
    return _db(catalog_dir, "SELECT COUNT(*) FROM faces WHERE person_id=?", (person_id,))[0][0]


def _exists(catalog_dir, person_id: int) -> bool:
    return bool(_db(catalog_dir, "SELECT 1 FROM people WHERE id=?", (person_id,)))


def _name(window, person_id: int, name: str, qtbot) -> None:
    window.actions.rename(person_id, name)
    qtbot.waitUntil(lambda: window.completer.person_named(name) == person_id, timeout=WAIT_MS)
    page = window.people_page
    qtbot.waitUntil(lambda: _card(window, person_id).data(roles.NameRole) == name,
                    timeout=WAIT_MS)
    assert page.model.rowCount()


def _confirm_yes(monkeypatch) -> list:
    asked = []
    monkeypatch.setattr(names, "confirm", lambda *args: asked.append(args[2]) or True)
    return asked


# -- drag and drop, as Qt delivers it -------------------------------------------------------

def _drop_target(window, viewport, pos: QPoint):
    """The widget Qt hands a drag at `pos` to: the widget under the mouse, or its nearest
    parent, that accepts drops (QWidgetWindow::findDnDTarget)."""
    widget = window.childAt(viewport.mapTo(window, pos))
    while widget is not None and not widget.acceptDrops():
        widget = widget.parentWidget()
    return widget


def _drag_card(qtbot, window, source: int, target: int) -> None:
    grid = window.people_page.grid
    viewport = grid.viewport()
    start = grid.visualRect(_card(window, source)).center()
    end = grid.visualRect(_card(window, target)).center()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=start)   # the press selects it
    dragged = grid.selectionModel().selectedIndexes()
    assert [i.data(roles.IdRole) for i in dragged] == [source]
    mime = grid.model().mimeData(dragged)            # what QAbstractItemView.startDrag sends
    actions = grid.model().supportedDragActions()
    receiver = _drop_target(window, viewport, start)
    assert receiver is viewport, f"a drag over the cards goes to {receiver!r}"
    enter = QDragEnterEvent(start, actions, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(receiver, enter)
    assert enter.isAccepted()
    accepted = False
    for step in range(1, 11):
        at = start + (end - start) * (step / 10)
        assert _drop_target(window, viewport, at) is viewport
        move = QDragMoveEvent(at, actions, mime, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(receiver, move)
        accepted = move.isAccepted()
    assert accepted, "the drag was refused over the target card"
    assert grid.drop_target.data(roles.IdRole) == target   # the card that will take it
    drop = QDropEvent(QPointF(end), actions, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(receiver, drop)
    assert drop.isAccepted() and grid.drop_target is None


def test_dragging_a_named_person_onto_an_unnamed_group_keeps_the_named_person(
        qtbot, indexed, people_window, monkeypatch):
    window = people_window
    named, unnamed = _people(indexed)[1:3]
    _name(window, named, "Anna", qtbot)
    asked = _confirm_yes(monkeypatch)
    _drag_card(qtbot, window, named, unnamed)
    qtbot.waitUntil(lambda: not _exists(indexed, unnamed), timeout=WAIT_MS)
    assert asked and "into Anna" in asked[0]
    # true also when a face was rejected for Anna: that one goes back to the unknown faces
    assert "except any face you said is not Anna" in asked[0]
    assert _faces_of(indexed, named) == 4
    assert _db(indexed, "SELECT name FROM people WHERE id=?", (named,)) == [("Anna",)]
    qtbot.waitUntil(lambda: window.people_page.model.rowCount() == 6, timeout=WAIT_MS)
    assert window.errors == []


def test_merging_two_named_people_asks_which_name_to_keep_showing_their_faces(
        qtbot, indexed, people_window):
    window = people_window
    anna, bob = _people(indexed)[1:3]
    _name(window, anna, "Anna", qtbot)
    _name(window, bob, "Bob", qtbot)
    _drag_card(qtbot, window, anna, bob)
    dialog = None

    def shown():
        nonlocal dialog
        dialog = window.findChild(NameChoiceDialog)
        return dialog is not None and dialog.isVisible()

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    buttons = {b.property("person_id"): b for b in dialog.findChildren(QPushButton)
               if b.property("person_id") is not None}
    assert set(buttons) == {anna, bob}
    assert "Anna" in buttons[anna].text() and "Bob" in buttons[bob].text()
    # each shows the person's face (the crop, not the placeholder it starts with)
    placeholder = window.ctx.face_placeholder(112).toImage()

    def faces_shown():
        return all(b.icon().pixmap(112, 112).toImage() != placeholder for b in buttons.values())

    qtbot.waitUntil(faces_shown, timeout=WAIT_MS)
    qtbot.mouseClick(buttons[bob], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not _exists(indexed, anna), timeout=WAIT_MS)
    assert _faces_of(indexed, bob) == 4
    assert _db(indexed, "SELECT name FROM people WHERE id=?", (bob,)) == [("Bob",)]
    assert window.errors == []


# -- the person page: "might be the same person", Merge…, Move to… -------------------------

def _split_off_a_duplicate(catalog_dir, person: int) -> int:
    """Move one of `person`'s two faces to a new unnamed person: the same face twice over, a
    likely duplicate."""
    with Catalog(catalog_dir) as cat:
        face = cat.execute("SELECT id FROM faces WHERE person_id=? ORDER BY id DESC",
                           (person,)).fetchone()[0]
        return move_faces(cat, [face], None)


def _link_point(qtbot, label, target: str) -> QPoint:
    """Where the link to `target` is in a rich-text label: found by hovering over it."""
    hovered = []
    label.linkHovered.connect(hovered.append)
    y = label.height() // 2
    for x in range(2, label.width(), 4):
        qtbot.mouseMove(label, QPoint(x, y))
        QApplication.processEvents()
        if hovered and hovered[-1] == target:
            return QPoint(x + 3, y)
    raise AssertionError(f"no link to {target} in {label.text()!r}")


def test_the_might_be_the_same_person_link_keeps_the_named_person(qtbot, indexed,
                                                                   people_window, monkeypatch):
    window = people_window
    putin = _person_of(indexed, "t1.jpg")
    with Catalog(indexed) as cat:
        name_person(cat, putin, "Vladimir Putin")
    group = _split_off_a_duplicate(indexed, putin)
    asked = _confirm_yes(monkeypatch)
    window.open_person(group)                       # the unnamed group's page
    page = window.person_page
    qtbot.waitUntil(lambda: page.duplicates.isVisible() and "Vladimir Putin" in
                    page.duplicates.text(), timeout=WAIT_MS)
    point = _link_point(qtbot, page.duplicates, str(putin))
    qtbot.mouseClick(page.duplicates, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: not _exists(indexed, group), timeout=WAIT_MS)
    assert asked and "into Vladimir Putin" in asked[0]
    assert _faces_of(indexed, putin) == 2
    assert _db(indexed, "SELECT name FROM people WHERE id=?", (putin,)) == [("Vladimir Putin",)]
    qtbot.waitUntil(lambda: page.person_id == putin, timeout=WAIT_MS)  # the page follows
    assert window.errors == []


def _picker(qtbot, window) -> PersonPicker:
    found = None

    def shown():
        nonlocal found
        found = next((p for p in window.findChildren(PersonPicker) if p.isVisible()), None)
        return found is not None and found.proxy.rowCount() > 0

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found


def _merge_picker_on_a_duplicate(qtbot, window, indexed, monkeypatch):
    """Anna named, a duplicate group of hers split off and opened, Merge… clicked: (anna, the
    group, the answers to the confirmation, the picker)."""
    anna = _person_of(indexed, "t1.jpg")
    with Catalog(indexed) as cat:
        name_person(cat, anna, "Anna")
    group = _split_off_a_duplicate(indexed, anna)
    asked = _confirm_yes(monkeypatch)
    window.open_person(group)
    page = window.person_page
    qtbot.waitUntil(lambda: page.person is not None and page.person.id == group,
                    timeout=WAIT_MS)
    merge = next(b for b in page.findChildren(QPushButton) if b.text() == "Merge…")
    qtbot.mouseClick(merge, Qt.MouseButton.LeftButton)
    return anna, group, asked, _picker(qtbot, window)


def test_merge_picks_a_person_by_face_and_keeps_the_named_one(qtbot, indexed, people_window,
                                                               monkeypatch):
    window = people_window
    anna, group, asked, picker = _merge_picker_on_a_duplicate(qtbot, window, indexed,
                                                              monkeypatch)
    # everyone but this group, each with a face crop
    listed = [picker.proxy.index(r, 0).data(roles.IdRole) for r in range(picker.proxy.rowCount())]
    assert group not in listed and anna in listed
    qtbot.waitUntil(lambda: all(
        not picker.proxy.index(r, 0).data(Qt.ItemDataRole.DecorationRole).isNull() and
        picker.proxy.index(r, 0).data(Qt.ItemDataRole.DecorationRole).cacheKey()
        != picker.model.placeholder.cacheKey() for r in range(picker.proxy.rowCount())),
        timeout=WAIT_MS)
    qtbot.keyClicks(picker.filter, "ann")
    assert picker.proxy.rowCount() == 1
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not _exists(indexed, group), timeout=WAIT_MS)
    assert asked and "into Anna" in asked[0]
    assert _faces_of(indexed, anna) == 2
    assert window.errors == []


def test_move_to_picks_a_person_or_makes_a_new_one(qtbot, indexed, people_window):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    page = _person_page(qtbot, window, tom)
    face = page.faces.rows[0].id
    at = page.strip.visualRect(page.faces.index(0)).center()
    qtbot.mouseClick(page.strip.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert page.strip.selected_ids() == [face]
    viewport = page.strip.viewport()
    # a right-click: QTest's press does not make the context-menu event the window system
    # does, so it is sent as Qt would send it, to the widget under the mouse
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=at)
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                       viewport.mapToGlobal(at)))
    menu = None

    def menu_shown():
        nonlocal menu
        menu = next((m for m in page.findChildren(QMenu) if m.isVisible()), None)
        return menu is not None

    qtbot.waitUntil(menu_shown, timeout=WAIT_MS)
    move = next(a for a in menu.actions() if a.text() == "Move to…")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(move).center())
    picker = _picker(qtbot, window)
    qtbot.keyClicks(picker.filter, "Newcomer")
    assert picker.proxy.rowCount() == 0 and picker.new_person.isVisible()
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _db(indexed, "SELECT p.name FROM faces f JOIN people p ON "
                                "p.id = f.person_id WHERE f.id=?", (face,)) == [("Newcomer",)],
                    timeout=WAIT_MS)
    assert window.errors == []


# -- Review: the face asked about, marked in its photo ---------------------------------------

def _colour_near(image, point: QPointF, colour, radius: int = 2) -> bool:
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = image.pixelColor(round(point.x()) + dx, round(point.y()) + dy)
            if abs(c.red() - colour.red()) + abs(c.green() - colour.green()) + \
                    abs(c.blue() - colour.blue()) < 60:
                return True
    return False


def _marked_at_its_place(canvas, face) -> bool:
    if canvas.image is None or canvas.highlight != face.id:
        return False
    rect = canvas.face_rect(face)
    image = canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    left = QPointF(rect.left(), rect.center().y()) * ratio
    top = QPointF(rect.center().x(), rect.top()) * ratio
    return _colour_near(image, left, HIGHLIGHT) and _colour_near(image, top, HIGHLIGHT)


def test_review_marks_the_face_it_asks_about_and_opens_it_in_the_viewer(qtbot, indexed,
                                                                         window_for):
    tom, faces = _suggest_t1_faces_for_tom(indexed)
    window = window_for(indexed)
    window.show_section("review")
    page = window.review_page
    qtbot.waitUntil(lambda: page.faces.rowCount() == 3 and page.grid.currentIndex().isValid(),
                    timeout=WAIT_MS)
    first = page.faces.rows[0]
    qtbot.waitUntil(lambda: _marked_at_its_place(page.context, first), timeout=WAIT_MS)
    # the mark is where the face is in the photo: the box mapped back gives the face's box
    rect = page.context.face_rect(first)
    target = page.context._target()
    scale = target.width() / page.context.full_size[0]
    assert abs((rect.left() - target.left()) / scale - first.box[0]) < 1
    assert abs((rect.top() - target.top()) / scale - first.box[1]) < 1
    assert [f.id for f in page.context.faces] == [first.id]      # only the face asked about

    # moving to the next face moves the mark
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_S)
    second = page.faces.rows[1]
    qtbot.waitUntil(lambda: _marked_at_its_place(page.context, second), timeout=WAIT_MS)

    # double-click: the photo in the viewer, that face marked
    cell = page.grid.visualRect(page.faces.index(1)).center()
    # (a real double-click is a click, then a press that is a double-click)
    qtbot.mouseClick(page.grid.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(page.grid.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    viewer = window.viewer
    qtbot.waitUntil(lambda: window.pages.currentWidget() is viewer, timeout=WAIT_MS)
    assert viewer.photo_id == second.photo_id
    qtbot.waitUntil(lambda: viewer.canvas.image is not None and len(viewer.canvas.faces) >= 3,
                    timeout=WAIT_MS)
    shown = next(f for f in viewer.canvas.faces if f.id == second.id)
    qtbot.waitUntil(lambda: _marked_at_its_place(viewer.canvas, shown), timeout=WAIT_MS)
    others = [f for f in viewer.canvas.faces if f.id != second.id]
    image = viewer.canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    for other in others:                          # only that face is marked
        rect = viewer.canvas.face_rect(other)
        assert not _colour_near(image, QPointF(rect.left(), rect.center().y()) * ratio,
                                HIGHLIGHT, 1)

    # back, and Space on the grid does the same
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is page, timeout=WAIT_MS)
    page.grid.setFocus()
    page.grid.setCurrentIndex(page.faces.index(0))
    qtbot.keyClick(page.grid, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is viewer and
                    viewer.photo_id == first.photo_id and viewer.canvas.highlight == first.id,
                    timeout=WAIT_MS)
    assert window.errors == []


# -- naming in place: one Enter ------------------------------------------------------------

def test_one_enter_on_a_suggested_name_names_and_asks_about_the_merge(qtbot, indexed,
                                                                      people_window, monkeypatch):
    window = people_window
    anna, group = _people(indexed)[1:3]
    _name(window, anna, "Anna", qtbot)
    asked = _confirm_yes(monkeypatch)
    _, editor = _rename_in_place(qtbot, window, group)
    qtbot.keyClicks(editor, "Ann")
    popup = editor.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT_MS)
    qtbot.keyClick(popup, Qt.Key.Key_Down)            # the suggestion "Anna"
    qtbot.keyClick(popup, Qt.Key.Key_Return)          # one Enter
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert "already called Anna" in asked[0]
    qtbot.waitUntil(lambda: not _exists(indexed, group) or _faces_of(indexed, group) == 0,
                    timeout=WAIT_MS)
    assert _faces_of(indexed, anna) == 4
    assert window.errors == []


def _visible_menu(qtbot, parent) -> QMenu:
    found = None

    def shown():
        nonlocal found
        found = next((m for m in parent.findChildren(QMenu) if m.isVisible()), None)
        return found is not None

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found


def test_this_is_in_the_viewer_picks_the_person_by_face(qtbot, indexed, people_window):
    window = people_window
    tom = _person_of(indexed, "Tom_Hanks_54745.png")
    _name(window, tom, "Tom", qtbot)
    photo = _db(indexed, "SELECT id FROM photos WHERE path LIKE '%/t1.jpg'")[0][0]
    window.open_photo(photo)
    canvas = window.viewer.canvas
    qtbot.waitUntil(lambda: canvas.image is not None and bool(canvas.faces), timeout=WAIT_MS)
    face = canvas.faces[0]
    at = canvas.face_rect(face).center().toPoint()
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, pos=at)
    QApplication.sendEvent(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                     canvas.mapToGlobal(at)))
    menu = _visible_menu(qtbot, window.viewer)
    this_is = next(a for a in menu.actions() if a.text() == "This is…")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(this_is).center())
    picker = _picker(qtbot, window)
    qtbot.keyClicks(picker.filter, "tom")
    assert picker.proxy.rowCount() == 1
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _db(indexed, "SELECT person_id FROM faces WHERE id=?", (face.id,))
                    == [(tom,)], timeout=WAIT_MS)
    assert window.errors == []


# -- a face at the photo's edge: its crop shows it, centred, padded grey ---------------------

def _array(pixmap):
    import numpy as np
    from PySide6.QtGui import QImage

    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 3] \
        .reshape(image.height(), image.width(), 3).astype(int)


def test_review_asks_about_a_face_at_the_edge_with_that_face_in_the_middle(
        qtbot, indexed, window_for, insightface_images, face_analyzer, tmp_path):
    import numpy as np
    from PIL import Image

    from core import pipeline

    # t1.jpg cut through its rightmost face: that face is half at the photo's edge
    folder = tmp_path / "more"
    folder.mkdir()
    with Image.open(insightface_images / "t1.jpg") as im:
        photo = np.asarray(im.convert("RGB").crop((0, 0, 1195, im.height)))
    Image.fromarray(photo).save(folder / "edge.png")
    with Catalog(indexed) as cat:
        cat.add_folder(folder)
        for _ in pipeline.index(cat, [str(folder)], analyzer=face_analyzer):
            pass
        face_id, *box = cat.execute(
            "SELECT f.id, f.x1, f.y1, f.x2, f.y2 FROM faces f JOIN photos p ON p.id = "
            "f.photo_id WHERE p.path LIKE '%/edge.png' ORDER BY f.x2 DESC").fetchone()
        assert box[2] > 1195 - 5, box                       # detected, cut by the edge
        tom = cat.execute("SELECT f.person_id FROM faces f JOIN photos p ON p.id = f.photo_id "
                          "WHERE p.path LIKE '%/Tom_Hanks_54745.png'").fetchone()[0]
        name_person(cat, tom, "Tom")
        with cat.transaction() as conn:
            conn.execute("INSERT INTO suggestions(face_id, person_id, score) VALUES (?, ?, 0.4)",
                         (face_id, tom))
    window = window_for(indexed)
    window.show_section("review")
    page = window.review_page
    qtbot.waitUntil(lambda: [r.id for r in page.faces.rows] == [face_id], timeout=WAIT_MS)
    index = page.faces.index(0)
    qtbot.waitUntil(lambda: index.data(Qt.ItemDataRole.DecorationRole).cacheKey()
                    != page.faces.placeholder.cacheKey(), timeout=WAIT_MS)
    thumb = _array(index.data(Qt.ItemDataRole.DecorationRole))
    size = thumb.shape[0]
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * 1.7                      # the crop: the face and a margin
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    # the middle half of the thumbnail is the middle of the face's box in the photo
    quarter = side / 4
    patch = photo[round(cy - quarter):round(cy + quarter),
                  round(cx - quarter):min(photo.shape[1], round(cx + quarter))]
    middle = thumb[size // 4:size * 3 // 4, size // 4:size * 3 // 4]
    expected = np.asarray(Image.fromarray(patch).resize(
        (round(patch.shape[1] / (side / 2) * middle.shape[1]), middle.shape[0]))).astype(int)
    assert np.abs(middle[:, :expected.shape[1]] - expected).mean() < 20
    # past the photo's right edge: neutral grey
    edge = round((photo.shape[1] - (cx - side / 2)) / side * size)
    assert np.abs(thumb[:, edge + 4:] - 128).max() < 16
    # and Review marks that face in its photo
    face = page.faces.rows[0]
    qtbot.waitUntil(lambda: _marked_at_its_place(page.context, face), timeout=WAIT_MS)
    assert window.errors == []


def test_an_untouched_picker_gives_the_face_to_nobody_on_enter(qtbot, indexed, people_window,
                                                               monkeypatch):
    """Enter in a picker where nothing was typed or chosen picks nobody (it gave a drawn face
    to whoever was listed first); Down then Enter picks the first person listed."""
    window = people_window
    _anna, group, _asked, picker = _merge_picker_on_a_duplicate(qtbot, window, indexed,
                                                                monkeypatch)
    qtbot.waitUntil(lambda: picker.proxy.rowCount() > 0, timeout=WAIT_MS)
    assert not picker.list.currentIndex().isValid()
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    qtbot.wait(300)
    assert picker.isVisible() and _exists(indexed, group)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    assert picker.list.currentIndex().row() == 0
    first = picker.list.currentIndex().data(roles.IdRole)
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not _exists(indexed, group) or not _exists(indexed, first),
                    timeout=WAIT_MS)
    assert window.errors == []

