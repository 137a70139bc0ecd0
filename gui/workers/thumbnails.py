"""Lazy thumbnails: worker threads produce QImages, the UI thread caches QPixmaps (LRU).

Models call `loader.pixmap(key)`; on a miss they call `loader.request(key, load, owner,
generation)` and paint a placeholder. Thumbnails are made at display size (times the device
pixel ratio) so painting is a 1:1 blit. Requests are served newest first (what the user scrolled
to last is what they look at), the pending queue is bounded, and a model that resets bumps its
generation so its older pending requests are dropped (TagStudio's trick). The disk cache is
`core.thumbs` (under the catalog's thumbs folder; it makes a missing file on demand).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from .tasks import Workers, worker_catalog

log = logging.getLogger(__name__)

PHOTO_THUMB_PX = 256
FACE_THUMB_PX = 160

ImageLoad = Callable[[], "RawImage | None"]


class ThumbnailLoader(QObject):
    """The thumbnail pool: its own worker threads fed newest-first from a bounded queue.

    Results are collected and applied on the UI thread in time-boxed batches (at most
    `APPLY_BUDGET_S` per turn of the event loop), each batch announced by one `ready` signal
    with the keys it made available; models emit one `dataChanged` per batch.
    """

    ready = Signal(object)       # list of keys now in the cache
    _results_waiting = Signal()  # from worker threads (queued to the UI thread)

    APPLY_BUDGET_S = 0.008

    def __init__(self, workers: Workers | None = None, *, threads: int = 2,
                 cache_items: int = 2000, max_pending: int = 400,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_items = cache_items
        self.max_pending = max_pending
        self._cache: OrderedDict[Hashable, QPixmap] = OrderedDict()
        self._lock = threading.Condition()
        self._pending: OrderedDict[Hashable, tuple[ImageLoad, object, int]] = OrderedDict()
        self._in_flight: set[Hashable] = set()
        self._results: list[tuple[Hashable, object, BaseException | None]] = []
        self._announced = False
        self._generations: dict[object, int] = {}
        self._stopping = False
        self.broken = QPixmap()  # a cached "could not load" marker: never re-requested
        # Thumbnails are made at display size x this ratio and drawn 1:1 (sharp on high DPI).
        self.device_pixel_ratio = 1.0
        self._results_waiting.connect(self._apply_results, Qt.ConnectionType.QueuedConnection)
        self._threads = [threading.Thread(target=self._work, name=f"thumbnails-{i}", daemon=True)
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

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

    # -- requests (UI thread) -------------------------------------------------------------------
    def new_generation(self, owner: object) -> int:
        """Called by a model on reset: its older pending requests are dropped."""
        generation = self._generations.get(owner, 0) + 1
        self._generations[owner] = generation
        with self._lock:
            for key in [k for k, (_, o, g) in self._pending.items()
                        if o is owner and g < generation]:
                del self._pending[key]
        return generation

    def request(self, key: Hashable, load: ImageLoad, owner: object = None,
                generation: int = 0) -> None:
        with self._lock:
            if key in self._in_flight:
                return
            if key in self._pending:
                self._pending.move_to_end(key)
                return
            self._pending[key] = (load, owner, generation)
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)  # the oldest request: long scrolled past
            self._lock.notify()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending) + len(self._in_flight)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._pending.clear()
            self._lock.notify_all()

    # -- worker threads -------------------------------------------------------------------------
    def _work(self) -> None:
        # Below the UI thread for the OS scheduler (Linux nice is per thread): on a busy
        # machine the UI keeps the CPU it needs to paint.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        while True:
            with self._lock:
                while not self._pending and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                key, (load, owner, generation) = self._pending.popitem(last=True)
                if owner is not None and generation < self._generations.get(owner, 0):
                    continue
                self._in_flight.add(key)
            try:
                result, error = load(), None
            except Exception as failure:  # noqa: BLE001 - shown as a broken cell, logged
                result, error = None, failure
            with self._lock:
                self._results.append((key, result, error))
                announce = not self._announced
                self._announced = True
            if announce:
                try:
                    self._results_waiting.emit()
                except RuntimeError:  # the loader was deleted (application closing)
                    return

    # -- applying results (UI thread, time-boxed) ------------------------------------------------
    def _apply_results(self) -> None:
        if self._stopping:
            return
        deadline = time.perf_counter() + self.APPLY_BUDGET_S
        keys = []
        while time.perf_counter() < deadline:
            with self._lock:
                if not self._results:
                    self._announced = False
                    break
                key, raw, error = self._results.pop(0)
                self._in_flight.discard(key)
            if error is not None:
                # A missing or unreadable photo shows the broken marker; the reason is logged.
                log.warning("thumbnail %s: %s", key, error)
            if raw is None:
                self._store(key, self.broken)
            else:
                pixmap = QPixmap.fromImage(raw.to_qimage())
                pixmap.setDevicePixelRatio(self.device_pixel_ratio)
                self._store(key, pixmap)
            keys.append(key)
        else:
            QTimer.singleShot(0, self._apply_results)  # more waiting: next turn of the loop
        if keys:
            self.ready.emit(keys)


# -- loads (run in worker threads) --------------------------------------------------------------
#
# Decoding and scaling use Pillow, which releases the GIL while it works (measured: a thread
# decoding thumbnails nonstop delays the UI thread by at most ~9 ms; QImageReader/QImage.scaled
# hold it for a whole decode, 35-40 ms). The worker hands back raw BGRX bytes; the UI thread
# wraps them in a QImage of the screen's native format, so the pixmap needs no conversion.

class RawImage:
    """Pixels made in a worker: 32-bit rows in the byte order of QImage.Format_RGB32 (opaque)
    or Format_ARGB32_Premultiplied (with alpha, e.g. round faces), little-endian."""

    __slots__ = ("width", "height", "data", "alpha")

    def __init__(self, width: int, height: int, data: bytes, alpha: bool = False) -> None:
        self.width, self.height, self.data, self.alpha = width, height, data, alpha

    def to_qimage(self) -> QImage:
        fmt = QImage.Format.Format_ARGB32_Premultiplied if self.alpha else \
            QImage.Format.Format_RGB32
        image = QImage(self.data, self.width, self.height, 4 * self.width, fmt)
        return image.copy()  # own the pixels: `data` may go away


def _raw(im) -> RawImage:
    if im.mode == "RGBa":
        return RawImage(im.width, im.height, im.tobytes("raw", "BGRa"), alpha=True)
    im = im.convert("RGB")
    return RawImage(im.width, im.height, im.tobytes("raw", "BGRX"))


def _round(im):
    """Cut a disc out of a square image, antialiased (drawn at 4x, scaled down)."""
    from PIL import Image, ImageDraw

    big = Image.new("L", (im.width * 4, im.height * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, big.width - 1, big.height - 1), fill=255)
    im = im.convert("RGBA")
    im.putalpha(big.resize(im.size, Image.Resampling.LANCZOS))
    return im.convert("RGBa")


def read_scaled(path: str, box: int) -> RawImage | None:
    """An (already upright) thumbnail file, scaled to fit box x box."""
    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (box, box))
        im = im.convert("RGB")
        if max(im.size) > box:
            im.thumbnail((box, box), Image.Resampling.LANCZOS)
        return _raw(im)


def read_square(path: str, px: int, disc: bool = False) -> RawImage | None:
    """The centre square of a thumbnail file, scaled to px x px (face cells); `disc` cuts
    it round (person cards), so painting needs no clip path."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im.draft("RGB", (px, px))
        square = ImageOps.fit(im.convert("RGB"), (px, px), Image.Resampling.LANCZOS)
        return _raw(_round(square) if disc else square)


def photo_thumb_loader(catalog_dir: Path, photo_id: int, path: str,
                       box: int = PHOTO_THUMB_PX) -> ImageLoad:
    def load() -> RawImage | None:
        from core import thumbs

        cached = thumbs.ensure_photo_thumb(worker_catalog(catalog_dir), photo_id)
        return None if cached is None else read_scaled(str(cached), box)
    return load


def face_thumb_loader(catalog_dir: Path, face_id: int, px: int = FACE_THUMB_PX,
                      disc: bool = False) -> ImageLoad:
    def load() -> RawImage | None:
        from core import thumbs

        cached = thumbs.ensure_face_thumb(worker_catalog(catalog_dir), face_id)
        return None if cached is None else read_square(str(cached), px, disc)
    return load
