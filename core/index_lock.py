"""One index at a time per catalog, across processes (the GUI, a terminal, a cron job).

Two indexes of the same library used to both decode and detect every photo (the catalog stayed
right - one writer per photo - but the work was done twice and the second run's counts were
nonsense). The lock is an OS file lock on `<catalog>/index.lock`: it goes with the process
that holds it, so a killed index never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

LOCK_NAME = "index.lock"


class IndexBusy(RuntimeError):
    """Another process is indexing this catalog."""


@contextlib.contextmanager
def exclusive_index(catalog_dir: Path | str):
    path = Path(catalog_dir) / LOCK_NAME
    with open(path, "a+") as handle:
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexBusy(f"this catalog is being indexed by {holder}; wait for it to finish "
                            f"(it indexes the same folders) or stop it first")
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            _unlock(handle)


def _try_lock(handle) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(handle) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        with contextlib.suppress(OSError):
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(handle, fcntl.LOCK_UN)
