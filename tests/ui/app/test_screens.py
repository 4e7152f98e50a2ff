"""One table of screens drives the sidebar, the View menu, the shortcuts, the lazy build
and ``--screenshot --view``; each screen answers the window's protocol."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.__main__ import VIEWS
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.ui.changes import ChangeKind
from skyvern_desktop.ui.screen import Screen
from skyvern_desktop.ui.screens import SCREENS
from tests.ui.conftest import wait_until

PAGE_NAMES = {
    "workflows": "workflowsPage", "runs": "runsPage", "schedules": "schedulesPage",
    "batches": "batchesPage", "logins": "loginsPage",
}  # fmt: skip


def test_every_screen_is_in_the_table_once_with_its_own_shortcut() -> None:
    keys = [s.key for s in SCREENS]
    assert keys == list(PAGE_NAMES)
    assert [s.shortcut for s in SCREENS] == [f"Ctrl+{n}" for n in range(1, len(SCREENS) + 1)]
    assert set(keys) <= set(VIEWS)  # --screenshot --view renders each


@pytest.mark.asyncio
async def test_ctrl_1_to_n_shows_each_screen_built_on_first_use(
    qtbot: QtBot, no_keyring: KeyStore
) -> None:
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    window = app.window
    try:
        window.show()
        window.activateWindow()
        await wait_until(lambda: QApplication.activeWindow() is window, what="an active window")
        assert window.built("runs") is None  # not built until first shown
        for n, screen in enumerate(SCREENS, start=1):
            button = window.findChild(QToolButton, f"nav{screen.label}")
            assert button is not None and button.toolTip() == f"{screen.label} (Ctrl+{n})"
            action = window.findChild(QAction, f"action{screen.key.capitalize()}")
            assert action is not None and action.shortcut().toString() == f"Ctrl+{n}"
            qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + n), Qt.KeyboardModifier.ControlModifier)
            current = window.stack.currentWidget()
            assert current is not None and current.objectName() == PAGE_NAMES[screen.key]
            assert window.current_page() == screen.key and button.isChecked()
            assert isinstance(current, Screen)
    finally:
        await app.aclose()


@pytest.mark.asyncio
async def test_ctrl_r_refreshes_the_screen_on_show_whichever_it_is(
    qtbot: QtBot, no_keyring: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    window = app.window
    refreshed: list[str] = []
    try:
        window.show()
        window.activateWindow()
        await wait_until(lambda: QApplication.activeWindow() is window, what="an active window")
        for screen in SCREENS:
            page = window.screen_for(screen.key)
            monkeypatch.setattr(page, "refresh", lambda k=screen.key: refreshed.append(k))
        for n, screen in enumerate(SCREENS, start=1):
            qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + n), Qt.KeyboardModifier.ControlModifier)
            refreshed.clear()
            qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
            assert refreshed == [screen.key]
    finally:
        await app.aclose()


@pytest.mark.asyncio
async def test_a_change_is_heard_by_every_screen_built(
    no_keyring: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    heard: list[tuple[str, ChangeKind]] = []
    try:
        for key in ("workflows", "schedules"):
            page = app.window.screen_for(key)
            monkeypatch.setattr(page, "on_change", lambda c, k=key: heard.append((k, c.kind)))
        app.ctx.changes.announce(ChangeKind.SCHEDULES, "wpid_1")
        assert sorted(heard) == [
            ("schedules", ChangeKind.SCHEDULES), ("workflows", ChangeKind.SCHEDULES),
        ]  # fmt: skip
        assert app.window.built("logins") is None  # a change builds no screen
    finally:
        await app.aclose()


@pytest.mark.asyncio
async def test_the_window_state_of_each_screen_survives_a_restart(no_keyring: KeyStore) -> None:
    paths = app_paths().ensure()
    first = DesktopApp(paths, keys=no_keyring)
    first.window.show()
    first.window.runs.splitter.setSizes([400, 300])
    sizes = first.window.runs.splitter.sizes()
    first.window.show_page("logins")
    first.window.close()
    await first.aclose()
    second = DesktopApp(paths, keys=no_keyring)
    try:
        second.window.show()
        assert second.window.current_page() == "logins"
        assert second.window.runs.splitter.sizes() == sizes
    finally:
        await second.aclose()
