"""A remote browser's page as a surface one can use: it takes the keyboard while it has
focus (Escape gives the keyboard back to the window), shows where the pointer is on the
page, and scales clicks and the wheel to the remote page. Input leaves as CDP input events
(``core.remote_input``) through ``send``; pictures arrive as in any frame view.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from ...api.cdp_input import MODIFIER_ALT, MODIFIER_CTRL, MODIFIER_META, MODIFIER_SHIFT
from ...core.runs.remote_input import Event, Picture, mouse, press, typed, wheel
from .frames import FrameView

_QT_KEYS: dict[int, str] = {
    Qt.Key.Key_Return: "Enter", Qt.Key.Key_Enter: "Enter", Qt.Key.Key_Tab: "Tab",
    Qt.Key.Key_Backspace: "Backspace", Qt.Key.Key_Delete: "Delete", Qt.Key.Key_Home: "Home",
    Qt.Key.Key_End: "End", Qt.Key.Key_PageUp: "PageUp", Qt.Key.Key_PageDown: "PageDown",
    Qt.Key.Key_Left: "ArrowLeft", Qt.Key.Key_Right: "ArrowRight", Qt.Key.Key_Up: "ArrowUp",
    Qt.Key.Key_Down: "ArrowDown", Qt.Key.Key_Insert: "Insert",
}  # fmt: skip
_BUTTONS = {
    Qt.MouseButton.LeftButton: "left",
    Qt.MouseButton.RightButton: "right",
    Qt.MouseButton.MiddleButton: "middle",
}


def modifiers_of(mods: Qt.KeyboardModifier) -> int:
    value = 0
    if mods & Qt.KeyboardModifier.AltModifier:
        value |= MODIFIER_ALT
    if mods & Qt.KeyboardModifier.ControlModifier:
        value |= MODIFIER_CTRL
    if mods & Qt.KeyboardModifier.MetaModifier:
        value |= MODIFIER_META
    if mods & Qt.KeyboardModifier.ShiftModifier:
        value |= MODIFIER_SHIFT
    return value


class RemoteView(FrameView):
    """The remote page: pictures in, mouse and keys out (``sent(events)``)."""

    sent = Signal(object)  # list of events
    key_pressed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.remote_size: tuple[int, int] | None = None
        self.pointer: tuple[int, int] | None = None  # on the page, in its pixels
        self.input_enabled = False
        self.setAccessibleName("The remote browser's page")

    # ------------------------------------------------------------------ geometry

    def picture(self) -> Picture | None:
        image = self.image()
        if image is None or self.remote_size is None:
            return None
        rect = self._target()
        width, height = self.remote_size
        return Picture(rect.x(), rect.y(), rect.width(), rect.height(), width, height)

    def remote_point(self, pos: QPointF | QPoint) -> tuple[int, int] | None:
        picture = self.picture()
        return None if picture is None else picture.to_remote(pos.x(), pos.y())

    def view_point(self, x: int, y: int) -> QPoint | None:
        """Where page point ``(x, y)`` is in this view (tests click there)."""
        picture = self.picture()
        if picture is None:
            return None
        vx, vy = picture.to_view(x, y)
        return QPoint(round(vx), round(vy))

    # ------------------------------------------------------------------ input

    def _send(self, events: list[Event]) -> None:
        if self.input_enabled and events:
            self.sent.emit(events)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        point = self.remote_point(event.position())
        button = _BUTTONS.get(event.button())
        if point is not None:
            self.pointer = point
            self.update()
        if point is not None and button:
            self._send([mouse("mousePressed", *point, button=button, clicks=1,
                              modifiers=modifiers_of(event.modifiers()))])  # fmt: skip

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        point = self.remote_point(event.position())
        button = _BUTTONS.get(event.button())
        if point is not None and button:
            self._send([mouse("mouseReleased", *point, button=button, clicks=1,
                              modifiers=modifiers_of(event.modifiers()))])  # fmt: skip

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = self.remote_point(event.position())
        if point is None:
            return
        self.pointer = point
        self.update()
        held = next((n for b, n in _BUTTONS.items() if event.buttons() & b), "none")
        self._send([mouse("mouseMoved", *point, button=held,
                          modifiers=modifiers_of(event.modifiers()))])  # fmt: skip

    def wheelEvent(self, event: QWheelEvent) -> None:
        point = self.remote_point(event.position())
        if point is None:
            return
        delta = event.angleDelta()
        # One notch is 120 eighths of a degree; a browser scrolls about 100 px for it.
        self._send([wheel(*point, -delta.x() * 100 / 120, -delta.y() * 100 / 120,
                          modifiers=modifiers_of(event.modifiers()))])  # fmt: skip
        event.accept()

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab belongs to the page while the page has the keyboard

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.clearFocus()  # the keyboard goes back to the window
            self.focusNextChild()
            return
        mods = modifiers_of(event.modifiers())
        if event.matches(QKeySequence.StandardKey.Paste):
            self._send(typed(QGuiApplication.clipboard().text()[:2000]))
            self.key_pressed.emit()
            return
        if key == Qt.Key.Key_Backtab:
            events = press("Tab", modifiers=mods | MODIFIER_SHIFT)
        elif key in _QT_KEYS:
            events = press(_QT_KEYS[key], modifiers=mods)
        elif mods & (MODIFIER_CTRL | MODIFIER_META) and Qt.Key.Key_A <= key <= Qt.Key.Key_Z:
            # A shortcut (Ctrl+A, Ctrl+Z…): Qt's text is a control character; the page
            # wants the letter with the modifier.
            events = press(chr(key).lower(), modifiers=mods)
        elif text := event.text():
            name = text if len(text) == 1 else text[:1]
            events = press(name, text=name if name.isprintable() else "", modifiers=mods)
        else:
            return  # a lone modifier
        # A key held down repeats: each repeat is one more press.
        self._send(events)
        self.key_pressed.emit()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        event.accept()  # the release went with the press

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        if self.hasFocus():
            painter.setPen(QPen(QColor("#0969da"), 3))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
        if self.pointer is not None and (at := self.view_point(*self.pointer)) is not None:
            painter.setPen(QPen(QColor("#ff4d4f"), 2))
            painter.drawEllipse(at, 6, 6)
            painter.drawPoint(at)
        painter.end()
