"""What an export does besides choosing photos: mode, file names, sub-folders, sidecars.

Saved with an album (`albums.options` JSON) so that a re-export writes the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from .errors import ExportError
from .naming import check_template

MODES = ("copy", "hardlink", "symlink")
BY = (None, "year", "person")
MANIFESTS = (None, "json", "csv")
# Which pixel frame XMP face regions are normalised to; see core/export/xmp.py.
XMP_FRAMES = ("stored", "oriented")

DEFAULT_TEMPLATE = "{date}_{name}.{ext}"


@dataclass
class ExportOptions:
    mode: str = "copy"                  # copy | hardlink | symlink
    template: str = DEFAULT_TEMPLATE    # see core/export/naming.py for the fields
    by: str | None = None               # None | "year" | "person": one sub-folder level
    xmp: bool = False                   # write <exported file>.xmp with names + face regions
    xmp_frame: str = "stored"           # stored | oriented (see xmp.py)
    manifest: str | None = None         # None | "json" | "csv"

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ExportError(f"unknown mode {self.mode!r} (one of {', '.join(MODES)})")
        if self.by not in BY:
            raise ExportError(f"unknown sub-folder choice {self.by!r} (year or person)")
        if self.manifest not in MANIFESTS:
            raise ExportError(f"unknown manifest format {self.manifest!r} (json or csv)")
        if self.xmp_frame not in XMP_FRAMES:
            raise ExportError(f"unknown XMP frame {self.xmp_frame!r} (stored or oriented)")
        check_template(self.template)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "ExportOptions":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
