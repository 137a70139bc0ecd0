"""Choosing people by their faces: the Merge… / Move to… picker, "which name to keep?", and the
one rule every GUI merge follows (a named person survives an unnamed group).

Both dialogs are window-modal but not blocking (`open()`, answers by signal): the page keeps
painting while they load faces, and tests drive them with real clicks and keys.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit,
                               QListView, QPushButton, QVBoxLayout, QWidget)

from ..context import AppContext
from ..models import people as roles
from ..models import queries
from ..models.people import PeopleModel, PeopleProxy, person_label, sort_people
from ..models.photos import photos_phrase
from ..workers.thumbnails import face_thumb_loader
from . import names

log = logging.getLogger(__name__)

PICKER_FACE_PX = 48
CHOICE_FACE_PX = 112


class _PickerModel(PeopleModel):
    """People with their face and how many photos they are in, one per line."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            row: queries.PersonRow = self.rows[index.row()]
            return f"{person_label(row.name)}  ·  {photos_phrase(row.photos)}"
        return super().data(index, role)

    def flags(self, index):  # a list to pick from: no editing, no dragging
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable if index.isValid() \
            else Qt.ItemFlag.NoItemFlags


class PersonPicker(QDialog):
    """A searchable list of people with their faces. Type to filter, Up/Down to choose, Enter
    or a double-click to pick. With `allow_new`, a name no one has can make a new person.

    `picked` carries the chosen PersonRow, or (allow_new) the new name as a str."""

    picked = Signal(object)

    def __init__(self, ctx: AppContext, title: str, prompt: str, *, exclude: set[int] = (),
                 allow_new: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx = ctx
        self.exclude = set(exclude)
        self.allow_new = allow_new
        self.closed = False
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type a name to find them")
        self.filter.setClearButtonEnabled(True)
        self.model = _PickerModel(ctx.loader, ctx.catalog_dir,
                                  ctx.face_placeholder(PICKER_FACE_PX), self)
        self.proxy = PeopleProxy(self)
        self.proxy.setSourceModel(self.model)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setIconSize(QSize(PICKER_FACE_PX, PICKER_FACE_PX))
        self.list.setSpacing(2)
        self.list.setUniformItemSizes(True)
        self.list.doubleClicked.connect(lambda index: self._pick(index))
        self.new_person = QPushButton()
        self.new_person.setVisible(False)
        self.new_person.clicked.connect(self._pick_new)
        self.filter.textChanged.connect(self._filtered)
        self.filter.returnPressed.connect(self._enter)
        self.filter.installEventFilter(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._enter)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.new_person)
        layout.addWidget(self.buttons)
        self.resize(380, 460)
        ctx.read_catalog(queries.people, self._show_people, what="loading people")

    def _show_people(self, rows) -> None:
        if self.closed:
            return
        self.model.set_rows(sort_people([r for r in rows if r.id not in self.exclude], False))
        self._filtered(self.filter.text())

    def _filtered(self, text: str) -> None:
        self.proxy.set_text(text)
        # Nobody is chosen until the user types or moves: an Enter in an untouched picker
        # (right after drawing a face) must not give the face to whoever is listed first.
        if self.proxy.rowCount() and text.strip():
            self.list.setCurrentIndex(self.proxy.index(0, 0))
        else:
            self.list.setCurrentIndex(QModelIndex())
        name = text.strip()
        exact = any(r.name and r.name.casefold() == name.casefold() for r in self.model.rows)
        self.new_person.setVisible(self.allow_new and bool(name) and not exact)
        self.new_person.setText(f"New person named “{name}”")

    def eventFilter(self, watched, event) -> bool:
        # Up/Down in the search box walk the list (the focus stays in the box for typing).
        if watched is self.filter and event.type() == event.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            row = self.list.currentIndex().row() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= row < self.proxy.rowCount():
                self.list.setCurrentIndex(self.proxy.index(row, 0))
            return True
        return super().eventFilter(watched, event)

    def _enter(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            self._pick(index)
        elif self.new_person.isVisible():
            self._pick_new()

    def _pick(self, index) -> None:
        person = index.data(roles.RecordRole)
        if person is not None:
            self._answer(person)

    def _pick_new(self) -> None:
        name = self.filter.text().strip()
        if name:
            self._answer(name)

    def _answer(self, answer) -> None:
        self.accept()
        self.picked.emit(answer)

    def done(self, result: int) -> None:
        self.closed = True
        super().done(result)


def pick_person(parent: QWidget, ctx: AppContext, title: str, prompt: str, then, *,
                exclude: set[int] = (), allow_new: bool = False) -> PersonPicker:
    """Open the picker; `then(PersonRow | new name)` runs when the user picks."""
    picker = PersonPicker(ctx, title, prompt, exclude=exclude, allow_new=allow_new,
                          parent=parent)
    picker.picked.connect(then)
    picker.open()
    picker.filter.setFocus()
    return picker


class NameChoiceDialog(QDialog):
    """Two (or more) named people are being merged: which name stays? Each shows its face."""

    chosen = Signal(object)  # the PersonRow whose name is kept

    def __init__(self, ctx: AppContext, people: list[queries.PersonRow],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge people")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx = ctx
        self.buttons_by_key: dict[tuple, QPushButton] = {}
        self.keep_buttons: list[QPushButton] = []
        text = QLabel("Merge them into one person? All their faces are put together under "
                      "one name: which name do you keep?")
        text.setWordWrap(True)
        row = QHBoxLayout()
        px = round(CHOICE_FACE_PX * ctx.loader.device_pixel_ratio)
        # The name with the most photos comes first and is the default: an Enter keeps it
        # (it was the order of the gesture, so Enter could rename 40 photos after 1).
        people = sorted(people, key=lambda p: -p.photos)
        for person in people:
            button = QPushButton(f"Keep “{person.name}”\n{photos_phrase(person.photos)}")
            button.setIconSize(QSize(CHOICE_FACE_PX, CHOICE_FACE_PX))
            button.setIcon(QIcon(ctx.face_placeholder(CHOICE_FACE_PX)))
            button.setProperty("person_id", person.id)
            button.clicked.connect(lambda _=False, p=person: self._keep(p))
            row.addWidget(button)
            self.keep_buttons.append(button)
            if person.cover_face_id is not None:
                key = ("face", person.cover_face_id, px, False)
                self.buttons_by_key[key] = button
                pixmap = ctx.loader.pixmap(key)
                if pixmap is None:
                    ctx.loader.request(key, face_thumb_loader(ctx.catalog_dir,
                                                              person.cover_face_id, px))
                elif not pixmap.isNull():
                    button.setIcon(QIcon(pixmap))
        self.keep_buttons[0].setDefault(True)
        ctx.loader.ready.connect(self._faces_arrived)
        cancel = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(cancel)

    def _faces_arrived(self, keys) -> None:
        for key in keys:
            button = self.buttons_by_key.get(key)
            pixmap = self.ctx.loader.pixmap(key)
            if button is not None and pixmap is not None and not pixmap.isNull():
                button.setIcon(QIcon(pixmap))

    def _keep(self, person) -> None:
        self.accept()
        self.chosen.emit(person)

    def done(self, result: int) -> None:
        try:
            self.ctx.loader.ready.disconnect(self._faces_arrived)
        except (RuntimeError, TypeError):
            pass
        super().done(result)


def merge_people(parent: QWidget, ctx: AppContext, actions, people: list[queries.PersonRow],
                 into: queries.PersonRow) -> QDialog | None:
    """Merge `people` (which include `into`, where the user dropped or pointed) as the user
    means it, in every GUI path: a named person survives unnamed groups whatever the direction
    of the gesture; when several are named, a dialog asks which name to keep (showing their
    faces). The CLI's `merge A B` names its target and does not come here."""
    people = list({p.id: p for p in [*people, into]}.values())
    if len(people) < 2:
        return None
    named = [p for p in people if p.name]
    if len(named) >= 2:
        dialog = NameChoiceDialog(ctx, named, parent)
        dialog.chosen.connect(lambda keep: actions.merge(
            [p.id for p in people if p.id != keep.id], keep.id))
        dialog.open()
        return dialog
    survivor = named[0] if named else into
    others = [p for p in people if p.id != survivor.id]
    who = ", ".join(f"{person_label(p.name)} ({photos_phrase(p.photos)})" for p in others)
    target = person_label(survivor.name)
    # "All their faces" would not be true: a face the user said is not the target goes
    # back to the unknown faces instead (core.people.merge_people).
    if names.confirm(parent, "Merge people",
                     f"Merge {who} into {target} ({photos_phrase(survivor.photos)})? Their "
                     f"faces become {target}'s, except any face you said is not {target}."):
        actions.merge([p.id for p in others], survivor.id)
    return None
