"""The Schedules screen. The schedules manager is not built yet; it says so plainly."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..widgets.state_panel import StatePanel


class SchedulesPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schedulesPage")
        self.panel = StatePanel(QLabel(), "schedules")
        self.panel.show_empty(
            "Schedules are not in this version yet",
            "Creating, editing, pausing and deleting schedules comes in a coming version of "
            "Skyvern Desktop. Until then, the Workflows screen shows how many schedules each "
            "workflow has.",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
