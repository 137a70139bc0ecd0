"""The `faceshelf` command. Thin: parse arguments, call core, print.

With no subcommand it opens the GUI. `--json` output is stable and documented in README.md.
Each area of the engine has its own region below (engine, people, search, export); its
`_add_*_commands` registers subcommands whose handlers live in that same region.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from .jobs import CancelToken, Progress

log = logging.getLogger("faceshelf")


# == shared helpers ========================================================================

def open_catalog(args, *, readonly: bool = False):
    from .catalog import Catalog
    from .paths import default_catalog_dir

    return Catalog(Path(args.catalog) if args.catalog else default_catalog_dir(), readonly=readonly)


def print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


class ProgressBar:
    """A one-line progress bar on stderr (only when stderr is a terminal, else a line per 5 s)."""

    def __init__(self, stream=sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self._last = 0.0

    def update(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last < 5 and p.done != p.total:
            return
        if self.tty and now - self._last < 0.1 and p.done != p.total:
            return
        self._last = now
        parts = [p.stage]
        if p.total:
            filled = int(self.width * p.done / p.total)
            parts.append("[" + "#" * filled + "-" * (self.width - filled) + "]")
            parts.append(f"{p.done}/{p.total}")
        else:
            parts.append(str(p.done))
        if p.rate:
            parts.append(f"{p.rate:.1f}/s")
        if p.eta_s is not None and p.total:
            parts.append(f"ETA {int(p.eta_s) // 60}:{int(p.eta_s) % 60:02d}")
        parts += [f"{k} {v}" for k, v in p.counters.items()]
        if p.message:
            parts.append(p.message)
        line = "  ".join(parts)
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_with_progress(job: Iterable[Progress], quiet: bool = False) -> Progress | None:
    """Drive a job generator, showing progress; the last Progress is returned."""
    bar = None if quiet else ProgressBar()
    last = None
    try:
        for last in job:
            if bar:
                bar.update(last)
    finally:
        if bar:
            bar.close()
    return last


def interruptible() -> CancelToken:
    """A token that the first Ctrl-C cancels (the job stops cleanly); a second one kills."""
    token = CancelToken()

    def handler(signum, frame):
        if token.cancelled:
            raise KeyboardInterrupt
        sys.stderr.write("\nstopping after the current work; Ctrl-C again to abort\n")
        token.cancel()

    signal.signal(signal.SIGINT, handler)
    return token


# == engine: index, status, faces, rescan, remove-folder ===================================

def _add_engine_commands(sub) -> None:
    pass


# == people: people, person, cluster, name, merge, move-faces, reject, ignore, review =======

def _add_people_commands(sub) -> None:
    pass


# == search ================================================================================

def _add_search_commands(sub) -> None:
    pass


# == export ================================================================================

def _add_export_commands(sub) -> None:
    pass


# == entry point ===========================================================================

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faceshelf",
        description="Find the people in your own photos. Everything stays on this computer.")
    parser.add_argument("--catalog", metavar="DIR",
                        help="catalog folder (default: the user data folder for faceshelf)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_engine_commands(sub)
    _add_people_commands(sub)
    _add_search_commands(sub)
    _add_export_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        from gui.app import main as gui_main  # the only place core reaches for the GUI

        return gui_main(catalog=args.catalog)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("aborted\n")
        return 130
    except Exception as error:  # a clear message, not a traceback, for expected failures
        from .catalog import CatalogError
        from .faces.models import ModelError

        if isinstance(error, (CatalogError, ModelError, FileNotFoundError, ValueError)):
            sys.stderr.write(f"faceshelf: {error}\n")
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
