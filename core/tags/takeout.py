"""Google Takeout's JSON beside a photo (`photo.jpg.json`, `photo.json`,
`photo.jpg.supplemental-metadata.json`): `people: [{"name": ...}]`, names without boxes."""

from __future__ import annotations

import json
from pathlib import Path

from .records import TagProblem

MAX_JSON_BYTES = 1024 * 1024


def _candidates(photo: Path) -> list[Path]:
    return [photo.with_name(photo.name + ".json"), photo.with_suffix(".json"),
            photo.with_name(photo.name + ".supplemental-metadata.json")]


def takeout_names(photo: Path) -> list[str]:
    for candidate in _candidates(photo):
        try:
            size = candidate.stat().st_size
        except OSError:
            continue
        if size > MAX_JSON_BYTES:
            raise TagProblem(f"{candidate.name}: larger than {MAX_JSON_BYTES:,} bytes; ignored")
        try:
            value = json.loads(candidate.read_bytes())
        except (OSError, ValueError) as error:
            raise TagProblem(f"{candidate.name}: not readable JSON ({error})") from None
        if not isinstance(value, dict):
            return []
        people = value.get("people")
        if not isinstance(people, list):
            return []
        return [p["name"] for p in people
                if isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"].strip()]
    return []
