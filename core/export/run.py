"""Carrying out an export plan: a generator of Progress that returns an ExportSummary.

Order for each new file of an album: write the temporary file, record it in album_files, then
publish it. A kill between the last two leaves a recorded file that is missing, which the next
run restores under the same name; a kill before leaves only a temporary file, cleaned up by the
next run. A full disk or a refused write stops the export (every later file would fail the same
way); an unreadable original only skips that photo.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from ..jobs import CancelToken, Progress
from . import files as fs
from .albums import (AlbumFile, create_album, forget_file, mark_exported, record_file,
                     rekey_file, update_album_query)
from .manifest import write_manifest
from .lock import exclusive_destination
from .plan import (ExportPlan, ExportRequest, PlannedFile, _resolve_request, plan_export,
                   resolve_destination)
from .options import ExportError

log = logging.getLogger(__name__)

# Why an export stopped, in words (ExportSummary.stopped holds the code).
STOP_MESSAGES = {
    "disk_full": "the destination disk is full",
    "permission_denied": "writing to the destination was refused (permission denied)",
    "read_only": "the destination is read-only",
    "other_device": "hard links cannot cross disks; use the copy or symlink mode",
    "cancelled": "cancelled",
}

STOP_REASONS = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full",
                errno.EACCES: "permission_denied", errno.EPERM: "permission_denied",
                errno.EROFS: "read_only", errno.EXDEV: "other_device"}


@dataclass
class ExportFailure:
    dest: str
    source: str | None
    reason: str          # source_missing | source_unreadable | disk_full | permission_denied |
    #                      read_only | exists | other_device | inside_library | error
    error: str           # the system's message


@dataclass
class ExportSummary:
    destination: str
    album: str | None
    dry_run: bool
    photos_matched: int = 0
    added: int = 0             # photo files written (sidecars counted apart)
    updated: int = 0           # album copies rewritten because their original was edited
    moved: int = 0             # album files moved to the folder of a renamed person
    skipped: int = 0
    removed: int = 0
    kept: int = 0              # album files no longer matching, left in place
    failed: int = 0
    sidecars_written: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    stale_temp_removed: int = 0
    manifest: str | None = None
    stopped: str | None = None   # cancelled | disk_full | permission_denied | read_only | ...
    failures: list[ExportFailure] = field(default_factory=list)
    plan: ExportPlan | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failures and self.stopped is None


def _summary_of_plan(plan: ExportPlan, dry_run: bool) -> ExportSummary:
    s = ExportSummary(destination=plan.destination,
                      album=plan.album.name if plan.album else plan.save_as, dry_run=dry_run,
                      photos_matched=plan.photos_matched, plan=plan)
    s.skipped = plan.count("skip")
    s.kept = plan.count("keep")
    for f in plan.files:
        if f.action == "error":
            s.failures.append(ExportFailure(f.dest, f.source, f.reason, ""))
    s.failed = len(s.failures)
    if dry_run:
        s.added = plan.count("add")
        s.updated = plan.count("update")
        s.moved = plan.count("move")
        s.removed = plan.count("remove")
        s.sidecars_written = plan.count("add", "xmp") + plan.count("update", "xmp")
    return s


def run_export(catalog, request: ExportRequest, cancel: CancelToken | None = None
               ) -> Generator[Progress, None, ExportSummary]:
    """Export; yields Progress, returns the summary. With dry_run, writes nothing anywhere.
    ExportBusy when another export is writing into the same folder (core/export/lock.py)."""
    started = time.monotonic()
    if request.dry_run:
        plan = plan_export(catalog, request)
        summary = _summary_of_plan(plan, request.dry_run)
        yield Progress("export", done=0, total=0, message="dry run")
        summary.seconds = time.monotonic() - started
        return summary
    # Locked before planning: a plan made while another export writes there is already wrong.
    _, destination, _, _ = _resolve_request(catalog, request)
    what = (f"album {request.album!r}" if request.album else
            f"saving album {request.save_as.strip()!r}" if request.save_as else "an export")
    with exclusive_destination(resolve_destination(destination), what):
        return (yield from _run_locked(catalog, request, cancel, started))


def _run_locked(catalog, request: ExportRequest, cancel: CancelToken | None, started: float,
                ) -> Generator[Progress, None, ExportSummary]:
    plan = plan_export(catalog, request)
    summary = _summary_of_plan(plan, request.dry_run)
    album_id = _prepare(catalog, plan, summary)
    touched = yield from _write_all(catalog, plan, album_id, summary, request.fsync, cancel,
                                    started)
    _finish(catalog, plan, album_id, summary, request.fsync, touched)
    summary.seconds = time.monotonic() - started
    return summary


def _prepare(catalog, plan: ExportPlan, summary: ExportSummary) -> int | None:
    """Create the folder, save or refresh the album, clean up after a killed run."""
    dest = Path(plan.destination)
    # an export that matches nothing (and saves no album) leaves no empty folder behind
    needs_folder = plan.save_as or plan.options.manifest or any(
        f.action in ("add", "update", "move") for f in plan.files)
    try:
        if needs_folder:
            dest.mkdir(exist_ok=True)  # only the last level: its parent was checked to exist
    except OSError as error:
        raise ExportError(f"cannot create the destination folder {dest}: "
                          f"{error.strerror or error}") from None
    album_id = plan.album.id if plan.album else None
    if plan.album is not None:
        update_album_query(catalog, plan.album)   # follows merges and renames
    if plan.save_as:
        album_id = create_album(catalog, plan.save_as, plan.spec, str(dest), plan.options).id
    for stale in plan.stale_temp:
        fs.discard(Path(stale))
        summary.stale_temp_removed += 1
    return album_id


# New files are written in batches before any is made durable, each file's write-back started
# as soon as it is copied: the disk writes while the next files are copied, as `cp -r` then
# `sync` would, instead of waiting on every fsync in turn. Each file is still fsync'ed,
# recorded and published one by one afterwards.
BATCH_FILES = 64
BATCH_BYTES = 256 * 2**20


@dataclass
class _Staged:
    """A new file written under its temporary name, not yet published."""
    pf: PlannedFile
    tmp: Path
    written: fs.Written
    original: os.stat_result | None


def _write_all(catalog, plan: ExportPlan, album_id: int | None, summary: ExportSummary,
               fsync: bool, cancel: CancelToken | None, started: float):
    work = [f for f in plan.files if f.action in ("add", "update", "move", "remove")]
    # Progress counts photos, as the summary does ("added 53"): a sidecar rides with its photo.
    total = sum(f.kind == "photo" for f in work)
    if total:
        yield Progress("export", done=0, total=total)
    root, mode = Path(plan.destination), plan.options.mode
    touched: set[Path] = set()
    failed_photos: set[str] = set()
    staged: list[_Staged] = []
    done = 0

    def progress() -> Progress:
        elapsed = time.monotonic() - started
        rate = done / elapsed if elapsed > 0 else None
        return Progress("export", done=done, total=total, rate=rate,
                        eta_s=(total - done) / rate if rate else None,
                        counters={"added": summary.added, "updated": summary.updated,
                                  "moved": summary.moved, "removed": summary.removed,
                                  "failed": summary.failed})

    def failed(pf: PlannedFile, error: OSError) -> bool:
        if _failed(summary, pf, error):
            return True
        failed_photos.add(pf.dest)
        if pf.moved_from:   # the photo stayed where it was: so does its sidecar
            failed_photos.add(pf.moved_from)
        return False

    def publish_staged():
        """Make the staged files durable and visible, in order; True when the export stops.
        Each leaves the list as it is handled, so that what an error or a closed job leaves
        there is only what must be discarded."""
        nonlocal done
        stop = False
        while staged:
            item = staged.pop(0)
            if stop or (item.pf.kind == "xmp" and item.pf.dest[:-len(".xmp")] in failed_photos):
                fs.discard(item.tmp)   # no sidecar beside a photo that could not be written
            else:
                try:
                    _publish_new(catalog, album_id, item, summary, fsync, mode)
                    touched.add(item.tmp.parent)
                except OSError as error:
                    stop = failed(item.pf, error)
            done += item.pf.kind == "photo"
            yield progress()
        return stop

    try:
        for pf in work:
            if cancel is not None and cancel.cancelled:
                summary.stopped = "cancelled"
                break
            if pf.kind == "xmp" and pf.dest[:-len(".xmp")] in failed_photos:
                continue   # no sidecar beside a photo that could not be written
            if pf.action == "add":
                try:
                    staged.append(_write_new(pf, mode, fsync))
                except OSError as error:
                    if failed(pf, error):
                        break
                    done += pf.kind == "photo"
                yield progress()   # a chance to cancel; counted as done once published
                if (len(staged) >= BATCH_FILES
                        or sum(item.written.size for item in staged) >= BATCH_BYTES):
                    if (yield from publish_staged()):
                        break
                continue
            # the order of the plan holds: what was written before goes out first
            if staged and (yield from publish_staged()):
                break
            try:
                _execute(catalog, album_id, pf, summary, fsync, root, mode)
                touched.add(Path(pf.dest).parent)
            except OSError as error:
                if failed(pf, error):
                    break
            done += pf.kind == "photo"
            yield progress()
        # written before a cancel or a full disk: complete, and published all the same
        yield from publish_staged()
    finally:
        # a closed job (the GUI closes it when it ends early) or an error that is not the
        # disk's (the catalog's): what is still staged goes; a re-run writes it again
        for item in staged:
            fs.discard(item.tmp)
    return touched


def _failed(summary: ExportSummary, pf: PlannedFile, error: OSError) -> bool:
    """Record a failure; True when it stops the export (the destination cannot take more)."""
    reason = _failure_reason(error)
    summary.failures.append(ExportFailure(pf.dest, pf.source, reason,
                                          error.strerror or str(error)))
    summary.failed += 1
    if fs.is_fatal(error) or error.errno == errno.EXDEV:
        summary.stopped = reason
        log.info("export stopped: %s (%s)", reason, error)  # the summary says it to the user
        return True
    log.warning("export of %s failed: %s", pf.source or pf.dest, error)
    return False


def _finish(catalog, plan: ExportPlan, album_id: int | None, summary: ExportSummary,
            fsync: bool, touched: set[Path]) -> None:
    dest = Path(plan.destination)
    if plan.options.manifest and summary.stopped is None:
        try:
            summary.manifest = write_manifest(plan, dest, summary, fsync)
        except OSError as error:
            summary.failures.append(ExportFailure(str(dest), None, _failure_reason(error),
                                                  error.strerror or str(error)))
            summary.failed += 1
    if fsync:
        for folder in touched | {dest}:
            _fsync_dir(folder)
    if album_id is not None:
        for pf in plan.files:
            if pf.rerecord and pf.observed:  # a kill's leftover, or an original moved
                _rerecord(catalog, album_id, pf)
            if pf.rekey and pf.kind == "photo":
                rekey_file(catalog, album_id, pf.dest, pf.photo_id)
    if album_id is not None and summary.stopped is None:
        mark_exported(catalog, album_id)


def _rerecord(catalog, album_id: int, pf: PlannedFile) -> None:
    """Bring a kept file's row up to date, with what the plan saw (a file changed since by
    someone is not adopted)."""
    size, mtime_ns, source_size, source_mtime_ns = pf.observed
    state = fs.file_state(Path(pf.dest))
    if state is None or (state.size, state.mtime_ns) != (size, mtime_ns):
        return
    record_file(catalog, album_id, AlbumFile(
        pf.photo_id, pf.dest, size, mtime_ns, pf.kind, pf.slot,
        pf.source if pf.kind == "photo" else None, source_size, source_mtime_ns, pf.person_id))


def _original_state(source: str) -> os.stat_result:
    """The original as it is copied (the album's record of what it exported)."""
    try:
        return os.stat(source)
    except OSError as error:
        raise fs.SourceError(error.errno, error.strerror, source) from None


def _failure_reason(error: OSError) -> str:
    if isinstance(error, fs.SourceError):
        return "source_missing" if error.errno == errno.ENOENT else "source_unreadable"
    if isinstance(error, FileExistsError):
        return "exists"
    return STOP_REASONS.get(error.errno, "error")


def _execute(catalog, album_id: int | None, pf: PlannedFile, summary: ExportSummary,
             fsync: bool, root: Path, mode: str) -> None:
    """An update, move or remove (new files go through `_write_new` and `_publish_new`)."""
    target = Path(pf.dest)
    if pf.action == "remove":
        _remove(catalog, album_id, pf, summary, root)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if pf.action == "move":
        _move(catalog, album_id, pf, summary, root)
        return
    tmp: Path | None = fs.temp_path(target.parent)
    try:
        original = _original_state(pf.source) if pf.kind == "photo" else None
        written = _write_temp(pf, tmp, fsync, mode)
        # The new version's state is recorded as pending first, then the file replaced,
        # then recorded as done: a kill at any point leaves a file whose state the album
        # knows as its own (never one that looks edited by someone, left alone for good).
        _check_unchanged(pf)
        if album_id is not None and pf.owned is not None:
            record_file(catalog, album_id, dataclasses.replace(
                pf.owned, pending_size=written.size, pending_mtime_ns=written.mtime_ns))
        fs.replace(tmp, target)
        tmp = None
        if album_id is not None:
            record_file(catalog, album_id, _album_row(pf, written, original))
    finally:
        fs.discard(tmp)   # any failure: no partial file stays behind
    _count(summary, pf, written, mode, "updated")


def _write_new(pf: PlannedFile, mode: str, fsync: bool) -> _Staged:
    """A new file's bytes under a temporary name beside its target (not yet durable; with
    `fsync`, its write-back to disk under way)."""
    target = Path(pf.dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = fs.temp_path(target.parent)
    try:
        original = _original_state(pf.source) if pf.kind == "photo" else None
        return _Staged(pf, tmp, _write_temp(pf, tmp, False, mode, sync_later=fsync), original)
    except BaseException:
        fs.discard(tmp)   # any failure: no partial file stays behind
        raise


def _publish_new(catalog, album_id: int | None, item: _Staged, summary: ExportSummary,
                 fsync: bool, mode: str) -> None:
    pf, tmp = item.pf, item.tmp
    try:
        if fsync and (pf.kind == "xmp" or mode == "copy"):   # a link's bytes are the original's
            fs.sync_file(tmp)
        if album_id is not None:
            # Recorded before it is published: a kill in between leaves a "missing" album file
            # that the next run restores, never an unowned duplicate.
            record_file(catalog, album_id, _album_row(pf, item.written, item.original))
        try:
            fs.publish(tmp, Path(pf.dest))
        except FileExistsError:
            # Someone else's file took the name meanwhile: it is not ours, never record it.
            if album_id is not None:
                forget_file(catalog, album_id, pf.dest)
            raise
        tmp = None
    finally:
        fs.discard(tmp)
    _count(summary, pf, item.written, mode, "added")


def _album_row(pf: PlannedFile, written: fs.Written, original: os.stat_result | None
               ) -> AlbumFile:
    return AlbumFile(pf.photo_id, pf.dest, written.size, written.mtime_ns, pf.kind, pf.slot,
                     pf.source if original else None,
                     original.st_size if original else None,
                     original.st_mtime_ns if original else None, pf.person_id)


def _count(summary: ExportSummary, pf: PlannedFile, written: fs.Written, mode: str,
           counter: str) -> None:
    if pf.kind == "photo":
        setattr(summary, counter, getattr(summary, counter) + 1)
        if mode == "copy":
            summary.bytes_written += written.size
    else:
        summary.sidecars_written += 1


def _write_temp(pf: PlannedFile, tmp: Path, fsync: bool, mode: str,
                sync_later: bool = False) -> fs.Written:
    if pf.kind == "xmp":
        return fs.write_bytes(pf.content or b"", tmp, fsync=fsync)
    if mode == "hardlink":
        return fs.write_hardlink(pf.source, tmp)
    if mode == "symlink":
        return fs.write_symlink(pf.source, tmp)
    return fs.write_copy(pf.source, tmp, fsync=fsync, sync_later=sync_later)


def _check_unchanged(pf: PlannedFile) -> None:
    state = fs.file_state(Path(pf.dest))
    own = pf.owned
    if own is not None and state is not None and not own.is_state(state.size, state.mtime_ns):
        raise FileExistsError(errno.EEXIST, "changed since it was exported", pf.dest)


def _remove(catalog, album_id: int | None, pf: PlannedFile, summary: ExportSummary,
            root: Path) -> None:
    own = pf.owned
    target = Path(pf.dest)
    state = fs.file_state(target)
    if state is not None:
        if own is None or not own.unchanged(state):
            return   # changed between plan and now: not ours to delete any more
        os.unlink(target)
        fs.remove_empty_parents(target, root)
        if pf.kind == "photo":
            summary.removed += 1
    if album_id is not None:
        forget_file(catalog, album_id, pf.dest)


def _move(catalog, album_id: int | None, pf: PlannedFile, summary: ExportSummary,
          root: Path) -> None:
    """The album's file goes to its new folder under the same rules as a new file: recorded
    first, then linked under the new name (never replacing anything), then the old name goes."""
    own, old, target = pf.owned, Path(pf.moved_from), Path(pf.dest)
    state = fs.file_state(old)
    if own is None or not own.unchanged(state):
        raise FileExistsError(errno.EEXIST, "changed since it was exported", str(old))
    if album_id is not None:
        record_file(catalog, album_id, AlbumFile(pf.photo_id, pf.dest, state.size,
                                                 state.mtime_ns, pf.kind, pf.slot,
                                                 own.source_path, own.source_size,
                                                 own.source_mtime_ns, pf.person_id))
    try:
        fs.publish(old, target)   # a link under the new name, then the old name is unlinked
    except FileExistsError:
        if album_id is not None:
            forget_file(catalog, album_id, pf.dest)
        raise
    if album_id is not None:
        forget_file(catalog, album_id, pf.moved_from)
    fs.remove_empty_parents(old, root)
    summary.moved += 1


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
