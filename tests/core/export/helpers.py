"""A small real library for export tests: real JPEG files on disk, catalog rows pointing at them,
people and faces inserted by hand (boxes in oriented pixels, as the pipeline stores them)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from PIL import Image, ImageOps

from core.catalog import Catalog
from core.export import ExportOptions, ExportRequest, files
from core.scan.changes import _NEXT_PHOTO_ID
from core.search.spec import SearchSpec

_MTIME = [1_500_000_000_000_000_000]


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under root: (sha256, mtime_ns) — to prove originals were not touched."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                              path.stat().st_mtime_ns)
    return out


def anna(out, save_as=None, **options) -> ExportRequest:
    """Export Anna's photos to `out` (saved as an album with `save_as`)."""
    return ExportRequest(spec=SearchSpec(people_all=["Anna"]), destination=str(out),
                         save_as=save_as, options=ExportOptions(**options))


def temp_files(root: Path) -> list[Path]:
    """The export's temporary files anywhere under root."""
    return [p for p in root.rglob("*") if p.name.startswith(files.TEMP_PREFIX)]


def no_temp_files(root: Path) -> bool:
    return not temp_files(root)


def drive(job):
    """Run an export generator to its end: (its progress reports, its summary)."""
    progress = []
    try:
        while True:
            progress.append(next(job))
    except StopIteration as stop:
        return progress, stop.value


def files_under(root: Path) -> list[str]:
    """Relative paths of every file and symlink under root, sorted."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() or p.is_symlink())


class PhotoLibrary:
    def __init__(self, cat: Catalog, root: Path, images: Path) -> None:
        self.cat = cat
        self.root = root
        self.images = images
        root.mkdir(parents=True, exist_ok=True)
        self.folder_id = cat.add_folder(root)
        self._people: dict[str, int] = {}

    def photo(self, rel: str, taken_at: str | None = "2019-07-14T13:05:22",
              src: str | Path = "t1.jpg", orientation: int | None = None) -> int:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src if isinstance(src, Path) else self.images / src, path)
        _MTIME[0] += 1_000_000_007   # distinct, deterministic mtimes
        os.utime(path, ns=(_MTIME[0], _MTIME[0]))
        with Image.open(path) as im:
            w, h = ImageOps.exif_transpose(im).size
        st = path.stat()
        return self.row(str(path.resolve()), st.st_size, st.st_mtime_ns, w, h, orientation,
                        taken_at)

    def row(self, path: str, size: int, mtime_ns: int, width: int, height: int,
            orientation: int | None, taken_at: str | None) -> int:
        """An indexed photo row for a file already there (ids as the scan gives them: never
        reused)."""
        with self.cat.transaction() as conn:
            return conn.execute(
                "INSERT INTO photos(id, folder_id, path, size, mtime_ns, width, height,"
                f" orientation, taken_at, status) VALUES ({_NEXT_PHOTO_ID}, ?, ?, ?, ?, ?, ?, ?,"
                " ?, 'indexed')",
                (self.folder_id, path, size, mtime_ns, width, height, orientation,
                 taken_at)).lastrowid

    def person(self, name: str) -> int:
        if name not in self._people:
            with self.cat.transaction() as conn:
                self._people[name] = conn.execute(
                    "INSERT INTO people(name, created_at, updated_at) VALUES (?, 0, 0)",
                    (name,)).lastrowid
        return self._people[name]

    def face(self, photo_id: int, person: str | None = None,
             box=(10.0, 20.0, 60.0, 80.0)) -> int:
        pid = self.person(person) if person else None
        with self.cat.transaction() as conn:
            return conn.execute(
                "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality,"
                " usable, embedding, model_id, person_id, assigned_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 0.9, 50, 0.9, 1, ?, 'test', ?, ?, ?)",
                (photo_id, *box, b"\0" * 40, b"\0" * 2048, pid, "user" if pid else None,
                 time.time())).lastrowid

    def photo_of(self, rel: str, *people: str, **kw) -> int:
        photo_id = self.photo(rel, **kw)
        for i, name in enumerate(people):
            self.face(photo_id, name, box=(10.0 + 60 * i, 20.0, 60.0 + 60 * i, 80.0))
        return photo_id


# -- albums under stress: saved, updated, killed half-way ------------------------------------

def album(catalog, out, spec, name="Fam", **options):
    """Export `spec` to `out`, saved as album `name`."""
    from core.export import ExportOptions, ExportRequest, export

    return export(catalog, ExportRequest(spec=spec, destination=str(out), save_as=name,
                                         options=ExportOptions(**options)))


def again(catalog, name="Fam", **kw):
    """Update album `name` (prune=, dry_run= as the request takes them)."""
    from core.export import ExportRequest, export

    return export(catalog, ExportRequest(album=name, **kw))


def edit(path):
    with open(path, "ab") as fh:
        fh.write(b"retouched")


class Killed(BaseException):
    """Stands for kill -9: nothing after it runs."""


def kill_at(monkeypatch, module, name):
    kill_at_call(monkeypatch, module, name, 1)


def kill_at_call(monkeypatch, module, name, call, error: BaseException | None = None):
    """Let `name` run call - 1 times, kill the process at call number `call` (or raise
    `error` there)."""
    real, calls = getattr(module, name), []

    def counted(*args, **kw):
        calls.append(1)
        if len(calls) == call:
            raise error if error is not None else Killed(f"{name} #{call}")
        return real(*args, **kw)
    monkeypatch.setattr(module, name, counted)
