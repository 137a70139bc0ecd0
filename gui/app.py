"""Start the desktop app: `faceshelf` with no subcommand, `make run`, `python -m gui.app`.

The window is shown first; the ML stack loads later, inside indexing workers, never here.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


def create_app(argv: list[str] | None = None) -> QApplication:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Faceshelf")
    app.setOrganizationName("faceshelf")
    app.setApplicationDisplayName("Faceshelf")
    app.setDesktopFileName("faceshelf")  # Wayland and docks match the window to its entry
    # The platform's own style and palette: light or dark follows the system.
    return app


def catalog_argument(argv: list[str]) -> str | None:
    parser = argparse.ArgumentParser(prog="faceshelf-gui")
    parser.add_argument("--catalog", metavar="DIR")
    return parser.parse_known_args(argv)[0].catalog   # (Qt takes its own options too)


def main(catalog: str | Path | None = None, argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    if catalog is None:
        # (the `faceshelf-gui` script calls main() bare: its --catalog was silently ignored
        # and the default catalog opened)
        catalog = catalog_argument(sys.argv[1:] if argv is None else argv)
    from . import system_libraries

    advice = system_libraries.check()  # before Qt: its own message names at most one library
    if advice:
        sys.stderr.write(advice + "\n")
        system_libraries.notify_desktop(advice)  # started from a launcher: no terminal to read
        return 3
    from core.paths import default_catalog_dir

    from .main_window import MainWindow

    app = create_app()
    window = MainWindow(Path(catalog) if catalog else default_catalog_dir(),
                        rescan_on_start=True)
    window.show()
    log.info("window shown after %.0f ms", (time.perf_counter() - started) * 1000)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(argv=sys.argv[1:]))
