"""People chips: type a name (autocomplete), Enter adds a chip, click a chip's × to remove it.

The completer is shared by every name box of the window, and a QLineEdit answers its
`activated` itself (it sets the picked name as its text) after our slot has run: the box is
emptied on the next turn of the event loop, not in the slot, or the picked name stayed in it
and the next one typed was glued to it ("Colin PowellGeorge").
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QToolButton, QWidget

from .flow import FlowLayout
from .names import NameCompleter

CHIP_MAX_PX = 160  # a longer name is shortened with "…" (the whole name is the tooltip)


class NameBox(QLineEdit):
    """A name box where Esc empties the box (the completer's popup, when open, takes Esc
    first and closes): the window's Esc, which goes back a page, is not triggered from here."""

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Escape:
            event.accept()   # ours: a KeyPress follows instead of the shortcut
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)


class PeopleChips(QWidget):
    changed = Signal()

    def __init__(self, label: str, completer: NameCompleter, parent=None) -> None:
        super().__init__(parent)
        self.completer = completer
        self._chips: dict[str, QToolButton] = {}   # by name, in the order added
        # The caption, the chips and the name box flow and wrap within the box's width: long
        # or many names make it taller, never the window wider.
        self.layout_ = FlowLayout(self)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        if label:
            self.layout_.addWidget(QLabel(label))
        self.edit = NameBox()
        self.edit.setPlaceholderText("name…")
        self.edit.setCompleter(completer)
        self.edit.setFixedWidth(130)
        self.edit.returnPressed.connect(self._add_typed)
        completer.activated.connect(self._completed)
        self.layout_.addWidget(self.edit)

    def _completed(self, text: str) -> None:
        if self.completer.widget() is not self.edit:
            return  # picked in another box
        self.edit.setText(text)
        # after the line edit's own answer to `activated` (see the module's docstring)
        QTimer.singleShot(0, self._add_typed)

    def _add_typed(self) -> None:
        text = self.edit.text().strip()
        self.edit.clear()
        if text:
            self.add(text)

    def add(self, name: str) -> None:
        if name.lower() in (n.lower() for n in self._chips):
            return
        chip = QToolButton()
        shown = chip.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, CHIP_MAX_PX)
        chip.setText(f"{shown}  ×")
        chip.setToolTip(f"Remove {name}")
        chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        chip.clicked.connect(lambda: self.remove(name))
        # chips go before the name box, in the order added
        self.layout_.insertWidgetBefore(chip, self.edit)
        self._chips[name] = chip
        self.changed.emit()

    def remove(self, name: str) -> None:
        chip = self._chips.pop(name, None)
        if chip is not None:
            self._drop(chip)
        self.changed.emit()

    def clear(self) -> None:
        self.edit.clear()   # a name typed but not added goes too
        chips, self._chips = self._chips, {}
        for chip in chips.values():
            self._drop(chip)
        self.changed.emit()

    def _drop(self, chip: QToolButton) -> None:
        self.layout_.removeWidget(chip)
        chip.deleteLater()

    def refs(self) -> list[int | str]:
        """Names: the search core resolves a name to every person called that."""
        return list(self._chips)
