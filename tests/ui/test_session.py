"""The connection status follows what really happens: a problem that has passed is not
shown any longer once requests succeed again."""

from __future__ import annotations

import pytest

from skyvern_desktop.api import NO_RETRY, Secret
from skyvern_desktop.core.connection import ConnectionState
from skyvern_desktop.core.profiles import Profile, ProfileKind
from skyvern_desktop.ui.session import Session

from ..api.support import API_KEY
from ..fakes.server import FakeResponse, FakeServer
from .conftest import wait_until

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
