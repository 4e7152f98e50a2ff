"""One small hierarchy of errors that the UI can show to a person.

Every error's ``str()`` is a plain sentence fit for a dialog. The server's own
words, where it gave any, are kept verbatim in :attr:`ApiError.server_message`.
No error ever carries a request header, so the API key cannot leak through one;
text that passes through here is also scrubbed of registered secrets.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .secrets import scrub

if TYPE_CHECKING:  # httpx is imported by the client, not by whoever catches an error
    import httpx


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input, as the server located it."""

    loc: tuple[str | int, ...]
    message: str

    @property
    def field(self) -> str | None:
        """The input's name: the last string in ``loc`` that is not a container name."""
        for part in reversed(self.loc):
            if isinstance(part, str) and part not in {"body", "query", "path", "header"}:
                return part
        return None


class SkyvernError(Exception):
    """Anything that went wrong while talking to Skyvern."""

    def __init__(self, message: str) -> None:
        self.message = scrub(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class NetworkErrorKind(StrEnum):
    DNS = "dns"
    REFUSED = "refused"
    TLS = "tls"
    TIMEOUT = "timeout"
    OTHER = "other"


class NetworkError(SkyvernError):
    """The request did not get an HTTP answer: DNS, refused, TLS, timeout, dropped."""

    def __init__(self, message: str, kind: NetworkErrorKind) -> None:
        super().__init__(message)
        self.kind = kind


class OutcomeUnknownError(NetworkError):
    """A request that creates something (starts a run, creates a schedule) may have reached
    the server before the connection failed.

    It is never retried automatically (a duplicate run costs money, a duplicate schedule
    runs twice); the caller should look for what it created before offering to try again.
    """


class ClientClosedError(SkyvernError):
    """The client was closed (the app switched to another connection, or is quitting)
    before this request was sent: nothing reached the server."""

    def __init__(self, base_url: str) -> None:
        super().__init__(
            f"The connection to {base_url} was closed (another connection was chosen, or the"
            " app is quitting), so nothing was sent."
        )


class ProtocolError(SkyvernError):
    """The server answered, but not in the shape a Skyvern server answers in."""


class UnreadableReplyError(ProtocolError):
    """The reply is not JSON at all: a gateway's error page, a body cut short. On a flaky
    path this passes, so a GET is asked again before the reply is judged."""


class ApiError(SkyvernError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        server_message: str | None = None,
        field_errors: tuple[FieldError, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.server_message = scrub(server_message) if server_message is not None else None
        self.field_errors = field_errors


class AuthError(ApiError):
    """The API key was refused. Skyvern answers 403 for this, not 401."""


class NotFoundError(ApiError):
    """The thing asked for does not exist (404, sometimes with an empty body)."""


class ValidationError(ApiError):
    """The server refused the input (400 or 422). ``server_message`` is verbatim."""


class ConflictError(ApiError):
    """409: for example the plan's schedule limit was reached."""


class RateLimitedError(ApiError):
    """429. ``retry_after`` is in seconds, when the server said."""

    def __init__(self, message: str, *, retry_after: float | None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed, or a feature is switched off (501)."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - current).total_seconds())


def _detail_of(response: httpx.Response) -> tuple[str | None, tuple[FieldError, ...]]:
    """The server's message and field errors, from any of Skyvern's error body shapes."""
    raw = response.content
    if not raw.strip():
        return None, ()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = raw[:300].decode("utf-8", "replace").strip()
        # An HTML error page (a proxy, a captive portal) says nothing useful to a person.
        return (None if text.lstrip().startswith("<") else text), ()
    if not isinstance(body, dict):
        return None, ()
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail, ()
    if isinstance(detail, list):
        fields: list[FieldError] = []
        for item in detail:
            if not isinstance(item, dict):
                continue
            loc_raw = item.get("loc") or ()
            loc = (
                tuple(p for p in loc_raw if isinstance(p, str | int))
                if isinstance(loc_raw, list)
                else ()
            )
            fields.append(FieldError(loc=loc, message=scrub(str(item.get("msg", "")))))
        text = "; ".join(
            f"{f.field}: {f.message}" if f.field else f.message for f in fields if f.message
        )
        return (text or None), tuple(fields)
    if isinstance(detail, dict):
        # {"error_code": …, "message": "…"}: the words are for people; the code is not.
        message = detail.get("message") or detail.get("detail")
        return (scrub(message) if isinstance(message, str) else json.dumps(detail)), ()
    error = body.get("error")
    if isinstance(error, str):
        return error, ()
    return None, ()


def error_from_response(response: httpx.Response) -> ApiError:
    """Turn an error response into the right :class:`ApiError`, in plain words."""
    status = response.status_code
    server_message, fields = _detail_of(response)
    said = f" The server said: {server_message}" if server_message else ""
    kw: dict[str, Any] = {
        "status_code": status,
        "server_message": server_message,
        "field_errors": fields,
    }
    if status in (401, 403):
        return AuthError(
            "The API key was refused. Check that it is the key of this server"
            f" and that it has not expired.{said}",
            **kw,
        )
    if status == 404:
        return NotFoundError(server_message or "Not found on the server.", **kw)
    if status in (400, 422):
        return ValidationError(server_message or "The server refused the request.", **kw)
    if status == 409:
        return ConflictError(
            server_message or "The request conflicts with the server's state.", **kw
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        wait = ""
        if retry_after is not None:
            wait = (
                f" Try again in {retry_after:.0f} seconds."
                if retry_after < 3600
                else " Try again later."
            )
        return RateLimitedError(
            f"The server is busy and asked us to slow down.{wait}{said}",
            retry_after=retry_after,
            **kw,
        )
    if status == 501:
        return ServerError(server_message or "This server does not support that feature.", **kw)
    if status >= 500:
        return ServerError(f"The server had a problem (HTTP {status}).{said}", **kw)
    return ApiError(f"The server answered HTTP {status}.{said}", **kw)


def network_error(
    exc: httpx.TransportError, base_url: str, *, uncertain: bool = False
) -> NetworkError:
    """Say in plain words why ``exc`` kept us from reaching ``base_url``."""
    import httpx

    cause: BaseException | None = exc
    chain = ""
    while cause is not None:
        chain += f" {type(cause).__name__} {cause}".lower()
        cause = cause.__cause__ or cause.__context__
    kind: NetworkErrorKind
    if isinstance(exc, httpx.TimeoutException):
        kind = NetworkErrorKind.TIMEOUT
        message = f"{base_url} did not answer in time."
    elif "certificate" in chain or "ssl" in chain or "tls" in chain:
        kind = NetworkErrorKind.TLS
        message = (
            f"The secure connection to {base_url} failed: its TLS certificate was not accepted."
        )
    elif any(
        s in chain
        for s in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "name resolution",
            "no address associated",
        )
    ):
        kind = NetworkErrorKind.DNS
        message = f"The host of {base_url} could not be found. Check the address."
    elif any(s in chain for s in ("refused", "errno 111", "all connection attempts failed")):
        kind = NetworkErrorKind.REFUSED
        message = f"Nothing is answering at {base_url}: the connection was refused."
    else:
        kind = NetworkErrorKind.OTHER
        message = f"The connection to {base_url} failed ({type(exc).__name__})."
    if uncertain:
        return OutcomeUnknownError(
            message + " The request may have reached the server before the connection failed.",
            kind,
        )
    return NetworkError(message, kind)
