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


def keep_index_fresh(catalog):
    """Rebuild the search index on a background thread if it has fallen behind the library
    (what the GUI calls after indexing, or now and then). Searches stay complete and available
    meanwhile. Returns the thread, or None when nothing needed doing."""
    from .index import SearchIndex, current_model_id

    model_id = current_model_id(catalog)
    if model_id is None:
        return None
    return SearchIndex.for_catalog(catalog, model_id).maybe_rebuild(catalog)


__all__ = ["PhotoHit", "QueryFace", "SearchSpec", "search_photos", "detect_query_faces",
           "keep_index_fresh"]
