"""Face tags written by other programs (digiKam, Lightroom, Picasa, Windows Photo Gallery,
Apple Photos via osxphotos, Google Takeout): read, never written.

    read_photo_tags(path, orientation) -> PhotoTags    (read.py: sources and frames)
    import_tags(catalog, folder, dry_run=...)          (importer.py: an indexed library)
    the index pipeline reads them per photo in its worker (core.pipeline._read_tags)
"""

from .apply import ImportReport
from .importer import import_tags
from .model import PhotoTags, Region, TagProblem
from .read import read_photo_tags

__all__ = ["ImportReport", "PhotoTags", "Region", "TagProblem", "import_tags",
           "read_photo_tags"]
