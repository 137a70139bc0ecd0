"""Exporting albums: a person's photos or any search result, copied (or linked) safely out of
the library, incrementally, with optional XMP sidecars and a manifest.

    plan = plan_export(catalog, ExportRequest(spec, "/media/usb/Anna"))   # preview, writes nothing
    summary = yield from run_export(catalog, request, cancel)               # Progress..., summary
    list_albums(catalog)                                                    # saved albums
"""

from .albums import (Album, AlbumDeletion, album_deletion_plan, delete_album, find_album,
                     get_album, list_albums, rename_album)
from .lock import ExportBusy
from .naming import FIELDS as TEMPLATE_FIELDS
from .options import DEFAULT_TEMPLATE, ExportError, ExportOptions
from .plan import ExportPlan, ExportRequest, PlannedFile, plan_export
from .run import STOP_MESSAGES, ExportFailure, ExportSummary, run_export

__all__ = ["STOP_MESSAGES", "Album", "AlbumDeletion", "DEFAULT_TEMPLATE", "ExportBusy",
           "ExportError", "ExportFailure", "ExportOptions", "ExportPlan", "ExportRequest",
           "ExportSummary", "PlannedFile", "album_deletion_plan",
           "TEMPLATE_FIELDS", "delete_album", "export", "find_album", "get_album", "list_albums",
           "plan_export", "rename_album", "run_export"]


def export(catalog, request: ExportRequest, cancel=None) -> ExportSummary:
    """Run an export to the end without progress reports (scripts, tests)."""
    job = run_export(catalog, request, cancel)
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value
