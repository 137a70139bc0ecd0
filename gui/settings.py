"""GUI settings, stored beside the catalog (gui.ini) and passed to whoever needs them.

No global config object: the main window owns one `Settings` and hands values to core calls.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from core.search.threshold import DEFAULT_MIN_SIMILARITY  # (the search core's calibrated one)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass
class Settings:
    model_pack: str = "buffalo_s"
    workers: int = 0                 # 0: one per core (the engine's default)
    min_similarity: float = DEFAULT_MIN_SIMILARITY
    min_face_px: int = 0             # 0: the engine's default minimum face size to cluster
    thumbnail_px: int = 176
    cluster_address: str = ""        # "Index on a cluster": a Dask scheduler (core/remote)
    cluster_cert_dir: str = ""       # its certificates (`faceshelf cluster-certs`)

    @classmethod
    def load(cls, catalog_dir: Path) -> Settings:
        store = QSettings(str(catalog_dir / "gui.ini"), QSettings.Format.IniFormat)
        values = {}
        for field in fields(cls):
            raw = store.value(field.name)
            if raw is None:
                continue
            try:
                values[field.name] = type(field.default)(raw)
            except (TypeError, ValueError):
                continue
        return cls(**values)

    def save(self, catalog_dir: Path) -> None:
        store = QSettings(str(catalog_dir / "gui.ini"), QSettings.Format.IniFormat)
        for key, value in asdict(self).items():
            store.setValue(key, value)
        store.sync()

