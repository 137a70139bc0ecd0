"""Real catalogs (real SQLite, the real schema) and the ways a catalog file gets damaged, for
the damage tests of the CLI and the GUI."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

DB = "catalog.sqlite3"


def make_catalog(directory: Path, faces: int = 600) -> Path:
    """A catalog with one folder, faces/2 photos, `faces` faces (a page each: 2 KiB
    embeddings), a third of them named Anna. Closed cleanly: no -wal beside it."""
    from core.catalog import Catalog

    Catalog(directory).close()
    conn = sqlite3.connect(directory / DB)
    now = time.time()
    with conn:
        conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/library', ?)", (now,))
        conn.executemany(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, status, indexed_at) "
            "VALUES (?, 1, ?, 1, 1, 'indexed', ?)",
            [(i, f"/library/{i:05d}.jpg", now) for i in range(1, faces // 2 + 1)])
        conn.execute("INSERT INTO people(id, name, created_at, updated_at) "
                     "VALUES (1, 'Anna', ?, ?)", (now, now))
        conn.executemany(
            "INSERT INTO faces(id, photo_id, x1, y1, x2, y2, landmarks, det_score, size, "
            "quality, usable, embedding, model_id, person_id, assigned_by, created_at) "
            "VALUES (?, ?, 0, 0, 100, 100, zeroblob(40), 0.9, 100, 0.5, 1, randomblob(2048), "
            "'test', ?, ?, ?)",
            [(i, (i - 1) // 2 + 1, 1 if i % 3 == 0 else None, "user" if i % 3 == 0 else None,
              now) for i in range(1, faces + 1)])
    conn.close()
    return directory


def page_of_row(db: Path, table: str, rowid: int) -> int:
    """The page that holds a row (sqlite's dbstat is not always compiled in: walk instead)."""
    conn = sqlite3.connect(db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        blob = conn.execute(f"SELECT embedding FROM {table} WHERE rowid=?", (rowid,)).fetchone()[0]
    finally:
        conn.close()
    data = db.read_bytes()
    return data.index(blob[:64]) // page_size


def truncate(db: Path) -> None:
    with open(db, "r+b") as handle:
        handle.truncate(db.stat().st_size * 2 // 5)


def corrupt_page(db: Path, face_id: int) -> None:
    """Garbage over the page holding face `face_id`."""
    page_size = 4096
    page = page_of_row(db, "faces", face_id)
    with open(db, "r+b") as handle:
        handle.seek(page * page_size)
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def zero_header(db: Path) -> None:
    with open(db, "r+b") as handle:
        handle.write(bytes(100))


def empty(db: Path) -> None:
    db.write_bytes(b"")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- read-only ---------------------------------------------------------------------------------

def without_root_powers() -> list[str]:
    """A command prefix that takes away root's right to write read-only files (root
    otherwise writes through chmod 444); [] when not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, "--bounding-set", caps, "--inh-caps", caps]


def read_only_mount_prefix(folder: Path) -> list[str] | None:
    """`unshare` running the command with `folder` bind-mounted read-only over itself, or
    None where user namespaces or mounts are not allowed."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run([unshare, "-rm", "sh", "-c",
                            f"mount --bind -o ro '{folder}' '{folder}' && touch '{folder}/x'"],
                           capture_output=True, text=True)
    if "Read-only file system" not in probe.stderr:
        return None
    return [unshare, "-rm", "sh", "-c",
            f"mount --bind -o ro '{folder}' '{folder}' && exec \"$0\" \"$@\""]


def corrupt_table(db: Path, table: str) -> None:
    """Garbage over a (one-page) table's root page: the whole table is unreadable."""
    conn = sqlite3.connect(db)
    try:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name=?",
                            (table,)).fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    with open(db, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 4))
