"""Saved albums: a query (SearchSpec JSON), a destination and options, plus the files each
export of the album wrote (`album_files`) — the only files a re-export may ever remove."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from ..search.spec import SearchSpec
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

    def to_json(self) -> dict:
        shown = self.display_spec or self.spec
        return {"id": self.id, "name": self.name, "query": self.spec.to_json(),
                "query_names": shown.to_json(),
                "destination": self.destination, "options": self.options.to_json(),
                "created_at": self.created_at, "exported_at": self.exported_at,
                "file_count": self.file_count}


@dataclass
class AlbumFile:
    photo_id: int | None
    dest_path: str
    size: int | None
    mtime_ns: int | None
    kind: str        # photo | xmp
    slot: str        # person sub-folder ("" otherwise)


def _album(catalog, row, count: int = 0) -> Album:
    spec = SearchSpec.from_json(json.loads(row["query"]))
    return Album(id=row["id"], name=row["name"], spec=spec, destination=row["destination"],
                 options=ExportOptions.from_json(json.loads(row["options"])),
                 created_at=row["created_at"], exported_at=row["exported_at"], file_count=count,
                 display_spec=named_spec(catalog, spec))


def named_spec(catalog, spec: SearchSpec) -> SearchSpec:
    """For display: the spec with people ids replaced by their current names (where named)."""
    from dataclasses import replace

    names = dict(catalog.conn.execute("SELECT id, name FROM people WHERE name IS NOT NULL"))

    def show(ref):
        return names.get(ref, ref) if isinstance(ref, int) else ref

    similar = spec.similar_to_person
    return replace(spec, people_all=[show(r) for r in spec.people_all],
                   people_any=[show(r) for r in spec.people_any],
                   people_not=[show(r) for r in spec.people_not],
                   similar_to_person=show(similar) if similar is not None else None)


def list_albums(catalog) -> list[Album]:
    rows = catalog.conn.execute(
        """SELECT a.*, (SELECT COUNT(*) FROM album_files af
                        WHERE af.album_id = a.id AND af.kind = 'photo') AS n
           FROM albums a ORDER BY a.name COLLATE NOCASE""").fetchall()
    return [_album(catalog, r, r["n"]) for r in rows]


def find_album(catalog, name: str) -> Album | None:
    row = catalog.conn.execute(
        """SELECT a.*, (SELECT COUNT(*) FROM album_files af
                        WHERE af.album_id = a.id AND af.kind = 'photo') AS n
           FROM albums a WHERE a.name = ?""", (name,)).fetchone()
    return _album(catalog, row, row["n"]) if row else None


def get_album(catalog, name: str) -> Album:
    album = find_album(catalog, name)
    if album is None:
        raise ExportError(f"no album named {name!r}")
    return album


def pin_people(catalog, spec: SearchSpec) -> SearchSpec:
    """The spec with each person name that means exactly one person replaced by its id, so a
    saved album keeps following Anna after she is renamed "Anna Smith"."""
    from dataclasses import replace

    from ..search.people import resolve_person

    def pin(ref):
        if isinstance(ref, int):
            return ref
        ids = resolve_person(catalog.conn, ref)
        return next(iter(ids)) if len(ids) == 1 else ref

    similar = spec.similar_to_person
    return replace(spec, people_all=[pin(r) for r in spec.people_all],
                   people_any=[pin(r) for r in spec.people_any],
                   people_not=[pin(r) for r in spec.people_not],
                   similar_to_person=pin(similar) if similar is not None else None)


def create_album(catalog, name: str, spec: SearchSpec, destination: str,
                 options: ExportOptions) -> Album:
    """Save an album; people named in `spec` are stored by id (see `pin_people`)."""
    spec = pin_people(catalog, spec)
    name = name.strip()
    if not name:
        raise ExportError("an album needs a name")
    with catalog.transaction() as conn:
        if conn.execute("SELECT 1 FROM albums WHERE name = ?", (name,)).fetchone():
            raise ExportError(f"an album named {name!r} already exists; update it with "
                              f"--album {name!r}")
        conn.execute("INSERT INTO albums(name, query, destination, options, created_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (name, json.dumps(spec.to_json()), destination,
                      json.dumps(options.to_json()), time.time()))
    return get_album(catalog, name)


def delete_album(catalog, name: str) -> bool:
    """Forget an album (its exported files stay where they are)."""
    with catalog.transaction() as conn:
        return conn.execute("DELETE FROM albums WHERE name = ?", (name,)).rowcount > 0


def album_files(catalog, album_id: int) -> list[AlbumFile]:
    rows = catalog.conn.execute(
        "SELECT photo_id, dest_path, size, mtime_ns, kind, slot FROM album_files "
        "WHERE album_id = ? ORDER BY dest_path", (album_id,)).fetchall()
    return [AlbumFile(*r) for r in rows]


def record_file(catalog, album_id: int, f: AlbumFile) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT INTO album_files(album_id, photo_id, dest_path, size, mtime_ns, kind, slot,"
            " exported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(album_id, dest_path) DO"
            " UPDATE SET photo_id=excluded.photo_id, size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, kind=excluded.kind, slot=excluded.slot,"
            " exported_at=excluded.exported_at",
            (album_id, f.photo_id, f.dest_path, f.size, f.mtime_ns, f.kind, f.slot, time.time()))


def forget_file(catalog, album_id: int, dest_path: str) -> None:
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM album_files WHERE album_id = ? AND dest_path = ?",
                     (album_id, dest_path))


def mark_exported(catalog, album_id: int) -> None:
    with catalog.transaction() as conn:
        conn.execute("UPDATE albums SET exported_at = ? WHERE id = ?", (time.time(), album_id))
