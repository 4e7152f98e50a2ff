"""Retry policy, Retry-After parsing, and how the real client retries idempotent GETs."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyvern_desktop.api import (
    NO_RETRY,
    NetworkError,
    NetworkErrorKind,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    ValidationError,
)
from skyvern_desktop.api.errors import parse_retry_after
from tests.api.conftest import ClientFactory
from tests.fakes.server import FakeResponse, FakeServer, free_closed_port
from tests.fakes.timing import RecordingSleep

VERSION = "/v1/version"
OK = FakeResponse.of_json({"version": "1.0.56"})
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)

# ---------------------------------------------------------------------- RetryPolicy


def test_backoff_doubles_from_base_delay_with_full_jitter_at_its_maximum() -> None:
    policy = RetryPolicy(rand=lambda: 1.0)
    assert [policy.next_delay(n, 0.0, None) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, None]


def test_backoff_is_capped_at_max_delay() -> None:
    policy = RetryPolicy(max_attempts=50, rand=lambda: 1.0, total_budget=1e9)
    assert policy.next_delay(4, 0.0, None) == 8.0
    assert policy.next_delay(30, 0.0, None) == 8.0


def test_jitter_scales_the_wait() -> None:
    assert RetryPolicy(rand=lambda: 0.25).next_delay(2, 0.0, None) == 0.5
    assert RetryPolicy(rand=lambda: 0.0).next_delay(3, 0.0, None) == 0.0


def test_retry_after_replaces_backoff_even_beyond_max_delay() -> None:
    policy = RetryPolicy(rand=lambda: 1.0)
    assert policy.next_delay(0, 0.0, 20.0) == 20.0
    assert policy.next_delay(3, 0.0, 0.0) == 0.0


@pytest.mark.parametrize(
    ("elapsed", "retry_after", "expected"),
    [
        (29.5, None, 0.5),  # lands exactly on the budget: still allowed
        (29.6, None, None),  # would pass it
        (0.0, 30.0, 30.0),
        (0.0, 30.5, None),
        (10.0, 25.0, None),
    ],
)
def test_total_budget_bounds_the_next_wait(
    elapsed: float, retry_after: float | None, expected: float | None
) -> None:
    policy = RetryPolicy(rand=lambda: 1.0)
    assert policy.next_delay(0, elapsed, retry_after) == expected


def test_max_attempts_counts_the_first_try() -> None:
    policy = RetryPolicy(max_attempts=2, rand=lambda: 1.0)
    assert policy.next_delay(0, 0.0, None) == 0.5
    assert policy.next_delay(1, 0.0, None) is None
    assert NO_RETRY.next_delay(0, 0.0, None) is None
    assert NO_RETRY.next_delay(0, 0.0, 1.0) is None


def test_default_policy_values() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_delay, policy.max_delay, policy.total_budget) == (
        5,
        0.5,
        8.0,
        30.0,
    )


@PROPERTY_SETTINGS
@given(
    attempt=st.integers(min_value=0, max_value=200),
    jitter=st.floats(min_value=0.0, max_value=1.0),
)
def test_backoff_always_within_zero_and_max_delay(attempt: int, jitter: float) -> None:
    policy = RetryPolicy(rand=lambda: jitter)
    delay = policy.backoff(attempt)
    assert 0.0 <= delay <= policy.max_delay
    assert delay == pytest.approx(jitter * min(8.0, 0.5 * 2.0**attempt))


# ---------------------------------------------------------------------- parse_retry_after

HTTP_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
HTTP_DATE_TS = 1445412480.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        (" 7 ", 7.0),
        ("2.5", 2.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("soon", None),
        ("Wed, 99 Foo 2015", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date_in_the_future() -> None:
    assert parse_retry_after(HTTP_DATE, now=HTTP_DATE_TS - 30) == 30.0


def test_parse_retry_after_http_date_in_the_past_means_now() -> None:
    assert parse_retry_after(HTTP_DATE, now=HTTP_DATE_TS + 3600) == 0.0


def test_parse_retry_after_http_date_with_offset_and_without_zone() -> None:
    # 09:28 +0200 is 07:28 UTC.
    assert parse_retry_after("Wed, 21 Oct 2015 09:28:00 +0200", now=HTTP_DATE_TS - 10) == 10.0
    # No zone at all (or "-0000"): read as UTC.
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=HTTP_DATE_TS - 5) == 5.0


def test_parse_retry_after_uses_the_real_clock_by_default() -> None:
    future = email.utils.formatdate(time.time() + 120, usegmt=True)
    waited = parse_retry_after(future)
    assert waited is not None
    assert 115.0 <= waited <= 120.0


@PROPERTY_SETTINGS
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_parse_retry_after_never_raises_and_never_goes_negative(value: str) -> None:
    result = parse_retry_after(value, now=HTTP_DATE_TS)
    assert result is None or result >= 0.0


# ---------------------------------------------------------------------- client: GET retries


@pytest.mark.asyncio
async def test_get_5xx_then_success_is_retried_after_a_backoff_wait(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.enqueue("GET", VERSION, FakeResponse.of_json({"error": "boom"}, 503), OK)
    version = await make_client().version()
    assert version.version == "1.0.56"
    assert len(fake_server.requests_to("GET", VERSION)) == 2
    assert sleeper.calls == [0.5]


@pytest.mark.asyncio
async def test_unexpected_error_body_becomes_server_message(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.always(
        "GET", VERSION, FakeResponse.of_json({"error": "Unexpected error: X"}, status=500)
    )
    client = make_client(retry=RetryPolicy(max_attempts=2, rand=lambda: 1.0))
    with pytest.raises(ServerError) as caught:
        await client.version()
    assert caught.value.status_code == 500
    assert caught.value.server_message == "Unexpected error: X"
    assert "Unexpected error: X" in str(caught.value)
    assert len(fake_server.requests) == 2
    assert sleeper.calls == [0.5]


@pytest.mark.asyncio
async def test_5xx_forever_gives_up_after_max_attempts(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.always("GET", VERSION, FakeResponse(status=502, body=b"Bad Gateway"))
    with pytest.raises(ServerError) as caught:
        await make_client().version()
    assert caught.value.status_code == 502
    assert caught.value.server_message == "Bad Gateway"
    assert len(fake_server.requests) == 5
    assert sleeper.calls == [0.5, 1.0, 2.0, 4.0]


@pytest.mark.asyncio
async def test_total_budget_stops_retrying_early(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    # The fake clock moves only by the recorded sleeps: 0.5, then 1.0 (t=1.5);
    # the next wait (2.0) would end at 3.5 > 3.0, so the client gives up.
    fake_server.always("GET", VERSION, FakeResponse(status=500))
    client = make_client(retry=RetryPolicy(total_budget=3.0, rand=lambda: 1.0))
    with pytest.raises(ServerError):
        await client.version()
    assert sleeper.calls == [0.5, 1.0]
    assert len(fake_server.requests) == 3


@pytest.mark.asyncio
async def test_no_retry_policy_sends_once(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.always("GET", VERSION, FakeResponse(status=500))
    with pytest.raises(ServerError):
        await make_client(retry=NO_RETRY).version()
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
async def test_429_retry_after_seconds_is_the_wait(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.enqueue(
        "GET",
        VERSION,
        FakeResponse.of_json({"detail": "Rate limit exceeded"}, 429, headers={"Retry-After": "3"}),
        OK,
    )
    assert (await make_client().version()).version == "1.0.56"
    assert sleeper.calls == [3.0]
    assert len(fake_server.requests) == 2


@pytest.mark.asyncio
async def test_429_retry_after_http_date_is_the_wait(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    fake_server.enqueue("GET", VERSION, FakeResponse(status=429, headers={"retry-after": when}), OK)
    assert (await make_client().version()).version == "1.0.56"
    assert len(sleeper.calls) == 1
    # An HTTP date has one-second precision, and a moment passed since it was made.
    assert 17.0 <= sleeper.calls[0] <= 20.0


@pytest.mark.asyncio
async def test_429_without_retry_after_uses_backoff(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.enqueue("GET", VERSION, FakeResponse(status=429), FakeResponse(status=429), OK)
    await make_client().version()
    assert sleeper.calls == [0.5, 1.0]


@pytest.mark.asyncio
async def test_429_retry_after_beyond_budget_raises_at_once(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.always(
        "GET",
        VERSION,
        FakeResponse.of_json(
            {"detail": "Rate limit exceeded for organization o_1"},
            429,
            headers={"Retry-After": "120"},
        ),
    )
    with pytest.raises(RateLimitedError) as caught:
        await make_client().version()
    assert caught.value.retry_after == 120.0
    assert caught.value.status_code == 429
    assert caught.value.server_message == "Rate limit exceeded for organization o_1"
    assert "120 seconds" in str(caught.value)
    assert sleeper.calls == []
    assert len(fake_server.requests) == 1


@pytest.mark.asyncio
async def test_501_is_not_retried(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    message = "Workflow schedules are disabled in this Skyvern build"
    fake_server.always("GET", "/v1/schedules", FakeResponse.of_json({"detail": message}, 501))
    with pytest.raises(ServerError) as caught:
        await make_client().list_schedules()
    assert caught.value.status_code == 501
    assert str(caught.value) == message
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "error_type"), [(400, ValidationError), (404, NotFoundError), (422, ValidationError)]
)
async def test_4xx_is_not_retried(
    make_client: ClientFactory,
    fake_server: FakeServer,
    sleeper: RecordingSleep,
    status: int,
    error_type: type[Exception],
) -> None:
    fake_server.always("GET", "/v1/runs/wr_1", FakeResponse.of_json({"detail": "no"}, status))
    with pytest.raises(error_type):
        await make_client().get_run("wr_1")
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
async def test_dropped_connection_on_get_is_retried(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.enqueue("GET", VERSION, FakeResponse(drop=True), OK)
    assert (await make_client().version()).version == "1.0.56"
    assert len(fake_server.requests) == 2
    assert sleeper.calls == [0.5]


@pytest.mark.asyncio
async def test_truncated_body_on_get_is_retried(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.enqueue("GET", VERSION, FakeResponse(body=b'{"version": "1.0.56"}', truncate_at=5))
    fake_server.enqueue("GET", VERSION, OK)
    assert (await make_client().version()).version == "1.0.56"
    assert sleeper.calls == [0.5]


@pytest.mark.asyncio
async def test_refused_get_is_retried_then_reported_as_refused(
    make_client: ClientFactory, sleeper: RecordingSleep
) -> None:
    base = f"http://127.0.0.1:{free_closed_port()}"
    client = make_client(base, retry=RetryPolicy(max_attempts=3, rand=lambda: 1.0))
    with pytest.raises(NetworkError) as caught:
        await client.version()
    assert caught.value.kind is NetworkErrorKind.REFUSED
    assert base in str(caught.value)
    assert sleeper.calls == [0.5, 1.0]


@pytest.mark.asyncio
async def test_get_timeouts_are_retried_then_reported_as_timeout(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.always("GET", VERSION, FakeResponse(delay=30.0))
    client = make_client(
        timeout=httpx.Timeout(5.0, read=0.15), retry=RetryPolicy(max_attempts=3, rand=lambda: 1.0)
    )
    with pytest.raises(NetworkError) as caught:
        await client.version()
    assert type(caught.value) is NetworkError  # a GET is never "outcome unknown"
    assert caught.value.kind is NetworkErrorKind.TIMEOUT
    assert "did not answer in time" in str(caught.value)
    assert len(fake_server.requests) == 3
    assert sleeper.calls == [0.5, 1.0]


@pytest.mark.asyncio
async def test_slow_answer_within_the_timeout_is_not_retried(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    fake_server.enqueue("GET", VERSION, FakeResponse.of_json({"version": "slow"}, delay=0.1))
    client = make_client(timeout=httpx.Timeout(5.0, read=2.0))
    assert (await client.version()).version == "slow"
    assert sleeper.calls == []
