"""Every rebuildable cache of a catalog, checked block by block: what `faceshelf check` runs.

Read-only: a damaged cache is reported, not touched; the next load that looks at it discards
and rebuilds it (core/search/search_index.py, core/people/evidence.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .cache_seal import CacheDamaged, verify_folder

INDEX_DIR = "index"   # Catalog.index_dir, for a folder given without opening its catalog


@dataclass(frozen=True)
class CacheReport:
    kind: str                 # "search index" or "people evidence"
    path: Path
    problem: str | None       # None: every block matches its checksum

    @property
    def ok(self) -> bool:
        return self.problem is None


def _search_generations(index_dir: Path) -> list[tuple[Path, dict | None]]:
    from .search.stored_index import built_from, read_stamp

    found = []
    for pointer in sorted(index_dir.glob("search-*.json")):
        try:
            model_id = json.loads(pointer.read_text("utf-8"))["model_id"]
        except (OSError, ValueError, KeyError, TypeError):
            found.append((pointer, None))  # an unreadable pointer: reported as such
            continue
        stamp = read_stamp(index_dir, model_id)
        if stamp is not None:  # an older version's pointer is ignored (and rebuilt) anyway
            found.append((index_dir / stamp.generation, built_from(stamp)))
    return found


def verify_caches(catalog) -> list[CacheReport]:
    """One report per cache in use: the current search index generation of each model and
    each people-evidence folder; every block of every file is read and compared. `catalog` is
    a Catalog or a catalog folder (nothing is opened for writing)."""
    index_dir = Path(catalog.index_dir) if hasattr(catalog, "index_dir") else \
        Path(catalog) / INDEX_DIR
    reports = []
    if not index_dir.is_dir():
        return reports
    for folder, expected in _search_generations(index_dir):
        if expected is None:
            reports.append(CacheReport("search index", folder, "the pointer file is unreadable"))
            continue
        reports.append(_verified("search index", folder, expected))
    for root in sorted(index_dir.glob("people-evidence-*")):
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir()
                             and not p.name.startswith(".tmp-")):
            reports.append(_verified("people evidence", folder, None))
    return reports


def _verified(kind: str, folder: Path, expected: dict | None) -> CacheReport:
    try:
        verify_folder(folder, expected)
    except CacheDamaged as error:
        return CacheReport(kind, folder, str(error))
    return CacheReport(kind, folder, None)
