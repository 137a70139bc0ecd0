"""A face drawn by hand over one the detector missed (profile, back-lit, tiny).

Embedding is the slow half and runs outside any transaction (a GUI worker, the CLI): the
photo is decoded again and the region embedded with the catalog's own models by the same
function that makes a face of an imported tag with no detected face
(core.tags.faces.face_from_region: the detector run again around the region, else template
landmarks). Storing it (`operations.add_face`) is one undoable transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import SimpleNamespace

from ..catalog import Catalog
from ..faces.analyzer import MIN_USABLE_SIZE, DetectedFace

log = logging.getLogger(__name__)


class DrawnFaceError(ValueError):
    """A drawn box that cannot be a face (outside the photo, no area, photo gone)."""


@dataclass
class DrawnFace:
    photo_id: int
    model_id: str
    face: DetectedFace
    thumb: bytes | None

    @property
    def usable(self) -> bool:
        return bool(self.face.usable)

    def too_small_sentence(self) -> str:
        return (f"The face is {self.face.size:.0f} px across, too small to recognise (at least "
                f"{MIN_USABLE_SIZE} px): it is kept and named, but not used to find this "
                "person elsewhere.")


def _clipped(box, width: int, height: int) -> tuple[float, float, float, float]:
    a, b, c, d = (float(v) for v in box)
    x1, x2 = sorted((a, c))
    y1, y2 = sorted((b, d))
    x1, y1 = max(0.0, x1), max(0.0, y1)
    x2, y2 = min(float(width), x2), min(float(height), y2)
    if x2 - x1 < 1 or y2 - y1 < 1:
        raise DrawnFaceError(f"the box {a:g},{b:g}-{c:g},{d:g} is not inside the photo "
                             f"({width}×{height} pixels, upright)")
    return x1, y1, x2, y2


def embed_drawn_face(catalog: Catalog, photo_id: int, box, *, analyzer=None,
                     cache: dict | None = None) -> DrawnFace:
    """Embed the region `box` (x1, y1, x2, y2 in the displayed photo's full-resolution pixels,
    the frame of every face box) of photo `photo_id`. Slow: decode and two models (kept in
    `cache`, a dict the caller keeps, for the next face)."""
    from ..scan.decode import decode
    from ..tags.faces import face_from_region
    from ..tags.importer import _analyzer, _long_side_for
    from ..thumbs import face_thumb

    row = catalog.execute("SELECT path, width, height, model_id, status FROM photos WHERE id=?",
                          (int(photo_id),)).fetchone()
    if row is None:
        raise DrawnFaceError(f"no photo {photo_id}")
    path, width, height, model_id, status = row
    if status != "indexed" or not width or not height:
        raise DrawnFaceError(f"photo {photo_id} is not indexed yet")
    region = _clipped(box, width, height)
    normalised = SimpleNamespace(box=(region[0] / width, region[1] / height,
                                      region[2] / width, region[3] / height))
    state = cache if cache is not None else {}
    if analyzer is not None:
        state["analyzer"] = analyzer
    analyzer = _analyzer(catalog, state, model_id)
    image = decode(path, min_long_side=_long_side_for(path, [normalised], catalog))
    face = face_from_region(analyzer, image, region)
    try:
        thumb = face_thumb(image.bgr, image.scale, face.box)
    except Exception as error:  # the cache is optional
        log.warning("cannot crop the thumbnail of a drawn face: %s", error)
        thumb = None
    return DrawnFace(int(photo_id), model_id or analyzer.model_id, face, thumb)
