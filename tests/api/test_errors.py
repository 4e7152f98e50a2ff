"""Error bodies in every shape Skyvern sends (API doc §0), turned into plain-word errors."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyvern_desktop.api import (
    ApiError,
    AuthError,
    ConflictError,
    FieldError,
    NetworkError,
    NetworkErrorKind,
    NotFoundError,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SkyvernError,
    ValidationError,
)
from skyvern_desktop.api.errors import error_from_response, network_error
from skyvern_desktop.api.models import ScheduleUpsert
from tests.api.conftest import ClientFactory
from tests.fakes.server import FakeResponse, FakeServer
from tests.fakes.timing import RecordingSleep

BASE = "http://skyvern.test:8000"
WPID_X = "workflow_permanent_id=wpid_x"


def _response(status: int, body: Any = None, *, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    return httpx.Response(status, content=content)


# ---------------------------------------------------------------------- hierarchy


def test_hierarchy() -> None:
    assert issubclass(OutcomeUnknownError, NetworkError)
    assert issubclass(NetworkError, SkyvernError)
    assert issubclass(ProtocolError, SkyvernError)
    for cls in (AuthError, NotFoundError, ValidationError, ConflictError, RateLimitedError):
        assert issubclass(cls, ApiError)
    assert issubclass(ServerError, ApiError)
    assert issubclass(ApiError, SkyvernError)
    assert issubclass(SkyvernError, Exception)


# ---------------------------------------------------------------------- status → class


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ValidationError),
        (429, RateLimitedError),
        (500, ServerError),
        (501, ServerError),
        (502, ServerError),
        (599, ServerError),
    ],
)
def test_status_maps_to_error_class(status: int, cls: type[ApiError]) -> None:
    error = error_from_response(_response(status, {"detail": "words"}))
    assert type(error) is cls
    assert error.status_code == status
    assert error.server_message == "words"


@pytest.mark.parametrize("status", [405, 408, 413, 418, 499])
def test_other_4xx_are_plain_api_errors(status: int) -> None:
    error = error_from_response(_response(status))
    assert type(error) is ApiError
    assert str(error) == f"The server answered HTTP {status}."
    assert error.server_message is None


def test_detail_string_is_kept_verbatim() -> None:
    text = "Missing value for parameter count in workflow run wr_1 of workflow wpid_1"
    error = error_from_response(_response(400, {"detail": text}))
    assert isinstance(error, ValidationError)
    assert error.server_message == text
    assert str(error) == text
    assert error.field_errors == ()


def test_detail_list_gives_field_errors() -> None:
    body = {
        "detail": [
            {
                "type": "missing",
                "loc": ["body", "agent_id"],
                "msg": "Field required",
                "input": {},
            },
            {
                "type": "int_parsing",
                "loc": ["query", "page"],
                "msg": "Input should be a valid integer",
                "input": "x",
                "ctx": {},
            },
            {"type": "value_error", "loc": ["body"], "msg": "Bad body"},
        ]
    }
    error = error_from_response(_response(422, body))
    assert isinstance(error, ValidationError)
    assert error.status_code == 422
    assert [f.field for f in error.field_errors] == ["agent_id", "page", None]
    assert error.field_errors[0] == FieldError(loc=("body", "agent_id"), message="Field required")
    assert error.server_message == (
        "agent_id: Field required; page: Input should be a valid integer; Bad body"
    )
    assert str(error) == error.server_message


def test_credentials_style_detail_list_without_input() -> None:
    body = {"detail": [{"loc": ["body", "credential", "username"], "msg": "required", "type": "x"}]}
    error = error_from_response(_response(422, body))
    assert error.field_errors[0].field == "username"
    assert error.field_errors[0].loc == ("body", "credential", "username")


def test_detail_list_tolerates_junk_items() -> None:
    body = {"detail": ["text", 3, {"msg": "no loc"}, {"loc": "not a list", "msg": "odd"}, {}]}
    error = error_from_response(_response(422, body))
    assert [(f.loc, f.field, f.message) for f in error.field_errors] == [
        ((), None, "no loc"),
        ((), None, "odd"),
        ((), None, ""),
    ]
    assert error.server_message == "no loc; odd"


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "parameters", "count"), "count"),
        (("body", "run_metadata", 3), "run_metadata"),
        (("path", "run_id"), "run_id"),
        (("header", "x-api-key"), "x-api-key"),
        (("body",), None),
        ((), None),
        ((0, 1), None),
    ],
)
def test_field_error_field(loc: tuple[str | int, ...], field: str | None) -> None:
    assert FieldError(loc=loc, message="m").field == field


def test_not_found_with_empty_body() -> None:
    error = error_from_response(_response(404, raw=b""))
    assert isinstance(error, NotFoundError)
    assert error.server_message is None
    assert str(error) == "Not found on the server."


def test_not_found_with_whitespace_body() -> None:
    error = error_from_response(_response(404, raw=b"  \n"))
    assert str(error) == "Not found on the server."


def test_auth_error_explains_and_quotes_the_server() -> None:
    error = error_from_response(_response(403, {"detail": "Could not validate credentials"}))
    assert isinstance(error, AuthError)
    assert str(error).startswith("The API key was refused.")
    assert str(error).endswith("The server said: Could not validate credentials")


def test_conflict() -> None:
    text = "Maximum of 5 schedules reached for your plan"
    error = error_from_response(_response(409, {"detail": text}))
    assert isinstance(error, ConflictError)
    assert str(error) == text


def test_unexpected_error_body() -> None:
    error = error_from_response(_response(500, {"error": "Unexpected error: NotImplementedError"}))
    assert isinstance(error, ServerError)
    assert error.server_message == "Unexpected error: NotImplementedError"
    assert str(error) == (
        "The server had a problem (HTTP 500)."
        " The server said: Unexpected error: NotImplementedError"
    )


def test_501_without_body_says_feature_is_off() -> None:
    error = error_from_response(_response(501))
    assert isinstance(error, ServerError)
    assert str(error) == "This server does not support that feature."


def test_html_error_page_is_not_quoted() -> None:
    page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
    error = error_from_response(_response(502, raw=page))
    assert error.server_message is None
    assert str(error) == "The server had a problem (HTTP 502)."


def test_plain_text_body_is_quoted_and_cut() -> None:
    error = error_from_response(_response(500, raw=b"Internal Server Error" + b"!" * 1000))
    assert error.server_message is not None
    assert error.server_message.startswith("Internal Server Error!!")
    assert len(error.server_message) == 300


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"detail": {"reason": "x"}}, '{"reason": "x"}'),
        ({"detail": None, "error": "e"}, "e"),
        ({"message": "not a skyvern shape"}, None),
        (["a", "list"], None),
        ("just a string", None),
        (42, None),
        ({"detail": []}, None),
    ],
)
def test_other_json_shapes(body: Any, message: str | None) -> None:
    assert error_from_response(_response(400, body)).server_message == message


def test_rate_limited_message_mentions_the_wait() -> None:
    response = httpx.Response(429, headers={"retry-after": "42"})
    error = error_from_response(response)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 42.0
    assert str(error) == "The server is busy and asked us to slow down. Try again in 42 seconds."


def test_rate_limited_without_retry_after() -> None:
    error = error_from_response(httpx.Response(429))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after is None
    assert str(error) == "The server is busy and asked us to slow down."


def test_deeply_nested_error_body_does_not_crash() -> None:
    error = error_from_response(_response(500, raw=b"[" * 100_000))
    assert isinstance(error, ServerError)


# ---------------------------------------------------------------------- property


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ERROR_BODIES = st.one_of(
    st.binary(max_size=400),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    JSON_VALUES.map(lambda v: json.dumps({"detail": v}).encode()),
    JSON_VALUES.map(lambda v: json.dumps({"error": v}).encode()),
)
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


@settings(max_examples=150, deadline=None, database=None)
@given(
    status=st.integers(min_value=400, max_value=599),
    body=ERROR_BODIES,
    retry_after=st.none() | HEADER_TEXT,
)
def test_error_from_response_never_raises(
    status: int, body: bytes, retry_after: str | None
) -> None:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    error = error_from_response(httpx.Response(status, content=body, headers=headers))
    assert isinstance(error, ApiError)
    assert error.status_code == status
    assert str(error) == error.message and error.message.strip()
    assert repr(error)
    if status >= 500:
        assert isinstance(error, ServerError)
        if status != 501:
            assert f"(HTTP {status})" in str(error)
    if status == 429:
        assert isinstance(error, RateLimitedError)
        assert error.retry_after is None or error.retry_after >= 0


# ---------------------------------------------------------------------- network errors


def _chained(outer: httpx.TransportError, inner: BaseException) -> httpx.TransportError:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (httpx.ReadTimeout("timed out"), NetworkErrorKind.TIMEOUT, "did not answer in time"),
        (httpx.ConnectTimeout("timed out"), NetworkErrorKind.TIMEOUT, "did not answer in time"),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            NetworkErrorKind.REFUSED,
            "connection was refused",
        ),
        (
            _chained(
                httpx.ConnectError("All connection attempts failed"),
                OSError("All connection attempts failed"),
            ),
            NetworkErrorKind.REFUSED,
            "connection was refused",
        ),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            NetworkErrorKind.DNS,
            "could not be found",
        ),
        (
            _chained(httpx.ConnectError("failed"), OSError("[Errno 8] nodename nor servname")),
            NetworkErrorKind.DNS,
            "could not be found",
        ),
        (
            _chained(
                httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]"),
                ssl.SSLCertVerificationError("certificate verify failed"),
            ),
            NetworkErrorKind.TLS,
            "TLS certificate was not accepted",
        ),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            NetworkErrorKind.OTHER,
            "(RemoteProtocolError)",
        ),
    ],
)
def test_network_error_kinds(exc: httpx.TransportError, kind: NetworkErrorKind, words: str) -> None:
    error = network_error(exc, BASE)
    assert type(error) is NetworkError
    assert error.kind is kind
    assert words in str(error)
    assert BASE in str(error)


def test_uncertain_network_error_is_outcome_unknown() -> None:
    error = network_error(httpx.ReadTimeout("t"), BASE, uncertain=True)
    assert isinstance(error, OutcomeUnknownError)
    assert error.kind is NetworkErrorKind.TIMEOUT
    assert str(error) == (
        f"{BASE} did not answer in time."
        " The request may have reached the server before the connection failed."
    )


# ---------------------------------------------------------------------- through the client


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "cls", "message"),
    [
        (
            FakeResponse.of_json(
                {"detail": "Workflow not found. workflow_permanent_id=wpid_x"}, 404
            ),
            NotFoundError,
            "Workflow not found. workflow_permanent_id=wpid_x",
        ),
        (FakeResponse(status=404), NotFoundError, "Not found on the server."),
        (
            FakeResponse.of_json({"detail": "Invalid credentials"}, 403),
            AuthError,
            "Invalid credentials",
        ),
        (
            FakeResponse.of_json({"detail": "Maximum of 3 schedules reached for your plan"}, 409),
            ConflictError,
            "Maximum of 3 schedules reached for your plan",
        ),
    ],
    ids=["404-detail", "404-empty", "403", "409"],
)
async def test_error_statuses_through_the_client(
    make_client: ClientFactory,
    fake_server: FakeServer,
    sleeper: RecordingSleep,
    answer: FakeResponse,
    cls: type[ApiError],
    message: str,
) -> None:
    fake_server.always("GET", "/v1/workflows/wpid_x", answer)
    with pytest.raises(cls) as caught:
        await make_client().get_workflow("wpid_x")
    assert message in str(caught.value)
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
async def test_422_through_the_client_keeps_field_errors(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json(
        "POST",
        "/v1/workflows/wpid_1/schedules",
        {
            "detail": [
                {"type": "missing", "loc": ["body", "timezone"], "msg": "Field required"},
            ]
        },
        status=422,
    )
    with pytest.raises(ValidationError) as caught:
        await make_client().create_schedule(
            "wpid_1", ScheduleUpsert(cron_expression="0 9 * * *", timezone="UTC")
        )
    assert [f.field for f in caught.value.field_errors] == ["timezone"]
    assert str(caught.value) == "timezone: Field required"
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize("value", ["inf", "1e308", "86400"])
def test_an_absurd_retry_after_reads_as_later(value: str) -> None:
    error = error_from_response(httpx.Response(429, headers={"retry-after": value}))
    assert isinstance(error, RateLimitedError)
    assert "Try again later." in str(error)
    assert len(str(error)) < 120
