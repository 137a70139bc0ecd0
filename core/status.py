"""The catalog's status: what `faceshelf status` prints and the GUI's Problems page shows.

One read for both, so the window and the command line never disagree. Plain SQL on an open
catalog; no Qt here (the GUI calls it from a worker thread).
"""

from __future__ import annotations


def catalog_status(catalog, *, with_errors: bool) -> dict:
    """Counts, folders (online or not) and, with `with_errors`, every error record."""
    from .scan.changes import root_offline

    q = catalog.execute
    by_status = dict(q("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall())
    faces, usable = q("SELECT COUNT(*), COALESCE(SUM(usable), 0) FROM faces").fetchone()
    people, named = q("SELECT COUNT(*), COUNT(name) FROM people").fetchone()
    model = q("SELECT model_id FROM photos WHERE model_id IS NOT NULL "
              "ORDER BY indexed_at DESC LIMIT 1").fetchone()
    status = {
        "catalog": str(catalog.dir),
        "revision": catalog.revision(),
        "model_id": model[0] if model else None,
        "folders": [{"path": row[0], "photos": row[1],
                     "online": not root_offline(row[0], lambda n=row[1]: n > 0)} for row in q(
            "SELECT f.path, COUNT(p.id) FROM folders f LEFT JOIN photos p ON p.folder_id = f.id "
            "GROUP BY f.id ORDER BY f.path")],
        "photos": {"total": sum(by_status.values()), "indexed": by_status.get("indexed", 0),
                   "pending": by_status.get("pending", 0), "error": by_status.get("error", 0)},
        "faces": faces,
        "usable_faces": usable,
        "people": people,
        "named_people": named,
    }
    if with_errors:  # unreadable photos, and what the walk skipped (core/scan/problems.py)
        from .scan.problems import list_problems

        status["errors"] = [{"path": p.path, "error": p.error, "kind": p.kind}  # photo, name,
                            for p in list_problems(catalog)]                  # or folder
        # Face tags another program left that could not be used: the photo itself is fine.
        status["errors"] += [{"path": row[0], "error": f"face tags: {row[1]}", "kind": "tags"}
                             for row in q("SELECT p.path, n.message FROM tag_notes n JOIN "
                                          "photos p ON p.id = n.photo_id WHERE n.kind = "
                                          "'problem' ORDER BY p.path")]
    return status
