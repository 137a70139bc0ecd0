"""`faceshelf install-desktop-entry`: put the app in the desktop's launcher (freedesktop.org).

Writes $XDG_DATA_HOME/applications/faceshelf.desktop (default ~/.local/share) and the app icon
as icons/hicolor/scalable/apps/faceshelf.svg beside it; the launcher runs the faceshelf-gui
of the installation that wrote the entry (a venv, pipx, ...). `--uninstall` removes both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .resource_files import resource_path

APP_ID = "faceshelf"


@dataclass(frozen=True)
class DesktopFiles:
    entry: Path
    icon: Path


def data_home(environ=os.environ) -> Path:
    """$XDG_DATA_HOME, or ~/.local/share when unset or not absolute (the spec says ignore it)."""
    value = environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def desktop_files(base: Path | None = None) -> DesktopFiles:
    base = base or data_home()
    return DesktopFiles(entry=base / "applications" / f"{APP_ID}.desktop",
                        icon=base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")


def gui_command() -> list[str]:
    """The faceshelf-gui script of this installation, else this Python running gui.app."""
    script = Path(sys.executable).parent / "faceshelf-gui"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "gui.app"]


def _exec_quoted(argument: str) -> str:
    """An Exec argument, quoted as the Desktop Entry spec asks (paths may hold spaces)."""
    if not any(c in argument for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return argument
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") \
        .replace("$", "\\$")
    return f'"{escaped}"'.replace("%", "%%")


def entry_text(command: list[str], icon: Path) -> str:
    """The .desktop file (Desktop Entry Specification 1.5)."""
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",
        "Name=Faceshelf",
        "GenericName=Photo face organizer",
        "Comment=Find the people in your own photos, fully offline",
        "Exec=" + " ".join(_exec_quoted(part).replace("\\", "\\\\") for part in command),
        f"Icon={icon.stem}",  # found in the hicolor theme where install() put it
        "Terminal=false",
        "Categories=Graphics;Photography;Viewer;",
        "Keywords=photos;faces;people;albums;",
        "StartupWMClass=Faceshelf",  # WM_CLASS of the window (Qt: the application name)
        "",
    ])


def install(base: Path | None = None, command: list[str] | None = None) -> DesktopFiles:
    files = desktop_files(base)
    files.icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resource_path("icons", "app.svg"), files.icon)
    files.entry.parent.mkdir(parents=True, exist_ok=True)
    temporary = files.entry.with_suffix(".desktop.tmp")
    temporary.write_text(entry_text(command or gui_command(), files.icon), encoding="utf-8")
    os.replace(temporary, files.entry)  # a launcher watching the folder never reads half
    _refresh_caches(files)
    return files


def uninstall(base: Path | None = None) -> list[Path]:
    """The files removed (none when there was no entry)."""
    files = desktop_files(base)
    removed = []
    for path in (files.entry, files.icon):
        if path.is_file():
            path.unlink()
            removed.append(path)
    if removed:
        _refresh_caches(files)
    return removed


def _refresh_caches(files: DesktopFiles) -> None:
    """GTK ignores icons missing from an existing icon cache, so refresh one if there is one
    (we never create it). Launchers watch the applications folder themselves."""
    theme = files.icon.parents[2]
    tool = shutil.which("gtk-update-icon-cache")
    if tool and (theme / "icon-theme.cache").is_file():
        try:
            subprocess.run([tool, "--quiet", "--ignore-theme-index", str(theme)], check=False,
                           timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            pass  # a stale cache only hides the icon, the entry works
