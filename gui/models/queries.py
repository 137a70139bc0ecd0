"""What the views read, in the shapes their models hold: core's read API (`core.library`,
`core.people`) called from worker threads, and nothing else: no SQL in the GUI
(tests/test_layers.py).

Each function takes what the worker has at hand (a connection for `AppContext.read`, a Catalog
for `read_catalog`) and returns rows the Qt models show as they are.
"""

from __future__ import annotations

from typing import NamedTuple

from core import library
from core.library import CatalogStamp, catalog_stamp  # noqa: F401 - the watcher's fingerprint
from core.library import Face as FaceRow   # a face strip's, a photo's or the review's rows
from core.library import Photo as PhotoRow  # the photo grids' rows


class PersonRow(NamedTuple):
    """A person card (a tuple: the people list is saved as JSON lists, see PEOPLE_SNAPSHOT)."""
    id: int
    name: str | None
    faces: int
    photos: int
    hidden: bool
    cover_face_id: int | None


# -- photos -------------------------------------------------------------------------------------

def all_photos(conn) -> list[PhotoRow]:
    """The photo grid: newest first."""
    return library.all_photos(conn, newest_first=True)


def person_photos(catalog, person_id: int) -> list[PhotoRow]:
    """A person's photos, newest first as the photo grid (the CLI lists them oldest first)."""
    from core.people import person_photos

    return [PhotoRow(p.id, p.path, p.taken_at, p.width, p.height)
            for p in person_photos(catalog, person_id, newest_first=True)]


photo_record = library.photo
photo_faces = library.photo_faces
library_dates = library.library_dates
person_names = library.person_names
person_name = library.person_name


def folder_paths(conn) -> list[str]:
    """The library's folders (the settings' list), by path."""
    return [folder.path for folder in library.folders(conn)]


# -- people -------------------------------------------------------------------------------------

def people(catalog) -> list[PersonRow]:
    """Every person and unnamed group, hidden ones too (the view filters), from the people
    core: counts, and the cover (the chosen face, else their best-quality face)."""
    from core.people import list_people

    return [PersonRow(p.id, p.name, p.face_count, p.photo_count, p.hidden, p.cover_face_id)
            for p in list_people(catalog, include_hidden=True) if p.face_count]


PEOPLE_SNAPSHOT = "gui_people.json"


def save_people_snapshot(catalog_dir, rows: list[PersonRow]) -> None:
    """The people list as last shown, beside the catalog: the next start paints it at once
    and replaces it when the live query (about a second at 150,000 faces) is done."""
    import json
    import os
    import tempfile
    from pathlib import Path

    path = Path(catalog_dir) / PEOPLE_SNAPSHOT
    tmp = None
    try:  # a cache: a read-only or full disk only costs the next start its head start
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump([list(r) for r in rows], stream)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def load_people_snapshot(catalog_dir) -> list[PersonRow]:
    import json
    from pathlib import Path

    try:
        data = json.loads((Path(catalog_dir) / PEOPLE_SNAPSHOT).read_text())
        return [PersonRow(*r) for r in data]
    except (OSError, ValueError, TypeError):
        return []


def person_faces(catalog, person: PersonRow) -> list[FaceRow]:
    """The person's face strip, best quality first."""
    from core.people import person_faces

    return [FaceRow(f.id, f.photo_id, f.path, f.box, f.photo_size, f.person_id, person.name)
            for f in person_faces(catalog, person.id)]


# -- review -------------------------------------------------------------------------------------

review_people = library.review_people
review_count = library.review_count
review_faces = library.review_faces
