"""People chips: type a name (autocomplete), Enter adds a chip, click a chip's × to remove it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from .names import NameCompleter


class PeopleChips(QWidget):
    changed = Signal()

    def __init__(self, label: str, completer: NameCompleter, parent=None) -> None:
        super().__init__(parent)
        self.completer = completer
        self.names: list[str] = []
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        caption = QLabel(label)
        self.layout_.addWidget(caption)
        self.chips = QHBoxLayout()
        self.chips.setSpacing(4)
        self.layout_.addLayout(self.chips)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("name…")
        self.edit.setCompleter(completer)
        self.edit.setMaximumWidth(140)
        self.edit.returnPressed.connect(self._add_typed)
        completer.activated.connect(self._completed)
        self.layout_.addWidget(self.edit)

    def _completed(self, text: str) -> None:
        if self.edit.hasFocus():
            self.edit.setText(text)
            self._add_typed()

    def _add_typed(self) -> None:
        text = self.edit.text().strip()
        self.edit.clear()
        if text:
            self.add(text)

    def add(self, name: str) -> None:
        if name.lower() in (n.lower() for n in self.names):
            return
        self.names.append(name)
        chip = QToolButton()
        chip.setText(f"{name}  ×")
        chip.setToolTip(f"Remove {name}")
        chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        chip.clicked.connect(lambda: self.remove(name, chip))
        self.chips.addWidget(chip)
        self.changed.emit()

    def remove(self, name: str, chip: QToolButton) -> None:
        if name in self.names:
            self.names.remove(name)
        chip.deleteLater()
        self.changed.emit()

    def clear(self) -> None:
        self.names = []
        while self.chips.count():
            item = self.chips.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.changed.emit()

    def refs(self) -> list[int | str]:
        """Names: the search core resolves a name to every person called that."""
        return list(self.names)
