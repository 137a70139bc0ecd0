"""Walk a photo root cheaply: which files are photos, their size and mtime, and a fingerprint.

Choices (why):
- os.scandir, entries sorted by name: a directory reachable by two paths (a symlink) is always
  recorded under the same one, so re-scans don't see phantom moves.
- Symlinked directories are followed, but every directory's real identity (st_dev, st_ino) is
  remembered: a symlink loop or a second path to the same folder is walked once. Symlinked
  folders are walked after all real ones of the root, so a folder reachable both ways is
  recorded under its real path.
- Names starting with '.' (hidden files and folders, .thumbnails, .Trash, the default catalog
  under ~/.local) are skipped, and so is the catalog's own folder if it lies inside a root.
- Photos are recognised by extension first (`IMAGE_EXTENSIONS`, no I/O). Files with a known
  non-photo extension (videos, sidecars, documents, raw formats Pillow can't decode) are skipped
  without I/O. Files with an unknown or no extension (the Yale faces are GIFs named
  `subject01.happy`) are sniffed: 32 bytes read and compared with the magic numbers of the
  formats decode() handles. This costs one small read per such file that is not yet in the
  catalog, on every scan; files already in the catalog are not sniffed again.
- Fingerprint: sha256 over the size and the first and last 64 KiB (whole file when smaller):
  two reads, enough to recognise a moved or renamed photo, computed only for new/changed files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..catalog.db import DB_NAME as CATALOG_FILE

log = logging.getLogger(__name__)

FINGERPRINT_CHUNK = 64 * 1024

IMAGE_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".mpo", ".png", ".webp", ".tif", ".tiff", ".bmp", ".dib",
    ".gif", ".heic", ".heif", ".hif", ".avif", ".pgm", ".ppm", ".pbm", ".pnm",
})
# Skipped without opening: common companions of photos that are not decodable photos.
NON_IMAGE_EXTENSIONS = frozenset({
    # video and audio
    ".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".wmv", ".mpg", ".mpeg", ".mts", ".m2ts",
    ".3gp", ".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".opus", ".amr",
    # sidecars, catalogs, documents, archives
    ".xmp", ".aae", ".thm", ".json", ".xml", ".txt", ".tsv", ".csv", ".md", ".html", ".htm",
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".rtf", ".log", ".ini",
    ".db", ".sqlite", ".sqlite3", ".db-wal", ".db-shm", ".lrcat", ".lrdata", ".pp3", ".dop",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".iso", ".dmg",
    ".exe", ".dll", ".so", ".py", ".js", ".css", ".sh", ".bat", ".lnk", ".url",
    ".part", ".crdownload", ".tmp", ".bak", ".torrent",
    # raw and editing formats decode() does not handle
    ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf", ".rw2",
    ".pef", ".dng", ".srw", ".x3f", ".3fr", ".erf", ".kdc", ".mrw", ".iiq", ".rwl",
    ".psd", ".psb", ".xcf", ".svg", ".eps", ".ai", ".ico", ".icns", ".jxl", ".exr", ".hdr",
})
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
                b"avif", b"avis")


def looks_like_image(head: bytes) -> bool:
    """Magic numbers of the formats decode() can open."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM",
                        b"II*\x00", b"MM\x00*")):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return True
    return len(head) >= 3 and head[0:1] == b"P" and head[1:2] in b"123456" and head[2:3].isspace()


def sniff_image(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return looks_like_image(fh.read(32))
    except OSError:
        return False


def fingerprint(path: str, size: int) -> str:
    """sha256 of size + first and last 64 KiB. Raises OSError when the file can't be read."""
    digest = hashlib.sha256(size.to_bytes(8, "little"))
    with open(path, "rb") as fh:
        if size <= 2 * FINGERPRINT_CHUNK:
            digest.update(fh.read())
        else:
            digest.update(fh.read(FINGERPRINT_CHUNK))
            fh.seek(-FINGERPRINT_CHUNK, os.SEEK_END)
            digest.update(fh.read(FINGERPRINT_CHUNK))
    return digest.hexdigest()


@dataclass
class FileEntry:
    path: str
    size: int
    mtime_ns: int


@dataclass
class WalkProblems:
    """What the walk could not look into; the caller must not conclude files there are gone."""
    unreadable_dirs: list[str] = field(default_factory=list)
    bad_names: int = 0   # names that are not valid text (can't be stored in the catalog)
    # path -> why, for the catalog's list of problems (core/scan/problems.py)
    reasons: dict[str, str] = field(default_factory=dict)


def walk_photos(root: str, *, known: Callable[[str], bool] = lambda path: False,
                skip_dirs: frozenset[tuple[int, int]] = frozenset(),
                visited: set[tuple[int, int]] | None = None,
                problems: WalkProblems | None = None,
                stop: Callable[[], bool] = lambda: False) -> Iterator[FileEntry]:
    """Every photo file under `root` (depth first, sorted), stat only.

    `known(path)` says the catalog already has the path, so an extension-less file there need
    not be sniffed again. `visited` (dev, ino) of directories walked so far (shared between
    roots so nested or aliased roots are walked once); `skip_dirs` are never entered.
    `stop()` is asked before each folder, so a cancel is quick even where there are no photos.
    """
    visited = set() if visited is None else visited
    problems = problems if problems is not None else WalkProblems()
    stack, symlinked = [root], []
    while stack or symlinked:
        if not stack:
            stack = sorted(symlinked, reverse=True)
            symlinked = []
        directory = stack.pop()
        if stop():
            return
        try:
            st = os.stat(directory)
        except OSError as exc:
            _unreadable(problems, directory, exc)
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in visited or ident in skip_dirs:
            continue
        visited.add(ident)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            _unreadable(problems, directory, exc)
            continue
        if any(entry.name == CATALOG_FILE for entry in entries):
            # another Faceshelf catalog (its own is in skip_dirs): thumbnails, not photos
            log.info("skipping %s: it holds a Faceshelf catalog", directory)
            continue
        subdirs = []
        directory_storable = _storable(directory)
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir():  # follows symlinks; loops are cut by `visited`
                    (symlinked if entry.is_symlink() else subdirs).append(entry.path)
                    continue
                if not _is_candidate(entry, known):
                    continue
                est = entry.stat()  # follows a symlinked file to its target
            except OSError:
                continue  # vanished or broken symlink: not a photo
            if not stat.S_ISREG(est.st_mode):
                continue
            if not (directory_storable and (name.isascii() or _storable(name))):
                problems.bad_names += 1
                log.warning("skipping a file whose name is not valid text: %r", entry.path)
                problems.reasons[entry.path] = ("skipped: the name is not valid text (UTF-8); "
                                                "rename the file to index it")
                continue
            yield FileEntry(entry.path, est.st_size, est.st_mtime_ns)
        stack.extend(reversed(subdirs))  # pop() then visits them in sorted order


def _is_candidate(entry: os.DirEntry, known: Callable[[str], bool]) -> bool:
    ext = os.path.splitext(entry.name)[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return True
    if ext in NON_IMAGE_EXTENSIONS:
        return False
    return known(entry.path) or sniff_image(entry.path)


def _storable(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes became surrogates
        return False
    return True


def _unreadable(problems: WalkProblems, directory: str, exc: OSError) -> None:
    log.warning("cannot read folder %s: %s", directory, exc.strerror or exc)
    problems.unreadable_dirs.append(directory)
    problems.reasons[directory] = (f"folder not read: {exc.strerror or exc}; its photos are "
                                   f"neither indexed nor removed")
