"""Files: folder walk and change detection, EXIF metadata, image decoding.

    decode.decode(path, min_long_side=)      upright BGR pixels       (DecodeError on bad files)
    metadata.read_metadata(path, mtime=)     dates, GPS, camera       (never raises)
    changes.scan_folders(catalog, roots=)    incremental catalog scan (yields Progress)
"""


def __getattr__(name: str):
    # `from core.scan import scan_folders` without importing the catalog into decode workers.
    if name == "scan_folders":
        from .changes import scan_folders

        return scan_folders
    raise AttributeError(name)
