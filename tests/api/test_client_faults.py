"""Faults a real server will not produce on demand: what the real client makes of them."""

from __future__ import annotations

import json

import httpx
import pytest

from skyvern_desktop.api import (
    ClientClosedError,
    NetworkError,
    NetworkErrorKind,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    SkyvernClient,
    SkyvernError,
)
from skyvern_desktop.api.models import RunStatus, WorkflowRunRequest
from tests.api.conftest import ClientFactory
from tests.api.support import run_json, workflow_json
from tests.fakes.server import FakeResponse, FakeServer, free_closed_port
from tests.fakes.timing import RecordingSleep

RUN = "/v1/run/workflows"
RETRY = "/v1/workflows/runs/wr_1/retry"
REQUEST = WorkflowRunRequest(workflow_id="wpid_1", parameters={"url": "https://example.com"})


async def _start(client: SkyvernClient, which: str) -> object:
    if which == "run":
        return await client.run_workflow(REQUEST)
    return await client.retry_run("wr_1")


PATHS = {"run": RUN, "retry": RETRY}
starts = pytest.mark.parametrize("which", ["run", "retry"])

# ---------------------------------------------------------------------- starting runs


@pytest.mark.asyncio
async def test_run_workflow_success_sends_the_body_once(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue("POST", RUN, FakeResponse.of_json(run_json("wr_9")))
    run = await make_client().run_workflow(REQUEST)
    assert run.run_id == "wr_9"
    assert run.status == RunStatus.CREATED
    (sent,) = fake_server.requests
    assert sent.method == "POST"
    assert sent.path == RUN
    assert sent.json() == {"workflow_id": "wpid_1", "parameters": {"url": "https://example.com"}}
    assert sent.header("content-type") == "application/json"
    # "skyvern-ui" would make the server cap outputs (API doc §1.1).
    assert sent.header("x-user-agent") is None


@pytest.mark.asyncio
@starts
@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse.of_json({"error": "Unexpected error: RuntimeError"}, 500),
        FakeResponse(status=502),
        FakeResponse(status=503, headers={"retry-after": "1"}),
    ],
    ids=["500", "502", "503"],
)
async def test_starting_a_run_is_never_retried_on_5xx(
    make_client: ClientFactory,
    fake_server: FakeServer,
    sleeper: RecordingSleep,
    which: str,
    answer: FakeResponse,
) -> None:
    fake_server.always("POST", PATHS[which], answer)
    # A 502 from a gateway leaves it unknown whether the run started: say so, never resend.
    expected = OutcomeUnknownError if answer.status == 502 else ServerError
    with pytest.raises(expected):
        await _start(make_client(), which)
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
@starts
async def test_starting_a_run_is_never_retried_on_429(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep, which: str
) -> None:
    fake_server.always("POST", PATHS[which], FakeResponse(status=429, headers={"Retry-After": "2"}))
    with pytest.raises(RateLimitedError) as caught:
        await _start(make_client(), which)
    assert caught.value.retry_after == 2.0
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
@starts
async def test_read_timeout_after_sending_a_run_is_outcome_unknown(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep, which: str
) -> None:
    fake_server.always("POST", PATHS[which], FakeResponse(delay=30.0))
    client = make_client(timeout=httpx.Timeout(5.0, read=0.15))
    with pytest.raises(OutcomeUnknownError) as caught:
        await _start(client, which)
    assert isinstance(caught.value, NetworkError)
    assert caught.value.kind is NetworkErrorKind.TIMEOUT
    assert "may have reached the server" in str(caught.value)
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
@starts
async def test_connection_dropped_after_sending_a_run_is_outcome_unknown(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep, which: str
) -> None:
    fake_server.always("POST", PATHS[which], FakeResponse(drop=True))
    with pytest.raises(OutcomeUnknownError) as caught:
        await _start(make_client(), which)
    assert caught.value.kind is NetworkErrorKind.OTHER
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
@starts
async def test_refused_run_is_a_plain_network_error(
    make_client: ClientFactory, sleeper: RecordingSleep, which: str
) -> None:
    base = f"http://127.0.0.1:{free_closed_port()}"
    with pytest.raises(NetworkError) as caught:
        await _start(make_client(base), which)
    # Nothing was sent, so the app may say so and offer to try again.
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert type(caught.value) is NetworkError
    assert caught.value.kind is NetworkErrorKind.REFUSED
    assert sleeper.calls == []


@pytest.mark.asyncio
async def test_cancel_timeout_is_not_retried_nor_outcome_unknown(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.always("POST", "/v1/runs/wr_1/cancel", FakeResponse(delay=30.0))
    client = make_client(timeout=httpx.Timeout(5.0, read=0.15))
    with pytest.raises(NetworkError) as caught:
        await client.cancel_run("wr_1")
    assert type(caught.value) is NetworkError
    assert caught.value.kind is NetworkErrorKind.TIMEOUT
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
async def test_cancel_accepts_a_null_body(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue("POST", "/v1/runs/wr_1/cancel", FakeResponse.of_json(None))
    await make_client().cancel_run("wr_1")
    (sent,) = fake_server.requests
    assert (sent.method, sent.path, sent.body) == ("POST", "/v1/runs/wr_1/cancel", b"")


# ---------------------------------------------------------------------- bad replies


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [b"{not json", b"<html><body>Welcome to the captive portal</body></html>", b"", b"\xff\xfe"],
    ids=["broken", "html", "empty", "binary"],
)
async def test_malformed_json_on_200_is_a_protocol_error(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep, body: bytes
) -> None:
    client = make_client()
    fake_server.always("GET", "/v1/version", FakeResponse(body=body))
    with pytest.raises(ProtocolError) as caught:
        await client.version()
    assert "not valid JSON" in str(caught.value)
    assert client.base_url in str(caught.value)
    # An unreadable reply may be a passing fault (a gateway's page, a body cut short): the
    # GET is asked again within the retry budget, then the reply is judged.
    attempts = RetryPolicy().max_attempts
    assert len(fake_server.requests) == attempts
    assert len(sleeper.calls) == attempts - 1


@pytest.mark.asyncio
async def test_wrong_shape_is_a_protocol_error_naming_the_place(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    client = make_client()
    fake_server.enqueue_json("GET", "/v1/workflows", {"workflows": []})
    with pytest.raises(ProtocolError) as caught:
        await client.list_workflows()
    assert str(caught.value) == (
        f"{client.base_url} sent a reply in an unexpected shape"
        " (top level: Input should be a valid array)."
    )

    broken = run_json()
    del broken["status"]
    fake_server.enqueue_json("GET", "/v1/runs/wr_1", broken)
    with pytest.raises(ProtocolError) as caught:
        await client.get_run("wr_1")
    assert "(status: Field required)" in str(caught.value)

    fake_server.enqueue_json("GET", "/v1/workflows", [workflow_json(1), {"title": 5}])
    with pytest.raises(ProtocolError) as caught:
        await client.list_workflows()
    assert "(1.workflow_id: Field required)" in str(caught.value)  # the second item


@pytest.mark.asyncio
async def test_bad_timestamp_is_a_protocol_error(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json("GET", "/v1/runs/wr_1", run_json(created_at="yesterday"))
    with pytest.raises(ProtocolError, match="created_at"):
        await make_client().get_run("wr_1")


@pytest.mark.asyncio
async def test_deeply_nested_reply_is_a_protocol_error(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.always("GET", "/v1/version", FakeResponse(body=b"[" * 100_000))
    with pytest.raises(ProtocolError):
        await make_client().version()


@pytest.mark.asyncio
async def test_redirect_is_not_followed_for_api_calls(
    make_client: ClientFactory, fake_server: FakeServer, other_server: FakeServer
) -> None:
    fake_server.enqueue(
        "GET",
        "/v1/version",
        FakeResponse(status=307, headers={"location": other_server.url + "/v1/version"}),
    )
    with pytest.raises(ProtocolError):
        await make_client().version()
    assert other_server.requests == []


@pytest.mark.asyncio
async def test_ten_megabyte_reply_is_parsed(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    count, size = 100, 100_000
    workflows = [
        workflow_json(i, description=(chr(ord("a") + i % 26) + "é") * (size // 2))
        for i in range(count)
    ]
    body = json.dumps(workflows).encode()
    assert len(body) > 10_000_000
    fake_server.enqueue("GET", "/v1/workflows", FakeResponse(body=body))

    result = await make_client().list_workflows(page_size=count)

    assert len(result) == count
    assert sum(len(w.description or "") for w in result) == count * size
    assert result[57].workflow_permanent_id == "wpid_57"
    assert result[57].description == ("fé" * (size // 2))
    assert result[99].inputs[0].key == "url"


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_a_protocol_error_not_a_success(
    make_client: ClientFactory, fake_server: FakeServer, status: int
) -> None:
    # The API never redirects: cancel_run (which ignores the body) must not report a 3xx
    # from a proxy or a wrong address as done.
    fake_server.enqueue(
        "POST",
        "/v1/runs/wr_1/cancel",
        FakeResponse(status=status, headers={"location": "https://elsewhere.test/login"}),
    )
    with pytest.raises(ProtocolError, match="redirect") as caught:
        await make_client().cancel_run("wr_1")
    assert "https://elsewhere.test/login" in str(caught.value)
    assert len(fake_server.requests) == 1


# ---------------------------------------------------------------------- a closed client


@pytest.mark.asyncio
async def test_a_closed_client_says_so_and_sends_nothing(fake_server: FakeServer) -> None:
    """The connection was switched while a form was open: its client is closed. Every
    call says so as a SkyvernError (which every screen handles), not a bare RuntimeError,
    and a run is not 'may have started': nothing was sent."""
    client = SkyvernClient(fake_server.url, "sk-test-key")
    await client.aclose()
    calls = {
        "read": client.get_workflow("wpid_1"),
        "run": client.run_workflow(REQUEST),
        "download": client.download(f"{fake_server.url}/artifacts/a.png"),
    }
    for what, call in calls.items():
        with pytest.raises(ClientClosedError) as caught:
            await call
        assert isinstance(caught.value, SkyvernError), what
        assert not isinstance(caught.value, OutcomeUnknownError), what
        assert "was closed" in str(caught.value) and "nothing was sent" in str(caught.value)
    assert fake_server.requests == []


def test_a_large_reply_is_decoded_without_the_collector_scanning_it() -> None:
    # The collector is paused while a large reply is decoded (the collections its half a
    # million new objects triggered stalled the window for 70-85 ms); it runs again after,
    # two decodes at once do not restart it early, and nothing is frozen out of its sight.
    import gc
    import json
    import threading

    from skyvern_desktop.api.transport import _decode_yielding

    body = json.dumps([{"id": i, "tags": ["a"]} for i in range(20_000)]).encode()
    frozen = gc.get_freeze_count()
    seen: list[list[object]] = []  # kept alive: freed objects leave the frozen set

    def decode() -> None:
        seen.append(_decode_yielding(body))

    threads = [threading.Thread(target=decode) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [len(v) for v in seen] == [20_000, 20_000]
        assert gc.isenabled()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.enable()
