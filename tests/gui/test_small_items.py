"""Small things a new user notices: the viewer says what its box colours mean, one word
("Unnamed") for a face without a name, readable hint text in light and dark palettes, the
version in About, Remove only with a folder chosen, no smiley placeholder."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from core.catalog import Catalog
from gui.views import hints
from gui.views.viewer import NAMED_COLOUR, UNNAMED_COLOUR

WAIT_MS = 20000


def _faces_of(catalog_dir, file_name):
    with Catalog(catalog_dir) as cat:
        return cat.execute(
            "SELECT p.id, f.id, f.person_id FROM faces f JOIN photos p ON p.id = f.photo_id "
            "WHERE p.path LIKE ? ORDER BY f.x1", (f"%/{file_name}",)).fetchall()


def _box_has(canvas, face, colour: str) -> bool:
    """Is the top edge of the face's box painted in `colour` (near enough: antialiased)?"""
    image = canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    rect = canvas.face_rect(face)
    want = QColor(colour)
    best = min(sum(abs(a - b) for a, b in zip(
        image.pixelColor(round(x * ratio), round(y * ratio)).getRgb()[:3], want.getRgb()[:3]))
        for x in range(int(rect.left()) + 6, int(rect.right()) - 6, 2)
        for y in range(int(rect.top()) - 2, int(rect.top()) + 3))
    return best <= 24


def test_the_viewer_says_what_its_box_colours_mean(qtbot, indexed, window_for):
    (photo, face, person), = _faces_of(indexed, "Tom_Hanks_54745.png")
    window = window_for(indexed)
    window.open_photo(photo)
    viewer = window.viewer
    canvas = viewer.canvas
    qtbot.waitUntil(lambda: len(canvas.faces) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(viewer.legend.isVisible, timeout=WAIT_MS)
    for word in ("Named", "Unnamed"):
        assert word in viewer.legend.text()
    assert "Ignored" not in viewer.legend.text()   # "Not a face" takes the box away
    tom = canvas.faces[0]
    assert tom.person_name is None                    # a group, not named yet: yellow
    assert _box_has(canvas, tom, UNNAMED_COLOUR)
    assert not _box_has(canvas, tom, NAMED_COLOUR)
    # the mouse rests on the face: Qt sends the canvas a tooltip event there
    pos = canvas.face_rect(tom).center().toPoint()
    QTest.mouseMove(canvas, pos)
    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, pos, canvas.mapToGlobal(pos)))
    assert QToolTip.text().startswith("Unnamed")      # one word for it, as on People cards
    QToolTip.hideText()
    window.actions.rename(person, "Tom Hanks")
    qtbot.waitUntil(lambda: canvas.faces and canvas.faces[0].person_name == "Tom Hanks",
                    timeout=WAIT_MS)
    qtbot.wait(50)
    assert _box_has(canvas, canvas.faces[0], NAMED_COLOUR)
    assert window.errors == []


def dim_dark_palette() -> QPalette:
    """A dark system palette whose disabled text is dim (as many dark themes have it)."""
    from gui.screenshots import dark_palette

    palette = dark_palette()
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5a5a5a"))
    return palette


def rendered_contrast(label) -> float:
    """The strongest contrast between the label's painted text and its background."""
    image = label.grab().toImage()
    background = image.pixelColor(0, 0)
    return max(hints.contrast(image.pixelColor(x, y), background)
               for x in range(image.width()) for y in range(image.height()))


def test_hint_text_is_readable_in_light_and_dark_palettes(qtbot, indexed, window_for):
    app = QApplication.instance()
    light = app.palette()
    window = window_for(indexed)
    window.show_section("albums")
    page = window.albums_page
    qtbot.waitUntil(page.empty.isVisible, timeout=WAIT_MS)
    try:
        for palette in (light, dim_dark_palette()):
            app.setPalette(palette)
            qtbot.wait(50)
            for label in (page.empty, window.people_page.summary):
                assert label.text()
                assert rendered_contrast(label) >= 4.5, (label.text(), palette)
    finally:
        app.setPalette(light)


def test_about_shows_the_version(qtbot, indexed, window_for):
    from importlib.metadata import version

    window = window_for(indexed)
    dialog = menu_dialog(qtbot, window, "&Help", "About Faceshelf")
    assert f"Version {version('faceshelf')}" in dialog.text.text()


def menu_dialog(qtbot, window, menu_title: str, item: str):
    """Click the menu bar's `menu_title`, then `item`: the dialog it opens."""
    bar = window.menuBar()
    entry = next(a for a in bar.actions() if a.text() == menu_title)
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(entry).center())
    menu = entry.menu()
    qtbot.waitUntil(menu.isVisible, timeout=WAIT_MS)
    action = next(a for a in menu.actions() if a.text() == item)
    window.last_dialog = None
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: window.last_dialog is not None and window.last_dialog.isVisible(),
                    timeout=WAIT_MS)
    return window.last_dialog


def test_remove_needs_a_chosen_folder_and_is_off_with_an_empty_list(qtbot, indexed,
                                                                    window_for):
    window = window_for(indexed)
    dialog = menu_dialog(qtbot, window, "&Edit", "Settings…")
    folders = dialog.folders
    assert not dialog.remove.isEnabled()
    qtbot.waitUntil(lambda: folders.count() == 1, timeout=WAIT_MS)
    assert not dialog.remove.isEnabled()            # nothing chosen yet
    QTest.mouseClick(folders.viewport(), Qt.MouseButton.LeftButton,
                     pos=folders.visualItemRect(folders.item(0)).center())
    assert dialog.remove.isEnabled()
    QTest.mouseClick(dialog.remove, Qt.MouseButton.LeftButton,
                     pos=dialog.remove.rect().center())
    assert folders.count() == 0
    assert not dialog.remove.isEnabled()             # an empty list: nothing to remove


def test_face_placeholder_is_neutral_not_a_smiley(qtbot, indexed, window_for):
    window = window_for(indexed)
    image = window.ctx.face_placeholder(120).toImage()
    assert {image.pixelColor(x, y).alpha() for x in range(0, 120, 3)
            for y in range(0, 120, 3)} == {0}
