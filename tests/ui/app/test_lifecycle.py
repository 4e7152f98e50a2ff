"""One app per user, and a clean quit on every path, with real processes.

The app runs as a child process in GUI mode (offscreen), with its own folders, started as
a person would: ``python -m skyvern_desktop --local``. The local server is the real one,
from the environment ``scripts/skyvern-test-server ensure`` builds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.server_build import ServerEnvironment

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[3]


def _environ(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")}
    program = ServerEnvironment.default().root / "bin" / "skyvern"
    if not program.exists():
        pytest.fail(f"no Skyvern server environment at {program.parent.parent}", pytrace=False)
    env.update(
        SKYVERN_DESKTOP_HOME=str(home),
        SKYVERN_DESKTOP_SKYVERN=str(program),
        QT_QPA_PLATFORM="offscreen",
        **extra,
    )
    return env


def _until(check: Callable[[], object], what: str, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _state(home: Path) -> dict[str, int]:
    try:
        data: dict[str, int] = json.loads(
            (home / "data" / "local-server" / "server.json").read_text()
        )
    except (OSError, ValueError):
        return {}
    return data


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _spawn(home: Path, *args: str) -> subprocess.Popen[bytes]:
    """The app as a child, its output in files beside its home (a pipe could fill up)."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / "stdout.txt").open("wb") as out, (home / "stderr.txt").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "skyvern_desktop", *args],
            cwd=ROOT, env=_environ(home), stdout=out, stderr=err,
        )  # fmt: skip


def _stderr(home: Path) -> str:
    return (home / "stderr.txt").read_text(errors="replace")


def _log(home: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in (home / "logs").glob("*.log") if p.is_file()
    )


@pytest.fixture
def running_app(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """The app in GUI mode with its local server up (its pid in the state file)."""
    home = tmp_path / "home"
    app = _spawn(home, "--local")
    try:
        _until(
            lambda: (
                (_state(home).get("owner") == app.pid and "4 example" in _log(home))
                or app.poll() is not None
            ),
            "the app's local server and its examples",
            within=180,
        )
        assert app.poll() is None, _stderr(home)
        yield app, home
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        if (pid := _state(home).get("pid")) and _group_alive(pid):
            os.killpg(pid, signal.SIGKILL)


def test_app_paths_used_here_are_the_ones_the_app_uses(tmp_path: Path) -> None:
    """The helpers above read the app's folders: check them against the app's own rule."""
    env = _environ(tmp_path / "home")
    out = subprocess.run(
        [sys.executable, "-c",
         "from skyvern_desktop.core.paths import app_paths; p = app_paths();"
         " print(p.data_dir); print(p.log_dir)"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()  # fmt: skip
    assert out == [str(tmp_path / "home" / "data"), str(tmp_path / "home" / "logs")]


def test_a_second_start_brings_the_first_forward_and_a_self_test_leaves_its_server_alone(
    running_app: tuple[subprocess.Popen[bytes], Path],
) -> None:
    app, home = running_app
    server_pid = _state(home)["pid"]

    # A double-click while it runs: the second start asks the first to come forward, ends.
    second = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--local"],
        cwd=ROOT, env=_environ(home), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout
    _until(lambda: "asked to come to the front" in _log(home), "the first window's answer", 20)

    # A headless self-test beside it uses the same server as a guest and leaves it running.
    check = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--local", "--self-test"],
        cwd=ROOT, env=_environ(home), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr[-3000:]
    assert "OK: connected to http://127.0.0.1:" in check.stdout
    time.sleep(2.5)  # longer than the first app's crash watch (2 s)
    assert app.poll() is None
    assert _group_alive(server_pid)
    assert _state(home).get("pid") == server_pid and _state(home).get("owner") == app.pid
    assert "ended unexpectedly" not in _log(home)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_quit_signal_stops_the_local_server_and_its_process_group(
    running_app: tuple[subprocess.Popen[bytes], Path], signum: int
) -> None:
    app, home = running_app
    server_pid = _state(home)["pid"]
    assert _group_alive(server_pid)
    app.send_signal(signum)
    code = app.wait(60)
    stderr = _stderr(home)
    assert code == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert not _group_alive(server_pid)
    assert "pid" not in _state(home)  # the next start does not look for it
    assert f"quit on signal {signum}: cleaned up" in _log(home)


def test_ctrl_c_while_the_welcome_dialog_waits_quits_without_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    app = _spawn(home)
    try:
        _until(lambda: "starting Skyvern Desktop" in _log(home), "the app to start", 60)
        time.sleep(1.5)  # the welcome dialog is open and waiting
        app.send_signal(signal.SIGINT)
        code = app.wait(30)
        stderr = _stderr(home)
        assert code == 128 + signal.SIGINT, stderr
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)


def test_no_display_says_so_in_one_sentence(tmp_path: Path) -> None:
    env = _environ(tmp_path / "home")
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "needs a graphical desktop" in done.stderr
    assert "QT_QPA_PLATFORM=offscreen" in done.stderr
    assert "xcb" not in done.stderr
