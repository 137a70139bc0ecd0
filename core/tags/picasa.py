"""Picasa's `.picasa.ini`: `[photo.jpg]` sections with `faces=rect64(HEX),CONTACT;...` and the
contact names from `[Contacts2]` (Picasa 3.9: `id=Name;email;...`) or from Picasa's own
`contacts.xml` (`<contact id=... name=...>`) when the user put it beside the ini or in a folder
above it. Picasa 3.8's `[Contacts]` says `id=<account>_lh,<web contact id>`: no name, so a face
known only there is listed as a problem, not given the account's name.

rect64 is 64 bits: four 16-bit fractions of 65535 (left, top, right, bottom); Picasa drops
leading zeros, so the hex is padded to 16 digits. They are taken as fractions of the picture
as Picasa showed it (the displayed frame); unchecked on a rotated photo (see read.py).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from .records import Region, TagProblem

MAX_INI_BYTES = 4 * 1024 * 1024
_RECT = re.compile(r"rect64\(\s*([0-9a-fA-F]{1,16})\s*\)\s*,\s*([0-9a-fA-F]*)")


def rect64(hex_text: str) -> tuple[float, float, float, float]:
    value = int(hex_text.rjust(16, "0"), 16)
    parts = [(value >> shift) & 0xFFFF for shift in (48, 32, 16, 0)]
    return tuple(p / 65535.0 for p in parts)  # type: ignore[return-value]


@lru_cache(maxsize=64)
def _read_ini(path: str, mtime_ns: int) -> tuple[dict, dict, str | None]:
    """({photo name (lower): [(rect hex, contact id)]}, {contact id: name}, problem)."""
    raw = Path(path).read_bytes()[:MAX_INI_BYTES + 1]
    if len(raw) > MAX_INI_BYTES:
        return {}, {}, f"{Path(path).name}: larger than {MAX_INI_BYTES:,} bytes; ignored"
    text = raw.decode("utf-8", errors="replace")
    faces: dict[str, list[tuple[str, str]]] = {}
    contacts: dict[str, str] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section is None or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if section.lower() == "contacts":
            continue
        if section.lower() == "contacts2":
            name = value.split(";", 1)[0].strip()
            if name:
                contacts[key.strip().lower().lstrip("0")] = name
        elif key.strip().lower() == "faces":
            faces.setdefault(section.lower(), []).extend(
                (m.group(1), m.group(2).lower().lstrip("0")) for m in _RECT.finditer(value))
    for folder in list(Path(path).parents)[:6]:
        found = _contacts_xml(folder / "contacts.xml")
        for key, value in found.items():
            contacts.setdefault(key, value)
    return faces, contacts, None


def _contacts_xml(path: Path) -> dict[str, str]:
    try:
        raw = path.read_bytes()[:MAX_INI_BYTES]
    except OSError:
        return {}
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        return {}
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        return {}
    return {c.get("id", "").lower().lstrip("0"): c.get("name", "")
            for c in root.iter("contact") if c.get("id") and c.get("name")}


def picasa_regions(photo: Path) -> list[Region]:
    ini = photo.parent / ".picasa.ini"
    try:
        stat = ini.stat()
    except OSError:
        ini = photo.parent / "Picasa.ini"      # Picasa 2 spelling
        try:
            stat = ini.stat()
        except OSError:
            return []
    try:
        faces, contacts, problem = _read_ini(str(ini), stat.st_mtime_ns)
    except OSError as error:
        raise TagProblem(f"{ini.name}: cannot read: {error}") from None
    if problem:
        raise TagProblem(problem)
    regions = []
    for hex_text, contact in faces.get(photo.name.lower(), []):
        name = contacts.get(contact)
        if contact == "ffffffffffffffff":
            continue   # Picasa's "unnamed face"
        if not name:
            regions.append(Region(name="", box=None, source="picasa",
                                  problem=f"{ini.name}: a face of {photo.name} is tagged with "
                                          f"contact {contact or '?'} that has no name there"))
            continue
        regions.append(Region(name=name, box=rect64(hex_text), source="picasa"))
    return regions
