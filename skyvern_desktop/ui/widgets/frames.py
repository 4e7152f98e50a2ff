"""The live picture of a run's browser: decoded off the event loop's thread, newest wins.

A frame is a JPEG (or PNG) of up to 1920×1080 that may come ten times a second. Decoding
and scaling one takes several milliseconds, so it happens in a worker thread (``QImage``
and ``QImageReader`` are safe there; only ``QPixmap`` is not), already at the size the
view shows it. While a frame is being decoded, newer ones replace the one waiting:
frames never queue up, and the view always moves to the newest picture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...api.stream import Frame

BACKGROUND = QColor("#24292f")
TEXT = QColor("#d0d7de")

Spawn = Callable[[str, Coroutine[Any, Any, None]], object]


def decode_frame(data: bytes, fmt: str, fit: QSize) -> QImage | None:
    """The picture in ``data``, scaled to fit ``fit`` with its aspect kept (a JPEG is
    decoded at a reduced size directly); ``None`` when it is not a picture."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    reader = QImageReader(buffer, fmt.encode("ascii", "ignore") or b"")
    reader.setDecideFormatFromContent(True)
    size = reader.size()
    if (
        size.isValid()
        and fit.isValid()
        and (size.width() > fit.width() or size.height() > fit.height())
    ):
        reader.setScaledSize(size.scaled(fit, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    buffer.close()
    return None if image.isNull() else image


class FrameView(QWidget):
    """A picture scaled to fit with its aspect kept, on a dark ground; a line of text
    in its place when there is no picture."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setMinimumSize(240, 135)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None
        self._pixmap: QPixmap | None = None
        self._text = ""

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self._pixmap = None
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def set_text(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.update()

    def text(self) -> str:
        return self._text

    def fit_size(self) -> QSize:
        """The size pictures are decoded at: the view's, in device pixels."""
        ratio = self.devicePixelRatioF()
        return QSize(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))

    def _target(self) -> QRect:
        assert self._image is not None
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRect(0, 0, size.width(), size.height())
        rect.moveCenter(self.rect().center())
        return rect

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._image is not None:
            target = self._target()
            if self._pixmap is None:
                self._pixmap = QPixmap.fromImage(self._image)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, self._pixmap)
        elif self._text:
            painter.setPen(TEXT)
            painter.drawText(
                self.rect().adjusted(16, 16, -16, -16),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._text,
            )
        painter.end()


class FrameSlot:
    """Newest-wins decoding for one view. ``offer`` never blocks and never queues:

    - ``received``: frames offered;
    - ``shown``: frames decoded and put on screen;
    - ``replaced``: frames a newer one replaced before they were decoded;
    - ``dropped``: frames that were not a picture.

    While ``active`` is false (the pane is hidden) frames are kept, not decoded: the
    newest is decoded when the pane shows again.
    """

    def __init__(self, view: FrameView, spawn: Spawn, name: str) -> None:
        self._view = view
        self._spawn = spawn
        self._name = name
        self._pending: Frame | None = None
        self.latest: Frame | None = None
        self._busy = False
        self.active = False
        self.received = 0
        self.shown = 0
        self.replaced = 0
        self.dropped = 0
        self.on_shown: Callable[[], None] | None = None

    def offer(self, frame: Frame) -> None:
        self.received += 1
        if self._pending is not None:
            self.replaced += 1
        self._pending = frame
        self.latest = frame
        self._kick()

    def set_active(self, active: bool) -> None:
        self.active = active
        if active and self._pending is None and self.latest is not None:
            # Shown again, or resized: the newest picture at the view's new size.
            self._pending = self.latest
        self._kick()

    def _kick(self) -> None:
        if self.active and not self._busy and self._pending is not None:
            self._busy = True
            self._spawn(self._name, self._drain())

    async def _drain(self) -> None:
        try:
            while self.active and self._pending is not None:
                frame, self._pending = self._pending, None
                fit = self._view.fit_size()
                image = await asyncio.to_thread(decode_frame, frame.image, frame.format, fit)
                if image is None:
                    self.dropped += 1
                    continue
                self._view.set_image(image)
                self.shown += 1
                if self.on_shown is not None:
                    self.on_shown()
        finally:
            self._busy = False
