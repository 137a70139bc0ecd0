"""What a photo grid shows: a header row before each month's photos, then the photos.

A thin list model over `PhotoListModel`. The row mapping comes ready-made from the worker that
loaded the photos (`PhotoList.grid_rows`), so at 100,000 photos a lookup is one list index.
Header rows are neither enabled nor selectable: selection, select-all and keyboard moves pass
over them, and `selected_ids` only ever sees photos.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPixmap

from .photos import PhotoListModel, month_title


class MonthSections(QAbstractListModel):
    def __init__(self, source: PhotoListModel, parent=None) -> None:
        super().__init__(parent)
        self.source = source
        self._layout = source.layout
        self._compact_for: int | None = None   # the column count `_compact` was made for
        self._compact: set[int] = set()
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._reset)
        source.dataChanged.connect(self._changed)

    def _reset(self) -> None:
        self._layout = self.source.layout
        self._compact_for = None
        self.endResetModel()

    def _changed(self, first: QModelIndex, last: QModelIndex, roles=()) -> None:
        row_of = self._layout.grid_row_of
        if last.row() < len(row_of):
            self.dataChanged.emit(self.index(row_of[first.row()]), self.index(row_of[last.row()]),
                                  roles)

    # -- mapping --------------------------------------------------------------------------------
    def is_header(self, row: int) -> bool:
        return self._layout.grid_rows[row] < 0

    def grid_row(self, photo_row: int) -> int:
        return self._layout.grid_row_of[photo_row]

    def section_of(self, row: int) -> tuple[str, int]:
        """(title, photo count) of the month grid row `row` is in (a header or a photo)."""
        photo = self._layout.grid_rows[row]
        # each month before this one put one header row before the photo
        k = ~photo if photo < 0 else row - photo - 1
        month, _first, count = self._layout.sections[k]
        return month_title(month), count

    def compact_header(self, row: int, columns: int) -> bool:
        """Is the header at grid row `row` a cell beside its photos (with `columns` photos a
        row)? A month is small when its header and photos fit in one row; its header is
        compact unless it would fall in a row's last column, away from its photos: then it
        is a whole row as a big month's is. Worked out per month, not per photo (a few
        hundred steps at 100,000 photos), once per column count and list."""
        if self._compact_for != columns:
            self._compact_for = columns
            self._compact = set()
            column = 0
            for k, (_month, first, count) in enumerate(self._layout.sections):
                if count + 1 <= columns and column < columns - 1:
                    self._compact.add(first + k)
                    column = (column + 1 + count) % columns
                else:
                    column = count % columns
        return row in self._compact

    # -- the model --------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._layout.grid_rows)

    def flags(self, index) -> Qt.ItemFlag:
        if index.isValid() and self.is_header(index.row()):
            return Qt.ItemFlag.ItemNeverHasChildren
        return super().flags(index)

    def cell(self, row: int) -> tuple[QPixmap | None, tuple[str, int] | None, str]:
        """What the delegate paints: (thumbnail, header, badge); one call per cell."""
        photo = self._layout.grid_rows[row]
        if photo < 0:
            return None, self.section_of(row), ""
        return self.source.cell(photo)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._layout.grid_rows):
            return None
        photo = self._layout.grid_rows[index.row()]
        if photo >= 0:
            return self.source.data(self.source.index(photo), role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.section_of(index.row())[0]
        return None
