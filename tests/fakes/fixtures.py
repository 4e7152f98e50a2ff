"""Pytest fixtures for the fake server. A suite's ``conftest.py`` re-exports them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tests.fakes.server import FakeServer, _HTTPServer
from tests.fakes.timing import FakeClock, RecordingSleep

FakeServerFactory = Callable[[], FakeServer]


def _fake_threads() -> list[threading.Thread]:
    """The fake servers' own threads: each server's, and those serving its requests (not
    other loopback servers', such as the scripted model's, whose keep-alive connections
    from the real Skyvern server last the whole session)."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("fake-skyvern")
        or isinstance(getattr(getattr(t, "_target", None), "__self__", None), _HTTPServer)
    ]


@pytest.fixture
def fake_server_factory() -> Iterator[FakeServerFactory]:
    """Start as many fake servers as a test needs; all are stopped after it."""
    servers: list[FakeServer] = []

    def make() -> FakeServer:
        server = FakeServer().start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    # A request thread may still be writing its last answer to a client that has gone (on
    # a busy machine, a few hundred ms): it is given 5 s to end before it counts as leaked.
    for thread in _fake_threads():
        thread.join(timeout=5)
    leaked = _fake_threads()
    assert not leaked, f"fake server threads still running: {leaked}"
    errors = [e for server in servers for e in server.errors]
    assert not errors, f"the fake server itself failed: {errors!r}"


@pytest.fixture
def fake_server(fake_server_factory: FakeServerFactory) -> FakeServer:
    """The Skyvern server under test."""
    return fake_server_factory()


@pytest.fixture
def other_server(fake_server_factory: FakeServerFactory) -> FakeServer:
    """A second server on another port, so another origin (say, a file host)."""
    return fake_server_factory()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeper(clock: FakeClock) -> RecordingSleep:
    """Records the client's retry waits and advances ``clock`` by them."""
    return RecordingSleep(clock)
