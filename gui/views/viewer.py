"""The photo viewer: the photo upright (EXIF orientation applied by the core's decoder), face
boxes with names, hover shows the name, right-click a face for Find this person, This is…,
Not <name>, Not a face. "Draw a face" (or Shift+drag) boxes a face the detector missed.
Left/Right walk through the list the photo was opened from."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMenu, QToolButton, QToolTip, QVBoxLayout,
                               QWidget)

from ..actions import PeopleActions
from ..context import AppContext
from ..models import queries
from ..models.people import UNNAMED, not_label
from ..models.photos import format_taken
from ..workers.tasks import worker_catalog
from . import hints, icons, names
from .page import Page

VIEW_LONG_SIDE = 2048
HIGHLIGHT = QColor("#ff3d9a")  # the face asked about (Review), bold, unlike any other box
# Box colours, said in the legend above the photo: a name, no name yet, ignored.
NAMED_COLOUR = "#4fc3f7"
UNNAMED_COLOUR = "#ffd54a"
IGNORED_COLOUR = "#a0a0a0"


def box_colour(face) -> QColor:
    if face.ignored:
        return QColor(IGNORED_COLOUR)
    return QColor(NAMED_COLOUR if face.person_name else UNNAMED_COLOUR)


def face_tooltip(face) -> str:
    if face.ignored:
        return "Ignored (grey box) — right-click for this face's menu"
    if face.person_name:
        return f"{face.person_name} (blue box: named) — right-click to find, rename or reject"
    return f"{UNNAMED} (yellow box) — right-click to name"


def legend_html(asked: bool = False) -> str:
    """The legend; `asked`: a face is marked as the one Review asks about."""
    def swatch(colour: str, word: str) -> str:
        return (f'<span style="color:{colour}; font-size:large">&#9632;</span>&nbsp;{word}')
    # (no "Ignored": a face said to be "Not a face" is no longer drawn at all)
    entries = [swatch(NAMED_COLOUR, "Named"), swatch(UNNAMED_COLOUR, UNNAMED)]
    if asked:
        entries.append(swatch(HIGHLIGHT.name(), "Asked about"))
    return "&nbsp;&nbsp;&nbsp;".join(entries)


def load_photo(photo_id: int, long_side: int = VIEW_LONG_SIDE):
    """Worker: the photo's record, its faces and an upright QImage at screen resolution."""
    def load(conn):
        import numpy as np

        from core.scan.decode import decode

        record = queries.photo_record(conn, photo_id)
        if record is None:
            return None, [], None, (0, 0)
        faces = queries.photo_faces(conn, photo_id)
        decoded = decode(record.path, min_long_side=long_side)
        rgb = np.ascontiguousarray(decoded.bgr[:, :, ::-1])
        height, width = rgb.shape[:2]
        image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        return record, faces, image, decoded.full_size
    return load


MIN_DRAG_PX = 8  # a smaller drag is a click, not a box


class PhotoCanvas(QWidget):
    """Paints the photo fitted to the widget with the face boxes on top. In drawing mode (the
    viewer's "Draw a face" button, or Shift held when the drag starts) a left-button drag
    boxes a face; `face_drawn` carries it in the photo's full-resolution upright pixels."""

    face_menu_requested = Signal(object, object)  # FaceRow, global QPoint
    face_drawn = Signal(object)  # (x1, y1, x2, y2), the frame of every face box

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.full_size = (0, 0)
        self.faces: list[queries.FaceRow] = []
        self.hover: int | None = None
        self.highlight: int | None = None  # the face the user came to see (from Review)
        self.drawing = False                       # the "Draw a face" mode
        self._drag: tuple[QPointF, QPointF] | None = None
        self.pending: tuple | None = None          # a drawn box waiting for its name
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)

    def set_photo(self, image: QImage | None, full_size, faces,
                  highlight: int | None = None) -> None:
        self.image, self.full_size, self.faces = image, full_size, faces
        self.highlight = highlight
        self.hover = None
        self.pending = None
        self.update()

    def set_drawing(self, on: bool) -> None:
        self.drawing = on
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def _scale(self) -> float:
        """Widget pixels per full-resolution photo pixel."""
        return self._target().width() / (self.full_size[0] or 1)

    def to_photo(self, pos: QPointF) -> tuple[float, float]:
        target, s = self._target(), self._scale()
        x = min(max(pos.x(), target.left()), target.right())
        y = min(max(pos.y(), target.top()), target.bottom())
        return (x - target.left()) / s, (y - target.top()) / s

    def box_rect(self, box) -> QRectF:
        target, s = self._target(), self._scale()
        x1, y1, x2, y2 = box
        return QRectF(target.left() + x1 * s, target.top() + y1 * s, (x2 - x1) * s, (y2 - y1) * s)

    def _target(self) -> QRectF:
        if self.image is None or self.image.isNull():
            return QRectF()
        w, h = self.image.width(), self.image.height()
        # Fit the window, but blow a small photo up at most 2x: beyond that it is only blur.
        ratio = self.devicePixelRatioF()
        scale = min(self.width() / w, self.height() / h, 2.0 / ratio)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2,
                      w * scale, h * scale)

    def face_rect(self, face: queries.FaceRow) -> QRectF:
        target = self._target()
        full_w = self.full_size[0] or face.photo_size[0] or 1
        s = target.width() / full_w
        x1, y1, x2, y2 = face.box
        return QRectF(target.left() + x1 * s, target.top() + y1 * s, (x2 - x1) * s, (y2 - y1) * s)

    def mousePressEvent(self, event) -> None:
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if (event.button() == Qt.MouseButton.LeftButton and self.image is not None
                and (self.drawing or shift)
                and self._target().contains(event.position())):
            self._drag = (event.position(), event.position())
            self.update()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._drag is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseReleaseEvent(event)
            return
        start, _ = self._drag
        self._drag = None
        end = event.position()
        self.update()
        if abs(end.x() - start.x()) < MIN_DRAG_PX or abs(end.y() - start.y()) < MIN_DRAG_PX:
            return
        (ax, ay), (bx, by) = self.to_photo(start), self.to_photo(end)
        box = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
        if box[2] - box[0] >= 1 and box[3] - box[1] >= 1:
            self.pending = box
            self.face_drawn.emit(box)

    def face_at(self, pos: QPointF) -> queries.FaceRow | None:
        for face in self.faces:
            if self.face_rect(face).contains(pos):
                return face
        return None

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.image is None:
            return
        painter.drawImage(self._target(), self.image)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for face in self.faces:
            rect = self.face_rect(face)
            hovered = face.id == self.hover
            colour = box_colour(face)
            marked = face.id == self.highlight
            if marked:
                colour = HIGHLIGHT
            painter.setPen(QPen(QColor(0, 0, 0, 140), 7 if marked else 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QPen(colour, 4 if marked else 3 if hovered else 2))
            painter.drawRoundedRect(rect, 4, 4)
            label = face.person_name or ("ignored" if face.ignored else "")
            if label:
                text_w = metrics.horizontalAdvance(label) + 10
                tag = QRectF(rect.left(), rect.bottom() + 3, text_w, metrics.height() + 4)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(0, 0, 0, 170))
                painter.drawRoundedRect(tag, 4, 4)
                painter.setPen(QColor("white"))
                painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
        rubber = (QRectF(*self._drag).normalized() if self._drag is not None else
                  self.box_rect(self.pending) if self.pending is not None else None)
        if rubber is not None:  # the box being drawn, or waiting for its name
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 4))
            painter.drawRect(rubber)
            painter.setPen(QPen(QColor("#7cff6b"), 2, Qt.PenStyle.DashLine))
            painter.drawRect(rubber)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None:
            self._drag = (self._drag[0], event.position())
            self.update()
            return
        face = self.face_at(event.position())
        hover = face.id if face else None
        if hover != self.hover:
            self.hover = hover
            self.update()
            if face is None:
                QToolTip.hideText()

    def event(self, event) -> bool:
        """Hovering a face a moment tells whose it is, in the legend's words."""
        if event.type() == QEvent.Type.ToolTip:
            face = self.face_at(QPointF(event.pos()))
            if face is not None:
                QToolTip.showText(event.globalPos(), face_tooltip(face), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def contextMenuEvent(self, event) -> None:
        face = self.face_at(QPointF(event.pos()))
        if face is not None:
            self.face_menu_requested.emit(face, event.globalPos())


class ViewerPage(Page):
    title = "photo"
    back_requested = Signal()
    find_person_requested = Signal(object)  # FaceRow

    def __init__(self, ctx: AppContext, actions: PeopleActions,
                 completer: names.NameCompleter, parent=None) -> None:
        super().__init__(ctx, parent)
        self.actions = actions
        self.completer = completer
        self.photo_id: int | None = None
        self.sequence: list[int] = []
        self.highlight: int | None = None  # a face to mark (opened from Review)
        back = QToolButton()
        back.setIcon(icons.icon("back"))
        back.setToolTip("Back (Esc)")
        back.setAutoRaise(True)
        back.clicked.connect(self.back_requested)
        self.caption = QLabel()
        self.info = QLabel()
        hints.hint(self.info)
        self.legend = QLabel(legend_html())
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setToolTip("What the colours of the face boxes mean")
        hints.hint(self.legend)
        self.legend.hide()
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 12, 6)
        bar.addWidget(back)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.info)
        bar.addSpacing(16)
        bar.addWidget(self.legend)
        self.canvas = PhotoCanvas(self)
        self.canvas.setBackgroundRole(QPalette.ColorRole.Dark)
        self.canvas.setAutoFillBackground(True)
        self.canvas.face_menu_requested.connect(self.face_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.draw_button = QToolButton()
        self.draw_button.setText("Draw a face")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Box a face the detector missed: drag over it, then name "
                                    "it (Shift+drag does the same at any time)")
        self.draw_button.toggled.connect(self.canvas.set_drawing)
        bar.insertWidget(1, self.draw_button)   # after Back: it stays put as captions change
        self.canvas.face_drawn.connect(self.name_drawn_face)
        self._analyzers: dict = {}  # the models, loaded once by the first drawn face

    def show_photo(self, photo_id: int, sequence: list[int] | None = None,
                   highlight: int | None = None) -> None:
        self.photo_id = photo_id
        self.highlight = highlight
        if sequence is not None:
            self.sequence = sequence
        self.canvas.set_photo(None, (0, 0), [])
        self.caption.setText("Loading…")
        self._dirty = True
        self.refresh()

    def load(self) -> None:
        if self.photo_id is None:
            self.loaded()
            return
        self.ctx.read(load_photo(self.photo_id), self._apply, self.load_failed,
                      what="opening the photo")

    def _apply(self, result) -> None:
        record, faces, image, full_size = result
        self.loaded()
        if record is None:
            self.caption.setText("This photo is no longer in the library.")
            return
        faces = [f for f in faces if not f.ignored]   # "Not a face": gone from the photo
        self.canvas.set_photo(image, full_size, faces, self.highlight)
        self.legend.setText(legend_html(asked=any(f.id == self.highlight for f in faces)))
        self.legend.setVisible(bool(faces))
        self.caption.setText(Path(record.path).name)
        named = sorted({f.person_name for f in faces if f.person_name})
        parts = [format_taken(record.taken_at),
                 f"{len(faces)} face" + ("" if len(faces) == 1 else "s")]
        if named:
            parts.append(", ".join(named))
        self.info.setText(" · ".join(parts))

    def step(self, delta: int) -> None:
        if self.photo_id in self.sequence:
            i = self.sequence.index(self.photo_id) + delta
            if 0 <= i < len(self.sequence):
                self.show_photo(self.sequence[i])

    def keyPressEvent(self, event) -> None:
        hovered = next((f for f in self.canvas.faces if f.id == self.canvas.hover), None)
        if event.key() == Qt.Key.Key_Delete and hovered is not None:
            self.actions.ignore([hovered.id])  # Del: ignore the face under the mouse
        elif event.key() in (Qt.Key.Key_Right, Qt.Key.Key_Space):
            self.step(1)
        elif event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Backspace):
            self.step(-1)
        else:
            super().keyPressEvent(event)

    # -- face actions -------------------------------------------------------------------------
    def face_menu(self, face: queries.FaceRow, global_pos) -> None:
        menu = QMenu(self)
        menu.addAction(icons.icon("search"), "Find this person",
                       lambda: self.find_person_requested.emit(face))
        menu.addAction("This is…", lambda: self.name_face(face))
        if face.person_id is not None:
            menu.addAction(not_label(face.person_name),
                           lambda: self.actions.reject([face.id], face.person_id))
        menu.addAction(icons.icon("ignore"), "Not a face", lambda: self.actions.ignore([face.id]))
        menu.popup(global_pos)

    def name_face(self, face: queries.FaceRow) -> None:
        """Who is this? Picked among people shown with their faces, or a new name."""
        from .person_picker import pick_person

        def move(to) -> None:
            if isinstance(to, str):  # a name no one has: a new person
                self.actions.move_faces([face.id], None, name=to)
            elif to.id != face.person_id:
                self.actions.move_faces([face.id], to.id)

        pick_person(self, self.ctx, "This is…", "Who is this? (type a new name for someone "
                    "new)", move, exclude={face.person_id} if face.person_id else set(),
                    allow_new=True)

    # -- a face drawn by hand -----------------------------------------------------------------
    def name_drawn_face(self, box) -> None:
        """Whose face is the box just drawn? Then embedded (a worker: decode and the models)
        and stored as the user's own choice."""
        from .person_picker import pick_person

        photo_id = self.photo_id

        def chosen(to) -> None:
            name = to if isinstance(to, str) else None
            person = None if isinstance(to, str) else to.id
            self.caption.setText("Adding the face…")
            analyzers, directory = self._analyzers, self.ctx.catalog_dir

            def embed():
                from core.people.drawn import embed_drawn_face

                return embed_drawn_face(worker_catalog(directory), photo_id, box,
                                        cache=analyzers)

            # the inference pool (one thread): loading the models and embedding take seconds,
            # which in the reads pool would hold up the pages' reads, and the models' cache
            # is filled by one thread at a time
            self.ctx.workers.run("inference", embed,
                                 lambda drawn: self._store_drawn(drawn, person, name),
                                 self._drawn_failed, what="embedding the face drawn")

        picker = pick_person(self, self.ctx, "Draw a face", "Whose face is this? (type a new "
                             "name for someone new)", chosen, allow_new=True)
        picker.rejected.connect(self._forget_drawn)
        self._place_beside_box(picker, box)

    def _place_beside_box(self, dialog, box) -> None:
        """The picker beside the box just drawn, not over it: the face asked about stays in
        sight (centred on the window, the picker covered a box in the middle of the photo)."""
        rect = self.canvas.box_rect(box)
        top_left = self.canvas.mapToGlobal(rect.topLeft().toPoint())
        bottom_right = self.canvas.mapToGlobal(rect.bottomRight().toPoint())
        screen = (self.screen() or dialog.screen()).availableGeometry()
        size = dialog.frameGeometry().size()
        gap = 12
        x = bottom_right.x() + gap                      # right of the box
        if x + size.width() > screen.right():
            x = top_left.x() - gap - size.width()       # else left of it
        x = max(screen.left(), min(x, screen.right() - size.width()))
        y = max(screen.top(), min(top_left.y(), screen.bottom() - size.height()))
        dialog.move(x, y)

    def _store_drawn(self, drawn, person, name) -> None:
        def stored(_result) -> None:
            self.draw_button.setChecked(False)   # (said in the status bar, too small or not)
            self.show_photo(drawn.photo_id)

        self.actions.add_face(drawn, person, name=name, on_success=stored,
                              on_error=self._drawn_failed)

    def _drawn_failed(self, error) -> None:
        self._forget_drawn()
        self.caption.setText(f"The face could not be added: {error}")

    def _forget_drawn(self) -> None:
        self.canvas.pending = None
        self.canvas.update()
