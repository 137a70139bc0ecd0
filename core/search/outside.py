"""Faces of an outside image (a photo dropped on the window, `search --photo`): detected and
embedded in memory with the engine's `FaceAnalyzer`; nothing from the image is stored.

The GUI first asks for the faces (to let the user pick one) and then searches; the analysis of
the last few images is kept in memory so that the second call does not run the models again.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict

import numpy as np

from .spec import QueryFace

log = logging.getLogger(__name__)

_CACHE_SIZE = 4
_lock = threading.Lock()            # FaceAnalyzer is not thread-safe: one call at a time
_analyzers: dict[str, object] = {}  # model id -> FaceAnalyzer
_cache: OrderedDict[tuple, tuple[str, list[QueryFace], np.ndarray]] = OrderedDict()


def _analyzer(model_id: str | None):
    from ..faces.analyzer import FaceAnalyzer
    from ..faces.models import DEFAULT_PACK, ModelError, find_pack

    key = model_id or ""
    if key not in _analyzers:
        pack = find_pack(model_id.split("/")[0] if model_id else DEFAULT_PACK)
        if model_id and pack.model_id != model_id:
            raise ModelError(f"the library was indexed with {model_id}, but the pack found is "
                             f"{pack.model_id}; its faces cannot be compared")
        _analyzers[key] = FaceAnalyzer(pack, threads=1)
    return _analyzers[key]


def analyze_outside(path: str, model_id: str | None = None,
                    ) -> tuple[str, list[QueryFace], np.ndarray]:
    """(model id, faces, embeddings float32[n, 512]) of the image at `path`, largest face
    first. `model_id`: the library's model (default: the bundled pack)."""
    st = os.stat(path)  # FileNotFoundError for a missing file: a clear CLI message
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, model_id)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        analyzer = _analyzer(model_id)
        from ..scan.decode import DecodeError

        try:
            faces = analyzer.analyze_file(path).faces
        except DecodeError as error:
            raise ValueError(f"cannot read {path}: {error}") from None
        faces.sort(key=lambda f: -f.size)
        found = [QueryFace(index=i, box=tuple(float(v) for v in f.box),
                           det_score=float(f.det_score)) for i, f in enumerate(faces)]
        vectors = (np.stack([f.embedding for f in faces]).astype(np.float32) if faces
                   else np.empty((0, 512), np.float32))
        result = (analyzer.model_id, found, vectors)
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        log.debug("outside image %s: %d faces", path, len(found))
        return result


def detect_query_faces(path: str, model_id: str | None = None) -> list[QueryFace]:
    """The faces of an outside image, largest first; `QueryFace.index` is what
    `SearchSpec.photo_face` takes."""
    return analyze_outside(path, model_id)[1]
