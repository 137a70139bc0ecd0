"""Saved albums: each one a query, a destination and options, shown with a cover (one of its
photos). "Update" re-exports it (adds what is new; removes nothing the album did not write
itself); Rename (F2, or double-click the name) edits the name in place; Delete asks whether
the album's own files go too, saying how many; Open folder shows it in the file manager.

Every change is a `core.export` call in the writer pool; the page only shows what comes back.
"""

from __future__ import annotations

import datetime

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QMenu, QMessageBox,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from ..context import AppContext
from ..models.photos import photos_phrase
from ..workers.jobs import Job
from ..workers.tasks import worker_catalog
from ..workers.thumbnails import photo_thumb_loader
from . import hints, icons
from .folders import open_folder
from .page import Page

COVER_PX = 56
COVER, NAME, WHO, FOLDER, PHOTOS, EXPORTED = range(6)


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _files_phrase(count: int, kind: str = "file") -> str:
    return f"{count:,} {kind}{'' if count == 1 else 's'}"


class AlbumsPage(Page):
    title = "albums"
    new_album_requested = Signal()
    run_job = Signal(object, str)  # Job, title: the main window shows its progress

    def __init__(self, ctx: AppContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.albums: list = []
        self._filling = False
        self.delete_box: QMessageBox | None = None
        heading = QLabel("Albums")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        text = QLabel("A saved album remembers who is in it and where it goes. Update adds new "
                      "photos; files you changed or added yourself are never touched.")
        text.setWordWrap(True)
        hints.hint(text)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["", "Album", "Who", "Folder", "Photos", "Exported"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(FOLDER, QHeaderView.ResizeMode.Stretch)
        for column in (COVER, NAME, WHO, PHOTOS, EXPORTED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setIconSize(QSize(COVER_PX, COVER_PX))
        self.table.verticalHeader().setDefaultSectionSize(COVER_PX + 8)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        # only the name is editable (F2, a double-click on it, or Rename…)
        self.table.setEditTriggers(QTableWidget.EditTrigger.EditKeyPressed |
                                   QTableWidget.EditTrigger.DoubleClicked)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemChanged.connect(self._name_edited)
        self._reload_after_edit = False
        self.table.itemDelegate().closeEditor.connect(self._edit_ended)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.new_button = QPushButton(icons.icon("export"), "New album…")
        self.new_button.clicked.connect(self.new_album_requested)
        self.update_button = QPushButton(icons.icon("update"), "Update")
        self.update_button.clicked.connect(self.update_selected)
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self.open_selected)
        self.rename_button = QPushButton(icons.icon("rename"), "Rename")
        self.rename_button.setToolTip("Rename the album (F2)")
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete the album; you choose whether its files go too")
        self.delete_button.clicked.connect(self.delete_selected)
        delete_key = QAction(self.table)
        delete_key.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        delete_key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.triggered.connect(self.delete_selected)
        self.table.addAction(delete_key)
        self.status = QLabel()
        self.status.setWordWrap(True)
        hints.hint(self.status)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.status, 1)
        for button in (self.rename_button, self.delete_button, self.open_button,
                       self.update_button):
            buttons.addWidget(button)
        self.empty = QLabel("No albums yet. Export a person's photos and tick "
                            "“Save as an album” to keep it up to date here.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hints.hint(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(buttons)
        ctx.loader.ready.connect(self._covers_arrived)
        self._selection_changed()

    def load(self) -> None:
        def albums(catalog):
            from core.export import list_albums

            return list_albums(catalog)

        self.ctx.read_catalog(albums, self._apply, self.load_failed, what="loading albums")

    def _apply(self, albums) -> None:
        if self.table.state() == QTableWidget.State.EditingState:
            # a name being typed is not swept away by a reload: it comes when the edit ends
            self._reload_after_edit = True
            self.loaded()
            return
        chosen = self.selected()
        chosen_name = chosen.name if chosen is not None else None
        self.albums = albums
        self._filling = True
        self.table.setRowCount(len(albums))
        for row, album in enumerate(albums):
            shown = album.shown_spec
            values = ("", album.name, shown.describe(), album.destination,
                      f"{album.file_count:,}", _when(album.exported_at))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column != NAME:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if column == PHOTOS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                if column == FOLDER:
                    item.setToolTip(value)
                self.table.setItem(row, column, item)
            self.table.item(row, NAME).setToolTip("Double-click or F2 to rename")
            self.table.item(row, COVER).setToolTip(
                "" if album.cover_photo_id is not None else "No cover: the album has no photos")
            self._show_cover(row)
        self._filling = False
        self.table.setVisible(bool(albums))
        self.empty.setVisible(not albums)
        names = [a.name for a in albums]
        if albums:
            self.table.selectRow(names.index(chosen_name) if chosen_name in names else 0)
        self._selection_changed()
        self.loaded()

    # -- covers -------------------------------------------------------------------------------
    def _cover_key(self, album):
        px = round(COVER_PX * self.ctx.loader.device_pixel_ratio)
        return ("photo", album.cover_photo_id, px)

    def _show_cover(self, row: int) -> None:
        album = self.albums[row]
        if album.cover_photo_id is None:
            icon = icons.icon("albums")
        else:
            key = self._cover_key(album)
            pixmap = self.ctx.loader.pixmap(key)
            if pixmap is None:
                self.ctx.loader.request(key, photo_thumb_loader(
                    self.ctx.catalog_dir, album.cover_photo_id, "", key[2]), self)
                icon = QIcon(self.ctx.placeholder(COVER_PX))
            else:
                icon = QIcon(pixmap) if not pixmap.isNull() else icons.icon("albums")
        filling, self._filling = self._filling, True
        # (a cell of its own: a cover arriving must not reset a name being typed)
        self.table.item(row, COVER).setIcon(icon)
        self._filling = filling

    def cover_pixmap(self, row: int):
        """The cover shown for the album in `row`, once it has arrived (None before)."""
        album = self.albums[row]
        return None if album.cover_photo_id is None else self.ctx.loader.pixmap(
            self._cover_key(album))

    def _covers_arrived(self, keys) -> None:
        wanted = set(keys)
        for row, album in enumerate(self.albums):
            if album.cover_photo_id is not None and self._cover_key(album) in wanted:
                self._show_cover(row)

    # -- selection and commands -----------------------------------------------------------------
    def selected(self):
        rows = {i.row() for i in self.table.selectedItems()}
        return self.albums[min(rows)] if rows and min(rows) < len(self.albums) else None

    def _selection_changed(self) -> None:
        has = self.selected() is not None
        for button in (self.update_button, self.open_button, self.rename_button,
                       self.delete_button):
            button.setEnabled(has)

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.addAction(icons.icon("update"), "Update", self.update_selected)
        menu.addAction("Open folder", self.open_selected)
        menu.addAction(icons.icon("rename"), "Rename", self.rename_selected)
        menu.addAction("Delete…", self.delete_selected)
        self.menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def open_selected(self) -> None:
        album = self.selected()
        if album is not None:
            open_folder(self, album.destination, f"The folder of album “{album.name}”")

    # -- rename in place ------------------------------------------------------------------------
    def rename_selected(self) -> None:
        album = self.selected()
        if album is not None:
            row = self.albums.index(album)
            self.table.setCurrentCell(row, NAME)
            self.table.editItem(self.table.item(row, NAME))

    def _edit_ended(self, *_args) -> None:
        if self._reload_after_edit:
            self._reload_after_edit = False
            QTimer.singleShot(0, self.refresh)   # after the edit's own commit

    def _name_edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != NAME or item.row() >= len(self.albums):
            return
        album = self.albums[item.row()]
        new = item.text().strip()
        if new == album.name:
            return
        old = album.name

        def rename(catalog):
            from core.export import rename_album

            return rename_album(catalog, old, new)

        def done(renamed) -> None:
            album.name = renamed.name  # the row keeps its place until the reload
            self.status.setText(f"Renamed album “{old}” to “{renamed.name}”.")
            self.refresh()

        def refused(error) -> None:
            self.status.setText(f"Not renamed: {error}.")
            self._dirty = True
            self.refresh()   # the row shows the name the album still has

        if not new:
            refused("an album needs a name")
            return
        self.ctx.write(rename, done, refused, what="renaming an album")

    # -- delete ---------------------------------------------------------------------------------
    def delete_selected(self) -> None:
        album = self.selected()
        if album is None:
            return
        name = album.name

        def plan(catalog):
            from core.export import album_deletion_plan

            return album_deletion_plan(catalog, name)

        self.ctx.read_catalog(plan, self._ask_delete,
                              lambda error: self.status.setText(f"Cannot delete: {error}."),
                              what="looking at an album's files")

    def _ask_delete(self, plan) -> None:
        """Delete the album only, or the album and the files it wrote (how many, said)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Delete album",
                          f"Delete the album “{plan.name}”?", parent=self)
        box.setObjectName("delete_album_box")
        lines = [f"Its folder: {plan.destination}"]
        if plan.photos:
            lines.append(f"The album exported {photos_phrase(plan.photos)} there"
                         + (f" (and {_files_phrase(plan.sidecars, 'sidecar file')})"
                            if plan.sidecars else "") + ".")
        else:
            lines.append("None of the files the album exported are there any more.")
        if plan.kept:
            lines.append(f"{_files_phrase(len(plan.kept))} changed since the export "
                         f"{'stays' if len(plan.kept) == 1 else 'stay'} in any case.")
        lines.append("Other files in the folder are never touched; your originals neither.")
        box.setInformativeText("\n".join(lines))
        self.delete_only_button = box.addButton("Delete album only",
                                                QMessageBox.ButtonRole.AcceptRole)
        self.delete_files_button = None
        if plan.photos or plan.sidecars:
            what = photos_phrase(plan.photos) if plan.photos else \
                _files_phrase(plan.sidecars)
            self.delete_files_button = box.addButton(f"Delete album and its {what}",
                                                     QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self._delete_answered(plan, button))
        self.delete_box = box
        box.open()

    def _delete_answered(self, plan, button) -> None:
        self.delete_box = None   # (it deletes itself as it closes)
        with_files = button is self.delete_files_button and button is not None
        if button is not self.delete_only_button and not with_files:
            return   # Cancel
        name = plan.name

        def delete(catalog):
            from core.export import delete_album

            return delete_album(catalog, name, delete_files=with_files)

        def done(result) -> None:
            if result is None:
                self.status.setText(f"The album “{name}” was already gone.")
            elif result.files_deleted:
                text = f"Deleted the album “{name}” and its {photos_phrase(result.photos)}"
                if result.sidecars:
                    text += f" (and {_files_phrase(result.sidecars, 'sidecar file')})"
                if result.kept:
                    text += f"; kept {_files_phrase(len(result.kept))} changed since"
                self.status.setText(text + ".")
            else:
                self.status.setText(f"Deleted the album “{name}”; its files stay in "
                                    f"{result.destination}.")
            self.refresh()

        self.ctx.write(delete, done,
                       lambda error: self.status.setText(f"Not deleted: {error}."),
                       what="deleting an album")

    # -- update ---------------------------------------------------------------------------------
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
