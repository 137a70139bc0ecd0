"""Photo metadata for the catalog: taken-at date, GPS, camera, orientation; never raises.

Sources, in order: exifread (details=False, no thumbnail: ~1 ms a photo) and, when exifread finds
none of the tags we use (PNG eXIf chunks, some WebP/AVIF, files exifread chokes on), Pillow's
getexif(). The orientation always comes from decode.orientation_of(), the very function decode()
uses to turn the pixels, so the catalog's orientation and the stored face boxes agree.

Rules (why):
- Date: DateTimeOriginal -> DateTimeDigitized -> DateTime -> file mtime. A date is garbage when
  it does not parse, is all zeros, is before 1826 (the first photograph) or is more than
  `FUTURE_SLACK` after now (a camera clock is local time, so up to ~14 h ahead of UTC is honest;
  2099 is not). A rejected date falls through to the next source.
- GPS: degrees/minutes/seconds must be finite, minutes and seconds in [0, 60), latitude within
  +-90 and longitude within +-180, and the N/S and E/W references present and valid; exactly
  (0, 0) is what broken phones write when they had no fix, so it is treated as absent.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import exifread
from PIL import ExifTags

from .decode import DecodeError, exif_of, open_image, orientation_of

log = logging.getLogger(__name__)
# exifread logs every odd field at WARNING; a photo library has thousands of them.
logging.getLogger("exifread").setLevel(logging.ERROR)

EARLIEST_YEAR = 1826
FUTURE_SLACK = dt.timedelta(days=2)
MAX_TEXT = 100  # camera make/model longer than this is garbage (huge-tag EXIF)

_DATE_TAGS = (
    ("EXIF DateTimeOriginal", ExifTags.Base.DateTimeOriginal, "exif_original"),
    ("EXIF DateTimeDigitized", ExifTags.Base.DateTimeDigitized, "exif_digitized"),
    ("Image DateTime", ExifTags.Base.DateTime, "exif_datetime"),
)
_DATE_RE = re.compile(
    r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2})[:.](\d{1,2})(?:[:.](\d{1,2}))?)?")


@dataclass
class PhotoMetadata:
    orientation: int | None = None
    taken_at: str | None = None         # ISO 8601 'YYYY-MM-DDTHH:MM:SS', camera local time
    taken_at_source: str = "file_mtime"  # exif_original|exif_digitized|exif_datetime|file_mtime
    gps_lat: float | None = None
    gps_lon: float | None = None
    camera_make: str | None = None
    camera_model: str | None = None


@dataclass
class _RawTags:
    """The handful of tags we use, as plain Python values, whichever library read them."""
    dates: dict[str, object]
    lat: object = None
    lat_ref: object = None
    lon: object = None
    lon_ref: object = None
    make: object = None
    model: object = None

    def empty(self) -> bool:
        return not any(self.dates.values()) and all(
            v is None for v in (self.lat, self.lon, self.make, self.model))


def read_metadata(path: Path | str, *, mtime: float | None = None,
                  data: bytes | None = None) -> PhotoMetadata:
    """Metadata of one photo; missing or garbage fields are None, dates fall back to mtime.

    `data`: the file's bytes, already read (decode.read_photo_bytes): the file is not opened.
    """
    path = Path(path)
    if data is None and not path.is_file():  # missing, a folder, a FIFO (blocks exifread)
        return PhotoMetadata(taken_at=_mtime_iso(path, mtime))
    raw = _read_exifread(path, data)
    orientation = None
    try:
        im = open_image(path, data)
    except DecodeError:
        im = None
    if im is not None:
        try:
            orientation = orientation_of(im)
            if raw is None or raw.empty():
                raw = _read_pillow(im) or raw
        finally:
            im.close()
    meta = PhotoMetadata(orientation=orientation)
    if raw is not None:
        _fill_date(meta, raw)
        meta.gps_lat, meta.gps_lon = _gps(raw)
        meta.camera_make = _text(raw.make)
        meta.camera_model = _text(raw.model)
    if meta.taken_at is None:
        meta.taken_at_source = "file_mtime"
        meta.taken_at = _mtime_iso(path, mtime)
    return meta


# -- readers ----------------------------------------------------------------------------------
def _read_exifread(path: Path, data: bytes | None = None) -> _RawTags | None:
    try:
        with (open(path, "rb") if data is None else io.BytesIO(data)) as fh:
            tags = exifread.process_file(fh, details=False, extract_thumbnail=False)
    except Exception as exc:  # exifread raises anything on hostile files (AssertionError, ...)
        log.debug("exifread failed on %s: %s", path, exc)
        return None

    def value(key: str):
        tag = tags.get(key)
        return getattr(tag, "values", tag)

    return _RawTags(
        dates={key: value(key) for key, _, _ in _DATE_TAGS},
        lat=value("GPS GPSLatitude"), lat_ref=value("GPS GPSLatitudeRef"),
        lon=value("GPS GPSLongitude"), lon_ref=value("GPS GPSLongitudeRef"),
        make=value("Image Make"), model=value("Image Model"))


def _read_pillow(im) -> _RawTags | None:
    try:
        exif = exif_of(im)  # Pillow's "Corrupt EXIF" warnings are silenced by open_image()
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception as exc:
        log.debug("Pillow EXIF failed: %s", exc)
        return None
    dates = {key: (sub.get(tag) or exif.get(tag)) for key, tag, _ in _DATE_TAGS}
    return _RawTags(
        dates=dates,
        lat=gps.get(ExifTags.GPS.GPSLatitude), lat_ref=gps.get(ExifTags.GPS.GPSLatitudeRef),
        lon=gps.get(ExifTags.GPS.GPSLongitude), lon_ref=gps.get(ExifTags.GPS.GPSLongitudeRef),
        make=exif.get(ExifTags.Base.Make), model=exif.get(ExifTags.Base.Model))


# -- dates ------------------------------------------------------------------------------------
def _fill_date(meta: PhotoMetadata, raw: _RawTags) -> None:
    for key, _, source in _DATE_TAGS:
        parsed = parse_exif_date(raw.dates.get(key))
        if parsed is not None:
            meta.taken_at, meta.taken_at_source = parsed, source
            return


def parse_exif_date(value, *, now: dt.datetime | None = None) -> str | None:
    """'YYYY:MM:DD HH:MM:SS' (and common variants) -> ISO 8601, or None when garbage/absurd."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    if not isinstance(value, str):
        return None
    match = _DATE_RE.match(value.replace("\x00", ""))
    if not match:
        return None
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        when = dt.datetime(*parts)
    except ValueError:  # month 13, day 0, hour 24, year 0000 ...
        return None
    if not is_plausible(when, now=now):
        return None
    return when.isoformat(timespec="seconds")


def is_plausible(when: dt.datetime, *, now: dt.datetime | None = None) -> bool:
    now = now or dt.datetime.now()
    return when.year >= EARLIEST_YEAR and when <= now + FUTURE_SLACK


def _mtime_iso(path: Path, mtime: float | None) -> str | None:
    try:
        if mtime is None:
            mtime = os.stat(path).st_mtime
        return dt.datetime.fromtimestamp(mtime).isoformat(timespec="seconds")
    except (OSError, OverflowError, ValueError):
        return None


# -- GPS --------------------------------------------------------------------------------------
def _gps(raw: _RawTags) -> tuple[float | None, float | None]:
    lat = _coordinate(raw.lat, raw.lat_ref, "NS", 90.0)
    lon = _coordinate(raw.lon, raw.lon_ref, "EW", 180.0)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return None, None
    return lat, lon


def _coordinate(value, ref, refs: str, limit: float) -> float | None:
    ref = _text(ref)
    if not ref or ref[0].upper() not in refs:
        return None
    dms = _dms(value)
    if dms is None:
        return None
    degrees, minutes, seconds = dms
    if not all(math.isfinite(x) and x >= 0 for x in dms) or minutes >= 60 or seconds >= 60:
        return None
    result = degrees + minutes / 60.0 + seconds / 3600.0
    if result > limit:
        return None
    return -result if ref[0].upper() == refs[1] else result


def _dms(value) -> tuple[float, float, float] | None:
    """Degrees, minutes, seconds from rationals, numbers or the strings some writers use."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        numbers = _numbers_from_text(value)
    elif isinstance(value, (list, tuple)):
        numbers = [_number(v) for v in value]
    else:
        numbers = [_number(value)]
    if not numbers or len(numbers) > 3 or any(n is None for n in numbers):
        return None
    numbers = numbers + [0.0] * (3 - len(numbers))
    return numbers[0], numbers[1], numbers[2]


def _numbers_from_text(text: str) -> list[float | None]:
    # "52,00000,50,00000,34,01180": decimal commas between comma-separated values (goexif sample)
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if len(parts) == 6 and all(p.isdigit() for p in parts):
        parts = [f"{parts[i]}.{parts[i + 1]}" for i in (0, 2, 4)]
    return [_number(p) for p in parts]


def _number(value) -> float | None:
    try:
        if isinstance(value, str):
            if "/" in value:
                num, den = value.split("/", 1)
                return float(num) / float(den)
            return float(value)
        number = float(value)  # exifread Ratio / Pillow IFDRational / int
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


# -- text -------------------------------------------------------------------------------------
def _text(value) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = "".join(ch for ch in value if ch.isprintable()).strip()
    if not value or len(value) > MAX_TEXT:
        return None
    return value
