"""What a search asks for (`SearchSpec`) and what it returns (`PhotoHit`).

The spec is plain data: the GUI, the CLI and saved albums (export) build it, store it as JSON
(`to_json` / `from_json` round-trip exactly) and hand it to `core.search.search_photos`.

Kinds of query (at most one of face_id / photo_path / similar_to_person):
- `face_id`: photos with a face similar to this library face.
- `photo_path`: photos with a face similar to a face of an outside image. The image's faces are
  detected and embedded in memory; nothing from it is stored. `photo_face` picks one of its faces
  (index in `detect_query_faces` order); None searches with each face and tags every hit with
  `query_face` so the caller can show results per face and let the user pick.
- `similar_to_person`: every face assigned to that person is a query (not one centroid, so older
  and younger photos are found); hits are the photos where the person is assigned plus the photos
  with an unassigned face similar to any of theirs. Faces assigned to someone else or rejected
  for this person ("not this person") are never returned.
- none of the three: a people-only search, answered from assignments alone.
- `photo_ids`: these photos of the library (a selection in a grid); alone it is the whole
  query, with the others it narrows them like a filter.

People filters (`people_all` AND, `people_any` OR, `people_not` NOT) select by assignments
(faces.person_id, not ignored): a photo "has Anna" when one of its faces is assigned to Anna.
They never widen a similarity search; they filter it. Entries are a person id (int) or a name
(str; every person with that name, case-insensitive).

Filters: `date_from` / `date_to` (ISO dates or datetimes, inclusive, on photos.taken_at; a bare
date as `date_to` includes that whole day), `folder` (photos under this folder).
`min_similarity` None means the calibrated default (`core.search.threshold.DEFAULT_MIN_SIMILARITY`).
`top` limits the number of photos (per query face for an outside photo).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..ids import MAX_ID, checked_id, out_of_range

PersonRef = str | int


@dataclass
class SearchSpec:
    face_id: int | None = None                 # query by a face in the library
    photo_path: str | None = None              # query by an outside image
    photo_face: int | None = None              # which face of that image (None: all, per face)
    similar_to_person: PersonRef | None = None  # query by all of a person's assigned faces
    people_all: list[PersonRef] = field(default_factory=list)  # AND: photos with all of these
    people_any: list[PersonRef] = field(default_factory=list)  # OR: with at least one of these
    people_not: list[PersonRef] = field(default_factory=list)  # NOT: with none of these
    date_from: str | None = None               # ISO date, on photos.taken_at, inclusive
    date_to: str | None = None
    folder: str | None = None                  # photos under this folder
    min_similarity: float | None = None        # None: the calibrated default
    top: int | None = None                     # at most this many photos (per query face)
    photo_ids: list[int] = field(default_factory=list)  # only these photos (a selection)

    def __post_init__(self) -> None:
        # Callers may pass tuples; keep lists so JSON round-trips compare equal.
        self.photo_ids = list(self.photo_ids)
        self.people_all = list(self.people_all)
        self.people_any = list(self.people_any)
        self.people_not = list(self.people_not)

    @property
    def is_similarity_query(self) -> bool:
        return (self.face_id is not None or self.photo_path is not None
                or self.similar_to_person is not None)

    def validate(self) -> None:
        """Raise ValueError for a spec no search can answer."""
        kinds = [k for k in ("face_id", "photo_path", "similar_to_person")
                 if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError(f"one query at a time: {', '.join(kinds)} given")
        if not kinds and not (self.people_all or self.people_any or self.photo_ids):
            raise ValueError("nothing to search for: give a face, a photo, a person "
                             "or people to include")
        if self.photo_face is not None and self.photo_path is None:
            raise ValueError("photo_face needs photo_path")
        if self.min_similarity is not None and not -1.0 <= self.min_similarity <= 1.0:
            raise ValueError(f"min_similarity must be in [-1, 1], not {self.min_similarity}")
        if self.top is not None and self.top < 1:
            raise ValueError(f"top must be at least 1, not {self.top}")
        if self.face_id is not None:
            checked_id(self.face_id, "face_id")
        for ref in (self.similar_to_person, *self.people_all, *self.people_any,
                    *self.people_not):
            if out_of_range(ref):
                checked_id(ref, "person id")
        for photo in self.photo_ids or ():
            checked_id(photo, "photo id")

    def describe(self) -> str:
        """One line for people: "Anna and Ben; without Carl; 2019-01-01 to ..."."""
        parts = []
        if self.photo_ids:
            count = len(self.photo_ids)
            parts.append(f"{count} chosen photo{'' if count == 1 else 's'}")
        if self.people_all:
            parts.append(" and ".join(map(str, self.people_all)))
        if self.people_any:
            parts.append(" or ".join(map(str, self.people_any)))
        if self.similar_to_person is not None:
            who = self.similar_to_person
            parts.append(f"like person {who}" if isinstance(who, int) else f"like {who}")
        if self.face_id is not None:
            parts.append(f"like face {self.face_id}")
        if self.photo_path:
            parts.append(f"like {self.photo_path}")
        if self.people_not:
            parts.append("without " + ", ".join(map(str, self.people_not)))
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or '...'} to {self.date_to or '...'}")
        if self.folder:
            parts.append(f"in {self.folder}")
        return "; ".join(parts) or "search"

    def to_json(self) -> dict:
        data = asdict(self)
        if not data["photo_ids"]:
            del data["photo_ids"]  # (a saved search stays readable by an older Faceshelf)
        return data

    @classmethod
    def from_json(cls, d: dict) -> "SearchSpec":
        """The spec of a JSON object; ValueError names the field that is not as `to_json`
        writes it (a saved search, a script's query)."""
        if not isinstance(d, dict):
            raise ValueError(f"a search must be a JSON object, not {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown search fields: {', '.join(sorted(unknown))}")
        for name, value in d.items():
            if value is not None or name.startswith("people_") or name == "photo_ids":
                _check_field(name, value)
        return cls(**d)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value) -> bool:
    return _is_int(value) and not out_of_range(value)


def _is_person(value) -> bool:
    return _is_id(value) or (isinstance(value, str) and value.strip() != "")


_FIELD_CHECKS = {  # field -> (accepts, what it must be)
    "face_id": (_is_id, f"a face id (an integer from 1 to {MAX_ID})"),
    "photo_face": (_is_int, "a face number (an integer)"),
    "top": (_is_int, "an integer"),
    "photo_path": (lambda v: isinstance(v, str), "a path (a string)"),
    "date_from": (lambda v: isinstance(v, str), "an ISO date string"),
    "date_to": (lambda v: isinstance(v, str), "an ISO date string"),
    "folder": (lambda v: isinstance(v, str), "a folder path (a string)"),
    "min_similarity": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                       "a number"),
    "similar_to_person": (_is_person, f"a person's name or id (at most {MAX_ID})"),
    "people_all": (lambda v: isinstance(v, list) and all(map(_is_person, v)),
                   f"a list of people's names or ids (ids at most {MAX_ID})"),
    "photo_ids": (lambda v: isinstance(v, list) and all(map(_is_id, v)),
                  f"a list of photo ids (integers from 1 to {MAX_ID})"),
}
_FIELD_CHECKS["people_any"] = _FIELD_CHECKS["people_not"] = _FIELD_CHECKS["people_all"]


def _check_field(name: str, value) -> None:
    accepts, expected = _FIELD_CHECKS[name]
    if not accepts(value):
        raise ValueError(f"search field {name!r} must be {expected}, not {value!r}")


@dataclass
class PhotoHit:
    photo_id: int
    path: str
    similarity: float | None    # best face's cosine; None for a people-only search
    face_id: int | None         # the best-matching face (people-only: a face of the first person)
    box: tuple[float, float, float, float] | None   # that face, oriented full-resolution pixels
    person_id: int | None       # who that face is assigned to, if anyone
    person_name: str | None
    query_face: int | None = None  # outside photo searched face by face: which of its faces
    # what a grid shows of the photo, read with the hit (no second query per result list)
    taken_at: str | None = None
    width: int = 0
    height: int = 0

    def to_json(self) -> dict:
        d = asdict(self)
        d["box"] = list(self.box) if self.box is not None else None
        return d


@dataclass
class QueryFace:
    """A face found in an outside image: what the caller shows to pick one."""
    index: int
    box: tuple[float, float, float, float]   # oriented pixels of that image
    det_score: float


MAX_SPEC_BYTES = 1 << 20   # a search is a few hundred bytes; 1 MB leaves room for photo_ids


def read_spec(source: str, flag: str = "--spec") -> SearchSpec:
    """A SearchSpec from a JSON file, or standard input for "-", read at most MAX_SPEC_BYTES
    (so /dev/zero or a wrong file is refused at once, not read for minutes). ValueError with a
    sentence naming `flag` and the file for anything that is not a search."""
    import json
    import sys

    where = "standard input" if source == "-" else source
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
        else:
            with open(source, "rb") as stream:
                data = stream.read(MAX_SPEC_BYTES + 1)
    except IsADirectoryError:
        raise ValueError(f"{flag} {where} is not a search: it is a folder") from None
    except OSError as error:
        reason = (error.strerror or str(error)).lower()  # words, as the CLI says OS errors
        raise ValueError(f"cannot read {flag} {where}: {reason}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise ValueError(f"{flag} {where} is not a search: larger than "
                         f"{MAX_SPEC_BYTES // (1 << 20)} MB ({MAX_SPEC_BYTES:,} bytes)")
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{flag} {where} is not a search: not text (UTF-8)") from None
    except RecursionError:
        raise ValueError(f"{flag} {where} is not a search: nested too deeply") from None
    except ValueError as error:
        raise ValueError(f"{flag} {where} is not a search: not valid JSON ({error})") from None
    try:
        return SearchSpec.from_json(value)
    except ValueError as error:
        raise ValueError(f"{flag} {where}: {error}") from None
