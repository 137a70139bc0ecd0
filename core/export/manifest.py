"""The manifest: what the export folder holds for this query (source, file, people, date).

Written as `faceshelf-manifest.json` or `.csv` at the top of the destination, replaced as a whole
on every export; a file of that name that Faceshelf did not write is never overwritten.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

from . import files as fs

JSON_MARK = "faceshelf_manifest"
CSV_HEADER = ["source", "file", "photo_id", "people", "taken_at", "mode"]


def manifest_path(dest: Path, fmt: str) -> Path:
    return dest / f"faceshelf-manifest.{fmt}"


def manifest_rows(plan, summary) -> list[dict]:
    failed = {f.dest for f in summary.failures}
    root = Path(plan.destination)
    rows = []
    for pf in plan.files:
        if pf.kind != "photo" or pf.action not in ("add", "skip") or pf.dest in failed:
            continue
        item = pf.item
        rows.append({"source": pf.source, "file": Path(pf.dest).relative_to(root).as_posix(),
                     "photo_id": pf.photo_id, "people": list(item.people) if item else [],
                     "taken_at": item.taken_at if item else None, "mode": plan.options.mode})
    return rows


def _ours(path: Path, fmt: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return True
    if fmt == "json":
        return f'"{JSON_MARK}"' in head
    return head.startswith(",".join(CSV_HEADER))


def render_manifest(rows: list[dict], fmt: str, album: str | None) -> bytes:
    if fmt == "json":
        doc = {JSON_MARK: 1, "album": album,
               "written_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "files": rows}
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([r["source"], r["file"], r["photo_id"], "; ".join(r["people"]),
                         r["taken_at"] or "", r["mode"]])
    return out.getvalue().encode("utf-8")


def write_manifest(plan, dest: Path, summary, fsync: bool) -> str:
    fmt = plan.options.manifest
    path = manifest_path(dest, fmt)
    if not _ours(path, fmt):
        raise FileExistsError(17, "a file of that name that Faceshelf did not write is in the way",
                              str(path))
    album = plan.album.name if plan.album else plan.save_as
    data = render_manifest(manifest_rows(plan, summary), fmt, album)
    tmp = fs.temp_path(dest)
    try:
        fs.write_bytes(data, tmp, fsync=fsync)
        os.replace(tmp, path)
        tmp = None
    finally:
        fs.discard(tmp)
    return str(path)
