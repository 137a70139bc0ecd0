"""Soak: does opening a healthy catalog ever say "damaged" or "read-only" while others use it?

    python bench/catalog_open_races.py [--seconds 15]

Two processes on one catalog, as the GUI and the CLI beside it: a writer that opens, commits
~400 kB and closes, over and over (every close is the last one: a checkpoint grows the file,
then the -wal and -shm are deleted), and a process whose threads open the catalog (for
writing and read-only), read, and close, while another thread makes the day's backup.
Prints every exception by kind with a count; a healthy run prints none. (Before the fix in
core.catalog.db `file_to_ourselves`, 15 s gave thousands of CatalogDamaged: "is truncated"
and "is damaged (SQLite says: database disk image is malformed)", and a few CatalogReadOnly.)
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from core.catalog import Catalog  # noqa: E402
from core.catalog.backups import daily_backup  # noqa: E402


def _writer(directory: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        with Catalog(directory) as catalog, catalog.transaction() as conn:
            conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)",
                             ((f"soak-{n}-{i}", "x" * 2000) for i in range(200)))
        n += 1
    print(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        _writer(Path(args.writer), args.seconds)
        return 0
    directory = Path(tempfile.mkdtemp(prefix="faceshelf-soak-")) / "catalog"
    Catalog(directory).close()
    writer = subprocess.Popen([sys.executable, __file__, "--writer", str(directory),
                               "--seconds", str(args.seconds)], stdout=subprocess.PIPE,
                              text=True)
    stop = threading.Event()
    errors: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    opens = collections.Counter()

    def record(kind: str, error: BaseException) -> None:
        key = f"{kind}: {type(error).__name__}: {str(error).splitlines()[0][:150]}"
        errors[key] += 1
        examples.setdefault(key, traceback.format_exc())

    def opener(readonly: bool) -> None:
        kind = "read-only open" if readonly else "open"
        while not stop.is_set():
            try:
                with Catalog(directory, readonly=readonly) as catalog:
                    catalog.execute("SELECT COUNT(*) FROM meta").fetchone()
                opens[kind] += 1
            except Exception as error:  # noqa: BLE001 - counted and shown
                record(kind, error)

    def backups() -> None:
        day = 0
        while not stop.is_set():
            try:
                made = daily_backup(directory / "catalog.sqlite3", today=f"soak{day:06d}")
                day += 1
                if made is not None:
                    made.unlink()
                    opens["backup"] += 1
            except Exception as error:  # noqa: BLE001
                record("backup", error)

    threads = [threading.Thread(target=opener, args=(False,)),
               threading.Thread(target=opener, args=(True,)),
               threading.Thread(target=backups)]
    for thread in threads:
        thread.start()
    commits = writer.communicate()[0].strip()
    stop.set()
    for thread in threads:
        thread.join()
    print(f"writer: {commits} open-commit-close rounds; here: {dict(opens)}")
    print(f"exceptions: {sum(errors.values())}")
    for key, count in errors.most_common():
        print(f"{count:7d}  {key}")
    for key, text in examples.items():
        print(f"--- first {key}\n{text}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
