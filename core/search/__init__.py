"""Search by face: the annoy index with its exact delta, and queries over it.

    search_photos(catalog, SearchSpec(...)) -> list[PhotoHit]     core.search.spec
    detect_query_faces(path) -> list[QueryFace]                   core.search.outside
    build_index / SearchIndex                                     core.search.index
"""

from __future__ import annotations

from .spec import PhotoHit, QueryFace, SearchSpec, search_photos


def detect_query_faces(path: str, model_id: str | None = None):
    from .outside import detect_query_faces as detect

    return detect(path, model_id)


__all__ = ["PhotoHit", "QueryFace", "SearchSpec", "search_photos", "detect_query_faces"]
