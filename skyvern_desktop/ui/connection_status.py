"""The status bar's connection line, and the app's icon: the parts of the main window
that are not navigation or routing."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ..core.connection.check import ConnectionReport, ConnectionState
from .session import Session

_STATE_COLORS = {
    ConnectionState.CONNECTED: "#1a7f37",
    ConnectionState.CONNECTING: "#0969da",
    ConnectionState.DISCONNECTED: "#6e7781",
}
_PROBLEM_COLOR = "#cf222e"


class ConnectionStatus(QWidget):
    """``● Connected · Production · https://… · Skyvern 1.0.56``"""

    clicked = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionStatus")
        self._session = session
        self.dot = QLabel("●")
        self.dot.setObjectName("connectionDot")
        self.text = QLabel()
        self.text.setObjectName("connectionText")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.dot)
        layout.addWidget(self.text)
        layout.addStretch(1)
        session.state_changed.connect(self.show_report)
        self.show_report(session.report)

    def show_report(self, report: ConnectionReport) -> None:
        color = _STATE_COLORS.get(report.state, _PROBLEM_COLOR)
        self.dot.setStyleSheet(f"color: {color};")
        parts = [report.state.label]
        profile = self._session.profile
        if profile is not None:
            parts += [profile.name, profile.base_url]
        if report.version:
            parts.append(f"Skyvern {report.version}")
        self.text.setText(" · ".join(parts))
        self.setToolTip(report.message)
        self.setAccessibleName(f"Connection: {' , '.join(parts)}")


def app_icon() -> QIcon:
    from importlib.resources import files

    return QIcon(str(files("skyvern_desktop.resources").joinpath("skyvern-desktop.svg")))
