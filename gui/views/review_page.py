"""Review: faces that are probably someone's, for a quick yes/no.

People with waiting suggestions on the left; their suggested faces, big, in the middle, most
likely first; on the right the current face's whole photo with that face marked (a crop alone
can hide whose face is meant in a group). Y confirms the current face, N says "not them", S
skips; double-click or Space opens the photo in the viewer with the face marked; "Confirm all"
takes the whole queue. Each answer goes to the people core at once, so people update live.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QListView, QListWidget,
                               QListWidgetItem, QPushButton, QSplitter, QStackedLayout,
                               QVBoxLayout, QWidget)

from ..actions import PeopleActions
from ..context import AppContext
from ..models import people as roles
from ..models import queries
from ..models.people import FacesModel, person_label
from ..workers.thumbnails import face_thumb_loader
from . import hints, icons
from .delegates import FaceDelegate
from .page import Page
from .photo_grid import configure_grid
from .viewer import PhotoCanvas, load_photo

FACE_PX = 160
COVER_PX = 56
CONTEXT_LONG_SIDE = 1024  # the photo around the asked face: sharp enough at the pane's size


class ReviewPage(Page):
    title = "review"
    face_opened = Signal(int, int)  # photo id, the face asked about: open it in the viewer

    def __init__(self, ctx: AppContext, actions: PeopleActions, parent=None) -> None:
        super().__init__(ctx, parent)
        self.actions = actions
        self.person_id: int | None = None
        self._shown_person: int | None = None  # whose faces the grid holds
        self.people = QListWidget()
        self.people.setMinimumWidth(140)  # with the buttons, the window still fits 800 px
        self.people.setSpacing(3)
        self.cover = QLabel()
        self.cover.setFixedSize(COVER_PX, COVER_PX)
        self.cover.setToolTip("Their cover photo, to compare with")
        self._cover_key = None
        ctx.loader.ready.connect(self._cover_arrived)
        self.people.currentItemChanged.connect(self._person_chosen)
        self.title_label = QLabel()
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title_label.setFont(font)
        self.remaining = QLabel()
        hints.hint(self.remaining)
        hint = QLabel("Is this them?  Y yes · N no · S skip · Space: see the whole photo")
        hints.hint(hint)
        self.faces = FacesModel(ctx.loader, ctx.catalog_dir, ctx.face_placeholder(FACE_PX), self)
        self.grid = QListView()
        self.grid.setModel(self.faces)
        delegate = FaceDelegate(FACE_PX, self.grid)
        self.grid.setItemDelegate(delegate)
        configure_grid(self.grid, QSize(FACE_PX + 16, FACE_PX + 16 + self.fontMetrics().height()))
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.installEventFilter(self)
        self.grid.doubleClicked.connect(lambda _index: self.open_current())
        # The current face's photo, the face marked: which face is asked about, in its place.
        # At least one face cell wide (a narrow window squeezes the photo, not the face).
        self.grid.setMinimumWidth(FACE_PX + 16 + self.grid.verticalScrollBar().sizeHint().width()
                                  + 4)
        self.context = PhotoCanvas()
        self.context.setMinimumSize(200, 200)
        self.context.setToolTip("The face asked about, in its photo (double-click or Space: "
                                "open it)")
        self._context_face: int | None = None
        self.grid.selectionModel().currentChanged.connect(lambda *_: self._show_context())
        self.faces.modelReset.connect(self._show_context)
        self.yes = QPushButton(icons.icon("yes"), "Yes (Y)")
        self.yes.clicked.connect(self.confirm_current)
        self.no = QPushButton(icons.icon("no"), "No (N)")
        self.no.clicked.connect(self.reject_current)
        self.skip = QPushButton(icons.icon("skip"), "Skip (S)")
        self.skip.clicked.connect(self.skip_current)
        self.confirm_all = QPushButton("Confirm all")
        self.confirm_all.clicked.connect(self.confirm_everything)
        self.confirm_selected = QPushButton("Confirm selected")
        self.confirm_selected.clicked.connect(self.confirm_selection)
        buttons = QHBoxLayout()
        for button in (self.yes, self.no, self.skip):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_selected)
        buttons.addWidget(self.confirm_all)
        head = QHBoxLayout()
        head.addWidget(self.cover)
        head.addWidget(self.title_label)
        head.addStretch(1)
        head.addWidget(self.remaining)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addLayout(head)
        right_layout.addWidget(hint)
        middle = QSplitter()
        middle.addWidget(self.grid)
        middle.addWidget(self.context)
        middle.setStretchFactor(0, 1)
        middle.setStretchFactor(1, 1)
        right_layout.addWidget(middle, 1)
        right_layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(self.people)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 900])
        self.empty = QLabel("Nothing to review.\n\nWhen Faceshelf is unsure whether a face "
                            "belongs to someone, it asks here: Y yes, N no, S skip.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hints.hint(self.empty)
        self.stack = QStackedLayout()
        self.stack.addWidget(splitter)
        self.stack.addWidget(self.empty)
        self.content = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.stack)

    # -- loading ------------------------------------------------------------------------------
    def load(self) -> None:
        self.ctx.read(queries.review_people, self._apply_people, self.load_failed,
                      what="loading the review queue")

    def _apply_people(self, rows) -> None:
        self.people.blockSignals(True)
        self.people.clear()
        current = None
        for person_id, name, count in rows:
            item = QListWidgetItem(f"{person_label(name)}  ({count})")
            item.setData(Qt.ItemDataRole.UserRole, person_id)
            self.people.addItem(item)
            if person_id == self.person_id:
                current = item
        self.people.blockSignals(False)
        has_any = bool(rows)
        self.stack.setCurrentWidget(self.content if has_any else self.empty)
        if not has_any:
            self.title_label.setText("Review")
            self.remaining.setText("")
            self.faces.set_rows([])
            self.loaded()
            return
        self.people.setCurrentItem(current or self.people.item(0))
        self._load_faces()

    def _person_chosen(self, item, _previous=None) -> None:
        if item is None:
            return
        person_id = item.data(Qt.ItemDataRole.UserRole)
        if person_id != self._shown_person:
            # Never leave one person's faces under another's name: Y and N answer for the
            # person named above the grid.
            self.faces.set_rows([])
            self._update_remaining()
        self.person_id = person_id
        self.title_label.setText(item.text().rsplit("  (", 1)[0])
        if not self._loading:
            self._loading = True
            self._load_faces()

    def _load_faces(self) -> None:
        person_id = self.person_id

        def load(catalog):
            from core.people import get_person

            return (person_id, get_person(catalog, person_id).cover_face_id,
                    queries.review_faces(catalog, person_id))

        self.ctx.read_catalog(load, self._apply_faces, self.load_failed,
                              what="loading suggestions")

    def _show_cover(self, face_id: int | None) -> None:
        self.cover.clear()
        if face_id is None:
            self._cover_key = None
            return
        px = round(COVER_PX * self.ctx.loader.device_pixel_ratio)
        self._cover_key = ("face", face_id, px, True)
        pixmap = self.ctx.loader.pixmap(self._cover_key)
        if pixmap is None:
            self.ctx.loader.request(self._cover_key, face_thumb_loader(
                self.ctx.catalog_dir, face_id, px, disc=True))
        else:
            self.cover.setPixmap(pixmap)

    def _cover_arrived(self, keys) -> None:
        if self._cover_key in keys:
            pixmap = self.ctx.loader.pixmap(self._cover_key)
            if pixmap is not None:
                self.cover.setPixmap(pixmap)

    def _apply_faces(self, result) -> None:
        person_id, cover, rows = result
        if person_id != self.person_id:  # the user picked someone else meanwhile
            self._load_faces()
            return
        self._show_cover(cover)
        # The queue reloads after every answer (the catalog changed): keep the cursor on the
        # face it was on, else a face the user just skipped would come back under it and the
        # next N would reject the wrong face. Another person's queue starts at the top.
        same_person = person_id == self._shown_person
        self._shown_person = person_id
        current = self._current() if same_person else None
        row = self.grid.currentIndex().row() if same_person else 0
        self.faces.set_rows(rows)
        self._update_remaining()
        if rows:
            kept = self.faces.row_of(current.id) if current is not None else None
            self.grid.setCurrentIndex(self.faces.index(
                kept if kept is not None else min(max(row, 0), len(rows) - 1)))
        self.loaded()

    def _update_remaining(self) -> None:
        n = self.faces.rowCount()
        self.remaining.setText(f"{n} left for this person")

    # -- answers ------------------------------------------------------------------------------
    def _current(self) -> queries.FaceRow | None:
        index = self.grid.currentIndex()
        return index.data(roles.RecordRole) if index.isValid() else None

    def _answered(self, face_ids: set[int]) -> None:
        row = self.grid.currentIndex().row()
        self.faces.remove_ids(face_ids)
        self._update_remaining()
        if self.faces.rowCount():
            self.grid.setCurrentIndex(self.faces.index(min(max(row, 0),
                                                           self.faces.rowCount() - 1)))

    def confirm_current(self) -> None:
        face = self._current()
        if face is not None and self.person_id is not None:
            self.actions.confirm([face.id], self.person_id)
            self._answered({face.id})

    def reject_current(self) -> None:
        face = self._current()
        if face is not None and self.person_id is not None:
            self.actions.reject([face.id], self.person_id)
            self._answered({face.id})

    def skip_current(self) -> None:
        row = self.grid.currentIndex().row()
        if row + 1 < self.faces.rowCount():
            self.grid.setCurrentIndex(self.faces.index(row + 1))

    def confirm_selection(self) -> None:
        ids = {i.data(roles.IdRole) for i in self.grid.selectionModel().selectedIndexes()}
        if ids and self.person_id is not None:
            self.actions.confirm(sorted(ids), self.person_id)
            self._answered(ids)

    def confirm_everything(self) -> None:
        ids = {row.id for row in self.faces.rows}
        if ids and self.person_id is not None:
            self.actions.confirm(sorted(ids), self.person_id)
            self._answered(ids)

    # -- the face in its photo -------------------------------------------------------------------
    def _show_context(self) -> None:
        face = self._current()
        if face is None:
            self._context_face = None
            self.context.set_photo(None, (0, 0), [])
            return
        if face.id == self._context_face:
            return
        self._context_face = face.id
        self.context.set_photo(None, (0, 0), [])

        def show(result) -> None:
            record, _faces, image, full_size = result
            if self._context_face == face.id and record is not None:
                asked = face._replace(person_name=f"{self.title_label.text()}?")
                self.context.set_photo(image, full_size, [asked], highlight=face.id)

        self.ctx.read(load_photo(face.photo_id, CONTEXT_LONG_SIDE), show,
                      what="loading the photo of a face")

    def open_current(self) -> None:
        face = self._current()
        if face is not None:
            self.face_opened.emit(face.photo_id, face.id)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.grid and event.type() == event.Type.KeyPress:
            handler = {Qt.Key.Key_Y: self.confirm_current, Qt.Key.Key_N: self.reject_current,
                       Qt.Key.Key_S: self.skip_current,
                       Qt.Key.Key_Space: self.open_current}.get(event.key())
            if handler is not None:
                handler()
                return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event) -> None:
        if not self.eventFilter(self.grid, event):
            super().keyPressEvent(event)

