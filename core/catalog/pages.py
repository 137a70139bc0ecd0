"""Reading rows straight from the pages of a damaged SQLite file.

When a b-tree's interior pages are lost (a truncated file loses the pages written last, and
a big table's upper levels are among them), its surviving leaf pages can no longer be
reached through SQLite. Their rows are still there: each table leaf page (type 0x0D) lists
cells of (rowid, record). This reads them following the file format
(https://www.sqlite.org/fileformat2.html), skipping pages on the free list (deleted data)
and rows spilling into overflow pages (none of the catalog's rows do at 4 KiB pages).
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from pathlib import Path

TABLE_LEAF = 0x0D


def _varint(data, at: int) -> tuple[int, int]:
    """(value, bytes used) of the SQLite varint at `at`."""
    value = 0
    for i in range(8):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i + 1
    return (value << 8) | data[at + 8], 9


def decode_record(payload: bytes) -> list:
    header_size, used = _varint(payload, 0)
    types, at = [], used
    while at < header_size:
        serial, used = _varint(payload, at)
        types.append(serial)
        at += used
    values, at = [], header_size
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in (1, 2, 3, 4, 5, 6):
            size = (1, 2, 3, 4, 6, 8)[serial - 1]
            values.append(int.from_bytes(payload[at:at + size], "big", signed=True))
            at += size
        elif serial == 7:
            values.append(struct.unpack(">d", payload[at:at + 8])[0])
            at += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            size = (serial - 12) // 2
            chunk = bytes(payload[at:at + size])
            if len(chunk) != size:
                raise ValueError("record runs past its cell")
            values.append(chunk if serial % 2 == 0 else chunk.decode("utf-8"))
            at += size
        else:
            raise ValueError(f"reserved serial type {serial}")
    return values


def _free_pages(data, page_size: int) -> set[int]:
    """The pages on the free list (their content is deleted data)."""
    free: set[int] = set()
    trunk = int.from_bytes(data[32:36], "big")
    pages = len(data) // page_size
    while 0 < trunk <= pages and trunk not in free:
        free.add(trunk)
        at = (trunk - 1) * page_size
        count = int.from_bytes(data[at + 4:at + 8], "big")
        for i in range(min(count, page_size // 4 - 2)):
            free.add(int.from_bytes(data[at + 8 + 4 * i:at + 12 + 4 * i], "big"))
        trunk = int.from_bytes(data[at:at + 4], "big")
    return free


def leaf_rows(path: Path, page_size: int) -> Iterator[tuple[int, list]]:
    """(rowid, values) of every row on every table leaf page that can be decoded."""
    with open(path, "rb") as handle:
        if handle.seek(0, 2) == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            reserved = data[20]
            usable = page_size - reserved
            free = _free_pages(data, page_size)
            for page in range(1, len(data) // page_size + 1):
                if page in free:
                    continue
                start = (page - 1) * page_size
                header = start + (100 if page == 1 else 0)
                if data[header] != TABLE_LEAF:
                    continue
                yield from _cells(data, start, header, page_size, usable)


def _cells(data, start: int, header: int, page_size: int, usable: int):
    try:
        cells = int.from_bytes(data[header + 3:header + 5], "big")
        for i in range(min(cells, page_size // 4)):
            pointer = int.from_bytes(data[header + 8 + 2 * i:header + 10 + 2 * i], "big")
            if not 0 < pointer < page_size:
                continue
            at = start + pointer
            length, used = _varint(data, at)
            rowid, used2 = _varint(data, at + used)
            if rowid >= 1 << 63:
                rowid -= 1 << 64
            body = at + used + used2
            if length > usable - 35 or body + length > start + page_size:
                continue  # spills into overflow pages (or garbage): not read here
            try:
                yield rowid, decode_record(data[body:body + length])
            except (ValueError, UnicodeDecodeError, IndexError):
                continue
    except IndexError:
        return
