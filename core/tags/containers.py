"""The XMP packet embedded in a photo file: JPEG APP1 (standard and extended XMP), PNG iTXt
`XML:com.adobe.xmp`, WebP `XMP ` chunk; TIFF, HEIC and anything else by looking for the packet
itself (uncompressed in both). Read only; never more than a bounded number of bytes.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from pathlib import Path

from .records import TagProblem
from .xmp import MAX_PACKET_BYTES

JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
JPEG_EXT_XMP = b"http://ns.adobe.com/xmp/extension/\x00"
SCAN_LIMIT = 64 * 1024 * 1024     # bytes of a TIFF/HEIC searched for a packet


def embedded_xmp(path: Path, data: bytes | None = None) -> list[bytes]:
    """The photo's XMP packets: one, or for a JPEG with extended XMP the standard packet and
    the extension (two XML documents); [] when it has none. `data`: the file's bytes, already
    read by the indexer (the file is not opened again)."""
    if data is not None:
        found = _packet(data, path.name) if data else None
    else:
        try:
            with open(path, "rb") as f:
                if f.seek(0, 2) == 0:
                    return []
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    found = _packet(mapped, path.name)
        except (OSError, ValueError) as error:
            raise TagProblem(f"{path.name}: cannot read for tags: {error}") from None
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _packet(data, name: str) -> bytes | None:
    head = data[:16]
    if head.startswith(b"\xff\xd8"):
        return _jpeg(data, name)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data, name)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(data, name)
    return _search(data, name)


def _jpeg(data, name: str) -> bytes | None:
    pos, end = 2, len(data)
    standard: bytes | None = None
    extended: dict[bytes, dict[int, bytes]] = {}
    totals: dict[bytes, int] = {}
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:           # fill byte
            pos += 1
            continue
        if marker in (0xD9, 0xDA):   # end of image, start of scan: no more metadata
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if length < 2:
            break
        body = data[pos + 4:pos + 2 + length]
        if marker == 0xE1:
            if body.startswith(JPEG_XMP) and standard is None:
                standard = bytes(body[len(JPEG_XMP):])
            elif body.startswith(JPEG_EXT_XMP) and len(body) >= len(JPEG_EXT_XMP) + 40:
                rest = body[len(JPEG_EXT_XMP):]
                guid = bytes(rest[:32])
                total, offset = struct.unpack(">II", rest[32:40])
                if total > MAX_PACKET_BYTES:
                    raise TagProblem(f"{name}: extended XMP too large ({total:,} bytes); "
                                     "ignored")
                totals[guid] = total
                extended.setdefault(guid, {})[offset] = bytes(rest[40:])
        pos += 2 + length
    if standard is None:
        return None
    guid = _extension_guid(standard)
    if guid is not None and guid in extended:
        joined = b"".join(part for _, part in sorted(extended[guid].items()))
        if len(joined) == totals[guid]:
            return [standard, joined]
    return standard


def _extension_guid(standard: bytes) -> bytes | None:
    marker = b"HasExtendedXMP"
    i = standard.find(marker)
    if i < 0:
        return None
    quote = standard.find(b'"', i)
    if quote < 0 or quote - i > 40:
        close = standard.find(b">", i)
        quote = close if close >= 0 else -1
    if quote < 0:
        return None
    guid = standard[quote + 1:quote + 33]
    return guid if len(guid) == 32 else None


def _png(data, name: str) -> bytes | None:
    pos, end = 8, len(data)
    while pos + 8 <= end:
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if pos + 12 + length > end:
            break
        if kind == b"iTXt":
            body = data[pos + 8:pos + 8 + length]
            keyword, _, rest = bytes(body).partition(b"\x00")
            if keyword == b"XML:com.adobe.xmp" and len(rest) >= 2:
                compressed = rest[0] == 1
                rest = rest[2:]
                _, _, rest = rest.partition(b"\x00")    # language tag
                _, _, text = rest.partition(b"\x00")    # translated keyword
                if compressed:
                    inflater = zlib.decompressobj()
                    text = inflater.decompress(text, MAX_PACKET_BYTES + 1)
                    if len(text) > MAX_PACKET_BYTES:
                        raise TagProblem(f"{name}: compressed XMP too large; ignored")
                return text
        if kind == b"IEND":
            break
        pos += 12 + length
    return None


def _webp(data, name: str) -> bytes | None:
    pos, end = 12, len(data)
    while pos + 8 <= end:
        kind, length = struct.unpack("<4sI", data[pos:pos + 8])
        if kind == b"XMP ":
            if length > MAX_PACKET_BYTES:
                raise TagProblem(f"{name}: XMP too large ({length:,} bytes); ignored")
            return bytes(data[pos + 8:pos + 8 + length])
        pos += 8 + length + (length & 1)
    return None


def _search(data, name: str) -> bytes | None:
    """TIFF (tag 700) and HEIC (an `application/rdf+xml` item) keep the packet as plain bytes."""
    limit = min(len(data), SCAN_LIMIT)
    start = data.find(b"<x:xmpmeta", 0, limit)
    if start < 0:
        return None
    end = data.find(b"</x:xmpmeta>", start, min(len(data), start + MAX_PACKET_BYTES + 16))
    if end < 0:
        raise TagProblem(f"{name}: XMP packet without an end (or larger than "
                         f"{MAX_PACKET_BYTES:,} bytes); ignored")
    return bytes(data[start:end + len(b"</x:xmpmeta>")])


