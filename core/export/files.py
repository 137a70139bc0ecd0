"""Writing exported files safely: never a partial file under a final name, never overwriting.

Every file is first written to a temporary name in its destination folder
(`.faceshelf-tmp-<pid>-<random>`), then published under its final name with `link()`, which
fails instead of replacing a file that appeared meanwhile. A killed export leaves at most
temporary files; the next export to that destination removes those whose process is gone.
Originals are only ever opened read-only.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_PREFIX = ".faceshelf-tmp-"
STALE_AFTER_S = 24 * 3600   # a temp file this old is stale even if its pid is alive (reused)
CHUNK = 8 << 20

# errno values that mean "the destination cannot take more": stop the whole export.
FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                errno.ENOTDIR, errno.EIO, errno.EMLINK}


@dataclass
class Written:
    size: int
    mtime_ns: int


class SourceError(OSError):
    """The original could not be read (missing, unreadable): skip that photo, go on."""


def temp_path(folder: Path) -> Path:
    return folder / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"


def file_state(path: Path) -> Written | None:
    """Size and mtime of `path` itself (a symlink is not followed), None when absent."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return Written(st.st_size, st.st_mtime_ns)


def _open_source(source: str) -> int:
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        try:  # reading does not even touch the original's access time where allowed
            return os.open(source, flags | noatime)
        except PermissionError:
            if not noatime:
                raise
            return os.open(source, flags)
    except OSError as error:
        raise SourceError(error.errno, error.strerror, source) from None


def _copy_data(src_fd: int, dst_fd: int) -> int:
    """Copy all bytes; kernel-side (sendfile) where it works. Tests patch this to fail."""
    copied = 0
    try:
        if not hasattr(os, "sendfile"):   # Windows
            raise OSError(errno.ENOSYS, "no sendfile")
        while True:
            sent = os.sendfile(dst_fd, src_fd, copied, CHUNK)
            if sent == 0:
                return copied
            copied += sent
    except OSError as error:
        # macOS sendfile only writes to sockets (ENOTSOCK); some file systems refuse it.
        if copied or error.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP,
                                         errno.ENOTSOCK):
            raise
    while chunk := os.read(src_fd, CHUNK):  # sendfile unsupported here: plain read/write
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst_fd, view):]
        copied += len(chunk)
    return copied


def start_writeback(fd: int) -> None:
    """Ask the kernel to start writing the file's data to disk now, without waiting: a later
    fsync then finds it written (or nearly), and the disk works while the next file is copied.
    Linux starts the write-back on this advice; elsewhere it is skipped."""
    if hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass   # only advice


def write_copy(source: str, tmp: Path, *, fsync: bool, sync_later: bool = False) -> Written:
    """A byte copy of `source` at `tmp` with the original's modification time. `sync_later`:
    the caller fsyncs it later; its write-back starts now."""
    src = _open_source(source)
    try:
        st = os.fstat(src)
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                      0o644)
        try:
            _copy_data(src, dst)
            if fsync:
                os.fsync(dst)
            elif sync_later:
                start_writeback(dst)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
    return file_state(tmp)


def sync_file(path: Path) -> None:
    """Make a file written earlier durable (its data and size reach the disk)."""
    # for writing (not truncating): Windows flushes only a handle that may write
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_hardlink(source: str, tmp: Path) -> Written:
    try:
        os.stat(source)
    except OSError as error:
        raise SourceError(error.errno, error.strerror, source) from None
    os.link(source, tmp, follow_symlinks=True)
    return file_state(tmp)


def write_symlink(source: str, tmp: Path) -> Written:
    if not os.path.exists(source):
        raise SourceError(errno.ENOENT, os.strerror(errno.ENOENT), source)
    os.symlink(os.path.abspath(source), tmp)
    return file_state(tmp)


def write_bytes(data: bytes, tmp: Path, *, fsync: bool) -> Written:
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    return file_state(tmp)


def publish(tmp: Path, dest: Path) -> None:
    """Give `tmp` its final name without ever replacing an existing `dest` (FileExistsError)."""
    try:
        # follow_symlinks=False: link the symlink itself, never the original it points to.
        os.link(tmp, dest, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as error:
        # Some file systems (FAT, some network shares) have no hard links: check, then rename.
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV,
                               errno.EMLINK):
            raise
        if os.path.lexists(dest):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dest)) from None
        os.replace(tmp, dest)
        return
    os.unlink(tmp)


def replace(tmp: Path, dest: Path) -> None:
    """Atomically replace a file this export owns (an XMP sidecar being refreshed)."""
    os.replace(tmp, dest)


def discard(tmp: Path | None) -> None:
    if tmp is None:
        return
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    except OSError as error:
        if os.path.lexists(tmp):  # (a read-only disk says EROFS for a file never made)
            log.warning("could not remove temporary file %s: %s", tmp, error)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temp_files(root: Path) -> list[Path]:
    """Temporary files of killed exports under `root` (never following symlinked folders)."""
    found: list[Path] = []
    if not root.is_dir():
        return found
    now = time.time()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(TEMP_PREFIX)]
        for name in files:
            if not name.startswith(TEMP_PREFIX):
                continue
            path = Path(folder) / name
            try:
                pid = int(name[len(TEMP_PREFIX):].split("-", 1)[0])
                st = os.lstat(path)
            except (ValueError, OSError):
                continue
            if not _pid_alive(pid) or now - st.st_mtime > STALE_AFTER_S:
                if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                    found.append(path)
    return found


def remove_empty_parents(path: Path, stop: Path) -> None:
    """After removing `path`, drop folders it leaves empty, up to (not including) `stop`."""
    folder = path.parent
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()   # only ever succeeds on an empty folder
        except OSError:
            return
        folder = folder.parent


def same_device(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b).st_dev


def existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def is_fatal(error: OSError) -> bool:
    return not isinstance(error, SourceError) and error.errno in FATAL_ERRNOS
