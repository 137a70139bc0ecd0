"""Decode a photo file into an upright BGR array, cheaply and safely.

What decode() promises:
- Content is sniffed, never the file name: a PNG named .jpg or a GIF without extension decodes.
  Only the formats a photo library holds are tried (`ALLOWED_FORMATS`); Pillow's other plugins
  (EPS would run Ghostscript, for instance) are never offered the file.
- EXIF orientation is applied on the (reduced) pixels, so boxes found in `bgr` are in oriented
  coordinates. `orientation_of()` is the single source of the orientation, shared with
  metadata.read_metadata(), so the catalog and the pixels always agree.
- JPEG (and MPO) are reduced while decoding by libjpeg's DCT scaling (Pillow `draft`, 1/2, 1/4,
  1/8): a 100-megapixel JPEG decoded for detection costs a 1/8 decode, not 300 MB. Other formats
  are decoded fully, then shrunk with INTER_AREA when more than 2x larger than asked.
- Memory guard: a decode whose pixel buffer would exceed `MAX_DECODE_PIXELS` (64 MP, roughly
  640 MB of transient buffers at ~10 bytes/pixel) is refused with DecodeError("too large ...").
  For JPEG that is the *reduced* size, so only a full-resolution request of a huge JPEG is refused.
  Headers claiming more than `MAX_SOURCE_PIXELS` (Pillow's own 2 x 89 MP bomb limit) are refused
  before any pixel is read. Pillow's DecompressionBombWarning/Error never escape. Each "too
  large" message names the limit that applied (`too_large_message`).
- Truncated files are refused (DecodeError "truncated ..."), even when libjpeg could show the
  top of the picture: a half-grey photo would give wrong thumbnails and missed faces, and the
  error in the catalog tells the user which file to restore. Zero-byte, text-named-.jpg and
  corrupt files, folders and FIFOs give DecodeError with the reason.
- Cost (12 MP JPEG, measured in one run): decode(min_long_side=640) is a 1/4 DCT decode and
  costs the same as bare Pillow draft+load+asarray (ratio ~1.0); the RGB->BGR conversion and the
  orientation on the reduced image add < 1 ms. np.asarray of a *full* 12 MP image costs ~50 ms
  (Pillow's tobytes), so full-resolution decodes are for the rare caller that needs them.
- Modes: greyscale, palette, CMYK, 16-bit, alpha (dropped) all come out as 3-channel 8-bit.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
import struct
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

MAX_DECODE_PIXELS = 64_000_000
MAX_SOURCE_PIXELS = 2 * 89_478_485   # Pillow's DecompressionBombError threshold

# Pillow format names worth trying on a photo (content sniffing picks among them).
ALLOWED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP", "DIB", "GIF", "HEIF", "AVIF", "PPM")
_JPEG_FORMATS = ("JPEG", "MPO")

_EXIF_ORIENTATION = 0x0112


class DecodeError(Exception):
    """The file can't be turned into pixels; the message says why."""


@dataclass
class DecodedImage:
    bgr: np.ndarray               # HxWx3 uint8 C-contiguous, BGR, orientation applied
    scale: float                  # bgr width / full oriented width (1.0 = full resolution)
    full_size: tuple[int, int]    # (width, height) of the full image after orientation
    orientation: int              # EXIF orientation that was applied (1 if none)


_plugins_ready = False
_open_formats: tuple[str, ...] = ALLOWED_FORMATS


def ensure_plugins() -> None:
    """Register the HEIF opener once per process (worker processes call this through decode)."""
    global _plugins_ready, _open_formats
    if _plugins_ready:
        return
    Image.init()  # Image.open(formats=...) only knows plugins that are already imported
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - pillow-heif is a pinned dependency
        log.warning("pillow-heif not installed: HEIC/HEIF photos will not decode")
    _open_formats = tuple(f for f in ALLOWED_FORMATS if f in Image.OPEN)
    _plugins_ready = True


# -- orientation ----------------------------------------------------------------------------
def orientation_of(im: Image.Image) -> int | None:
    """The EXIF orientation (1..8) of an opened image, None when absent or invalid.

    HEIF: libheif already rotates the pixels and pillow-heif resets the tag to 1, keeping the
    camera's value in info["original_orientation"]; that value is reported (it was applied).
    PNG: an eXIf chunk after the pixel data is found without decoding the pixels.
    """
    if im.format == "HEIF":
        value = im.info.get("original_orientation")
    else:
        try:
            value = exif_of(im).get(_EXIF_ORIENTATION)
        except Exception:  # garbage EXIF: treat as absent, never fail the photo for it
            return None
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    return None


def exif_of(im: Image.Image) -> Image.Exif:
    """Pillow's EXIF of an opened image without decoding its pixels (may raise on garbage)."""
    if im.format == "PNG":
        # PngImageFile.getexif() decodes all the pixels to reach a trailing eXIf chunk.
        if "exif" not in im.info:
            _find_png_exif(im)
        return Image.Image.getexif(im)
    return im.getexif()


def _pixels_already_oriented(im: Image.Image) -> bool:
    return im.format == "HEIF"


def _find_png_exif(im: Image.Image) -> None:
    """Walk the PNG chunk headers (no inflating) for an eXIf chunk after IDAT."""
    fp = getattr(im, "fp", None)
    if fp is None:
        return
    try:
        pos = fp.tell()
        fp.seek(8)
        while True:
            header = fp.read(8)
            if len(header) < 8:
                break
            length, kind = struct.unpack(">I4s", header)
            if kind == b"eXIf":
                data = fp.read(length)
                if len(data) == length:
                    im.info["exif"] = b"Exif\x00\x00" + data  # what Pillow's own reader stores
                break
            if kind == b"IEND":
                break
            fp.seek(length + 4, os.SEEK_CUR)  # data + CRC
        fp.seek(pos)
    except (OSError, struct.error, ValueError):
        pass


def apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Turn pixels stored with EXIF `orientation` upright (the mapping of exif_transpose)."""
    if orientation == 2:
        return cv2.flip(arr, 1)
    if orientation == 3:
        return cv2.rotate(arr, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(arr, 0)
    if orientation == 5:
        return cv2.transpose(arr)
    if orientation == 6:
        return cv2.rotate(arr, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(arr), -1)
    if orientation == 8:
        return cv2.rotate(arr, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return arr


# -- opening --------------------------------------------------------------------------------
def _silence_pillow_warnings() -> None:
    """Keep Pillow's warnings about user files (bomb size, corrupt EXIF) from reaching anyone.

    decode() applies its own limits and reasons, so these warnings are noise. Two targeted,
    process-wide filters instead of warnings.catch_warnings(), which is not thread-safe (the
    GUI decodes thumbnails on threads). They are put back in front whenever something (a test
    runner, `-W error`) reordered the filters, so they also win over a blanket "error".
    """
    if warnings.filters[:2] != _QUIET_FILTERS:
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL(\.|$)")
        warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
        _QUIET_FILTERS[:] = warnings.filters[:2]


_QUIET_FILTERS: list = []


def _check_regular_file(path: Path) -> os.stat_result:
    try:
        st = path.stat()
    except OSError as exc:
        raise DecodeError(f"cannot read file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the reader forever
        raise DecodeError("not a regular file")
    if st.st_size == 0:
        raise DecodeError("empty file (0 bytes)")
    return st


# Files up to this size are read into memory once per analysis (read_photo_bytes); a bigger
# one (a huge uncompressed TIFF) is read from disk by each step instead, so the bytes never sit
# in memory next to its decode. A 12 MP JPEG is 3-8 MB, a 100 MP one ~50 MB.
MAX_READ_BYTES = 256 * 1024 * 1024


def read_photo_bytes(path: Path | str) -> bytes | None:
    """The whole file, read with one open, for the steps of one analysis (metadata, decode,
    detail decode, tags) to share: each of them used to open the file again. None for a file
    over MAX_READ_BYTES (the steps then read the path). DecodeError for what open_image
    refuses, with its reasons."""
    path = Path(path)
    st = _check_regular_file(path)
    if st.st_size > MAX_READ_BYTES:
        return None
    try:
        with open(path, "rb") as fh:
            # read(): sized from fstat. read(MAX_READ_BYTES + 1) would allocate the whole
            # limit first: 1.2 ms instead of 0.13 for a 2 MB file.
            data = fh.read()
    except OSError as exc:
        raise DecodeError(f"cannot read file: {exc.strerror or exc}") from None
    if not data:  # emptied since the stat
        raise DecodeError("empty file (0 bytes)")
    if len(data) > MAX_READ_BYTES:  # grew since the stat
        return None
    return data


def open_image(path: Path | str, data: bytes | None = None) -> Image.Image:
    """Open (header only) with content sniffing; DecodeError with a reason on failure.

    `data`: the file's bytes already read (read_photo_bytes); the file is not opened again.
    The caller must close the returned image.
    """
    ensure_plugins()
    path = Path(path)
    if data is None:
        _check_regular_file(path)
    elif not data:
        raise DecodeError("empty file (0 bytes)")
    _silence_pillow_warnings()
    try:
        im = Image.open(path if data is None else io.BytesIO(data), formats=_open_formats)
    except Image.DecompressionBombError as exc:
        raise DecodeError(_too_large_to_open(exc)) from None
    except UnidentifiedImageError:
        raise DecodeError(_unidentified_reason(path, data)) from None
    except PermissionError as exc:
        raise DecodeError(f"cannot read file: {exc.strerror or exc}") from None
    except Exception as exc:  # plugins raise anything from SyntaxError to struct.error
        raise DecodeError(_reason(exc)) from None
    return im


_KNOWN_UNSUPPORTED = (
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"FUJIFILMCCD-RAW", "Fujifilm RAF raw"),
    (b"%PDF", "PDF"),
    (b"8BPS", "Photoshop PSD"),
)


def too_large_message(width: int, height: int, *, limit: int, what: str) -> str:
    """Says the limit that applied: a photo of any size is refused over MAX_SOURCE_PIXELS
    (Pillow's bomb limit, checked on the header); MAX_DECODE_PIXELS bounds one decode (a
    JPEG is decoded reduced, so only a full-size decode of a huge one meets it)."""
    return (f"too large: {width}x{height} = {width * height:,} pixels {what}, over the "
            f"{limit:,}-pixel limit ({limit / 1e6:.0f} MP)")


def _too_large_to_open(exc: Exception) -> str:
    import re

    size = re.search(r"\((\d+) pixels\)", str(exc))
    pixels = f"{int(size.group(1)):,} pixels" if size else "this photo"
    return (f"too large: {pixels}, over the {MAX_SOURCE_PIXELS:,}-pixel limit "
            f"({MAX_SOURCE_PIXELS / 1e6:.0f} MP) for any photo")


def _unidentified_reason(path: Path, data: bytes | None = None) -> str:
    if data is not None:
        head = data[:64]
    else:
        try:
            with open(path, "rb") as fh:
                head = fh.read(64)
        except OSError as exc:
            return f"cannot read file: {exc.strerror or exc}"
    for magic, name in _KNOWN_UNSUPPORTED:
        if head.startswith(magic):
            return f"unsupported format: {name}"
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("ascii", "replace")
        if brand.startswith("cr"):
            return "unsupported format: Canon CR3 raw"
        return f"corrupt or unsupported HEIF/ISO media file (brand {brand!r})"
    if head.startswith((b"\xff\xd8", b"\x89PNG", b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*")):
        return "corrupt: image header not readable"
    return "not an image (unrecognised content)"


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "truncated" in lowered or isinstance(exc, EOFError) or "end of file" in lowered:
        return f"truncated: {text}"
    if isinstance(exc, MemoryError):
        return "too large: out of memory while decoding"
    if "unsupported" in lowered or "not supported" in lowered or "unknown" in lowered:
        return f"unsupported: {text}"
    return f"corrupt: {text}"


# -- decoding -------------------------------------------------------------------------------
def decode(path: Path | str, *, min_long_side: int | None = None,
           data: bytes | None = None) -> DecodedImage:
    """Decode `path` upright, reduced to the cheapest size whose long side >= min_long_side.

    min_long_side=None decodes full resolution. `data`: the file's bytes, already read (the
    file is not opened). Raises DecodeError (never Pillow's errors).
    """
    im = open_image(path, data)
    try:
        return _decode_or_explain(im, min_long_side)
    finally:
        im.close()


def _decode_or_explain(im: Image.Image, min_long_side: int | None) -> DecodedImage:
    try:
        return _decode_opened(im, min_long_side)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(_reason(exc)) from None


def _decode_opened(im: Image.Image, min_long_side: int | None) -> DecodedImage:
    full_w, full_h = im.size
    if full_w <= 0 or full_h <= 0:
        raise DecodeError("corrupt: image has no pixels")
    if full_w * full_h > MAX_SOURCE_PIXELS:
        raise DecodeError(too_large_message(full_w, full_h, limit=MAX_SOURCE_PIXELS,
                                            what="for any photo"))
    if im.format in _JPEG_FORMATS and min_long_side is not None:
        dct = _dct_scale(max(full_w, full_h), min_long_side)
        if dct > 1:
            # Pillow picks min(w // rw, h // rh); floor sizes make that exactly `dct`.
            im.draft(None, (full_w // dct, full_h // dct))
    if im.size[0] * im.size[1] > MAX_DECODE_PIXELS:
        raise DecodeError(too_large_message(*im.size, limit=MAX_DECODE_PIXELS,
                                            what="to decode at once"))
    orientation = orientation_of(im) or 1
    if orientation >= 5 and not _pixels_already_oriented(im):
        oriented_size = (full_h, full_w)
    else:
        oriented_size = (full_w, full_h)
    im.load()  # LOAD_TRUNCATED_IMAGES stays False: truncated files raise here
    bgr = _to_bgr(im)

    if min_long_side is not None:
        long_side = max(bgr.shape[:2])
        if long_side > 2 * min_long_side:
            f = min_long_side / long_side
            size = (max(1, round(bgr.shape[1] * f)), max(1, round(bgr.shape[0] * f)))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)

    if not _pixels_already_oriented(im):
        bgr = apply_orientation(bgr, orientation)
    bgr = np.ascontiguousarray(bgr)
    return DecodedImage(bgr=bgr, scale=bgr.shape[1] / oriented_size[0],
                        full_size=oriented_size, orientation=orientation)


def decode_with_detail(path: Path | str, *, min_long_side: int, data: bytes | None = None,
                       ) -> tuple[DecodedImage, DecodedImage | None]:
    """(image, detail): `image` as decode(path, min_long_side=...) gives it, and for big
    JPEGs (reduced at least 4x for `image`) `detail`, the same photo at 1/2 scale (None
    otherwise).

    Why: the face analyzer detects on `image` and aligns small faces from a decode at 2x.
    Pillow's decode at 1/2 costs ~48 ms of CPU on a 12 MP JPEG (~17 of them in np.asarray's
    copy), a 1/4 one ~28 ms; OpenCV decodes at 1/2 straight into a numpy array in ~25 ms, and
    an INTER_AREA reduction to 1/4 costs < 1 ms. So one OpenCV decode at 1/2 gives both for
    less than the 1/4 decode alone (measured with bench/cpu_per_photo.py).

    OpenCV's decoder is only used where it can't change decode()'s promises: a plain JPEG
    (YCbCr or greyscale; CMYK and MPO go through Pillow) whose data ends with the EOI marker
    (a truncated file goes through Pillow, which refuses it), after the same header checks
    and size limits. Orientation is applied here, as decode() does. `data`: as for decode().
    """
    im = open_image(path, data)
    try:
        try:
            fast = _decode_pair_with_opencv(path, im, min_long_side, data)
        except DecodeError:
            raise
        except Exception:  # anything odd: Pillow's decode, on a fresh open, and its reasons
            fast = False
        if fast:
            return fast
        if fast is None:  # not for OpenCV (it only read the header): decode this open file
            return _decode_or_explain(im, min_long_side), None
    finally:
        im.close()
    return decode(path, min_long_side=min_long_side, data=data), None


_OPENCV_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2}
_capture_lock = threading.Lock()


@contextlib.contextmanager
def decoder_messages_named(path):
    """libjpeg inside OpenCV prints its warnings ("Corrupt JPEG data: 4 extraneous bytes
    before marker 0xd9") straight to file descriptor 2, without saying which file. While
    OpenCV decodes, fd 2 points at an anonymous temporary file; what was written there is then
    logged as a warning that starts with the file's path. (Pillow's decoder keeps libjpeg's
    warnings to itself.) Decodes in one process take turns here: fd 2 is process-wide."""
    with _capture_lock, tempfile.TemporaryFile() as capture:  # unlinked: nothing left behind
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no fd 2 (a windowed app): as is
            yield
            return
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            said = capture.read(8192).decode("utf-8", "replace")
            for line in said.splitlines():
                if line.strip():
                    log.warning("%s: %s", path, line.strip())
# Above this (a 64 MP photo's 1/2 decode), a photo goes the two-decode way: most big
# photos have no small face, and the 1/2 decode's buffer would be large for nothing.
MAX_DETAIL_PIXELS = 16_000_000


def _decode_pair_with_opencv(path, im: Image.Image, min_long_side: int,
                             data: bytes | None = None):
    if im.format != "JPEG" or im.mode not in ("RGB", "L"):
        return None
    full_w, full_h = im.size
    if full_w <= 0 or full_h <= 0 or full_w * full_h > MAX_SOURCE_PIXELS:
        return None  # decode() raises with its reason
    dct = _dct_scale(max(full_w, full_h), min_long_side)
    if dct < 4:
        return None  # the image is already at >= 1/2: no detail needed
    detail_dct = 2   # what the analyzer aligns small faces from
    # libjpeg's scaled size is the ceiling of size / scale.
    detail_size = (-(-full_w // detail_dct), -(-full_h // detail_dct))
    if detail_size[0] * detail_size[1] > MAX_DETAIL_PIXELS:
        return None
    encoded = (np.fromfile(str(path), dtype=np.uint8) if data is None
               else np.frombuffer(data, dtype=np.uint8))
    if len(encoded) < 4 or encoded[-2] != 0xFF or encoded[-1] != 0xD9:
        return None  # maybe truncated (or trailing data): Pillow tells
    with decoder_messages_named(path):
        bgr = cv2.imdecode(encoded, _OPENCV_REDUCED[detail_dct] | cv2.IMREAD_IGNORE_ORIENTATION)
    del encoded
    if bgr is None or bgr.shape[1] != detail_size[0] or bgr.shape[0] != detail_size[1]:
        return None
    orientation = orientation_of(im) or 1
    oriented_size = (full_h, full_w) if orientation >= 5 else (full_w, full_h)
    small = cv2.resize(bgr, (-(-full_w // dct), -(-full_h // dct)), interpolation=cv2.INTER_AREA)
    images = []
    for pixels in (small, bgr):
        pixels = np.ascontiguousarray(apply_orientation(pixels, orientation))
        images.append(DecodedImage(bgr=pixels, scale=pixels.shape[1] / oriented_size[0],
                                   full_size=oriented_size, orientation=orientation))
    return images[0], images[1]


def _dct_scale(long_side: int, min_long_side: int) -> int:
    """Largest libjpeg reduction (8, 4, 2) whose result keeps its long side >= min_long_side."""
    if min_long_side <= 0:
        raise ValueError("min_long_side must be positive")
    for dct in (8, 4, 2):
        if -(-long_side // dct) >= min_long_side:
            return dct
    return 1


def _to_bgr(im: Image.Image) -> np.ndarray:
    """3-channel 8-bit BGR from whatever mode the file had, with as few copies as possible."""
    mode = im.mode
    if mode == "RGB":
        return cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR)
    if mode == "L":
        return cv2.cvtColor(np.asarray(im), cv2.COLOR_GRAY2BGR)
    if mode in ("RGBA", "RGBX", "RGBa"):
        return cv2.cvtColor(np.asarray(im), cv2.COLOR_RGBA2BGR)  # alpha dropped
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return cv2.cvtColor(_high_depth_to_8bit(np.asarray(im), mode), cv2.COLOR_GRAY2BGR)
    if mode == "1" or mode == "LA" or mode == "La":
        return cv2.cvtColor(np.asarray(im.convert("L")), cv2.COLOR_GRAY2BGR)
    # P, PA, CMYK (Pillow undoes Adobe's inverted CMYK), YCbCr, LAB, HSV, ...
    return cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2BGR)


def _high_depth_to_8bit(arr: np.ndarray, mode: str) -> np.ndarray:
    if mode.startswith("I;16"):
        return (arr.astype(np.uint16) >> 8).astype(np.uint8)
    # "I" (usually 16-bit data in int32) or "F": scale by the range the data uses.
    arr = np.nan_to_num(arr.astype(np.float32, copy=False))
    top = 65535.0 if arr.max(initial=0) > 255 else 255.0
    return np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)

