"""The live picture of a run's browser: one WebSocket, read as frames and a sign-off.

The server sends JSON text messages ``{workflow_run_id, status, screenshot (base64),
format, viewport_width, viewport_height, url}``; one without ``screenshot`` signs off
with a status: a final one, ``"timeout"``, ``"not_found"``, ``"session_expired"``, or the
run's current one when its screencast stopped early. A refused key arrives as plain
text (``Invalid credential provided``) before the socket closes. The key travels in the
query string (the server reads no headers here), so the address with the key exists
only inside :meth:`LiveStream.messages` and never in a repr, a log line or an error.

``websockets`` runs on whatever asyncio loop calls it: in the app, the one qasync loop.
No Qt here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

from .errors import SkyvernError
from .paths import ApiPath
from .secrets import Secret, scrub
from .sockets import SocketWords, socket_error

MAX_FRAME_BYTES: Final = 8 * 1024 * 1024
"""A decoded frame larger than this is dropped (a 1920×1080 JPEG is about 100 KB)."""
_MAX_MESSAGE: Final = 4 * MAX_FRAME_BYTES
"""Bigger messages close the socket (websockets' own limit); those in between are read and
dropped, so one oversized frame does not cost the connection."""
_MAX_BASE64: Final = (MAX_FRAME_BYTES + 2) // 3 * 4

# websockets logs each handshake's request line, with the key, at debug level: its records
# go to a logger of ours that drops everything, so they never reach a handler.
_QUIET = logging.getLogger("skyvern_desktop.api.stream.websockets")
_QUIET.propagate = False
_QUIET.addHandler(logging.NullHandler())
_QUIET.setLevel(logging.CRITICAL + 1)

_WORDS = SocketWords(
    refused="The server refused the live view of this run (HTTP {status}).",
    missing="This server has no live view at {where} (HTTP 404).",
    other_status="The live view could not start: HTTP {status} from {where}.",
    timeout="The live view at {where} did not answer in time.",
    failed="The live view's connection failed: {reason}.",
    dropped="The live view's connection dropped ({reason}).",
)


@dataclass(frozen=True, slots=True)
class Opened:
    """The socket is open: the server waits for the browser, then sends pictures."""


@dataclass(frozen=True, slots=True)
class Quiet:
    """Nothing came for ``quiet_after`` seconds (only when asked for): the reader may
    decide the stream has stalled, and stop."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One picture of the browser's page."""

    image: bytes
    format: str
    url: str | None
    status: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class SignOff:
    """The server's last word on this socket: the run's final status, ``"timeout"``,
    ``"not_found"``, ``"session_expired"``, or a status that is not final ("running"…),
    which asks the viewer to connect again; :data:`NO_STATUS` when it gave none."""

    status: str


NO_STATUS: Final = "ended"
"""A sign-off's status when the message carried none."""


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A message that could not be used (too large, bad base64): dropped and counted."""

    reason: str
    url: str | None = None
    status: str | None = None


Message = Opened | Quiet | Frame | SignOff | BadFrame


class StreamRefusedError(SkyvernError):
    """The server ended the stream in words (a refused key): they are the message."""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_message(data: str | bytes) -> Message:
    """One message of the stream. Raises :class:`StreamRefusedError` for text that is not
    JSON: that is how the server says no."""
    if isinstance(data, bytes):
        return BadFrame("a binary message (the stream sends text)")
    try:
        obj = json.loads(data)
    except ValueError:
        words = scrub(data.strip())[:500]
        raise StreamRefusedError(words or "The server ended the live view wordlessly.") from None
    if not isinstance(obj, dict):
        return BadFrame("a message that is not an object")
    url, status = _text(obj.get("url")), _text(obj.get("status"))
    shot = obj.get("screenshot")
    if shot is None:
        return SignOff(status or NO_STATUS)
    if not isinstance(shot, str) or not shot:
        return BadFrame("a frame without a picture", url, status)
    if len(shot) > _MAX_BASE64:
        return BadFrame(f"a frame over {MAX_FRAME_BYTES // 1048576} MB", url, status)
    try:
        image = base64.b64decode(shot, validate=True)
    except (binascii.Error, ValueError):
        return BadFrame("a frame that is not valid base64", url, status)
    if len(image) > MAX_FRAME_BYTES:  # the length check above lets a few bytes over through
        return BadFrame(f"a frame over {MAX_FRAME_BYTES // 1048576} MB", url, status)
    fmt = _text(obj.get("format")) or "jpeg"
    width, height = _int(obj.get("viewport_width")), _int(obj.get("viewport_height"))
    return Frame(image, fmt.lower(), url, status, width, height)


def websocket_base(base_url: str) -> str:
    """The connection's own origin (and path prefix) with ``ws``/``wss``: an ``https``
    server streams over ``wss``, never in the clear."""
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ValueError(f"{base_url!r} is not an http(s) address")
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


class LiveStream:
    """The stream of one run (or of the persistent browser session it runs in).

    ``url`` is the address without the key, safe to show. :meth:`messages` connects once
    and yields until the server signs off or closes; the caller decides about reconnecting.
    """

    def __init__(
        self,
        base_url: str,
        key: Secret,
        *,
        run_id: str,
        browser_session_id: str | None = None,
        user_agent: str | None = None,
        open_timeout: float = 15.0,
    ) -> None:
        if browser_session_id:
            path = ApiPath.STREAM_SESSION.fill(session_id=browser_session_id)
        else:
            path = ApiPath.STREAM_RUN.fill(run_id=run_id)
        self.url = websocket_base(base_url) + path
        self.run_id = run_id
        self._key = key
        self._user_agent = user_agent
        self._open_timeout = open_timeout

    def __repr__(self) -> str:
        return f"LiveStream(url={self.url!r}, key=***)"

    def _address(self) -> str:
        return f"{self.url}?apikey={quote(self._key.reveal(), safe='')}"

    async def messages(self, *, quiet_after: float | None = None) -> AsyncGenerator[Message, None]:
        """Connect and yield each message; returns after a sign-off or a clean close.
        With ``quiet_after``, a :class:`Quiet` is yielded each time that many seconds
        pass without a message. Close it with ``contextlib.aclosing``.

        Raises :class:`StreamRefusedError` (the server's words, or an HTTP refusal),
        :class:`~.errors.AuthError`, :class:`~.errors.NotFoundError`, or
        :class:`~.errors.NetworkError` when the connection cannot be made or drops.
        """
        from websockets.asyncio.client import connect  # loaded with the first live view
        from websockets.exceptions import ConnectionClosedOK

        where = self.url
        try:
            async with connect(
                self._address(),
                max_size=_MAX_MESSAGE,
                open_timeout=self._open_timeout,
                ping_interval=20,
                ping_timeout=20,
                close_timeout=2,
                user_agent_header=self._user_agent,
                logger=_QUIET,
            ) as socket:
                yield Opened()
                while True:
                    try:
                        async with asyncio.timeout(quiet_after):
                            data = await socket.recv()  # safe to cancel: nothing is lost
                    except TimeoutError:
                        yield Quiet()
                        continue
                    except ConnectionClosedOK:
                        return
                    message = parse_message(data)
                    yield message
                    if isinstance(message, SignOff):
                        return
        except Exception as exc:  # websockets' failures and the network's, in our words
            error = socket_error(exc, where, _WORDS)
            if error is None:
                raise
            raise error from None
