"""The status-bar progress for long jobs: bar, photos/s, time left, pause and cancel."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from core.jobs import Progress

from ..workers.jobs import Job
from . import icons

STAGE_TITLES = {
    "scan": "Looking for photos",
    "index": "Finding faces",
    "detect": "Finding faces",
    "embed": "Finding faces",
    "cluster": "Grouping faces into people",
    "people": "Grouping faces into people",
    "export": "Exporting",
}


def describe(progress: Progress) -> str:
    """One line for the status bar: what, how far, how fast, how long."""
    title = STAGE_TITLES.get(progress.stage, progress.stage.capitalize())
    parts = [title]
    if progress.total:
        parts.append(f"{progress.done:,} of {progress.total:,}")
    elif progress.done:
        parts.append(f"{progress.done:,}")
    if progress.rate:
        unit = "photos/s" if progress.stage in ("index", "detect", "embed", "scan") else "/s"
        parts.append(f"{progress.rate:.1f} {unit}")
    if progress.eta_s is not None and progress.total and progress.done < progress.total:
        minutes, seconds = divmod(int(progress.eta_s), 60)
        parts.append(f"{minutes} min {seconds:02d} s left" if minutes else f"{seconds} s left")
    faces = progress.counters.get("faces")
    if faces:
        parts.append(f"{faces:,} faces")
    errors = progress.counters.get("errors")
    if errors:
        parts.append(f"{errors:,} unreadable")
    return " · ".join(parts)


HINT_MAX_PX = 380


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when the window is too narrow for it (the full text
    is the tooltip), instead of being cut mid-word or squeezing the progress bar."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._full = ""
        self._full_width = 0

    def setText(self, text: str) -> None:
        hint = self._hint_width()
        self._full = text
        self._full_width = self.fontMetrics().horizontalAdvance(text)
        self.setToolTip(text)
        self._elide()
        if self._hint_width() != hint:   # (a progress tick mostly keeps the width)
            self.updateGeometry()

    def _hint_width(self) -> int:
        return min(self._full_width + 8, HINT_MAX_PX)

    def text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        # at most what a short line needs: the status bar keeps room for its messages
        # ("Undid the renaming…") beside a long progress text
        hint = super().sizeHint()
        return QSize(self._hint_width(), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(80, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                      self.width()))


class JobStatus(QWidget):
    """Shows one running job; hidden when idle. Cancel always works, pause where allowed."""

    cancel_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self._progress_text = ""
        self.label = ElidedLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(240)
        self.bar.setMinimumWidth(120)
        self.bar.setTextVisible(False)
        self.pause_button = QToolButton()
        self.pause_button.setIcon(icons.icon("pause"))
        self.pause_button.setToolTip("Pause")
        self.pause_button.setIconSize(QSize(16, 16))
        self.pause_button.setAutoRaise(True)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icons.icon("cancel"))
        self.cancel_button.setToolTip("Cancel")
        self.cancel_button.setIconSize(QSize(16, 16))
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.cancel_button)
        self.hide()

    def attach(self, job: Job, title: str, pausable: bool = True) -> None:
        self.job = job
        self._progress_text = title
        self.label.setText(title)
        self.bar.setRange(0, 0)  # busy until the first progress
        self.pause_button.setVisible(pausable)
        self.pause_button.setIcon(icons.icon("pause"))
        self.cancel_button.setEnabled(True)
        job.progress.connect(self.show_progress)
        job.paused_changed.connect(self._paused)
        for signal in (job.finished, job.failed, job.cancelled):
            signal.connect(self._ended)
        self.show()

    def show_progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
        else:
            self.bar.setRange(0, 0)
        self._progress_text = describe(progress)
        self._show_progress_text()

    def _show_progress_text(self) -> None:
        text = self._progress_text
        if self.job is not None and self.job.paused:
            text = f"Paused · {text}"  # first: the end of a long line may be cut off
        self.label.setText(text)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.label.setText("Stopping…")
            self.cancel_button.setEnabled(False)

    def _toggle_pause(self) -> None:
        if self.job is None:
            return
        if self.job.paused:
            self.job.resume()
        else:
            self.job.pause()

    def _paused(self, paused: bool) -> None:
        self.pause_button.setIcon(icons.icon("play" if paused else "pause"))
        self.pause_button.setToolTip("Resume" if paused else "Pause")
        self._show_progress_text()

    def _ended(self, *_args) -> None:
        self.job = None
        self.hide()
