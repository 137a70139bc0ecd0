"""What every command shares: the global options, the catalog they name, argument types.

--catalog and -v go before or after the command: `faceshelf --catalog C status --json` and
`faceshelf status --catalog C --json` are the same. --quiet and --json too, but only with the
commands that have them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

WHERE_IT_APPLIES = ("quiet", "json")


def add_global_options(parser: argparse.ArgumentParser, *, on_command: bool = False) -> None:
    """On the main parser with real defaults; on each command with SUPPRESS, so that a value
    given before the command is not reset by the command's own default."""
    parser.add_argument("--catalog", metavar="DIR",
                        default=argparse.SUPPRESS if on_command else None,
                        help="catalog folder (default: the user data folder for faceshelf)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        default=argparse.SUPPRESS if on_command else False, help="log more")


def add_no_cluster_option(parser: argparse.ArgumentParser) -> None:
    """--no-cluster, for the commands that update people after their own work (index, rescan,
    import-tags): one sentence, so that they say the same."""
    parser.add_argument("--no-cluster", action="store_true",
                        help="don't update people afterwards (run `faceshelf cluster` later)")


def catalog_dir_of(args) -> Path:
    from ..paths import default_catalog_dir

    return Path(args.catalog).expanduser().resolve() if args.catalog else default_catalog_dir()


def open_catalog(args, *, readonly: bool = False):
    """The catalog for this command. A command that writes makes the day's backup first
    (once a day; see core.catalog.backups)."""
    from ..catalog import Catalog

    catalog = Catalog(catalog_dir_of(args), readonly=readonly)
    if not readonly:
        catalog.daily_backup()
    return catalog


def id_arg(text: str) -> int:
    """An id typed on the command line (counts take count_arg): a whole number the catalog
    can hold, else argparse's usage error (exit 2) with the reason."""
    from ..ids import checked_id

    try:
        return checked_id(text, "")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).strip()) from None


def count_arg(text: str) -> int:
    """A count compared with the catalog's numbers (SQLite integers)."""
    from ..ids import MAX_ID, out_of_range

    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if out_of_range(count):
        raise argparse.ArgumentTypeError(f"{count} is out of range: 0 to {MAX_ID}")
    return count
