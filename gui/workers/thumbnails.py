"""Lazy thumbnails: worker threads produce QImages, the UI thread caches QPixmaps (LRU).

Models call `loader.pixmap(key)`; on a miss they call `loader.request(key, load, owner,
generation)` and paint a placeholder. Requests are served newest first (what the user scrolled
to last is what they look at), the pending queue is bounded, and a model that resets bumps its
generation so its older pending requests are dropped (TagStudio's trick). The disk cache is
`core.thumbs` (under the catalog's thumbs folder); reading straight from the photo is only the
fallback for rows the engine has not thumbnailed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

from PySide6.QtCore import QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

from .tasks import TaskError, Workers, worker_catalog

log = logging.getLogger(__name__)

PHOTO_THUMB_PX = 256
FACE_THUMB_PX = 160

ImageLoad = Callable[[], QImage | None]


class ThumbnailLoader(QObject):
    ready = Signal(object)  # key

    def __init__(self, workers: Workers, *, cache_items: int = 2000, max_pending: int = 400,
                 max_in_flight: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workers = workers
        self.cache_items = cache_items
        self.max_pending = max_pending
        self.max_in_flight = max_in_flight
        self._cache: OrderedDict[Hashable, QPixmap] = OrderedDict()
        self._pending: OrderedDict[Hashable, tuple[ImageLoad, object, int]] = OrderedDict()
        self._in_flight: set[Hashable] = set()
        self._generations: dict[object, int] = {}
        self.broken = QPixmap()  # a cached "could not load" marker: never re-requested

    # -- cache --------------------------------------------------------------------------------
    def pixmap(self, key: Hashable) -> QPixmap | None:
        pixmap = self._cache.get(key)
        if pixmap is not None:
            self._cache.move_to_end(key)
        return pixmap

    def forget(self, key: Hashable) -> None:
        self._cache.pop(key, None)

    def _store(self, key: Hashable, pixmap: QPixmap) -> None:
        self._cache[key] = pixmap
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_items:
            self._cache.popitem(last=False)

    # -- requests -----------------------------------------------------------------------------
    def new_generation(self, owner: object) -> int:
        """Called by a model on reset: its older pending requests are dropped."""
        generation = self._generations.get(owner, 0) + 1
        self._generations[owner] = generation
        for key in [k for k, (_, o, g) in self._pending.items() if o is owner and g < generation]:
            del self._pending[key]
        return generation

    def request(self, key: Hashable, load: ImageLoad, owner: object = None,
                generation: int = 0) -> None:
        if key in self._in_flight:
            return
        if key in self._pending:
            self._pending.move_to_end(key)
        else:
            self._pending[key] = (load, owner, generation)
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)  # the oldest request: long scrolled past
        self._pump()

    def _pump(self) -> None:
        while self._pending and len(self._in_flight) < self.max_in_flight:
            key, (load, owner, generation) = self._pending.popitem(last=True)
            if owner is not None and generation < self._generations.get(owner, 0):
                continue
            self._in_flight.add(key)
            self.workers.run("thumbnails", load,
                             lambda image, key=key: self._done(key, image),
                             lambda error, key=key: self._failed(key, error),
                             what="thumbnail")

    def _done(self, key: Hashable, image: QImage | None) -> None:
        self._in_flight.discard(key)
        if image is None or image.isNull():
            self._store(key, self.broken)
        else:
            self._store(key, QPixmap.fromImage(image))
        self.ready.emit(key)
        self._pump()

    def _failed(self, key: Hashable, error: TaskError) -> None:
        # A missing or unreadable photo shows the broken marker; the error is in the log.
        log.warning("thumbnail %s: %s", key, error)
        self._done(key, None)


# -- loads (run in worker threads) --------------------------------------------------------------

def _core_thumbs():
    try:
        from core import thumbs
    except ImportError:
        return None
    return thumbs


def read_scaled(path: str, box: int) -> QImage | None:
    """The photo with EXIF orientation applied, scaled to fit box x box (JPEG: DCT scaling)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > box:
        scaled = size.scaled(QSize(box, box), Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(scaled)
    image = reader.read()
    return None if image.isNull() else image


def photo_thumb_loader(catalog_dir: Path, photo_id: int, path: str,
                       box: int = PHOTO_THUMB_PX) -> ImageLoad:
    def load() -> QImage | None:
        thumbs = _core_thumbs()
        if thumbs is not None:
            cached = thumbs.ensure_photo_thumb(worker_catalog(catalog_dir), photo_id)
            if cached is not None:
                return read_scaled(str(cached), box)
        return read_scaled(path, box)
    return load


def face_thumb_loader(catalog_dir: Path, face_id: int, path: str,
                      box: tuple[float, float, float, float], photo_size: tuple[int, int],
                      px: int = FACE_THUMB_PX) -> ImageLoad:
    def load() -> QImage | None:
        thumbs = _core_thumbs()
        if thumbs is not None:
            cached = thumbs.ensure_face_thumb(worker_catalog(catalog_dir), face_id)
            if cached is not None:
                return read_scaled(str(cached), px)
        return crop_face(path, box, photo_size, px)
    return load


def crop_face(path: str, box: tuple[float, float, float, float], photo_size: tuple[int, int],
              px: int) -> QImage | None:
    """A square crop around the face box (oriented pixels), read at just enough resolution."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * 1.5
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    width, height = photo_size
    scale = min(1.0, px / max(side, 1.0))
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    raw = reader.size()  # before orientation; the scaled size applies before it too
    if raw.isValid() and scale < 1.0 and width and height:
        reader.setScaledSize(QSize(round(raw.width() * scale), round(raw.height() * scale)))
    image = reader.read()
    if image.isNull():
        return None
    s = image.width() / width if width else 1.0
    rect = QRect(round((cx - side / 2) * s), round((cy - side / 2) * s), round(side * s),
                 round(side * s)).intersected(image.rect())
    crop = image.copy(rect)
    if max(crop.width(), crop.height()) > px:
        crop = crop.scaled(px, px, Qt.AspectRatioMode.KeepAspectRatio,
                           Qt.TransformationMode.SmoothTransformation)
    return crop
