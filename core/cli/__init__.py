"""The `faceshelf` command. Thin: parse arguments, call core, print.

With no subcommand it opens the GUI. `--json` output is stable and documented in README.md.
One module per command group registers its subcommands (`add_commands`) and holds their
handlers: engine (index, rescan, status, faces, remove-folder), people and people_edits,
search, export (and albums), health (check, repair), import_tags, desktop, remote (worker,
scheduler, cluster-certs: indexing on other machines). What they share:
options (global options, the catalog, argument types) and terminal (JSON, progress bar,
Ctrl-C, logging). Command modules import core lazily, inside the handlers: `faceshelf --help`
should load next to nothing.
"""

from __future__ import annotations

import argparse
import os
import sys

from .options import WHERE_IT_APPLIES, add_global_options


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__  # what pyproject.toml's dynamic version reads: no metadata lookup
    from . import desktop, engine, export, health, import_tags, people, remote, search

    parser = argparse.ArgumentParser(
        prog="faceshelf",
        description="Find the people in your own photos. Everything stays on this computer, "
                    "unless you index on your own machines with --cluster.")
    parser.add_argument("--version", action="version", version=f"faceshelf {__version__}",
                        help="print the version and stop")
    add_global_options(parser)
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar (for the commands that show one)")
    parser.add_argument("--json", action="store_true",
                        help="machine-readable output (for the commands that have it)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (engine, people, search, export, health, import_tags, remote, desktop):
        group.add_commands(sub)   # (in this order in --help)
    for command in sub.choices.values():
        add_global_options(command, on_command=True)
        has = {action.dest: action for action in command._actions}  # argparse has no getter
        for name in WHERE_IT_APPLIES:
            if name in has:
                has[name].default = argparse.SUPPRESS
        command.set_defaults(_has_options=frozenset(n for n in WHERE_IT_APPLIES if n in has))
    return parser


def _refuse_inapplicable(parser: argparse.ArgumentParser, args) -> None:
    for name in WHERE_IT_APPLIES:
        if getattr(args, name, False) and name not in args._has_options:
            parser.error(f"`faceshelf {args.command}` has no --{name}")


def main(argv: list[str] | None = None) -> int:
    from .terminal import setup_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if args.command:
        _refuse_inapplicable(parser, args)
    if not args.command:
        from gui.app import main as gui_main  # the only place core reaches for the GUI

        return gui_main(catalog=args.catalog)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("aborted\n")
        return 130
    except BrokenPipeError:  # `faceshelf people | head`: the reader left, not an error
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a clear message, not a traceback, for expected failures
        status = _exit_status(error, args)
        if status is None:
            raise
        return status


def _exit_status(error: Exception, args) -> int | None:
    """Say an expected failure in a sentence and return the exit status; None for a bug."""
    from ..catalog import CatalogError
    from .health import report_unusable

    status = report_unusable(error, args)  # damaged, unusable or read-only: 5 or 6
    if status is not None:
        return status
    from ..faces.model_files import ModelError
    from ..index_lock import IndexBusy

    if isinstance(error, OSError) and error.strerror:  # not "[Errno 2] ...": words
        what = f" {error.filename}" if error.filename else ""
        sys.stderr.write(f"faceshelf: cannot use{what}: {error.strerror.lower()}\n")
        return 2 if isinstance(error, (FileNotFoundError, NotADirectoryError,
                                       IsADirectoryError, PermissionError)) else 1
    if isinstance(error, (CatalogError, ModelError, FileNotFoundError, ValueError)):
        sys.stderr.write(f"faceshelf: {error}\n")
        return 2
    if isinstance(error, OverflowError):  # a number past what SQLite holds, not caught
        sys.stderr.write(f"faceshelf: a number given is too large ({error})\n")  # earlier
        return 2
    if isinstance(error, IndexBusy):
        sys.stderr.write(f"faceshelf: {error}\n")
        return 4
    return None
