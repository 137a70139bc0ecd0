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
    p = sub.add_parser("index", help="add folders and index their photos (resumable)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="photo folders to add and index")
    _add_index_options(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("rescan", help="look for new, changed, moved and removed photos in "
                                      "every folder, and index what changed")
    _add_index_options(p)
    p.set_defaults(func=cmd_index, paths=None)

    p = sub.add_parser("status", help="what the catalog holds")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--errors", action="store_true", help="list photos that could not be read")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("faces", help="every face in the catalog")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--embeddings", action="store_true",
                   help="with --json: add each embedding (base64, little-endian float32 x 512)")
    p.set_defaults(func=cmd_faces)

    p = sub.add_parser("remove-folder", help="forget a folder: its photos and faces leave the "
                                             "catalog (the files are not touched)")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_remove_folder)


def _add_index_options(p) -> None:
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes (default: one per core; 0 = in this process)")
    p.add_argument("--model-pack", metavar="NAME|DIR",
                   help="face models to use (default: the catalog's, else buffalo_s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def cmd_index(args) -> int:
    from .pipeline import index

    roots = None
    if args.paths:
        roots = [Path(p).expanduser().resolve() for p in args.paths]
        for root in roots:
            if not root.is_dir():
                raise FileNotFoundError(f"not a folder: {root}")
    token = interruptible()
    scanned: dict[str, int] = {}
    started = time.monotonic()

    def job() -> Iterator[Progress]:
        for progress in index(catalog, roots, workers=args.workers, cancel=token,
                              pack=args.model_pack):
            if progress.stage == "scan":
                scanned.update(progress.counters)
            yield progress

    with open_catalog(args) as catalog:
        last = run_with_progress(job(), quiet=args.quiet or args.json)
    cancelled = token.cancelled
    summary = {
        "scan": scanned,
        "indexed": last.done if last and last.stage == "index" else 0,
        "pending_before": last.total if last and last.stage == "index" else 0,
        "faces": (last.counters.get("faces", 0) if last and last.stage == "index" else 0),
        "errors": (last.counters.get("errors", 0) if last and last.stage == "index" else 0),
        "seconds": round(time.monotonic() - started, 2),
        "cancelled": cancelled,
    }
    if args.json:
        print_json(summary)
    else:
        counts = ", ".join(f"{v} {k}" for k, v in scanned.items() if v)
        print(f"scan: {counts or 'nothing found'}")
        print(f"indexed {summary['indexed']} of {summary['pending_before']} photos: "
              f"{summary['faces']} faces, {summary['errors']} errors "
              f"({summary['seconds']:.1f} s)")
        if summary["errors"]:
            print("see `faceshelf status --errors` for the reasons")
    if cancelled:
        sys.stderr.write("stopped; the rest stays queued: run `faceshelf rescan` (or the same "
                         "`faceshelf index` command) to resume\n")
        return 130
    return 0


def cmd_status(args) -> int:
    with open_catalog(args, readonly=True) as catalog:
        status = _catalog_status(catalog, with_errors=args.errors)
    if args.json:
        print_json(status)
        return 0
    print(f"catalog   {status['catalog']} (revision {status['revision']})")
    print(f"model     {status['model_id'] or '-'}")
    for folder in status["folders"]:
        print(f"folder    {folder['path']}  ({folder['photos']} photos)")
    photos = status["photos"]
    print(f"photos    {photos['total']}: {photos['indexed']} indexed, {photos['pending']} "
          f"pending, {photos['error']} errors")
    print(f"faces     {status['faces']} ({status['usable_faces']} usable for grouping)")
    print(f"people    {status['people']} ({status['named_people']} named)")
    for error in status.get("errors", []):
        print(f"error     {error['path']}: {error['error']}")
    return 0


def _catalog_status(catalog, *, with_errors: bool) -> dict:
    q = catalog.execute
    by_status = dict(q("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall())
    faces, usable = q("SELECT COUNT(*), COALESCE(SUM(usable), 0) FROM faces").fetchone()
    people, named = q("SELECT COUNT(*), COUNT(name) FROM people").fetchone()
    model = q("SELECT model_id FROM photos WHERE model_id IS NOT NULL "
              "ORDER BY indexed_at DESC LIMIT 1").fetchone()
    status = {
        "catalog": str(catalog.dir),
        "revision": catalog.revision(),
        "model_id": model[0] if model else None,
        "folders": [{"path": row[0], "photos": row[1]} for row in q(
            "SELECT f.path, COUNT(p.id) FROM folders f LEFT JOIN photos p ON p.folder_id = f.id "
            "GROUP BY f.id ORDER BY f.path")],
        "photos": {"total": sum(by_status.values()), "indexed": by_status.get("indexed", 0),
                   "pending": by_status.get("pending", 0), "error": by_status.get("error", 0)},
        "faces": faces,
        "usable_faces": usable,
        "people": people,
        "named_people": named,
    }
    if with_errors:
        status["errors"] = [{"path": row[0], "error": row[1]} for row in q(
            "SELECT path, error FROM photos WHERE status='error' ORDER BY path")]
    return status


def cmd_faces(args) -> int:
    import base64

    import numpy as np

    with open_catalog(args, readonly=True) as catalog:
        rows = catalog.execute(
            "SELECT f.id, f.photo_id, p.path, f.x1, f.y1, f.x2, f.y2, f.landmarks, f.det_score, "
            "f.size, f.quality, f.usable, f.ignored, f.model_id, f.person_id, pe.name, "
            "f.embedding FROM faces f JOIN photos p ON p.id = f.photo_id "
            "LEFT JOIN people pe ON pe.id = f.person_id ORDER BY f.id")
        if not args.json:
            print("id\tphoto\tbox\tscore\tsize\tquality\tusable\tperson")
            for r in rows:
                person = r[15] or (f"#{r[14]}" if r[14] is not None else "-")
                print(f"{r[0]}\t{r[2]}\t{r[3]:.0f},{r[4]:.0f},{r[5]:.0f},{r[6]:.0f}\t"
                      f"{r[8]:.2f}\t{r[9]:.0f}\t{r[10]:.2f}\t{'yes' if r[11] else 'no'}\t{person}")
            return 0
        # Streamed, one face per line, so a library of 100k faces needs no big buffer.
        out = sys.stdout
        out.write("[")
        for n, r in enumerate(rows):
            face = {
                "id": r[0], "photo_id": r[1], "path": r[2],
                "box": [round(v, 2) for v in r[3:7]],
                "landmarks": np.frombuffer(r[7], dtype=np.float32).reshape(5, 2)
                .astype(float).round(2).tolist(),
                "det_score": round(r[8], 4), "size": round(r[9], 2), "quality": r[10],
                "usable": bool(r[11]), "ignored": bool(r[12]), "model_id": r[13],
                "person_id": r[14], "person": r[15],
            }
            if args.embeddings:
                vector = np.frombuffer(r[16], dtype="<f4")
                face["embedding"] = base64.b64encode(vector.tobytes()).decode("ascii")
            out.write(("\n" if n == 0 else ",\n") + json.dumps(face, ensure_ascii=False))
        out.write("\n]\n")
    return 0


def cmd_remove_folder(args) -> int:
    with open_catalog(args) as catalog:
        removed = catalog.remove_folder(args.path)
    if not removed:
        sys.stderr.write(f"faceshelf: {args.path} is not one of the catalog's folders\n")
        return 1
    print(f"removed {Path(args.path).expanduser().resolve()} from the catalog (files untouched)")
    return 0


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
