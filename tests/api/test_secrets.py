"""The API key goes to its server's origin only, and never into reprs, errors or logs."""

from __future__ import annotations

import logging
import pickle

import httpx
import pytest

from skyvern_desktop.api import (
    AuthError,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    ProtocolError,
    RedactingFilter,
    RetryPolicy,
    Secret,
    ServerError,
    SkyvernClient,
    SkyvernError,
    ValidationError,
    register_secret,
    scrub,
)
from skyvern_desktop.api.models import ScheduleUpsert, WorkflowRunRequest
from skyvern_desktop.api.transport import _ApiKeyAuth
from tests.api.conftest import ClientFactory
from tests.api.support import API_KEY, run_json, schedule_with_next_runs_json
from tests.fakes.server import FakeResponse, FakeServer, free_closed_port

# ---------------------------------------------------------------------- Secret


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2-but-longer")
    shown = [
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>30}",
        f"{secret}",
        "%s %r" % (secret, secret),  # noqa: UP031 - %-formatting is what logging does
        repr([secret]),
        repr({"key": secret}),
    ]
    for text in shown:
        assert "hunter2" not in text
        assert "***" in text
    assert repr(secret) == "Secret(***)"
    assert secret.reveal() == "hunter2-but-longer"


def test_secret_truthiness_and_equality() -> None:
    assert Secret("x")
    assert not Secret("")
    assert Secret("abc") == Secret("abc")
    assert Secret("abc") != Secret("abd")
    assert Secret("abc") != "abc"
    assert hash(Secret("abc")) == hash(Secret("abc"))


def test_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret("a-secret-value"))


def test_scrub_replaces_registered_values_longest_first() -> None:
    register_secret("scrub-me-0123456789")
    register_secret("scrub-me-0123456789-and-more")
    assert scrub("a scrub-me-0123456789-and-more b") == "a *** b"
    assert scrub("x scrub-me-0123456789 y") == "x *** y"
    assert scrub("nothing here") == "nothing here"


def test_very_short_values_are_not_registered() -> None:
    # Documented: a value under 8 characters would redact ordinary words.
    register_secret("cat")
    assert scrub("the cat sat") == "the cat sat"


# ---------------------------------------------------------------------- RedactingFilter


def _logger_with(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    logger.propagate = False
    return logger


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_redacting_filter_scrubs_args_message_and_exception_text() -> None:
    register_secret(API_KEY)
    handler = _ListHandler()
    handler.addFilter(RedactingFilter())
    logger = _logger_with(handler, "tests.api.secrets.filter")
    try:
        logger.debug("key is %s", API_KEY)
        logger.info(f"inline {API_KEY}")
        logger.warning("dict %(k)s", {"k": API_KEY})
        try:
            raise RuntimeError(f"exploded with {API_KEY}")
        except RuntimeError:
            logger.exception("failed")
        logger.error("broken call %s %s", API_KEY)  # wrong number of args must not raise
    finally:
        logger.removeHandler(handler)
    text = "\n".join(handler.lines)
    assert API_KEY not in text
    assert handler.lines[0] == "DEBUG key is ***"
    assert handler.lines[1] == "INFO inline ***"
    assert handler.lines[2] == "WARNING dict ***"
    assert "RuntimeError: exploded with ***" in handler.lines[3]
    assert handler.lines[4].startswith("ERROR broken call")


# ---------------------------------------------------------------------- the client


@pytest.mark.asyncio
async def test_client_repr_hides_the_key(make_client: ClientFactory) -> None:
    client = make_client("http://127.0.0.1:9", api_key=API_KEY)
    assert repr(client) == "SkyvernClient(base_url='http://127.0.0.1:9', api_key=***)"
    assert API_KEY not in repr(client._http.auth)
    keyless = make_client("http://127.0.0.1:9", api_key=None)
    assert repr(keyless) == "SkyvernClient(base_url='http://127.0.0.1:9', api_key=None)"


@pytest.mark.asyncio
async def test_client_accepts_a_secret(make_client: ClientFactory, fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1"})
    await make_client(api_key=Secret(API_KEY)).version()
    assert fake_server.requests[0].header("x-api-key") == API_KEY


@pytest.mark.asyncio
async def test_key_is_sent_as_x_api_key_on_every_api_call(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1"})
    fake_server.enqueue_json("POST", "/v1/run/workflows", run_json())
    fake_server.enqueue_json(
        "PUT", "/v1/workflows/wpid_1/schedules/wfs_1", schedule_with_next_runs_json()
    )
    fake_server.enqueue_json("DELETE", "/v1/workflows/wpid_1/schedules/wfs_1", {"ok": True})
    fake_server.enqueue_json(
        "POST", "/v1/upload_file", {"s3_uri": "s3://b/k", "presigned_url": "https://x/k"}
    )
    client = make_client()
    await client.version()
    await client.run_workflow(WorkflowRunRequest(workflow_id="wpid_1"))
    await client.update_schedule(
        "wpid_1", "wfs_1", ScheduleUpsert(cron_expression="0 9 * * *", timezone="UTC")
    )
    await client.delete_schedule("wpid_1", "wfs_1")
    await client.upload_file("a.txt", b"abc")
    sent = fake_server.requests
    assert [r.method for r in sent] == ["GET", "POST", "PUT", "DELETE", "POST"]
    assert [r.header("x-api-key") for r in sent] == [API_KEY] * 5
    assert all(r.header("authorization") is None for r in sent)
    assert all((r.header("user-agent") or "").startswith("skyvern-desktop/") for r in sent)


@pytest.mark.asyncio
async def test_no_key_means_no_header(make_client: ClientFactory, fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1"})
    await make_client(api_key=None).version()
    assert "x-api-key" not in fake_server.requests[0].headers


@pytest.mark.asyncio
async def test_download_from_another_origin_sends_no_key(
    make_client: ClientFactory, fake_server: FakeServer, other_server: FakeServer
) -> None:
    other_server.enqueue("GET", "/bucket/shot.png", FakeResponse(body=b"\x89PNG-bytes"))
    client = make_client()
    data = await client.download(other_server.url + "/bucket/shot.png?X-Amz-Signature=abc")
    assert data == b"\x89PNG-bytes"
    (sent,) = other_server.requests
    assert "x-api-key" not in sent.headers
    assert sent.query == {"X-Amz-Signature": ["abc"]}
    assert fake_server.requests == []


@pytest.mark.asyncio
async def test_download_from_the_same_origin_sends_no_key_either(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue("GET", "/artifacts/a.txt", FakeResponse(body=b"hello"))
    assert await make_client().download(fake_server.url + "/artifacts/a.txt") == b"hello"
    assert "x-api-key" not in fake_server.requests[0].headers


@pytest.mark.asyncio
async def test_download_redirected_to_the_api_origin_sends_no_key(
    make_client: ClientFactory, fake_server: FakeServer, other_server: FakeServer
) -> None:
    other_server.enqueue(
        "GET",
        "/r",
        FakeResponse(status=302, headers={"location": fake_server.url + "/landing"}),
    )
    fake_server.enqueue("GET", "/landing", FakeResponse(body=b"landed"))
    assert await make_client().download(other_server.url + "/r") == b"landed"
    assert "x-api-key" not in other_server.requests[0].headers
    assert "x-api-key" not in fake_server.requests[0].headers


@pytest.mark.asyncio
async def test_download_errors(make_client: ClientFactory, other_server: FakeServer) -> None:
    client = make_client()
    other_server.enqueue("GET", "/gone", FakeResponse(status=404))
    with pytest.raises(NotFoundError):
        await client.download(other_server.url + "/gone")

    other_server.enqueue("GET", "/big", FakeResponse(body=b"x" * (2 * 1024 * 1024 + 1)))
    with pytest.raises(ProtocolError, match="larger than 2 MB"):
        await client.download(other_server.url + "/big", max_bytes=2 * 1024 * 1024)

    with pytest.raises(ProtocolError, match="not an http"):
        await client.download("file:///etc/passwd")
    assert len(other_server.requests) == 2

    closed = f"http://127.0.0.1:{free_closed_port()}/f.png?X-Amz-Signature=secret-sig"
    with pytest.raises(NetworkError) as caught:
        await client.download(closed)
    assert "secret-sig" not in str(caught.value)
    assert "/f.png" in str(caught.value)


@pytest.mark.asyncio
async def test_auth_adds_the_key_only_for_the_configured_origin() -> None:
    seen: dict[str, str | None] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen[str(request.url)] = request.headers.get("x-api-key")
        return httpx.Response(200)

    auth = _ApiKeyAuth(Secret(API_KEY), httpx.URL("https://api.skyvern.com"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), auth=auth) as http:
        for url in [
            "https://api.skyvern.com/v1/version",
            "https://api.skyvern.com:443/v1/version?x=1",
            "https://API.SKYVERN.COM/v1/runs",
            "http://api.skyvern.com/v1/version",
            "https://api.skyvern.com:8443/v1/version",
            "https://evil.skyvern.com/v1/version",
            "https://api.skyvern.com.evil.test/v1/version",
        ]:
            await http.get(url)
    assert seen == {
        "https://api.skyvern.com/v1/version": API_KEY,
        "https://api.skyvern.com/v1/version?x=1": API_KEY,  # httpx drops the default port
        "https://api.skyvern.com/v1/runs": API_KEY,
        "http://api.skyvern.com/v1/version": None,
        "https://api.skyvern.com:8443/v1/version": None,
        "https://evil.skyvern.com/v1/version": None,
        "https://api.skyvern.com.evil.test/v1/version": None,
    }


# ---------------------------------------------------------------------- errors and logs


@pytest.mark.asyncio
async def test_key_echoed_by_the_server_never_reaches_error_text(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    echoed = f"Invalid key {API_KEY}"
    fake_server.enqueue_json("GET", "/v1/runs/wr_1", {"detail": echoed}, status=403)
    fake_server.always("GET", "/v1/version", FakeResponse.of_json({"error": echoed}, 500))
    fake_server.enqueue("POST", "/v1/run/workflows", FakeResponse(body=API_KEY.encode()))
    client = make_client(retry=RetryPolicy(max_attempts=2, rand=lambda: 1.0))
    errors: list[SkyvernError] = []
    for call in (
        lambda: client.get_run("wr_1"),
        client.version,
        lambda: client.run_workflow(WorkflowRunRequest(workflow_id="wpid_1")),
    ):
        with pytest.raises(SkyvernError) as caught:
            await call()
        errors.append(caught.value)
    # The run request got an answer it could not read: the run may exist.
    assert [type(e) for e in errors] == [AuthError, ServerError, OutcomeUnknownError]
    for error in errors:
        assert API_KEY not in str(error)
        assert API_KEY not in repr(error)
        assert API_KEY not in repr(error.args)
        assert API_KEY not in str(getattr(error, "server_message", ""))
    assert isinstance(errors[0], AuthError)
    assert errors[0].server_message == "Invalid key ***"


@pytest.mark.asyncio
async def test_key_echoed_in_a_field_error_is_scrubbed(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json(
        "POST",
        "/v1/run/workflows",
        {"detail": [{"loc": ["body", "parameters", "token"], "msg": f"bad value {API_KEY}"}]},
        status=422,
    )
    with pytest.raises(ValidationError) as caught:
        await make_client().run_workflow(WorkflowRunRequest(workflow_id="wpid_1"))
    assert API_KEY not in str(caught.value)  # passes today
    assert all(API_KEY not in f.message for f in caught.value.field_errors)  # fails today


async def _go_through_errors(client: SkyvernClient, server: FakeServer) -> None:
    """A 500 echoing the key (retried), a 403, a timeout, a dropped run request."""
    echoed = f"Unexpected error: bad key {API_KEY}"
    server.enqueue("GET", "/v1/version", FakeResponse.of_json({"error": echoed}, 500))
    server.enqueue_json("GET", "/v1/version", {"version": "1"})
    server.enqueue_json("GET", "/v1/workflows", {"detail": f"Invalid key {API_KEY}"}, status=403)
    server.enqueue("GET", "/v1/runs/wr_1", FakeResponse(delay=30.0))
    server.enqueue_json("GET", "/v1/runs/wr_1", run_json())
    server.enqueue("POST", "/v1/run/workflows", FakeResponse(drop=True))
    await client.version()
    with pytest.raises(AuthError):
        await client.list_workflows()
    await client.get_run("wr_1")
    with pytest.raises(NetworkError):
        await client.run_workflow(WorkflowRunRequest(workflow_id="wpid_1"))


@pytest.mark.asyncio
async def test_logs_at_debug_never_carry_the_key(
    make_client: ClientFactory, fake_server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    client = make_client(timeout=httpx.Timeout(5.0, read=0.2))

    await _go_through_errors(client, fake_server)
    log = logging.getLogger("skyvern_desktop.tests")
    log.debug("connecting with key %s", API_KEY)
    try:
        raise ValueError(f"boom {API_KEY}")
    except ValueError:
        log.exception("call failed for %r", Secret(API_KEY))

    assert API_KEY not in caplog.text
    assert all(API_KEY not in r.getMessage() for r in caplog.records)
    assert "connecting with key ***" in caplog.text
    assert "ValueError: boom ***" in caplog.text
    # The capture did see the client's own log lines, at DEBUG.
    assert "GET /v1/version -> 500" in caplog.text
    assert "retrying GET /v1/version" in caplog.text


@pytest.mark.asyncio
async def test_client_and_httpx_logs_do_not_contain_the_key_even_unfiltered(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    # The filter is a safety net: the client, httpx and httpcore must not log the key at all.
    handler = _ListHandler()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        client = make_client(timeout=httpx.Timeout(5.0, read=0.2))
        await _go_through_errors(client, fake_server)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = "\n".join(handler.lines)
    # httpx's INFO line and httpcore's DEBUG trace were really captured.
    assert "HTTP Request: GET http://127.0.0.1" in text
    assert "send_request_headers.started" in text
    assert API_KEY not in text
