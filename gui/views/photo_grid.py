"""The virtualised photo grid used by Photos, a person's page and search results.

A QListView over `PhotoListModel` with uniform item sizes and batched layout: Qt lays out and
paints only what is visible, so 100,000 rows cost what a screenful costs. The month of the top row
floats in a sticky header; the first photo of each month carries a month chip (the delegate), so
the headers stay inside the virtualised list instead of breaking it into sections.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QMenu, QStyle

from ..models import photos as photo_roles
from ..models.photos import PhotoListModel, month_title
from ..models.queries import PhotoRow
from .delegates import PhotoDelegate


class _FillWidth(QObject):
    """Cells share the row's width: as many columns of at least `cell` as fit, each a little
    wider (Qt centres each item in its cell), instead of a ragged empty band on the right."""

    def __init__(self, view: QListView, cell: QSize) -> None:
        super().__init__(view)
        self.view = view
        self.cell = cell
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            width = self._layout_width()
            columns = max(1, width // self.cell.width())
            size = QSize(max(self.cell.width(), width // columns), self.cell.height())
            if size != self.view.gridSize():
                self.view.setGridSize(size)
        return False

    def _layout_width(self) -> int:
        """The width Qt lays the rows out in: it keeps room for a vertical scroll bar that may
        appear, and wraps a row that would reach the last pixel."""
        view = self.view
        width = view.maximumViewportSize().width() - 1
        if view.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded:
            width -= view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None,
                                              view.verticalScrollBar())
        return width


def configure_grid(view: QListView, cell: QSize) -> None:
    """Settings every big grid shares: fixed cells (as wide as the row allows), wrapping rows,
    layout in batches."""
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setFlow(QListView.Flow.LeftToRight)
    view.setWrapping(True)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(2000)
    view.setGridSize(cell)
    _FillWidth(view, cell)
    view.setSpacing(0)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalScrollBar().setSingleStep(cell.height() // 3)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setMouseTracking(True)
    view.setFrameShape(QListView.Shape.NoFrame)


class PhotoGrid(QListView):
    photo_activated = Signal(int)              # photo id (double-click / Enter)
    find_people_requested = Signal(int)        # photo id
    show_in_folder_requested = Signal(str)     # path
    export_requested = Signal(list)            # photo ids

    def __init__(self, model: PhotoListModel, cell: int = 176, parent=None) -> None:
        super().__init__(parent)
        self.setModel(model)
        # The delegate draws inside the cell less 7 px a side; thumbnails are made that size.
        model.thumb_px = round((cell - 14) * model.loader.device_pixel_ratio)
        self.setItemDelegate(PhotoDelegate(cell, self))
        configure_grid(self, QSize(cell, cell))
        self.activated.connect(lambda index: self.photo_activated.emit(index.data(
            photo_roles.IdRole)))
        self._header = QLabel(self.viewport())
        self._header.setAutoFillBackground(True)
        self._header.setBackgroundRole(QPalette.ColorRole.Window)
        self._header.setContentsMargins(10, 4, 10, 4)
        font = self._header.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self._header.setFont(font)
        self._header.hide()
        self.verticalScrollBar().valueChanged.connect(self._update_header)
        self._keep_id: int | None = None
        model.modelAboutToBeReset.connect(self._remember_top)
        model.modelReset.connect(self._restore_top)

    def photo_model(self) -> PhotoListModel:
        return self.model()  # type: ignore[return-value]

    def selected_ids(self) -> list[int]:
        return [i.data(photo_roles.IdRole) for i in self.selectionModel().selectedIndexes()]

    # -- sticky month header ----------------------------------------------------------------
    def _update_header(self) -> None:
        index = self.indexAt(QPoint(8, 8))
        if (not index.isValid() or self.verticalScrollBar().value() == 0
                or not self.photo_model().by_date):
            self._header.hide()
            return
        self._header.setText(month_title(index.data(photo_roles.MonthRole) or ""))
        self._header.adjustSize()
        self._header.move(0, 0)
        self._header.show()

    def _remember_top(self) -> None:
        index = self.indexAt(QPoint(8, 8))
        self._keep_id = index.data(photo_roles.IdRole) if index.isValid() else None

    def _restore_top(self) -> None:
        if self._keep_id is None:
            return
        row = self.photo_model().row_of(self._keep_id)
        self._keep_id = None
        if row is not None:
            self.scrollTo(self.model().index(row, 0),
                          QAbstractItemView.ScrollHint.PositionAtTop)

    # -- context menu ------------------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        row: PhotoRow = index.data(photo_roles.RecordRole)
        menu = QMenu(self)
        find = QAction("Find people in this photo", menu)
        find.triggered.connect(lambda: self.find_people_requested.emit(row.id))
        show = QAction("Show in folder", menu)
        show.triggered.connect(lambda: self.show_in_folder_requested.emit(row.path))
        chosen = self.selected_ids()
        export = QAction("Export this photo…" if len(chosen) == 1 else
                         f"Export {len(chosen):,} photos…", menu)
        export.triggered.connect(lambda: self.export_requested.emit(chosen))
        menu.addActions([find, show, export])
        menu.popup(event.globalPos())
