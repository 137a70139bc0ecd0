"""The engine's commands: index, rescan, status, faces, remove-folder."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ..text import for_terminal
from .options import add_no_cluster_option, open_catalog
from .people import report_people, update_people_after
from .terminal import interruptible, print_json, run_with_progress


def add_commands(sub) -> None:
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


def _worker_count(text: str) -> int:
    count = int(text)
    if count < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {count}")
    return count


def _add_index_options(p) -> None:
    p.add_argument("--workers", type=_worker_count, metavar="N",
                   help="worker processes (default: one per core; 0 = in this process)")
    p.add_argument("--model-pack", metavar="NAME|DIR",
                   help="face models to use (default: the catalog's, else buffalo_s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_no_cluster_option(p)
    from .remote import add_index_options  # --cluster ADDR: machines, not people

    add_index_options(p)


def cmd_index(args) -> int:
    from ..photo_indexing import IndexingSummary, index_library

    roots = None
    if args.paths:
        roots = [Path(p).expanduser().resolve() for p in args.paths]
        for root in roots:
            if not root.is_dir():
                raise FileNotFoundError(f"not a folder: {root}")
    if args.model_pack:  # a wrong pack is said before the catalog or its folders change
        from ..faces.model_files import find_pack

        find_pack(args.model_pack)
    from .remote import cluster_run, report

    remote = cluster_run(args)  # --cluster: refused or unreachable before anything changes
    token = interruptible()
    quiet = args.quiet or args.json
    run = IndexingSummary()
    started = time.monotonic()
    with open_catalog(args) as catalog:
        stages = index_library(catalog, roots, workers=args.workers, cancel=token,
                               pack=args.model_pack, executor=remote,
                               people=not args.no_cluster,
                               wait_for_search_index=True, summary=run)
        # The photos under one progress bar, their summary, then the people under another.
        people_first: list = []
        run_with_progress(_until_people(stages, people_first), quiet=quiet)
        summary = _index_summary(run, run.photos_ended_at or time.monotonic(), started)
        if not args.json:  # before the people line: in the order things happened
            _print_index_summary(summary)
        if remote is not None:
            summary["cluster"] = report(remote, as_json=args.json)
            remote.close()
        if people_first:
            run_with_progress(itertools.chain(people_first, stages), quiet=quiet)
            people = report_people(run.people, as_json=args.json)
        else:
            people = None
    cancelled = token.cancelled
    summary.update(cancelled=cancelled, people=people)
    if args.json:
        print_json(summary)
    if cancelled:
        sys.stderr.write("stopped; the rest stays queued: run `faceshelf rescan` (or the same "
                         "`faceshelf index` command) to resume\n")
        return 130
    return 0


def _until_people(stages: Iterator, people_first: list) -> Iterator:
    """The stages' Progress up to the people update; its first Progress goes to `people_first`
    (the stages go on from there)."""
    for progress in stages:
        if progress.stage == "people":
            people_first.append(progress)
            return
        yield progress


def _index_summary(run, ended: float, started: float) -> dict:
    """`faceshelf index --json`'s keys (README), people and cancelled added at the end."""
    last = run.indexed
    return {
        "scan": run.scanned,
        "indexed": last.done if last else 0,
        "pending_before": last.total if last else 0,
        "faces": last.counters.get("faces", 0) if last else 0,
        "errors": last.counters.get("errors", 0) if last else 0,
        "seconds": round(ended - started, 2),
        "rate": round(last.rate, 2) if last and last.rate else None,
    }


def _print_index_summary(summary: dict) -> None:
    counts = ", ".join(f"{v} {k}" for k, v in summary["scan"].items() if v)
    print(f"scan: {counts or 'nothing found'}")
    done, errors = summary["indexed"], summary["errors"]
    print(f"{done} of {summary['pending_before']} photos done: {done - errors} indexed "
          f"with {summary['faces']} faces, {errors} unreadable "
          f"({summary['seconds']:.1f} s)")
    if errors:
        print("see `faceshelf status --errors` for the reasons")


def cmd_status(args) -> int:
    from ..status import catalog_status

    with open_catalog(args, readonly=True) as catalog:
        status = catalog_status(catalog, with_errors=args.errors)
    if args.json:
        print_json(status)
        return 0
    print(f"catalog   {status['catalog']} (revision {status['revision']})")
    print(f"model     {status['model_id'] or '-'}")
    for folder in status["folders"]:
        print(f"folder    {folder['path']}  ({folder['photos']} photos)"
              + ("" if folder["online"] else "  OFFLINE: missing or empty; its photos are kept"))
    if not all(folder["online"] for folder in status["folders"]):
        print("          (a drive to plug back in; or, if the folder moved or was renamed, "
              "`faceshelf index NEW_PLACE` then `faceshelf remove-folder OLD_PLACE`: "
              "photos found again keep their faces and names)")
    photos = status["photos"]
    print(f"photos    {photos['total']}: {photos['indexed']} indexed, {photos['pending']} "
          f"pending, {photos['error']} errors")
    print(f"faces     {status['faces']} ({status['usable_faces']} usable for grouping)")
    print(f"people    {status['people']} ({status['named_people']} named)")

    for error in status.get("errors", []):
        print(f"error     {for_terminal(error['path'])}: {error['error']}")
    return 0


def cmd_faces(args) -> int:
    import base64

    import numpy as np

    from ..library import face_details

    with open_catalog(args, readonly=True) as catalog:
        faces = face_details(catalog, with_embeddings=args.embeddings)
        if not args.json:
            print("id\tphoto\tbox\tscore\tsize\tquality\tusable\tperson")
            for f in faces:
                person = f.person_name or (f"#{f.person_id}" if f.person_id is not None else "-")
                x1, y1, x2, y2 = f.box
                print(f"{f.id}\t{for_terminal(f.path)}\t{x1:.0f},{y1:.0f},{x2:.0f},{y2:.0f}\t"
                      f"{f.det_score:.2f}\t{f.size:.0f}\t{f.quality:.2f}\t"
                      f"{'yes' if f.usable else 'no'}\t{for_terminal(person)}")
            return 0
        # Streamed, one face per line, so a library of 100k faces needs no big buffer.
        out = sys.stdout
        out.write("[")
        for n, f in enumerate(faces):
            face = {
                "id": f.id, "photo_id": f.photo_id, "path": f.path,
                "box": [round(v, 2) for v in f.box],
                "landmarks": np.frombuffer(f.landmarks, dtype=np.float32).reshape(5, 2)
                .astype(float).round(2).tolist(),
                "det_score": round(f.det_score, 4), "size": round(f.size, 2),
                "quality": f.quality, "usable": f.usable, "ignored": f.ignored,
                "model_id": f.model_id, "person_id": f.person_id, "person": f.person_name,
            }
            if args.embeddings:
                vector = np.frombuffer(f.embedding, dtype="<f4")
                face["embedding"] = base64.b64encode(vector.tobytes()).decode("ascii")
            out.write(("\n" if n == 0 else ",\n") + json.dumps(face, ensure_ascii=False))
        out.write("\n]\n")
    return 0


def cmd_remove_folder(args) -> int:
    with open_catalog(args) as catalog:
        removed = catalog.remove_folder(args.path)
        if not removed:
            sys.stderr.write(f"faceshelf: {args.path} is not one of the catalog's folders\n")
            return 2
        print(f"removed {Path(args.path).expanduser().resolve()} from the catalog "
              f"(files untouched)")
        # The people those photos made up go too (groups left empty or too small), as after
        # `rescan`; a stopped update is finished by the next one.
        update_people_after(catalog, interruptible())
    return 0

