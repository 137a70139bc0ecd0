"""Scan the hostile shared EXIF/format samples, then decode and read every photo found."""

from __future__ import annotations

import os

import pytest

from core.scan.changes import scan_folders
from core.scan.decode import DecodeError, decode
from core.scan.metadata import read_metadata
from core.scan.walk import IMAGE_EXTENSIONS, NON_IMAGE_EXTENSIONS


@pytest.mark.shared
def test_every_shared_sample_ends_pending_or_error_with_reason(catalog, shared_data):
    root = (shared_data / "exif").resolve()  # the catalog stores resolved roots
    last = list(scan_folders(catalog, [root]))[-1].counters
    rows = {r["path"]: dict(r) for r in catalog.execute("SELECT * FROM photos")}
    on_disk = [p for p in root.iterdir() if p.is_file()]
    for path in on_disk:
        ext = path.suffix.lower()
        if str(path) not in rows:   # only sidecars and formats decode() can't read are skipped
            assert ext in NON_IMAGE_EXTENSIONS, path.name
        elif ext:
            assert ext in IMAGE_EXTENSIONS or ext not in NON_IMAGE_EXTENSIONS
    assert last["new"] + last["errors"] == len(rows) > 90

    # What the pipeline does with each pending photo, minus the faces.
    outcome = {}
    for path, row in rows.items():
        if row["status"] != "pending":
            assert row["status"] == "error" and row["error"], path
            outcome[os.path.basename(path)] = row["error"]
            continue
        meta = read_metadata(path, mtime=row["mtime_ns"] / 1e9)
        assert meta.taken_at_source in ("exif_original", "exif_digitized", "exif_datetime",
                                        "file_mtime")
        try:
            decoded = decode(path, min_long_side=640)
        except DecodeError as exc:
            assert str(exc), path
            outcome[os.path.basename(path)] = str(exc)
            continue
        assert decoded.bgr.ndim == 3 and decoded.bgr.shape[2] == 3
        assert max(decoded.bgr.shape[:2]) >= min(640, max(decoded.full_size))
        assert (meta.orientation or 1) == decoded.orientation, path   # one source of truth
        outcome[os.path.basename(path)] = "ok"

    assert outcome["elodie__invalid.jpg"].startswith("empty file")
    assert outcome["Pillow__truncated_jpeg.jpg"].startswith("truncated")
    assert outcome["Pillow__truncated_image.png"].startswith("truncated")
    assert outcome["Pillow__broken.png"].startswith("corrupt")
    assert outcome["elodie__photo.heic"].startswith("corrupt")
    for name in ("exif-samples__IMG_5195.HEIC", "test-assets__8bit-sRGB.avif",
                 "photoprism__airport_grey", "Pillow__pil_sample_cmyk.jpg",
                 "metadata-extractor-images__Animation Lossy.webp", "exif-samples__corrupted.jpg",
                 "goexif__infinite_loop_exif.jpg", "exif-samples__Arbitro.tiff"):
        assert outcome[name] == "ok", name
    assert sum(v == "ok" for v in outcome.values()) > 80
