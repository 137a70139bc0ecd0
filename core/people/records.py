"""What the people API returns: small dataclasses, and the errors a caller can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonSummary:
    id: int
    name: str | None          # None: an unnamed group
    face_count: int
    photo_count: int
    cover_face_id: int | None  # the chosen cover, else the best-quality face
    hidden: bool


@dataclass(frozen=True)
class FaceInfo:
    id: int
    photo_id: int
    path: str
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in oriented pixels
    quality: float
    person_id: int | None
    assigned_by: str | None                 # None | cluster | auto | user
    ignored: bool
    photo_size: tuple[int, int] = (0, 0)    # the photo's oriented (width, height); 0 unknown


@dataclass(frozen=True)
class PhotoInfo:
    id: int
    path: str
    taken_at: str | None
    face_ids: tuple[int, ...]               # the person's faces in this photo
    width: int = 0                          # oriented; 0 when not known
    height: int = 0


@dataclass(frozen=True)
class Suggestion:
    face_id: int
    person_id: int
    score: float                            # higher = more likely theirs
    photo_id: int
    path: str
    source: str | None = None               # "tags": named in the photo's tags, no box


@dataclass(frozen=True)
class DuplicatePair:
    person_a: int
    person_b: int
    similarity: float                       # how alike their faces are (for "merge?")


@dataclass(frozen=True)
class UndoEntry:
    id: int
    action: str                             # "merge", "move", "name", ...
    at: float
    about: str = ""                         # who, in words: "Bob into Anna", "Anna"


@dataclass(frozen=True)
class UpdateSummary:
    auto_assigned: int
    suggested: int
    groups: int                             # unnamed groups after clustering
    grouped_faces: int
    unknown_faces: int
    skipped: bool = False                   # nothing had changed since the last update


class PersonNotFound(ValueError):
    def __init__(self, ref) -> None:
        super().__init__(f"no person {ref!r}")
        self.ref = ref


class NameInUse(ValueError):
    """Another person already has this name: the caller may offer to merge the two."""

    def __init__(self, name: str, person_id: int) -> None:
        super().__init__(f"the name {name!r} is already used by person {person_id}")
        self.name = name
        self.person_id = person_id
