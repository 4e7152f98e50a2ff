"""Whether a window can be shown here, said in one plain sentence before Qt tries.

Without a display Qt's xcb plugin aborts the process (exit 134) with a hint about
``libxcb-cursor0`` that sends people the wrong way; with a display but without one of the
libraries the plugin loads (a minimal X server, a trimmed desktop) it aborts the same way.
Both are checked first, so the person reads what is wrong and the one command that fixes it.
"""

from __future__ import annotations

import ctypes.util
import sys
from collections.abc import Callable, Mapping
from typing import Final

# The X11 libraries Qt's xcb platform plugin loads (``ldd libqxcb.so``), beyond libxcb
# itself, with the Debian/Ubuntu package of each.
XCB_LIBRARIES: Final = (
    ("xcb-cursor", "libxcb-cursor0"),
    ("xcb-icccm", "libxcb-icccm4"),
    ("xcb-image", "libxcb-image0"),
    ("xcb-keysyms", "libxcb-keysyms1"),
    ("xcb-randr", "libxcb-randr0"),
    ("xcb-render-util", "libxcb-render-util0"),
    ("xcb-shape", "libxcb-shape0"),
    ("xcb-xkb", "libxcb-xkb1"),
    ("xkbcommon-x11", "libxkbcommon-x11-0"),
    ("X11-xcb", "libx11-xcb1"),
)


def display_problem(
    environ: Mapping[str, str],
    platform: str = sys.platform,
    find_library: Callable[[str], str | None] = ctypes.util.find_library,
) -> str | None:
    """What keeps a window from showing, or ``None`` when nothing does (or Qt's platform
    was chosen explicitly with ``QT_QPA_PLATFORM``, which is then Qt's to judge)."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return (
            "Skyvern Desktop needs a graphical desktop, and none was found here (neither"
            " DISPLAY nor WAYLAND_DISPLAY is set). Start it from your desktop session; to check"
            " it without a screen, add --self-test, or set QT_QPA_PLATFORM=offscreen."
        )
    if environ.get("WAYLAND_DISPLAY"):
        return None
    missing = [package for name, package in XCB_LIBRARIES if find_library(name) is None]
    if missing:
        return (
            "Skyvern Desktop needs X11 libraries that are missing here. On Debian or"
            f" Ubuntu install them with: sudo apt install {' '.join(missing)}"
        )
    return None
