"""Small labels every form uses: the inline error under a field."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

ERROR_STYLE = "color: #cf222e;"
BANNER_STYLE = (
    "QLabel { background: #ffebe9; color: #82071e; border: 1px solid #ff8182;"
    " border-radius: 4px; padding: 6px; }"
)
"""A form's banner: what stopped the whole request (a field's own error goes under it)."""


def error_label(name: str) -> QLabel:
    """A hidden, word-wrapping red label for one field's error."""
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label
