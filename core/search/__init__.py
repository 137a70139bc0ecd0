"""Search by face: the search index (sign-bit codes or annoy trees) with its exact delta, and
queries over it.

    search_photos(catalog, SearchSpec(...), photo=None) -> list[PhotoHit]  core.search.query
    analyze_outside(path, model_id) -> OutsidePhoto              core.search.outside
    detect_query_faces(path) -> list[QueryFace]                   core.search.outside
    build_index / SearchIndex                                     core.search.search_index
"""

from __future__ import annotations

from .spec import PhotoHit, QueryFace, SearchSpec


def search_photos(catalog, spec: SearchSpec, photo=None) -> list[PhotoHit]:
    """Photos matching `spec`, best first (core.search.query.search_photos)."""
    from .query import search_photos as run  # lazy: importing core.search loads no numpy/annoy

    return run(catalog, spec, photo)


def analyze_outside(path: str, model_id: str | None = None):
    """The faces of an outside image with their embeddings and crops: an OutsidePhoto, which
    search_photos takes so the photo is decoded once (core.search.outside)."""
    from .outside import analyze_outside as analyze

    return analyze(path, model_id)


def detect_query_faces(path: str, model_id: str | None = None):
    from .outside import detect_query_faces as detect

    return detect(path, model_id)


def keep_index_fresh(catalog):
    """Rebuild the search index on a background thread if it has fallen behind the library
    (what the GUI calls after indexing, or now and then). Searches stay complete and available
    meanwhile. Returns the thread, or None when nothing needed doing."""
    from .search_index import SearchIndex, current_model_id

    model_id = current_model_id(catalog)
    if model_id is None:
        return None
    return SearchIndex.for_catalog(catalog, model_id).maybe_rebuild(catalog)


__all__ = ["PhotoHit", "QueryFace", "SearchSpec", "search_photos", "analyze_outside",
           "detect_query_faces", "keep_index_fresh"]
