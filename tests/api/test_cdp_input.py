"""The CDP input socket's faults, on a fake socket server (a real one will not refuse, drop
or time out on demand): refused input, a dropped socket, a session ending mid-use. The
real server's input is in tests/integration/test_logins.py and tests/ui/logins/test_logins.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.server import ServerConnection, serve

from skyvern_desktop.api import NetworkError, NetworkErrorKind, Secret, SkyvernClient
from skyvern_desktop.api.cdp_input import CdpInput, InputRefusedError
from skyvern_desktop.api.sockets import SocketWords, socket_error
from skyvern_desktop.core.runs.remote_input import click, mouse, typed

pytestmark = pytest.mark.asyncio

Handler = Callable[[ServerConnection], Awaitable[None]]


class FakeInputServer:
    def __init__(self) -> None:
        self.handler: Handler | None = None
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.url = ""

    async def _serve(self, socket: ServerConnection) -> None:
        assert socket.request is not None
        self.paths.append(socket.request.path)
        assert self.handler is not None
        await self.handler(socket)

    async def take(self, socket: ServerConnection, n: int) -> None:
        for _ in range(n):
            self.received.append(json.loads(await socket.recv()))


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeInputServer]:
    server = FakeInputServer()
    async with serve(server._serve, "127.0.0.1", 0) as ws:
        port = next(iter(ws.sockets)).getsockname()[1]
        server.url = f"http://127.0.0.1:{port}"
        yield server


def _control(fake: FakeInputServer) -> CdpInput:
    return CdpInput(
        fake.url, Secret("sk-key-0123456789"), browser_session_id="pbs_1", client_id="c1"
    )


async def test_it_takes_control_then_sends_events_with_moves_merged(fake: FakeInputServer) -> None:
    async def handler(socket: ServerConnection) -> None:
        await socket.send(json.dumps({"kind": "ready"}))
        await fake.take(socket, 1)  # take-control
        await asyncio.sleep(0.2)  # meanwhile the client queues events
        await fake.take(socket, 1 + 2 + 10)  # one move, press, release, five keys twice
        await socket.close()

    fake.handler = handler
    control = _control(fake)
    for x in range(5):  # moves while nothing is connected: only the newest is left
        control.send(mouse("mouseMoved", x, x))
    for event in [*click(10, 20), *typed("hello")]:
        control.send(event)
    with pytest.raises(NetworkError):  # the server closed without a reason: a drop
        await asyncio.wait_for(control.run(), 10)
    assert fake.paths[0].startswith("/v1/stream/cdp_input/browser_session/pbs_1?apikey=")
    assert "client_id=c1" in fake.paths[0]
    assert fake.received[0] == {"kind": "take-control"}
    moves = [e for e in fake.received if e.get("eventType") == "mouseMoved"]
    assert moves == [mouse("mouseMoved", 10, 20)] and control.merged == 5  # the click's move
    keys = [e["text"] for e in fake.received if e.get("eventType") == "keyDown"]
    assert keys == list("hello")
    assert "sk-key" not in repr(control)


@pytest.mark.parametrize(
    ("code", "words"),
    [(4404, "has ended"), (4408, "did not come up"), (4410, "no page"), (1008, "refused")],
)
async def test_a_refusal_is_said_in_words(fake: FakeInputServer, code: int, words: str) -> None:
    async def handler(socket: ServerConnection) -> None:
        await socket.close(code, "browser_session_not_found")

    fake.handler = handler
    with pytest.raises(InputRefusedError, match=words):
        await asyncio.wait_for(_control(fake).run(), 10)


async def test_a_session_that_ends_mid_use_stops_the_input(fake: FakeInputServer) -> None:
    async def handler(socket: ServerConnection) -> None:
        await socket.send(json.dumps({"kind": "ready"}))
        await fake.take(socket, 2)
        await socket.close(4404, "browser_session_finalized")

    fake.handler = handler
    control = _control(fake)
    control.send(mouse("mouseMoved", 1, 1))
    with pytest.raises(InputRefusedError, match="has ended"):
        await asyncio.wait_for(control.run(), 10)
    assert not control.in_control


async def test_a_dropped_socket_is_a_network_error_and_a_navigation_error_is_reported(
    fake: FakeInputServer,
) -> None:
    replies: list[dict[str, Any]] = []

    async def handler(socket: ServerConnection) -> None:
        await socket.send(json.dumps({"kind": "ready"}))
        await fake.take(socket, 2)
        await socket.send(json.dumps({"kind": "navigate-error", "reason": "blocked"}))
        await asyncio.sleep(0.2)
        socket.transport.abort()  # no close frame: the connection just goes

    fake.handler = handler
    control = CdpInput(
        fake.url, Secret("k"), browser_session_id="pbs_1", client_id="c", on_reply=replies.append
    )
    control.navigate("http://example.com/")
    with pytest.raises(NetworkError):
        await asyncio.wait_for(control.run(), 10)
    assert replies == [{"kind": "navigate-error", "reason": "blocked"}]


async def test_a_refused_key_is_an_auth_error() -> None:
    from skyvern_desktop.api import AuthError

    async def reject(connection: ServerConnection, request: Any) -> Any:
        return connection.respond(403, "Forbidden\n")

    async def never(_socket: ServerConnection) -> None:
        raise AssertionError("not reached")

    async with serve(never, "127.0.0.1", 0, process_request=reject) as ws:
        port = next(iter(ws.sockets)).getsockname()[1]
        client = SkyvernClient(f"http://127.0.0.1:{port}", "bad-key")
        with pytest.raises(AuthError):
            await client.cdp_input("pbs_1", "c").run()
        await client.aclose()


async def test_nothing_listening_is_said_as_the_live_view_says_it() -> None:
    """Both sockets map websockets' failures through one table (api/sockets.py): a closed
    port is "nothing answers", of the REFUSED kind, and never shows the key."""
    import socket as socket_module

    with socket_module.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    control = CdpInput(
        f"http://127.0.0.1:{port}", Secret("sk-key-0123456789"),
        browser_session_id="pbs_1", client_id="c1",
    )  # fmt: skip
    with pytest.raises(NetworkError) as caught:
        await control.run()
    assert caught.value.kind is NetworkErrorKind.REFUSED
    assert str(caught.value).startswith("Nothing answers at ws://127.0.0.1:")
    assert "sk-key" not in str(caught.value)
    assert not control.in_control


async def test_a_failure_that_is_not_the_sockets_is_left_to_the_caller() -> None:
    words = SocketWords("r", "m", "o", "t", "f {reason}", "d {reason}")
    assert socket_error(ValueError("a bug"), "ws://x", words) is None
    assert socket_error(KeyError("a bug"), "ws://x", words) is None
    error = socket_error(TimeoutError(), "ws://x", words)
    assert isinstance(error, NetworkError) and error.kind is NetworkErrorKind.TIMEOUT
