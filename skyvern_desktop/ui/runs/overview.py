"""A run pane's first tab: where the run stands now, at a glance.

The status, the block it is in and its place in the run, how long it has been going,
the page the browser is on, and the browser itself: the live picture while the server
streams it, else the newest screenshot, and after the end the last picture there was.
One plain line under the picture says which of these it is.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..widgets.frames import FrameView
from ..widgets.status_badge import StatusBadge

LIVE_STYLE = (
    "QLabel { color: white; background: #cf222e; border-radius: 8px; padding: 1px 8px;"
    " font-weight: bold; }"
)
MUTED = "color: palette(placeholder-text);"


class RunOverview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runOverview")
        self.badge = StatusBadge("runOverviewStatus")
        self.block = QLabel("Block: —")
        self.block.setObjectName("runOverviewBlock")
        self.block.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.elapsed = QLabel("")
        self.elapsed.setObjectName("runOverviewElapsed")
        self.live = QLabel("● LIVE")
        self.live.setObjectName("runOverviewLive")
        self.live.setStyleSheet(LIVE_STYLE)
        self.live.setToolTip("The picture below is the run's browser, live.")
        self.live.hide()
        self.url = QLabel("")
        self.url.setObjectName("runOverviewUrl")
        self.url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url.setTextFormat(Qt.TextFormat.PlainText)
        self.url.setMinimumWidth(100)
        self.frame = FrameView("runLiveFrame")
        self.note = QLabel("")
        self.note.setObjectName("runOverviewNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(MUTED)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        head = QHBoxLayout()
        head.addWidget(self.badge)
        head.addSpacing(8)
        head.addWidget(self.block, 1)
        head.addWidget(self.elapsed)
        head.addSpacing(8)
        head.addWidget(self.live)
        page = QHBoxLayout()
        page_label = QLabel("Page:")
        page_label.setStyleSheet(MUTED)
        page.addWidget(page_label)
        page.addWidget(self.url, 1)
        self._layout = layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(page)
        layout.addWidget(self.frame, 1)
        layout.addWidget(self.note)
        self._full_url = ""

    def add_question(self, panel: QWidget) -> None:
        """A panel above the picture (a paused run's "Waiting for you"), so the person
        sees the question and the browser it is about together."""
        self._layout.insertWidget(2, panel)

    def set_url(self, url: str | None) -> None:
        url = url or ""
        if url == self._full_url:
            return
        self._full_url = url
        self.url.setToolTip(url)
        self._elide_url()

    def url_text(self) -> str:
        return self._full_url

    def _elide_url(self) -> None:
        metrics = self.url.fontMetrics()
        width = max(100, self.url.width())
        shown = metrics.elidedText(self._full_url, Qt.TextElideMode.ElideMiddle, width)
        self.url.setText(shown or "—")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide_url()

    def set_live(self, live: bool) -> None:
        self.live.setVisible(live)

    def show_picture(self, image: QImage | None, note: str) -> None:
        """A still picture (a screenshot, or the last frame) with the line that says so."""
        if image is not None:
            self.frame.set_image(image)
        self.note.setText(note)
