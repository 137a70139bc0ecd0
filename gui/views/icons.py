"""Icons from resources/icons/*.svg, drawn in the palette's text colour (light and dark themes).

The SVGs stroke with `currentColor`; we substitute the current palette colour and render
through QSvgRenderer at every size and device pixel ratio a view asks for (high-DPI sharp).
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from core.resource_files import resource_path

ICONS = resource_path("icons")


@lru_cache(maxsize=None)
def _svg(name: str) -> str:
    return (ICONS / f"{name}.svg").read_text()


@lru_cache(maxsize=256)
def _renderer(name: str, colour: str) -> QSvgRenderer:
    return QSvgRenderer(QByteArray(_svg(name).replace("currentColor", colour).encode()))


@lru_cache(maxsize=512)
def _pixmap(name: str, colour: str, width: int, height: int, scale: float) -> QPixmap:
    """Rendered once per name, colour (palette) and size: painting an icon is then a blit."""
    pixmap = QPixmap(QSize(width, height) * scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    _renderer(name, colour).render(painter)
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    return pixmap


class _SvgEngine(QIconEngine):
    """Renders on demand, so the icon follows palette changes (system light/dark switch)."""

    def __init__(self, name: str, role: QPalette.ColorRole) -> None:
        super().__init__()
        self.name = name
        self.role = role

    def _colour(self, mode: QIcon.Mode) -> str:
        palette = QApplication.palette()
        group = QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else \
            QPalette.ColorGroup.Active
        role = QPalette.ColorRole.HighlightedText if mode == QIcon.Mode.Selected else self.role
        colour: QColor = palette.color(group, role)
        return colour.name(QColor.NameFormat.HexRgb)  # SVG knows #rrggbb, not #aarrggbb

    def _renderer(self, mode: QIcon.Mode) -> QSvgRenderer:
        return _renderer(self.name, self._colour(mode))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state,
                                                   painter.device().devicePixelRatioF()))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,
                     scale: float) -> QPixmap:
        return _pixmap(self.name, self._colour(mode), size.width(), size.height(), scale)

    def clone(self) -> QIconEngine:
        return _SvgEngine(self.name, self.role)


def icon(name: str, role: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> QIcon:
    if name == "app":
        return QIcon(str(ICONS / "app.svg"))
    return QIcon(_SvgEngine(name, role))


def pixmap(name: str, px: int, role: QPalette.ColorRole = QPalette.ColorRole.WindowText,
           ratio: float = 1.0) -> QPixmap:
    return icon(name, role).pixmap(QSize(px, px), ratio)
