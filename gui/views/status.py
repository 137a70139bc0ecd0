"""The status-bar progress for long jobs: bar, photos/s, time left, pause and cancel; and the
status bar's notices with a button (Undo, Show, Resume).

The line never cuts a word: when the window is narrow, whole parts go (the speed first, the
title last). The speed and the time left are measured here, over the recent working time of
the job: a pause is not counted, and the time left is never "0 s" while photos remain.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QStatusBar,
                               QToolButton, QWidget)

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
PHOTO_STAGES = ("index", "detect", "embed", "scan")

# which part of the line goes first when it does not fit (higher: dropped sooner)
KEEP_TITLE, KEEP_COUNT, KEEP_ERRORS, KEEP_LEFT, KEEP_FACES, KEEP_RATE = range(6)


def time_left(seconds: float) -> str:
    """Rounded up, never "0 s" (the job is not done)."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s left"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min left"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min left"


def describe_parts(progress: Progress, rate: float | None = None,
                   eta_s: float | None = None) -> list[tuple[str, int]]:
    """The parts of the status line, each with how long it stays when room is short.
    `rate`/`eta_s` (measured by the caller) replace the core's own when given."""
    title = STAGE_TITLES.get(progress.stage, progress.stage.capitalize())
    parts = [(title, KEEP_TITLE)]
    if progress.total:
        parts.append((f"{progress.done:,} of {progress.total:,}", KEEP_COUNT))
    elif progress.done:
        parts.append((f"{progress.done:,}", KEEP_COUNT))
    rate = progress.rate if rate is None else rate
    eta_s = progress.eta_s if eta_s is None else eta_s
    if rate:
        unit = "photos/s" if progress.stage in PHOTO_STAGES else "/s"
        parts.append((f"{rate:.1f} {unit}", KEEP_RATE))
    if eta_s is not None and progress.total and progress.done < progress.total:
        parts.append((time_left(eta_s), KEEP_LEFT))
    faces = progress.counters.get("faces")
    if faces:
        parts.append((f"{faces:,} face{'' if faces == 1 else 's'}", KEEP_FACES))
    errors = progress.counters.get("errors")
    if errors:
        parts.append((f"{errors:,} unreadable", KEEP_ERRORS))
    return parts


def describe(progress: Progress) -> str:
    """One line: what, how far, how fast, how long."""
    return " · ".join(text for text, _keep in describe_parts(progress))


HINT_MAX_PX = 520
SEPARATOR = " · "


class FittedLabel(QLabel):
    """A one-line label that, when the window is too narrow, leaves out whole parts (least
    needed first) instead of cutting a word ("796 face…"); the full text is the tooltip."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._parts: list[tuple[str, int]] = []
        self._full = ""
        self._full_width = 0

    def setText(self, text: str) -> None:
        # a plain text: its " · " parts, the first kept longest
        self.set_parts([(part, i) for i, part in enumerate(text.split(SEPARATOR))])

    def set_parts(self, parts: list[tuple[str, int]]) -> None:
        hint = self._hint_width()
        self._parts = list(parts)
        self._full = SEPARATOR.join(text for text, _keep in parts)
        self._full_width = self.fontMetrics().horizontalAdvance(self._full)
        self.setToolTip(self._full)
        self._fit()
        if self._hint_width() != hint:   # (a progress tick mostly keeps the width)
            self.updateGeometry()

    def _hint_width(self) -> int:
        return min(self._full_width + 8, HINT_MAX_PX)

    def text(self) -> str:
        return self._full

    def shown(self) -> str:
        return super().text()

    def sizeHint(self) -> QSize:
        # at most what a short line needs: the status bar keeps room for its messages
        # ("Undid the renaming…") beside a long progress text
        hint = super().sizeHint()
        return QSize(self._hint_width(), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(80, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        metrics, room = self.fontMetrics(), self.width()
        parts = list(self._parts)
        while len(parts) > 1 and metrics.horizontalAdvance(
                SEPARATOR.join(t for t, _k in parts)) > room:
            parts.remove(max(parts, key=lambda p: p[1]))   # the least needed goes
        text = SEPARATOR.join(t for t, _k in parts)
        words = text.split(" ")
        while len(words) > 1 and metrics.horizontalAdvance(" ".join(words) + "…") > room \
                and metrics.horizontalAdvance(text) > room:
            words.pop()                                     # whole words, never half of one
            text = " ".join(words).rstrip(" ·") + "…"
        super().setText(text)


ElidedLabel = FittedLabel  # (its old name)


class RateMeter:
    """Photos per second over the last `WINDOW_S` of working time; a pause does not count.

    A pause stops the job from taking the core's reports, not the core's workers: they fill
    their queues meanwhile, and the photos done then arrive in a burst on resume. Those are
    counted as done but not as speed (else "12 photos/s, 3 s left" at 6 photos/s)."""

    WINDOW_S = 20.0
    SETTLE_S = 3.0   # no time left before the rate has been watched this long
    BURST_S = 1.5    # the reports right after a resume: photos done during the pause

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.samples: deque[tuple[float, int]] = deque()   # (working seconds, done)
        self.stage = ""
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self._burst_until = -math.inf   # (working time)

    def working_time(self) -> float:
        now = self._paused_at if self._paused_at is not None else self.clock()
        return now - self._paused_total

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self.clock()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused_total += self.clock() - self._paused_at
            self._paused_at = None
            self._burst_until = self.working_time() + self.BURST_S

    def add(self, progress: Progress) -> None:
        if progress.stage != self.stage or (self.samples and progress.done < self.samples[-1][1]):
            self.samples.clear()   # a new stage counts from its own start
            self.stage = progress.stage
        if progress.done == 0:
            return   # from the first photo done on: loading the models is not speed
        now = self.working_time()
        if self.samples and now < self._burst_until:
            # done during the pause: moved into the past samples, so they add no speed
            gained = progress.done - self.samples[-1][1]
            self.samples = deque((t, done + gained) for t, done in self.samples)
        self.samples.append((now, progress.done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.WINDOW_S:
            self.samples.popleft()

    def rate(self) -> float | None:
        if len(self.samples) < 2:
            return None
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        if t1 - t0 <= 0 or d1 <= d0:
            return None
        return (d1 - d0) / (t1 - t0)

    def eta(self, remaining: int) -> float | None:
        rate = self.rate()
        if rate is None or remaining <= 0:
            return None
        t0, t1 = self.samples[0][0], self.samples[-1][0]
        if t1 - t0 < self.SETTLE_S:
            return None
        return remaining / rate


class JobStatus(QWidget):
    """Shows one running job; hidden when idle. Cancel always works, pause where allowed."""

    cancel_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self._parts: list[tuple[str, int]] = []
        self._index: Progress | None = None   # the index's last report, while it runs
        self.meter = RateMeter()
        self.label = FittedLabel()
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
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.cancel_button)
        self.hide()

    def attach(self, job: Job, title: str, pausable: bool = True) -> None:
        self.job = job
        self._index = None
        self.meter = RateMeter()
        self._parts = [(title, KEEP_TITLE)]
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
        index = self._index
        if progress.stage == "index":
            self._index = progress
        elif (progress.stage == "people" and index is not None and index.total
              and index.done < index.total):
            # people appear while indexing goes on: the line keeps saying how far the
            # index is (it used to switch to "Grouping faces 1 of 3" mid-index)
            self._parts = self._index_parts(index) + [("updating people", KEEP_RATE + 1)]
            self._show_parts()
            return
        self.meter.add(progress)
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
        else:
            self.bar.setRange(0, 0)
        self._parts = (self._index_parts(progress) if progress.stage == "index"
                       else describe_parts(progress))
        self._show_parts()

    def _index_parts(self, progress: Progress) -> list[tuple[str, int]]:
        remaining = (progress.total or 0) - progress.done
        rate = self.meter.rate() if self.meter.stage == "index" else None
        eta = self.meter.eta(remaining) if self.meter.stage == "index" else None
        return describe_parts(dataclasses.replace(progress, rate=None, eta_s=None), rate, eta)

    def _show_parts(self) -> None:
        parts = list(self._parts)
        if self.job is not None and self.job.paused:
            parts = [("Paused", -1)] + [p for p in parts if p[1] != KEEP_LEFT]
        self.label.set_parts(parts)

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
        (self.meter.pause if paused else self.meter.resume)()
        self.pause_button.setIcon(icons.icon("play" if paused else "pause"))
        self.pause_button.setToolTip("Resume" if paused else "Pause")
        self._show_parts()

    def _ended(self, *_args) -> None:
        self.job = None
        self.hide()


class Notice(QWidget):
    """A status-bar sentence with one button that acts on it, right after the words:
    "Indexed 918 photos, 2 could not be read. [Show]", "Named Anna. [Undo]". It goes after its
    time, when its button is used, or when the status bar shows another message."""

    said = Signal(str)

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.bar = bar
        self._action = None
        self.label = FittedLabel()
        self.label.setMinimumWidth(0)
        self.button = QPushButton()
        self.button.clicked.connect(self._clicked)
        self.button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.label, 0)
        layout.addWidget(self.button, 0)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        bar.addWidget(self, 1)
        bar.messageChanged.connect(lambda text: self.clear() if text else None)
        self.hide()

    def say(self, text: str, timeout_ms: int = 8000, button: str = "", action=None) -> None:
        self.bar.clearMessage()   # (a message over it would hide it)
        self._action = action if button else None
        self.label.setText(text)
        self.button.setText(button)
        self.button.setVisible(bool(button))
        self.show()
        self._timer.start(timeout_ms)
        self.said.emit(text)

    def text(self) -> str:
        """What the user reads now ("" when nothing is said)."""
        return self.label.text() if not self.isHidden() else ""

    def clear(self) -> None:
        self._timer.stop()
        self._action = None
        self.hide()

    def _clicked(self) -> None:
        action = self._action
        self.clear()
        if action is not None:
            action()
