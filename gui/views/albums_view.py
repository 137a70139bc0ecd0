"""Saved albums: each one a query, a destination and options; "Update" re-exports it (adds
what is new; removes nothing the album did not write itself)."""

from __future__ import annotations

import datetime

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from ..context import AppContext
from ..workers.jobs import Job
from ..workers.tasks import worker_catalog
from . import icons
from .page import Page


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


class AlbumsPage(Page):
    title = "albums"
    new_album_requested = Signal()
    run_job = Signal(object, str)  # Job, title: the main window shows its progress

    def __init__(self, ctx: AppContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.albums: list = []
        heading = QLabel("Albums")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        text = QLabel("A saved album remembers who is in it and where it goes. Update adds new "
                      "photos; files you changed or added yourself are never touched.")
        text.setWordWrap(True)
        text.setEnabled(False)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Album", "Who", "Folder", "Photos", "Exported"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.new_button = QPushButton(icons.icon("export"), "New album…")
        self.new_button.clicked.connect(self.new_album_requested)
        self.update_button = QPushButton(icons.icon("update"), "Update")
        self.update_button.clicked.connect(self.update_selected)
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self.open_selected)
        self.status = QLabel()
        self.status.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.status)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.update_button)
        self.empty = QLabel("No albums yet. Export a person's photos and tick "
                            "“Save as an album” to keep it up to date here.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(buttons)
        self._selection_changed()

    def load(self) -> None:
        def albums(catalog):
            from core.export import list_albums

            return list_albums(catalog)

        self.ctx.read_catalog(albums, self._apply, self.load_failed, what="loading albums")

    def _apply(self, albums) -> None:
        self.albums = albums
        self.table.setRowCount(len(albums))
        for row, album in enumerate(albums):
            shown = album.shown_spec
            values = (album.name, shown.describe(), album.destination,
                      f"{album.file_count:,}", _when(album.exported_at))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.setVisible(bool(albums))
        self.empty.setVisible(not albums)
        if albums and not self.table.selectedItems():
            self.table.selectRow(0)
        self._selection_changed()
        self.loaded()

    def selected(self):
        rows = {i.row() for i in self.table.selectedItems()}
        return self.albums[min(rows)] if rows else None

    def _selection_changed(self) -> None:
        has = self.selected() is not None
        self.update_button.setEnabled(has)
        self.open_button.setEnabled(has)

    def open_selected(self) -> None:
        album = self.selected()
        if album is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(album.destination))

    def update_selected(self) -> None:
        album = self.selected()
        if album is None:
            return
        directory = self.ctx.catalog_dir
        name = album.name

        def run(token):
            from core.export import ExportRequest, run_export

            return (yield from run_export(worker_catalog(directory), ExportRequest(album=name),
                                          token))

        job = Job("export", run, self)
        job.finished.connect(lambda _last: self._updated(job))
        job.cancelled.connect(lambda: self.status.setText(
            f"{name}: update stopped; Update again to finish it."))
        job.failed.connect(lambda error: self.status.setText(f"{name}: update failed: {error}"))
        self.status.setText(f"Updating {name}…")
        self.run_job.emit(job, f"Updating album {name}")

    def _updated(self, job: Job) -> None:
        summary = job.result
        if summary is not None:
            self.status.setText(f"{summary.album or ''}: {summary.added:,} new, "
                                f"{summary.skipped:,} already there"
                                + (f", {summary.updated:,} updated (originals edited)"
                                   if summary.updated else "")
                                + (f", {summary.moved:,} moved (people renamed)"
                                   if summary.moved else "")
                                + (f", {summary.failed:,} failed" if summary.failed else ""))
        self.refresh()
