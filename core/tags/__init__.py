"""Face tags written by other programs (digiKam, Lightroom, Picasa, Windows Photo Gallery,
Apple Photos via osxphotos, Google Takeout): read, never written.

    read_photo_tags(path, orientation) -> PhotoTags    (read.py: sources and frames)
    import_tags(catalog, folder, dry_run=...)          (importer.py: an indexed library)
    the index pipeline reads them per photo in its worker (core.pipeline._read_tags)

The names below load on first use (PEP 562): an index worker needs only read.py and faces.py,
and importing apply.py (and through it core.people) and importer.py too cost each worker
process ~15 ms more (python -X importtime: 31 ms for core.tags.faces, 17 ms lazily).
"""

import importlib

_WHERE = {"ImportReport": "apply", "import_tags": "importer", "PhotoTags": "model",
          "Region": "model", "TagProblem": "model", "read_photo_tags": "read"}

__all__ = ["ImportReport", "PhotoTags", "Region", "TagProblem", "import_tags",
           "read_photo_tags"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
