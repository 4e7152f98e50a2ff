"""The sentence said before Qt would abort for want of a display or a library."""

from __future__ import annotations

from skyvern_desktop.core.display import display_problem


def _found(_name: str) -> str | None:
    return "libxcb-cursor.so.0"


def _missing(_name: str) -> str | None:
    return None


def test_no_display_at_all_is_said_plainly() -> None:
    problem = display_problem({}, "linux", _found)
    assert problem is not None
    assert "needs a graphical desktop" in problem and "--self-test" in problem


def test_x11_without_the_cursor_library_names_the_package() -> None:
    problem = display_problem({"DISPLAY": ":0"}, "linux", _missing)
    assert problem is not None and "sudo apt install libxcb-cursor0" in problem


def test_every_library_the_xcb_plugin_loads_is_checked_and_named_once() -> None:
    """Seen under a minimal X server: icccm and keysyms missing, the cursor library there."""

    def partly(name: str) -> str | None:
        return None if name in ("xcb-icccm", "xcb-keysyms") else f"lib{name}.so"

    problem = display_problem({"DISPLAY": ":99"}, "linux", partly)
    assert problem is not None
    assert problem.endswith("sudo apt install libxcb-icccm4 libxcb-keysyms1")


def test_a_working_desktop_or_a_chosen_platform_is_left_to_qt() -> None:
    assert display_problem({"DISPLAY": ":0"}, "linux", _found) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", _missing) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", _missing) is None
    assert display_problem({}, "win32", _missing) is None
    assert display_problem({}, "darwin", _missing) is None
