"""The People grid: a card per person, sort, filter, hidden toggle, drag a card onto another to
merge, click "Unnamed" to name a group in place."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence,
                           QPainter, QPalette, QPen)
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QCheckBox, QComboBox,
                               QHBoxLayout, QLabel, QLineEdit, QListView, QMenu, QStackedLayout,
                               QVBoxLayout, QWidget)

from ..actions import PeopleActions
from ..context import AppContext
from ..models import people as roles
from ..models import queries
from ..models.people import PERSON_MIME, PeopleModel, PeopleProxy, sort_people
from . import hints, names, person_picker
from .delegates import PersonDelegate
from .page import Page
from .photo_grid import configure_grid

NO_PEOPLE = "No people yet. They appear here while your photos are indexed."


class NameEditDelegate(PersonDelegate):
    """Cards edit their name in place (F2, or one click on "Unnamed"), with autocomplete."""

    rename_requested = Signal(int, str)

    def __init__(self, completer: names.NameCompleter, face: int = 120, parent=None) -> None:
        super().__init__(face, parent)
        self.completer = completer

    def name_rect(self, option_rect: QRect, line: int) -> QRect:
        return QRect(option_rect.left() + 4, option_rect.top() + 12 + self.face + 6,
                     option_rect.width() - 8, line + 4)

    def createEditor(self, parent, option, index):
        editor = QLineEdit(parent)
        editor.setCompleter(self.completer)
        editor.setPlaceholderText("Name")
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Enter on a suggested name in the completer's popup reaches the line edit directly
        # (QCompleter calls its event()), past the view's editor event filter: without this the
        # editor stayed open and a second Enter was needed. One Enter takes the name (and, for
        # a name someone has, asks about the merge).
        editor.returnPressed.connect(lambda: self._commit(editor))
        return editor

    def eventFilter(self, editor, event) -> bool:
        # Enter typed in the editor itself: commit now (Qt's own handling queues the commit
        # and lets returnPressed through as well, which would commit twice).
        if isinstance(editor, QLineEdit) and event.type() == event.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._commit(editor)
            return True
        return super().eventFilter(editor, event)

    def _commit(self, editor) -> None:
        if editor.property("committed"):
            return
        editor.setProperty("committed", True)
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor, index) -> None:
        # Qt calls this again on every dataChanged of the row being edited, and a card's face
        # thumbnail arriving is one: seed the text once, never wipe what the user is typing.
        if editor.property("seeded"):
            return
        editor.setProperty("seeded", True)
        editor.setText(index.data(roles.NameRole) or "")
        editor.selectAll()

    def updateEditorGeometry(self, editor, option, index) -> None:
        editor.setGeometry(self.name_rect(option.rect, option.fontMetrics.height()))

    def setModelData(self, editor, model, index) -> None:
        text = editor.text().strip()
        if text and text != (index.data(roles.NameRole) or ""):
            self.rename_requested.emit(index.data(roles.IdRole), text)


class PeopleGrid(QListView):
    """Person cards; dropping one card onto another asks to merge them."""

    merge_requested = Signal(list, int)  # sources, target

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.drop_target: QPersistentModelIndex | None = None  # the card under a drag

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(PERSON_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if event.mimeData().hasFormat(PERSON_MIME) and index.isValid():
            event.acceptProposedAction()
            self._show_drop_target(index)
        else:
            event.ignore()
            self._show_drop_target(None)

    def dragLeaveEvent(self, event) -> None:
        self._show_drop_target(None)
        super().dragLeaveEvent(event)

    def _show_drop_target(self, index) -> None:
        """The card a drop would merge into gets an outline (Qt's own indicator is for
        inserting between rows, which is not what a drop here does)."""
        target = QPersistentModelIndex(index) if index is not None else None
        if target != self.drop_target:
            self.drop_target = target
            self.viewport().update()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.drop_target is not None and self.drop_target.isValid():
            painter = QPainter(self.viewport())
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 3,
                                Qt.PenStyle.DashLine))
            painter.drawRoundedRect(self.visualRect(QModelIndex(self.drop_target))
                                    .adjusted(3, 3, -3, -3), 8, 8)

    def dropEvent(self, event: QDropEvent) -> None:
        self._show_drop_target(None)
        index = self.indexAt(event.position().toPoint())
        if not index.isValid() or not event.mimeData().hasFormat(PERSON_MIME):
            event.ignore()
            return
        sources = [int(s) for s in bytes(event.mimeData().data(PERSON_MIME)).decode().split(",")
                   if s]
        target = index.data(roles.IdRole)
        sources = [s for s in sources if s != target]
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the model is not edited by Qt
        event.accept()
        if sources:
            self.merge_requested.emit(sources, target)


class PeoplePage(Page):
    title = "People"
    open_person = Signal(int)
    export_person = Signal(int)

    def __init__(self, ctx: AppContext, actions: PeopleActions,
                 completer: names.NameCompleter, parent=None) -> None:
        super().__init__(ctx, parent)
        self.actions = actions
        self.completer = completer
        self.model = PeopleModel(ctx.loader, ctx.catalog_dir, ctx.face_placeholder(120), self)
        self.proxy = PeopleProxy(self)
        self.proxy.setSourceModel(self.model)
        self.by_name = False
        self.grid = PeopleGrid(self)
        self.grid.setModel(self.proxy)
        self.delegate = NameEditDelegate(completer, 120, self.grid)
        self.grid.setItemDelegate(self.delegate)
        configure_grid(self.grid, self.delegate.sizeHint(_option(self.grid), None))
        # Qt delivers a drag to the widget under the mouse that accepts drops, and a list
        # view's drags are handled by its viewport; configure_grid's static movement
        # (QListView.setMovement) turned the viewport's drops off, so a real drag of one card
        # onto another went nowhere.
        self.grid.setDragEnabled(True)
        self.grid.viewport().setAcceptDrops(True)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.grid.activated.connect(lambda i: self.open_person.emit(i.data(roles.IdRole)))
        self.grid.merge_requested.connect(self.merge)
        self.grid.viewport().installEventFilter(self)
        self.delegate.rename_requested.connect(self.rename)
        self._deferred_rows = None   # (sorted by name?, rows) held while a name is edited
        self._snapshot_tried = False
        self._saved_rows = None      # the people list as last written for the next start
        self.delegate.closeEditor.connect(self._editor_closed)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter people")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_text)
        self.filter.textChanged.connect(self._show_grid_or_why_empty)
        self.sort = QComboBox()
        self.sort.addItems(["Most photos", "Name"])
        self.sort.currentIndexChanged.connect(self._sort_changed)
        self.show_hidden = QCheckBox("Show hidden")
        self.show_hidden.toggled.connect(self.proxy.set_show_hidden)
        self.show_hidden.toggled.connect(self._show_grid_or_why_empty)
        self.summary = QLabel()
        hints.hint(self.summary)
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 8, 10, 4)
        bar.addWidget(self.filter, 2)
        bar.addWidget(QLabel("Sort by"))
        bar.addWidget(self.sort)
        bar.addWidget(self.show_hidden)
        bar.addStretch(1)
        bar.addWidget(self.summary)
        self.empty = QLabel(NO_PEOPLE)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hints.hint(self.empty)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.empty)
        holder = QWidget()
        holder.setLayout(self.stack)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(holder, 1)

        rename = QAction("Rename", self)
        rename.setShortcut(QKeySequence(Qt.Key.Key_F2))
        rename.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        rename.triggered.connect(self.rename_current)
        self.addAction(rename)

    # -- loading ------------------------------------------------------------------------------
    def load(self) -> None:
        by_name = self.by_name
        directory = self.ctx.catalog_dir
        if not self.model.rows and not self._snapshot_tried:
            # First paint from the list saved last time; the live query follows at once.
            self._snapshot_tried = True
            self.ctx.read(lambda conn: sort_people(queries.load_people_snapshot(directory),
                                                   by_name), self._apply_snapshot,
                          what="loading the saved people list")

        def live(catalog):
            rows = queries.people(catalog)
            if rows != self._saved_rows:  # reloads come with every change while indexing
                queries.save_people_snapshot(directory, rows)
                self._saved_rows = rows
            return by_name, sort_people(rows, by_name)

        self.ctx.read_catalog(live, self._apply, self.load_failed, what="loading people")

    def _apply_snapshot(self, rows) -> None:
        if rows and not self.model.rows and self._deferred_rows is None:
            self.model.set_rows(rows)
            self.stack.setCurrentWidget(self.grid)

    def _apply(self, loaded) -> None:
        if self.grid.state() == QAbstractItemView.State.EditingState:
            # A reset would close the name editor under the user's fingers (people change
            # all the time while indexing): apply when the editor closes.
            self._deferred_rows = loaded
            self.loaded()
            return
        self._deferred_rows = None
        sorted_by_name, rows = loaded  # sorted in the worker; again only if the user re-sorted
        self.model.set_rows(rows if sorted_by_name == self.by_name
                            else sort_people(rows, self.by_name))
        hidden = sum(1 for r in rows if r.hidden)
        named = sum(1 for r in rows if r.name and not r.hidden)
        self.summary.setText(f"{named:,} named · {len(rows) - named - hidden:,} unnamed"
                             + (f" · {hidden:,} hidden" if hidden else ""))
        self._show_grid_or_why_empty()
        self.loaded()

    def _show_grid_or_why_empty(self, *_args) -> None:
        if self.proxy.rowCount():
            self.stack.setCurrentWidget(self.grid)
            return
        if not self.model.rows:
            self.empty.setText(NO_PEOPLE)
        elif self.filter.text().strip():
            self.empty.setText(f"No one called “{self.filter.text().strip()}”.")
        else:
            self.empty.setText("Everyone here is hidden: tick “Show hidden” to see them.")
        self.stack.setCurrentWidget(self.empty)

    def _sort_changed(self, index: int) -> None:
        self.by_name = index == 1
        self.model.set_rows(sort_people(self.model.rows, self.by_name))

    def _editor_closed(self, *_args) -> None:
        if self._deferred_rows is not None:
            QTimer.singleShot(0, lambda: self._apply(self._deferred_rows)
                              if self._deferred_rows is not None else None)

    # -- actions ------------------------------------------------------------------------------
    def person_index(self, person_id: int):
        row = self.model.row_of(person_id)
        return None if row is None else self.proxy.mapFromSource(self.model.index(row))

    def rename_current(self) -> None:
        index = self.grid.currentIndex()
        if index.isValid():
            self.grid.edit(index)

    def rename(self, person_id: int, name: str) -> None:
        names.rename_person(self, self.actions, person_id, name)

    def merge(self, sources: list[int], target: int) -> None:
        """Cards dropped on a card: a named person survives, whichever way the drag went."""
        rows = {r.id: r for r in self.model.rows}
        if target in rows and all(s in rows for s in sources):
            person_picker.merge_people(self, self.ctx, self.actions,
                                       [rows[s] for s in sources], rows[target])

    def merge_into(self, person_id: int) -> None:
        rows = {r.id: r for r in self.model.rows}
        if person_id not in rows:
            return
        person_picker.pick_person(
            self, self.ctx, "Merge",
            f"Merge {roles.person_label(rows[person_id].name)} with:",
            lambda other: person_picker.merge_people(self, self.ctx, self.actions,
                                                     [rows[person_id]], other),
            exclude={person_id})

    def eventFilter(self, obj, event) -> bool:
        # One click on "Unnamed" under a card starts naming that group.
        if obj is self.grid.viewport() and event.type() == event.Type.MouseButtonRelease:
            index = self.grid.indexAt(event.position().toPoint())
            if index.isValid() and not index.data(roles.NameRole):
                rect = self.delegate.name_rect(self.grid.visualRect(index),
                                               self.grid.fontMetrics().height())
                if rect.contains(event.position().toPoint()):
                    self.grid.setCurrentIndex(index)
                    self.grid.edit(index)
                    return True
        return super().eventFilter(obj, event)

    def contextMenuEvent(self, event) -> None:
        index = self.grid.indexAt(self.grid.viewport().mapFrom(self, event.pos()))
        if not index.isValid():
            return
        person: queries.PersonRow = index.data(roles.RecordRole)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_person.emit(person.id))
        menu.addAction("Rename…" if person.name else "Name this person…",
                       lambda: self.grid.edit(index))
        menu.addAction("Merge with…", lambda: self.merge_into(person.id))
        menu.addAction("Show" if person.hidden else "Hide",
                       lambda: self.actions.hide(person.id, not person.hidden))
        menu.addAction("Export album…", lambda: self.export_person.emit(person.id))
        menu.popup(event.globalPos())


def _option(view: QListView):
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.initFrom(view)
    return option

