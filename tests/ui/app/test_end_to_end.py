"""The real app in real processes, in a temporary HOME, with the real keyring and server."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from skyvern_desktop.core.connection.secrets import KeyStore
from tests.fakes.server import free_closed_port
from tests.realserver import RealServer

DRIVER = textwrap.dedent(
    """
    import asyncio, sys
    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from skyvern_desktop.app import DesktopApp
    from skyvern_desktop.ui.loop import new_event_loop
    from skyvern_desktop.core.connection.check import ConnectionState
    from skyvern_desktop.core.paths import app_paths

    base_url, key = sys.argv[1], sys.stdin.readline().strip()
    qapp = QApplication([])

    async def until(pred, what):
        for _ in range(600):
            if pred():
                return
            await asyncio.sleep(0.05)
        raise SystemExit(f"timed out waiting for {what}")

    def dialog():
        return next((w for w in QApplication.topLevelWidgets()
                     if w.objectName() == "firstRunDialog" and w.isVisible()), None)

    async def main():
        app = DesktopApp(app_paths().ensure())
        running = asyncio.ensure_future(app.run())
        await until(dialog, "the first-run dialog")
        form = dialog().form
        QTest.keyClicks(form.name, "My server")
        form.kind.setCurrentIndex(1)
        form.base_url.clear()
        QTest.keyClicks(form.base_url, base_url)
        QTest.keyClicks(form.api_key, key)
        QTest.mouseClick(dialog().connect_button, Qt.MouseButton.LeftButton)
        await until(lambda: app.session.report.state is ConnectionState.CONNECTED, "connected")
        await app.window.workflows.wait_loaded()
        print("rows", app.window.workflows.model.rowCount(), flush=True)
        app.window.close()
        code = await running
        await app.aclose()
        return code

    with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
        sys.exit(runner.run(main()))
    """
)


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SKYVERN_", "XDG_CONFIG", "XDG_DATA", "XDG_CACHE", "XDG_STATE"))
    }
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    return env


def test_a_saved_profile_survives_a_restart_and_the_key_never_touches_disk(
    tmp_path: Path, real_server: RealServer, real_keyring: KeyStore
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home)

    first = subprocess.run(
        [sys.executable, "-c", DRIVER, real_server.base_url],
        input=real_server.api_key + "\n", env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.startswith("rows ")

    second = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--self-test"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    line = second.stdout.strip()
    assert line.startswith("Skyvern Desktop ")
    assert f"OK: connected to {real_server.base_url}, Skyvern {real_server.version}" in line

    written = [p for p in home.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"profiles.json", "window-state.ini", "skyvern-desktop.log"} <= names, names
    key = real_server.api_key.encode()
    leaks = [str(p) for p in written if key in p.read_bytes()]
    assert leaks == []
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert real_server.api_key not in output


def test_self_test_without_a_connection(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--self-test"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("OK: main window built; no connection configured")


def test_self_test_says_why_it_cannot_connect(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    env.update(SKYVERN_BASE_URL=f"http://127.0.0.1:{free_closed_port()}", SKYVERN_API_KEY="k" * 20)
    done = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--self-test"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "FAILED: Nothing is answering at http://127.0.0.1:" in done.stdout
    assert "k" * 20 not in done.stdout + done.stderr


@pytest.mark.parametrize("view", ["workflows", "runs", "schedules", "connections"])
def test_screenshot_renders_a_loaded_view(
    tmp_path: Path, real_server: RealServer, view: str
) -> None:
    env = _clean_env(tmp_path)
    env.update(SKYVERN_BASE_URL=real_server.base_url, SKYVERN_API_KEY=real_server.api_key)
    target = tmp_path / f"{view}.png"
    done = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--screenshot", str(target), "--view", view],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    image = QImage(str(target))
    assert not image.isNull()
    if view != "connections":
        assert (image.width(), image.height()) == (1280, 800)
    # Not a blank canvas: a rendered screen has many distinct colours.
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 10


KILLED = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    import qasync
    from PySide6.QtWidgets import QApplication
    from skyvern_desktop.api.models import WorkflowRunRequest
    from skyvern_desktop.app import DesktopApp
    from skyvern_desktop.ui.loop import new_event_loop
    from skyvern_desktop.core.paths import app_paths

    qapp = QApplication([])

    async def main():
        app = DesktopApp(app_paths().ensure())
        await app.connect_initial(interactive=False)
        wpid = sys.argv[1]
        run = await app.session.client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.open_run(run.run_id, workflow_permanent_id=wpid)
        pane = app.window.runs.panes[run.run_id]
        for _ in range(600):
            if pane.run is not None and str(pane.run.status) == "running":
                break
            await asyncio.sleep(0.05)
        print(run.run_id, pane.run.status if pane.run else None, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
        runner.run(main())
    """
)

RESTARTED = textwrap.dedent(
    """
    import asyncio, sys
    import qasync
    from PySide6.QtWidgets import QApplication
    from skyvern_desktop.app import DesktopApp
    from skyvern_desktop.ui.loop import new_event_loop
    from skyvern_desktop.core.paths import app_paths

    qapp = QApplication([])

    async def main():
        app = DesktopApp(app_paths().ensure())
        await app.connect_initial(interactive=False)
        pane = app.window.runs.panes.get(sys.argv[1])
        if pane is None:
            print("no pane", flush=True)
        else:
            for _ in range(1200):
                if pane.run is not None and pane.run.is_terminal:
                    break
                await asyncio.sleep(0.05)
            print("pane", pane.run.status if pane.run else None, flush=True)
        await app.tasks.join()
        await app.aclose()

    with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
        runner.run(main())
    """
)


def test_a_run_survives_kill_9_and_its_pane_comes_back(
    tmp_path: Path, real_server: RealServer
) -> None:
    import httpx

    env = _clean_env(tmp_path)
    env.update(
        SKYVERN_BASE_URL=real_server.base_url,
        SKYVERN_API_KEY=real_server.api_key,
        SKYVERN_DESKTOP_HOME=str(tmp_path / "app"),
    )
    created = httpx.post(
        f"{real_server.base_url}/v1/workflows",
        headers={"x-api-key": real_server.api_key},
        json={"json_definition": {"title": "Kill -9", "workflow_definition": {
            "parameters": [],
            "blocks": [{"block_type": "wait", "label": "pause", "wait_sec": 6}],
        }}},
        timeout=30,
    )  # fmt: skip
    wpid = created.json()["workflow_permanent_id"]
    killed = subprocess.run(
        [sys.executable, "-c", KILLED, wpid], env=env, capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    run_id, status = killed.stdout.split()
    assert status == "running"  # killed in the middle of the run

    restarted = subprocess.run(
        [sys.executable, "-c", RESTARTED, run_id], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert restarted.stdout.split() == ["pane", "completed"]
