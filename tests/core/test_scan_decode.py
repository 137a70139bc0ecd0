"""decode(): orientation, reduced decodes, formats sniffed by content, bad files, memory guard."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from core.scan.decode import (MAX_DECODE_PIXELS, DecodedImage, DecodeError, decode,
                               decode_with_detail)

PROJECT = Path(__file__).resolve().parents[2]

# Upright test card: four coloured quadrants, so any flip or rotation is visible.
QUADRANTS = {"tl": (255, 0, 0), "tr": (0, 255, 0), "bl": (0, 0, 255), "br": (255, 255, 0)}
# Inverse of what exif_transpose applies for each orientation: stored = inverse(upright).
INVERSE = {
    1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270,
}


def upright_card(width: int = 400, height: int = 240) -> Image.Image:
    im = Image.new("RGB", (width, height))
    w2, h2 = width // 2, height // 2
    for (x, y), key in {(0, 0): "tl", (w2, 0): "tr", (0, h2): "bl", (w2, h2): "br"}.items():
        im.paste(QUADRANTS[key], (x, y, x + w2, y + h2))
    return im


def save_with_orientation(im: Image.Image, path: Path, orientation: int, **kw) -> None:
    stored = im.transpose(INVERSE[orientation]) if INVERSE[orientation] is not None else im
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(path, exif=exif.tobytes(), **kw)


def assert_upright(decoded: DecodedImage) -> None:
    rgb = decoded.bgr[:, :, ::-1].astype(int)
    h, w = rgb.shape[:2]
    probes = {"tl": (h // 4, w // 4), "tr": (h // 4, 3 * w // 4),
              "bl": (3 * h // 4, w // 4), "br": (3 * h // 4, 3 * w // 4)}
    for key, (y, x) in probes.items():
        assert np.abs(rgb[y, x] - QUADRANTS[key]).max() < 40, (key, rgb[y, x])


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("min_long_side", [None, 100])
def test_every_orientation_comes_out_upright(tmp_path, orientation, min_long_side):
    path = tmp_path / f"o{orientation}.jpg"
    save_with_orientation(upright_card(), path, orientation, quality=95)
    decoded = decode(path, min_long_side=min_long_side)
    assert decoded.orientation == orientation
    assert decoded.full_size == (400, 240)
    assert decoded.bgr.dtype == np.uint8 and decoded.bgr.flags.c_contiguous
    assert decoded.bgr.shape[2] == 3
    if min_long_side is None:
        assert decoded.bgr.shape[:2] == (240, 400) and decoded.scale == 1.0
    else:  # draft: 1/4 is the cheapest scale whose long side stays >= 100
        assert decoded.bgr.shape[:2] == (60, 100) and decoded.scale == pytest.approx(0.25)
    assert_upright(decoded)
    # Same answer as Pillow's reference implementation.
    with Image.open(path) as im:
        reference = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    if min_long_side is None:
        assert np.abs(reference.astype(int) - decoded.bgr[:, :, ::-1]).max() <= 2


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_invalid_orientation_is_ignored(tmp_path, value):
    path = tmp_path / "odd.jpg"
    exif = Image.Exif()
    exif[0x0112] = value
    upright_card().save(path, exif=exif.tobytes())
    decoded = decode(path)
    assert decoded.orientation == 1 and decoded.full_size == (400, 240)
    assert_upright(decoded)


def test_mpo_from_phones_uses_the_first_frame_reduced(tmp_path):
    path = tmp_path / "portrait.jpg"  # MPO: what phones write for portrait/depth photos
    stored = upright_card(800, 480).transpose(INVERSE[6])
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(path, format="MPO", save_all=True, exif=exif.tobytes(),
                append_images=[Image.new("RGB", stored.size, (0, 0, 0))])
    with Image.open(path) as im:
        assert im.format == "MPO"
    decoded = decode(path, min_long_side=200)
    assert decoded.bgr.shape == (120, 200, 3) and decoded.full_size == (800, 480)
    assert_upright(decoded)


def test_orientation_applied_on_png_and_webp(tmp_path):
    for suffix in ("png", "webp"):
        path = tmp_path / f"o6.{suffix}"
        save_with_orientation(upright_card(), path, 6)
        decoded = decode(path)
        assert decoded.orientation == 6 and decoded.full_size == (400, 240)
        assert_upright(decoded)


def test_jpeg_reduced_decode_picks_cheapest_dct_scale(tmp_path):
    path = tmp_path / "big.jpg"
    upright_card(2000, 1500).save(path, quality=85)
    for wanted, expected in [(None, 2000), (1000, 1000), (999, 1000), (501, 1000), (500, 500),
                             (250, 250), (5000, 2000)]:
        decoded = decode(path, min_long_side=wanted)
        assert decoded.bgr.shape[1] == expected, wanted
        assert decoded.scale == pytest.approx(expected / 2000)
        assert decoded.full_size == (2000, 1500)
    # 1/8 of 2000 is 250 > 2 x 100: shrunk further with INTER_AREA to exactly 100.
    assert decode(path, min_long_side=100).bgr.shape[:2] == (75, 100)


def test_non_jpeg_is_downscaled_only_when_more_than_twice_too_big(tmp_path):
    path = tmp_path / "card.png"
    upright_card(2000, 1000).save(path)
    assert decode(path, min_long_side=1000).bgr.shape[:2] == (1000, 2000)
    small = decode(path, min_long_side=400)
    assert small.bgr.shape[:2] == (200, 400) and small.scale == pytest.approx(0.2)
    assert_upright(small)


def test_content_is_sniffed_not_the_name(tmp_path):
    png_named_jpg = tmp_path / "photo.jpg"
    upright_card().save(png_named_jpg, format="PNG")
    assert_upright(decode(png_named_jpg))
    gif_without_extension = tmp_path / "subject01"
    upright_card().save(gif_without_extension, format="GIF")
    assert_upright(decode(gif_without_extension))


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "CMYK", "I;16", "1", "LA"])
def test_any_mode_becomes_three_channel_8bit(tmp_path, mode):
    card = upright_card(64, 48)
    if mode == "I;16":
        im = Image.fromarray((np.asarray(card.convert("L")).astype(np.uint16) * 257))
        path = tmp_path / "deep.png"
    else:
        im = card.convert(mode)
        path = tmp_path / ("x.jpg" if mode in ("L", "CMYK") else "x.png")
        if mode in ("P", "1"):
            path = tmp_path / "x.gif" if mode == "P" else tmp_path / "x.bmp"
    im.save(path)
    decoded = decode(path)
    assert decoded.bgr.shape == (48, 64, 3) and decoded.bgr.dtype == np.uint8
    if mode == "I;16":  # 16-bit scaled down, not clipped
        grey = np.asarray(card.convert("L")).astype(int)
        assert np.abs(decoded.bgr[:, :, 0].astype(int) - grey).max() <= 1
    if mode in ("P", "RGBA", "CMYK"):
        assert_upright(decoded)


def test_pgm_decodes(tmp_path):
    path = tmp_path / "face.pgm"
    upright_card(92, 112).convert("L").save(path)
    assert decode(path).bgr.shape == (112, 92, 3)


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b"hello, this is a text file, not a photo\n" * 10, "not an image"),
    (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "corrupt"),
])
def test_bad_files_raise_decode_error_with_reason(tmp_path, content, reason):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(DecodeError, match=reason):
        decode(path)


def test_truncated_jpeg_and_png_are_refused(tmp_path):
    buf = io.BytesIO()
    upright_card(800, 600).save(buf, format="JPEG", quality=90)
    jpeg = buf.getvalue()
    path = tmp_path / "cut.jpg"
    path.write_bytes(jpeg[: len(jpeg) * 2 // 3])
    for wanted in (None, 100):
        with pytest.raises(DecodeError, match="truncated"):
            decode(path, min_long_side=wanted)
    buf = io.BytesIO()
    Image.effect_noise((300, 200), 60).save(buf, format="PNG")
    png = tmp_path / "cut.png"
    png.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(DecodeError, match="truncated"):
        decode(png)


def test_missing_file_is_a_decode_error(tmp_path):
    with pytest.raises(DecodeError, match="cannot read"):
        decode(tmp_path / "gone.jpg")


def test_fifo_and_folder_are_refused_without_blocking(tmp_path):
    from core.scan.metadata import read_metadata

    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        with pytest.raises(DecodeError, match="not a regular file"):
            decode(path)
        assert read_metadata(path).orientation is None


def test_unsupported_formats_say_so(tmp_path):
    path = tmp_path / "x.jxl"
    path.write_bytes(b"\xff\x0a" + b"\x00" * 100)
    with pytest.raises(DecodeError, match="unsupported format: JPEG XL"):
        decode(path)


def test_eps_is_never_handed_to_ghostscript(tmp_path):
    path = tmp_path / "trap.jpg"
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(DecodeError, match="not an image"):
        decode(path)


# -- decompression bombs: measured in fresh processes so the peak RSS is decode's own -------
_MAKE_BIG = """
import sys
from PIL import Image
im = Image.new("RGB", (10000, 10000), (10, 120, 200))
im.save(sys.argv[1] + "/big.jpg", quality=50)
im.convert("L").save(sys.argv[1] + "/big.png", compress_level=1)
"""
_DECODE_AND_MEASURE = """
import json, sys, warnings
warnings.simplefilter("error")  # a Pillow DecompressionBombWarning would fail the run
from core.scan.decode import decode, DecodeError
wanted = None if sys.argv[2] == "none" else int(sys.argv[2])
try:
    d = decode(sys.argv[1], min_long_side=wanted)
    out = {"shape": list(d.bgr.shape), "scale": d.scale}
except DecodeError as exc:
    out = {"error": str(exc)}
# VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across fork+exec.
with open("/proc/self/status") as fh:
    hwm_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
out["peak_mb"] = hwm_kb / 1024
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def hundred_megapixels(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bomb")
    subprocess.run([sys.executable, "-c", _MAKE_BIG, str(folder)], check=True)
    return folder


def _decode_in_fresh_process(path: Path, wanted) -> dict:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    out = subprocess.run([sys.executable, "-c", _DECODE_AND_MEASURE, str(path), str(wanted)],
                         check=True, capture_output=True, text=True, env=env, cwd=PROJECT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_100_megapixel_jpeg_decodes_reduced_without_memory_blow_up(hundred_megapixels):
    result = _decode_in_fresh_process(hundred_megapixels / "big.jpg", 1000)
    assert result["shape"] == [1250, 1250, 3] and result["scale"] == 0.125
    # A full RGB decode alone would be 300 MB (Pillow holds 400 MB); the interpreter with
    # numpy, cv2 and Pillow is ~60 MB.
    assert result["peak_mb"] < 200, result


def test_100_megapixel_full_decode_and_png_are_refused_as_too_large(hundred_megapixels):
    assert 100_000_000 > MAX_DECODE_PIXELS
    for name, wanted in (("big.jpg", "none"), ("big.png", 1000)):
        result = _decode_in_fresh_process(hundred_megapixels / name, wanted)
        assert result["error"].startswith("too large"), result
        assert result["peak_mb"] < 200, result


def test_pillow_bomb_warning_never_escapes(tmp_path):
    path = tmp_path / "wide.png"
    # 12000 x 8000 = 96 MP > Pillow's 89 MP warning threshold, tiny on disk.
    Image.new("1", (12000, 8000)).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DecodeError, match="too large"):
            decode(path, min_long_side=500)


# -- shared data: real HEIC/AVIF/WebP/TIFF from phones and cameras --------------------------------
@pytest.mark.shared
def test_heic_and_avif_from_real_devices(shared_data):
    exif = shared_data / "exif"
    heic = decode(exif / "photoprism__iphone_7.heic", min_long_side=640)
    assert heic.full_size == (4032, 3024) and heic.bgr.shape == (480, 640, 3)
    assert heic.orientation == 6  # applied by libheif; reported as the camera wrote it
    avif = decode(exif / "test-assets__8bit-sRGB.avif", min_long_side=640)
    assert avif.full_size == (1617, 1080) and avif.bgr.shape[1] == 640
    tif = decode(exif / "Pillow__g4_orientation_6.tif")
    assert tif.orientation == 6 and tif.full_size == (88, 590) and tif.bgr.shape == (590, 88, 3)


@pytest.mark.shared
def test_gif_without_extension_from_yale(shared_data):
    faces = shared_data / "faces"
    yale = next(p for p in (faces / "Yale_subject02").iterdir() if p.suffix == ".wink")
    decoded = decode(yale)
    assert decoded.full_size == (320, 243) and decoded.bgr.shape == (243, 320, 3)


# -- decode_with_detail: one OpenCV decode at 1/2 for both the detector and small faces ----

@pytest.mark.parametrize("orientation", range(1, 9))
def test_decode_with_detail_matches_decode_in_every_orientation(tmp_path, orientation):
    path = tmp_path / f"o{orientation}.jpg"
    save_with_orientation(upright_card(), path, orientation, quality=95)
    image, detail = decode_with_detail(path, min_long_side=100)
    reference = decode(path, min_long_side=100)
    assert image.bgr.shape == reference.bgr.shape == (60, 100, 3)
    assert image.scale == pytest.approx(reference.scale)
    assert (image.full_size, image.orientation) == (reference.full_size, orientation)
    assert np.abs(image.bgr.astype(int) - reference.bgr).mean() < 4
    assert detail.bgr.shape == (120, 200, 3) and detail.scale == pytest.approx(0.5)
    assert detail.full_size == (400, 240) and detail.orientation == orientation
    for decoded in (image, detail):
        assert decoded.bgr.dtype == np.uint8 and decoded.bgr.flags.c_contiguous
        assert_upright(decoded)


def test_decode_with_detail_leaves_other_cases_to_decode(tmp_path):
    path = tmp_path / "card.jpg"
    upright_card().save(path, quality=90)
    image, detail = decode_with_detail(path, min_long_side=200)  # 1/2 already: no detail
    assert detail is None and image.bgr.shape[:2] == (120, 200)
    png = tmp_path / "card.png"
    upright_card().save(png)
    image, detail = decode_with_detail(png, min_long_side=100)
    assert detail is None and image.bgr.shape == decode(png, min_long_side=100).bgr.shape
    cmyk = tmp_path / "cmyk.jpg"
    upright_card().convert("CMYK").save(cmyk, quality=95)
    image, detail = decode_with_detail(cmyk, min_long_side=100)
    assert detail is None
    assert_upright(image)


def test_decode_with_detail_refuses_truncated_jpeg(tmp_path):
    buf = io.BytesIO()
    upright_card(800, 600).save(buf, format="JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) * 2 // 3])
    with pytest.raises(DecodeError, match="truncated"):
        decode_with_detail(path, min_long_side=100)


# -- issue 11: messages that name the limit that applied, and the file of every warning ------

def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height (no pixel data: decode must refuse first)."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
                     + struct.pack(">I", zlib.crc32(chunk))
                     + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND")))
    return path


def test_too_large_says_the_decode_limit_when_that_applied(tmp_path):
    path = _png_header_only(tmp_path / "wide.png", 9000, 8000)  # 72 MP: under Pillow's limits
    with pytest.raises(DecodeError) as caught:
        decode(path, min_long_side=640)
    assert str(caught.value) == ("too large: 9000x8000 = 72,000,000 pixels to decode at once, "
                                 "over the 64,000,000-pixel limit (64 MP)")


def test_too_large_says_the_bomb_limit_when_that_applied(tmp_path):
    path = _png_header_only(tmp_path / "huge.png", 20000, 10000)  # 200 MP
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DecodeError) as caught:
            decode(path, min_long_side=640)
    assert str(caught.value) == ("too large: 200,000,000 pixels, over the 178,956,970-pixel "
                                 "limit (179 MP) for any photo")
    assert "64,000,000" not in str(caught.value)


def test_libjpeg_warnings_name_the_file(tmp_path, caplog, capfd):
    import logging

    from core.scan.decode import decode_with_detail

    rng = np.random.default_rng(0)
    good = tmp_path / "good.jpg"
    Image.fromarray((rng.random((2400, 3200, 3)) * 255).astype(np.uint8)).save(good, quality=80)
    data = good.read_bytes()
    bad = tmp_path / "extra bytes.jpg"
    bad.write_bytes(data[:-2] + b"\0" * 7 + b"\xff\xd9")  # junk before the end marker
    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="core.scan.decode"):
        image, detail = decode_with_detail(bad, min_long_side=640)
        decode_with_detail(good, min_long_side=640)
    assert detail is not None and image.bgr.shape == (600, 800, 3)  # still decoded
    corrupt = [r.getMessage() for r in caplog.records if "Corrupt JPEG" in r.getMessage()]
    assert corrupt == [f"{bad}: Corrupt JPEG data: 4 extraneous bytes before marker 0xd9"], \
        [r.getMessage() for r in caplog.records]
    said = [line for line in capfd.readouterr().err.splitlines() if "Corrupt JPEG" in line]
    assert all(str(bad) in line for line in said), said  # never unnamed on the terminal
