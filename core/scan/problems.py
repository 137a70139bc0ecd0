"""What indexing could not do, with the reason, for `faceshelf status --errors` and the app's
list of problems: photos that could not be read (photos.status = 'error'), and what the walk
skipped — files whose name is not valid text (they cannot be stored in the catalog) and
folders that could not be listed. The walk's problems are kept per root in the meta table,
replaced each time the root is walked in full, so a fixed problem disappears on the next scan.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .walk import WalkProblems

_META = "scan_problems:"   # + folder id


@dataclass(frozen=True)
class Problem:
    path: str    # as text: undecodable bytes shown as \\xNN
    error: str
    kind: str    # "photo" (could not be read or decoded), "name" or "folder"


def displayable(path: str) -> str:
    """A path that may hold undecodable bytes (surrogates), as text that can be stored and
    printed: those bytes as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def record_walk_problems(catalog, folder_id: int, problems: WalkProblems) -> None:
    entries = [{"path": displayable(path), "error": reason,
                "kind": "folder" if path in problems.unreadable_dirs else "name"}
               for path, reason in sorted(problems.reasons.items())]
    key = f"{_META}{folder_id}"
    with catalog.transaction() as conn:
        if entries:
            catalog.set_meta(key, json.dumps(entries, ensure_ascii=False))
        else:
            conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def list_problems(catalog) -> list[Problem]:
    """Every problem indexing met, by path: the catalog's error photos and what the last full
    walk of each root (still in the catalog) skipped. What the GUI's list of problems shows."""
    found = [Problem(path, error or "unreadable", "photo") for path, error in catalog.execute(
        "SELECT path, error FROM photos WHERE status = 'error'")]
    roots = {row[0] for row in catalog.execute("SELECT id FROM folders")}
    for key, value in catalog.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                                      (_META + "%",)):
        try:
            folder_id = int(key[len(_META):])
            entries = json.loads(value)
        except ValueError:
            continue
        if folder_id in roots:  # a removed root's problems went with it
            found += [Problem(e["path"], e["error"], e["kind"]) for e in entries]
    return sorted(found, key=lambda p: p.path)
