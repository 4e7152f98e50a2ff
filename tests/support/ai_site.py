"""A loopback web site for AI runs of the real server's browser (test fixture only).

``/signin`` is a sign-in form (username, password, "Sign in"); posting the accepted
credentials redirects to ``/welcome`` ("Welcome, <user>"), anything else shows the form
again with "Invalid username or password". ``/product`` is a product page ("Acme Anvil",
"$129.99"). Every request is recorded, with its form body, so a test can check what the
browser really submitted.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Final
from urllib.parse import parse_qsl, quote, urlsplit

from tests.support.server_build import HtmlHandler

ACCEPTED_USER: Final = "ada@example.com"
ACCEPTED_PASSWORD: Final = "correct-horse-battery-7"
PRODUCT_NAME: Final = "Acme Anvil"
PRODUCT_PRICE: Final = "$129.99"
SIGN_IN_ERROR: Final = "Invalid username or password"

_STYLE = "font: 24px sans-serif; margin: 40px"


def _signin_page(error: str | None = None) -> str:
    alert = f'<p role="alert" style="color: #b00">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html><html><head><title>Acme: sign in</title></head>
<body style="{_STYLE}">
<h1>Sign in to Acme</h1>
{alert}
<form method="post" action="/signin">
<p><label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="off"></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="off"></p>
<p><button type="submit">Sign in</button></p>
</form></body></html>"""


def _welcome_page(user: str) -> str:
    return f"""<!doctype html><html><head><title>Acme: welcome</title></head>
<body style="{_STYLE}"><h1>Welcome, {html.escape(user)}</h1>
<p>You are signed in to Acme.</p></body></html>"""


_PRODUCT_PAGE = f"""<!doctype html><html><head><title>{PRODUCT_NAME}</title></head>
<body style="{_STYLE}">
<h1 data-ui="name">{PRODUCT_NAME}</h1>
<p>Forged steel, 50 kg. Ships in two days.</p>
<p>Price: <span data-ui="price">{PRODUCT_PRICE}</span></p>
<button type="button">Add to cart</button>
</body></html>"""


@dataclass(frozen=True)
class SiteRequest:
    method: str
    path: str
    form: dict[str, str] = field(default_factory=dict)


class AiSite:
    """The site, served on a free loopback port from a daemon thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[SiteRequest] = []
        site = self

        class Handler(HtmlHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                site._record(SiteRequest("GET", url.path))
                query = dict(parse_qsl(url.query))
                if url.path == "/signin":
                    self._send(200, _signin_page())
                elif url.path == "/welcome" and query.get("user"):
                    self._send(200, _welcome_page(query["user"]))
                elif url.path == "/product":
                    self._send(200, _PRODUCT_PAGE)
                else:
                    self._send(404, "<!doctype html><title>Not found</title><h1>Not found</h1>")

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                site._record(SiteRequest("POST", url.path, form))
                if url.path != "/signin":
                    self._send(404, "not here")
                elif (form.get("username"), form.get("password")) == (
                    ACCEPTED_USER,
                    ACCEPTED_PASSWORD,
                ):
                    self._send(303, "", {"location": f"/welcome?user={quote(ACCEPTED_USER)}"})
                else:
                    self._send(200, _signin_page(SIGN_IN_ERROR))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, name="ai-site", daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def signin_url(self) -> str:
        return f"{self.url}/signin"

    @property
    def product_url(self) -> str:
        return f"{self.url}/product"

    def _record(self, request: SiteRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[SiteRequest]:
        with self._lock:
            return list(self._requests)

    def sign_ins(self) -> list[dict[str, str]]:
        """The form bodies posted to ``/signin``, oldest first."""
        return [r.form for r in self.requests if r.method == "POST" and r.path == "/signin"]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
