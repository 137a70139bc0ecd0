"""read_metadata(): date fallbacks, GPS validation, camera, orientation agreeing with decode."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from core.scan.metadata import PhotoMetadata, parse_exif_date, read_metadata

MTIME = dt.datetime(2020, 6, 1, 12, 30, 0).timestamp()


def write_photo(path: Path, *, original=None, digitized=None, datetime=None, gps=None,
                make=None, model=None, orientation=None, fmt="JPEG") -> Path:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if make is not None:
        exif[ExifTags.Base.Make] = make
    if model is not None:
        exif[ExifTags.Base.Model] = model
    if datetime is not None:
        exif[ExifTags.Base.DateTime] = datetime
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if original is not None:
        sub[ExifTags.Base.DateTimeOriginal] = original
    if digitized is not None:
        sub[ExifTags.Base.DateTimeDigitized] = digitized
    if gps is not None:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        for key, value in gps.items():
            gps_ifd[getattr(ExifTags.GPS, key)] = value
    Image.new("RGB", (32, 24), (90, 90, 90)).save(path, format=fmt, exif=exif.tobytes())
    os.utime(path, (MTIME, MTIME))
    return path


def test_full_metadata(tmp_path):
    path = write_photo(
        tmp_path / "a.jpg", original="2019:05:01 10:11:12", digitized="2019:05:02 00:00:00",
        datetime="2020:01:01 00:00:00", make="Canon\x00 ", model=" EOS 5D  ", orientation=6,
        gps={"GPSLatitudeRef": "S", "GPSLatitude": (33.0, 51.0, 54.0),
             "GPSLongitudeRef": "E", "GPSLongitude": (151.0, 12.0, 36.0)})
    meta = read_metadata(path)
    assert meta.taken_at == "2019-05-01T10:11:12" and meta.taken_at_source == "exif_original"
    assert meta.gps_lat == pytest.approx(-33.865) and meta.gps_lon == pytest.approx(151.21)
    assert (meta.camera_make, meta.camera_model) == ("Canon", "EOS 5D")
    assert meta.orientation == 6


def test_date_falls_back_through_sources(tmp_path):
    both = write_photo(tmp_path / "b.jpg", original="garbage", digitized="2018:02:03 04:05:06",
                       datetime="2017:01:01 00:00:00")
    assert read_metadata(both).taken_at_source == "exif_digitized"
    last = write_photo(tmp_path / "c.jpg", original="0000:00:00 00:00:00",
                       digitized="    :  :     :  :  ", datetime="2017:01:01 00:00:00")
    meta = read_metadata(last)
    assert (meta.taken_at, meta.taken_at_source) == ("2017-01-01T00:00:00", "exif_datetime")


def test_future_and_ancient_dates_fall_back_to_mtime(tmp_path):
    path = write_photo(tmp_path / "d.jpg", original="2099:08:12 19:59:29",
                       digitized="1801:01:01 00:00:00", datetime="2020:13:45 99:00:00")
    meta = read_metadata(path)
    assert meta.taken_at_source == "file_mtime" and meta.taken_at == "2020-06-01T12:30:00"
    given = read_metadata(path, mtime=dt.datetime(2001, 2, 3, 4, 5, 6).timestamp())
    assert given.taken_at == "2001-02-03T04:05:06"


@pytest.mark.parametrize("value, expected", [
    ("2019:05:01 10:11:12", "2019-05-01T10:11:12"),
    ("2019-05-01 10:11:12", "2019-05-01T10:11:12"),
    ("2019:05:01 10:11:12.345+02:00", "2019-05-01T10:11:12"),
    ("2019:05:01", "2019-05-01T00:00:00"),
    (b"2019:05:01 10:11:12\x00", "2019-05-01T10:11:12"),
    ("0000:00:00 00:00:00", None), ("", None), ("garbage", None), (None, None), (42, None),
    ("2019:02:30 10:00:00", None), ("1825:12:31 23:59:59", None), ("2099:01:01 00:00:00", None),
])
def test_parse_exif_date(value, expected):
    assert parse_exif_date(value, now=dt.datetime(2026, 1, 1)) == expected


def test_future_rule_allows_a_camera_clock_ahead_of_utc():
    now = dt.datetime(2026, 1, 1, 12, 0, 0)
    assert parse_exif_date("2026:01:02 01:00:00", now=now) == "2026-01-02T01:00:00"
    assert parse_exif_date("2026:01:05 00:00:00", now=now) is None


@pytest.mark.parametrize("gps", [
    {"GPSLatitudeRef": "N", "GPSLatitude": (0.0, 0.0, 0.0),
     "GPSLongitudeRef": "E", "GPSLongitude": (0.0, 0.0, 0.0)},            # 0,0: no fix
    {"GPSLatitudeRef": "N", "GPSLatitude": (500.0, 0.0, 0.0),
     "GPSLongitudeRef": "E", "GPSLongitude": (10.0, 0.0, 0.0)},           # out of range
    {"GPSLatitude": (45.0, 0.0, 0.0), "GPSLongitude": (10.0, 0.0, 0.0)},  # refs missing
    {"GPSLatitudeRef": "Q", "GPSLatitude": (45.0, 0.0, 0.0),
     "GPSLongitudeRef": "E", "GPSLongitude": (10.0, 0.0, 0.0)},           # garbage ref
    {"GPSLatitudeRef": "N", "GPSLatitude": (45.0, 75.0, 0.0),
     "GPSLongitudeRef": "E", "GPSLongitude": (10.0, 0.0, 0.0)},           # 75 minutes
])
def test_invalid_gps_is_absent(tmp_path, gps):
    meta = read_metadata(write_photo(tmp_path / "g.jpg", gps=gps))
    assert (meta.gps_lat, meta.gps_lon) == (None, None)


def test_no_exif_at_all(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(path)
    os.utime(path, (MTIME, MTIME))
    assert read_metadata(path) == PhotoMetadata(
        orientation=None, taken_at="2020-06-01T12:30:00", taken_at_source="file_mtime")


def test_png_and_webp_exif_through_pillow(tmp_path):
    for fmt in ("PNG", "WEBP"):
        path = write_photo(tmp_path / f"x.{fmt.lower()}", fmt=fmt, original="2015:01:18 12:01:01",
                           orientation=8, make="Phone")
        meta = read_metadata(path)
        assert meta.taken_at == "2015-01-18T12:01:01", fmt
        assert meta.orientation == 8 and meta.camera_make == "Phone"


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\xff\xd8\xff\xe1\x00\x10Exif"
                                     b"\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x00" * 40])
def test_never_raises_on_garbage(tmp_path, content):
    path = tmp_path / "junk.jpg"
    path.write_bytes(content)
    os.utime(path, (MTIME, MTIME))
    meta = read_metadata(path)
    assert meta.taken_at_source == "file_mtime" and meta.orientation is None


def test_missing_file_gives_empty_metadata(tmp_path):
    meta = read_metadata(tmp_path / "gone.jpg")
    assert meta.taken_at is None and meta.taken_at_source == "file_mtime"


# -- the hostile samples in shared/data/exif ----------------------------------------------------
@pytest.mark.shared
def test_shared_exif_edge_cases(shared_data):
    exif = shared_data / "exif"

    def meta(name):
        return read_metadata(exif / name)

    assert meta("goexif__geodegrees_as_string.jpg").gps_lat == pytest.approx(52.8428, abs=1e-4)
    assert meta("goexif__geodegrees_as_string.jpg").gps_lon == pytest.approx(11.1829, abs=1e-4)
    nulls = meta("elodie__with-null-coordinates.jpg")
    assert (nulls.gps_lat, nulls.gps_lon) == (None, None) and nulls.orientation == 6
    future = meta("goexif__2099-08-12-19-59-29-sep-2099-08-12-19-59-29a.jpg")
    assert future.taken_at_source == "file_mtime"
    pillow_future = meta("Pillow__exif_gps.jpg")  # 2099 date, latitude = max uint32
    assert pillow_future.taken_at_source == "file_mtime" and pillow_future.gps_lat is None
    assert meta("goexif__infinite_loop_exif.jpg").taken_at == "2007-05-10T19:04:16"
    for name in ("goexif__huge_tag_exif.jpg", "goexif__max_uint32_exif.jpg",
                 "photoprism__out-of-range-500.jpg", "photoprism__huawei-gps-error.jpg"):
        result = meta(name)
        assert result.gps_lat is None or -90 <= result.gps_lat <= 90
        assert result.gps_lon is None or -180 <= result.gps_lon <= 180
    heic = meta("photoprism__iphone_15_pro.heic")
    assert heic.taken_at == "2023-10-31T11:44:43" and heic.camera_model == "iPhone 15 Pro"
    assert heic.gps_lat == pytest.approx(52.4596, abs=1e-3)
    webp = meta("metadata-extractor-images__HTC Desire.webp")  # exifread finds nothing here
    assert webp.taken_at == "2011-05-06T09:59:48" and webp.camera_make == "HTC"
    avif = meta("metadata-extractor-images__Issue 649.avif")  # exifread asserts on this one
    assert avif.camera_model == "Canon EOS 70D"
    png = meta("Pillow__exif_imagemagick_orientation.png")
    assert png.orientation == 3
