"""Drop a photo from outside (a file manager, a browser's saved file) anywhere on the window:
it is searched for. An event filter, so the window's own drag and drop (faces onto people)
stays with the widgets that handle it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif",
                  ".avif"}


def dropped_image(mime) -> str | None:
    """The first local image file among the dragged URLs."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES:
            return url.toLocalFile()
    return None


class PhotoDrop(QObject):
    """Installed on the window (which must accept drops): emits `dropped(path)`."""

    dropped = Signal(str)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DragEnter:
            if dropped_image(event.mimeData()):
                event.acceptProposedAction()
            else:
                event.ignore()
            return True
        if kind == QEvent.Type.Drop:
            path = dropped_image(event.mimeData())
            if path:
                event.acceptProposedAction()
                self.dropped.emit(path)
            return True
        return False
