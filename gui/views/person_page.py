"""One person: their name (rename in place), a strip of their faces for bulk fixes, their photos.

Face strip actions: Move to…, Not this person, Ignore (Del), Use as cover. Person actions:
Merge…, Hide, Export album…, and "might be the same person" suggestions when the people core
offers likely duplicates.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QListView,
                               QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget)

from ..actions import PeopleActions
from ..context import AppContext
from ..gc_pauses import bulk_allocation
from ..models import people as roles
from ..models import queries
from ..models.people import FacesModel, not_label, person_label
from ..models.photos import PhotoList, PhotoListModel
from . import hints, icons, names, person_picker
from .delegates import FaceDelegate
from .page import Page
from .photo_grid import PhotoGrid


def _load_person(person_id: int):
    def load(catalog):
        from core.people import PersonNotFound, get_person

        try:
            p = get_person(catalog, person_id)
        except PersonNotFound:  # merged away or forgotten meanwhile
            return None, [], []
        person = queries.PersonRow(p.id, p.name, p.face_count, p.photo_count, p.hidden,
                                   p.cover_face_id)
        with bulk_allocation():  # a big person's photos: see gui.gc_pauses
            return (person, queries.person_faces(catalog, person),
                    PhotoList(queries.person_photos(catalog, person_id)))
    return load


class FaceStrip(QListView):
    """A horizontal, multi-select strip of face crops."""

    def __init__(self, model: FacesModel, px: int = 80, parent=None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(FaceDelegate(px, self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFixedHeight(px + 34)
        self.setMouseTracking(True)

    def selected_ids(self) -> list[int]:
        return [i.data(roles.IdRole) for i in self.selectionModel().selectedIndexes()]


class PersonPage(Page):
    title = "person"
    back_requested = Signal()
    export_requested = Signal(int)
    photo_activated = Signal(int, list)  # photo id, ids of the list it came from

    def __init__(self, ctx: AppContext, actions: PeopleActions,
                 completer: names.NameCompleter, parent=None) -> None:
        super().__init__(ctx, parent)
        self.actions = actions
        self.completer = completer
        self.person_id: int | None = None
        self.person: queries.PersonRow | None = None
        self._duplicates: dict[int, queries.PersonRow] = {}  # the "might be" links' people
        actions.done.connect(self._action_done)

        back = QToolButton()
        back.setIcon(icons.icon("back"))
        back.setToolTip("Back (Esc)")
        back.setAutoRaise(True)
        back.clicked.connect(self.back_requested)
        self.cover = QLabel()
        self.cover.setFixedSize(64, 64)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Name this person")
        self.name.setCompleter(completer)
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setFrame(False)
        self.name.setToolTip("Type a name and press Enter (F2)")
        self.name.returnPressed.connect(self._commit_name)
        self.name.installEventFilter(self)  # Esc while typing a name cancels it
        self.counts = QLabel()
        hints.hint(self.counts)
        title = QVBoxLayout()
        title.setSpacing(0)
        title.addWidget(self.name)
        title.addWidget(self.counts)
        merge = QPushButton(icons.icon("merge"), "Merge…")
        merge.clicked.connect(self._merge)
        self.hide_button = QPushButton(icons.icon("hide"), "Hide")
        self.hide_button.clicked.connect(self._toggle_hidden)
        export = QPushButton(icons.icon("export"), "Export album…")
        export.clicked.connect(lambda: self.export_requested.emit(self.person_id))
        header = QHBoxLayout()
        header.setContentsMargins(8, 8, 12, 4)
        header.addWidget(back)
        header.addWidget(self.cover)
        header.addLayout(title, 1)
        header.addWidget(merge)
        header.addWidget(self.hide_button)
        header.addWidget(export)

        self.duplicates = QLabel()
        self.duplicates.setOpenExternalLinks(False)
        self.duplicates.linkActivated.connect(self._merge_duplicate)
        self.duplicates.hide()

        self.faces = FacesModel(ctx.loader, ctx.catalog_dir, ctx.face_placeholder(80), self)
        self.strip = FaceStrip(self.faces, 80, self)
        self.strip.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.strip.customContextMenuRequested.connect(self._face_menu)
        self.faces_label = QLabel("Faces — select several to fix them at once "
                                  "(right-click: move, not this person, ignore)")
        hints.hint(self.faces_label)
        cell = ctx.settings.thumbnail_px
        self.photos = PhotoListModel(ctx.loader, ctx.catalog_dir, ctx.placeholder(cell), self)
        self.grid = PhotoGrid(self.photos, cell, self)
        self.grid.photo_activated.connect(
            lambda pid: self.photo_activated.emit(pid, self.photos.photo_ids()))

        strip_box = QWidget()
        strip_layout = QVBoxLayout(strip_box)
        strip_layout.setContentsMargins(10, 0, 10, 0)
        strip_layout.addWidget(self.duplicates)
        strip_layout.addWidget(self.faces_label)
        strip_layout.addWidget(self.strip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(strip_box)
        layout.addWidget(self.grid, 1)

        for text, key, slot in (("Rename", Qt.Key.Key_F2, self.focus_name),
                                ("Ignore faces", Qt.Key.Key_Delete, self.ignore_selected)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    # -- loading ------------------------------------------------------------------------------
    def show_person(self, person_id: int) -> None:
        if person_id != self.person_id:
            self.person_id = person_id
            self.person = None
            self.faces.set_rows([])
            self.photos.set_rows([])
            self.name.setText("")
            self.counts.setText("")
        self._dirty = True
        if self.isVisible():
            self.refresh()

    def load(self) -> None:
        if self.person_id is None:
            self.loaded()
            return
        self.ctx.read_catalog(_load_person(self.person_id), self._apply, self.load_failed,
                              what="loading a person")
        self._load_duplicates()

    def _apply(self, result) -> None:
        person, faces, photos = result
        self.loaded()
        if person is None:  # merged away or forgotten
            self.back_requested.emit()
            return
        self.person = person
        if not self.name.hasFocus():
            self.name.setText(person.name or "")
        self.counts.setText(f"{person.photos:,} photos · {person.faces:,} faces"
                            + (" · hidden" if person.hidden else ""))
        self.hide_button.setText("Show" if person.hidden else "Hide")
        self.faces.set_rows(faces)
        self.photos.set_rows(photos)
        self._update_cover()

    def _update_cover(self) -> None:
        person = self.person
        if person is None or person.cover_face_id is None:
            return
        pixmap = self.ctx.loader.pixmap(self.faces.face_key(person.cover_face_id))
        if pixmap is not None and not pixmap.isNull():
            scaled = pixmap.scaled(QSize(64, 64) * self.devicePixelRatioF(),
                                   Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
            scaled.setDevicePixelRatio(self.devicePixelRatioF())
            self.cover.setPixmap(scaled)
        else:
            self.ctx.loader.ready.connect(self._cover_arrived, Qt.ConnectionType.UniqueConnection)

    def _cover_arrived(self, keys) -> None:
        if self.person and self.faces.face_key(self.person.cover_face_id) in keys:
            self._update_cover()

    def _load_duplicates(self) -> None:
        person_id = self.person_id

        def find(catalog):
            from core.people import get_person, likely_duplicates

            others = []
            for pair in likely_duplicates(catalog):
                if person_id in (pair.person_a, pair.person_b):
                    other = get_person(catalog, pair.person_b if pair.person_a == person_id
                                       else pair.person_a)
                    others.append((queries.PersonRow(other.id, other.name, other.face_count,
                                                     other.photo_count, other.hidden,
                                                     other.cover_face_id), pair.similarity))
            return others

        self.ctx.read_catalog(find, self._show_duplicates, what="finding likely duplicates")

    def _show_duplicates(self, result) -> None:
        shown = (result or [])[:5]
        self._duplicates = {other.id: other for other, _ in shown}
        links = [f'<a href="{other.id}">{person_label(other.name)}</a> ({similarity:.0%})'
                 for other, similarity in shown]
        self.duplicates.setText("Might be the same person: " + ", ".join(links) +
                                " (click to merge)")
        self.duplicates.setVisible(bool(links))

    # -- person actions -----------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:
        """Esc in the name field puts the name back and stays on the page (the window's Esc
        would go back to People, dropping what was typed)."""
        if watched is self.name and event.type() in (QEvent.Type.ShortcutOverride,
                                                     QEvent.Type.KeyPress):
            if event.key() == Qt.Key.Key_Escape and self.name.hasFocus():
                if event.type() == QEvent.Type.KeyPress:
                    self.name.setText((self.person and self.person.name) or "")
                    self.name.clearFocus()
                event.accept()
                return event.type() == QEvent.Type.KeyPress
        return super().eventFilter(watched, event)

    def focus_name(self) -> None:
        self.name.setFocus()
        self.name.selectAll()

    def _commit_name(self) -> None:
        text = self.name.text().strip()
        if self.person is None or not text or text == (self.person.name or ""):
            return
        person_id = self.person_id
        names.rename_person(self, self.actions, person_id, text,
                            on_declined=lambda: self._show_name_of(person_id))
        self.name.clearFocus()

    def _show_name_of(self, person_id: int) -> None:
        if person_id == self.person_id and self.person is not None:
            self.name.setText(self.person.name or "")

    def _merge(self) -> None:
        if self.person is None:
            return
        me = self.person
        person_picker.pick_person(
            self, self.ctx, "Merge", f"Merge {person_label(me.name)} with:",
            lambda other: person_picker.merge_people(self, self.ctx, self.actions, [me], other),
            exclude={me.id})

    def _merge_duplicate(self, link: str) -> None:
        other = self._duplicates.get(int(link))
        if other is not None and self.person is not None:
            person_picker.merge_people(self, self.ctx, self.actions, [other], self.person)

    def _toggle_hidden(self) -> None:
        if self.person is not None:
            self.actions.hide(self.person.id, not self.person.hidden)

    def _action_done(self, action: str, result) -> None:
        if not self.isVisible() or action not in ("rename", "merge"):
            return
        survivor = result[0] if result else None
        if isinstance(survivor, int) and survivor != self.person_id:
            self.show_person(survivor)  # this person was merged into that one: follow them
        else:
            self.refresh()

    # -- face actions -------------------------------------------------------------------------
    def _face_menu(self, pos) -> None:
        index = self.strip.indexAt(pos)
        if not index.isValid():
            return
        if not self.strip.selectionModel().isSelected(index):
            self.strip.setCurrentIndex(index)
        ids = self.strip.selected_ids()
        menu = QMenu(self)
        menu.addAction("Move to…", lambda: self.move_selected())
        menu.addAction(not_label(self.person.name if self.person else None),
                       lambda: self.reject_selected())
        menu.addAction("Ignore (not a face / a stranger)", lambda: self.ignore_selected())
        if len(ids) == 1:
            menu.addAction("Use as cover", lambda: self.actions.set_cover(self.person_id, ids[0]))
        menu.popup(self.strip.viewport().mapToGlobal(pos))

    def move_selected(self) -> None:
        ids = self.strip.selected_ids()
        if not ids:
            return

        def move(to) -> None:
            if isinstance(to, str):  # a name no one has: a new person
                self.actions.move_faces(ids, None, name=to)
            elif to.id != self.person_id:
                self.actions.move_faces(ids, to.id)

        person_picker.pick_person(
            self, self.ctx, "Move faces",
            f"Move {len(ids)} face{'' if len(ids) == 1 else 's'} to (type a new name for a "
            "new person):", move, exclude={self.person_id}, allow_new=True)

    def reject_selected(self) -> None:
        ids = self.strip.selected_ids()
        if ids and self.person_id is not None:
            self.actions.reject(ids, self.person_id)
            self.faces.remove_ids(set(ids))

    def ignore_selected(self) -> None:
        ids = self.strip.selected_ids()
        if ids:
            self.actions.ignore(ids)
            self.faces.remove_ids(set(ids))
