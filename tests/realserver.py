"""Fixtures for the real-server tier: one real Skyvern server (SQLite, loopback) per session.

In CI (``CI`` or ``SKYVERN_DESKTOP_REQUIRE_SERVER`` set) a server or browser that cannot
start fails the tests; elsewhere they skip with a one-line reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.core.server.process import LocalServer
from skyvern_desktop.core.server.runtime import LocalServerError
from tests.integration.helpers import WorkflowFactory
from tests.support.ai_runs import AiRuns, make_ai_runs
from tests.support.ai_site import AiSite
from tests.support.scripted_model import ScriptedModel, model_env
from tests.support.server_build import (
    HtmlHandler,
    MailBox,
    ServerEnvironment,
    mail_env,
    missing_system_tools,
    serve_folder,
    start_mail_server,
)


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("SKYVERN_DESKTOP_REQUIRE_SERVER"))


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"real Skyvern server required here, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailBox]:
    """A real SMTP server on loopback for the server's email (see ``start_mail_server``)."""
    box, stop = start_mail_server()
    try:
        yield box
    finally:
        stop()


@pytest.fixture(scope="session")
def scripted_model() -> Iterator[ScriptedModel]:
    """The AI model behind ``real_server``: a scripted OpenAI-compatible server on loopback
    (tests/support/scripted_model.py), so AI blocks run for real offline."""
    model = ScriptedModel()
    try:
        yield model
    finally:
        model.close()


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
    tmp_path_factory: pytest.TempPathFactory, smtp_server: MailBox, scripted_model: ScriptedModel
) -> Iterator[RealServer]:
    """The server as the app's Local server runs it: browser streaming in ``cdp`` mode
    (``LocalServer`` sets it), so a run's live view carries pictures. Its email goes to
    ``smtp_server`` (a human-interaction block emails before it pauses the run), its AI
    model is ``scripted_model``."""
    # The scheduler looks for due schedules every 2 s instead of every minute, so a test
    # sees a real scheduled run soon after its firing time.
    env = {"WORKFLOW_SCHEDULE_POLL_INTERVAL_SECONDS": "2"}
    env.update(mail_env(smtp_server, tmp_path_factory.mktemp("server-site")))
    env.update(model_env(scripted_model))
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


class WebhookReceiver:
    """A webhook receiver on loopback that records every request and answers ``answer``."""

    def __init__(self, status: int = 202, body: bytes = b'{"received": true}') -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status, self.body = status, body
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                receiver.requests.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()},
                     self.rfile.read(length))
                )  # fmt: skip
                self.send_response(receiver.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


LOGIN_PAGE = """<!doctype html><html><head><title>Acme: sign in</title></head>
<body style="margin: 0; font: 24px sans-serif">
<form method="post" action="/login" style="margin: 0">
<input id="user" name="user" autocomplete="off" style="position: absolute; left: 100px;
 top: 100px; width: 400px; height: 60px; font: 28px sans-serif">
<button id="go" type="submit"
 style="position: absolute; left: 100px; top: 200px; width: 200px; height: 60px">Sign in</button>
</form></body></html>"""


class LoginSite:
    """A loopback site with a login: ``/login`` (a form whose field and button sit at
    fixed places: the field at 100–500 × 100–160, the button at 100–300 × 200–260 in CSS
    pixels) sets a cookie; ``/account`` answers "signed in as NAME" only with that cookie.
    Every request's path and ``Cookie`` header are recorded."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        site = self

        class Handler(HtmlHandler):
            def do_GET(self) -> None:
                cookie = self.headers.get("cookie") or ""
                site.requests.append((self.path, cookie))
                if self.path.startswith("/login"):
                    self._send(200, LOGIN_PAGE)
                elif self.path.startswith("/account"):
                    user = next(
                        (c.split("=", 1)[1] for c in cookie.split("; ") if c.startswith("who=")),
                        None,
                    )
                    text = f"signed in as {user}" if user else "not signed in"
                    self._send(200, f"<!doctype html><title>Account</title><h1>{text}</h1>")
                else:
                    self._send(404, "not here")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                form = self.rfile.read(length).decode()
                site.requests.append((self.path, self.headers.get("cookie") or ""))
                user = form.partition("user=")[2].split("&")[0] or "nobody"
                self._send(
                    303, "",
                    {"location": "/account",
                     "set-cookie": f"who={user}; Path=/; Max-Age=86400; SameSite=Lax"},
                )  # fmt: skip

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def login_site() -> Iterator[LoginSite]:
    site = LoginSite()
    try:
        yield site
    finally:
        site.close()


@pytest.fixture(scope="session")
def ai_site() -> Iterator[AiSite]:
    """A loopback site with a sign-in form and a product page (tests/support/ai_site.py)."""
    site = AiSite()
    try:
        yield site
    finally:
        site.close()


@pytest.fixture(scope="session")
def ai_runs(real_server: RealServer, ai_site: AiSite, scripted_model: ScriptedModel) -> AiRuns:
    """AI runs on ``real_server``, made once per session and all finished: navigation and
    extraction, a login accepted and one refused (the same workflow), a model outage, and a
    task_v2 run (tests/support/ai_runs.py)."""
    if not real_server.browser:
        _unavailable(f"AI runs need {', '.join(missing_system_tools()) or 'chromium'}")
    return make_ai_runs(real_server.base_url, real_server.api_key, ai_site, scripted_model)
