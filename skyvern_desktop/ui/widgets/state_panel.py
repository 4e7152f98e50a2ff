"""A content area that is never just blank: it shows the content, or says why not."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)


class PanelState(StrEnum):
    CONTENT = "content"
    LOADING = "loading"
    EMPTY = "empty"
    ERROR = "error"


class StatePanel(QStackedWidget):
    """Shows ``content``, or a loading / empty / error message with an optional action button."""

    action_clicked = Signal()

    def __init__(self, content: QWidget, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}State")
        self._content = content
        self.addWidget(content)

        self._message_page = QWidget()
        layout = QVBoxLayout(self._message_page)
        layout.addStretch(2)
        self._title = QLabel()
        self._title.setObjectName(f"{name}StateTitle")
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self._title.setFont(font)
        self._text = QLabel()
        self._text.setObjectName(f"{name}StateText")
        self._text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._busy = QProgressBar()
        self._busy.setObjectName(f"{name}StateBusy")
        self._busy.setRange(0, 0)
        self._busy.setMaximumWidth(240)
        self._busy.setTextVisible(False)
        self._button = QPushButton()
        self._button.setObjectName(f"{name}StateAction")
        self._button.clicked.connect(self.action_clicked)
        layout.addWidget(self._title)
        layout.addWidget(self._text)
        layout.addWidget(self._busy, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self._button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.setContentsMargins(48, 12, 48, 12)
        layout.addStretch(3)
        self.addWidget(self._message_page)
        self._state = PanelState.CONTENT

    @property
    def state(self) -> PanelState:
        return self._state

    @property
    def title_text(self) -> str:
        return self._title.text()

    @property
    def message_text(self) -> str:
        return self._text.text()

    def show_content(self) -> None:
        self._state = PanelState.CONTENT
        self.setCurrentWidget(self._content)

    def show_loading(self, title: str, text: str = "") -> None:
        self._show(PanelState.LOADING, title, text, None)

    def show_empty(self, title: str, text: str, action: str | None = None) -> None:
        self._show(PanelState.EMPTY, title, text, action)

    def show_error(self, title: str, text: str, action: str | None = "Try again") -> None:
        self._show(PanelState.ERROR, title, text, action)

    def _show(self, state: PanelState, title: str, text: str, action: str | None) -> None:
        self._state = state
        self._title.setText(title)
        self._text.setText(text)
        self._text.setVisible(bool(text))
        self._busy.setVisible(state is PanelState.LOADING)
        self._button.setVisible(action is not None)
        if action is not None:
            self._button.setText(action)
            self._button.setAccessibleName(action)
        self.setCurrentWidget(self._message_page)
