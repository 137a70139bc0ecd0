"""Progress reports and cancellation shared by every long operation.

Long operations are generators that yield `Progress` and check a `CancelToken`; the CLI prints
them as a progress bar, the GUI forwards them to the UI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass
class Progress:
    stage: str                  # "scan", "index", "cluster", "export", ...
    done: int = 0
    total: int | None = None    # None while unknown
    rate: float | None = None   # items per second
    eta_s: float | None = None
    counters: dict[str, int] = field(default_factory=dict)  # e.g. faces found, errors
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)
