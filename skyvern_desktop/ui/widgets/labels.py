"""Small labels every form uses: the inline error under a field, and a field with its
notes stacked under it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLayout, QVBoxLayout, QWidget

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


def stacked(*items: QWidget | QLayout) -> QVBoxLayout:
    """A field with its notes and errors right under it (a form row's right side)."""
    box = QVBoxLayout()
    box.setSpacing(2)
    for item in items:
        if isinstance(item, QLayout):
            box.addLayout(item)
        else:
            box.addWidget(item)
    return box
