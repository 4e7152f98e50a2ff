"""The managed local server, for real: the app starts Skyvern on this computer, imports
the examples, runs one to the end, and leaves nothing running when it quits.

The server comes from the environment ``scripts/skyvern-test-server ensure`` builds; the
app is pointed at its ``skyvern`` program the way a user does in Settings
(``SKYVERN_DESKTOP_SKYVERN``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_asyncio
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from skyvern_desktop.api.models import RunStatus, WorkflowRunRequest
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.profiles import ProfileKind
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.core.server.runtime import SKYVERN_VERSION
from skyvern_desktop.ui.local.controller import ServerState
from skyvern_desktop.ui.local.dialogs import CommandDialog
from tests.conftest import NoSkyvern
from tests.realserver import RealServer
from tests.support.server_build import ServerEnvironment
from tests.ui.conftest import message_box, wait_until

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[3]


def _skyvern_program() -> Path:
    env = ServerEnvironment.default()
    program = env.root / ("Scripts/skyvern.exe" if os.name == "nt" else "bin/skyvern")
    if not program.exists():
        pytest.fail(f"no Skyvern server environment at {env.root}", pytrace=False)
    return program


def _servers_in(folder: Path) -> list[int]:
    """Processes whose working folder is inside ``folder`` (the server runs in its data
    folder; the browsers it starts inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if cwd == folder or folder in cwd.parents:
            found.append(int(entry.name))
    return found


@pytest_asyncio.fixture
async def local_app(
    monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore, real_server: RealServer
) -> DesktopApp:
    """The app with --local, using the test server's environment (``real_server`` makes
    sure it exists and that its browser is linked)."""
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)
    monkeypatch.delenv("SKYVERN_API_KEY", raising=False)
    monkeypatch.setenv("SKYVERN_DESKTOP_SKYVERN", str(_skyvern_program()))
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    app.connections.use_local = True
    return app


@pytest.mark.asyncio
async def test_the_app_starts_a_local_server_runs_an_example_and_leaves_nothing(
    local_app: DesktopApp,
) -> None:
    app = local_app
    data_dir = app.local.process.data_dir
    try:
        app.window.show()
        assert await app.connect_initial(interactive=True)
        assert app.local.process.state is ServerState.RUNNING
        server = app.local.process.server
        assert server is not None and server.pid is not None
        pid = server.pid
        client = app.session.client
        assert client is not None and client.base_url == server.base_url
        assert server.base_url.startswith("http://127.0.0.1:")
        # The key is stored like any other connection's key, for the local profile.
        profile = app.store.active
        assert profile is not None and profile.kind is ProfileKind.LOCAL
        stored = app.keys.get(profile.id)
        assert stored is not None and stored.reveal() == server.api_key()
        await app.window.workflows.wait_loaded()
        titles = {r.workflow.title: r.wpid for r in app.window.workflows.model.rows}
        assert set(titles) >= {
            "Example: wait a moment",
            "Example: ask the server its version",
            "Example: inputs of every kind",
            "Example: open a web page",
        }
        # The first minute: a run of an example completes with real output.
        wpid = titles["Example: ask the server its version"]
        run = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.on_run_started(run)
        pane = app.window.runs.panes[run.run_id]
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=60)
        assert pane.run is not None and pane.run.status == RunStatus.COMPLETED
        body = pane.output.tree_model.value["fetch_output"]["response_body"]
        assert body == {"version": SKYVERN_VERSION}
        # Examples are imported once: a second import adds nothing.
        from skyvern_desktop.core.server.examples import import_examples

        assert await import_examples(client, data_dir) == []
        assert _servers_in(data_dir)
        # The log viewer shows the server's own log.
        app.local.show_log()
        viewer = next(
            w for w in QApplication.topLevelWidgets()
            if w.objectName() == "localLogViewer" and w.isVisible()
        )  # fmt: skip
        view = viewer.findChild(QPlainTextEdit, "localLogView")
        assert view is not None and "Server started" in view.toPlainText()
        assert "\x1b[" not in view.toPlainText()  # no terminal colour codes
        viewer.close()
        await app.tasks.join()
    finally:
        await app.aclose()
    # Quitting stops the server and everything it started.
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert _servers_in(data_dir) == []
    # Only the port is remembered (the next start uses it again when it is free).
    state = json.loads((data_dir / "server.json").read_text())
    assert state == {"port": int(server.base_url.rsplit(":", 1)[1])}


@pytest.mark.asyncio
async def test_a_crash_is_shown_and_restart_brings_it_back(local_app: DesktopApp) -> None:
    app = local_app
    try:
        app.window.show()
        assert await app.connect_initial(interactive=False)
        server = app.local.process.server
        assert server is not None and server.pid is not None
        first = server.pid
        os.killpg(first, signal.SIGKILL)  # the server dies under the app
        box = await message_box("localCrashed")
        assert "stopped unexpectedly" in box.text()
        assert app.local.process.state is ServerState.CRASHED
        assert "Local server: stopped unexpectedly" in app.window.message.text()
        await wait_until(lambda: app.session.client is None, what="disconnected")
        restart = box.findChild(QPushButton, "localCrashedRestart")
        assert restart is not None
        restart.click()
        await wait_until(lambda: app.local.process.state is ServerState.RUNNING, within=120)
        await wait_until(
            lambda: app.session.client is not None and app.session.report.ok,
            within=30,
            what="connected again",
        )
        again = app.local.process.server
        assert again is not None and again.pid not in (None, first)
        client = app.session.client
        assert client is not None
        assert (await client.version()).version == SKYVERN_VERSION
        await app.tasks.join()
    finally:
        await app.aclose()
    assert _servers_in(app.local.process.data_dir) == []


@pytest.mark.asyncio
async def test_a_missing_skyvern_shows_the_command_that_installs_it(
    monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore, tmp_path: Path, no_skyvern: NoSkyvern
) -> None:
    monkeypatch.delenv("SKYVERN_DESKTOP_SKYVERN", raising=False)
    monkeypatch.setenv("SKYVERN_DESKTOP_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    app.connections.use_local = True
    try:
        app.window.show()
        assert not await app.local.start()
        dialog = app.local.start_windows[-1]
        assert dialog.isVisible()
        title = dialog.findChild(QLabel, "localStartTitle")
        assert title is not None and "not installed" in title.text()
        command = dialog.findChild(QLineEdit, "localCommand")
        assert command is not None and command.isVisible()
        assert command.text().endswith(f"-m pip install 'skyvern[server]=={SKYVERN_VERSION}'")
        assert sys.executable in command.text()
        assert app.local.process.state is ServerState.STOPPED
        assert app.session.client is None
        dialog.close()

        # A chosen program that is not there is named.
        app.local.process.set_program(str(tmp_path / "nowhere" / "skyvern"))
        assert not await app.local.start()
        problem = app.local.start_windows[-1].findChild(QLabel, "localStartProblem")
        assert problem is not None and "There is no program at" in problem.text()
        app.local.start_windows[-1].close()
        await app.tasks.join()
    finally:
        await app.aclose()


def test_self_test_with_local_starts_reports_and_stops(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "SKYVERN_DESKTOP_HOME": str(home),
        "SKYVERN_DESKTOP_SKYVERN": str(_skyvern_program()),
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("SKYVERN_BASE_URL", None)
    env.pop("SKYVERN_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--local", "--self-test"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "OK: connected to http://127.0.0.1:" in done.stdout
    assert "4 workflows" in done.stdout  # the examples
    assert _servers_in(home) == []


@pytest.mark.asyncio
async def test_a_command_shows_its_output_as_it_comes_and_how_it_ended(qtbot: QtBot) -> None:
    """What "Install the browser…" uses: the command's output, live, and its outcome."""
    script = "import sys, time\nprint('downloading', flush=True)\ntime.sleep(0.3)\nsys.exit(3)"
    dialog = CommandDialog("Installing", [sys.executable, "-c", script])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    await wait_until(lambda: dialog.exit_code is not None, within=20)
    output = dialog.findChild(QPlainTextEdit, "localCommandOutput")
    assert output is not None and "downloading" in output.toPlainText()
    status = dialog.findChild(QLabel, "localCommandStatus")
    assert status is not None and "exit code 3" in status.text()
    dialog.close()


@pytest.mark.asyncio
async def test_stop_never_waits_on_the_window_even_for_a_command_that_ignores_it(
    qtbot: QtBot,
) -> None:
    script = (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('working', flush=True)\ntime.sleep(60)"
    )
    dialog = CommandDialog("Installing", [sys.executable, "-c", script])
    dialog.stop_grace_ms = 300
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    output = dialog.findChild(QPlainTextEdit, "localCommandOutput")
    status = dialog.findChild(QLabel, "localCommandStatus")
    assert output is not None and status is not None
    await wait_until(lambda: "working" in output.toPlainText(), within=20)
    dialog.reject()
    # Stop returned at once: the window says so and stays until the command has ended.
    assert dialog.isVisible()
    assert "Stopping" in status.text()
    await wait_until(lambda: not dialog.isVisible(), within=20, what="the command to be killed")
    assert dialog.exit_code is not None and not dialog.running


@pytest.mark.asyncio
async def test_cancel_stops_the_start_and_closes_its_window(local_app: DesktopApp) -> None:
    app = local_app
    try:
        app.window.show()
        starting = app.tasks.spawn("test.start", app.local.start())
        await wait_until(lambda: bool(app.local.start_windows), what="the start window")
        dialog = app.local.start_windows[-1]
        await wait_until(lambda: app.local.process._pending is not None, what="the server process")
        await wait_until(
            lambda: app.local.process._pending is not None and app.local.process._pending.pid
        )
        pending = app.local.process._pending
        assert pending is not None and pending.pid is not None
        pid = pending.pid
        cancel = dialog.findChild(QPushButton, "localStartCancel")
        assert cancel is not None
        cancel.click()
        assert await starting is False
        # Closed, forgotten and deleted (with its log timer).
        assert dialog not in app.local.start_windows
        assert not shiboken6.isValid(dialog) or not dialog.isVisible()
        await wait_until(lambda: not shiboken6.isValid(dialog), what="the window to be deleted")
        assert app.local.process.state is ServerState.STOPPED
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
        assert app.session.client is None
    finally:
        await app.aclose()


@pytest.mark.asyncio
async def test_a_failed_start_at_launch_offers_the_other_ways_to_connect(
    monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore, tmp_path: Path, no_skyvern: NoSkyvern
) -> None:
    """--local with no Skyvern: the install command shows, and once that window is closed
    the welcome dialog offers Cloud or a company server instead of the app vanishing."""
    monkeypatch.delenv("SKYVERN_DESKTOP_SKYVERN", raising=False)
    monkeypatch.setenv("SKYVERN_DESKTOP_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    app.connections.use_local = True
    try:
        app.window.show()
        launch = app.tasks.spawn("test.launch", app.connect_initial(interactive=True))
        await wait_until(
            lambda: (
                bool(app.local.start_windows) and app.local.start_windows[-1].command.isVisible()
            ),
            what="the install command",
        )
        app.local.start_windows[-1].reject()  # the person closes it

        def welcome() -> QWidget | None:
            return next(
                (w for w in QApplication.topLevelWidgets()
                 if w.objectName() == "firstRunDialog" and w.isVisible()),
                None,
            )  # fmt: skip

        await wait_until(lambda: welcome() is not None, what="the welcome dialog")
        dialog = welcome()
        assert isinstance(dialog, QDialog)
        dialog.reject()  # Quit
        assert await launch is False
    finally:
        await app.aclose()


def test_self_test_with_local_fails_when_the_server_cannot_start(
    tmp_path: Path, no_skyvern: NoSkyvern
) -> None:
    env = no_skyvern.environ({k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")})
    env.update(
        SKYVERN_DESKTOP_HOME=str(tmp_path / "home"),
        SKYVERN_DESKTOP_CACHE=str(tmp_path / "empty-cache"),
        QT_QPA_PLATFORM="offscreen",
    )
    done = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--local", "--self-test"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "FAILED: the local Skyvern server did not start" in done.stdout
    assert "pip install 'skyvern[server]==" in done.stderr


@pytest.mark.asyncio
async def test_choosing_the_program_and_a_missing_server_never_block_the_loop(
    monkeypatch: pytest.MonkeyPatch, no_keyring: KeyStore, tmp_path: Path, no_skyvern: NoSkyvern
) -> None:
    """Both open as windows of their own while the event loop runs on (the static
    QFileDialog/QMessageBox functions would nest a loop inside it)."""
    monkeypatch.delenv("SKYVERN_DESKTOP_SKYVERN", raising=False)
    monkeypatch.setenv("SKYVERN_DESKTOP_CACHE", str(tmp_path / "empty-cache"))
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    try:
        app.window.show()
        install = app.window.findChild(QAction, "actionLocal_browser")
        assert install is not None
        install.trigger()
        box = app.window.findChild(QMessageBox, "installBrowserProblem")
        assert box is not None and box.isVisible()
        assert "pip install 'skyvern[server]==" in box.text()
        box.close()

        choose = app.window.findChild(QAction, "actionLocal_program")
        assert choose is not None
        choose.trigger()
        picker = app.window.findChild(QFileDialog, "localProgramPicker")
        assert picker is not None and picker.isVisible()
        ticks = 0

        def tick() -> None:
            nonlocal ticks
            ticks += 1

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        await wait_until(lambda: ticks >= 3, what="the loop to run while the picker is open")
        timer.stop()
        missing = tmp_path / "elsewhere" / "skyvern"
        picker.fileSelected.emit(str(missing))
        assert app.local.process.program == str(missing)
        await wait_until(
            lambda: (
                bool(app.local.start_windows) and app.local.start_windows[-1].problem.isVisible()
            ),
            what="the start window naming the missing program",
        )
        assert "There is no program at" in app.local.start_windows[-1].problem.text()
        app.local.start_windows[-1].close()
        await app.tasks.join()
    finally:
        await app.aclose()
