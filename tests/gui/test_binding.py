"""The Qt binding must not drop references to None/True: PySide6 6.12.0 does (converting an
invalid QVariant, emitting True, emitting dataChanged, QImageReader.setAutoTransform), and on
CPython < 3.12 the app then dies with "deallocating None" after a few thousand scrolls."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Signal
from PySide6.QtGui import QImageReader


class _Model(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()):
        return 1

    def data(self, index, role=0):
        return None


class _Emitter(QObject):
    value = Signal(object)


def _drift(probe, action, times: int = 200) -> int:
    before = sys.getrefcount(probe)
    for _ in range(times):
        action()
    return sys.getrefcount(probe) - before


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True are immortal from 3.12")
def test_binding_keeps_references_to_none_and_true(qapp):
    model = _Model()
    index = model.index(0)
    emitter = _Emitter()
    emitter.value.connect(lambda value: None)
    reader = QImageReader()
    assert _drift(None, lambda: index.data(5)) >= 0
    assert _drift(True, lambda: emitter.value.emit(True)) >= 0
    assert _drift(True, lambda: model.dataChanged.emit(index, index)) >= 0
    assert _drift(None, lambda: reader.setAutoTransform(True)) >= 0
