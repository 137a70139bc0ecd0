"""`faceshelf install-desktop-entry`, run as a user runs it, into a temporary XDG data dir."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path

from core.desktop_entry import entry_text
from tests.conftest import PROJECT


def _faceshelf(data_home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_DATA_HOME=str(data_home))
    return subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True,
                          text=True, env=env, cwd=PROJECT, timeout=60)


def _read_entry(path: Path) -> dict:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_install_and_uninstall_the_desktop_entry(tmp_path):
    done = _faceshelf(tmp_path, "install-desktop-entry")
    assert done.returncode == 0, done.stderr
    entry_path = tmp_path / "applications" / "faceshelf.desktop"
    icon_path = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "faceshelf.svg"
    assert str(entry_path) in done.stdout
    assert icon_path.read_bytes() == (PROJECT / "resources" / "icons" / "app.svg").read_bytes()
    entry = _read_entry(entry_path)
    assert (entry["Type"], entry["Name"], entry["Icon"], entry["Terminal"]) == (
        "Application", "Faceshelf", "faceshelf", "false")
    command = shlex.split(entry["Exec"])
    # This installation's GUI script (the venv running the tests has one), ready to run.
    assert command == [str(Path(sys.executable).parent / "faceshelf-gui")]
    assert os.access(command[0], os.X_OK)
    assert not list(entry_path.parent.glob("*.tmp"))

    done = _faceshelf(tmp_path, "install-desktop-entry", "--uninstall")
    assert done.returncode == 0, done.stderr
    assert not entry_path.exists() and not icon_path.exists()
    assert "removed" in done.stdout
    done = _faceshelf(tmp_path, "install-desktop-entry", "--uninstall")
    assert (done.returncode, done.stdout.strip()) == (
        0, "there was no Faceshelf desktop entry to remove")


def test_exec_quotes_paths_with_spaces_and_percent_signs(tmp_path):
    text = entry_text(["/opt/my apps/100%/bin/faceshelf-gui"], tmp_path / "faceshelf.svg")
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line == 'Exec="/opt/my apps/100%%/bin/faceshelf-gui"'
