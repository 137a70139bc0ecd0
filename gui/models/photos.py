"""A flat list of photos for the virtualised grids (all photos, a person's, search results).

Rows are `PhotoRow` tuples (`core.library.Photo`, from core's read API) loaded in a worker.
`DecorationRole` returns the cached thumbnail or a placeholder and queues a request; when it
arrives, only that cell gets `dataChanged`. The grids show these rows through `MonthSections`,
which puts a month header before each month.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QPixmap

from ..workers.thumbnails import ThumbnailLoader, photo_thumb_loader
from .queries import PhotoRow

RecordRole = Qt.ItemDataRole.UserRole + 1     # the whole PhotoRow
IdRole = Qt.ItemDataRole.UserRole + 2
BadgeRole = Qt.ItemDataRole.UserRole + 5

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def month_title(month: str) -> str:
    if not month:
        return "Undated"
    try:
        return f"{_MONTHS[int(month[5:7]) - 1]} {month[:4]}"
    except (ValueError, IndexError):
        return month


def photos_phrase(count: int) -> str:
    """"1 photo", "1,234 photos"."""
    return f"{count:,} photo{'' if count == 1 else 's'}"


def badge(row: PhotoRow) -> str:
    """The chip on a search hit's cell: how alike its best face is ("87%"); none otherwise
    (a photo of the person searched for, or any other list)."""
    return f"{row.similarity:.0%}" if row.similarity is not None else ""


def format_taken(taken_at: str | None) -> str:
    """"26 November 2026, 06:48" from the catalog's ISO text (as the camera wrote it)."""
    if not taken_at:
        return "date unknown"
    try:
        day = int(taken_at[8:10])
        text = f"{day} {_MONTHS[int(taken_at[5:7]) - 1]} {taken_at[:4]}"
    except (ValueError, IndexError):
        return taken_at
    time_part = taken_at[11:16]
    return f"{text}, {time_part}" if len(time_part) == 5 else text


class PhotoList:
    """Rows plus what the model needs to look things up, built in the worker that ran the
    query: at 100,000 photos the UI thread then only swaps references (no 50 ms loops)."""

    __slots__ = ("rows", "row_of", "sections", "grid_rows", "grid_row_of", "by_date",
                 "signature")

    def __init__(self, rows: list[PhotoRow], *, by_date: bool = True) -> None:
        """`by_date`: rows in date order, so months make sections. Search results are ranked
        by similarity: month headers there would read as a grouping by date."""
        self.rows = rows
        self.row_of = {row.id: i for i, row in enumerate(rows)}
        self.by_date = by_date
        # sections: (month, first row, photo count); grid_rows: what the grid shows, row by
        # row: a photo's row (>= 0) or ~k for the header of section k
        self.sections: list[tuple[str, int, int]] = []
        if by_date and rows:
            months = [(r.taken_at or "")[:7] for r in rows]
            starts = [i for i in range(len(rows)) if i == 0 or months[i] != months[i - 1]]
            ends = starts[1:] + [len(rows)]
            self.sections = [(months[a], a, b - a) for a, b in zip(starts, ends)]
            self.grid_rows = []
            self.grid_row_of = []
            for k, (_month, first, count) in enumerate(self.sections):
                self.grid_rows.append(~k)
                self.grid_rows.extend(range(first, first + count))
                self.grid_row_of.extend(range(first + k + 1, first + count + k + 1))
        else:
            self.grid_rows = list(range(len(rows)))
            self.grid_row_of = self.grid_rows
        self.signature = hash((by_date, tuple(rows)))


class PhotoListModel(QAbstractListModel):
    loaded = Signal()

    def __init__(self, loader: ThumbnailLoader, catalog_dir: Path, placeholder: QPixmap,
                 parent=None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.catalog_dir = catalog_dir
        self.placeholder = placeholder
        self.layout = PhotoList([])  # the rows, their months and grid rows (MonthSections)
        self._signature = hash(())   # (not the empty list's: a first empty list resets)
        self.generation = 0
        self.thumb_px = 162  # device pixels of the longest thumbnail side; the grid sets it
        loader.ready.connect(self._thumbnail_ready)

    # -- contents -----------------------------------------------------------------------------
    def set_rows(self, rows: list[PhotoRow] | PhotoList) -> None:
        """A new query or a refresh: reset (views keep their scroll position by photo id).
        Big lists come as a PhotoList prepared in the worker."""
        prepared = rows if isinstance(rows, PhotoList) else PhotoList(rows)
        if prepared.signature == self._signature and len(prepared.rows) == len(self.rows):
            return
        self.beginResetModel()
        self.layout = prepared
        self._signature = prepared.signature
        self.generation = self.loader.new_generation(self)
        self.endResetModel()
        self.loaded.emit()

    @property
    def rows(self) -> list[PhotoRow]:
        return self.layout.rows

    @property
    def by_date(self) -> bool:
        return self.layout.by_date

    def row_of(self, photo_id: int) -> int | None:
        return self.layout.row_of.get(photo_id)

    def photo_ids(self) -> list[int]:
        return [r.id for r in self.rows]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def thumbnail(self, row: PhotoRow) -> QPixmap:
        key = ("photo", row.id, self.thumb_px)
        pixmap = self.loader.pixmap(key)
        if pixmap is None:
            self.loader.request(key, photo_thumb_loader(self.catalog_dir, row.id, row.path,
                                                        self.thumb_px), self, self.generation)
            return self.placeholder
        return pixmap

    def cached_thumbnail(self, i: int) -> QPixmap | None:
        """The thumbnail of row i if it has arrived (tests, prefetch decisions)."""
        return self.loader.pixmap(("photo", self.rows[i].id, self.thumb_px))

    def cell(self, i: int) -> tuple[QPixmap | None, None, str]:
        """What the delegate paints: (thumbnail, no header, badge)."""
        rows = self.layout.rows
        if i >= len(rows):
            return None, None, ""
        row = rows[i]
        return self.thumbnail(row), None, badge(row)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        rows = self.layout.rows
        if not index.isValid() or index.row() >= len(rows):
            return None
        row = rows[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{Path(row.path).name}\n{format_taken(row.taken_at)}"
        if role == RecordRole:
            return row
        if role == IdRole:
            return row.id
        if role == BadgeRole:
            return badge(row)
        return None

    def _thumbnail_ready(self, keys) -> None:
        row_of = self.layout.row_of
        rows = [row_of.get(k[1]) for k in keys if k[0] == "photo" and k[2] == self.thumb_px]
        rows = [r for r in rows if r is not None]
        if rows:  # one signal per batch: the view repaints the cells in that range
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)),
                                  [Qt.ItemDataRole.DecorationRole])
