"""XMP sidecars: MWG face regions read back and checked against the catalog's boxes and the
pixels themselves, for every EXIF orientation 1-8."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from core.export import ExportOptions, ExportRequest, export
from core.search.spec import SearchSpec

NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
      "stDim": "http://ns.adobe.com/xap/1.0/sType/Dimensions#",
      "stArea": "http://ns.adobe.com/xmp/sType/Area#",
      "MPReg": "http://ns.microsoft.com/photo/1.2/t/Region#",
      "dc": "http://purl.org/dc/elements/1.1/", "lr": "http://ns.adobe.com/lightroom/1.0/"}

# The transposition that undoes each orientation (Pillow's exif_transpose applies the inverse).
_UNDO = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
         4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
         6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
         8: Image.Transpose.ROTATE_270}
ORIENTED = (240, 160)                                  # displayed width, height
BOXES = {"Anna": (30, 20, 90, 100), "Ben": (150, 60, 200, 130)}   # oriented pixels


def write_oriented_jpeg(path: Path, orientation: int) -> None:
    """A JPEG that displays as ORIENTED with white faces at BOXES, stored rotated/flipped and
    tagged with `orientation` (as a camera would)."""
    shown = np.zeros((ORIENTED[1], ORIENTED[0], 3), np.uint8)
    for x1, y1, x2, y2 in BOXES.values():
        shown[y1:y2, x1:x2] = 255
    image = Image.fromarray(shown)
    stored = image.transpose(_UNDO[orientation]) if orientation in _UNDO else image
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(path, quality=95, exif=exif)
    with Image.open(path) as check:                    # the test data itself is right
        assert ImageOps.exif_transpose(check).size == ORIENTED


def read_regions(xmp_path: Path) -> tuple[tuple[int, int], dict[str, tuple[float, ...]]]:
    root = ET.parse(xmp_path).getroot()
    dims = root.find(".//mwg-rs:AppliedToDimensions", NS)
    w = int(dims.get(f"{{{NS['stDim']}}}w"))
    h = int(dims.get(f"{{{NS['stDim']}}}h"))
    assert dims.get(f"{{{NS['stDim']}}}unit") == "pixel"
    regions = {}
    for desc in root.findall(".//mwg-rs:RegionList/rdf:Bag/rdf:li/rdf:Description", NS):
        assert desc.get(f"{{{NS['mwg-rs']}}}Type") == "Face"
        area = desc.find("mwg-rs:Area", NS)
        assert area.get(f"{{{NS['stArea']}}}unit") == "normalized"
        regions[desc.get(f"{{{NS['mwg-rs']}}}Name")] = tuple(
            float(area.get(f"{{{NS['stArea']}}}{k}")) for k in "xywh")
    return (w, h), regions


def mean_inside(image: Image.Image, region, inset: float = 0.15) -> float:
    """Mean brightness inside a normalised centre/size region (shrunk a little)."""
    W, H = image.size
    cx, cy, w, h = region
    x1, x2 = (cx - w / 2 * (1 - inset)) * W, (cx + w / 2 * (1 - inset)) * W
    y1, y2 = (cy - h / 2 * (1 - inset)) * H, (cy + h / 2 * (1 - inset)) * H
    pixels = np.asarray(image.convert("L"))[int(y1):int(y2), int(x1):int(x2)]
    return float(pixels.mean())


def read_like_digikam(region, stored_size, orientation):
    """A stored-frame region -> displayed pixels, the way digiKam's scanner reads one
    (relative -> stored-size rect, then its TagRegion::adjustToOrientation)."""
    cx, cy, w, h = region
    W, H = stored_size
    x, y, rw, rh = (cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H
    if orientation in (5, 6, 7):                     # ROT_90 (+ HFLIP / VFLIP)
        x, y, rw, rh = H - y - rh, x, rh, rw
        W, H = H, W
    elif orientation == 3:
        x, y = W - x - rw, H - y - rh
    elif orientation == 8:                           # ROT_270
        x, y, rw, rh = y, W - x - rw, rh, rw
        W, H = H, W
    if orientation in (2, 5):                        # HFLIP
        x = W - x - rw
    elif orientation in (4, 7):                      # VFLIP
        y = H - y - rh
    return x, y, x + rw, y + rh


@pytest.fixture
def oriented_album(photo_library, tmp_path):
    for o in range(1, 9):
        path = tmp_path / "src" / f"o{o}.jpg"
        path.parent.mkdir(exist_ok=True)
        write_oriented_jpeg(path, o)
        photo_id = photo_library.photo(f"o{o}.jpg", src=path, orientation=o,
                                       taken_at=f"2021-01-0{o}T00:00:00")
        for name, box in BOXES.items():
            photo_library.face(photo_id, name, box=tuple(float(v) for v in box))
        photo_library.face(photo_id, None, box=(100.0, 5.0, 120.0, 25.0))   # unnamed: no region
    return photo_library


@pytest.mark.parametrize("frame", ["oriented", "stored"])
def test_regions_for_every_orientation(oriented_album, catalog, tmp_path, frame):
    out = tmp_path / f"out-{frame}"
    s = export(catalog, ExportRequest(
        spec=SearchSpec(people_any=["Anna", "Ben"]), destination=str(out),
        options=ExportOptions(xmp=True, xmp_frame=frame, template="{name}.{ext}")))
    assert s.ok and s.added == 8 and s.sidecars_written == 8
    for o in range(1, 9):
        (w, h), regions = read_regions(out / f"o{o}.jpg.xmp")
        assert set(regions) == {"Anna", "Ben"}
        with Image.open(out / f"o{o}.jpg") as exported:
            if frame == "oriented":
                assert (w, h) == ORIENTED
                for name, (x1, y1, x2, y2) in BOXES.items():     # exactly the catalog's box
                    expected = ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w,
                                (y2 - y1) / h)
                    assert regions[name] == pytest.approx(expected, abs=1e-6), (o, name)
                image = ImageOps.exif_transpose(exported)
            else:
                assert (w, h) == exported.size                    # the stored pixel size
                for name, box in BOXES.items():                  # a digiKam-style reader
                    got = read_like_digikam(regions[name], (w, h), o)   # lands on the box
                    assert got == pytest.approx(box, abs=1e-3), (o, name)
                image = exported.copy()
            for name, region in regions.items():                  # and it sits on the face
                assert mean_inside(image, region) > 230, (frame, o, name)


def test_default_frame_is_the_stored_image(oriented_album, catalog, tmp_path):
    out = tmp_path / "out"
    export(catalog, ExportRequest(spec=SearchSpec(people_all=["Anna"]), destination=str(out),
                                  options=ExportOptions(xmp=True, template="{name}.{ext}")))
    assert read_regions(out / "o6.jpg.xmp")[0] == (ORIENTED[1], ORIENTED[0])   # 160 x 240


def test_sidecar_carries_names_as_keywords(oriented_album, catalog, tmp_path):
    out = tmp_path / "out"
    export(catalog, ExportRequest(spec=SearchSpec(people_all=["Ben"]), destination=str(out),
                                  options=ExportOptions(xmp=True, template="{name}.{ext}")))
    root = ET.parse(out / "o1.jpg.xmp").getroot()
    assert [li.text for li in root.findall(".//dc:subject/rdf:Bag/rdf:li", NS)] == ["Anna", "Ben"]
    assert [li.text for li in root.findall(".//lr:hierarchicalSubject/rdf:Bag/rdf:li", NS)] == [
        "People|Anna", "People|Ben"]
    rects = [li.get(f"{{{NS['MPReg']}}}Rectangle")
             for li in root.iter(f"{{{NS['rdf']}}}li") if li.get(f"{{{NS['MPReg']}}}Rectangle")]
    x, y, w, h = (float(v) for v in rects[0].split(","))
    assert (x, y, w, h) == pytest.approx((30 / 240, 20 / 160, 60 / 240, 80 / 160), abs=1e-6)
