"""All the face tags of one photo, in Faceshelf's displayed frame. Never writes anything.

Frames, as the writers do it (checked on the files in shared/data/regions, see MANIFEST.tsv):
- MWG areas are normalised in the STORED frame (MWG guidelines 2.0, section 5.9), whatever
  `AppliedToDimensions` says: Lightroom writes the displayed size there while its areas are
  stored-frame (Portrait_5/6/8), exiftool's rotations keep them stored-frame (photo.8), and the
  value is stale after a resize (issue-exifr-59). So AppliedToDimensions is only used to turn
  pixel units into fractions; a missing area unit (Lightroom) means normalised.
- Microsoft rectangles (top-left x, y, w, h) are normalised in the DISPLAYED frame of the
  program that wrote them: on portrait-orientation-6 and photo.3 the MP rectangles stayed as
  the upright picture shows them while the MWG areas were turned into the stored frame.
- Picasa rect64: taken as the displayed frame (Picasa found faces on the picture as it showed
  it). NOT checked on a real rotated photo: the data set has Picasa inis but not their photos.
- The writer's orientation is the photo's EXIF orientation, or a sidecar's `tiff:Orientation`
  when the photo has none (raw files, or a program that rotates only in metadata).
Every region is brought to the stored frame first, then turned by the orientation Faceshelf
applied when it decoded the photo, so its boxes and the regions share one frame.

When one photo has several sources: a sidecar's regions win over the embedded ones for the
same name (it is what the program wrote last), MWG wins over Microsoft when they disagree
(the MP copy is the one exiftool leaves unrotated), and a Microsoft region is kept only for
a name MWG does not have. IPTC PersonInImage and Takeout names without a region of the same
name are names without a box.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..text import clean_text
from .containers import embedded_xmp
from .records import PhotoTags, Region, TagProblem
from .picasa import picasa_regions
from .takeout import takeout_names
from .xmp import MAX_PACKET_BYTES, XmpTags, parse_packet

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 200
# Areas a little past the edge are kept (clamped): writers round, and a face cut by the edge
# is drawn past it by some. Past this much, the region is wrong, not rounded.
EDGE_SLACK = 0.05


# -- frames -----------------------------------------------------------------------------------

def displayed_to_stored(u: float, v: float, orientation: int | None) -> tuple[float, float]:
    from ..export.xmp import oriented_to_stored

    return oriented_to_stored(u, v, orientation)


def stored_to_displayed(u: float, v: float, orientation: int | None) -> tuple[float, float]:
    from ..export.xmp import stored_to_oriented

    return stored_to_oriented(u, v, orientation)


def _turn(box, convert, orientation):
    a = convert(box[0], box[1], orientation)
    b = convert(box[2], box[3], orientation)
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))


# -- names ------------------------------------------------------------------------------------

def _without_control_characters(name: str) -> str:
    """The project's one rule for names (core.text.clean_text): white space runs made one
    space; control characters, noncharacters and lone surrogates dropped."""
    return clean_text(name)


def clean_imported_name(name: str) -> tuple[str, str | None]:
    """(name as stored, problem or None). A name from a file is shown in lists, in a
    terminal and in file names: what is not text is removed, and said."""
    kept = _without_control_characters(name)
    problem = None
    if kept != " ".join(name.split()):
        problem = f"name {name!r} had control characters; imported as {kept!r}"
    if len(kept) > MAX_NAME_LENGTH:
        return "", f"name of {len(kept)} characters is longer than {MAX_NAME_LENGTH}; skipped"
    if kept.isdigit():
        return "", f"name {kept!r} is only digits (it would read as a person id); skipped"
    return kept, problem


def name_key(name: str) -> str:
    """Names differing only in case or spacing are one person."""
    return " ".join(name.split()).casefold()


# -- reading ----------------------------------------------------------------------------------

def sidecars(photo: Path) -> list[Path]:
    """`photo.xmp` and `photo.jpg.xmp` (any case of the .xmp), those that exist."""
    found = []
    for base in (photo.with_suffix(""), photo):
        for ext in (".xmp", ".XMP"):
            candidate = base.with_name(base.name + ext)
            if candidate.is_file() and candidate not in found:
                found.append(candidate)
                break
    return found


def _xmp_of_sidecar(path: Path) -> XmpTags:
    size = path.stat().st_size
    if size > MAX_PACKET_BYTES:
        raise TagProblem(f"{path.name}: sidecar too large ({size:,} bytes, limit "
                         f"{MAX_PACKET_BYTES:,}); ignored")
    return parse_packet(path.read_bytes(), path.name)


def _merge_xmp(parts: list[XmpTags]) -> tuple[XmpTags, list[Region]]:
    """(merged, MWG regions written in the displayed frame by Faceshelf's `oriented` export)."""
    merged = XmpTags(mwg=[], mp=[], names=[], orientation=None)
    displayed: list[Region] = []
    for part in parts:
        if part.frame == "oriented":
            displayed += part.mwg
        else:
            merged.mwg += part.mwg
        merged.mp += part.mp
        merged.names += part.names
        if merged.orientation is None:
            merged.orientation = part.orientation
    return merged, displayed


def read_photo_tags(photo: Path | str, orientation: int | None,
                    data: bytes | None = None) -> PhotoTags:
    """The tags of `photo`, regions normalised in the frame Faceshelf shows it in.

    `orientation`: the EXIF orientation Faceshelf applied when decoding (None or 1: none).
    `data`: the photo's bytes when already read (indexing): the photo is not opened again.
    Never raises for bad input: each problem is a sentence in `.problems`.
    """
    photo = Path(photo)
    tags = PhotoTags()
    sidecar_xmp: list[XmpTags] = []
    embedded: list[XmpTags] = []
    for sidecar in sidecars(photo):
        try:
            sidecar_xmp.append(_xmp_of_sidecar(sidecar))
        except TagProblem as problem:
            tags.problems.append(str(problem))
        except OSError as error:
            tags.problems.append(f"{sidecar.name}: cannot read: {error.strerror or error}")
    try:
        for packet in embedded_xmp(photo, data):
            embedded.append(parse_packet(packet, f"{photo.name} (embedded XMP)"))
    except TagProblem as problem:
        tags.problems.append(str(problem))
    except Exception as error:   # a truncated or odd container: this file's tags only
        tags.problems.append(f"{photo.name}: embedded XMP unreadable ({type(error).__name__})")
    (side, side_shown), (inside, inside_shown) = _merge_xmp(sidecar_xmp), _merge_xmp(embedded)
    writer_orientation = orientation if orientation not in (None, 1) else (
        side.orientation or inside.orientation or orientation)

    def to_display(region: Region, frame: str) -> Region:
        if region.box is None:
            return region
        box = region.box
        if frame == "displayed":   # the writer's displayed frame -> stored
            box = _turn(box, displayed_to_stored, writer_orientation)
        box = _turn(box, stored_to_displayed, orientation)
        return Region(region.name, box, region.source, region.problem)

    regions: list[Region] = []
    seen: set[str] = set()

    def add(candidates: list[Region], frame: str, *, only_new: bool = True) -> None:
        batch = []
        for region in candidates:
            key = name_key(region.name)
            if only_new and key in seen and region.box is not None:
                continue
            batch.append(to_display(region, frame))
        seen.update(name_key(r.name) for r in batch if r.box is not None)
        regions.extend(batch)

    add(side.mwg, "stored")
    add(side_shown, "displayed")
    add(inside.mwg, "stored")
    add(inside_shown, "displayed")
    add(side.mp, "displayed")
    add(inside.mp, "displayed")
    try:
        add(picasa_regions(photo), "displayed")
    except TagProblem as problem:
        tags.problems.append(str(problem))
    for region in regions:
        checked = _checked(region, photo.name)
        if checked.problem:
            tags.problems.append(checked.problem)
        if checked.box is not None and checked.name:
            tags.regions.append(checked)
    names: list[tuple[str, str]] = [(n, "iptc") for n in side.names + inside.names]
    try:
        names += [(n, "takeout") for n in takeout_names(photo)]
    except TagProblem as problem:
        tags.problems.append(str(problem))
    boxed = {name_key(r.name) for r in tags.regions}
    for raw, source in names:
        name, problem = clean_imported_name(raw)
        if problem:
            tags.problems.append(f"{photo.name} ({source}): {problem}")
        key = name_key(name)
        if name and key not in boxed:
            boxed.add(key)
            tags.names.append((name, source))
    return tags


def _checked(region: Region, photo_name: str) -> Region:
    """The region with a clean name and a box inside the picture, or with the problem."""
    if region.problem:
        return region
    name, problem = clean_imported_name(region.name)
    where = f"{photo_name} ({region.source})"
    problems = [f"{where}: {problem}"] if problem else []
    box = region.box
    x1, y1, x2, y2 = box
    if not name:
        return Region("", None, region.source, "; ".join(problems))
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        return Region(name, None, region.source,
                      f"{where}: region of {name!r} has zero or negative size; skipped")
    if (x1 < -EDGE_SLACK or y1 < -EDGE_SLACK or x2 > 1 + EDGE_SLACK or y2 > 1 + EDGE_SLACK):
        return Region(name, None, region.source,
                      f"{where}: region of {name!r} lies outside the picture "
                      f"({x1:.2f}, {y1:.2f})-({x2:.2f}, {y2:.2f}); skipped")
    box = (max(0.0, x1), max(0.0, y1), min(1.0, x2), min(1.0, y2))
    return Region(name, box, region.source, "; ".join(problems) or None)
