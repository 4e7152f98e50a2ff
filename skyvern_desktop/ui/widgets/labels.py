"""Small labels every form uses: the inline error under a field."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

ERROR_STYLE = "color: #cf222e;"


def error_label(name: str) -> QLabel:
    """A hidden, word-wrapping red label for one field's error."""
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label
