"""The build backend: setuptools, run on a temporary copy of the source tree.

setuptools writes `build/` and `faceshelf.egg-info/` next to the sources it builds, so
`pip install .`, `pip wheel .` and `pipx install .` would leave both in the checkout. Wheels
and sdists are therefore built from a copy in a temporary folder; only the finished file is
written where the frontend asked. Editable installs must point at the real tree, so they are
built in place (the egg-info they leave is what `make clean` removes).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403 (the hooks we do not wrap)

SOURCE = Path(__file__).resolve().parents[1]
# What a wheel or an sdist is made of (pyproject.toml names the packages and resources).
SHIPPED = ("pyproject.toml", "README.md", "LICENSE", "core", "gui", "resources", "buildsupport")


@contextmanager
def _in_copy():
    with tempfile.TemporaryDirectory(prefix="faceshelf-build-") as tmp:
        copy = Path(tmp) / "src"
        copy.mkdir()
        for name in SHIPPED:
            path = SOURCE / name
            if path.is_dir():
                shutil.copytree(path, copy / name,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            elif path.is_file():
                shutil.copy2(path, copy / name)
        here = os.getcwd()
        os.chdir(copy)
        try:
            yield
        finally:
            os.chdir(here)


def _absolute(folder: str | None) -> str | None:
    return None if folder is None else os.path.abspath(folder)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_directory, metadata_directory = _absolute(wheel_directory), _absolute(metadata_directory)
    with _in_copy():
        return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    sdist_directory = _absolute(sdist_directory)
    with _in_copy():
        return _setuptools.build_sdist(sdist_directory, config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    metadata_directory = _absolute(metadata_directory)
    with _in_copy():
        return _setuptools.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def get_requires_for_build_wheel(config_settings=None):
    with _in_copy():  # setuptools runs egg_info to answer
        return _setuptools.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_sdist(config_settings=None):
    with _in_copy():
        return _setuptools.get_requires_for_build_sdist(config_settings)
