"""Shared fixtures. Integration tests use real SQLite, real ONNX models and real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import core  # noqa: F401  first: switches dependencies' telemetry off (core/offline.py)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"


@pytest.fixture
def catalog(tmp_path):
    from core.catalog import Catalog

    with Catalog(tmp_path / "catalog") as cat:
        yield cat


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data set not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def insightface_images() -> Path:
    """Real photos shipped inside the insightface wheel (t1.jpg has 6 faces)."""
    import importlib.util

    spec = importlib.util.find_spec("insightface")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "images"


@pytest.fixture(scope="session")
def face_analyzer():
    """One loaded FaceAnalyzer (real buffalo_s models) shared by the whole session."""
    from core.faces.analyzer import FaceAnalyzer

    return FaceAnalyzer(threads=2)


@pytest.fixture
def photo_library(tmp_path, catalog, insightface_images):
    """Real JPEG files under tmp_path/library, registered in `catalog` (export tests)."""
    from tests.core.export.helpers import PhotoLibrary

    return PhotoLibrary(catalog, tmp_path / "library", insightface_images)
