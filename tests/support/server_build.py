"""Building the cached Skyvern server environment, for the tests, CI and people who run
``scripts/skyvern-test-server``. It lives under tests/ so that neither the installed app nor
its bundle has it (tests/test_packaging.py reads the wheel): the app only looks for the
environment, through :class:`skyvern_desktop.core.server.runtime.CachedEnvironment`.

The environment is built once per Skyvern version with Python 3.12 or newer (under 3.11,
skyvern pins a Playwright whose Chromium launch hangs), and taught to use the system's
Chromium and ffmpeg, since Playwright cannot download its own here.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import IO, Any, Final

from skyvern_desktop.core.server.runtime import MIN_PYTHON, CachedEnvironment, LocalServerError

_SYSTEM_CHROMIUM: Final = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
_SYSTEM_FFMPEG: Final = ("/usr/bin/ffmpeg",)


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
class ServerEnvironment(CachedEnvironment):
    """The cached environment, with what builds it."""

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
        self.marker.write_text(f"skyvern[server]=={self.version}\npython={exe}\n")

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


def missing_system_tools(names: Iterable[str] = ("chromium", "ffmpeg")) -> list[str]:
    """Which of the system tools that browser runs need are not on PATH."""
    return [n for n in names if shutil.which(n) is None]


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class HtmlHandler(http.server.BaseHTTPRequestHandler):
    """A loopback site's handler: ``_send`` answers with HTML; nothing is logged."""

    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_folder(root: Path) -> http.server.ThreadingHTTPServer:
    """Serve ``root``'s files on a free loopback port from a daemon thread: pages for a
    test server's browser to open. Its address is ``http://127.0.0.1:<server_address[1]>``;
    ``shutdown()`` and ``server_close()`` end it."""
    handler = functools.partial(_QuietFiles, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, name="loopback-site", daemon=True).start()
    return httpd


@dataclass
class MailBox:
    """What a loopback SMTP server (:func:`start_mail_server`) received: every email, and
    every user name that logged in."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, run_id: str) -> list[Message]:
        """The emails whose subject names ``run_id`` (a human-interaction block's)."""
        with self.lock:
            return [m for m in self.messages if run_id in str(m.get("Subject", ""))]


class _Collect:
    def __init__(self, box: MailBox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.box.lock:
            self.box.messages.append(message_from_bytes(envelope.original_content or b""))
        return "250 OK"


def start_mail_server() -> tuple[MailBox, Callable[[], None]]:
    """A real SMTP server on a free loopback port (aiosmtpd, in its own thread): STARTTLS
    on a throw-away certificate (trustme) and any login accepted, since Skyvern's sender
    always calls ``starttls()`` and then ``login()``. Returns the mailbox and its stop."""
    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    box = MailBox("127.0.0.1", port)

    def accept(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        if isinstance(auth, LoginPassword):
            box.logins.append(auth.login.decode("utf-8", "replace"))
        return AuthResult(success=True)

    controller = Controller(
        _Collect(box), hostname=box.host, port=port, tls_context=tls, require_starttls=True,
        authenticator=accept, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    return box, controller.stop


# A test server's recipients check (email_validator) asks DNS whether each domain takes
# mail; a machine without DNS makes every domain "not exist". Test tooling only.
_NO_DELIVERABILITY_CHECK = """
try:
    import email_validator
except ImportError:
    pass
else:
    email_validator.CHECK_DELIVERABILITY = False
"""


def mail_env(box: MailBox, folder: Path) -> dict[str, str]:
    """The environment that points a Skyvern server's email at ``box`` (and turns off the
    recipients' DNS check through a ``sitecustomize.py`` written into ``folder``)."""
    (folder / "sitecustomize.py").write_text(_NO_DELIVERABILITY_CHECK)
    return {
        "SMTP_HOST": box.host,
        "SMTP_PORT": str(box.port),
        "SMTP_USERNAME": "skyvern-test",
        "SMTP_PASSWORD": "not-a-secret",
        "ALLOW_SMTP_INTERNAL_HOSTS": "true",
        "PYTHONPATH": str(folder),
    }
