"""The Albums page driven as a user does: covers, rename in place (F2 / the context menu),
delete with or without the album's files (the question says how many), Open folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from core.catalog import Catalog
from core.export import ExportRequest, export, find_album
from core.search.spec import SearchSpec

WAIT_MS = 20000


@pytest.fixture
def album_catalog(indexed, tmp_path):
    """The indexed catalog with album "Trip" (the two Tom Hanks photos) exported to out/."""
    out = tmp_path / "out"
    with Catalog(indexed) as cat:
        ids = [r[0] for r in cat.execute(
            "SELECT id FROM photos WHERE path LIKE '%Tom_Hanks%' OR path LIKE '%tom_framed%'")]
        export(cat, ExportRequest(spec=SearchSpec(photo_ids=ids), destination=str(out),
                                  save_as="Trip"))
    assert len(list(out.iterdir())) == 2
    return indexed, out


def albums_page(qtbot, window):
    window.show_section("albums")
    page = window.albums_page
    qtbot.waitUntil(lambda: len(page.albums) == 1, timeout=WAIT_MS)
    return page


def cell_centre(table, row, column) -> QPoint:
    return table.visualItemRect(table.item(row, column)).center()


def album_names(catalog_dir) -> list[str]:
    with Catalog(catalog_dir) as cat:
        return [r[0] for r in cat.execute("SELECT name FROM albums ORDER BY name")]


def click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def test_an_album_shows_one_of_its_photos_as_cover(qtbot, album_catalog, window_for):
    catalog_dir, _out = album_catalog
    window = window_for(catalog_dir)
    page = albums_page(qtbot, window)
    qtbot.waitUntil(lambda: page.cover_pixmap(0) is not None, timeout=WAIT_MS)
    assert not page.cover_pixmap(0).isNull()
    with Catalog(catalog_dir) as cat:
        cover = find_album(cat, "Trip").cover_photo_id
        path = cat.execute("SELECT path FROM photos WHERE id = ?", (cover,)).fetchone()[0]
    assert "Tom_Hanks" in path or "tom_framed" in path
    # painted in the name cell: the cover's square holds a picture, not one flat colour
    qtbot.wait(100)
    table = page.table
    rect = table.visualItemRect(table.item(0, 0))
    shot = table.viewport().grab(rect).toImage()
    colours = {shot.pixelColor(x, y).rgb() for x in range(4, 50, 3) for y in range(6, 52, 3)}
    assert len(colours) > 20


def test_rename_in_place_with_f2(qtbot, album_catalog, window_for):
    catalog_dir, out = album_catalog
    window = window_for(catalog_dir)
    page = albums_page(qtbot, window)
    table = page.table
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=cell_centre(table, 0, 1))
    QTest.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert editor is not table and editor.text() == "Trip"
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(editor, "Summer trip")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: album_names(catalog_dir) == ["Summer trip"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: [a.name for a in page.albums] == ["Summer trip"], timeout=WAIT_MS)
    assert "Renamed album “Trip” to “Summer trip”" in page.status.text()
    assert len(list(out.iterdir())) == 2        # the folder and files stay as they are
    assert window.errors == []


def test_rename_from_the_context_menu_refuses_a_taken_name(qtbot, album_catalog, window_for,
                                                           tmp_path):
    catalog_dir, _out = album_catalog
    with Catalog(catalog_dir) as cat:
        export(cat, ExportRequest(spec=SearchSpec(photo_ids=[1]),
                                  destination=str(tmp_path / "other"), save_as="Other"))
    window = window_for(catalog_dir)
    window.show_section("albums")
    page = window.albums_page
    qtbot.waitUntil(lambda: len(page.albums) == 2, timeout=WAIT_MS)
    table = page.table
    row = [a.name for a in page.albums].index("Trip")
    pos = cell_centre(table, row, 2)
    QApplication.sendEvent(table.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, pos, table.viewport().mapToGlobal(pos)))
    menu = page.menu
    qtbot.waitUntil(menu.isVisible, timeout=WAIT_MS)
    rename = next(a for a in menu.actions() if a.text() == "Rename")
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(rename).center())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not table, timeout=WAIT_MS)
    editor = QApplication.focusWidget()
    assert editor.text() == "Trip"
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(editor, "Other")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "already exists" in page.status.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: table.item(row, 1).text() == "Trip", timeout=WAIT_MS)
    assert album_names(catalog_dir) == ["Other", "Trip"]
    assert window.errors == []


def delete_box(qtbot, page) -> QMessageBox:
    click(page.delete_button)
    qtbot.waitUntil(lambda: page.delete_box is not None and page.delete_box.isVisible(),
                    timeout=WAIT_MS)
    return page.delete_box


def test_delete_asks_and_can_delete_the_files_the_album_wrote(qtbot, album_catalog,
                                                              window_for):
    catalog_dir, out = album_catalog
    mine = out / "my notes.txt"
    mine.write_text("mine")
    window = window_for(catalog_dir)
    page = albums_page(qtbot, window)
    box = delete_box(qtbot, page)
    assert "Delete the album “Trip”?" in box.text()
    assert "exported 2 photos" in box.informativeText() and str(out) in box.informativeText()
    assert page.delete_files_button.text() == "Delete album and its 2 photos"
    click(page.delete_files_button)
    qtbot.waitUntil(lambda: album_names(catalog_dir) == [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.albums == [] and page.empty.isVisible(), timeout=WAIT_MS)
    assert sorted(p.name for p in out.iterdir()) == ["my notes.txt"]   # only its own files
    assert "Deleted the album “Trip” and its 2 photos" in page.status.text()
    assert window.errors == []


def test_delete_album_only_keeps_the_files_and_cancel_keeps_everything(qtbot, album_catalog,
                                                                       window_for):
    catalog_dir, out = album_catalog
    window = window_for(catalog_dir)
    page = albums_page(qtbot, window)
    box = delete_box(qtbot, page)
    click(box.button(QMessageBox.StandardButton.Cancel))
    qtbot.wait(300)
    assert album_names(catalog_dir) == ["Trip"]
    box = delete_box(qtbot, page)
    click(page.delete_only_button)
    qtbot.waitUntil(lambda: album_names(catalog_dir) == [], timeout=WAIT_MS)
    assert len(list(out.iterdir())) == 2
    qtbot.waitUntil(lambda: "its files stay in" in page.status.text(), timeout=WAIT_MS)


def folder_message(qtbot):
    def found():
        return next((w for w in QApplication.topLevelWidgets()
                     if w.objectName() == "folder_message" and w.isVisible()), None)
    qtbot.waitUntil(lambda: found() is not None, timeout=WAIT_MS)
    return found()


def test_open_folder_says_so_when_no_file_manager_is_set_up(qtbot, album_catalog, window_for):
    # (the offscreen platform, like a desktop without xdg-open, opens no folder)
    catalog_dir, out = album_catalog
    window = window_for(catalog_dir)
    page = albums_page(qtbot, window)
    click(page.open_button)
    box = folder_message(qtbot)
    assert "No file manager is set up" in box.text() and str(out) in box.text()
    copy = next(b for b in box.buttons() if b.text() == "Copy path")
    click(copy)
    assert QApplication.clipboard().text() == str(out)
    assert box.isVisible()
    click(box.button(QMessageBox.StandardButton.Close))
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT_MS)


def test_show_in_folder_from_a_photo_says_so_when_nothing_opens_it(qtbot, indexed,
                                                                   window_for):
    window = window_for(indexed)
    window.show_section("photos")
    grid = window.photos_page.grid
    qtbot.waitUntil(lambda: window.photos_page.model.rowCount() > 0, timeout=WAIT_MS)
    qtbot.wait(100)
    index = grid.grid_index(0)
    pos = grid.visualRect(index).center()
    QApplication.sendEvent(grid.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, pos, grid.viewport().mapToGlobal(pos)))
    menu = next(w for w in QApplication.topLevelWidgets()
                if w.metaObject().className() == "QMenu" and w.isVisible())
    show = next(a for a in menu.actions() if a.text() == "Show in folder")
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(show).center())
    box = folder_message(qtbot)
    folder = str(Path(window.photos_page.model.rows[0].path).parent)
    assert "No file manager is set up" in box.text() and folder in box.text()
