"""The export dialog after the export: the table says what happened to each file (failures
first), and Open folder shows the folder — driven from a photo's context menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.catalog import Catalog

from .test_albums import click, folder_message

WAIT_MS = 20000


def export_selected(qtbot, window, rows: list[int]):
    """Select photos `rows` of the Photos grid (click, Ctrl+click), right-click → Export."""
    window.show_section("photos")
    page = window.photos_page
    qtbot.waitUntil(lambda: page.model.rowCount() >= max(rows) + 1, timeout=WAIT_MS)
    qtbot.wait(100)
    grid = page.grid
    viewport = grid.viewport()
    for n, row in enumerate(rows):
        pos = grid.visualRect(grid.grid_index(row)).center()
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.ControlModifier if n else
                         Qt.KeyboardModifier.NoModifier, pos)
    pos = grid.visualRect(grid.grid_index(rows[-1])).center()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                       viewport.mapToGlobal(pos)))
    menu = next(w for w in QApplication.topLevelWidgets()
                if w.metaObject().className() == "QMenu" and w.isVisible())
    label = "Export this photo…" if len(rows) == 1 else f"Export {len(rows)} photos…"
    action = next(a for a in menu.actions() if a.text() == label)
    window.last_dialog = None
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: window.last_dialog is not None, timeout=WAIT_MS)
    return window.last_dialog


def run_export(qtbot, dialog, destination) -> None:
    QTest.keyClicks(dialog.destination, str(destination))
    click(dialog.preview_button)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=WAIT_MS)
    assert dialog.table.horizontalHeaderItem(0).text() == "Action"
    assert not dialog.open_button.isVisible()     # nothing exported yet
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS):
        click(dialog.export_button)


def column(table, c) -> list[str]:
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_the_table_shows_what_was_written_and_open_folder_shows_it(qtbot, indexed, window_for,
                                                                    tmp_path):
    window = window_for(indexed)
    dialog = export_selected(qtbot, window, [0, 1])
    out = tmp_path / "out"
    run_export(qtbot, dialog, out)
    table = dialog.table
    assert table.horizontalHeaderItem(0).text() == "Result"
    assert column(table, 0) == ["written", "written"]
    assert sorted(column(table, 1)) == sorted(p.name for p in out.iterdir())
    assert dialog.preview_summary.text().startswith("Exported: 2 photos written")
    # the same export again: nothing new to write, and the table says so
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS):
        click(dialog.export_button)
    assert column(table, 0) == ["already there", "already there"]
    assert "0 photos written · 2 already there" in dialog.preview_summary.text()
    assert dialog.open_button.isVisible()
    click(dialog.open_button)
    box = folder_message(qtbot)          # offscreen: no file manager to open it
    assert str(out) in box.text()
    assert window.errors == []


def test_a_file_that_failed_is_listed_first_with_the_reason(qtbot, indexed, window_for,
                                                             tmp_path):
    window = window_for(indexed)
    dialog = export_selected(qtbot, window, [0, 1])
    chosen = [window.photos_page.model.rows[i] for i in (0, 1)]
    with Catalog(indexed) as cat:   # the second original went missing since it was indexed
        cat.execute("UPDATE photos SET path = ? WHERE id = ?",
                    (str(tmp_path / "gone" / "missing.jpg"), chosen[1].id))
    run_export(qtbot, dialog, tmp_path / "out")
    table = dialog.table
    assert column(table, 0) == ["failed", "written"]
    assert "the original is missing" in table.item(0, 2).text()
    assert "1 photo written · 1 failed" in dialog.preview_summary.text()


def test_file_export_opens_the_dialog(qtbot, indexed, window_for):
    # the menu's `checked` argument used to arrive as the search to export: a crash
    from .test_small_items import menu_dialog

    window = window_for(indexed)
    dialog = menu_dialog(qtbot, window, "&File", "Export…")
    assert dialog.windowTitle() == "Export photos" and dialog.use_people.isChecked()
