"""Whether a window can be shown here, said in one plain sentence before Qt tries.

Without a display Qt's xcb plugin aborts the process (exit 134) with a hint about
``libxcb-cursor0`` that sends people the wrong way; with a display but without that library
it aborts too. Both are checked first, so the person reads what is wrong and what to do.
"""

from __future__ import annotations

import ctypes.util
import sys
from collections.abc import Callable, Mapping


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
    if not environ.get("WAYLAND_DISPLAY") and find_library("xcb-cursor") is None:
        return (
            "Skyvern Desktop needs the X11 cursor library, which is missing. On Debian or"
            " Ubuntu install it with: sudo apt install libxcb-cursor0"
        )
    return None
