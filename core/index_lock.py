"""One index at a time per catalog, across processes (the GUI, a terminal, a cron job).

Two indexes of the same library used to both decode and detect every photo (the catalog stayed
right - one writer per photo - but the work was done twice and the second run's counts were
nonsense). The lock is an OS file lock on `<catalog>/index.lock`: it goes with the process
that holds it, so a killed index never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

log = logging.getLogger(__name__)

LOCK_NAME = "index.lock"


class IndexBusy(RuntimeError):
    """Another process is indexing this catalog."""


# Windows locks are mandatory: the byte locked must not be one a waiting process reads (the
# holder's pid at the start of the file), so the lock sits far past it.
_LOCKED_BYTE = 1 << 20


@contextlib.contextmanager
def exclusive_index(catalog_dir: Path | str):
    """Held while indexing or changing the catalog's folders. IndexBusy when another
    process holds it; where the file system has no locks (some network shares), it is
    carried on without one, as before."""
    path = Path(catalog_dir) / LOCK_NAME
    with open(path, "a+") as handle:
        if not try_lock(handle):
            try:
                handle.seek(0)
                holder = handle.read(100).strip() or "another process"
            except OSError:
                holder = "another process"
            raise IndexBusy(f"this catalog is being indexed by {holder}; try again when it "
                            f"has finished, or stop it first")
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
            unlock(handle)


def try_lock(handle) -> bool:
    """An exclusive OS lock on the open file, without waiting (also used by the export
    lock): False when another process holds it; True where the file system has no locks."""
    if fcntl is None:  # Windows
        try:
            handle.seek(_LOCKED_BYTE)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as error:  # ENOLCK and friends: no locking here
        log.warning("cannot lock %s (%s); going on without the lock", handle.name, error)
        return True


def unlock(handle) -> None:
    with contextlib.suppress(OSError):
        if fcntl is None:
            handle.seek(_LOCKED_BYTE)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(handle, fcntl.LOCK_UN)
