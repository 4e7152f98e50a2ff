"""Taking control of a browser session: mouse, wheel, keys and navigation over skyvern's CDP
input socket (API doc §8).

``ws(s)://<host>/v1/stream/cdp_input/browser_session/{id}?apikey=…&client_id=…``. The
server answers ``{"kind": "ready"}`` and drops every event until the client sends
``{"kind": "take-control"}``. Events are JSON objects:

- ``{"kind": "mouseEvent", "eventType": "mousePressed"|"mouseReleased"|"mouseMoved", "x",
  "y", "button": "left"|"middle"|"right"|"none", "clickCount", "modifiers"}``, in the
  remote page's CSS pixels;
- ``{"kind": "wheelEvent", "x", "y", "deltaX", "deltaY", "modifiers"}``;
- ``{"kind": "keyEvent", "eventType": "keyDown"|"keyUp"|"rawKeyDown", "key", "code",
  "text"?, "windowsVirtualKeyCode"?, "modifiers"}`` (``text`` only for one printable
  character on keyDown);
- ``{"kind": "navigateEvent", "url"}``, ``goBackEvent``, ``goForwardEvent``, ``reloadEvent``.

Replies: ``navigate-error`` with a ``reason``. Close codes in the 4400s say why the server
will not take input (the session is gone or finished, its browser never came up).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

from .errors import NetworkError, NetworkErrorKind, SkyvernError
from .paths import ApiPath
from .secrets import Secret
from .sockets import SocketWords, socket_error
from .stream import websocket_base

_QUIET = logging.getLogger("skyvern_desktop.api.cdp_input.websockets")
_QUIET.propagate = False
_QUIET.addHandler(logging.NullHandler())
_QUIET.setLevel(logging.CRITICAL + 1)

_WORDS = SocketWords(
    refused="The server refused control of this browser (HTTP {status}).",
    missing="This server cannot take input for a browser (HTTP 404); it may be too old.",
    other_status="Control of the browser could not start: HTTP {status}.",
    timeout="The server did not answer the request to control the browser in time.",
    failed="Control of the browser failed: {reason}.",
    dropped="The connection for typing into the browser dropped.",
)

MODIFIER_ALT: Final = 1
MODIFIER_CTRL: Final = 2
MODIFIER_META: Final = 4
MODIFIER_SHIFT: Final = 8

CLOSE_REASONS: Final = {
    4404: "The browser session has ended.",
    4408: "The browser session's browser did not come up in time.",
    4410: "The browser session has no page to type into.",
    4411: "The server lost the browser's page.",
    1002: "The server refused the input connection.",
    1008: "The server refused the input connection.",
}
NAVIGATE_ERRORS: Final = {
    "invalid_url": "That is not a web address the browser can open.",
    "blocked": "The server does not allow the browser to go there.",
    "failed": "The page could not be opened.",
}


class InputRefusedError(SkyvernError):
    """The server will not take input for this session (the reason in words)."""


class CdpInput:
    """One input connection. :meth:`run` connects, takes control and sends what
    :meth:`send` queued until the connection ends; ``on_reply(message)`` is told of the
    server's replies (a navigation that failed). Mouse moves are merged while the
    connection is busy, so a slow link never builds a queue of stale moves."""

    def __init__(
        self,
        base_url: str,
        key: Secret,
        *,
        browser_session_id: str,
        client_id: str,
        on_reply: Callable[[dict[str, Any]], None] | None = None,
        open_timeout: float = 15.0,
    ) -> None:
        path = ApiPath.CDP_INPUT_SESSION.fill(session_id=browser_session_id)
        self.url = websocket_base(base_url) + path
        self._key = key
        self._client_id = client_id
        self._on_reply = on_reply
        self._open_timeout = open_timeout
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.in_control = False
        self.sent = 0
        self.merged = 0

    def __repr__(self) -> str:
        return f"CdpInput(url={self.url!r}, key=***)"

    def _address(self) -> str:
        return (
            f"{self.url}?apikey={quote(self._key.reveal(), safe='')}"
            f"&client_id={quote(self._client_id, safe='')}"
        )

    def send(self, event: dict[str, Any]) -> None:
        """Queue one event (never blocks). A mouse move replaces a move still waiting."""
        if event.get("kind") == "mouseEvent" and event.get("eventType") == "mouseMoved":
            waiting = self._queue._queue  # type: ignore[attr-defined]  # deque; same thread
            if waiting and waiting[-1].get("eventType") == "mouseMoved":
                waiting[-1] = event
                self.merged += 1
                return
        self._queue.put_nowait(event)

    def navigate(self, url: str) -> None:
        self.send({"kind": "navigateEvent", "url": url})

    def history(self, kind: str) -> None:
        """``goBackEvent``, ``goForwardEvent`` or ``reloadEvent``."""
        self.send({"kind": kind})

    async def run(self) -> None:
        """Connect, take control, and send events until closed or cancelled.

        Raises :class:`InputRefusedError` when the server will not take input,
        :class:`~.errors.AuthError`, :class:`~.errors.NotFoundError`, or
        :class:`~.errors.NetworkError` when the connection fails or drops."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        where = self.url
        try:
            async with connect(
                self._address(),
                open_timeout=self._open_timeout,
                # No keepalive pings: input flows while the window is used, and a closed
                # window leaves no ping task behind (the picture's socket has its own).
                ping_interval=None,
                close_timeout=2,
                max_size=1 << 20,
                logger=_QUIET,
            ) as socket:
                # The server says "ready" once the session's browser is there.
                while True:
                    reply = _parse(await socket.recv())
                    if reply.get("kind") == "ready":
                        break
                await socket.send(json.dumps({"kind": "take-control"}))
                self.in_control = True

                async def read() -> None:
                    async for data in socket:
                        message = _parse(data)
                        if message and self._on_reply is not None:
                            self._on_reply(message)

                reader = asyncio.create_task(read(), name="cdp-input.read")
                getter: asyncio.Task[dict[str, Any]] | None = None
                try:
                    while not reader.done():
                        getter = asyncio.create_task(self._queue.get(), name="cdp-input.next")
                        await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                        if not getter.done():
                            getter.cancel()  # the socket closed: nothing more is sent
                            break
                        await socket.send(json.dumps(getter.result()))
                        self.sent += 1
                    error = None if reader.cancelled() else reader.exception()
                    if error is not None:
                        raise error
                    # The server closed the socket: say why (a clean close, no reason, is
                    # a drop: the caller connects again).
                    await socket.recv()
                finally:
                    for task in (reader, getter):
                        if task is not None:
                            task.cancel()
                    await asyncio.gather(
                        *(t for t in (reader, getter) if t is not None), return_exceptions=True
                    )
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            if code in CLOSE_REASONS:
                raise InputRefusedError(CLOSE_REASONS[code]) from None
            raise NetworkError(
                "The connection for typing into the browser dropped.", NetworkErrorKind.OTHER
            ) from None
        except Exception as exc:  # websockets' failures and the network's, in our words
            error = socket_error(exc, where, _WORDS)
            if error is None:
                raise
            raise error from None
        finally:
            self.in_control = False


def _parse(data: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(data)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}
