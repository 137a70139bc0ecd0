"""Incremental scan: compare the roots on disk with the catalog and record what changed.

One SELECT loads every photo's (path, size, mtime_ns) into a dict; the walk then costs one stat
per file, so an unchanged library re-scans in a fraction of a second per 10,000 photos.

Per file:
- new          INSERT status 'pending' with its fingerprint; unless a catalog photo with the same
               fingerprint has vanished from its path, in which case it is a MOVE: the row is
               updated in place (same id, so its faces and their people stay; no re-detection).
- changed      size or mtime differ and so does the fingerprint: faces deleted, status 'pending'.
               Same size and fingerprint (a `touch`, a restore that lost mtimes): only mtime is
               updated and the faces are kept ("touched").
- unchanged    nothing written.
- removed      once every root has been walked to the end, rows under them that were not seen
               are deleted (their faces cascade) - except under folders that could not be read.
               Not before: a photo moved from one root to another is a move, found in the
               second root while its old row still waits in the first.
- unreadable   row with status 'error' and the reason; retried on every scan.
A root that is missing, or empty while the catalog holds photos under it (an unplugged drive's
mount point), is "offline": nothing under it is touched.

Writes go in batches of `BATCH` rows, each batch one transaction, so an interrupted scan leaves a
consistent catalog and the next scan carries on from there. Cancelling stops cleanly after
writing the current batch (the last Progress has counters["cancelled"] = 1); deletions only
happen for roots walked completely.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..catalog import folder_prefix
from ..jobs import CancelToken, Progress
from .problems import record_walk_problems
from .walk import FileEntry, WalkProblems, fingerprint, walk_photos

log = logging.getLogger(__name__)

BATCH = 500
PROGRESS_EVERY = 250  # files between two Progress reports

COUNTERS = ("new", "changed", "moved", "removed", "unchanged", "errors", "offline_roots")
# Above every id a photo ever had (catalog migration 3 keeps the high mark): never reused.
_NEXT_PHOTO_ID = ("(SELECT MAX(COALESCE((SELECT MAX(id) FROM photos), 0), COALESCE((SELECT "
                  "CAST(value AS INTEGER) FROM meta WHERE key = 'photo_id_high'), 0)) + 1)")


@dataclass(slots=True)  # one per catalog photo: keep them small
class _Known:
    """A catalog photo as the scan sees it."""
    id: int
    folder_id: int
    size: int
    mtime_ns: int
    fingerprint: str | None
    status: str


def scan_folders(catalog, roots: list[Path] | None = None,
                 cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Bring the catalog's photos rows in line with the files under the roots.

    roots=None scans every folder of the catalog; given roots are added to the catalog first
    and only they are scanned. Yields Progress(stage="scan"); the last one has the final
    counters: new, changed, moved, removed, unchanged, errors, offline_roots, plus touched,
    unreadable_dirs (folders that could not be listed) and cancelled (1 when cancelled).
    """
    if roots is not None:
        for root in roots:
            if not Path(root).expanduser().is_dir():
                raise FileNotFoundError(f"not a folder: {root}")
        folder_ids = [catalog.add_folder(root) for root in roots]
        folders = [f for f in catalog.folders() if f["id"] in folder_ids]
    else:
        folders = catalog.folders()
    every_root = roots is None or {f["id"] for f in folders} == {
        f["id"] for f in catalog.folders()}
    yield from _Scan(catalog, cancel, every_root=every_root).run(
        [(f["id"], f["path"]) for f in folders])


class _Scan:
    def __init__(self, catalog, cancel: CancelToken | None, *, every_root: bool = True) -> None:
        self.catalog = catalog
        # Only some roots walked (`index PATH`): a photo gone from them may have moved to a
        # root not walked now; one carrying the user's work waits for a full rescan.
        self.every_root = every_root
        self.cancel = cancel
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.counters.update(touched=0, unreadable_dirs=0, cancelled=0)
        self.done = 0
        self.writes: list[tuple[str, tuple]] = []
        self.known: dict[str, _Known] = {}
        self.by_fingerprint: dict[str, list[str]] | None = None  # built on first new file
        self.seen: set[str] = set()
        self.moved_away: set[str] = set()   # old paths whose row now lives elsewhere
        self.folder_online: dict[int, bool] = {}  # any catalog folder, asked lazily
        self.visited: set[tuple[int, int]] = set()
        self.unreadable: list[str] = []  # folders that could not be listed, in any root
        own = _identity(getattr(catalog, "dir", None))  # the catalog's own folder
        self.skip_dirs = frozenset({own} if own else ())

    # -- driver ---------------------------------------------------------------------------
    def run(self, roots: list[tuple[int, str]]) -> Iterator[Progress]:
        self._load_catalog()
        online = []
        for folder_id, root in roots:
            self.folder_online[folder_id] = not self._is_offline(folder_id, root)
            if not self.folder_online[folder_id]:
                self.counters["offline_roots"] += 1
                log.info("root offline, its photos are kept: %s", root)
            else:
                online.append((folder_id, root))
        for folder_id, root in online:
            problems = WalkProblems()
            complete = yield from self._walk_root(folder_id, root, problems)
            self.unreadable += [folder_prefix(d) for d in problems.unreadable_dirs]
            self.counters["unreadable_dirs"] += len(problems.unreadable_dirs)
            self.counters["errors"] += problems.bad_names
            if not complete:
                self.counters["cancelled"] = 1
                break
            record_walk_problems(self.catalog, folder_id, problems)  # replaces the last walk's
        else:
            # Only once every root was walked: a photo moved from one root to another is
            # found in the second one, as a move, before the first one's leftovers go.
            for folder_id, root in online:
                self._remove_missing(folder_id, root)
        self._flush()
        yield self._progress()

    def _walk_root(self, folder_id: int, root: str, problems: WalkProblems):
        # Other roots are walked as themselves, under their own paths, never through this
        # one (a symlink to another root, or a root nested in this one): each photo has one
        # path and belongs to the root it was found under.
        own = _identity(root)
        skip = self.skip_dirs | {ident for ident in self.root_identities if ident != own}
        files = walk_photos(root, known=self.known.__contains__, skip_dirs=skip,
                            visited=self.visited, problems=problems, stop=self._cancelled)
        for entry in files:
            if entry.path in self.seen:
                continue
            self.seen.add(entry.path)
            self._one_file(folder_id, entry)
            self.done += 1
            if len(self.writes) >= BATCH:
                self._flush()
            if self.done % PROGRESS_EVERY == 0:
                if self._cancelled():
                    return False
                yield self._progress()
        return not self._cancelled()

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.cancelled

    def _progress(self) -> Progress:
        return Progress(stage="scan", done=self.done, counters=dict(self.counters))

    # -- catalog state --------------------------------------------------------------------
    def _load_catalog(self) -> None:
        rows = self.catalog.execute(
            "SELECT id, folder_id, path, size, mtime_ns, fingerprint, status FROM photos")
        self.known = {r[2]: _Known(r[0], r[1], r[3], r[4], r[5], r[6]) for r in rows}
        self.root_identities = {ident for ident in (
            _identity(row[0]) for row in self.catalog.execute("SELECT path FROM folders"))
            if ident}

    def _folder_online(self, folder_id: int) -> bool:
        if folder_id not in self.folder_online:
            row = self.catalog.execute("SELECT path FROM folders WHERE id=?",
                                       (folder_id,)).fetchone()
            self.folder_online[folder_id] = row is not None and not self._is_offline(
                folder_id, row[0])
        return self.folder_online[folder_id]

    def _is_offline(self, folder_id: int, root: str) -> bool:
        return root_offline(root, lambda: self.catalog.execute(
            "SELECT 1 FROM photos WHERE folder_id=? LIMIT 1", (folder_id,)).fetchone() is not None)

    # -- one file -------------------------------------------------------------------------
    def _one_file(self, folder_id: int, entry: FileEntry) -> None:
        old = self.known.get(entry.path)
        if old is None:
            self._new_file(folder_id, entry)
        elif old.status == "error" and old.fingerprint is None:
            self._retry_error(old, entry)
        elif old.size == entry.size and old.mtime_ns == entry.mtime_ns:
            self.counters["unchanged"] += 1
            if old.fingerprint is None:
                self._backfill_fingerprint(old, entry)
        else:
            self._changed_file(old, entry)

    def _new_file(self, folder_id: int, entry: FileEntry) -> None:
        fp, error = _fingerprint_or_error(entry)
        if fp is not None:
            moved_from = self._vanished_twin(fp)
            if moved_from is not None:
                row = self.known.pop(moved_from)
                self.moved_away.add(moved_from)
                self.known[entry.path] = row
                row.folder_id, row.size, row.mtime_ns = folder_id, entry.size, entry.mtime_ns
                self._write("UPDATE photos SET path=?, folder_id=?, size=?, mtime_ns=? "
                            "WHERE id=?", (entry.path, folder_id, entry.size, entry.mtime_ns,
                                           row.id))
                self.counters["moved"] += 1
                return
        status = "pending" if error is None else "error"
        self._write("INSERT INTO photos(id, folder_id, path, size, mtime_ns, fingerprint, "
                    f"status, error) VALUES ({_NEXT_PHOTO_ID}, ?, ?, ?, ?, ?, ?, ?)",
                    (folder_id, entry.path, entry.size, entry.mtime_ns, fp, status, error))
        self.counters["new" if error is None else "errors"] += 1

    def _changed_file(self, old: _Known, entry: FileEntry) -> None:
        fp, error = _fingerprint_or_error(entry)
        if error is None and fp == old.fingerprint and entry.size == old.size:
            self._write("UPDATE photos SET mtime_ns=? WHERE id=?", (entry.mtime_ns, old.id))
            self.counters["touched"] += 1
            return
        if error is not None:
            self._write("DELETE FROM faces WHERE photo_id=?", (old.id,))
        # (a readable changed photo keeps its faces until it is indexed again: the new faces
        # then take over the names of the old ones in the same places)
        self._write("UPDATE photos SET size=?, mtime_ns=?, fingerprint=?, status=?, error=?, "
                    "indexed_at=NULL, model_id=NULL WHERE id=?",
                    (entry.size, entry.mtime_ns, fp, "pending" if error is None else "error",
                     error, old.id))
        self.counters["changed" if error is None else "errors"] += 1

    def _retry_error(self, old: _Known, entry: FileEntry) -> None:
        """A file the scan could not read last time: try again, write only if it changed."""
        fp, error = _fingerprint_or_error(entry)
        if error is not None:
            if (entry.size, entry.mtime_ns) != (old.size, old.mtime_ns):
                self._write("UPDATE photos SET size=?, mtime_ns=?, error=? WHERE id=?",
                            (entry.size, entry.mtime_ns, error, old.id))
            self.counters["errors"] += 1
            return
        self._write("UPDATE photos SET size=?, mtime_ns=?, fingerprint=?, status='pending', "
                    "error=NULL WHERE id=?", (entry.size, entry.mtime_ns, fp, old.id))
        self.counters["changed"] += 1

    def _backfill_fingerprint(self, old: _Known, entry: FileEntry) -> None:
        """A row written without a fingerprint (by other code): give it one, once."""
        fp, error = _fingerprint_or_error(entry)
        if fp is not None:
            old.fingerprint = fp
            self._write("UPDATE photos SET fingerprint=? WHERE id=?", (fp, old.id))

    def _vanished_twin(self, fp: str) -> str | None:
        """Path of a catalog photo with this fingerprint whose file is gone (a move source)."""
        if self.by_fingerprint is None:
            self.by_fingerprint = {}
            for path, row in self.known.items():
                if row.fingerprint:
                    self.by_fingerprint.setdefault(row.fingerprint, []).append(path)
        candidates = self.by_fingerprint.get(fp)
        if not candidates:
            return None
        for path in candidates:
            if path in self.seen or path in self.moved_away or path not in self.known:
                continue
            if not self._folder_online(self.known[path].folder_id):
                continue  # its drive is unplugged: the file may well still exist
            if not os.path.lexists(path):
                candidates.remove(path)
                return path
        return None

    # -- removals -------------------------------------------------------------------------
    def _remove_missing(self, folder_id: int, root: str) -> None:
        # Nested roots share folders, so the unreadable ones of every root walked so far count.
        gone = [(path, row) for path, row in self.known.items()
                if row.folder_id == folder_id and path not in self.seen
                and not any(path.startswith(p) for p in self.unreadable)]
        for path, row in gone:
            if os.path.lexists(path) and not _hidden_below(root, path):
                continue  # still there (e.g. reached through another root); leave it
            if not self.every_root and self._holds_user_work(row.id):
                continue  # maybe moved to a root not walked now: the next rescan decides
            self._write("DELETE FROM photos WHERE id=?", (row.id,))
            del self.known[path]
            self.counters["removed"] += 1
            if len(self.writes) >= BATCH:
                self._flush()

    def _holds_user_work(self, photo_id: int) -> bool:
        """A face of the photo is named, confirmed by hand or rejected from someone."""
        row = self.catalog.execute(
            "SELECT 1 FROM faces f LEFT JOIN people p ON p.id = f.person_id WHERE f.photo_id=? "
            "AND (f.assigned_by = 'user' OR p.name IS NOT NULL OR EXISTS (SELECT 1 FROM "
            "face_rejections r WHERE r.face_id = f.id)) LIMIT 1", (photo_id,)).fetchone()
        return row is not None

    # -- writing --------------------------------------------------------------------------
    def _write(self, sql: str, params: tuple) -> None:
        self.writes.append((sql, params))

    def _flush(self) -> None:
        if not self.writes:
            return
        started = time.perf_counter()
        with self.catalog.transaction() as conn:
            for sql, params in self.writes:
                conn.execute(sql, params)
        log.debug("wrote %d changes in %.1f ms", len(self.writes),
                  (time.perf_counter() - started) * 1000)
        self.writes.clear()


def root_offline(root: str, has_photos) -> bool:
    """Whether a root is missing, or is an empty folder while the catalog holds photos under
    it (`has_photos()`, asked only then): an unplugged drive's mount point. Its photos are
    kept, not removed."""
    if not os.path.isdir(root):
        return True
    try:
        with os.scandir(root) as it:
            empty = next(it, None) is None
    except OSError:
        return False  # exists but unreadable: walked, reported as an unreadable folder
    return empty and has_photos()


def _fingerprint_or_error(entry: FileEntry) -> tuple[str | None, str | None]:
    if entry.size == 0:
        return None, "empty file (0 bytes)"
    try:
        return fingerprint(entry.path, entry.size), None
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"


def _identity(path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, TypeError):
        return None
    return st.st_dev, st.st_ino


def _hidden_below(root: str, path: str) -> bool:
    """A path the walk deliberately skips (a hidden name below the root): it has left."""
    relative = os.path.relpath(path, root)
    return any(part.startswith(".") for part in Path(relative).parts)
