"""The files of the repository's top-level `resources/` folder (model manifest, icons).

An installed Faceshelf (wheel, `pip install .`, pipx, editable) carries them as the package
data of `core.resources` (pyproject.toml maps resources/ there), read with importlib.resources.
Run straight from a checkout that was never installed, `core.resources` does not exist and the
folder beside the sources is used.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1] / "resources"


def resource_path(*parts: str) -> Path:
    """A real file path (Qt and the model loader open files by name). Installed packages are
    plain folders on disk (never zipped: pip unpacks wheels), so the path exists as is."""
    try:
        root = resources.files("core.resources")
    except ModuleNotFoundError:
        return _CHECKOUT.joinpath(*parts)
    return Path(str(root.joinpath(*parts)))
