"""Faces of an outside image (a photo dropped on the window, `search --photo`): detected and
embedded in memory with the engine's `FaceAnalyzer`; nothing from the image is stored.

A search by photo has two steps: its faces are shown (the GUI shows their crops so the user
picks one; `--list-faces` prints them), then the library is searched with one or all of them.
One analysis serves both: `analyze_outside` gives an `OutsidePhoto` with the faces, their
embeddings and their crops, decoded once; `search_photos(catalog, spec, photo=...)` takes it.
The last few are also kept in memory (keyed by file, size, mtime and model), so a caller that
only has the spec (a search run again when a filter changes) does not decode the photo again.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .spec import QueryFace

log = logging.getLogger(__name__)

_CACHE_SIZE = 4
_lock = threading.Lock()            # FaceAnalyzer is not thread-safe: one call at a time
_analyzers: dict[str, object] = {}  # model id -> FaceAnalyzer


@dataclass(frozen=True)
class OutsidePhoto:
    """One analysis of an outside image: what both steps of a search by photo need."""
    path: str
    model_id: str                   # the pack that detected and embedded the faces
    faces: list[QueryFace]          # largest first; QueryFace.index is the position here
    vectors: np.ndarray             # float32[n, 512], L2-normalised, in `faces` order
    crops: list[bytes]              # JPEG square crops, cut as the library's face thumbnails


_cache: OrderedDict[tuple, OutsidePhoto] = OrderedDict()


def _analyzer(model_id: str | None):
    from ..faces.analyzer import FaceAnalyzer
    from ..faces.model_files import DEFAULT_PACK, ModelError, find_pack

    key = model_id or ""
    if key not in _analyzers:
        pack = find_pack(model_id.split("/")[0] if model_id else DEFAULT_PACK)
        if model_id and pack.model_id != model_id:
            raise ModelError(f"the library was indexed with {model_id}, but the pack found is "
                             f"{pack.model_id}; its faces cannot be compared")
        _analyzers[key] = FaceAnalyzer(pack, threads=1)
    return _analyzers[key]


def analyze_outside(path: str, model_id: str | None = None) -> OutsidePhoto:
    """The faces of the image at `path`, largest first, with their embeddings and crops.
    `model_id`: the library's model (default: the bundled pack). ValueError when the image
    cannot be read."""
    st = os.stat(path)  # FileNotFoundError for a missing file: a clear CLI message
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, model_id)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        analyzer = _analyzer(model_id)
        from ..scan.decode import DecodeError
        from ..thumbs import face_thumb

        try:
            analyzed = analyzer.analyze_file(path)
        except DecodeError as error:
            raise ValueError(f"cannot read {path}: {error}") from None
        faces = sorted(analyzed.faces, key=lambda f: -f.size)
        found = [QueryFace(index=i, box=tuple(float(v) for v in f.box),
                           det_score=float(f.det_score)) for i, f in enumerate(faces)]
        vectors = (np.stack([f.embedding for f in faces]).astype(np.float32) if faces
                   else np.empty((0, 512), np.float32))
        # The crops come from the image the faces were aligned from, as the indexer cuts the
        # library's face thumbnails: a few ms of JPEG encoding instead of a decode.
        detail = analyzed.detail
        crops = [face_thumb(detail.bgr, detail.scale, f.box) for f in faces]
        photo = OutsidePhoto(path=path, model_id=analyzer.model_id, faces=found,
                             vectors=vectors, crops=crops)
        _cache[key] = photo
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        log.debug("outside image %s: %d faces", path, len(found))
        return photo


def detect_query_faces(path: str, model_id: str | None = None) -> list[QueryFace]:
    """The faces of an outside image, largest first; `QueryFace.index` is what
    `SearchSpec.photo_face` takes."""
    return analyze_outside(path, model_id).faces
