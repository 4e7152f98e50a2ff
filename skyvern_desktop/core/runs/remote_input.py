"""Input for a remote browser, without widgets: the events skyvern's CDP input socket takes
(:mod:`..api.cdp_input`), and where a point of the picture is on the remote page.

Key events follow Chrome DevTools' ``Input.dispatchKeyEvent``: a key that types a character
is a ``keyDown`` carrying ``text``; any other key (Enter, Tab, arrows, Backspace…) is a
``rawKeyDown`` with its Windows virtual key code, which is how the page's editing actions
happen; both end with a ``keyUp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

Event = dict[str, Any]

NAMED_KEYS: Final[dict[str, tuple[int, str]]] = {
    # DOM key name: (Windows virtual key code, DOM code)
    "Enter": (13, "Enter"),
    "Tab": (9, "Tab"),
    "Backspace": (8, "Backspace"),
    "Escape": (27, "Escape"),
    "Delete": (46, "Delete"),
    "Home": (36, "Home"),
    "End": (35, "End"),
    "PageUp": (33, "PageUp"),
    "PageDown": (34, "PageDown"),
    "ArrowLeft": (37, "ArrowLeft"),
    "ArrowUp": (38, "ArrowUp"),
    "ArrowRight": (39, "ArrowRight"),
    "ArrowDown": (40, "ArrowDown"),
    "Insert": (45, "Insert"),
}
TEXT_OF_KEY: Final = {"Enter": "\r"}


def _code_of(char: str) -> str:
    if char.isascii() and char.isalpha():
        return f"Key{char.upper()}"
    if char.isascii() and char.isdigit():
        return f"Digit{char}"
    return {" ": "Space", "-": "Minus", ".": "Period", ",": "Comma", "@": "Digit2"}.get(char, "")


def _vk_of(char: str) -> int | None:
    if char.isascii() and (char.isalpha() or char.isdigit()):
        return ord(char.upper())
    return 32 if char == " " else None


def press(key: str, *, text: str = "", modifiers: int = 0, code: str = "") -> list[Event]:
    """The events of one key press: ``key`` is a DOM key name ("a", "Enter", "ArrowLeft");
    ``text`` the character it types, if any. With Ctrl, Alt or Meta held, nothing is typed
    (a shortcut), as a browser does it."""
    if key in NAMED_KEYS:
        vk, named_code = NAMED_KEYS[key]
        down: Event = {
            "kind": "keyEvent", "eventType": "rawKeyDown", "key": key, "code": code or named_code,
            "windowsVirtualKeyCode": vk, "modifiers": modifiers,
        }  # fmt: skip
        if key in TEXT_OF_KEY and not modifiers & 0b0111:
            down = {**down, "eventType": "keyDown", "text": TEXT_OF_KEY[key]}
    else:
        down = {"kind": "keyEvent", "eventType": "keyDown", "key": key,
                "code": code or _code_of(key), "modifiers": modifiers}  # fmt: skip
        shortcut = modifiers & 0b0111  # Alt, Ctrl, Meta
        if text and len(text) == 1 and text.isprintable() and not shortcut:
            down["text"] = text
        else:
            down["eventType"] = "rawKeyDown"
        if (code_number := _vk_of(key)) is not None:
            down["windowsVirtualKeyCode"] = code_number
    up = {k: v for k, v in down.items() if k != "text"} | {"eventType": "keyUp"}
    return [down, up]


def typed(text: str) -> list[Event]:
    """The key presses that type ``text`` (one printable character at a time)."""
    events: list[Event] = []
    for char in text:
        events += press(char, text=char)
    return events


@dataclass(frozen=True, slots=True)
class Picture:
    """Where the remote page's picture is drawn: its rectangle in the view (after
    aspect-fit), and the remote viewport's size in CSS pixels."""

    left: float
    top: float
    width: float
    height: float
    remote_width: int
    remote_height: int

    def to_remote(self, x: float, y: float) -> tuple[int, int] | None:
        """The page point under view point ``(x, y)``; ``None`` outside the picture."""
        if self.width <= 0 or self.height <= 0:
            return None
        fx, fy = (x - self.left) / self.width, (y - self.top) / self.height
        if not (0.0 <= fx < 1.0 and 0.0 <= fy < 1.0):
            return None
        return int(fx * self.remote_width), int(fy * self.remote_height)

    def to_view(self, x: float, y: float) -> tuple[float, float]:
        """The view point over page point ``(x, y)`` (the cursor mark, tests)."""
        return (
            self.left + (x + 0.5) * self.width / self.remote_width,
            self.top + (y + 0.5) * self.height / self.remote_height,
        )


def mouse(
    event_type: str, x: int, y: int, *, button: str = "none", clicks: int = 0, modifiers: int = 0
) -> Event:
    return {
        "kind": "mouseEvent", "eventType": event_type, "x": x, "y": y, "button": button,
        "clickCount": clicks, "modifiers": modifiers,
    }  # fmt: skip


def wheel(x: int, y: int, dx: float, dy: float, *, modifiers: int = 0) -> Event:
    return {"kind": "wheelEvent", "x": x, "y": y, "deltaX": dx, "deltaY": dy,
            "modifiers": modifiers}  # fmt: skip


def click(x: int, y: int) -> list[Event]:
    """A left click at a page point: move there, press, release."""
    return [
        mouse("mouseMoved", x, y),
        mouse("mousePressed", x, y, button="left", clicks=1),
        mouse("mouseReleased", x, y, button="left", clicks=1),
    ]
