"""Thumbnail cache: one JPEG per photo and per face, under `<catalog>/thumbs`.

The indexer fills it from the image it already decoded (no second decode): the worker writes
the photo thumbnail (keyed by photo id, which exists while the photo is pending) and hands back
face crops as JPEG bytes that the writer stores once the faces have ids. A missing file is made
on demand by `ensure_photo_thumb` / `ensure_face_thumb` (the GUI calls them off the UI thread).
Files are a cache: losing them, or finding stale extras after a crash, is harmless.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cv2 and numpy load where pixels are handled: the indexing parent,
    import numpy as np  # which only files the workers' JPEG bytes, starts 0.1-0.2 s sooner

log = logging.getLogger(__name__)

PHOTO_THUMB_PX = 256        # long side
FACE_THUMB_PX = 160         # square
FACE_MARGIN = 0.35          # of the box size, on each side
# Bumped whenever face crops are cut differently: crops made another way are made again (they
# live in another folder), never shown. 2: centred on the face, padded where the photo ends
# (version 1, under thumbs/faces, slid inwards at an edge and put a neighbour in the middle).
FACE_THUMB_VERSION = 2
NEUTRAL_FILL = (128, 128, 128)  # where a face crop runs past the photo's edge
JPEG_QUALITY = 85


def _sharded(root: Path, kind: str, key: int) -> Path:
    # A thousand files per folder keeps directory listings fast at 100k photos.
    return root / "thumbs" / kind / f"{key // 1000:04d}" / f"{key}.jpg"


def photo_thumb_path(catalog_dir: Path | str, photo_id: int) -> Path:
    return _sharded(Path(catalog_dir), "photos", int(photo_id))


def face_thumb_path(catalog_dir: Path | str, face_id: int) -> Path:
    return _sharded(Path(catalog_dir), f"faces-v{FACE_THUMB_VERSION}", int(face_id))


def drop_outdated_face_thumbs(catalog_dir: Path | str) -> None:
    """Delete face crops cut by an older version (a cache nobody reads any more; at 100k
    faces it is most of a gigabyte). Quiet about failures: it is only disk space."""
    import shutil

    thumbs = Path(catalog_dir) / "thumbs"
    current = face_thumb_path(catalog_dir, 0).parent.parent.name
    for old in [thumbs / "faces", *thumbs.glob("faces-v*")]:
        if old.name != current and old.is_dir():
            log.info("removing face thumbnails of an older version: %s", old)
            shutil.rmtree(old, ignore_errors=True)


# -- making thumbnails from an image in memory ----------------------------------------------

def encode_jpeg(bgr: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def photo_thumb(bgr: np.ndarray) -> bytes:
    """The photo (oriented, any scale) shrunk to PHOTO_THUMB_PX on its long side."""
    import cv2

    height, width = bgr.shape[:2]
    factor = PHOTO_THUMB_PX / max(width, height)
    if factor < 1:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        # INTER_AREA by a fractional factor is slow (2.7 ms of CPU for 1000x750 -> 256x192,
        # on every indexed photo); exact halvings take its fast path: 1.2 ms in all.
        while max(bgr.shape[:2]) // 2 >= PHOTO_THUMB_PX and min(bgr.shape[:2]) >= 2:
            even = bgr[:bgr.shape[0] & ~1, :bgr.shape[1] & ~1]  # drop an odd last row/column
            bgr = cv2.resize(even, (even.shape[1] // 2, even.shape[0] // 2),
                             interpolation=cv2.INTER_AREA)
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    return encode_jpeg(bgr)


def face_thumb(bgr: np.ndarray, scale: float, box) -> bytes:
    """A square crop centred on `box` (full-resolution pixels; `bgr` is the photo at `scale`),
    with a margin. Where the square runs past the photo's edge it is padded with a neutral
    grey: the face in the middle is always the face asked about, never a neighbour the crop
    slid onto."""
    import cv2
    import numpy as np

    x1, y1, x2, y2 = (float(v) * scale for v in box)
    height, width = bgr.shape[:2]
    side = max(2, round(max(x2 - x1, y2 - y1) * (1 + 2 * FACE_MARGIN)))
    left = round((x1 + x2 - side) / 2)
    top = round((y1 + y2 - side) / 2)
    crop = bgr[max(0, top):max(0, top + side), max(0, left):max(0, left + side)]
    pads = (max(0, -top), max(0, top + side - height), max(0, -left), max(0, left + side - width))
    if crop.size == 0:
        crop = np.full((side, side, 3), NEUTRAL_FILL[0], np.uint8)
    elif any(pads):
        crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_CONSTANT, value=NEUTRAL_FILL)
    interpolation = cv2.INTER_AREA if side > FACE_THUMB_PX else cv2.INTER_CUBIC
    return encode_jpeg(cv2.resize(crop, (FACE_THUMB_PX, FACE_THUMB_PX),
                                  interpolation=interpolation))


def write_file(path: Path, data: bytes) -> None:
    """Atomic: readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- on demand ------------------------------------------------------------------------------

def ensure_photo_thumb(catalog, photo_id: int) -> Path | None:
    """The photo's thumbnail file, made now if missing; None when the photo can't be read."""
    path = photo_thumb_path(catalog.dir, photo_id)
    if path.is_file():
        return path
    row = catalog.execute("SELECT path FROM photos WHERE id=?", (photo_id,)).fetchone()
    if row is None:
        return None
    from core.scan.decode import decode

    try:
        decoded = decode(row[0], min_long_side=PHOTO_THUMB_PX)
        write_file(path, photo_thumb(decoded.bgr))
    except Exception as error:  # unreadable now: the caller shows a placeholder
        log.info("no thumbnail for photo %s (%s): %s", photo_id, row[0], error)
        return None
    return path


def ensure_face_thumb(catalog, face_id: int) -> Path | None:
    """The face's crop file, made now if missing; None when the photo can't be read."""
    path = face_thumb_path(catalog.dir, face_id)
    if path.is_file():
        return path
    row = catalog.execute(
        "SELECT p.path, f.x1, f.y1, f.x2, f.y2 FROM faces f JOIN photos p ON p.id = f.photo_id "
        "WHERE f.id=?", (face_id,)).fetchone()
    if row is None:
        return None
    from core.scan.decode import decode

    box = tuple(row[1:5])
    side = max(box[2] - box[0], box[3] - box[1]) * (1 + 2 * FACE_MARGIN)
    try:
        # Decode only as large as the crop needs (draft picks a DCT scale for JPEGs).
        probe = decode(row[0], min_long_side=PHOTO_THUMB_PX)
        full_long = max(probe.full_size)
        wanted = full_long * min(1.0, FACE_THUMB_PX / max(side, 1.0))
        decoded = probe if max(probe.bgr.shape[:2]) >= wanted else \
            decode(row[0], min_long_side=int(wanted) + 1)
        write_file(path, face_thumb(decoded.bgr, decoded.scale, box))
    except Exception as error:
        log.info("no thumbnail for face %s (%s): %s", face_id, row[0], error)
        return None
    return path
