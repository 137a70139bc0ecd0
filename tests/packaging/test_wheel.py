"""The wheel, installed the way a user installs it: built from the checkout (which must stay
as it was), installed into a fresh venv outside the checkout, run from elsewhere.

Needs PyPI (pip fetches setuptools for the build and the dependencies for the venv; its cache
keeps repeated runs short).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow


def _outside_env() -> dict:
    """The environment of a user's shell: nothing pointing into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("env", _outside_env())
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


def _checkout_entries() -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in PROJECT.iterdir()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel .` as a user would run it (with build isolation), into a temporary folder."""
    out = tmp_path_factory.mktemp("wheel")
    before = _checkout_entries()
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, PROJECT],
                 cwd=out, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    after = _checkout_entries()
    left = sorted(name for name in after if name not in before or (
        (name == "build" or name.endswith(".egg-info")) and after[name] != before[name]))
    assert left == [], f"the build wrote {left} in the checkout"
    (path,) = out.glob("faceshelf-*.whl")
    return path


def test_wheel_holds_every_module_and_resource_under_core(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(PROJECT).as_posix() for top in ("core", "gui")
               for p in (PROJECT / top).rglob("*.py") if "__pycache__" not in p.parts}
    assert sources - names == set(), "modules missing from the wheel (pyproject.toml packages)"
    resources = {p.relative_to(PROJECT / "resources").as_posix()
                 for p in (PROJECT / "resources").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    assert "models.json" in resources and "icons/app.svg" in resources
    assert {f"core/resources/{r}" for r in resources} - names == set()
    assert not [n for n in names if n.startswith("resources/")], "no top-level `resources`"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv outside the checkout with the wheel and its dependencies."""
    root = tmp_path_factory.mktemp("venv")
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    done = _run([python, "-m", "pip", "install", "--quiet", wheel], cwd=root, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "venv" / "bin"


def test_installed_wheel_indexes_a_photo(installed, tmp_path, insightface_images):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "group.jpg").write_bytes((insightface_images / "t1.jpg").read_bytes())
    catalog = tmp_path / "catalog"
    done = _run([installed / "faceshelf", "--catalog", catalog, "index", photos, "--json"],
                cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert (summary["indexed"], summary["faces"], summary["errors"]) == (1, 6, 0)
    status = _run([installed / "faceshelf", "--catalog", catalog, "status", "--json"],
                  cwd=tmp_path, timeout=120)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["faces"] == 6
    # The code that ran is the installed copy, not the checkout's.
    where = _run([installed / "python", "-c", "import core; print(core.__file__)"], cwd=tmp_path)
    assert not where.stdout.strip().startswith(str(PROJECT)), where.stdout


def test_installed_gui_opens_its_window_with_the_packaged_icons(installed, tmp_path):
    assert (installed / "faceshelf-gui").is_file()
    script = (
        "from pathlib import Path\n"
        "from gui.app import create_app\n"
        "from gui.main_window import MainWindow\n"
        "from gui.views import icons\n"
        "app = create_app()\n"
        f"window = MainWindow(Path({str(tmp_path / 'catalog')!r}), rescan_on_start=False)\n"
        "window.show()\n"
        "app.processEvents()\n"
        "size = icons.icon('app').pixmap(64, 64).size()\n"
        "drawn = icons.pixmap('search', 24).toImage()\n"
        "print(icons.ICONS, size.width(), window.isVisible(),\n"
        "      any(drawn.pixelColor(x, y).alpha() for x in range(24) for y in range(24)))\n"
        "window.close()\n")
    done = _run([installed / "python", "-c", script], cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    folder, width, visible, painted = done.stdout.split()
    assert Path(folder).is_relative_to(installed.parent) and (Path(folder) / "app.svg").is_file()
    assert (width, visible, painted) == ("64", "True", "True")
