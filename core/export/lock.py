"""One export at a time into a destination folder, across processes and catalogs.

Two exports into one folder at once each planned names the other then took, and both ended
with exit status 1 listing the other's files as failures. Now the second refuses at once with
a sentence naming the first (ExportBusy). The lock is an OS file lock, so a killed export
leaves none behind; it lives in the user's cache folder, keyed by the destination's real path,
so nothing is added to the folder the user exports into.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from pathlib import Path

import platformdirs

from ..index_lock import try_lock, unlock
from .options import ExportError

try:
    import fcntl
except ImportError:  # Windows (try_lock locks a byte with msvcrt there)
    fcntl = None


class ExportBusy(ExportError):
    """Another export is writing into this destination."""


def lock_dir() -> Path:
    return Path(platformdirs.user_cache_dir("faceshelf", appauthor=False)) / "export-locks"


@contextlib.contextmanager
def exclusive_destination(destination: Path, what: str):
    """Held for a whole export into `destination` (a resolved path); `what` describes this
    export to a second one ("album 'Trip'"). Where no lock can be taken (a read-only cache
    folder, a file system without locks) the export goes on unlocked, as before."""
    key = hashlib.sha256(str(destination).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    path = lock_dir() / f"{key}.lock"
    handle = _locked_handle(path, destination)
    if handle is None:
        yield
        return
    with handle:
        try:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
                handle.write(f"process {os.getpid()}, {what}, since "
                             f"{time.strftime('%H:%M:%S')}")
                handle.flush()
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
                if fcntl is not None:  # removed while still held: no file per folder piles up
                    path.unlink()
            unlock(handle)


def _locked_handle(path: Path, destination: Path):
    """The open, locked lock file (None: no locking possible here); ExportBusy if held.
    The file is removed by its holder on release, so a lock taken on a file that was removed
    meanwhile is dropped and taken again on the new one."""
    for _ in range(5):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+", encoding="utf-8")
        except OSError:
            return None
        if not try_lock(handle):
            holder = ""
            with contextlib.suppress(OSError):
                handle.seek(0)
                holder = handle.read(500).strip()
            handle.close()
            raise ExportBusy(f"another export is writing into {destination} "
                             f"({holder or 'another process'}); wait until it has finished, "
                             f"then run this one again")
        try:
            same = fcntl is None or os.fstat(handle.fileno()).st_ino == path.stat().st_ino
        except OSError:
            same = False
        if same:
            return handle
        unlock(handle)
        handle.close()
    return None
