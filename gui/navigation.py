"""The sidebar's sections and the way back: which page is on screen, the section highlighted
with it, and the pages to go back to."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QLineEdit, QListWidget,
                               QListWidgetItem, QStackedWidget, QTextEdit, QWidget)

from .views import icons

SECTIONS = [("people", "People"), ("photos", "Photos"), ("review", "Review"),
            ("albums", "Albums"), ("search", "Search")]


class Sidebar(QListWidget):
    """The sections, then Problems (shown only while there is something to say)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(QSize(20, 20))
        self.setFixedWidth(170)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.setSpacing(2)
        for key, label in SECTIONS + [("problems", "Problems")]:
            item = QListWidgetItem(icons.icon(key), label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(150, 34))
            self.addItem(item)
        self.item_of("problems").setHidden(True)

    def row_of(self, key: str) -> int | None:
        return next((row for row in range(self.count())
                     if self.item(row).data(Qt.ItemDataRole.UserRole) == key), None)

    def item_of(self, key: str) -> QListWidgetItem | None:
        row = self.row_of(key)
        return self.item(row) if row is not None else None

    def highlighted(self) -> str | None:
        item = self.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def highlight(self, key: str | None) -> None:
        """Show `key` as the current section without going there."""
        row = self.row_of(key) if key is not None else None
        if row is not None:
            self.blockSignals(True)
            self.setCurrentRow(row)
            self.blockSignals(False)


class Navigation(QObject):
    """Going to pages and back. A section chosen in the sidebar starts a new history; a page
    opened from another (a person, a photo, a search) remembers where it came from."""

    def __init__(self, pages: QStackedWidget, sidebar: Sidebar,
                 section_pages: dict[str, QWidget], welcome: QWidget, *,
                 focus_on_entry: dict[QWidget, QWidget] | None = None,
                 parent: QObject | None = None) -> None:
        """`focus_on_entry`: the widget that takes the keys when a section is chosen."""
        super().__init__(parent)
        self.pages, self.sidebar, self.welcome = pages, sidebar, welcome
        self.section_pages = section_pages
        self.focus_on_entry = dict(focus_on_entry or {})
        # pages to go back to, each with the sidebar section that was highlighted with it
        self.history: list[tuple[QWidget, str | None]] = []
        sidebar.currentItemChanged.connect(self._section_chosen)
        sidebar.setCurrentRow(0)

    def _section_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        page = self.section_pages.get(item.data(Qt.ItemDataRole.UserRole))
        if page is not None and self.pages.currentWidget() is not self.welcome:
            self.go_to(page, remember=False)
            focus = self.focus_on_entry.get(page)
            if focus is not None:
                QTimer.singleShot(0, focus.setFocus)

    def show_section(self, key: str) -> None:
        row = self.sidebar.row_of(key)
        if row is not None:
            self.sidebar.setCurrentRow(row)
        page = self.section_pages.get(key)
        if page is not None:
            self.go_to(page, remember=False)

    def go_to(self, page: QWidget, remember: bool = True) -> None:
        current = self.pages.currentWidget()
        if current is page:
            return
        if remember and current is not None and current is not self.welcome:
            self.history.append((current, self.sidebar.highlighted()))
        elif not remember:
            self.history.clear()
        self.pages.setCurrentWidget(page)

    def back(self) -> None:
        if self.history:
            page, section = self.history.pop()
            self.pages.setCurrentWidget(page)
            # the section it was shown under (a viewer opened from Photos says Photos again)
            self.sidebar.highlight(section)

    def escape(self) -> None:
        """Esc: back a page, unless the user is typing: Esc in a text box belongs to the box
        (it used to leave the Search page from a name box)."""
        if isinstance(QApplication.focusWidget(), (QLineEdit, QAbstractSpinBox, QTextEdit)):
            return
        self.back()

    def go_to_section_page(self, page: QWidget) -> None:
        """Open a section's page from another page (Find this person → Search): it remembers
        where it came from, and the sidebar shows the page's section."""
        self.go_to(page)
        key = next((k for k, p in self.section_pages.items() if p is page), None)
        self.sidebar.highlight(key)
