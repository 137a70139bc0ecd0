"""Deciding what an export will do, file by file, before touching anything.

The plan is also the dry run and the GUI's preview. Each planned file has an action:
    add     write it (reason: new | missing — an album file that disappeared is restored)
    skip    nothing to do (exported — the album wrote it; present — an identical file is
            already there; modified — the album wrote it, someone changed it since: left alone)
    update  rewrite a file the album wrote and nobody changed (sidecar_changed — names changed
            since; original_changed — the original was edited since it was copied, or moved
            in the library, for a symbolic link)
    move    an album file in the folder of a person's old name (renamed — the person was
            renamed or merged): moved to the folder of the name they have now
    remove  with prune: an album file whose photo no longer matches, unchanged since written
            (unmatched); a file whose row outlived it (gone); the old copy a killed move left
            twice (moved)
    keep    an album file no longer matching, left alone (unmatched — no prune asked;
            modified — changed since written, so it is not ours to delete any more;
            present — the plan counts this very file as there for another row)
    error   cannot be written (source_missing, other_device for a hard link)

The album knows its files by `album_files` rows: the photo, the person whose folder it is in,
the original it was made from as it was then, and the file as written. Photo ids are never
reused; a photo that comes back under a new id (its folder removed and added again) is found
again by its file or its original.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..search.spec import SearchSpec
from . import files as fs
from .albums import Album, AlbumFile, album_files, find_album, person_ids, repair_spec
from .naming import name_key, numbered, render
from .options import ExportError, ExportOptions
from .selection import ExportItem, select_items
from .xmp import sidecar_xml

log = logging.getLogger(__name__)


@dataclass
class ExportRequest:
    spec: SearchSpec | None = None
    destination: str | None = None
    options: ExportOptions = field(default_factory=ExportOptions)
    album: str | None = None      # re-export this saved album (its spec, destination, options)
    save_as: str | None = None    # save spec + destination + options under this name, export
    prune: bool = False           # remove album files whose photos no longer match
    dry_run: bool = False
    fsync: bool = True            # flush each file to disk before giving it its final name


@dataclass
class PlannedFile:
    action: str                   # add | skip | update | remove | keep | error
    reason: str
    kind: str                     # photo | xmp
    dest: str                     # absolute path
    photo_id: int | None = None
    source: str | None = None
    slot: str = ""
    owned: AlbumFile | None = None    # the album_files row when the album wrote it
    moved_from: str | None = None     # for a move: where the album's file is now
    person_id: int | None = None      # whose sub-folder (--by person)
    rerecord: bool = False            # a skip whose album_files row must be brought up to date
    rekey: bool = False               # a skip whose album_files rows take the new photo id
    observed: tuple | None = None     # for rerecord: (size, mtime) of the file and its original
    item: ExportItem | None = field(default=None, repr=False)
    content: bytes | None = field(default=None, repr=False)   # sidecar bytes


@dataclass
class ExportPlan:
    destination: str
    options: ExportOptions
    spec: SearchSpec
    album: Album | None           # the saved album being updated (None for one-off / save_as)
    save_as: str | None
    prune: bool
    photos_matched: int
    files: list[PlannedFile]
    stale_temp: list[str]

    def count(self, action: str, kind: str | None = "photo") -> int:
        return sum(1 for f in self.files if f.action == action and (kind is None or f.kind == kind))


def resolve_destination(raw: str) -> Path:
    """Absolute path with symlinks of its existing part resolved (what the OS will write to)."""
    path = Path(os.path.abspath(Path(raw).expanduser()))
    anchor = fs.existing_ancestor(path)
    real = Path(os.path.realpath(anchor)) / path.relative_to(anchor)
    if anchor.exists() and not anchor.is_dir():
        raise ExportError(f"cannot export to {path}: {anchor} is a file, not a folder")
    return real


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def library_roots(catalog) -> list[Path]:
    """The real folders the scan walks: the roots, and the folders that symlinks below them
    lead to (the scan follows those, so a copy exported there would come back as new)."""
    roots = [Path(os.path.realpath(r["path"])) for r in catalog.folders()]
    return roots + _symlinked_folders(roots)


def _symlinked_folders(roots: list[Path]) -> list[Path]:
    """Targets of the folder symlinks the scan would follow, at any depth (those inside the
    targets too), photos there or not. One scandir per folder of the library: an export's
    cost, not a search's."""
    found: list[Path] = []
    seen = {str(root) for root in roots}
    pending = list(roots)
    while pending:
        for folder, subfolders, _files in os.walk(pending.pop()):  # does not follow links
            kept = []
            for name in subfolders:
                if name.startswith("."):
                    continue  # the scan skips hidden folders
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    kept.append(name)
                    continue
                target = os.path.realpath(path)
                if target not in seen and os.path.isdir(target):
                    seen.add(target)
                    found.append(Path(target))
                    pending.append(Path(target))
            subfolders[:] = kept
    return found


def check_outside_library(catalog, dest: Path) -> None:
    for root in library_roots(catalog):
        if _inside(dest, root):
            raise ExportError(
                f"refusing to export into {dest}: it is inside the library folder {root}, "
                f"so the exported copies would be indexed again as new photos; choose a "
                f"folder outside it")
    cat_dir = Path(os.path.realpath(catalog.dir))
    if _inside(dest, cat_dir):
        raise ExportError(f"refusing to export into the catalog folder {cat_dir}")


def _resolve_request(catalog, req: ExportRequest) -> tuple[SearchSpec, str, ExportOptions,
                                                           Album | None]:
    if req.album:
        if req.save_as:
            raise ExportError("give either an album to update or --save-as, not both")
        album = find_album(catalog, req.album)
        if album is None:
            raise ExportError(f"no album named {req.album!r}")
        return repair_spec(catalog, album), album.destination, album.options, album
    if req.spec is None or not req.destination:
        raise ExportError("an export needs a query and a destination (or a saved album)")
    if req.save_as and find_album(catalog, req.save_as.strip()):
        raise ExportError(f"an album named {req.save_as.strip()!r} already exists; update it "
                          f"with --album {req.save_as.strip()!r}")
    if req.prune and not req.save_as:
        raise ExportError("--prune only applies to a saved album (it removes only files the "
                          "album wrote itself)")
    return req.spec, req.destination, req.options, None


class _Names:
    """Names taken in each destination folder, compared as case-insensitive file systems do."""

    def __init__(self) -> None:
        self._dirs: dict[Path, dict[str, str]] = {}

    def folder(self, folder: Path) -> dict[str, str]:
        if folder not in self._dirs:
            try:
                listing = os.listdir(folder)
            except (FileNotFoundError, NotADirectoryError):
                listing = []
            self._dirs[folder] = {name_key(n): n for n in listing}
        return self._dirs[folder]

    def reserve(self, path: Path) -> None:
        self.folder(path.parent)[name_key(path.name)] = path.name


def same_photo(source: str, existing: Path, mode: str) -> bool:
    """Is `existing` what this export would write for `source` (an earlier export's result)?"""
    try:
        if mode == "symlink":
            return os.path.islink(existing) and os.readlink(existing) == os.path.abspath(source)
        if mode == "hardlink":
            return os.path.samefile(source, existing)
        st, src = os.lstat(existing), os.stat(source)
    except OSError:
        return False
    return (not os.path.islink(existing) and st.st_size == src.st_size
            and st.st_mtime_ns == src.st_mtime_ns)


def plan_export(catalog, req: ExportRequest) -> ExportPlan:
    """What `run_export` would do; reads only (the dry run and the GUI preview)."""
    spec, destination, options, album = _resolve_request(catalog, req)
    options.validate()
    try:
        spec.validate()
    except ValueError as error:
        raise ExportError(str(error)) from None
    dest = _checked_destination(catalog, destination, album)
    try:
        items = select_items(catalog, spec, options.by)
    except ValueError as error:   # unknown person, bad date, ...
        raise ExportError(str(error)) from None
    except NotImplementedError as error:
        raise ExportError(f"this kind of search is not available yet ({error})") from None
    planned = _plan_files(catalog, items, dest, options, album, req.prune)
    stale = [str(p) for p in fs.stale_temp_files(dest)]
    return ExportPlan(destination=str(dest), options=options, spec=spec, album=album,
                      save_as=req.save_as.strip() if req.save_as else None, prune=req.prune,
                      photos_matched=len(items), files=planned, stale_temp=stale)


def _checked_destination(catalog, destination: str, album: Album | None) -> Path:
    dest = resolve_destination(destination)
    if album is not None and not dest.is_dir():
        # An unplugged drive must not turn into a fresh copy of the album on the system disk.
        raise ExportError(f"the album's folder {dest} is not there (a drive not connected?); "
                          f"connect it, or create the folder to export the album afresh")
    if not dest.parent.is_dir():
        raise ExportError(f"cannot export to {dest}: the folder {dest.parent} does not exist "
                          f"(only the last folder is created, so that a path on a drive that "
                          f"is not connected is not made on this computer's disk)")
    check_outside_library(catalog, dest)
    return dest


def _plan_files(catalog, items: list[ExportItem], dest: Path, options: ExportOptions,
                album: Album | None, prune: bool) -> list[PlannedFile]:
    owned = album_files(catalog, album.id) if album else []
    owned_by_key = {(f.photo_id, f.slot, f.kind): f for f in owned}
    names = _Names()
    for f in owned:
        names.reserve(Path(f.dest_path))
    dest_dev = os.stat(fs.existing_ancestor(dest)).st_dev
    roots_below = [r for r in library_roots(catalog) if dest in r.parents]
    photos = [_plan_photo(item, slot, dest, options, owned_by_key, names, dest_dev, roots_below)
              for item in items for slot in item.slots]
    leftovers: list[PlannedFile] = []
    if options.by == "person" and owned:
        leftovers = _follow_renamed_people(catalog, photos, owned)
    if owned:
        _find_returned_photos(catalog, photos, owned)
    owned_by_dest = {f.dest_path: f for f in owned}
    planned: list[PlannedFile] = []
    for photo in photos:
        planned.append(photo)
        if options.xmp and photo.action in ("add", "skip", "update", "move"):
            planned.append(_plan_sidecar(photo.item, photo.slot, photo, options, owned_by_dest))
    matched = ({f.owned.dest_path for f in planned if f.owned is not None}
               | {f.dest for f in planned if f.action == "move"}
               | {f.dest for f in leftovers})
    # Files this plan keeps, as directory entries: an album row pointing at one of them (under
    # another photo id, or another spelling of the folder on a disk that ignores case) must
    # never be removed.
    kept = {_entry(f.dest) for f in photos if f.action == "skip"} - {None}
    unmatched = leftovers + [_plan_unmatched(f, prune=prune, kept=kept) for f in owned
                             if f.kind == "photo" and f.dest_path not in matched]
    moved = {f.moved_from for f in photos if f.moved_from} | {f.dest for f in leftovers}
    protected = {f.dest for f in unmatched if f.reason == "present"}
    # An unchanged sidecar of the album's no longer describes the photo (or the photo moved
    # on): it goes with prune, or with its photo. A changed one is someone's (Lightroom keeps
    # its edits there) and stays.
    for f in owned:
        if f.kind != "photo" and f.dest_path not in matched:
            beside = f.dest_path[:-len(".xmp")]
            drop = beside in moved or (prune and beside not in protected)
            unmatched.append(_plan_unmatched(f, prune=drop))
    return planned + unmatched


def _follow_renamed_people(catalog, photos: list[PlannedFile],
                           owned: list[AlbumFile]) -> list[PlannedFile]:
    """In a per-person album, a person renamed (or merged into someone) leaves the album's
    files in the folder of their old name, while the plan wants them in the folder of the
    name they have now: move them there instead of copying them again. Returns the removals
    of copies a killed move left twice."""
    people = person_ids(catalog)
    names = {r[0].casefold() for r in catalog.conn.execute(
        "SELECT name FROM people WHERE name IS NOT NULL")}
    claimed = {f.owned.dest_path for f in photos if f.owned is not None}
    spare: dict[tuple, list[AlbumFile]] = {}
    for f in owned:
        if f.kind != "photo" or not f.slot or f.dest_path in claimed:
            continue
        if f.person_id is not None:   # whose folder it was: renamed, or merged away
            who = f.person_id if f.person_id in people else "gone"
        elif f.slot.casefold() not in names:   # recorded before person ids were
            who = "gone"
        else:
            continue
        state = fs.file_state(Path(f.dest_path))
        if f.unchanged(state):
            spare.setdefault((f.photo_id, who), []).append(f)
    for pf in photos:
        if pf.action == "add" and pf.reason in ("new", "missing"):
            mine = spare.get((pf.photo_id, pf.person_id)) or spare.get((pf.photo_id, "gone"))
            if mine:
                own = mine.pop(0)
                pf.action, pf.reason, pf.moved_from = "move", "renamed", own.dest_path
                pf.owned = own
    # A move killed between its link and its unlink leaves the file twice: the copy in the
    # old folder goes once the new one is the album's.
    settled = {(f.photo_id, f.person_id) for f in photos
               if f.action == "skip" and f.reason == "exported"}
    return [PlannedFile("remove", "moved", kind="photo", dest=f.dest_path, photo_id=f.photo_id,
                        slot=f.slot, owned=f)
            for (photo, who), files in spare.items() if (photo, who) in settled for f in files]


def _find_returned_photos(catalog, photos: list[PlannedFile], owned: list[AlbumFile]) -> None:
    """A photo that left the catalog and came back under a new id (its folder removed and
    added again) finds the album's file of it: where the plan finds it present, or by the
    original it was made from (its path, or its size and mtime if it was moved meanwhile).
    The album keeps that file, changed by the user or not, instead of writing a second one."""
    ids = json.dumps(sorted({f.photo_id for f in owned if f.photo_id is not None}))
    gone = {r[0] for r in catalog.conn.execute(
        "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM photos)", (ids,))}
    spare = [f for f in owned if f.kind == "photo" and f.photo_id in gone]
    if not spare:
        return
    by_entry, by_source, by_state = {}, {}, {}
    for f in spare:
        entry = _entry(f.dest_path)
        if entry is not None:
            by_entry.setdefault(entry, f)
        if f.source_path:
            by_source.setdefault((f.source_path, f.slot), f)
        if f.source_size is not None:
            by_state.setdefault((f.source_size, f.source_mtime_ns, f.slot), f)
    taken: set[str] = set()
    for pf in photos:
        if pf.owned is not None or pf.action not in ("skip", "add"):
            continue
        if pf.action == "skip":    # present: an identical file is where the name points
            own = by_entry.get(_entry(pf.dest))
        else:
            state = _source_state(pf.source)
            own = by_source.get((pf.source, pf.slot)) or (
                by_state.get((*state, pf.slot)) if state else None)
        if own is None or own.dest_path in taken:
            continue
        now = fs.file_state(Path(own.dest_path))
        if now is None:
            continue   # its file is gone too: a new one is written
        taken.add(own.dest_path)
        changed = not own.is_state(now.size, now.mtime_ns)
        pf.action, pf.reason = "skip", "modified" if changed else "exported"
        pf.dest, pf.owned, pf.rekey = own.dest_path, own, True


def _plan_photo(item: ExportItem, slot: str, dest: Path, options: ExportOptions,
                owned_by_key: dict, names: _Names, dest_dev: int,
                roots_below: list[Path]) -> PlannedFile:
    person = next((f.person_id for f in item.faces if f.name == slot), None) if slot else None
    base = dict(kind="photo", photo_id=item.photo_id, source=item.path, slot=slot, item=item,
                person_id=person)
    own = owned_by_key.get((item.photo_id, slot, "photo"))
    if own is not None:   # (photo ids are never reused: the row is this photo's)
        dest_file = Path(own.dest_path)
        state = fs.file_state(dest_file)
        if state is None:
            return _checked_source(PlannedFile("add", "missing", dest=own.dest_path, owned=own,
                                               **base), options, dest_dev)
        if not own.unchanged(state):
            if own.is_state(state.size, state.mtime_ns):
                # a newer version an update killed before its bookkeeping put in place: ours;
                # which state of the original it came from is unknown, so it is written again
                return _checked_source(PlannedFile("update", "original_changed",
                                                   dest=own.dest_path, owned=own, **base),
                                       options, dest_dev)
            if same_photo(item.path, dest_file, options.mode):
                # identical to the original (a hard link edited in place, or an update killed
                # by an older version): ours, up to date
                return PlannedFile("skip", "exported", dest=own.dest_path, owned=own,
                                   rerecord=True, observed=_observed(state, item.path), **base)
            return PlannedFile("skip", "modified", dest=own.dest_path, owned=own, **base)
        if _out_of_date(own, item.path, dest_file, options.mode):
            # the original was edited (or moved, for a link) since: the album gets it anew
            return _checked_source(PlannedFile("update", "original_changed", dest=own.dest_path,
                                               owned=own, **base), options, dest_dev)
        moved = own.source_path != item.path and own.source_path is not None
        return PlannedFile("skip", "exported", dest=own.dest_path, owned=own, rerecord=moved,
                           observed=_observed(state, item.path) if moved else None, **base)

    rel = Path(render(options.template, item, slot, options.by))
    folder = dest / rel.parent
    if any(_inside(folder, r) for r in roots_below):
        return PlannedFile("error", "inside_library", dest=str(dest / rel), **base)
    taken = names.folder(folder)
    n = 1
    while True:
        candidate = numbered(rel.name, n)
        existing = taken.get(name_key(candidate))
        if existing is None:
            break
        if same_photo(item.path, folder / existing, options.mode):
            return PlannedFile("skip", "present", dest=str(folder / existing), **base)
        n += 1
    target = folder / candidate
    names.reserve(target)
    return _checked_source(PlannedFile("add", "new", dest=str(target), **base), options, dest_dev)


def _source_state(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _out_of_date(own: AlbumFile, source: str, dest: Path, mode: str) -> bool:
    """Has the original changed since the album wrote its (unchanged) file?"""
    if mode == "symlink":   # a link must point where the photo is now
        return os.path.lexists(source) and not same_photo(source, dest, mode)
    now = _source_state(source)
    if now is None:
        return False
    if own.source_size is None:   # recorded before the original's state was: compare files
        return not same_photo(source, dest, mode)
    # The original against its own state then (a disk that rounds mtimes, like FAT or SMB,
    # would make the copy's mtime differ from the original's on every run).
    return now != (own.source_size, own.source_mtime_ns)


def _observed(state: fs.Written, source: str) -> tuple | None:
    original = _source_state(source)
    return (state.size, state.mtime_ns, *original) if original else None


def _entry(path: str) -> tuple | None:
    """A directory entry: its folder (as the disk identifies it) and its name as compared."""
    try:
        folder = os.stat(os.path.dirname(path))
    except OSError:
        return None
    return folder.st_dev, folder.st_ino, name_key(os.path.basename(path))


def _checked_source(pf: PlannedFile, options: ExportOptions, dest_dev: int) -> PlannedFile:
    try:
        st = os.stat(pf.source)
    except OSError:
        pf.action, pf.reason = "error", "source_missing"
        return pf
    if options.mode == "hardlink" and st.st_dev != dest_dev:
        pf.action, pf.reason = "error", "other_device"
    return pf


def _plan_sidecar(item: ExportItem, slot: str, photo: PlannedFile, options: ExportOptions,
                  owned_by_dest: dict) -> PlannedFile:
    content = sidecar_xml(item, options.xmp_frame).encode("utf-8")
    dest = photo.dest + ".xmp"
    base = dict(kind="xmp", dest=dest, photo_id=item.photo_id, slot=slot, item=item,
                content=content)
    own = owned_by_dest.get(dest)   # the album's sidecar is the one beside its photo
    state = fs.file_state(Path(dest))
    if own is not None and own.kind == "xmp":
        if state is None:
            return PlannedFile("add", "missing", owned=own, **base)
        if not own.unchanged(state):
            # an update killed before its bookkeeping left the album's own bytes, or ones
            # whose state it recorded as pending: ours either way
            if _read(dest) == content:
                return PlannedFile("skip", "exported", owned=own, rerecord=True,
                                   observed=(state.size, state.mtime_ns, None, None), **base)
            if own.is_state(state.size, state.mtime_ns):
                return PlannedFile("update", "sidecar_changed", owned=own, **base)
            return PlannedFile("skip", "modified", owned=own, **base)
        if _read(dest) == content:
            return PlannedFile("skip", "exported", owned=own, **base)
        return PlannedFile("update", "sidecar_changed", owned=own, **base)
    if state is not None:
        return PlannedFile("skip", "present", **base)
    return PlannedFile("add", "new", **base)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _plan_unmatched(f: AlbumFile, *, prune: bool, kept: set | None = None) -> PlannedFile:
    base = dict(kind=f.kind, dest=f.dest_path, photo_id=f.photo_id, slot=f.slot, owned=f)
    state = fs.file_state(Path(f.dest_path))
    if state is None:
        return PlannedFile("remove", "gone", **base)   # only the bookkeeping row goes
    if not f.unchanged(state):
        return PlannedFile("keep", "modified", **base)
    if kept and _entry(f.dest_path) in kept:
        # the plan counts this very file as there (for a photo that came back under a new
        # id, or under another spelling of its folder): it must not be deleted
        return PlannedFile("keep", "present", **base)
    if not prune:
        return PlannedFile("keep", "unmatched", **base)
    return PlannedFile("remove", "unmatched", **base)
