"""Saved albums: a query (SearchSpec JSON), a destination and options, plus the files each
export of the album wrote (`album_files`) — the only files a re-export may ever remove."""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..search.spec import SearchSpec
from ..text import clean_text
from .options import ExportError, ExportOptions


@dataclass
class Album:
    id: int
    name: str
    spec: SearchSpec
    destination: str
    options: ExportOptions
    created_at: float
    exported_at: float | None
    file_count: int = 0          # photos (not sidecars) the album's exports wrote and still own
    display_spec: SearchSpec | None = None   # the query with people ids shown as current names
    pinned_names: dict[int, str] | None = None   # id -> name when last saved/exported
    cover_photo_id: int | None = None   # a photo of the album (its latest), for its cover

    @property
    def shown_spec(self) -> SearchSpec:
        """The query as a person reads it: people by their current names where known."""
        return self.display_spec or self.spec

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "query": self.spec.to_json(),
                "query_names": self.shown_spec.to_json(),
                "destination": self.destination, "options": self.options.to_json(),
                "created_at": self.created_at, "exported_at": self.exported_at,
                "file_count": self.file_count, "cover_photo_id": self.cover_photo_id}


@dataclass
class AlbumFile:
    photo_id: int | None
    dest_path: str
    size: int | None
    mtime_ns: int | None
    kind: str        # photo | xmp
    slot: str        # person sub-folder ("" otherwise)
    source_path: str | None = None       # the original it was made from (None: before v3)
    source_size: int | None = None       # the original's size and mtime at that time
    source_mtime_ns: int | None = None
    person_id: int | None = None         # whose sub-folder (--by person)
    pending_size: int | None = None      # the state of a newer version being put in place
    pending_mtime_ns: int | None = None

    def unchanged(self, state) -> bool:
        """Is the file's state (a `files.Written`, None when absent) as the album wrote it?"""
        return state is not None and (state.size, state.mtime_ns) == (self.size, self.mtime_ns)

    def is_state(self, size: int, mtime_ns: int) -> bool:
        """Is (size, mtime) this file as the album wrote it (or is writing it)?"""
        return (size, mtime_ns) in ((self.size, self.mtime_ns),
                                    (self.pending_size, self.pending_mtime_ns))


def _album(catalog, row, count: int = 0) -> Album:
    """An Album from a row of `_ALBUM_ROWS`."""
    spec = SearchSpec.from_json(json.loads(row["query"]))
    raw_options = json.loads(row["options"])
    pinned = {int(k): v for k, v in raw_options.get("pinned_names", {}).items()}
    return Album(id=row["id"], name=row["name"], spec=spec, destination=row["destination"],
                 options=ExportOptions.from_json(raw_options),
                 created_at=row["created_at"], exported_at=row["exported_at"], file_count=count,
                 display_spec=named_spec(catalog, spec), pinned_names=pinned,
                 cover_photo_id=row["cover"])


def _refs(spec: SearchSpec) -> list:
    refs = [*spec.people_all, *spec.people_any, *spec.people_not]
    return refs + ([spec.similar_to_person] if spec.similar_to_person is not None else [])


def _map_refs(spec: SearchSpec, fn) -> SearchSpec:
    from dataclasses import replace

    similar = spec.similar_to_person
    return replace(spec, people_all=[fn(r) for r in spec.people_all],
                   people_any=[fn(r) for r in spec.people_any],
                   people_not=[fn(r) for r in spec.people_not],
                   similar_to_person=fn(similar) if similar is not None else None)


def _names_of(catalog, spec: SearchSpec) -> dict[int, str]:
    ids = [r for r in _refs(spec) if isinstance(r, int)]
    if not ids:
        return {}
    rows = catalog.conn.execute(
        "SELECT id, name FROM people WHERE name IS NOT NULL AND id IN "
        "(SELECT value FROM json_each(?))", (json.dumps(ids),)).fetchall()
    return {r[0]: r[1] for r in rows}


def person_ids(catalog) -> set[int]:
    return {r[0] for r in catalog.conn.execute("SELECT id FROM people")}


def repair_spec(catalog, album: Album, *, keep_merged: bool = False) -> SearchSpec:
    """The album's query with people that no longer exist found again: followed into the
    merge that took them, else by the name they had when last exported.

    `keep_merged` leaves a person followed into a merge as themselves (what is stored: the
    merge may be undone, and the album must then ask for them again)."""
    existing = person_ids(catalog)
    pinned = album.pinned_names or {}

    def repair(ref):
        if not isinstance(ref, int) or ref in existing:
            return ref
        merged = _merged_into(catalog, ref, existing)
        if merged is not None:
            return ref if keep_merged else merged
        name = pinned.get(ref)
        rows = catalog.conn.execute("SELECT id FROM people WHERE name = ? COLLATE NOCASE",
                                    (name,)).fetchall() if name else []
        if len(rows) != 1:
            what = f"{name!r} (id {ref})" if name else f"id {ref}"
            raise ExportError(f"person {what} of album {album.name!r} no longer exists "
                              f"(merged or forgotten); save the album again with the right "
                              f"people")
        return rows[0][0]

    return _map_refs(album.spec, repair)


def _merged_into(catalog, person_id: int, existing: set[int]) -> int | None:
    """The person whose faces `person_id`'s joined, following merges of merges."""
    seen = set()
    while person_id not in existing and person_id not in seen:
        seen.add(person_id)
        row = catalog.conn.execute("SELECT target FROM person_merges WHERE source = ?",
                                   (person_id,)).fetchone()
        if row is None:
            return None
        person_id = row[0]
    return person_id if person_id in existing else None


def update_album_query(catalog, album: Album) -> None:
    """Store the repaired query (people merged away kept as themselves) and the people's
    current names for the next repair."""
    spec = repair_spec(catalog, album, keep_merged=True)
    names = {**(album.pinned_names or {}), **_names_of(catalog, spec)}
    raw = {**album.options.to_json(), "pinned_names": names}
    with catalog.transaction() as conn:
        conn.execute("UPDATE albums SET query = ?, options = ? WHERE id = ?",
                     (json.dumps(spec.to_json()), json.dumps(raw), album.id))


def named_spec(catalog, spec: SearchSpec) -> SearchSpec:
    """For display: the spec with people ids replaced by their current names (where named;
    a person merged away is shown as the one they joined)."""
    existing = person_ids(catalog)

    def followed(ref):
        if isinstance(ref, int) and ref not in existing:
            return _merged_into(catalog, ref, existing) or ref
        return ref

    spec = _map_refs(spec, followed)
    names = _names_of(catalog, spec)
    return _map_refs(spec, lambda ref: names.get(ref, ref) if isinstance(ref, int) else ref)


# An album with its photo count and its cover: the newest of its photos still in the library.
_ALBUM_ROWS = """SELECT a.*, (SELECT COUNT(*) FROM album_files af
                              WHERE af.album_id = a.id AND af.kind = 'photo') AS n,
                        (SELECT af.photo_id FROM album_files af JOIN photos p
                              ON p.id = af.photo_id
                         WHERE af.album_id = a.id AND af.kind = 'photo'
                         ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.id DESC
                         LIMIT 1) AS cover
                 FROM albums a"""


def list_albums(catalog) -> list[Album]:
    rows = catalog.conn.execute(_ALBUM_ROWS + " ORDER BY a.name COLLATE NOCASE").fetchall()
    return [_album(catalog, r, r["n"]) for r in rows]


def album_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM albums WHERE name = ?", (name,)).fetchone() is not None


def find_album(catalog, name: str) -> Album | None:
    """By name as typed, or as it is stored now that names are text (core/text.py)."""
    row = catalog.conn.execute(_ALBUM_ROWS + " WHERE a.name IN (?, ?) ORDER BY a.name = ? DESC",
                               (name, clean_text(name), name)).fetchone()
    return _album(catalog, row, row["n"]) if row else None


def get_album(catalog, name: str) -> Album:
    album = find_album(catalog, name)
    if album is None:
        raise ExportError(f"no album named {name!r}")
    return album


def pin_people(catalog, spec: SearchSpec) -> SearchSpec:
    """The spec with each person name that means exactly one person replaced by its id, so a
    saved album keeps following Anna after she is renamed "Anna Smith" (and, through the names
    kept beside it, after she is merged into another group: `repair_spec`)."""
    from ..search.people import resolve_person

    def pin(ref):
        if isinstance(ref, int):
            return ref
        ids = resolve_person(catalog.conn, ref)
        return next(iter(ids)) if len(ids) == 1 else ref

    return _map_refs(spec, pin)


def create_album(catalog, name: str, spec: SearchSpec, destination: str,
                 options: ExportOptions) -> Album:
    """Save an album; people named in `spec` are stored by id (see `pin_people`)."""
    spec = pin_people(catalog, spec)
    name = clean_text(name)  # names are text: core/text.py
    if not name:
        raise ExportError("an album needs a name")
    with catalog.transaction() as conn:
        if album_exists(conn, name):
            raise ExportError(f"an album named {name!r} already exists; update it with "
                              f"--album {name!r}")
        raw_options = {**options.to_json(), "pinned_names": _names_of(catalog, spec)}
        conn.execute("INSERT INTO albums(name, query, destination, options, created_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (name, json.dumps(spec.to_json()), destination, json.dumps(raw_options),
                      time.time()))
    return get_album(catalog, name)


def rename_album(catalog, old: str, new: str) -> Album:
    """Give an album another name (its folder, files and query stay as they are)."""
    new = clean_text(new).strip()  # names are text: core/text.py
    if not new:
        raise ExportError("an album needs a name")
    with catalog.transaction() as conn:
        album = find_album(catalog, old)   # as typed, else as stored now
        if album is None:
            raise ExportError(f"no album named {old!r}")
        clash = conn.execute("SELECT 1 FROM albums WHERE name = ? AND id != ?",
                             (new, album.id)).fetchone()
        if clash is not None:
            raise ExportError(f"an album named {new!r} already exists")
        conn.execute("UPDATE albums SET name = ? WHERE id = ?", (new, album.id))
    return get_album(catalog, new)


@dataclass
class AlbumDeletion:
    """What deleting an album with its files did (or, from `album_deletion_plan`, would do)."""
    name: str
    destination: str
    photos: int = 0        # the album's own photo files, unchanged since written: removed
    sidecars: int = 0      # its own XMP sidecars and manifest, unchanged: removed
    kept: list[str] | None = None   # its files changed since (someone's now): left alone
    missing: int = 0       # files it wrote that are gone already
    files_deleted: bool = False

    def to_json(self) -> dict:
        return {"album": self.name, "destination": self.destination,
                "files_deleted": self.files_deleted, "photos": self.photos,
                "sidecars": self.sidecars, "kept": self.kept or [], "missing": self.missing}


def _own_files(catalog, album: Album) -> tuple[list[Path], AlbumDeletion]:
    """The album's files that are still exactly as it wrote them, and the counts."""
    from . import files as fs
    from .manifest import _ours, manifest_path

    result = AlbumDeletion(album.name, album.destination, kept=[])
    removable: list[Path] = []
    for f in album_files(catalog, album.id):
        state = fs.file_state(Path(f.dest_path))
        if state is None:
            result.missing += 1
        elif f.unchanged(state):
            removable.append(Path(f.dest_path))
            if f.kind == "photo":
                result.photos += 1
            else:
                result.sidecars += 1
        else:
            result.kept.append(f.dest_path)
    fmt = album.options.manifest
    if fmt and album.file_count:
        path = manifest_path(Path(album.destination), fmt)
        if path.is_file() and _ours(path, fmt):
            removable.append(path)
            result.sidecars += 1
    return removable, result


def album_deletion_plan(catalog, name: str) -> AlbumDeletion:
    """What `delete_album(..., delete_files=True)` would remove; touches nothing."""
    return _own_files(catalog, get_album(catalog, name))[1]


def delete_album(catalog, name: str, *, delete_files: bool = False) -> AlbumDeletion | None:
    """Forget an album; None when there is no such album. Its exported files stay where they
    are unless `delete_files`: then the files the album wrote itself and nobody changed since
    (photos, XMP sidecars, its manifest) are deleted, with the folders that leaves empty —
    nothing else in the folder is ever touched (the same rule as --prune)."""
    album = find_album(catalog, name)
    if album is None:
        return None
    result = AlbumDeletion(album.name, album.destination)
    if delete_files:
        from . import files as fs

        removable, result = _own_files(catalog, album)
        root = Path(album.destination)
        for path in removable:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            fs.remove_empty_parents(path, root)
        with contextlib.suppress(OSError):
            root.rmdir()   # only ever succeeds on an empty folder: nothing else was in it
        result.files_deleted = True
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM albums WHERE id = ?", (album.id,))
    return result


def album_files(catalog, album_id: int) -> list[AlbumFile]:
    rows = catalog.conn.execute(
        "SELECT photo_id, dest_path, size, mtime_ns, kind, slot, source_path, source_size, "
        "source_mtime_ns, person_id, pending_size, pending_mtime_ns FROM album_files "
        "WHERE album_id = ? ORDER BY dest_path",
        (album_id,)).fetchall()
    return [AlbumFile(*r) for r in rows]


def record_file(catalog, album_id: int, f: AlbumFile) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT INTO album_files(album_id, photo_id, dest_path, size, mtime_ns, kind, slot,"
            " source_path, source_size, source_mtime_ns, person_id, pending_size,"
            " pending_mtime_ns, exported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(album_id, dest_path) DO"
            " UPDATE SET photo_id=excluded.photo_id, size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, kind=excluded.kind, slot=excluded.slot,"
            " source_path=excluded.source_path, source_size=excluded.source_size,"
            " source_mtime_ns=excluded.source_mtime_ns, person_id=excluded.person_id,"
            " pending_size=excluded.pending_size, pending_mtime_ns=excluded.pending_mtime_ns,"
            " exported_at=excluded.exported_at",
            (album_id, f.photo_id, f.dest_path, f.size, f.mtime_ns, f.kind, f.slot,
             f.source_path, f.source_size, f.source_mtime_ns, f.person_id, f.pending_size,
             f.pending_mtime_ns, time.time()))


def rekey_file(catalog, album_id: int, dest_path: str, photo_id: int) -> None:
    """The photo came back under a new id: its album file and sidecar are filed under it."""
    with catalog.transaction() as conn:
        conn.execute("UPDATE album_files SET photo_id = ? WHERE album_id = ? AND "
                     "dest_path IN (?, ?)", (photo_id, album_id, dest_path, dest_path + ".xmp"))


def forget_file(catalog, album_id: int, dest_path: str) -> None:
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM album_files WHERE album_id = ? AND dest_path = ?",
                     (album_id, dest_path))


def mark_exported(catalog, album_id: int) -> None:
    with catalog.transaction() as conn:
        conn.execute("UPDATE albums SET exported_at = ? WHERE id = ?", (time.time(), album_id))
