"""Files: folder walk and change detection, EXIF metadata, image decoding.

    decode.read_photo_bytes(path)            the file, read once for the steps below to share
    decode.decode(path, min_long_side=, data=)  upright BGR pixels    (DecodeError on bad files)
    metadata.read_metadata(path, mtime=, data=) dates, GPS, camera    (never raises)
    changes.scan_folders(catalog, roots=)    incremental catalog scan (yields Progress)
"""


def __getattr__(name: str):
    # `from core.scan import scan_folders` without importing the catalog into decode workers.
    if name == "scan_folders":
        from .changes import scan_folders

        return scan_folders
    raise AttributeError(name)
