"""Before Qt starts on Linux/X11: are the system libraries its xcb platform plugin needs there?

Without them Qt prints "Could not load the Qt platform plugin "xcb"" and names, at best, one
library (it named libxcb-cursor0 on a desktop where libxcb-icccm4 and libxcb-keysyms1 were the
missing ones). We try to load each library the plugin links against (`ldd` of PySide6's
libqxcb.so and libQt6XcbQpa.so, PySide6 6.11) and name the packages that provide the missing
ones. No Qt import here: a missing library would break the import itself.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from typing import NamedTuple


class Packages(NamedTuple):
    debian: str   # Debian and Ubuntu (apt)
    fedora: str   # Fedora (dnf)
    arch: str     # Arch (pacman)


# Only what a minimal desktop may lack; glibc, libstdc++ and the like are always there.
QT_XCB_LIBRARIES: dict[str, Packages] = {
    "libxcb.so.1": Packages("libxcb1", "libxcb", "libxcb"),
    "libX11.so.6": Packages("libx11-6", "libX11", "libx11"),
    "libX11-xcb.so.1": Packages("libx11-xcb1", "libX11-xcb", "libx11"),
    "libxcb-cursor.so.0": Packages("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": Packages("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-image.so.0": Packages("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": Packages("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": Packages("libxcb-render-util0", "xcb-util-renderutil",
                                        "xcb-util-renderutil"),
    "libxcb-util.so.1": Packages("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-randr.so.0": Packages("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render.so.0": Packages("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": Packages("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": Packages("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": Packages("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": Packages("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": Packages("libxcb-xkb1", "libxcb", "libxcb"),
    "libxkbcommon.so.0": Packages("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": Packages("libxkbcommon-x11-0", "libxkbcommon-x11",
                                      "libxkbcommon-x11"),
    # Needed by Qt itself (libQt6Gui), so also under Wayland.
    "libGL.so.1": Packages("libgl1", "libglvnd-glx", "libglvnd"),
    "libEGL.so.1": Packages("libegl1", "libglvnd-egl", "libglvnd"),
    "libfontconfig.so.1": Packages("libfontconfig1", "fontconfig", "fontconfig"),
    "libglib-2.0.so.0": Packages("libglib2.0-0", "glib2", "glib2"),
    "libdbus-1.so.3": Packages("libdbus-1-3", "dbus-libs", "dbus"),
}


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will pick its X11 (xcb) plugin: Linux, not asked for another platform
    (offscreen, wayland, ...) and not a Wayland session (Qt 6 prefers Wayland there)."""
    if not platform.startswith("linux"):
        return False
    asked = environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland")


def missing_libraries(libraries: dict[str, Packages] = QT_XCB_LIBRARIES) -> list[str]:
    """The libraries the dynamic loader cannot load (as Qt's plugin loader would ask it)."""
    missing = []
    for name in libraries:
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(name)
    return missing


def install_advice(missing: list[str], libraries: dict[str, Packages] = QT_XCB_LIBRARIES) -> str:
    """Sentences naming the missing libraries and the packages to install, per distribution."""
    def packages(field: str) -> str:
        return " ".join(dict.fromkeys(getattr(libraries[name], field) for name in missing))

    several = len(missing) > 1
    return (f"Faceshelf cannot open its window: the system "
            f"{'libraries' if several else 'library'} {', '.join(missing)} that Qt needs "
            f"{'are' if several else 'is'} missing. Install {'them' if several else 'it'} "
            f"and start Faceshelf again:\n"
            f"  Debian, Ubuntu:  sudo apt install {packages('debian')}\n"
            f"  Fedora:          sudo dnf install {packages('fedora')}\n"
            f"  Arch:            sudo pacman -S {packages('arch')}\n"
            f"(The command line works without them: `faceshelf --help`.)")


def check(libraries: dict[str, Packages] = QT_XCB_LIBRARIES, environ=os.environ) -> str | None:
    """None when Qt can start; else the message to show."""
    if not uses_xcb(environ):
        return None
    missing = missing_libraries(libraries)
    return install_advice(missing, libraries) if missing else None


def notify_desktop(advice: str) -> None:
    """Show the advice as a desktop notification when no terminal shows stderr (best effort:
    notify-send talks to the desktop's notification service, which needs no Qt)."""
    if sys.stderr is not None and sys.stderr.isatty():
        return
    tool = shutil.which("notify-send")
    if tool:
        title, _, body = advice.partition(": ")
        try:
            subprocess.run([tool, "--app-name=Faceshelf", title, body], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.SubprocessError):
            pass  # the message went to stderr already
