"""Keep Python's cyclic garbage collector from stalling the event loop.

A full (generation 2) collection walks every tracked object and holds the GIL while it does:
with a library of 100,000 photos loaded (a `PhotoRow` tuple each) one walk takes 50-70 ms,
whichever thread triggers it, and showed up as the only > 50 ms stalls of the photo grid.
The rows live as long as the list is shown and hold no reference cycles, so walking them again
and again finds nothing: big lists are built with collection paused and then frozen
(`gc.freeze`: moved to the permanent generation, never walked again; reference counting still
frees them when the list is replaced).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextlib.contextmanager
def bulk_allocation() -> Iterator[None]:
    """Around a worker building a big, long-lived list: no collection meanwhile (one would
    walk the half-built list with the GIL held), then everything alive is frozen instead of
    walked. Nested and concurrent uses are counted: the last one out re-enables collection."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.freeze()
                if _was_enabled:
                    gc.enable()
