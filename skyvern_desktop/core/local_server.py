"""A real Skyvern server on this computer: its virtual environment, and the child process.

The same code serves the app's local mode, the test suite and ``scripts/skyvern-test-server``.

The environment is built once per Skyvern version with Python 3.12 or newer (under 3.11,
skyvern pins a Playwright whose Chromium launch hangs), cached outside any checkout,
and taught to use the system's Chromium and ffmpeg, since Playwright cannot download its own.
The process is started with ``subprocess.Popen`` (asyncio subprocesses do not work on the
qasync loop); readiness is polled on ``GET /v1/version``; the API key is read from the
``.env`` file the server writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final, Protocol

import platformdirs

from .. import APP_ID

log = logging.getLogger(__name__)

SKYVERN_VERSION: Final = "1.0.56"
MIN_PYTHON: Final = (3, 12)
# The server binds 0.0.0.0 on Linux; we start it through the same ``run_server`` code path
# with the bind host pinned to loopback, so a local server is never exposed to the network.
_LAUNCHER: Final = (
    "import skyvern.cli.run_commands as rc\n"
    "if hasattr(rc, '_default_host'):\n"
    "    rc._default_host = lambda: '127.0.0.1'\n"
    "rc.run_server()\n"
)
_SYSTEM_CHROMIUM: Final = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
_SYSTEM_FFMPEG: Final = ("/usr/bin/ffmpeg",)


class LocalServerError(RuntimeError):
    """The local server could not be installed or started; the message says why, plainly."""


class StartCancelledError(LocalServerError):
    """The person cancelled the start."""


def default_cache_dir() -> Path:
    override = os.environ.get("SKYVERN_DESKTOP_CACHE")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_ID))


def _python_ok(exe: str, env: Mapping[str, str] | None = None) -> bool:
    check = f"import sys; assert sys.version_info >= {MIN_PYTHON!r}"
    try:
        subprocess.run(
            [exe, "-c", check],
            check=True,
            capture_output=True,
            timeout=30,
            env=dict(env) if env is not None else None,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def find_server_python() -> str:
    """The first Python ≥ 3.12 on this machine that really runs.

    Tries ``SKYVERN_SERVER_PYTHON``, ``python3.13``/``python3.12`` on PATH, then pyenv's
    versions directly (pyenv's shims only run with ``PYENV_VERSION`` set).
    """
    candidates: list[str] = []
    if override := os.environ.get("SKYVERN_SERVER_PYTHON"):
        candidates.append(override)
    for name in ("python3.14", "python3.13", "python3.12"):
        if found := shutil.which(name):
            candidates.append(found)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    versions = sorted(
        (pyenv_root / "versions").glob("3.1[2-9]*"),
        key=lambda p: tuple(int(x) for x in p.name.split(".")[:3] if x.isdigit()),
        reverse=True,
    )
    candidates += [str(v / "bin" / "python3") for v in versions]
    if sys.version_info >= MIN_PYTHON:
        candidates.append(sys.executable)
    for exe in candidates:
        if _python_ok(exe):
            return exe
    raise LocalServerError(
        "The local Skyvern server needs Python 3.12 or newer, and none was found. "
        "Install Python 3.12, or set SKYVERN_SERVER_PYTHON to its path."
    )


@dataclass(frozen=True)
class ServerEnvironment:
    """A virtual environment holding ``skyvern[server]==version``, keyed by that version."""

    root: Path
    version: str = SKYVERN_VERSION

    @classmethod
    def default(
        cls, version: str = SKYVERN_VERSION, cache_dir: Path | None = None
    ) -> ServerEnvironment:
        base = cache_dir or default_cache_dir()
        return cls(root=base / f"skyvern-server-{version}", version=version)

    @property
    def python(self) -> Path:
        return self.root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    @property
    def browsers_path(self) -> Path:
        return self.root / "ms-playwright"

    @property
    def _marker(self) -> Path:
        return self.root / f".installed-skyvern-{self.version}"

    def is_installed(self) -> bool:
        return self._marker.is_file() and self.python.exists()

    def install(
        self,
        *,
        python: str | None = None,
        output: IO[str] | None = None,
        constraints: Path | None = None,
    ) -> None:
        """Create the environment and ``pip install skyvern[server]`` into it (minutes, ~1.6 GB).

        ``constraints`` (a checkout's ``packaging/constraints.txt``) pins every package, so
        pip does not backtrack. A half-built environment from an interrupted install is
        removed first.
        """
        if self.is_installed():
            return
        exe = python or find_server_python()
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.parent.mkdir(parents=True, exist_ok=True)
        out = output or sys.stderr

        def run(cmd: list[str]) -> None:
            out.write(f"$ {' '.join(cmd)}\n")
            out.flush()
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                raise LocalServerError(
                    f"Installing the Skyvern server failed: {cmd[-1]} exited {done.returncode}."
                )

        run([exe, "-m", "venv", str(self.root)])
        run([str(self.python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        pin = ["--constraint", str(constraints)] if constraints is not None else []
        run(
            [
                str(self.python),
                "-m",
                "pip",
                "install",
                "--quiet",
                *pin,
                f"skyvern[server]=={self.version}",
            ]
        )
        self._marker.write_text(f"skyvern[server]=={self.version}\npython={exe}\n")

    def playwright_revisions(self) -> dict[str, str]:
        """Browser name → revision, read from the installed Playwright's ``browsers.json``."""
        found = list(
            self.root.glob("lib/python3*/site-packages/playwright/driver/package/browsers.json")
        )
        found += list(self.root.glob("Lib/site-packages/playwright/driver/package/browsers.json"))
        if not found:
            raise LocalServerError("Playwright is missing from the Skyvern server environment.")
        data = json.loads(found[0].read_text())
        return {b["name"]: str(b["revision"]) for b in data.get("browsers", [])}

    def link_system_browser(self) -> bool:
        """Point Playwright's expected browser paths at the system's Chromium and ffmpeg.

        Returns False when the system has no Chromium (browser blocks then cannot run).
        """
        chromium = next((p for p in _SYSTEM_CHROMIUM if os.access(p, os.X_OK)), None)
        ffmpeg = next((p for p in _SYSTEM_FFMPEG if os.access(p, os.X_OK)), None)
        if chromium is None:
            return False
        revs = self.playwright_revisions()
        links: list[tuple[str, str, str]] = [
            (f"chromium-{revs['chromium']}", "chrome-linux64/chrome", chromium),
            (
                f"chromium_headless_shell-{revs['chromium-headless-shell']}",
                "chrome-headless-shell-linux64/chrome-headless-shell",
                chromium,
            ),
        ]
        if ffmpeg and "ffmpeg" in revs:
            links.append((f"ffmpeg-{revs['ffmpeg']}", "ffmpeg-linux", ffmpeg))
        for folder, rel, target in links:
            link = self.browsers_path / folder / rel
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)
            (self.browsers_path / folder / "INSTALLATION_COMPLETE").touch()
        return True


class Runtime(Protocol):
    """Where a server runs from: a Python that can ``import skyvern``."""

    @property
    def python(self) -> Path: ...

    @property
    def browsers_path(self) -> Path | None: ...

    def is_installed(self) -> bool: ...


@dataclass(frozen=True)
class ServerRuntime:
    """A Skyvern installed somewhere else: the app's own environment (the ``local``
    extra), or the one behind a ``skyvern`` program the user chose."""

    python: Path
    label: str
    browsers_path: Path | None = None  # None: Playwright's own default folder

    def is_installed(self) -> bool:
        return self.python.exists()


class ServerMissingError(LocalServerError):
    """No Skyvern server is installed where the app looks; ``command`` installs one."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(message)
        self.command = command


def _console_python(executable: str) -> str:
    """``pythonw.exe`` runs without a console: a command shown to people uses ``python.exe``."""
    path = Path(executable)
    if path.name.lower() == "pythonw.exe":
        return str(path.with_name("python.exe"))
    return executable


def install_command() -> str:
    """The exact command that installs the server for this app.

    From source or pip: into the app's own Python (its ``local`` extra). A packaged app has
    no Python of its own: then a separate environment, whose ``skyvern`` program is then
    chosen in the app (Local server → Choose the skyvern program…)."""
    package = f"skyvern[server]=={SKYVERN_VERSION}"
    if getattr(sys, "frozen", False):
        if os.name == "nt":
            return (
                rf'py -3.12 -m venv "%USERPROFILE%\skyvern-server" && '
                rf'"%USERPROFILE%\skyvern-server\Scripts\pip" install "{package}"'
            )
        return f"python3 -m venv ~/skyvern-server && ~/skyvern-server/bin/pip install '{package}'"
    python = _console_python(sys.executable)
    if os.name == "nt":
        return f'"{python}" -m pip install "{package}"'
    return f"{shlex.quote(python)} -m pip install {shlex.quote(package)}"


def child_environ() -> dict[str, str]:
    """This process's environment for a child that is not this app: a packaged app's own
    library path (PyInstaller sets ``LD_LIBRARY_PATH`` to its bundle) is taken back out."""
    env = dict(os.environ)
    if getattr(sys, "frozen", False):
        for name in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
            original = env.pop(f"{name}_ORIG", None)
            if original is not None:
                env[name] = original
            else:
                env.pop(name, None)
    return env


NO_WINDOW: Final = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # Windows: no console pops up


_SH_EXEC: Final = re.compile(r"""^'''exec' (?:"([^"]+)"|(\S+))""", re.MULTILINE)


def python_of_executable(executable: Path) -> Path:
    """The Python behind a ``skyvern`` program: its ``#!`` line, or the ``python`` beside
    it (Windows console scripts are ``.exe`` launchers in the environment's Scripts)."""
    if not executable.is_file():
        raise LocalServerError(f"There is no program at {executable}.")
    try:
        with executable.open("rb") as f:
            first = f.readline(4096)
    except OSError as exc:
        raise LocalServerError(f"{executable} cannot be read: {exc.strerror or exc}.") from exc
    if first.startswith(b"#!"):
        words = shlex.split(first[2:].decode("utf-8", "replace").strip())
        if words and Path(words[0]).name == "env" and len(words) > 1:
            found = shutil.which(words[-1])
            if found:
                return Path(found)
        elif words and Path(words[0]).name.startswith("python") and Path(words[0]).exists():
            return Path(words[0])
        # pip writes "#!/bin/sh" and an "exec" line when the path has spaces or is long.
        try:
            head = executable.read_text(encoding="utf-8", errors="replace")[:4096]
        except OSError:
            head = ""
        if match := _SH_EXEC.search(head):
            target = Path(match.group(1) or match.group(2))
            if target.exists():
                return target
    for folder in (executable.parent, executable.parent.parent):  # Scripts\..\python.exe
        for name in ("python.exe", "python3", "python"):
            candidate = folder / name
            if candidate.exists():
                return candidate
    raise LocalServerError(
        f"{executable} does not look like Skyvern's program: no Python was found for it."
    )


def _has_skyvern(python: Path) -> bool:
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('skyvern') is None)"
    try:
        subprocess.run(
            [str(python), "-c", probe], check=True, capture_output=True, timeout=60,
            creationflags=NO_WINDOW, env=child_environ(),
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def own_runtime() -> ServerRuntime | None:
    """The app's own environment, when the ``local`` extra put Skyvern in it."""
    if getattr(sys, "frozen", False):
        return None  # a packaged app's executable is the app, not a Python
    import importlib.util

    if importlib.util.find_spec("skyvern") is None:
        return None
    return ServerRuntime(Path(sys.executable), "this app's Python environment")


def locate_runtime(
    executable: str | None = None, cache: ServerEnvironment | None = None
) -> Runtime:
    """Where to run the server from, in this order: the ``skyvern`` program the user chose
    (Settings, or ``SKYVERN_DESKTOP_SKYVERN``), Skyvern in the app's own environment, the
    environment ``scripts/skyvern-test-server`` builds. Raises :class:`ServerMissingError`
    with the command that installs it."""
    chosen = executable or os.environ.get("SKYVERN_DESKTOP_SKYVERN")
    if chosen:
        path = Path(chosen).expanduser()
        python = python_of_executable(path)
        if not _has_skyvern(python):
            raise ServerMissingError(
                f"The program {path} was chosen as Skyvern, but its Python ({python}) cannot"
                " import skyvern.",
                install_command(),
            )
        return ServerRuntime(python, f"the skyvern program at {path}")
    if (own := own_runtime()) is not None:
        return own
    environment = cache or ServerEnvironment.default()
    if environment.is_installed():
        return environment
    raise ServerMissingError(
        "The Skyvern server is not installed. Install it with this command, then start the"
        " local server again:",
        install_command(),
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

    @property
    def is_guest(self) -> bool:
        """Another running app owns this server: it is used, never stopped, from here."""
        return self._guest_of is not None

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


def missing_system_tools(names: Iterable[str] = ("chromium", "ffmpeg")) -> list[str]:
    """Which of the system tools that browser runs need are not on PATH."""
    return [n for n in names if shutil.which(n) is None]
