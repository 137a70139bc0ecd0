"""First start: ask for photo folders, then start indexing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QListWidget, QPushButton,
                               QVBoxLayout, QWidget)

from . import icons


class WelcomePage(QWidget):
    start_requested = Signal(list)  # folder paths

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        logo = QLabel()
        logo.setPixmap(icons.icon("app").pixmap(QSize(96, 96), self.devicePixelRatioF()))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Welcome to Faceshelf")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = text = QLabel()
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.say_where_photos_go(None)
        self.folders = QListWidget()
        self.folders.setMinimumHeight(110)
        self.folders.setToolTip("Folders to index")
        add = QPushButton(icons.icon("folder-add"), "Add folder…")
        add.clicked.connect(self.choose_folder)
        self.remove = QPushButton("Remove")
        self.remove.clicked.connect(self._remove_selected)
        self.start = QPushButton("Start")
        self.start.setDefault(True)
        self.start.setEnabled(False)
        self.start.clicked.connect(self._start)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        buttons.addWidget(self.start)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(logo)
        column.addSpacing(8)
        column.addWidget(title)
        column.addSpacing(8)
        column.addWidget(text)
        column.addSpacing(16)
        column.addWidget(self.folders)
        column.addLayout(buttons)
        column.addStretch(2)
        body = QWidget()
        body.setLayout(column)
        body.setMaximumWidth(560)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(body, 3)
        outer.addStretch(1)

    def say_where_photos_go(self, settings) -> None:
        """The privacy sentence, true to the settings: with "Index on a cluster" set, the photos
        do leave this computer (for the machines the user named), and the page says so."""
        cluster_address = settings.cluster_address if settings is not None else ""
        where = ("Everything stays on this computer: no account, no cloud, nothing is uploaded."
                 if not cluster_address else
                 f"Your photos are sent, encrypted, to the machines of your cluster at "
                 f"{cluster_address} to find their faces (Settings → Index on a cluster); the "
                 f"catalog of faces and names stays on this computer.")
        self.text.setText("Choose the folders that hold your photos. Faceshelf finds the faces "
                          "in them and groups them into people you can name.\n"
                          f"{where} Your photos are never changed.")

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a photo folder", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        path = str(Path(path).expanduser().resolve())
        if path not in self.paths():
            self.folders.addItem(path)
        self.start.setEnabled(True)

    def paths(self) -> list[str]:
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def _remove_selected(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeItem(self.folders.row(item))
        self.start.setEnabled(self.folders.count() > 0)

    def _start(self) -> None:
        if self.paths():
            self.start_requested.emit(self.paths())
