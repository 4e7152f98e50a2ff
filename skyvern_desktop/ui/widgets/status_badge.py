"""A run status as a badge: a colour and a word, so it reads without colour too."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ..format import status_color, status_label


class StatusBadge(QLabel):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.status = ""
        self.set_status("")

    def set_status(self, status: str) -> None:
        self.status = status
        color = status_color(status)
        text = status_label(status) if status else "…"
        background = color.name() if color is not None else "#6e7781"
        self.setText(text)
        self.setAccessibleName(f"Status: {text}")
        self.setStyleSheet(
            f"QLabel {{ background: {background}; color: white; border-radius: 9px;"
            " padding: 2px 10px; font-weight: bold; }"
        )
