"""Face regions in an XMP packet: MWG (`mwg-rs:Regions`), Microsoft People (`MP:RegionInfo`),
IPTC `PersonInImage`, and the `tiff:Orientation` a sidecar may carry.

Safety. A packet is untrusted text: a DOCTYPE or an ENTITY declaration is refused before the
parser sees it (no entity expansion, no billion laughs, no external entities), and a packet
over MAX_PACKET_BYTES is refused unread. Anything odd is a `TagProblem` for this file only.

RDF comes in several spellings of the same thing (a property as an attribute, as an element
with text, a struct as `rdf:parseType="Resource"` or as a nested `rdf:Description`, namespaces
declared per element as Windows Photo Gallery does), so properties are read by local name
within a namespace family, whatever the spelling.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .records import Region, TagProblem

MAX_PACKET_BYTES = 4 * 1024 * 1024   # standard + extended XMP of a photo is far below this

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class XmpTags:
    mwg: list[Region]                 # areas normalised in the STORED frame
    mp: list[Region]                  # rectangles normalised in the writer's DISPLAYED frame
    names: list[str]                  # IPTC PersonInImage
    orientation: int | None           # tiff:Orientation, when the packet has one
    frame: str | None = None          # Faceshelf's own export says "stored" or "oriented"


def _ns_local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _is_mwg(ns: str) -> bool:
    return "metadataworkinggroup.com/schemas/regions" in ns


def _is_mp(ns: str) -> bool:
    return "microsoft.com/photo" in ns.lower()


def parse_packet(data: bytes | str, origin: str) -> XmpTags:
    """Regions and names of one packet; TagProblem when it cannot be read safely."""
    if len(data) > MAX_PACKET_BYTES:
        raise TagProblem(f"{origin}: XMP packet too large ({len(data):,} bytes, limit "
                         f"{MAX_PACKET_BYTES:,}); ignored")
    if isinstance(data, bytes):
        text = _decode_text(data, origin)
    else:
        text = data
    if _FORBIDDEN.search(text):
        raise TagProblem(f"{origin}: XMP with a DOCTYPE or ENTITY declaration refused "
                         "(entity expansion is never done)")
    start = text.find("<x:xmpmeta")
    if start < 0:
        start = text.find("<rdf:RDF")
    if start > 0:
        text = text[start:]
    end_marker = "</x:xmpmeta>" if text.startswith("<x:xmpmeta") else "</rdf:RDF>"
    end = text.rfind(end_marker)
    if end >= 0:
        text = text[:end + len(end_marker)]
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise TagProblem(f"{origin}: malformed XMP ({error}); its face tags were not read") \
            from None
    return XmpTags(mwg=_mwg_regions(root, origin), mp=_mp_regions(root, origin),
                   names=_person_in_image(root), orientation=_orientation(root),
                   frame=_faceshelf_frame(root))


def _decode_text(data: bytes, origin: str) -> str:
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        codec = "utf-16"
    else:
        codec = "utf-8"
    try:
        return data.decode(codec).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise TagProblem(f"{origin}: XMP is not valid {codec.upper()}; its face tags were "
                         "not read") from None


# -- generic RDF reading ----------------------------------------------------------------------

def _props(node: ET.Element) -> dict[str, object]:
    """The properties of a struct node by local name: attribute values and child elements.
    A child rdf:Description (or several) contributes its own properties too."""
    out: dict[str, object] = {}
    for key, value in node.attrib.items():
        ns, local = _ns_local(key)
        if ns != RDF:
            out.setdefault(local, value)
            out.setdefault(f"{{{ns}}}{local}", value)
    for child in node:
        ns, local = _ns_local(child.tag)
        if ns == RDF and local == "Description":
            for k, v in _props(child).items():
                out.setdefault(k, v)
            continue
        out.setdefault(local, child)
        out.setdefault(f"{{{ns}}}{local}", child)
    return out


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    # An element: its text, or (a language alternative / bag) its first item's text.
    if value.text and value.text.strip():
        return value.text
    for item in value.iter(f"{{{RDF}}}li"):
        if item.text and item.text.strip():
            return item.text
    resource = value.get(f"{{{RDF}}}resource")
    return resource


def _struct(value) -> dict[str, object] | None:
    if value is None or isinstance(value, str):
        return None
    return _props(value)


def _items(value) -> list[ET.Element]:
    """The rdf:li of a Bag/Seq/Alt property element."""
    if value is None or isinstance(value, str):
        return []
    return [li for container in value for li in container if _ns_local(li.tag) == (RDF, "li")]


def _number(value) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


# -- MWG ---------------------------------------------------------------------------------------

def _mwg_regions(root: ET.Element, origin: str) -> list[Region]:
    regions: list[Region] = []
    for element in root.iter():
        ns, local = _ns_local(element.tag)
        if local != "Regions" or not _is_mwg(ns):
            continue
        info = _props(element)
        applied = _struct(info.get("AppliedToDimensions")) or {}
        dims = (_number(applied.get("w")), _number(applied.get("h")))
        for li in _items(info.get("RegionList")):
            region = _props(li)
            kind = (_text(region.get("Type")) or "").strip()
            name = _text(region.get("Name"))
            if kind.lower() in ("focus", "barcode"):
                continue   # camera focus points, codes: not someone. Faces and pets are.
            if name is None or not name.strip():
                continue
            area = _struct(region.get("Area")) or {}
            values = [_number(area.get(k)) for k in ("x", "y", "w", "h")]
            unit = (_text(area.get("unit")) or "normalized").strip().lower()
            if None in values:
                regions.append(Region(name=name, box=None, source="mwg",
                                      problem=f"{origin}: MWG region {name!r} has no readable "
                                              "area"))
                continue
            cx, cy, w, h = values
            if unit == "pixel":
                if not dims[0] or not dims[1]:
                    regions.append(Region(name=name, box=None, source="mwg",
                                          problem=f"{origin}: MWG region {name!r} is in pixels "
                                                  "without AppliedToDimensions"))
                    continue
                cx, w = cx / dims[0], w / dims[0]
                cy, h = cy / dims[1], h / dims[1]
            regions.append(Region(name=name, source="mwg",
                                  box=(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))
    return regions


# -- Microsoft People ----------------------------------------------------------------------

def _mp_regions(root: ET.Element, origin: str) -> list[Region]:
    regions: list[Region] = []
    for element in root.iter():
        ns, local = _ns_local(element.tag)
        if local != "RegionInfo" or not _is_mp(ns):
            continue
        info = _props(element)
        for li in _items(info.get("Regions")):
            region = _props(li)
            name = _text(region.get("PersonDisplayName"))
            rect = _text(region.get("Rectangle"))
            if name is None or not name.strip():
                continue
            try:
                x, y, w, h = (float(part) for part in (rect or "").split(","))
            except ValueError:
                regions.append(Region(name=name, box=None, source="mp",
                                      problem=f"{origin}: Microsoft region {name!r} has no "
                                              f"readable rectangle ({rect!r})"))
                continue
            regions.append(Region(name=name, source="mp", box=(x, y, x + w, y + h)))
    return regions


# -- IPTC names and orientation ------------------------------------------------------------

def _person_in_image(root: ET.Element) -> list[str]:
    names: list[str] = []
    for element in root.iter():
        ns, local = _ns_local(element.tag)
        if local == "PersonInImage" and "iptc.org" in ns:
            items = _items(element)
            names += [li.text for li in items if li.text and li.text.strip()]
    for element in root.iter(f"{{{RDF}}}Description"):
        for key, value in element.attrib.items():   # a single name written as an attribute
            ns, local = _ns_local(key)
            if local == "PersonInImage" and "iptc.org" in ns and value.strip():
                names.append(value)
    return names


def _orientation(root: ET.Element) -> int | None:
    for element in root.iter(f"{{{RDF}}}Description"):
        props = _props(element)
        for key in ("{http://ns.adobe.com/tiff/1.0/}Orientation",):
            value = _number(props.get(key))
            if value is not None and 1 <= value <= 8 and value == int(value):
                return int(value)
    return None


def _faceshelf_frame(root: ET.Element) -> str | None:
    for element in root.iter(f"{{{RDF}}}Description"):
        for key, value in element.attrib.items():
            ns, local = _ns_local(key)
            if local == "RegionFrame" and "faceshelf" in ns and value in ("stored", "oriented"):
                return value
    return None
