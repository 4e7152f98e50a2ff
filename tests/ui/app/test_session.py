"""The connection status follows what really happens: a problem that has passed is not
shown any longer once requests succeed again."""

from __future__ import annotations

import asyncio

import pytest

from skyvern_desktop.api import NO_RETRY, Secret, SkyvernClient
from skyvern_desktop.core.connection.check import (
    ConnectionReport,
    ConnectionState,
    check_connection,
)
from skyvern_desktop.core.connection.profiles import Profile, ProfileKind
from skyvern_desktop.ui import session as session_module
from skyvern_desktop.ui.session import Session
from tests.api.support import API_KEY
from tests.fakes.server import FakeResponse, FakeServer
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


async def test_the_status_recovers_by_itself_once_requests_succeed(fake_server: FakeServer) -> None:
    page = FakeResponse.of_text("<html>Bad Gateway</html>", status=200, content_type="text/html")
    fake_server.enqueue("GET", "/v1/version", page)
    fake_server.always("GET", "/v1/workflows", FakeResponse.of_json([]))
    session = Session(retry=NO_RETRY)
    profile = Profile(name="Flaky", kind=ProfileKind.SELF_HOSTED, base_url=fake_server.url)
    try:
        report = await session.connect_to(profile, Secret(API_KEY))
        assert report.state is ConnectionState.NOT_SKYVERN  # no retries allowed here
        # The path heals; a screen's request succeeds and says so.
        fake_server.always("GET", "/v1/version", FakeResponse.of_json({"version": "1.0.56"}))
        session.note_success()
        await wait_until(lambda: session.report.state is ConnectionState.CONNECTED)
        assert session.report.version == "1.0.56"
        assert len(fake_server.requests_to("GET", "/v1/version")) == 2
        session.note_success()  # already fine: nothing more is asked
        assert len(fake_server.requests_to("GET", "/v1/version")) == 2
    finally:
        await session.aclose()


async def test_the_screens_first_request_leaves_before_the_check_then_checked_is_said(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The visible list goes first; background work waits for ``checked``, said once the
    check has its verdict (so the list does not queue behind the check or the polls)."""
    fake_server.always("GET", "/v1/version", FakeResponse.of_json({"version": "1.0.56"}))
    fake_server.always("GET", "/v1/workflows", FakeResponse.of_json([]))
    session = Session(retry=NO_RETRY)
    profile = Profile(name="Here", kind=ProfileKind.SELF_HOSTED, base_url=fake_server.url)
    said: list[str] = []
    listed: list[asyncio.Task[object]] = []

    async def screen_list() -> object:
        said.append("the screen's list leaves")
        client = session.client
        assert client is not None
        return await client.list_workflows(page=1, page_size=20)

    async def check(client: SkyvernClient, *, has_key: bool = True) -> ConnectionReport:
        said.append("the check leaves")
        return await check_connection(client, has_key=has_key)

    monkeypatch.setattr(session_module, "check_connection", check)
    session.client_changed.connect(
        lambda: listed.append(asyncio.get_running_loop().create_task(screen_list()))
    )
    session.checked.connect(lambda: said.append(f"checked: {session.report.state}"))
    try:
        report = await session.connect_to(profile, Secret(API_KEY))
        assert report.state is ConnectionState.CONNECTED
        await asyncio.gather(*listed)
        assert said == ["the screen's list leaves", "the check leaves", "checked: connected"]
    finally:
        await session.aclose()
