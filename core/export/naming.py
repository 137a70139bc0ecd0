"""File names of exported photos: the template, its fields, and names safe on every OS.

Template fields (a template may contain `/` to make sub-folders):
    {date}      taken date, 2019-07-14 ("undated" when the catalog has none)
    {year} {month} {day}      2019, 07, 14 ("undated", "00", "00")
    {time}      taken time, 130522 (HHMMSS)
    {people}    named people in the photo, sorted, joined by "+" ("unknown" when none)
    {person}    the person of the sub-folder with `by="person"`, else the first of {people}
    {name}      the original file name without its extension
    {ext}       the original extension without the dot, as it was (JPG stays JPG)
    {folder}    the name of the original's folder
    {photo_id}  the catalog id of the photo
A template without {ext} gets ".{ext}" appended, so exported files keep their type.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from pathlib import PurePosixPath

from ..text import replace_not_text
from .errors import ExportError

FIELDS = ("date", "year", "month", "day", "time", "people", "person", "name", "ext", "folder",
          "photo_id")
UNKNOWN_PERSON = "unknown"

# Room left in a 255-byte file name for a "_123" collision suffix and an ".xmp" sidecar suffix.
MAX_COMPONENT_BYTES = 200
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


def check_template(template: str) -> None:
    if not template or not template.strip():
        raise ExportError("the file-name template is empty")
    if template.startswith("/") or template.startswith("\\"):
        raise ExportError(f"the template must be a relative name, not {template!r}")
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template)
                  if f is not None]
    except ValueError as error:
        raise ExportError(f"bad template {template!r}: {error}") from None
    names = [f for f, _, _ in parsed]
    # Every field is text already cleaned for a file name: a format spec ({photo_id:05d})
    # or a conversion ({name!r}) would fail or put quotes into the names.
    decorated = [f for f, spec, conv in parsed if spec or conv]
    if decorated:
        raise ExportError(f"template fields take no format or conversion: write "
                          f"{', '.join('{' + f + '}' for f in decorated)} as they are")
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise ExportError(f"unknown template field(s) {', '.join('{' + n + '}' for n in unknown)}"
                          f"; known: {', '.join('{' + f + '}' for f in FIELDS)}")
    if any(part == ".." for part in re.split(r"[/\\]", template)):
        raise ExportError(f"the template must stay inside the destination: {template!r}")


def _taken(taken_at: str | None) -> dt.datetime | None:
    if not taken_at:
        return None
    try:
        return dt.datetime.fromisoformat(taken_at)
    except ValueError:
        return None


def template_values(item, slot: str = "") -> dict[str, str]:
    """The value of every field for one photo (`item` is a selection.ExportItem)."""
    path = PurePosixPath(item.path)
    when = _taken(item.taken_at)
    people = "+".join(item.people) if item.people else UNKNOWN_PERSON
    return {
        "date": when.strftime("%Y-%m-%d") if when else "undated",
        "year": when.strftime("%Y") if when else "undated",
        "month": when.strftime("%m") if when else "00",
        "day": when.strftime("%d") if when else "00",
        "time": when.strftime("%H%M%S") if when else "000000",
        "people": people,
        "person": slot or (item.people[0] if item.people else UNKNOWN_PERSON),
        "name": path.stem,
        "ext": path.suffix[1:],
        "folder": path.parent.name,
        "photo_id": str(item.photo_id),
    }


def render(template: str, item, slot: str = "", by: str | None = None) -> str:
    """The relative destination path (posix separators) for one photo, every part sanitised."""
    values = template_values(item, slot)
    if "{ext}" not in template and values["ext"]:
        template += ".{ext}"
    # Values may contain "/" (a name like "AC/DC"): sanitise each value before it meets the
    # template's own separators, so only the template decides the folder structure.
    safe = {k: v.replace("/", "_").replace("\\", "_") for k, v in values.items()}
    rendered = template.format(**safe).replace("\\", "/")
    parts = [p for p in rendered.split("/") if p not in ("", ".")]
    if by == "year":
        parts.insert(0, values["year"])
    elif by == "person":
        parts.insert(0, slot or UNKNOWN_PERSON)
    return "/".join(sanitize_component(p) for p in parts)


def sanitize_component(name: str) -> str:
    """One path component that Windows, macOS and Linux all accept and show the same way."""
    name = unicodedata.normalize("NFC", name)   # macOS stores decomposed; compare composed
    name = replace_not_text(_FORBIDDEN.sub("_", name), "_").strip()  # C1, noncharacters too
    name = name.rstrip(". ")                     # Windows drops trailing dots and spaces
    if name.startswith("."):                     # no hidden files, no clash with our temp names
        name = "_" + name[1:]
    if not name or name == "..":
        name = "_"
    stem = name.split(".", 1)[0].lower()
    if stem in _WINDOWS_RESERVED:
        name = "_" + name
    return _truncate(name)


def _truncate(name: str, limit: int = MAX_COMPONENT_BYTES) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = name, ""
    room = limit - (len(ext.encode("utf-8")) + 1 if ext else 0)
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(". ")
    return f"{cut}.{ext}" if ext else cut


def name_key(name: str) -> str:
    """How file systems that ignore case and normalisation (macOS, Windows) compare names."""
    return unicodedata.normalize("NFC", name).casefold()


def numbered(name: str, n: int) -> str:
    """`IMG_1.jpg`, n=2 -> `IMG_1_2.jpg` (the first candidate, n=1, is the name itself)."""
    if n == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name}_{n}"
    return f"{stem}_{n}.{ext}"
