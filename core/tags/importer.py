"""`faceshelf import-tags`: read the face tags of photos already indexed and name their faces.

Each photo is one transaction (its new faces, its names, its notes). Regions are matched to
the faces stored for the photo; a region with no face is embedded from the photo, decoded
again only for those photos, with the catalog's own model pack. A dry run reads and matches
everything and writes nothing.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path

from ..catalog import Catalog
from ..jobs import CancelToken, Progress
from .apply import ImportReport, People, apply_photo_tags, record_notes
from .faces import faces_for_regions, match_regions, pixel_box
from .read import read_photo_tags

log = logging.getLogger(__name__)


class _StoredFace:
    def __init__(self, face_id: int, box) -> None:
        self.id = face_id
        self.box = box


def _photos(catalog: Catalog, folder: Path | None) -> list[tuple]:
    rows = catalog.execute(
        "SELECT id, path, width, height, orientation, model_id FROM photos "
        "WHERE status = 'indexed' ORDER BY path").fetchall()
    if folder is None:
        return rows
    prefix = str(folder).rstrip("/\\")
    return [r for r in rows if r[1] == prefix or r[1].startswith(prefix + "/")
            or r[1].startswith(prefix + "\\")]


def import_tags(catalog: Catalog, folder: Path | str | None = None, *, dry_run: bool = False,
                report: ImportReport | None = None, cancel: CancelToken | None = None,
                analyzer=None) -> Iterator[Progress]:
    """Import the tags of every indexed photo (under `folder` when given) into `report`."""
    cancel = cancel or CancelToken()
    report = report if report is not None else ImportReport()
    photos = _photos(catalog, Path(folder) if folder is not None else None)
    report.photos = len(photos)
    state = {"analyzer": analyzer}
    yield Progress(stage="import-tags", done=0, total=len(photos))
    for done, (photo_id, path, width, height, orientation, model_id) in enumerate(photos, 1):
        if cancel.cancelled:
            yield Progress(stage="import-tags", done=done - 1, total=len(photos),
                           message="cancelled")
            return
        tags = read_photo_tags(path, orientation)
        if tags:
            report.photos_with_tags += 1
            _import_photo(catalog, report, state, photo_id, path, (width, height), model_id,
                          tags, dry_run)
        yield Progress(stage="import-tags", done=done, total=len(photos),
                       counters={"with tags": report.photos_with_tags})


def _import_photo(catalog, report, state, photo_id, path, size, model_id, tags, dry_run):
    from ..pipeline import insert_face  # the index's writer; pipeline loads only when used

    stored = [_StoredFace(r[0], (r[1], r[2], r[3], r[4])) for r in catalog.execute(
        "SELECT id, x1, y1, x2, y2 FROM faces WHERE photo_id = ? ORDER BY id", (photo_id,))]
    boxes = [pixel_box(r.box, size) for r in tags.regions]
    matched = match_regions(boxes, [f.box for f in stored])
    missing = [i for i in range(len(tags.regions)) if i not in matched]
    created_faces, created_index = [], {}
    if missing and not dry_run:
        created_faces, created_index = _make_faces(catalog, state, path, tags, missing, model_id,
                                                   report)
    with catalog.transaction() as conn:
        new_ids = []
        now = time.time()
        for face in created_faces:
            new_ids.append(insert_face(conn, photo_id, face, model_id, now, source="imported"))
        tagged = []
        for i, region in enumerate(tags.regions):
            if i in matched:
                tagged.append((stored[matched[i]].id, region.name, region.source, False))
            elif dry_run:
                tagged.append((None, region.name, region.source, True))
            elif i in created_index:
                tagged.append((new_ids[created_index[i]], region.name, region.source, True))
        outcomes = apply_photo_tags(conn, People(conn), report, photo_id, path, tagged,
                                    tags.names, dry_run=dry_run)
        report.problems += [(path, problem) for problem in tags.problems]
        if not dry_run:
            record_notes(conn, photo_id, tags.problems, outcomes)
    if new_ids:
        _write_thumbs(catalog, state, new_ids, created_faces)


def _make_faces(catalog, state, path, tags, missing, model_id, report):
    """Faces embedded from the regions `missing`; ({} when the photo cannot be decoded: the
    regions are then listed as skipped)."""
    from ..scan.decode import decode

    analyzer = _analyzer(catalog, state, model_id)
    regions = [tags.regions[i] for i in missing]
    try:
        image = decode(path, min_long_side=_long_side_for(path, regions, catalog))
    except Exception as error:
        from .apply import Outcome

        for region in regions:
            report.outcomes.append(Outcome(path, region.source, region.name, "skipped", None,
                                           f"photo cannot be decoded again ({error})"))
        return [], {}
    matches, created = faces_for_regions(analyzer, image, image.full_size, [], regions)
    state["image"] = image
    return created, {missing[m.region]: m.face for m in matches}


def _long_side_for(path, regions, catalog) -> int | None:
    """A decode where the smallest region is at least 112 px wide (the aligned crop), at
    most full resolution."""
    row = catalog.execute("SELECT width, height FROM photos WHERE path = ?", (path,)).fetchone()
    if not row or not row[0] or not row[1]:
        return None
    width, height = row
    long_side = max(width, height)
    smallest = max(1.0, min(min((r.box[2] - r.box[0]) * width, (r.box[3] - r.box[1]) * height)
                            for r in regions))
    factor = min(1.0, 112 / smallest)
    return max(640, math.ceil(long_side * factor))


def _analyzer(catalog, state, model_id):
    if state.get("analyzer") is None:
        from ..faces.analyzer import FaceAnalyzer
        from ..pipeline import resolve_pack

        pack = resolve_pack(catalog)
        if model_id is not None and pack.model_id != model_id:
            raise RuntimeError("the catalog's photos were indexed with another model; run "
                               "`faceshelf rescan` first")
        state["analyzer"] = FaceAnalyzer(pack, threads=1)
    return state["analyzer"]


def _write_thumbs(catalog, state, face_ids, faces) -> None:
    from ..thumbs import face_thumb, face_thumb_path, write_file

    image = state.get("image")
    if image is None:
        return
    for face_id, face in zip(face_ids, faces):
        try:
            write_file(face_thumb_path(catalog.dir, face_id),
                       face_thumb(image.bgr, image.scale, face.box))
        except Exception as error:  # the cache is optional
            log.warning("cannot write the thumbnail of imported face %s: %s", face_id, error)
