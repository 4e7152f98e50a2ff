"""A run pane's first tab: where the run stands now, at a glance.

For a run that failed, stopped or timed out, first one sentence on what went wrong (the
reason, the block and the step where it happened, the server's category in words) and a
line on what to try. Then the status, the block it is in and its place in the run, how
long it has been going, the page the browser is on, and the browser itself: the live
picture while the server streams it, else the newest screenshot, and after the end the
last picture there was.
One plain line under the picture says which of these it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..dialogs import open_panel
from ..widgets.frames import FrameView
from ..widgets.status_badge import StatusBadge

if TYPE_CHECKING:
    from ...core.runs.failure import Explanation

LIVE_STYLE = (
    "QLabel { color: white; background: #cf222e; border-radius: 8px; padding: 1px 8px;"
    " font-weight: bold; }"
)
MUTED = "color: palette(placeholder-text);"
FAILURE_STYLE = (
    "QFrame#runWhy { background: #ffebe9; border: 1px solid #ff8182; border-radius: 4px; }"
    " QFrame#runWhy QLabel { color: #82071e; background: transparent; border: none; }"
)


class PictureLabel(QLabel):
    """A picture that enlarges when clicked."""

    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


def is_tall(image: QImage) -> bool:
    """A full-page capture: taller than it is wide. Scaled to fit the height, its text
    cannot be read; it is fitted to the width and scrolled instead."""
    return image.height() > image.width()


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
        self.tall_picture = PictureLabel()
        self.tall_picture.setObjectName("runOverviewPage")
        self.tall_picture.setToolTip("The whole page. Click to see it at full size.")
        self.tall_picture.setCursor(Qt.CursorShape.PointingHandCursor)
        self.tall_picture.clicked.connect(self.enlarge)
        self.tall = QScrollArea()
        self.tall.setObjectName("runOverviewPageScroll")
        self.tall.setWidget(self.tall_picture)
        self.tall.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        # A tall picture always scrolls: the bar is always there, so fitting the picture to
        # the width never makes it appear (and the width shrink) afterwards.
        self.tall.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.tall.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tall.hide()
        self._tall_image: QImage | None = None
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
        self.why = QFrame()
        self.why.setObjectName("runWhy")
        self.why.setStyleSheet(FAILURE_STYLE)
        self.failure = QLabel()
        self.failure.setObjectName("runFailure")
        self.advice = QLabel()
        self.advice.setObjectName("runFailureAdvice")
        self.failure_details = QLabel()
        self.failure_details.setObjectName("runFailureDetails")
        why = QVBoxLayout(self.why)
        for label in (self.failure, self.advice, self.failure_details):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            why.addWidget(label)
        font = self.failure.font()
        font.setBold(True)
        self.failure.setFont(font)
        self.why.hide()
        self._layout = layout = QVBoxLayout(self)
        layout.addWidget(self.why)
        layout.addLayout(head)
        layout.addLayout(page)
        layout.addWidget(self.frame, 1)
        layout.addWidget(self.tall, 1)
        layout.addWidget(self.note)
        self._full_url = ""

    def add_question(self, panel: QWidget) -> None:
        """A panel above the picture (a paused run's "Waiting for you"), so the person
        sees the question and the browser it is about together."""
        self._layout.insertWidget(3, panel)

    def explain(self, why: Explanation | None) -> None:
        """What went wrong, at the top; hidden for a run that did not end badly."""
        self.why.setVisible(why is not None)
        if why is None:
            return
        self.failure.setText(why.sentence)
        self.advice.setText(f"What to try: {why.advice}" if why.advice else "")
        self.advice.setVisible(bool(why.advice))
        self.failure_details.setText(why.details())
        self.failure_details.setVisible(bool(why.details()))

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
        self._fit_tall()

    def show_still(self, image: QImage) -> None:
        """A screenshot (not a live frame): a tall one is fitted to the width and scrolls."""
        self.frame.set_image(image)
        self._tall_image = image if is_tall(image) else None
        self.frame.setVisible(self._tall_image is None)
        self.tall.setVisible(self._tall_image is not None)
        self._fit_tall()

    def use_frame(self) -> None:
        """A live frame is shown: the picture is the frame view's again."""
        if self._tall_image is not None:
            self._tall_image = None
            self.tall.hide()
            self.frame.show()

    def _fit_tall(self) -> None:
        image = self._tall_image
        if image is None or not self.tall.isVisible():
            return
        width = max(100, self.tall.viewport().width())
        if self.tall_picture.width() == width and self.tall_picture.pixmap() is not None:
            return
        scaled = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        self.tall_picture.setPixmap(QPixmap.fromImage(scaled))
        self.tall_picture.resize(scaled.size())

    def enlarge(self) -> QDialog | None:
        """The whole page at full size, in a window of its own."""
        image = self._tall_image or self.frame.image()
        if image is None:
            return None
        label = QLabel()
        label.setPixmap(QPixmap.fromImage(image))
        scroll = QScrollArea()
        scroll.setWidget(label)
        return open_panel(
            self, "runOverviewPageDialog", "The page, at full size", scroll, (1100, 800)
        )

    def set_live(self, live: bool) -> None:
        self.live.setVisible(live)

    def show_picture(self, image: QImage | None, note: str) -> None:
        """A still picture (a screenshot, or the last frame) with the line that says so."""
        if image is not None:
            self.show_still(image)
        self.note.setText(note)
