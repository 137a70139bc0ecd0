"""Opening a folder in the system's file manager, and saying so when that is not possible.

`QDesktopServices.openUrl` returns False where no file manager is registered (no `xdg-open`,
a minimal desktop): the user then gets a message with the folder's path to copy, instead of
a click that silently does nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


def open_folder(parent: QWidget, folder: str | Path, what: str = "The folder") -> bool:
    """Show `folder` in the file manager; False (and a message on screen) when it could not."""
    folder = Path(folder)
    if not folder.is_dir():
        _tell(parent, f"{what} is not there any more:", folder,
              "It may have been moved or deleted, or be on a drive that is not plugged in.")
        return False
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return True
    log.info("no file manager opened %s", folder)
    _tell(parent, "No file manager is set up on this system to open folders.", folder,
          f"{what} is at the path above: copy it into the file manager you use.")
    return False


def _tell(parent: QWidget, text: str, folder: Path, detail: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, "Show folder",
                      f"{text}\n\n{folder}\n\n{detail}", QMessageBox.StandardButton.Close,
                      parent)
    box.setObjectName("folder_message")
    copy = box.addButton("Copy path", QMessageBox.ButtonRole.ActionRole)
    # Copy leaves the box open (its text says where the path went)
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: (QGuiApplication.clipboard().setText(str(folder)),
                                  copy.setText("Copied")))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.show()
