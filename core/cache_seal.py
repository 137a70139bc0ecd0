"""Checksums for the rebuildable caches under a catalog's index folder (the search index, the
people evidence): each cache folder carries a small manifest, `seal.json`, saying what the
cache was built from and a CRC32 of every fixed-size block of every file in it.

Why: a cache is read with memory maps and trusted for answers. Noise written over one (a bad
disk, a stray tool, a half-restored backup) used to give wrong answers with exit status 0.
Now a reader checks the manifest, the .npy headers against it, and the blocks it is told to
check (all of them for small files, a sample for the big vector files: the CLI's start-up is
kept cheap); a mismatch raises CacheDamaged and the owner rebuilds. `verify_folder` checks every
block (what `faceshelf check` runs, through core.caches.verify_caches).

CRC32 (zlib) rather than a cryptographic hash: the threat is damage, not an attacker who
could rewrite the manifest too, and zlib's CRC runs at memory speed.
"""

from __future__ import annotations

import json
import os
import random
import zlib
from pathlib import Path

import numpy as np

SEAL = "seal.json"
FORMAT = 1
BLOCK = 1 << 20          # 1 MiB: ~2,000 CRCs in the manifest of a million faces' vectors
SAMPLED_BLOCKS = 8       # blocks of a sampled file checked at load, besides its first and last


class CacheDamaged(OSError):
    """A cache folder whose contents are not what its manifest says (or have no manifest)."""


def _npy_header(path: Path) -> tuple[str, list[int]]:
    with open(path, "rb") as stream:
        major, _ = np.lib.format.read_magic(stream)
        reader = (np.lib.format.read_array_header_1_0 if major == 1
                  else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = reader(stream)
    if fortran:
        raise ValueError("Fortran order")
    return dtype.str, list(shape)


def _crc_blocks(path: Path, indexes: list[int] | None = None) -> dict[int, int]:
    """CRC32 of the blocks `indexes` of `path` (all when None), read with plain reads."""
    found: dict[int, int] = {}
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as stream:
        if indexes is None:
            index = 0
            while True:
                got = stream.readinto(buffer)
                if not got:
                    break
                found[index] = zlib.crc32(view[:got])
                index += 1
            return found
        for index in indexes:
            stream.seek(index * BLOCK)
            got = stream.readinto(buffer)
            found[index] = zlib.crc32(view[:got])
    return found


def seal(folder: Path, built_from: dict) -> None:
    """Write the manifest of every file now in `folder` (call it last, before publishing)."""
    folder = Path(folder)
    files = {}
    for path in sorted(folder.iterdir()):
        if path.name == SEAL or not path.is_file():
            continue
        entry: dict = {"size": path.stat().st_size}
        if path.suffix == ".npy":
            entry["dtype"], entry["shape"] = _npy_header(path)
        blocks = _crc_blocks(path)
        entry["crc32"] = [blocks[i] for i in range(len(blocks))]
        files[path.name] = entry
    manifest = {"format": FORMAT, "block": BLOCK, "built_from": built_from, "files": files}
    tmp = folder / (SEAL + ".tmp")
    with open(tmp, "w") as stream:
        json.dump(manifest, stream, separators=(",", ":"))
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, folder / SEAL)


def _manifest(folder: Path, built_from: dict | None) -> dict:
    try:
        manifest = json.loads((folder / SEAL).read_text("utf-8"))
    except FileNotFoundError:
        raise CacheDamaged(f"{folder}: no checksum manifest ({SEAL})") from None
    except (OSError, ValueError) as error:
        raise CacheDamaged(f"{folder / SEAL}: unreadable ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or manifest.get("block") != BLOCK or not isinstance(manifest.get("files"), dict):
        raise CacheDamaged(f"{folder / SEAL}: not a manifest this version writes")
    recorded = manifest.get("built_from")
    if built_from is not None and (not isinstance(recorded, dict) or any(
            recorded.get(key) != value for key, value in built_from.items())):
        raise CacheDamaged(f"{folder}: built from {manifest.get('built_from')}, "
                           f"expected {built_from}")
    return manifest


def _check_file(folder: Path, name: str, entry: dict, blocks: list[int] | None) -> None:
    path = folder / name
    try:
        size = path.stat().st_size
    except OSError as error:
        raise CacheDamaged(f"{path}: {error.strerror or error}") from None
    if size != entry.get("size"):
        raise CacheDamaged(f"{path}: {size} bytes, the manifest says {entry.get('size')}")
    if "dtype" in entry:
        try:
            header = _npy_header(path)
        except (OSError, ValueError) as error:  # numpy's words: first line, at most 100
            said = (str(error).splitlines() or [type(error).__name__])[0][:100]
            raise CacheDamaged(f"{path}: header unreadable ({said})") from None
        if header != (entry["dtype"], entry["shape"]):
            raise CacheDamaged(f"{path}: header says {header[0]} {header[1]}, the manifest "
                               f"{entry['dtype']} {entry['shape']}")
    expected = entry.get("crc32") or []
    if len(expected) != -(-size // BLOCK):
        raise CacheDamaged(f"{path}: the manifest lists {len(expected)} blocks")
    try:
        found = _crc_blocks(path, blocks)
    except OSError as error:
        raise CacheDamaged(f"{path}: {error.strerror or error}") from None
    for index, crc in found.items():
        if crc != expected[index]:
            raise CacheDamaged(f"{path}: block {index} (bytes {index * BLOCK}-"
                               f"{min(size, (index + 1) * BLOCK) - 1}) does not match its "
                               f"checksum")


def sample_of(count: int, extra: int = SAMPLED_BLOCKS, rng=random) -> list[int]:
    """The first and last block and `extra` others drawn afresh each time: damage anywhere is
    found by some later load even if this one misses it."""
    if count <= extra + 2:
        return list(range(count))
    return sorted({0, count - 1, *rng.sample(range(1, count - 1), extra)})


def check_folder(folder: Path, built_from: dict | None, *, sampled: tuple[str, ...] = (),
                 ) -> None:
    """Raise CacheDamaged unless the manifest says the cache was built from `built_from`
    (these items at least) and `folder` holds exactly the files its manifest lists, with
    matching sizes and .npy headers, and the checked blocks match: every block of every file,
    except the files named in `sampled` (only a sample of theirs, see `sample_of`)."""
    folder = Path(folder)
    manifest = _manifest(folder, built_from)
    files = manifest["files"]
    try:
        present = {p.name for p in folder.iterdir() if p.is_file() and p.name != SEAL}
    except OSError as error:
        raise CacheDamaged(f"{folder}: {error.strerror or error}") from None
    if present != set(files):
        raise CacheDamaged(f"{folder}: holds {sorted(present)}, the manifest lists "
                           f"{sorted(files)}")
    for name, entry in files.items():
        blocks = None
        if name in sampled:
            blocks = sample_of(-(-int(entry.get("size", 0)) // BLOCK))
        _check_file(folder, name, entry, blocks)


def verify_folder(folder: Path, built_from: dict | None = None) -> None:
    """Every block of every file (CacheDamaged at the first mismatch)."""
    check_folder(folder, built_from)
