"""Checks on the Qt binding itself, for faults that would crash the app far from their cause."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QStandardItemModel


class _Emitter(QObject):
    ping = Signal()
    value = Signal(object)


def _true_refs() -> int:
    gc.collect()
    return sys.getrefcount(True)


def test_emitting_signals_keeps_reference_counts() -> None:
    # PySide6 6.12.0 dropped a reference to True on every emit: on Python 3.11 the app then
    # aborted with "bool_dealloc" after a few thousand signals, or at exit.
    emitter = _Emitter()
    model = QStandardItemModel()
    emits: list[SignalInstance] = [emitter.ping, model.layoutChanged]
    before = _true_refs()
    for _ in range(200):
        for signal in emits:
            signal.emit()
        emitter.value.emit(1)
    after = _true_refs()
    assert after >= before - 5, f"True lost {before - after} references in 600 emits"
