"""What the tag readers return."""

from __future__ import annotations

from dataclasses import dataclass, field

# Where a tag came from, as counted in reports.
SOURCES = ("mwg", "mp", "picasa", "takeout", "iptc")


class TagProblem(Exception):
    """A file's tags could not be read (or not all of them); the message says which and why."""


@dataclass
class Region:
    name: str
    box: tuple[float, float, float, float] | None   # x1, y1, x2, y2 normalised (frame: see reader)
    source: str                                      # one of SOURCES
    problem: str | None = None                       # why this region cannot be used


@dataclass
class PhotoTags:
    """One photo's tags, regions in Faceshelf's displayed frame (normalised 0..1)."""
    regions: list[Region] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)   # (name, source), no box
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.regions or self.names or self.problems)
