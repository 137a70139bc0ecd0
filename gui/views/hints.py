"""Secondary text ("hint" text: counts, notes, empty-page messages) that stays readable.

Hints used to be disabled labels: Qt greys a disabled label with the palette's disabled text
colour, which is #bebebe on #efefef in Fusion's light palette (contrast 1.6:1) and often as
dim in dark system palettes. A hint is an enabled label in a colour between the text and the
background, moved towards the text until it reaches WCAG AA contrast (4.5:1) on that
background, recomputed when the system switches between light and dark.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

MIN_CONTRAST = 4.5
SOFTNESS = 0.42   # how far from the text colour towards the background a hint starts


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(text: QColor, background: QColor, t: float) -> QColor:
    return QColor(round(text.red() + (background.red() - text.red()) * t),
                  round(text.green() + (background.green() - text.green()) * t),
                  round(text.blue() + (background.blue() - text.blue()) * t))


@lru_cache(maxsize=32)
def _soft(text: int, background: int) -> int:
    text_c, back_c = QColor.fromRgb(text), QColor.fromRgb(background)
    t = SOFTNESS
    colour = _mix(text_c, back_c, t)
    while t > 0 and contrast(colour, back_c) < MIN_CONTRAST:
        t = max(0.0, t - 0.02)
        colour = _mix(text_c, back_c, t)
    return colour.rgb()


def soft_colour(palette: QPalette, background: QPalette.ColorRole = QPalette.ColorRole.Window,
                text: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> QColor:
    """The hint colour for text on `background` of `palette` (readable: >= 4.5:1)."""
    group = QPalette.ColorGroup.Active
    return QColor.fromRgb(_soft(palette.color(group, text).rgb(),
                                palette.color(group, background).rgb()))


class _Restyle(QObject):
    """Gives the label its hint colour now and after every application palette change."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.widget = widget
        widget.installEventFilter(self)
        self.apply()

    def apply(self) -> None:
        base = QApplication.palette(self.widget)
        colour = soft_colour(base)
        palette = self.widget.palette()
        if palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText) == colour:
            return
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            palette.setColor(group, QPalette.ColorRole.WindowText, colour)
            palette.setColor(group, QPalette.ColorRole.Text, colour)
        self.widget.setPalette(palette)

    def eventFilter(self, watched, event) -> bool:
        # (the palette change our own setPalette causes finds the colour already right)
        if event.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange):
            self.apply()
        return False


def hint(widget: QWidget) -> QWidget:
    """Style `widget` (a QLabel) as hint text; returns it."""
    _Restyle(widget)
    return widget
