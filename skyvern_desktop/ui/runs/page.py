"""The Runs screen. Run history and live run panes are not built yet; it says so plainly."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..widgets.state_panel import StatePanel


class RunsPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsPage")
        self.panel = StatePanel(QLabel(), "runs")
        self.panel.show_empty(
            "Run history is not in this version yet",
            "Live run panes and the run history come in a coming version of Skyvern Desktop. "
            "Until then, the Workflows screen shows each workflow's last run.",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
