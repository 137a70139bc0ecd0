"""People cards and face strips: list models plus a sort/filter proxy for the people grid."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex,
                            QSortFilterProxyModel, Qt, Signal)
from PySide6.QtGui import QPixmap

from ..workers.thumbnails import ThumbnailLoader, face_thumb_loader
from .queries import FaceRow, PersonRow

RecordRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2
CountRole = Qt.ItemDataRole.UserRole + 3
NameRole = Qt.ItemDataRole.UserRole + 4
HiddenRole = Qt.ItemDataRole.UserRole + 5

PERSON_MIME = "application/x-faceshelf-person"
UNNAMED = "Unnamed"


def person_label(name: str | None) -> str:
    return name or UNNAMED


def not_label(name: str | None) -> str:
    """The menu item that rejects a face from a person ("Not Anna", "Not this person")."""
    return f"Not {name}" if name else "Not this person"


class _ThumbModel(QAbstractListModel):
    """Shared parts: rows with an id, a face thumbnail per row, dataChanged on arrival."""

    loaded = Signal()

    def __init__(self, loader: ThumbnailLoader, catalog_dir: Path, placeholder: QPixmap,
                 parent=None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.catalog_dir = catalog_dir
        self.placeholder = placeholder
        self.rows: list = []
        # Device pixels of a face cell (the placeholder is made at the cell's logical size).
        self.thumb_px = max(1, round(placeholder.width() / placeholder.devicePixelRatio()
                                     * loader.device_pixel_ratio))
        self._rows_of_face: dict[int, list[int]] = {}
        self.generation = 0
        loader.ready.connect(self._thumbnail_ready)

    def set_rows(self, rows: list) -> None:
        if rows == self.rows:
            return
        self.beginResetModel()
        self.rows = rows
        self._rows_of_face = {}
        for i, row in enumerate(rows):
            face = self._face_of(row)
            if face is not None:
                self._rows_of_face.setdefault(face, []).append(i)
        self.generation = self.loader.new_generation(self)
        self.endResetModel()
        self.loaded.emit()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def row_of(self, row_id: int) -> int | None:
        for i, row in enumerate(self.rows):
            if row.id == row_id:
                return i
        return None

    def _face_of(self, row) -> int | None:
        raise NotImplementedError

    disc = False  # round face crops (person cards)

    def face_key(self, face_id: int) -> tuple:
        return ("face", face_id, self.thumb_px, self.disc)

    def _face_pixmap(self, face_id: int | None) -> QPixmap:
        if face_id is None:
            return self.placeholder
        key = self.face_key(face_id)
        pixmap = self.loader.pixmap(key)
        if pixmap is None:
            self.loader.request(key, face_thumb_loader(self.catalog_dir, face_id, self.thumb_px,
                                                       self.disc), self, self.generation)
            return self.placeholder
        return pixmap

    def _thumbnail_ready(self, keys) -> None:
        rows = [row for k in keys if k[0] == "face" and k[2:] == (self.thumb_px, self.disc)
                for row in self._rows_of_face.get(k[1], ())]
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)),
                                  [Qt.ItemDataRole.DecorationRole])


class PeopleModel(_ThumbModel):
    disc = True
    def _face_of(self, row: PersonRow) -> int | None:
        return row.cover_face_id

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row: PersonRow = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return person_label(row.name)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._face_pixmap(row.cover_face_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{person_label(row.name)}: {row.photos} photos, {row.faces} faces"
                    + (" (hidden)" if row.hidden else ""))
        if role == RecordRole:
            return row
        if role == IdRole:
            return row.id
        if role == CountRole:
            return row.photos
        if role == NameRole:
            return row.name or ""
        if role == HiddenRole:
            return row.hidden
        return None

    def flags(self, index):
        base = super().flags(index)
        if index.isValid():  # names are edited in place; cards drag onto cards to merge
            return (base | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
                    | Qt.ItemFlag.ItemIsDropEnabled)
        return base

    def mimeTypes(self) -> list[str]:
        return [PERSON_MIME]

    def mimeData(self, indexes) -> QMimeData:
        data = QMimeData()
        ids = [str(self.rows[i.row()].id) for i in indexes if i.isValid()]
        data.setData(PERSON_MIME, ",".join(ids).encode())
        return data

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction


def sort_people(rows: list[PersonRow], by_name: bool) -> list[PersonRow]:
    """Most photos first (named before unnamed on ties), or named people alphabetically then
    unnamed groups biggest first. A key sort: 10,000 people in a few ms, no Python lessThan."""
    if by_name:
        return sorted(rows, key=lambda p: (p.name is None, (p.name or "").casefold(), -p.photos,
                                           p.id))
    return sorted(rows, key=lambda p: (-p.photos, p.name is None, p.id))


class PeopleProxy(QSortFilterProxyModel):
    """Filters by name and hides hidden people unless asked; the order is the model's own
    (rows arrive sorted), so the proxy never calls back into Python to compare."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.show_hidden = False
        self.text = ""
        self.setDynamicSortFilter(False)

    def set_show_hidden(self, show: bool) -> None:
        self.beginFilterChange()  # (invalidateFilter is deprecated since Qt 6.10)
        self.show_hidden = show
        self.endFilterChange()

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.strip().casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        person: PersonRow = self.sourceModel().rows[row]
        if person.hidden and not self.show_hidden:
            return False
        return not self.text or self.text in person_label(person.name).casefold()


class FacesModel(_ThumbModel):
    """Face crops: a person's strip, a review queue, the faces of a dropped photo."""

    def _face_of(self, row: FaceRow) -> int | None:
        return row.id

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row: FaceRow = self.rows[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self._face_pixmap(row.id)
        if role == Qt.ItemDataRole.DisplayRole:
            if row.offered_by == "tags":
                return "in tags"
            return f"{row.score:.0%}" if row.score is not None else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            why = ("\nNamed in this photo's own tags (written by another program) without a "
                   "box: is it this face?" if row.offered_by == "tags" else "")
            return f"{Path(row.path).name}" + (f"\n{row.person_name}" if row.person_name
                                              else "") + why
        if role == RecordRole:
            return row
        if role == IdRole:
            return row.id
        return None

    def remove_ids(self, face_ids: set[int]) -> None:
        """Drop rows the user just acted on (review confirm/reject), without a reset."""
        for row in sorted((i for i, r in enumerate(self.rows) if r.id in face_ids), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.rows[row]
            self.endRemoveRows()
        self._rows_of_face = {}
        for i, r in enumerate(self.rows):
            self._rows_of_face.setdefault(r.id, []).append(i)
