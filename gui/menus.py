"""The menu bar: every command of the window, with its shortcut (the shortcuts work with the
menus closed: each action is also the window's own)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from .navigation import SECTIONS
from .views import icons


def _action(window: QMainWindow, menu: QMenu, text: str, slot, shortcut=None,
            icon_name: str | None = None) -> QAction:
    action = QAction(text, window)
    if icon_name:
        action.setIcon(icons.icon(icon_name))
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(slot)
    menu.addAction(action)
    window.addAction(action)
    return action


def build_menus(window) -> dict[str, QAction]:
    """File, Edit, Go and Help for the main window; returns the actions others refer to."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    add_folder = _action(window, file_menu, "Add folder…", window.add_folder,
                         QKeySequence.StandardKey.Open, "folder-add")
    _action(window, file_menu, "Rescan", window.rescan, QKeySequence(Qt.Key.Key_F5), "rescan")
    file_menu.addSeparator()
    _action(window, file_menu, "Search by photo…", window.search_by_photo_dialog,
            QKeySequence("Ctrl+Shift+F"), "search")
    # (a lambda: the menu passes `checked`, which export_dialog would take for a search)
    _action(window, file_menu, "Export…", lambda: window.export_dialog(),
            QKeySequence("Ctrl+E"), "export")
    file_menu.addSeparator()
    _action(window, file_menu, "Quit", window.close, QKeySequence.StandardKey.Quit)
    edit = bar.addMenu("&Edit")
    _action(window, edit, "Undo", window.undo, QKeySequence.StandardKey.Undo)
    edit.addSeparator()
    _action(window, edit, "Settings…", window.settings_dialog, QKeySequence("Ctrl+,"),
            "settings")
    go = bar.addMenu("&Go")
    for number, (key, label) in enumerate(SECTIONS, start=1):
        _action(window, go, label, lambda checked=False, k=key: window.show_section(k),
                QKeySequence(f"Ctrl+{number}"), key)
    _action(window, go, "Find", window.find, QKeySequence.StandardKey.Find)
    _action(window, go, "Back", window.navigation.escape, QKeySequence(Qt.Key.Key_Escape),
            "back")
    help_menu = bar.addMenu("&Help")
    _action(window, help_menu, "About Faceshelf", window.about_dialog, None, "info")
    return {"add_folder": add_folder}
