"""Small rules about addresses: what is on this computer, and which links can be opened."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

_PROBE_TTL_S = 30.0
_probed: dict[tuple[str, int], tuple[float, bool]] = {}


def is_loopback(url: str) -> bool:
    """An address on this computer (``localhost``, ``127.x``, ``::1``)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def web_ui_link(app_url: str | None) -> str | None:
    """``app_url`` when it can be opened in a browser, else ``None``.

    Skyvern writes ``app_url`` from its ``SKYVERN_APP_URL`` setting (``http://localhost:8080``
    by default) whether or not a web UI runs there; a server started by this app has none.
    A link to this computer is kept only when something listens on its port (a refused
    connection on loopback answers at once; the answer is remembered for 30 s). Links to
    other hosts are kept as they are."""
    if not app_url:
        return None
    if not is_loopback(app_url):
        return app_url
    parts = urlsplit(app_url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    host = parts.hostname or "localhost"
    now = time.monotonic()
    cached = _probed.get((host, port))
    if cached is not None and now - cached[0] < _PROBE_TTL_S:
        return app_url if cached[1] else None
    try:
        with socket.create_connection((host, port), timeout=0.2):
            listening = True
    except OSError:
        listening = False
    _probed[(host, port)] = (now, listening)
    return app_url if listening else None
