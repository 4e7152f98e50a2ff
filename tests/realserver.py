"""Fixtures for the real-server tier: one real Skyvern server (SQLite, loopback) per session.

In CI (``CI`` or ``SKYVERN_DESKTOP_REQUIRE_SERVER`` set) a server or browser that cannot
start fails the tests; elsewhere they skip with a one-line reason.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.core.local_server import LocalServer
from skyvern_desktop.core.server_build import (
    ServerEnvironment,
    missing_system_tools,
    serve_folder,
)
from skyvern_desktop.core.server_runtime import LocalServerError

from .integration.helpers import WorkflowFactory


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("SKYVERN_DESKTOP_REQUIRE_SERVER"))


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"real Skyvern server required here, but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class MailBox:
    """A real SMTP server on loopback (aiosmtpd): STARTTLS on a throw-away certificate and
    any login accepted, as Skyvern's sender always calls ``starttls()`` then ``login()``.
    ``messages`` holds every email it received; ``logins`` every user name that logged in."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, run_id: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if run_id in str(m.get("Subject", ""))]


class _Collect:
    def __init__(self, box: MailBox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.box.lock:
            self.box.messages.append(message_from_bytes(envelope.original_content or b""))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailBox]:
    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(tls)
    box = MailBox("127.0.0.1", _free_port())

    def accept(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        login = getattr(auth, "login", b"")
        box.logins.append(login.decode() if isinstance(login, bytes) else str(login))
        return AuthResult(success=True)

    controller = Controller(
        _Collect(box), hostname=box.host, port=box.port, tls_context=tls,
        require_starttls=True, authenticator=accept, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# The server's recipients check (email_validator) asks DNS whether each domain takes mail;
# this machine has no DNS, so every domain "does not exist". Test harness only.
_SITECUSTOMIZE = """
try:
    import email_validator
except ImportError:
    pass
else:
    email_validator.CHECK_DELIVERABILITY = False
"""


def _mail_env(box: MailBox, folder: Path) -> dict[str, str]:
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    return {
        "SMTP_HOST": box.host,
        "SMTP_PORT": str(box.port),
        "SMTP_USERNAME": "skyvern-test",
        "SMTP_PASSWORD": "not-a-secret",
        "ALLOW_SMTP_INTERNAL_HOSTS": "true",
        "PYTHONPATH": str(folder),
    }


@dataclass(frozen=True)
class RealServer:
    base_url: str
    api_key: str
    data_dir: Path
    version: str
    browser: bool


def _serve(
    tmp_path_factory: pytest.TempPathFactory, name: str, extra_env: dict[str, str]
) -> Iterator[RealServer]:
    env = ServerEnvironment.default()
    if not env.is_installed():
        _unavailable(
            f"no Skyvern server environment at {env.root} (scripts/skyvern-test-server ensure)"
        )
    browser = env.link_system_browser() and not missing_system_tools()
    server = LocalServer(
        environment=env, data_dir=tmp_path_factory.mktemp(name), extra_env=extra_env
    )
    try:
        server.start()
        version = server.wait_ready(timeout=240)
    except LocalServerError as exc:
        server.stop()
        _unavailable(f"the Skyvern server did not start: {exc}")
        raise
    key = server.api_key()
    assert key, "the server wrote no API key"
    try:
        yield RealServer(server.base_url, key, server.data_dir, version, browser)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_server(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: MailBox
) -> Iterator[RealServer]:
    """The server as the app's Local server runs it: browser streaming in ``cdp`` mode
    (``LocalServer`` sets it), so a run's live view carries pictures. Its email goes to
    ``smtp_server`` (a human-interaction block emails before it pauses the run)."""
    # The scheduler looks for due schedules every 2 s instead of every minute, so a test
    # sees a real scheduled run soon after its firing time.
    env = {"WORKFLOW_SCHEDULE_POLL_INTERVAL_SECONDS": "2"}
    env.update(_mail_env(smtp_server, tmp_path_factory.mktemp("server-site")))
    yield from _serve(tmp_path_factory, "skyvern-server", env)


@pytest.fixture(scope="module")
def vnc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """A second server in Skyvern's default streaming mode, ``vnc``: its run streams send
    this app no pictures, only the final status."""
    yield from _serve(tmp_path_factory, "skyvern-vnc", {"BROWSER_STREAMING_MODE": "vnc"})


@pytest.fixture
def require_browser(real_server: RealServer) -> None:
    if not real_server.browser:
        _unavailable(f"browser runs need {', '.join(missing_system_tools()) or 'chromium'}")


@pytest_asyncio.fixture
async def client(real_server: RealServer) -> AsyncIterator[SkyvernClient]:
    async with SkyvernClient(real_server.base_url, real_server.api_key) as c:
        yield c


@pytest_asyncio.fixture
async def workflows(real_server: RealServer) -> AsyncIterator[WorkflowFactory]:
    factory = WorkflowFactory(real_server.base_url, real_server.api_key)
    try:
        yield factory
    finally:
        await factory.aclose()


CLOCK_PAGE = """<!doctype html><html><head><title>Clock</title></head>
<body style="font: 64px sans-serif; background: #fff">
<h1>Live view test</h1><p id="clock">0</p>
<script>
  const started = Date.now();
  setInterval(() => {
    const ms = Date.now() - started;
    document.getElementById("clock").textContent = (ms / 1000).toFixed(1) + " s";
    document.body.style.background = "hsl(" + (ms / 20 % 360) + ", 60%, 85%)";
  }, 100);
</script></body></html>"""


@pytest.fixture(scope="session")
def loopback_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback web server's root: ``index.html`` (static) and ``clock.html`` (repaints
    every 100 ms, so a cdp screencast sends about ten frames a second)."""
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>Skyvern Desktop test page</title></head>"
        "<body style='font: 32px sans-serif'><h1>Hello from loopback</h1>"
        "<p id='greeting'>The desktop app's browser test page.</p></body></html>"
    )
    (root / "clock.html").write_text(CLOCK_PAGE)
    httpd = serve_folder(root)
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def clock_page(loopback_site: str) -> str:
    return f"{loopback_site}/clock.html"


@pytest.fixture(scope="session")
def loopback_page(loopback_site: str) -> str:
    """A small HTML page served on loopback, for browser blocks to open."""
    return f"{loopback_site}/index.html"
