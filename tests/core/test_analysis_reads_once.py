"""One analysis, one read of the file: `FaceAnalyzer.analyze_file` (and the indexing worker's
`analyze_photo`, which also reads the photo's embedded face tags) open the photo once, and
give what the step-by-step reading of the path gives (metadata, pixels, faces, tags).

The reference is the way analyze_file worked before: read_metadata(path), then
decode_with_detail(path), then a decode of the path again for the detail of small faces,
each step opening the file itself. On real photos of ../shared/data: rotated JPEGs, HEIC,
PNG, MWG regions, group photos; plus a big JPEG (OpenCV's 1/2 decode gives the detail) and a
PNG (decoded again for the detail) made from a crowd photo.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.pipeline import analyze_photo
from core.scan.decode import DecodedImage, decode, decode_with_detail, read_photo_bytes
from core.scan.metadata import read_metadata
from core.tags.read import read_photo_tags

pytestmark = [pytest.mark.shared, pytest.mark.slow]

SHARED = [
    "exif/exif-orientation-examples__Landscape_5.jpg",   # orientation 5
    "exif/exif-samples__portrait_6.jpg",                 # orientation 6
    "exif/exif-samples__IMG_5195.HEIC",                  # HEIF, rotated by libheif
    "exif/elodie__photo.png",
    "exif/exif-samples__jolla.jpg",                      # 8 MP: OpenCV decode at 1/2
    "exif/Pillow__truncated_jpeg.jpg",                   # refused: same reason both ways
    "regions/mwg/pigallery2__Portrait_6.jpg",            # faces + embedded MWG regions
    "regions/mwg/test-assets__portrait-orientation-6.jpg",
    "groups/facenet-pytorch__multiface.jpg",
]


# -- counting opens ----------------------------------------------------------------------------
# The "open" audit event is raised by every open() of Python code and of numpy's fromfile, and
# by os.open; a hook cannot be removed, so it only counts while `_counting.paths` is set.
_counting = threading.local()


def _audit(event: str, args) -> None:
    paths = getattr(_counting, "paths", None)
    if paths is not None and event == "open" and args and isinstance(args[0], (str, bytes,
                                                                                 os.PathLike)):
        paths.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def opens_of(path: Path, action):
    """(result of action(), how many times `path` was opened meanwhile)."""
    _counting.paths = []
    try:
        result = action()
        opened = [p for p in _counting.paths if Path(p).resolve() == path.resolve()]
    finally:
        _counting.paths = None
    return result, len(opened)


# -- the photos --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def photos(shared_data, tmp_path_factory) -> list[Path]:
    made = tmp_path_factory.mktemp("made")
    crowd = Image.open(shared_data / "groups" / "retinaface__img3.jpg")
    big = made / "team-4x.jpg"      # 4000 px: detected at 1/4, faces aligned from the 1/2
    crowd.resize((crowd.width * 4, crowd.height * 4), Image.BICUBIC).save(big, quality=92)
    selfie = Image.open(shared_data / "groups" /
                        "Ultra-Light-Fast-Generic-Face-Detector-1MB__17.jpg")
    png = made / "selfie.png"       # hundreds of tiny faces in a PNG reduced to 0.4 for
    #                                 detection: decoded again for their detail
    selfie.crop((0, 0, 1400, 500)).save(png)
    return [shared_data / name for name in SHARED] + [big, png]


def _step_by_step(analyzer, path: Path):
    """analyze_file as it was: every step reads the path."""
    metadata = read_metadata(path)
    decoded, finer = decode_with_detail(path, min_long_side=analyzer.det_size)
    faces, detail = analyzer._analyze(decoded, path, finer)
    return metadata, decoded, detail, faces


def _same_image(a: DecodedImage, b: DecodedImage) -> None:
    assert (a.scale, a.full_size, a.orientation) == (b.scale, b.full_size, b.orientation)
    assert a.bgr.shape == b.bgr.shape and np.array_equal(a.bgr, b.bgr)


def _error(action) -> str | None:
    try:
        action()
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def test_analyze_file_opens_the_photo_once_and_finds_the_same(face_analyzer, photos):
    seen = {"detail decoded again": 0, "faces": 0, "rotated": 0}
    for path in photos:
        expected_error = _error(lambda p=path: _step_by_step(face_analyzer, p))
        if expected_error:
            error, opened = opens_of(path, lambda p=path: _error(
                lambda: face_analyzer.analyze_file(p)))
            assert error == expected_error, path
            assert opened == 1, path
            continue
        analyzed, opened = opens_of(path, lambda p=path: face_analyzer.analyze_file(p))
        assert opened == 1, f"{path.name} opened {opened} times"
        metadata, image, detail, faces = _step_by_step(face_analyzer, path)
        assert analyzed.metadata == metadata, path
        _same_image(analyzed.image, image)
        _same_image(analyzed.detail, detail)
        assert len(analyzed.faces) == len(faces), path
        for got, want in zip(analyzed.faces, faces):
            assert got.box == want.box and got.det_score == want.det_score
            assert (got.size, got.quality, got.usable) == (want.size, want.quality, want.usable)
            assert np.array_equal(got.landmarks, want.landmarks)
            assert np.array_equal(got.embedding, want.embedding)
        seen["faces"] += len(faces)
        seen["rotated"] += image.orientation != 1 or metadata.orientation not in (None, 1)
        seen["detail decoded again"] += (detail is not image and path.suffix == ".png")
    # the cases this test is for did occur
    assert seen["faces"] > 50 and seen["rotated"] >= 3 and seen["detail decoded again"] == 1


def test_indexing_a_photo_reads_it_once_tags_included(face_analyzer, photos, tmp_path):
    """analyze_photo: the analysis, the thumbnails and the embedded face tags (MWG regions
    here) from one read; a sidecar is another file, read as before."""
    path = next(p for p in photos if p.name == "pigallery2__Portrait_6.jpg")
    result, opened = opens_of(path, lambda: analyze_photo(face_analyzer, tmp_path, 1, str(path)))
    assert opened == 1
    assert result.error is None and result.tagged   # the regions named its faces
    expected = read_photo_tags(path, result.metadata["orientation"])
    assert read_photo_tags(path, result.metadata["orientation"],
                           read_photo_bytes(path)) == expected
    assert expected.regions


def test_a_file_too_big_to_hold_is_read_by_each_step(face_analyzer, photos, monkeypatch):
    """Over MAX_READ_BYTES the bytes are not held: the steps read the path, as before."""
    import core.scan.decode as decode_module

    path = next(p for p in photos if p.name == "facenet-pytorch__multiface.jpg")
    monkeypatch.setattr(decode_module, "MAX_READ_BYTES", 1000)
    assert read_photo_bytes(path) is None
    analyzed, opened = opens_of(path, lambda: face_analyzer.analyze_file(path))
    assert opened > 1 and analyzed.data is None
    assert len(analyzed.faces) == len(_step_by_step(face_analyzer, path)[3]) > 0


def test_bytes_and_path_refuse_alike(tmp_path):
    """The reasons a photo is refused do not depend on how it was read."""
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "text.jpg"
    text.write_text("not a photo")
    pdf = tmp_path / "doc.jpg"
    pdf.write_bytes(b"%PDF-1.4 ...")
    for path in (empty, text, pdf, tmp_path / "missing.jpg", tmp_path):
        by_path = _error(lambda p=path: decode(p, min_long_side=640))
        by_bytes = _error(lambda p=path: decode(p, min_long_side=640, data=read_photo_bytes(p)))
        assert by_path is not None and by_bytes == by_path, path
