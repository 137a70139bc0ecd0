"""People: grouping faces into people, naming them, and learning from every correction.

Reads (queries), user operations (each one transaction, undoable) and the update that assigns
new faces and clusters unknown ones. `core.cluster` holds the pure numpy algorithms.
"""

from .model import (DuplicatePair, FaceInfo, NameInUse, PersonNotFound, PersonSummary, PhotoInfo,
                    Suggestion, UndoEntry, UpdateSummary)
from .operations import (confirm_faces, forget_person, ignore_faces, ignore_small_groups,
                         last_undo, merge_people, move_faces, name_person, reject_faces,
                         set_cover, set_hidden, undo)
from .queries import (faces_by_id, find_person, get_person, likely_duplicates, list_people,
                      person_face_ids, person_faces, person_photos, suggestion_counts, suggestions,
                      unknown_face_count)
from .update import PeopleParams, run_update, update_people

__all__ = [
    "DuplicatePair", "FaceInfo", "NameInUse", "PersonNotFound", "PersonSummary", "PhotoInfo",
    "Suggestion", "UndoEntry", "UpdateSummary",
    "confirm_faces", "forget_person", "ignore_faces", "ignore_small_groups", "last_undo",
    "merge_people", "move_faces", "name_person", "reject_faces", "set_cover", "set_hidden", "undo",
    "faces_by_id", "find_person", "get_person", "likely_duplicates", "list_people",
    "person_face_ids", "person_faces", "person_photos", "suggestion_counts", "suggestions",
    "unknown_face_count",
    "PeopleParams", "run_update", "update_people",
]
