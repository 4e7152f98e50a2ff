"""The whole app, composed as ``skyvern-desktop`` composes it, against the real server."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.api.secrets import Secret
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.check import ConnectionState
from skyvern_desktop.core.connection.profiles import Profile, ProfileKind, ProfileStore
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.logs import remove_logging, setup_logging
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.ui.widgets.state_panel import PanelState
from tests.fakes.server import FakeResponse, FakeServer
from tests.integration.helpers import WorkflowFactory, http_block, param, wait_block, wait_for_run
from tests.realserver import RealServer
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


async def test_environment_connects_at_once_without_a_profile(
    real_server: RealServer, monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore
) -> None:
    monkeypatch.setenv("SKYVERN_BASE_URL", real_server.base_url)
    monkeypatch.setenv("SKYVERN_API_KEY", real_server.api_key)
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    try:
        app.window.show()
        assert await app.connect_initial(interactive=True)
        assert app.session.report.state is ConnectionState.CONNECTED
        assert app.session.report.version == real_server.version
        await app.window.workflows.wait_loaded()
        status = app.window.findChild(QLabel, "connectionText")
        assert status is not None
        assert status.text().startswith("Connected · From environment")
        assert real_server.base_url in status.text()
        assert f"Skyvern {real_server.version}" in status.text()
        assert app.store.profiles == []  # the environment is never saved
    finally:
        await app.aclose()


async def test_the_window_mode_paints_first_then_builds_the_flows_and_connects(
    real_server: RealServer, monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore,
    workflows: WorkflowFactory,
) -> None:  # fmt: skip
    """``run()`` as the window mode starts it: the window paints before the flows exist
    (a person sees it sooner), then they are built, the connection is made and the list
    loads; the flows get what was asked of the app before they existed (``--local``)."""
    monkeypatch.setenv("SKYVERN_BASE_URL", real_server.base_url)
    monkeypatch.setenv("SKYVERN_API_KEY", real_server.api_key)
    wpid = await workflows.create("Painted first", [], [wait_block("w", 1)])
    app = DesktopApp(app_paths().ensure(), keys=no_keyring, compose=False)
    assert not app.composed and not hasattr(app, "connections")
    composed_at_paint: list[bool] = []

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if watched is app.window and event.type() is QEvent.Type.Paint:
                composed_at_paint.append(app.composed)
            return False

    watcher = FirstPaint()
    app.window.installEventFilter(watcher)
    running = asyncio.ensure_future(app.run())
    try:
        await wait_until(lambda: app.composed, what="the flows built")
        assert composed_at_paint[:1] == [False]
        assert app.connections.use_local is False
        await wait_until(
            lambda: app.session.report.state is ConnectionState.CONNECTED, what="connected"
        )
        await app.window.workflows.wait_loaded()
        assert app.window.workflows.panel.state is PanelState.CONTENT
        assert app.window.workflows.model.row_of(wpid) is not None
        app.window.close()
        assert await asyncio.wait_for(running, 10) == 0
    finally:
        app.window.removeEventFilter(watcher)
        if not running.done():
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        await app.aclose()


async def test_quitting_before_the_flows_are_built_is_clean(no_keyring: KeyStore) -> None:
    """A quit (a signal, say) during the first paint: nothing of the flows to close, the
    tasks and the session still closed, the window gone; --local reaches flows built later."""
    hook = sys.excepthook
    app = DesktopApp(app_paths().ensure(), keys=no_keyring, compose=False)
    await app.show_window()
    assert app.window.isVisible() and not app.composed
    assert sys.excepthook is not hook  # the app's reporter took it
    await app.aclose()
    assert app.tasks.names == [] and app.session.client is None
    assert sys.excepthook is hook and not shiboken6.isValid(app.window)
    again = DesktopApp(app_paths().ensure(), keys=no_keyring, compose=False)
    try:
        again.use_local = True
        again.compose()
        assert again.connections.use_local is True
    finally:
        await again.aclose()


async def test_a_bad_key_shows_in_the_status_bar(
    real_server: RealServer, monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore
) -> None:
    monkeypatch.setenv("SKYVERN_BASE_URL", real_server.base_url)
    monkeypatch.setenv("SKYVERN_API_KEY", "wrong-key-0123456789")
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    try:
        await app.connect_initial(interactive=False)
        assert app.session.report.state is ConnectionState.BAD_KEY
        status = app.window.findChild(QLabel, "connectionText")
        assert status is not None
        assert status.text().startswith("Bad API key")
        await app.window.workflows.wait_loaded()
        page = app.window.workflows
        assert page.panel.title_text == "Could not load the workflows"
        assert "API key was refused" in page.panel.message_text
    finally:
        await app.aclose()


async def test_uncaught_errors_are_logged_and_shown(no_keyring: KeyStore) -> None:
    paths = app_paths().ensure()
    app = DesktopApp(paths, keys=no_keyring, headless=True)
    setup_logging(paths.log_file)
    try:

        async def boom() -> None:
            raise RuntimeError("kaboom in a task")

        app.tasks.spawn("test.boom", boom())
        await wait_until(lambda: app.reporter.history, what="the error report")
        report = app.reporter.history[-1]
        assert "kaboom in a task" in report.message
        assert "test.boom" in report.title
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "kaboom in a task" in paths.log_file.read_text()
    finally:
        await app.aclose()
        remove_logging()


async def test_quit_cancels_tasks_and_closes_the_client(
    real_server: RealServer, monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore
) -> None:
    monkeypatch.setenv("SKYVERN_BASE_URL", real_server.base_url)
    monkeypatch.setenv("SKYVERN_API_KEY", real_server.api_key)
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    await app.connect_initial(interactive=False)
    client = app.session.client
    assert client is not None

    async def forever() -> None:
        await asyncio.sleep(3600)

    task = app.tasks.spawn("test.forever", forever())
    app.window.show()
    app.window.close()  # what the user does
    await app.aclose()
    assert task.cancelled()
    assert client.is_closed
    assert app.tasks.names == []
    gc.collect()


async def test_window_state_survives_a_restart(no_keyring: KeyStore) -> None:
    paths = app_paths().ensure()
    first = DesktopApp(paths, keys=no_keyring)
    first.window.resize(720, 560)
    first.window.show()
    first.window.show_page("schedules")
    first.window.workflows.splitter.setSizes([300, 420])
    sizes = first.window.workflows.splitter.sizes()
    first.window.close()
    await first.aclose()
    assert Path(paths.ui_state_file).is_file()

    second = DesktopApp(paths, keys=no_keyring)
    try:
        second.window.show()
        await asyncio.sleep(0.05)
        assert (second.window.width(), second.window.height()) == (720, 560)
        assert second.window.current_page() == "schedules"
        assert second.window.workflows.splitter.sizes() == sizes
    finally:
        await second.aclose()


async def test_a_saved_key_never_goes_to_the_environments_other_server(
    monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore, fake_server: FakeServer
) -> None:
    paths = app_paths().ensure()
    store = ProfileStore(paths.profiles_file)
    saved = Profile(name="Saved", kind=ProfileKind.SELF_HOSTED, base_url="http://127.0.0.1:9")
    store.upsert(saved)
    store.set_active(saved.id)
    no_keyring.set(saved.id, Secret("saved-profile-key-0123456789"), memory_only=True)
    fake_server.always("GET", "/v1/version", FakeResponse.of_json({"version": "1.0.56"}))
    monkeypatch.setenv("SKYVERN_BASE_URL", fake_server.url)  # no SKYVERN_API_KEY
    app = DesktopApp(paths, keys=no_keyring)
    try:
        await app.connect_initial(interactive=False)
        assert app.session.report.state is ConnectionState.NO_KEY
        assert app.session.profile is not None
        assert app.session.profile.is_environment
        await app.window.workflows.wait_loaded()
        sent = [r.header("x-api-key") for r in fake_server.requests]
        assert sent
        assert set(sent) == {None}
    finally:
        await app.aclose()


async def test_the_environment_key_overrides_a_saved_profile_on_the_same_server(
    monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore, real_server: RealServer
) -> None:
    paths = app_paths().ensure()
    store = ProfileStore(paths.profiles_file)
    saved = Profile(name="Saved", kind=ProfileKind.SELF_HOSTED, base_url=real_server.base_url)
    store.upsert(saved)
    no_keyring.set(saved.id, Secret("stale-key-0123456789"), memory_only=True)
    monkeypatch.setenv("SKYVERN_API_KEY", real_server.api_key)
    app = DesktopApp(paths, keys=no_keyring)
    try:
        await app.connect_initial(interactive=False)
        assert app.session.report.state is ConnectionState.CONNECTED
        assert app.session.profile == saved
    finally:
        await app.aclose()


async def test_an_exception_in_a_qt_slot_reaches_the_dialog_and_the_log(
    no_keyring: KeyStore, qtbot: QtBot
) -> None:
    paths = app_paths().ensure()
    setup_logging(paths.log_file)
    app = DesktopApp(paths, keys=no_keyring)
    try:
        button = QPushButton("Break")
        qtbot.addWidget(button)

        def broken() -> None:
            raise ValueError("slot exploded")

        button.clicked.connect(broken)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: app.reporter.history, what="the error report")
        report = app.reporter.history[-1]
        assert report.title == "Skyvern Desktop hit an unexpected problem."
        assert "slot exploded (ValueError)" in report.message
        # One sentence, not "…problem.: Something went wrong… (ValueError: …)"
        assert (
            report.line == "Skyvern Desktop hit an unexpected problem: slot exploded (ValueError)."
        )
        box = app.window.findChild(QMessageBox, "errorDialog")
        assert box is not None
        assert box.isVisible()
        assert str(paths.log_file) in box.informativeText()
        box.close()
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "slot exploded" in paths.log_file.read_text()
    finally:
        await app.aclose()
        remove_logging()


async def test_enter_opens_the_launcher_and_rerun_fills_it_in(
    real_server: RealServer,
    monkeypatch: pytest.MonkeyPatch,
    no_keyring: KeyStore,
    workflows: WorkflowFactory,
    qtbot: QtBot,
) -> None:
    url = f"{real_server.base_url}/v1/version"
    wpid = await workflows.create("Rerun me", [param("note", "string")], [http_block(url=url)])
    async with SkyvernClient(real_server.base_url, real_server.api_key) as client:
        first = await client.run_workflow(
            WorkflowRunRequest(workflow_id=wpid, parameters={"note": "from the first run"})
        )
        await wait_for_run(client, first.run_id)
    monkeypatch.setenv("SKYVERN_BASE_URL", real_server.base_url)
    monkeypatch.setenv("SKYVERN_API_KEY", real_server.api_key)
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    try:
        app.window.show()
        await app.connect_initial(interactive=False)
        page = app.window.workflows
        await page.wait_loaded()
        await app.tasks.join()
        assert page.select_workflow(wpid)
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
        await wait_until(lambda: len(app.launch.forms) == 1, what="the launcher")
        launcher = app.launch.forms[0]
        assert launcher.workflow.workflow_permanent_id == wpid
        assert launcher.editors["note"].text() == ""
        launcher.close()
        await wait_until(lambda: not app.launch.forms, what="the launcher to close")

        rerun = page.details.findChild(QPushButton, "workflowRerunButton")
        assert rerun is not None
        assert rerun.isEnabled()
        qtbot.mouseClick(rerun, Qt.MouseButton.LeftButton)
        await wait_until(lambda: len(app.launch.forms) == 1, what="the rerun launcher")
        assert app.launch.forms[0].editors["note"].text() == "from the first run"
        await app.tasks.join()
    finally:
        await app.aclose()
