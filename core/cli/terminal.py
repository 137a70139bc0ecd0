"""What the commands share on the terminal: JSON output, the progress bar, Ctrl-C, logging.

(User data, names and paths, never drives the terminal: commands print it through
core.text.for_terminal.)
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `faceshelf --help` should load next to nothing
    from ..jobs import CancelToken, Progress


def print_json(value) -> None:
    """Indented; a list has one compact item per line: json's indenting encoder is pure
    Python (2.6 s for `people --json` of 100k faces; 0.05 s with its C encoder)."""
    if isinstance(value, list) and value:
        encode = json.JSONEncoder(ensure_ascii=False, default=str).encode  # one, not one each
        write_json_lines([encode(item) for item in value])
        return
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def write_json_lines(items: list[str]) -> None:
    """A JSON list of already-encoded items, one per line, as print_json writes lists."""
    sys.stdout.write("[\n" + ",\n".join("  " + item for item in items) + "\n]\n"
                     if items else "[]\n")


class ProgressBar:
    """A one-line progress bar on stderr (only when stderr is a terminal, else a line per 5 s)."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr  # (the one now: a default would be import time's)
        self.width = width
        self.tty = self.stream.isatty()
        self._last = 0.0

    def update(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last < 5 and p.done != p.total:
            return
        if self.tty and now - self._last < 0.1 and p.done != p.total:
            return
        self._last = now
        parts = [p.stage]
        if p.total:
            filled = int(self.width * p.done / p.total)
            parts.append("[" + "#" * filled + "-" * (self.width - filled) + "]")
            parts.append(f"{p.done}/{p.total}")
        else:
            parts.append(str(p.done))
        if p.rate:
            parts.append(f"{p.rate:.1f}/s")
        if p.eta_s is not None and p.total:
            parts.append(f"ETA {int(p.eta_s) // 60}:{int(p.eta_s) % 60:02d}")
        parts += [f"{k} {v}" for k, v in p.counters.items()]
        if p.message:
            parts.append(p.message)
        line = "  ".join(parts)
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_with_progress(job: Iterable[Progress], quiet: bool = False) -> Progress | None:
    """Drive a job generator, showing progress; the last Progress is returned."""
    bar = None if quiet else ProgressBar()
    last = None
    try:
        for last in job:
            if bar:
                bar.update(last)
    finally:
        if bar:
            bar.close()
    return last


def keep_result(job: Generator, box: list):
    """Drive `job` for run_with_progress and keep the generator's return value in `box`."""
    box.append((yield from job))


def interruptible() -> CancelToken:
    """A token that the first Ctrl-C cancels (the job stops cleanly); a second one kills.
    `kill` (SIGTERM) stops cleanly too: killed outright, an index left its worker processes'
    semaphores to the resource tracker, which printed "leaked semaphore" warnings."""
    from ..jobs import CancelToken

    token = CancelToken()

    def handler(signum, frame):
        if token.cancelled:
            raise KeyboardInterrupt
        if signum == signal.SIGINT:
            sys.stderr.write("\nstopping after the current work; Ctrl-C again to abort\n")
        else:
            sys.stderr.write("\nstopping (terminated) after the current work\n")
        token.cancel()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return token


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a handler holding the stream it was
    made with breaks when that stream is swapped and closed, as test runners do)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
