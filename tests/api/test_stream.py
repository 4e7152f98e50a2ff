"""The live view's socket: messages parsed, the key kept out of sight, and faults against a
real WebSocket server on a loopback port (started by each test, not a mock)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from skyvern_desktop.api import (
    NO_RETRY,
    AuthError,
    NetworkError,
    NotFoundError,
    Secret,
    SkyvernClient,
    register_secret,
    scrub,
)
from skyvern_desktop.api.client import _UNKNOWN
from skyvern_desktop.api.errors import NetworkErrorKind
from skyvern_desktop.api.stream import (
    MAX_FRAME_BYTES,
    BadFrame,
    Frame,
    LiveStream,
    Message,
    Opened,
    SignOff,
    StreamRefusedError,
    parse_message,
    websocket_base,
)
from tests.api.support import API_KEY
from tests.fakes.server import FakeResponse, FakeServer, free_closed_port

STREAM_PATH = "/api/v1/stream/workflow_runs/wr_1"
JPEG = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes all the same"

# The fake server's own logger: websockets logs each handshake it rejects.
_SERVER_LOG = logging.getLogger("tests.api.test_stream.server")
_SERVER_LOG.propagate = False
_SERVER_LOG.addHandler(logging.NullHandler())


def _fresh_key() -> str:
    """A key no client has registered, so only the stream itself can keep it out of text."""
    return f"sk-live-{uuid.uuid4().hex}"


def frame_json(image: bytes = JPEG, **extra: object) -> str:
    data: dict[str, object] = {
        "workflow_run_id": "wr_1",
        "status": "running",
        "screenshot": base64.b64encode(image).decode(),
        "format": "jpeg",
        "viewport_width": 1280,
        "viewport_height": 720,
        "url": "https://example.test/page",
    }
    data.update(extra)
    return json.dumps(data)


# ---------------------------------------------------------------------- parse_message


def test_a_frame_carries_its_picture_size_url_and_status() -> None:
    message = parse_message(frame_json(format="PNG", url="https://example.test/a"))
    assert message == Frame(
        image=JPEG, format="png", url="https://example.test/a", status="running",
        width=1280, height=720,
    )  # fmt: skip


def test_a_frame_without_format_or_sizes_is_a_jpeg_of_unknown_size() -> None:
    raw = json.dumps({"screenshot": base64.b64encode(JPEG).decode(), "viewport_width": True})
    message = parse_message(raw)
    assert isinstance(message, Frame)
    assert (message.format, message.width, message.height, message.url) == (
        "jpeg", None, None, None,
    )  # fmt: skip


def test_a_message_without_a_screenshot_signs_off_with_the_final_status() -> None:
    assert parse_message(json.dumps({"workflow_run_id": "wr_1", "status": "completed"})) == (
        SignOff("completed")
    )
    assert parse_message(json.dumps({"status": "timeout"})) == SignOff("timeout")
    assert parse_message("{}") == SignOff("ended")


OVERSIZED = bytes(MAX_FRAME_BYTES + 1024)


def test_a_frame_over_eight_megabytes_is_dropped_but_one_at_the_limit_is_kept() -> None:
    over = parse_message(frame_json(OVERSIZED, url="https://example.test/big"))
    assert isinstance(over, BadFrame)
    assert "8 MB" in over.reason
    assert (over.url, over.status) == ("https://example.test/big", "running")
    at_limit = parse_message(frame_json(bytes(MAX_FRAME_BYTES)))
    assert isinstance(at_limit, Frame)
    assert len(at_limit.image) == MAX_FRAME_BYTES


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (json.dumps({"screenshot": "not base64 at all!"}), "base64"),
        (json.dumps({"screenshot": "QUJDRA"}), "base64"),  # missing padding
        (json.dumps({"screenshot": ""}), "without a picture"),
        (json.dumps({"screenshot": 42}), "without a picture"),
        (json.dumps([1, 2, 3]), "not an object"),
        (json.dumps("a string"), "not an object"),
        (b'{"screenshot": "QUJD"}', "binary"),
    ],
)
def test_unusable_messages_are_bad_frames(raw: str | bytes, reason: str) -> None:
    message = parse_message(raw)
    assert isinstance(message, BadFrame)
    assert reason in message.reason


def test_text_that_is_not_json_ends_the_stream_in_the_servers_words() -> None:
    with pytest.raises(StreamRefusedError) as caught:
        parse_message("Invalid credential provided\n")
    assert str(caught.value) == "Invalid credential provided"


def test_the_servers_words_are_scrubbed_of_a_registered_key() -> None:
    key = _fresh_key()
    register_secret(key)
    with pytest.raises(StreamRefusedError) as caught:
        parse_message(f"Invalid credential provided: {key}")
    assert key not in str(caught.value)
    assert str(caught.value) == "Invalid credential provided: ***"


def test_wordless_refusal_still_says_something() -> None:
    with pytest.raises(StreamRefusedError, match="wordlessly"):
        parse_message("   ")


# ---------------------------------------------------------------------- addresses and the key


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000"),
        ("HTTP://localhost:8000/", "ws://localhost:8000"),
        ("https://api.skyvern.com", "wss://api.skyvern.com"),
        ("https://example.test/skyvern/", "wss://example.test/skyvern"),
    ],
)
def test_the_socket_is_on_the_servers_own_origin(base: str, expected: str) -> None:
    assert websocket_base(base) == expected


@pytest.mark.parametrize("base", ["ftp://example.test", "file:///tmp/x", "ws://h:1", "http://"])
def test_other_schemes_have_no_live_view(base: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        websocket_base(base)


def test_the_stream_keeps_the_path_prefix_and_never_shows_the_key() -> None:
    key = _fresh_key()
    stream = LiveStream("https://example.test/skyvern", Secret(key), run_id="wr_1")
    assert stream.url == "wss://example.test/skyvern/api/v1/stream/workflow_runs/wr_1"
    assert key not in repr(stream)
    assert key not in str(stream)
    assert key not in stream.url
    assert "***" in repr(stream)
    session = LiveStream(
        "http://h:1", Secret(key), run_id="wr_1", browser_session_id="pbs_1"
    )  # a run in a persistent browser session streams that session
    assert session.url == "ws://h:1/v1/stream/browser_sessions/pbs_1"


@pytest.mark.asyncio
async def test_the_client_builds_the_runs_stream_with_its_own_key() -> None:
    async with SkyvernClient("https://example.test/prefix/", API_KEY, retry=NO_RETRY) as client:
        stream = client.live_stream("wr 1/x")
    assert stream.url == "wss://example.test/prefix/api/v1/stream/workflow_runs/wr%201%2Fx"
    assert stream.run_id == "wr 1/x"
    assert API_KEY not in repr(stream)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wss://h/x?apikey=abc123def&run=1", "wss://h/x?apikey=***&run=1"),
        ("GET /s?run=1&token=zz9 HTTP/1.1", "GET /s?run=1&token=*** HTTP/1.1"),
        ("'ws://h/x?API_KEY=v4lue'", "'ws://h/x?API_KEY=***'"),
        ("https://h/x?access_token=t#frag", "https://h/x?access_token=***#frag"),
        ("no query here, apikey=plain", "no query here, apikey=plain"),
    ],
)
def test_scrub_redacts_keys_in_query_strings_registered_or_not(text: str, expected: str) -> None:
    assert scrub(text) == expected


# ---------------------------------------------------------------------- a real socket server


Script = Callable[[ServerConnection], Awaitable[None]]


@dataclass
class SocketServer:
    """What the loopback WebSocket server saw."""

    port: int = 0
    paths: list[str] = field(default_factory=list)
    header_values: list[str] = field(default_factory=list)
    closed: list[bool] = field(default_factory=list)  # per connection: the client closed it
    done: asyncio.Event = field(default_factory=asyncio.Event)  # a connection has ended

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def socket_server(
    script: Script, *, reject: int | None = None
) -> AsyncIterator[SocketServer]:
    seen = SocketServer()

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        seen.paths.append(ws.request.path)
        seen.header_values.extend(v for _, v in ws.request.headers.raw_items())
        await script(ws)

    def process_request(ws: ServerConnection, request: Request) -> Response | None:
        if reject is None:
            return None
        seen.paths.append(request.path)
        return ws.respond(reject, "Forbidden\n")

    async with serve(
        handler, "127.0.0.1", 0, process_request=process_request, logger=_SERVER_LOG
    ) as server:
        seen.port = next(iter(server.sockets)).getsockname()[1]
        yield seen


async def collect(stream: LiveStream) -> list[Message]:
    return [message async for message in stream.messages()]


async def _read_into(stream: LiveStream, out: list[Message]) -> None:
    async for message in stream.messages():
        out.append(message)


async def collect_until_error(
    stream: LiveStream, out: list[Message], error: type[Exception]
) -> Exception:
    with pytest.raises(error) as caught:
        await _read_into(stream, out)
    return caught.value


async def _wait_closed(ws: ServerConnection, seen: SocketServer) -> None:
    """Record whether the client closes the socket within 3 s (the server does not)."""
    try:
        await asyncio.wait_for(ws.wait_closed(), 3)
        seen.closed.append(True)
    except TimeoutError:
        seen.closed.append(False)
    seen.done.set()


@pytest.mark.asyncio
async def test_frames_arrive_until_the_sign_off_and_the_key_is_only_in_the_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    holder: list[SocketServer] = []

    async def script(ws: ServerConnection) -> None:
        await ws.send(frame_json(url="https://example.test/1"))
        await ws.send(frame_json(url="https://example.test/2", format="png"))
        await ws.send(json.dumps({"workflow_run_id": "wr_1", "status": "completed"}))
        await ws.send(frame_json(url="https://example.test/after"))  # never read
        await _wait_closed(ws, holder[0])

    key = _fresh_key()
    async with socket_server(script) as seen:
        holder.append(seen)
        async with SkyvernClient(seen.base_url, key, retry=NO_RETRY) as client:
            stream = client.live_stream("wr_1")
            messages = await collect(stream)
        await asyncio.wait_for(seen.done.wait(), 5)
    assert [type(m) for m in messages] == [Opened, Frame, Frame, SignOff]
    first, second = messages[1], messages[2]
    assert isinstance(first, Frame) and isinstance(second, Frame)
    assert (first.url, first.image, first.format) == ("https://example.test/1", JPEG, "jpeg")
    assert (second.url, second.format) == ("https://example.test/2", "png")
    assert messages[-1] == SignOff("completed")
    assert seen.closed == [True]  # the stream closed its socket after the sign-off
    # The server saw the run's path, and the key only in the query string.
    (path,) = seen.paths
    parts = urlsplit(path)
    assert parts.path == STREAM_PATH
    assert parse_qs(parts.query) == {"apikey": [key]}
    assert not [v for v in seen.header_values if key in v]
    assert stream.url == f"ws://127.0.0.1:{seen.port}{STREAM_PATH}"
    # Nothing the app logs carries the key, at debug level, websockets' client records
    # included (pytest attaches its capture to non-propagating loggers too). The fake
    # server's own log reads the request line, key and all, as any server's would: it is
    # left out by name.
    logged = [r.getMessage() for r in caplog.records if r.name != _SERVER_LOG.name]
    assert not [m for m in logged if key in m]


@pytest.mark.asyncio
async def test_a_clean_close_without_a_sign_off_just_ends_the_messages() -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send(frame_json())
        await ws.close(1000, "bye")

    async with socket_server(script) as seen:
        stream = LiveStream(seen.base_url, Secret(_fresh_key()), run_id="wr_1")
        messages = await collect(stream)
    assert [type(m) for m in messages] == [Opened, Frame]


@pytest.mark.asyncio
async def test_an_oversized_frame_is_dropped_and_the_connection_goes_on() -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send(frame_json(OVERSIZED))
        await ws.send(frame_json(url="https://example.test/still-here"))
        await ws.send("definitely { not json")

    async with socket_server(script) as seen:
        stream = LiveStream(seen.base_url, Secret(_fresh_key()), run_id="wr_1")
        got: list[Message] = []
        error = await collect_until_error(stream, got, StreamRefusedError)
    assert [type(m) for m in got] == [Opened, BadFrame, Frame]
    assert isinstance(got[2], Frame)
    assert got[2].url == "https://example.test/still-here"
    assert str(error) == "definitely { not json"


@pytest.mark.asyncio
async def test_a_message_over_the_sockets_limit_drops_the_connection() -> None:
    huge = "x" * (4 * MAX_FRAME_BYTES + 1)

    async def script(ws: ServerConnection) -> None:
        await ws.send(huge)
        await ws.wait_closed()

    key = _fresh_key()
    async with socket_server(script) as seen:
        stream = LiveStream(seen.base_url, Secret(key), run_id="wr_1")
        got: list[Message] = []
        error = await collect_until_error(stream, got, NetworkError)
    assert got == [Opened()]
    assert "dropped" in str(error)
    assert key not in str(error)


@pytest.mark.asyncio
async def test_a_refused_key_ends_the_stream_in_the_servers_words() -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send("Invalid credential provided")
        await ws.close()

    key = _fresh_key()
    async with (
        socket_server(script) as seen,
        SkyvernClient(seen.base_url, key, retry=NO_RETRY) as client,
    ):
        got: list[Message] = []
        error = await collect_until_error(client.live_stream("wr_1"), got, StreamRefusedError)
    assert got == [Opened()]
    assert str(error) == "Invalid credential provided"
    assert key not in repr(error)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "error"),
    [(403, AuthError), (401, AuthError), (404, NotFoundError), (500, NetworkError)],
)
async def test_a_handshake_refused_over_http_is_a_typed_error_without_the_key(
    status: int, error: type[Exception]
) -> None:
    key = _fresh_key()
    async with (
        socket_server(_never, reject=status) as seen,
        SkyvernClient(seen.base_url, key, retry=NO_RETRY) as client,
    ):
        got: list[Message] = []
        caught = await collect_until_error(client.live_stream("wr_1"), got, error)
    assert got == []
    assert f"HTTP {status}" in str(caught)
    assert key not in str(caught)
    assert key not in repr(caught)
    assert urlsplit(seen.paths[0]).path == STREAM_PATH


async def _never(ws: ServerConnection) -> None:
    raise AssertionError("the handshake was refused: no connection to handle")


@pytest.mark.asyncio
async def test_nothing_listening_is_a_refused_network_error_without_the_key() -> None:
    key = _fresh_key()
    stream = LiveStream(f"http://127.0.0.1:{free_closed_port()}", Secret(key), run_id="wr_1")
    got: list[Message] = []
    error = await collect_until_error(stream, got, NetworkError)
    assert isinstance(error, NetworkError)
    assert error.kind is NetworkErrorKind.REFUSED
    assert got == []
    assert key not in str(error)
    assert stream.url in str(error)


@pytest.mark.asyncio
async def test_a_server_that_never_answers_the_handshake_times_out() -> None:
    stalled: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)  # reads nothing, answers nothing

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    key = _fresh_key()
    try:
        stream = LiveStream(  # the app waits 15 s
            f"http://127.0.0.1:{port}", Secret(key), run_id="wr_1", open_timeout=0.2
        )
        got: list[Message] = []
        error = await collect_until_error(stream, got, NetworkError)
    finally:
        for writer in stalled:
            writer.close()
        server.close()
        await server.wait_closed()
    assert isinstance(error, NetworkError)
    assert error.kind is NetworkErrorKind.TIMEOUT
    assert key not in str(error)


async def _abort(ws: ServerConnection) -> None:
    ws.transport.abort()  # the TCP connection ends without a close frame


async def _close_1011(ws: ServerConnection) -> None:
    await ws.close(1011, "internal error")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("drop", "words"), [(_abort, "no close frame"), (_close_1011, "code 1011: internal error")]
)
async def test_a_connection_dropped_mid_stream_is_a_network_error(drop: Script, words: str) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send(frame_json())
        await asyncio.sleep(0.05)  # the frame is on its way before the drop
        await drop(ws)

    key = _fresh_key()
    async with socket_server(script) as seen:
        stream = LiveStream(seen.base_url, Secret(key), run_id="wr_1")
        got: list[Message] = []
        error = await collect_until_error(stream, got, NetworkError)
    assert [type(m) for m in got] == [Opened, Frame]
    assert words in str(error)
    assert key not in str(error)


@pytest.mark.asyncio
async def test_the_streaming_mode_is_asked_once_and_an_outage_is_not_remembered(
    fake_server: FakeServer,
) -> None:
    fake_server.enqueue(
        "GET", "/v1/config/runtime",
        FakeResponse.of_json({"browser_streaming_mode": "CDP", "warnings": []}),
    )  # fmt: skip
    async with SkyvernClient(fake_server.url, "k" * 20, retry=NO_RETRY) as client:
        assert await client.streaming_mode() == "cdp"
        assert await client.streaming_mode() == "cdp"
    assert len(fake_server.requests_to("GET", "/v1/config/runtime")) == 1

    fake_server.enqueue("GET", "/v1/config/runtime", FakeResponse(status=404))
    async with SkyvernClient(fake_server.url, "k" * 20, retry=NO_RETRY) as client:
        assert await client.streaming_mode() is None  # an older server, or the Cloud
        assert await client.streaming_mode() is None
    assert len(fake_server.requests_to("GET", "/v1/config/runtime")) == 2

    closed = f"http://127.0.0.1:{free_closed_port()}"
    async with SkyvernClient(closed, "k" * 20, retry=NO_RETRY) as client:
        assert await client.streaming_mode() is None  # nothing answers: asked again later
        assert client._streaming_mode is _UNKNOWN
