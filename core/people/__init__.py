"""People: grouping faces into people, naming them, and learning from every correction.

Reads (queries), user operations (each one transaction, undoable) and the update that assigns
new faces and clusters unknown ones. `core.cluster` holds the pure numpy algorithms.

The update loads on first use (PEP 562): `faceshelf people` reads a list and should not pay
for importing the clustering behind `update_people`.
"""

from .records import (DuplicatePair, FaceInfo, NameInUse, PersonNotFound, PersonSummary, PhotoInfo,
                    Suggestion, UndoEntry, UpdateSummary)
from .operations import (add_face, confirm_faces, forget_person, ignore_faces, ignore_small_groups,
                         last_undo, merge_people, move_faces, name_person, reject_faces,
                         set_cover, set_hidden, undo)
from .queries import (faces_by_id, find_person, get_person, likely_duplicates, list_people,
                      people_face_ids_json, person_face_ids, person_faces, person_photos,
                      suggestion_counts, suggestions, unknown_face_count)

_FROM_UPDATE = ("PeopleParams", "run_update", "update_people")

__all__ = [
    "DuplicatePair", "FaceInfo", "NameInUse", "PersonNotFound", "PersonSummary", "PhotoInfo",
    "Suggestion", "UndoEntry", "UpdateSummary",
    "add_face", "confirm_faces", "forget_person", "ignore_faces", "ignore_small_groups",
    "last_undo",
    "merge_people", "move_faces", "name_person", "reject_faces", "set_cover", "set_hidden", "undo",
    "faces_by_id", "find_person", "get_person", "likely_duplicates", "list_people",
    "people_face_ids_json", "person_face_ids", "person_faces", "person_photos", "suggestion_counts",
    "suggestions", "unknown_face_count",
    *_FROM_UPDATE,
]


def __getattr__(name: str):
    if name in _FROM_UPDATE:
        from . import update

        return getattr(update, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
