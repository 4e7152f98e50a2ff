"""A real Skyvern server on this computer, as a child process with its own data folder.

The process is started with ``subprocess.Popen`` (asyncio subprocesses do not work on the
qasync loop), in a process group of its own so that its browsers stop with it; readiness is
polled on ``GET /v1/version``; the API key is read from the ``.env`` file the server writes.
A state file records its pid, port and owner (the app that started it), so a later start
takes over a server a killed app left behind, and another running app only uses it.
Where it runs from is :mod:`.server_runtime`'s.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from .runtime import NO_WINDOW, LocalServerError, Runtime, StartCancelledError, child_environ

log = logging.getLogger(__name__)

# The server binds 0.0.0.0 on Linux; we start it through the same ``run_server`` code path
# with the bind host pinned to loopback, so a local server is never exposed to the network.
_LAUNCHER: Final = (
    "import skyvern.cli.run_commands as rc\n"
    "if hasattr(rc, '_default_host'):\n"
    "    rc._default_host = lambda: '127.0.0.1'\n"
    "rc.run_server()\n"
)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def read_env_value(env_file: Path, name: str) -> str | None:
    """A value from a dotenv file; single or double quotes around it are removed."""
    try:
        lines = env_file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and key.strip().removeprefix("export ").strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return value or None
    return None


@dataclass
class LocalServer:
    """One ``skyvern run server`` child process, with its own data folder."""

    environment: Runtime
    data_dir: Path
    port: int = 0
    extra_env: Mapping[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _adopted: int | None = field(default=None, init=False, repr=False)
    _guest_of: int | None = field(default=None, init=False, repr=False)
    _log_file: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env_file(self) -> Path:
        return self.data_dir / ".env"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def state_file(self) -> Path:
        """The pid and port of the server started in this folder, for the next app start."""
        return self.data_dir / "server.json"

    def is_running(self) -> bool:
        if self._adopted is not None or self._guest_of is not None:
            return _alive(self._adopted or self._guest_of or 0)
        return self._process is not None and self._process.poll() is None

    def exit_code(self) -> int | None:
        """How the process ended, once it has (``None`` while running or never started)."""
        return self._process.poll() if self._process is not None else None

    def adopt_running(self) -> str | None:
        """Reuse a server already running in this folder; its version, or ``None``.

        Left behind by an app that was killed (its owner is gone): taken over, and stopped
        with this one. Owned by another app instance that is still running (a ``--self-test``
        beside the window, say): used as a guest, and never stopped from here."""
        if self.is_running():
            return self.probe()
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            pid, port = int(state["pid"]), int(state["port"])
            owner = int(state.get("owner") or 0)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _alive(pid):
            return None
        previous = self.port
        self.port = port
        version = self.probe()
        if version is None or not self.api_key():
            self.port = previous
            return None
        if owner and owner != os.getpid() and pid_alive(owner):
            self._guest_of = pid
            log.info("using the local Skyvern server pid=%s of app pid=%s as a guest", pid, owner)
            return version
        self._adopted = pid
        self._write_state(pid)
        log.info("reusing the local Skyvern server pid=%s port=%s", pid, port)
        return version

    def _write_state(self, pid: int) -> None:
        """The server's pid and port, and this app's pid as its owner, for the next start."""
        state = {"pid": pid, "port": self.port, "owner": os.getpid()}
        with contextlib.suppress(OSError):
            self.state_file.write_text(json.dumps(state), encoding="utf-8")

    def _forget_process(self) -> None:
        """The server stopped: the state keeps only its port, for the next start."""
        with contextlib.suppress(OSError):
            self.state_file.write_text(json.dumps({"port": self.port}), encoding="utf-8")

    def _choose_port(self) -> int:
        """The port used last time when it is free (bookmarks and workflows keep working),
        otherwise any free one."""
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            wanted = int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            wanted = 0
        if wanted:
            with contextlib.suppress(OSError), socket.socket() as s:
                if os.name != "nt":  # as the server binds: a port in TIME_WAIT is free
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", wanted))
                return wanted
        return free_port()

    def child_env(self) -> dict[str, str]:
        d = self.data_dir
        env = {
            k: v
            for k, v in child_environ().items()
            if not k.startswith(("SKYVERN_API_KEY", "VIRTUAL_ENV"))
        }
        env.update(
            PORT=str(self.port),
            SKYVERN_ENV_FILE=str(self.env_file),
            DATABASE_STRING=f"sqlite+aiosqlite:///{d / 'data.db'}",
            SKYVERN_TELEMETRY="false",
            BROWSER_TYPE="chromium-headless",
            # Live pictures of a run's browser over the run's WebSocket (the run pane's
            # Overview). The default, vnc, sends a plain local server's client no frames.
            BROWSER_STREAMING_MODE="cdp",
            ARTIFACT_STORAGE_PATH=str(d / "artifacts"),
            VIDEO_PATH=str(d / "videos"),
            HAR_PATH=str(d / "har"),
            LOG_PATH=str(d / "log"),
            DOWNLOAD_PATH=str(d / "downloads"),
            PYTHONUNBUFFERED="1",
            NO_COLOR="1",  # its log is read by people in the app, not in a terminal
        )
        if self.environment.browsers_path is not None:
            env["PLAYWRIGHT_BROWSERS_PATH"] = str(self.environment.browsers_path)
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        """Start the process (it is not ready yet: see :meth:`wait_ready`)."""
        if self.is_running():
            return
        if not self.environment.is_installed():
            raise LocalServerError("The Skyvern server is not installed yet.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("artifacts", "videos", "har", "log", "downloads"):
            (self.data_dir / sub).mkdir(exist_ok=True)
        if not self.port:
            self.port = self._choose_port()
        self._log_file = self.log_path.open("ab")
        kwargs: dict[str, object] = {}
        if os.name == "nt":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | NO_WINDOW  # type: ignore[attr-defined]
        else:
            kwargs["start_new_session"] = True
        self._process = subprocess.Popen(
            [str(self.environment.python), "-c", _LAUNCHER],
            cwd=self.data_dir,
            env=self.child_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            **kwargs,  # type: ignore[call-overload]
        )
        log.info("started local Skyvern server pid=%s port=%s", self._process.pid, self.port)
        self._write_state(self._process.pid)

    def probe(self, timeout: float = 2.0) -> str | None:
        """The server's version if ``/v1/version`` answers now, else ``None``."""
        import httpx  # here, not at the top: the window shows before httpx is loaded

        try:
            r = httpx.get(f"{self.base_url}/v1/version", timeout=timeout)
            if r.status_code == 200:
                version = r.json().get("version")
                return str(version) if version is not None else ""
        except (httpx.HTTPError, ValueError):
            return None
        return None

    def wait_ready(
        self,
        timeout: float = 180.0,
        *,
        on_tick: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> str:
        """Block until ``/v1/version`` answers and the API key is written; return the version.
        ``cancelled()`` returning true stops the wait with :class:`StartCancelledError`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cancelled is not None and cancelled():
                raise StartCancelledError("Starting the local server was cancelled.")
            if not self.is_running():
                raise LocalServerError(
                    "The Skyvern server stopped while starting. Last lines of its log:\n"
                    + self.log_tail()
                )
            version = self.probe()
            if version is not None and self.api_key():
                return version
            if on_tick:
                on_tick(deadline - time.monotonic())
            time.sleep(0.25)
        raise LocalServerError(
            f"The Skyvern server did not answer within {timeout:.0f} s. Last lines of its log:\n"
            + self.log_tail()
        )

    def api_key(self) -> str | None:
        return read_env_value(self.env_file, "SKYVERN_API_KEY")

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server and every process it started (its whole process group). A guest
        only lets go: the server belongs to the app that started it."""
        if self._guest_of is not None:
            self._guest_of = None
            return
        if self._adopted is not None:
            _stop_adopted(self._adopted, timeout)
            self._adopted = None
            self._forget_process()
            return
        proc = self._process
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
                proc.wait(10)
        if proc is not None and os.name != "nt":
            # Browsers the server launched live in the same group; make sure none outlive it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if proc is not None:
            self._forget_process()
        self._process = None


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        if os.name == "nt":
            # The whole tree: Playwright's driver and the browsers too.
            subprocess.run(
                ["taskkill", "/PID", str(proc.pid), "/T", "/F"], capture_output=True,
                check=False, creationflags=NO_WINDOW,
            )  # fmt: skip
        else:
            os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    """Whether a process (and, on POSIX, its group) still exists. Instant on every OS (no
    ``tasklist`` child on Windows): the crash watch calls it on the UI thread every 2 s."""
    if os.name == "nt":
        return pid_alive(pid)
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    """Whether a single process exists (the app that owns a server)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_adopted(pid: int, timeout: float) -> None:
    """Stop a server this app did not start itself (an earlier start's, reused)."""
    if os.name == "nt":
        subprocess.run(
            ["taskkill", "/PID", str(pid), "/T", "/F"], capture_output=True, check=False,
            creationflags=NO_WINDOW,
        )  # fmt: skip
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
