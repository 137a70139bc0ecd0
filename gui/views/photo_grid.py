"""The virtualised photo grid used by Photos, a person's page and search results.

A QListView over `MonthSections` (the photos with a header row before each month), laid out in
batches: Qt lays out and paints only what is visible, so 100,000 rows cost what a screenful
costs. A month's header takes a whole row, so each month starts on a row of its own, unless
the month fits in one row with its header: then the header is a cell beside its photos, and
consecutive small months share rows. The month of the top row floats in a sticky header,
pushed up by the next month's as in Apple Photos.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyle, QWidget

from ..models import photos as photo_roles
from ..models.photos import PhotoListModel, photos_phrase
from ..models.queries import PhotoRow
from ..models.sections import MonthSections
from .delegates import HEADER_HEIGHT, PhotoDelegate, paint_month_header


KEEP_PLACE_S = 5.0  # a new layout of 100,000 photos takes about 1 s


class _FillWidth(QObject):
    """Cells share the row's width: as many columns of at least `cell` as fit, each a little
    wider, instead of a ragged empty band on the right. `apply(cell, row_width)` gives the
    sizes to the view (a uniform grid's grid size, or the photo delegate)."""

    def __init__(self, view: QListView, cell: QSize,
                 apply: Callable[[QSize, int], None]) -> None:
        super().__init__(view)
        self.view = view
        self.cell = cell
        self.apply = apply
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            width = self._layout_width()
            columns = max(1, width // self.cell.width())
            self.apply(QSize(max(self.cell.width(), width // columns), self.cell.height()),
                       width)
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


def _set_grid_size(view: QListView, size: QSize) -> None:
    if size != view.gridSize():
        view.setGridSize(size)


def configure_grid(view: QListView, cell: QSize,
                   apply: Callable[[QSize, int], None] | None = None) -> None:
    """Settings every big grid shares: cells as wide as the row allows, wrapping rows, layout
    in batches. Without `apply`, every cell is the same size (a uniform grid, the fastest);
    with it, the delegate sizes the cells (the photo grid's month headers are whole rows)."""
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setFlow(QListView.Flow.LeftToRight)
    view.setWrapping(True)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(apply is None)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(1000 if apply else 2000)  # a delegate in Python sizes each cell
    if apply is None:
        view.setGridSize(cell)
        _FillWidth(view, cell, lambda size, _width: _set_grid_size(view, size))
    else:
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        _FillWidth(view, cell, apply)
    view.setSpacing(0)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalScrollBar().setSingleStep(cell.height() // 3)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setMouseTracking(True)
    view.setFrameShape(QListView.Shape.NoFrame)


class _PinnedHeader(QWidget):
    """The month of the top row, pinned over the grid and painted as its month headers are."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setFixedHeight(HEADER_HEIGHT)
        self._month = ("", 0)
        self.hide()

    def show_month(self, title: str, count: int) -> None:
        if (title, count) != self._month:
            self._month = (title, count)
            self.update()

    def text(self) -> str:
        title, count = self._month
        return f"{title}  {photos_phrase(count)}"

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        paint_month_header(painter, self.rect(), self.palette(), self.font(), *self._month)


class PhotoGrid(QListView):
    photo_activated = Signal(int)              # photo id (double-click / Enter)
    find_people_requested = Signal(int)        # photo id
    show_in_folder_requested = Signal(str)     # path
    export_requested = Signal(list)            # photo ids

    def __init__(self, model: PhotoListModel, cell: int = 176, parent=None) -> None:
        super().__init__(parent)
        self._keep_id: int | None = None  # the photo to bring back to the top after a layout
        self._keep_until = 0.0
        self._header = _PinnedHeader(self.viewport())
        self.sections = MonthSections(model, self)
        self.setModel(self.sections)
        # The delegate draws inside the cell less 7 px a side; thumbnails are made that size.
        model.thumb_px = round((cell - 14) * model.loader.device_pixel_ratio)
        self.delegate = PhotoDelegate(cell, self)
        self.setItemDelegate(self.delegate)
        configure_grid(self, QSize(cell, cell), self._cell_sizes)
        self.activated.connect(lambda index: self.photo_activated.emit(index.data(
            photo_roles.IdRole)))
        self.verticalScrollBar().valueChanged.connect(self._update_header)
        self.verticalScrollBar().actionTriggered.connect(lambda _action: self._forget_place())
        self.sections.modelAboutToBeReset.connect(self._remember_top)
        self.sections.modelReset.connect(self._restore_top)
        self.sections.modelReset.connect(self._update_header)  # the month's count may change

    def photo_model(self) -> PhotoListModel:
        return self.sections.source

    def grid_index(self, photo_row: int):
        """The grid's index of the photo at `photo_row` of `photo_model()`."""
        return self.sections.index(self.sections.grid_row(photo_row))

    def selected_ids(self) -> list[int]:
        return [i.data(photo_roles.IdRole) for i in self.selectionModel().selectedIndexes()]

    def _cell_sizes(self, cell: QSize, row_width: int) -> None:
        if cell != self.delegate.cell or row_width != self.delegate.row_width:
            if self._keep_id is None:
                self._remember_top()  # a new width lays out all rows again: keep our place
            self.delegate.cell, self.delegate.row_width = cell, row_width
            self.scheduleDelayedItemsLayout()

    def updateGeometries(self) -> None:
        """Qt calls this as the rows are laid out (in batches, the scroll range at the end);
        a place kept across a new layout is found again once its row is laid out."""
        super().updateGeometries()
        if self._keep_id is not None:
            self._restore_top()
        self._update_header()

    def moveCursor(self, action, modifiers):
        """Keys move between photos only. Up and Down go to the nearest photo of the next row
        even when it is shorter (a month's last): Qt looks straight up or down, and would
        jump over it. Home, End and the page keys step off a header they land on."""
        Move = QAbstractItemView.CursorAction
        current = self.currentIndex()
        if action in (Move.MoveDown, Move.MoveUp) and current.isValid():
            nearest = self._nearest_in_next_row(current, 1 if action == Move.MoveDown else -1)
            if nearest is not None:
                return nearest
        index = super().moveCursor(action, modifiers)
        if index.isValid() and self.sections.is_header(index.row()):
            # a month has a photo right after its header; the first header has none before
            # (a small month's header sits in the row beside its photos: Left steps over it)
            backwards = (Move.MovePageUp, Move.MoveUp, Move.MoveLeft, Move.MovePrevious)
            up = action in backwards and index.row() > 0
            index = self.sections.index(index.row() + (-1 if up else 1))
        return index

    def _nearest_in_next_row(self, current, step: int):
        """The photo of the next visual row up (step -1) or down (+1) most to the right that
        is not right of `current`; None at the end."""
        here = self.visualRect(current)
        row_top = None  # the next visual row, once met
        best, best_left = None, -1
        row = current.row() + step
        while 0 <= row < self.sections.rowCount():
            if not self.sections.is_header(row):
                rect = self.visualRect(self.sections.index(row))
                if rect.top() != here.top():
                    if row_top is None:
                        row_top = rect.top()
                    elif rect.top() != row_top:
                        break
                    if best_left < rect.left() <= here.left():
                        best, best_left = self.sections.index(row), rect.left()
            row += step
        return best

    # -- the user's own moves end the keeping of a place ------------------------------------
    def _forget_place(self) -> None:
        self._keep_id = None

    def scrollToTop(self) -> None:
        self._forget_place()
        super().scrollToTop()

    def wheelEvent(self, event) -> None:
        self._forget_place()
        super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:
        self._forget_place()
        super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        """A header looks like empty space, and a click there does what one there does."""
        index = self.indexAt(event.position().toPoint())
        if (index.isValid() and self.sections.is_header(index.row())
                and event.button() == Qt.MouseButton.LeftButton
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            self.clearSelection()
        super().mousePressEvent(event)

    # -- sticky month header ----------------------------------------------------------------
    def _update_header(self) -> None:
        top = self.indexAt(QPoint(8, 0))
        if (not top.isValid() or self.verticalScrollBar().value() == 0
                or not self.photo_model().by_date):
            self._header.hide()
            return
        height = HEADER_HEIGHT
        if self.sections.is_header(top.row()) and self.visualRect(top).top() >= 0:
            self._header.hide()  # the month's own header is in full view
            return
        y = 0
        below = self.indexAt(QPoint(8, height))
        if below.isValid() and self.sections.is_header(below.row()):
            y = min(0, self.visualRect(below).top() - height)  # the next month pushes it up
        self._header.show_month(*self.sections.section_of(top.row()))
        self._header.setFixedWidth(self.viewport().width())
        self._header.move(0, y)
        self._header.show()

    def _remember_top(self) -> None:
        """Before a new layout: the photo at the top, unless the grid is at its top (it stays
        there, where newly indexed photos arrive)."""
        index = self.indexAt(QPoint(8, 8))
        self._keep_id = None
        if index.isValid() and self.verticalScrollBar().value() > 0:
            row = index.row()
            if self.sections.is_header(row) and row + 1 < self.sections.rowCount():
                row += 1
            self._keep_id = self.sections.index(row).data(photo_roles.IdRole)
            self._keep_until = time.monotonic() + KEEP_PLACE_S

    def _restore_top(self) -> None:
        """Scroll the photo remembered by `_remember_top` back to the top; it stays asked for
        while its row is not laid out yet (a long list is laid out in batches)."""
        if self._keep_id is None:
            return
        row = self.photo_model().row_of(self._keep_id)
        if row is None:
            self._keep_id = None
            return
        grid_row = self.sections.grid_row(row)
        if grid_row > 0 and self.sections.is_header(grid_row - 1):
            grid_row -= 1  # the first of its month: show the month's header too
        index = self.sections.index(grid_row)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        # found; or near the end, where it cannot reach the top: given up after a while
        if self.visualRect(index).top() == 0 or time.monotonic() > self._keep_until:
            self._keep_id = None

    # -- context menu ------------------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if not index.isValid() or self.sections.is_header(index.row()):
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
