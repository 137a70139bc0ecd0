"""Which photos an export writes: a `SearchSpec` answered by `search_photos`, then the catalog
facts a file name and an XMP sidecar need (date, oriented size, named faces)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..search import SearchSpec, search_photos


@dataclass
class FaceRegion:
    face_id: int
    person_id: int
    name: str
    box: tuple[float, float, float, float]   # oriented full-resolution pixels


@dataclass
class ExportItem:
    photo_id: int
    path: str
    taken_at: str | None
    width: int | None            # after EXIF orientation
    height: int | None
    orientation: int | None
    people: list[str] = field(default_factory=list)      # named people in it, sorted
    faces: list[FaceRegion] = field(default_factory=list)  # faces assigned to a named person
    slots: list[str] = field(default_factory=lambda: [""])  # sub-folder per person, or [""]


def select_items(catalog, spec: SearchSpec, by: str | None = None) -> list[ExportItem]:
    """The photos of `spec`, oldest first (stable names and collision numbers across runs)."""
    hits = search_photos(catalog, spec)
    photo_ids = list(dict.fromkeys(h.photo_id for h in hits))  # one per photo (per face)
    items = load_items(catalog, photo_ids)
    if by == "person":
        wanted = _spec_person_names(catalog, spec)
        for item in items:
            chosen = item.people if wanted is None else [
                n for n in item.people if n.casefold() in wanted]
            item.slots = chosen or [""]
    items.sort(key=lambda i: (i.taken_at is None, i.taken_at or "", i.path))
    return items


def load_items(catalog, photo_ids: list[int]) -> list[ExportItem]:
    if not photo_ids:
        return []
    ids = json.dumps(photo_ids)
    rows = catalog.conn.execute(
        """SELECT id, path, taken_at, width, height, orientation FROM photos
           WHERE id IN (SELECT value FROM json_each(?))""", (ids,)).fetchall()
    items = {r[0]: ExportItem(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows}
    faces = catalog.conn.execute(
        """SELECT f.id, f.photo_id, f.person_id, pe.name, f.x1, f.y1, f.x2, f.y2
           FROM faces f JOIN people pe ON pe.id = f.person_id
           WHERE f.photo_id IN (SELECT value FROM json_each(?)) AND f.ignored = 0
             AND pe.name IS NOT NULL AND pe.name != ''
           ORDER BY f.photo_id, f.x1""", (ids,)).fetchall()
    for fid, pid, person, name, x1, y1, x2, y2 in faces:
        item = items[pid]
        item.faces.append(FaceRegion(fid, person, name, (x1, y1, x2, y2)))
    for item in items.values():
        item.people = sorted({f.name for f in item.faces}, key=str.casefold)
    return [items[i] for i in photo_ids if i in items]


def _spec_person_names(catalog, spec: SearchSpec) -> set[str] | None:
    """Casefolded names of the people the spec asks for (the per-person sub-folders); None
    when it asks for no one (a face or a photo: every named person gets a sub-folder). An
    unnamed person asked for has no name here: their photos go to "unknown", not to the
    folder of someone else in the picture."""
    from ..search.people import resolve_person

    refs = list(spec.people_all) + list(spec.people_any)
    if spec.similar_to_person is not None:
        refs.append(spec.similar_to_person)
    if not refs:
        return None
    ids: set[int] = set()
    for ref in refs:
        ids |= resolve_person(catalog.conn, ref)
    if not ids:
        return set()
    rows = catalog.conn.execute(
        "SELECT name FROM people WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(ids)),)).fetchall()
    return {r[0].casefold() for r in rows if r[0]}
