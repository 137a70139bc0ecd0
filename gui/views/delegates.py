"""Painting grid cells: photos (month headers, badge), person cards (round face), face crops.

Colours come from the palette so light and dark themes both read well.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette,
                           QPen, QPixmap)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..models import people as people_roles
from ..models.photos import photos_phrase
from .hints import soft_colour

HEADER_INDENT = 10  # px: month headers start where the thumbnails' pictures do
HEADER_HEIGHT = 40


def _fit(pixmap: QPixmap, rect: QRect, fill: bool = False) -> QRectF:
    """Where to draw `pixmap` inside `rect`: fitted (letterboxed) or filled (cropped)."""
    ratio = pixmap.devicePixelRatio() or 1.0
    w, h = pixmap.width() / ratio, pixmap.height() / ratio
    if w <= 0 or h <= 0:
        return QRectF(rect)
    scale = (max if fill else min)(rect.width() / w, rect.height() / h)
    if abs(scale - 1.0) < 0.02:  # made at display size: a 1:1 blit at whole pixels (fast)
        scale = 1.0
    sw, sh = w * scale, h * scale
    return QRectF(round(rect.left() + (rect.width() - sw) / 2),
                  round(rect.top() + (rect.height() - sh) / 2), sw, sh)


def draw_thumbnail(painter: QPainter, pixmap: QPixmap, rect: QRect,
                   fill: bool = False) -> QRectF:
    """Draw `pixmap` fitted into `rect`; returns where it went."""
    target = _fit(pixmap, rect, fill)
    ratio = pixmap.devicePixelRatio() or 1.0
    if abs(target.width() - pixmap.width() / ratio) < 0.5 and \
            abs(target.height() - pixmap.height() / ratio) < 0.5:
        painter.drawPixmap(int(target.left()), int(target.top()), pixmap)  # 1:1 blit
    else:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
        painter.restore()
    return target


def _selection(painter: QPainter, option: QStyleOptionViewItem, rect: QRect,
               radius: float = 6.0) -> None:
    palette = option.palette
    if option.state & QStyle.StateFlag.State_Selected:
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5), radius, radius)
    elif option.state & QStyle.StateFlag.State_MouseOver:
        colour = QColor(palette.color(QPalette.ColorRole.Highlight))
        colour.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(rect), radius, radius)


def paint_month_header(painter: QPainter, rect: QRect, palette: QPalette, font: QFont,
                       title: str, count: int) -> None:
    """A month's header: its title, and its photo count in the hint colour."""
    painter.save()
    rect = rect.adjusted(HEADER_INDENT, 0, -HEADER_INDENT, 0)
    title_font = QFont(font)
    title_font.setPointSizeF(font.pointSizeF() * 1.15)
    title_font.setBold(True)
    painter.setFont(title_font)
    painter.setPen(palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text))
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(rect, flags, title)
    width = painter.fontMetrics().horizontalAdvance(title + "  ")
    painter.setFont(font)
    painter.setPen(soft_colour(palette, QPalette.ColorRole.Base, QPalette.ColorRole.Text))
    painter.drawText(rect.adjusted(width, 0, 0, 0), flags, photos_phrase(count))
    painter.restore()


def paint_compact_header(painter: QPainter, rect: QRect, palette: QPalette, font: QFont,
                         title: str, count: int) -> None:
    """A small month's header in a cell of its own, beside its photos: the month and the
    year on two lines, the photo count below, a rule on the left tying it to its photos."""
    painter.save()
    rule = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Mid)
    painter.fillRect(QRect(rect.left() + 4, rect.top() + 14, 2, rect.height() - 28), rule)
    inner = rect.adjusted(HEADER_INDENT + 4, 8, -6, -8)
    title_font = QFont(font)
    title_font.setPointSizeF(font.pointSizeF() * 1.15)
    title_font.setBold(True)
    painter.setFont(title_font)
    line = painter.fontMetrics().height()
    count_line = QFontMetrics(font).height()
    top = inner.top() + max(0, (inner.height() - 2 * line - count_line - 4) // 2)
    painter.setPen(palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text))
    month, _, year = title.rpartition(" ")
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    for n, text in enumerate((month or title, year if month else "")):
        painter.drawText(QRect(inner.left(), top + n * line, inner.width(), line), flags,
                         painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                          inner.width()))
    painter.setFont(font)
    painter.setPen(soft_colour(palette, QPalette.ColorRole.Base, QPalette.ColorRole.Text))
    painter.drawText(QRect(inner.left(), top + 2 * line + 4, inner.width(), count_line), flags,
                     photos_phrase(count))
    painter.restore()


class PhotoDelegate(QStyledItemDelegate):
    """Photo cells and the month headers between them. The grid sets `cell` (a photo's cell,
    widened to fill the row) and `row_width`. A month's header takes a whole row, unless the
    month is small: when its header and photos fit in one row, the header is a cell of its
    own beside them (`MonthSections.compact_header`), so that a run of months with a photo
    or two shares rows instead of taking two rows each."""

    def __init__(self, cell: int = 176, parent=None) -> None:
        super().__init__(parent)
        self.cell = QSize(cell, cell)
        self.row_width = cell

    def compact(self, index) -> bool:
        """Is this header a compact (one-cell) one? (`MonthSections.compact_header`)"""
        columns = max(1, self.row_width // max(1, self.cell.width()))
        return index.model().compact_header(index.row(), columns)

    def sizeHint(self, option, index) -> QSize:
        if index.model().is_header(index.row()):
            return self.cell if self.compact(index) else QSize(self.row_width, HEADER_HEIGHT)
        return self.cell

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        # Hot path (a screenful of cells per scroll step): one call into the model for
        # everything the cell shows, instead of a QVariant round trip per role.
        pixmap, header, badge = index.model().cell(index.row())
        if header is not None:
            # a header is a disabled item: the normal colours, not the greyed ones
            paint = paint_compact_header if self.compact(index) else paint_month_header
            paint(painter, option.rect, option.palette, option.font, *header)
            return
        state = option.state
        if state & (QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_MouseOver):
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            _selection(painter, option, option.rect)
        rect = option.rect.adjusted(4, 4, -4, -4)
        picture = rect
        if pixmap is not None and not pixmap.isNull():
            drawn = draw_thumbnail(painter, pixmap, rect.adjusted(3, 3, -3, -3)).toRect()
            picture = drawn.adjusted(-3, -3, 3, 3)
        if badge:  # on the picture itself (a portrait is narrower than its cell)
            self._chip(painter, option, picture, badge)

    @staticmethod
    def _chip(painter: QPainter, option, rect: QRect, text: str) -> None:
        """A rounded label at the bottom left of `rect` (a search hit's similarity)."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = min(rect.width() - 8, metrics.horizontalAdvance(text) + 14)
        height = metrics.height() + 6
        y = rect.bottom() - height - 4
        chip = QRectF(rect.left() + 4, y, width, height)
        palette = option.palette
        background = QColor(palette.color(QPalette.ColorRole.Window))
        background.setAlpha(225)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter,
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width) - 10))
        painter.restore()


class PersonDelegate(QStyledItemDelegate):
    """A card: round face, the name (or "Unnamed" in a softer colour), the photo count."""

    def __init__(self, face: int = 120, parent=None) -> None:
        super().__init__(parent)
        self.face = face

    def sizeHint(self, option, index) -> QSize:
        line = option.fontMetrics.height()
        width = self.face + 40
        if index is not None and hasattr(option.widget, "gridSize"):
            # a card takes its whole grid cell, which is wider when the grid shares out a
            # row's width: a long name is cut later
            width = max(width, option.widget.gridSize().width())
        return QSize(width, self.face + 24 + 2 * line + 8)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        palette = option.palette
        _selection(painter, option, option.rect.adjusted(2, 2, -2, -2), 10)
        circle = QRect(option.rect.center().x() - self.face // 2, option.rect.top() + 12,
                       self.face, self.face)
        path = QPainterPath()
        path.addEllipse(QRectF(circle))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
        painter.drawPath(path)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            draw_thumbnail(painter, pixmap, circle, fill=True)  # already cut round
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QRectF(circle))
        name = index.data(people_roles.NameRole)
        count = index.data(people_roles.CountRole) or 0
        metrics = option.fontMetrics
        text_rect = QRect(option.rect.left() + 4, circle.bottom() + 8, option.rect.width() - 8,
                          metrics.height())
        font = QFont(option.font)
        font.setBold(bool(name))
        font.setItalic(not name)
        painter.setFont(font)
        soft = soft_colour(palette, QPalette.ColorRole.Base, QPalette.ColorRole.Text)
        colour = palette.color(QPalette.ColorRole.Text) if name else soft
        painter.setPen(colour)
        label = name or people_roles.UNNAMED
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter,
                         painter.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight,
                                                          text_rect.width()))
        painter.setFont(option.font)
        painter.setPen(soft)
        count_rect = text_rect.translated(0, metrics.height() + 2)
        painter.drawText(count_rect, Qt.AlignmentFlag.AlignHCenter,
                         f"{count} photo" + ("" if count == 1 else "s"))
        if index.data(people_roles.HiddenRole):
            # the face dimmed, and a dark pill with white text: readable on any photo
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 90))
            painter.drawPath(path)
            text = "Hidden"
            width, height = metrics.horizontalAdvance(text) + 14, metrics.height() + 4
            pill = QRect(circle.center().x() - width // 2, circle.bottom() - height - 8,
                         width, height)
            painter.setBrush(QColor(0, 0, 0, 190))
            painter.drawRoundedRect(QRectF(pill), height / 2, height / 2)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class FaceDelegate(QStyledItemDelegate):
    """A square face crop with an optional caption (a suggestion's score)."""

    def __init__(self, px: int = 96, parent=None) -> None:
        super().__init__(parent)
        self.px = px

    def sizeHint(self, option, index) -> QSize:
        caption = option.fontMetrics.height() if index.data(Qt.ItemDataRole.DisplayRole) else 0
        return QSize(self.px + 12, self.px + 12 + caption)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        _selection(painter, option, option.rect.adjusted(1, 1, -1, -1))
        square = QRect(option.rect.left() + 6, option.rect.top() + 6, self.px, self.px)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        path = QPainterPath()
        path.addRoundedRect(QRectF(square), 8, 8)
        painter.setClipPath(path)
        painter.fillRect(square, option.palette.color(QPalette.ColorRole.AlternateBase))
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            draw_thumbnail(painter, pixmap, square, fill=True)
        painter.setClipping(False)
        caption = index.data(Qt.ItemDataRole.DisplayRole)
        if caption:
            painter.setPen(option.palette.color(QPalette.ColorRole.Text))
            painter.drawText(QRect(square.left(), square.bottom() + 2, square.width(),
                                   option.fontMetrics.height()), Qt.AlignmentFlag.AlignCenter,
                             caption)
        painter.restore()

