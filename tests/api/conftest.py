"""Fixtures for the API tests: the fake server, fake time and real clients pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
import pytest
import pytest_asyncio

from skyvern_desktop.api import RetryPolicy, SkyvernClient
from tests.api.support import API_KEY
from tests.fakes.server import FakeServer
from tests.fakes.timing import FakeClock, RecordingSleep

TEST_TIMEOUT = httpx.Timeout(5.0)


class ClientFactory(Protocol):
    def __call__(self, base_url: str | None = None, **overrides: Any) -> SkyvernClient: ...


@pytest_asyncio.fixture
async def make_client(
    request: pytest.FixtureRequest, clock: FakeClock, sleeper: RecordingSleep
) -> AsyncIterator[ClientFactory]:
    """Build real ``SkyvernClient`` s; by default for ``fake_server``, with the test key,
    deterministic retries (``rand=1.0``: waits 0.5, 1, 2, 4 s), recorded sleeps and fake time.
    Every client is closed after the test."""
    clients: list[SkyvernClient] = []

    def make(base_url: str | None = None, **overrides: Any) -> SkyvernClient:
        if base_url is None:
            server: FakeServer = request.getfixturevalue("fake_server")
            base_url = server.url
        options: dict[str, Any] = {
            "api_key": API_KEY,
            "retry": RetryPolicy(rand=lambda: 1.0),
            "sleep": sleeper,
            "clock": clock,
            "timeout": TEST_TIMEOUT,
            **overrides,
        }
        client = SkyvernClient(base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
