"""XMP sidecars: people's names and face regions in the Metadata Working Group format.

Shape (the serialisation Exiv2, and so digiKam, writes): `mwg-rs:Regions` with
`mwg-rs:AppliedToDimensions` (stDim w/h in pixels) and a `mwg-rs:RegionList` bag; each region
has `mwg-rs:Name`, `mwg-rs:Type` "Face" and an `mwg-rs:Area` (stArea x/y = the CENTRE, w/h,
unit "normalized", all 0..1). The same faces also go out as Microsoft's `MP:RegionInfo`
(top-left x, y, w, h; read by digiKam and Windows), and the names as `dc:subject` keywords and
Lightroom's `lr:hierarchicalSubject` ("People|Anna").

Frame. `stored` (default): normalised to the pixels as stored in the file, AppliedToDimensions
the stored size. The MWG 2.0 guidelines ask for this ("region metadata is applied to the stored
image"; a reader applying the Orientation rotates the regions with it), and digiKam reads them so:
its scanner maps a region to its stored-size rectangle, then `TagRegion::adjustToOrientation`
rotates it by the EXIF orientation. `oriented`: normalised to the image as displayed (after the
orientation), AppliedToDimensions the displayed size — right only for readers that ignore the
orientation for regions (older Immich). Both are the same for orientation 1 (most photos).
`faceshelf:RegionFrame` says which one was written, so Faceshelf's own import (core.tags)
reads either back right.
"""

from __future__ import annotations

from ..text import replace_not_text
from .selection import ExportItem


# xml.sax.saxutils does the same, but importing it pulls in urllib.request and http.client
# (35 ms, on the GUI thread the first time the export dialog opens).
def escape(text: str) -> str:
    """Element text. What XML 1.0 cannot hold (control characters, U+FFFE/U+FFFF, lone
    surrogates: a name stored by an older version may have them) is dropped first."""
    text = replace_not_text(text, "")  # tabs and line breaks too: names never hold them
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """An attribute value in double quotes (what is not text dropped by `escape`)."""
    return '"' + escape(text).replace('"', "&quot;") + '"'

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
    "stDim": "http://ns.adobe.com/xap/1.0/sType/Dimensions#",
    "stArea": "http://ns.adobe.com/xmp/sType/Area#",
    "MP": "http://ns.microsoft.com/photo/1.2/",
    "MPRI": "http://ns.microsoft.com/photo/1.2/t/RegionInfo#",
    "MPReg": "http://ns.microsoft.com/photo/1.2/t/Region#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "faceshelf": "http://ns.faceshelf.invalid/xmp/1.0/",
}


def oriented_to_stored(u: float, v: float, orientation: int | None) -> tuple[float, float]:
    """A normalised point of the displayed image -> the same point in the stored pixels."""
    o = orientation or 1
    if o == 2:
        return 1 - u, v
    if o == 3:
        return 1 - u, 1 - v
    if o == 4:
        return u, 1 - v
    if o == 5:
        return v, u
    if o == 6:          # stored (u, v) displays at (1 - v, u)
        return v, 1 - u
    if o == 7:
        return 1 - v, 1 - u
    if o == 8:          # stored (u, v) displays at (v, 1 - u)
        return 1 - v, u
    return u, v


# Orientations 6 and 8 undo each other; every other orientation is its own inverse.
_INVERSE_ORIENTATION = {6: 8, 8: 6}


def stored_to_oriented(u: float, v: float, orientation: int | None) -> tuple[float, float]:
    """A normalised point of the stored pixels -> the same point on the displayed image."""
    o = orientation or 1
    return oriented_to_stored(u, v, _INVERSE_ORIENTATION.get(o, o))


def normalised_regions(item: ExportItem, frame: str = "stored"
                       ) -> tuple[tuple[int, int], list[tuple[str, float, float, float, float]]]:
    """((w, h) applied-to dimensions, [(name, cx, cy, w, h) normalised]) for `frame`."""
    W, H = item.width or 0, item.height or 0
    regions = []
    if W <= 0 or H <= 0:
        return (W, H), regions
    for face in item.faces:
        x1, y1, x2, y2 = face.box
        u1, v1 = max(0.0, min(1.0, x1 / W)), max(0.0, min(1.0, y1 / H))
        u2, v2 = max(0.0, min(1.0, x2 / W)), max(0.0, min(1.0, y2 / H))
        if frame == "stored":
            a = oriented_to_stored(u1, v1, item.orientation)
            b = oriented_to_stored(u2, v2, item.orientation)
            u1, u2 = sorted((a[0], b[0]))
            v1, v2 = sorted((a[1], b[1]))
        regions.append((face.name, (u1 + u2) / 2, (v1 + v2) / 2, u2 - u1, v2 - v1))
    if frame == "stored" and (item.orientation or 1) >= 5:
        W, H = H, W
    return (W, H), regions


def _num(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".") or "0"


def sidecar_xml(item: ExportItem, frame: str = "stored") -> str:
    (W, H), regions = normalised_regions(item, frame)
    xmlns = "\n".join(f'    xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("x", "rdf"))
    out = ['<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
           '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Faceshelf">',
           f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">',
           f'  <rdf:Description rdf:about=""\n{xmlns}\n    faceshelf:RegionFrame="{frame}">']
    if regions:
        out += ['   <mwg-rs:Regions rdf:parseType="Resource">',
                f'    <mwg-rs:AppliedToDimensions stDim:w="{W}" stDim:h="{H}" '
                'stDim:unit="pixel"/>',
                "    <mwg-rs:RegionList>", "     <rdf:Bag>"]
        for name, cx, cy, w, h in regions:
            out += ["      <rdf:li>",
                    f"       <rdf:Description mwg-rs:Name={quoteattr(name)} mwg-rs:Type=\"Face\">",
                    f'        <mwg-rs:Area stArea:x="{_num(cx)}" stArea:y="{_num(cy)}" '
                    f'stArea:w="{_num(w)}" stArea:h="{_num(h)}" stArea:unit="normalized"/>',
                    "       </rdf:Description>", "      </rdf:li>"]
        out += ["     </rdf:Bag>", "    </mwg-rs:RegionList>", "   </mwg-rs:Regions>",
                '   <MP:RegionInfo rdf:parseType="Resource">', "    <MPRI:Regions>",
                "     <rdf:Bag>"]
        for name, cx, cy, w, h in regions:
            rect = ", ".join(_num(v) for v in (cx - w / 2, cy - h / 2, w, h))
            out.append(f'      <rdf:li MPReg:Rectangle="{rect}" '
                       f"MPReg:PersonDisplayName={quoteattr(name)}/>")
        out += ["     </rdf:Bag>", "    </MPRI:Regions>", "   </MP:RegionInfo>"]
    if item.people:
        out += ["   <dc:subject>", "    <rdf:Bag>"]
        out += [f"     <rdf:li>{escape(n)}</rdf:li>" for n in item.people]
        out += ["    </rdf:Bag>", "   </dc:subject>", "   <lr:hierarchicalSubject>",
                "    <rdf:Bag>"]
        out += [f"     <rdf:li>People|{escape(n.replace('|', '_'))}</rdf:li>"
                for n in item.people]
        out += ["    </rdf:Bag>", "   </lr:hierarchicalSubject>"]
    out += ["  </rdf:Description>", " </rdf:RDF>", "</x:xmpmeta>", '<?xpacket end="w"?>', ""]
    return "\n".join(out)
