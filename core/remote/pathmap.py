"""`--path-map LOCAL=REMOTE`: workers that mount the library themselves read the photos from
their own path instead of receiving their bytes (less traffic through the scheduler).

A photo under LOCAL (a folder prefix, compared whole path parts) is read by the worker at
REMOTE plus the rest of its path; a photo under no LOCAL travels as bytes, as by default.
The remote side is kept as text: a Windows worker may mount the share as `Z:\\photos`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from .address import ClusterError


@dataclass(frozen=True)
class PathMap:
    pairs: tuple[tuple[str, str], ...] = ()   # (local prefix, remote prefix), longest first

    def remote(self, local_path: str) -> str | None:
        """The worker's path for `local_path`, or None when no mapping covers it."""
        parts = PurePath(local_path).parts
        for local, remote in self.pairs:
            prefix = PurePath(local).parts
            if parts[:len(prefix)] == prefix:
                rest = parts[len(prefix):]
                separator = "\\" if "\\" in remote and "/" not in remote else "/"
                return separator.join([remote.rstrip("/\\"), *rest]) if rest else remote
        return None


def parse_path_maps(texts: list[str] | None) -> PathMap:
    pairs = []
    for text in texts or []:
        local, sep, remote = text.partition("=")
        if not sep or not local.strip() or not remote.strip():
            raise ClusterError(f"--path-map {text!r}: expected LOCAL=REMOTE (a folder on this "
                               f"computer = the same folder as the workers mount it)")
        local = str(PurePath(local.strip()))
        pairs.append((local.rstrip("/") or "/", remote.strip()))
    pairs.sort(key=lambda pair: len(PurePath(pair[0]).parts), reverse=True)
    return PathMap(tuple(pairs))
