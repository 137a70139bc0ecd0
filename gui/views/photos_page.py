"""All photos by date taken, newest first, in the virtualised grid."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedLayout, QVBoxLayout, QWidget

from ..context import AppContext
from ..gc_pauses import bulk_allocation
from ..models import queries
from ..models.photos import PhotoList, PhotoListModel
from . import hints
from .page import Page
from .photo_grid import PhotoGrid


class PhotosPage(Page):
    title = "Photos"

    def __init__(self, ctx: AppContext, parent=None) -> None:
        super().__init__(ctx, parent)
        cell = ctx.settings.thumbnail_px
        self.model = PhotoListModel(ctx.loader, ctx.catalog_dir, ctx.placeholder(cell), self)
        self.grid = PhotoGrid(self.model, cell, self)
        self.empty = QLabel("No photos yet. Add a folder with File → Add folder…")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hints.hint(self.empty)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        holder = QWidget()
        holder.setLayout(self.stack)
        layout.addWidget(holder)

    def load(self) -> None:
        def query(conn) -> PhotoList:
            with bulk_allocation():  # the whole library: no GC walk over it, now or later
                return PhotoList(queries.all_photos(conn))

        self.ctx.read(query, self._apply, self.load_failed, what="loading photos")

    def _apply(self, photos: PhotoList) -> None:
        self.model.set_rows(photos)
        self.stack.setCurrentWidget(self.grid if photos.rows else self.empty)
        self.loaded()
