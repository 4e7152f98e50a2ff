"""The client's plumbing: one shared ``httpx.AsyncClient``, the key sent only to its own
server, retries of idempotent requests, replies decoded into typed results, and errors in
plain words. The endpoints are :class:`.client.SkyvernClient`'s."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Self, TypeVar

import httpx
import pydantic
from pydantic import TypeAdapter

from .. import __version__
from .errors import (
    ClientClosedError,
    NetworkErrorKind,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SkyvernError,
    UnreadableReplyError,
    error_from_response,
    network_error,
)
from .retry import RetryPolicy
from .secrets import Secret, register_secret

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=10.0, read=30.0, write=60.0, pool=10.0)
MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024
MAX_PAGES: Final = 10_000
LARGE_BODY_BYTES: Final = 512 * 1024
USER_AGENT: Final = f"skyvern-desktop/{__version__}"

# Errors raised before any byte of the request left this machine: safe to say "not sent".
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


_RAW: Final = object()


_GC_LOCK = threading.Lock()
_GC_HOLDS = 0


def _decode_yielding(body: bytes) -> Any:
    """Decode a large reply (in a worker thread).

    - The object hook is Python code, so the interpreter can hand the GIL to the UI thread
      between objects (every few milliseconds) instead of after the whole document.
    - The cyclic garbage collector is what stalled the window: a 5.9 MB output is half a
      million new lists and dicts, and the full collections they trigger while they are
      made scan them all with the GIL held (70-85 ms here). So it is paused while they are
      made (here, in the worker thread), and resumes after: the collections that follow
      stalled the loop for at most 23 ms. (Freezing the decoded objects out of its sight
      would save those too, but it freezes everything alive at that moment, and a closed
      run pane's own cycles would then never be collected.)
    """
    global _GC_HOLDS
    with _GC_LOCK:
        _GC_HOLDS += 1
        gc.disable()
    try:
        return json.loads(body, object_hook=lambda obj: obj)
    finally:
        with _GC_LOCK:
            _GC_HOLDS -= 1
            if _GC_HOLDS == 0:
                gc.enable()


def _adapter(tp: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


def normalize_base_url(base_url: str) -> str:
    """``https://host/`` → ``https://host``; adds ``https://`` when no scheme was typed."""
    url = base_url.strip()
    if "://" not in url:
        url = "https://" + url
    return url.rstrip("/")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default_port)


class _LazyTransport(httpx.AsyncBaseTransport):
    """Builds the real transport on first use.

    Loading the system's certificate store for TLS costs tens of milliseconds; a server
    reached over plain http (a local or LAN server) never needs it, and one reached over
    https pays it at the first request rather than at start-up.
    """

    def __init__(self, factory: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._factory = factory
        self._transport: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = self._factory()
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


class _ApiKeyAuth(httpx.Auth):
    """Adds ``x-api-key``, and only to requests for the configured server's origin."""

    def __init__(self, key: Secret, base_url: httpx.URL) -> None:
        self._key = key
        self._origin = _origin(base_url)

    def auth_flow(self, request: httpx.Request) -> Any:
        if self._key and _origin(request.url) == self._origin:
            request.headers["x-api-key"] = self._key.reveal()
        yield request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(***)"


def query_params(**values: Any) -> dict[str, Any]:
    """Query parameters without the ``None`` ones; sequences repeat the key."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, Sequence) and not isinstance(value, str):
            if value:
                out[key] = [str(v) for v in value]
        else:
            out[key] = value
    return out


class ClientBase:
    """One Skyvern server, one API key: requests, retries and decoding."""

    def __init__(
        self,
        base_url: str,
        api_key: str | Secret | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool | ssl.SSLContext = True,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = normalize_base_url(base_url)
        key = api_key if isinstance(api_key, Secret) else Secret(api_key or "")
        if key:
            register_secret(key.reveal())
        self._has_key = bool(key)
        self._key = key  # the live stream carries it in its URL (see stream.py)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None
        if transport is None:
            # Plain http never does TLS, so its transport (the default: httpx would
            # otherwise build one that loads certificates) skips them; https's transport
            # loads them when first used.
            transport = httpx.AsyncHTTPTransport(verify=False)
            mounts = {"https://": _LazyTransport(lambda: httpx.AsyncHTTPTransport(verify=verify))}
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            auth=_ApiKeyAuth(key, httpx.URL(self._base_url)),
            timeout=timeout,
            transport=transport,
            mounts=mounts,
            follow_redirects=False,
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
        )

    def __repr__(self) -> str:
        key = "***" if self._has_key else None
        return f"SkyvernClient(base_url={self._base_url!r}, api_key={key})"

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def has_key(self) -> bool:
        """Whether requests carry an API key (the key itself is never readable here)."""
        return self._has_key

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ plumbing

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        idempotent: bool,
        starts_run: bool = False,
    ) -> httpx.Response:
        """Send one request, retrying per policy when ``idempotent``; raise on error status."""
        started = self._clock()
        attempt = 0
        while True:
            error: SkyvernError
            retry_after: float | None = None
            if self._http.is_closed:  # httpx would raise a bare RuntimeError
                raise ClientClosedError(self._base_url)
            try:
                response = await self._http.request(
                    method, path, params=params, json=json, files=files, data=data
                )
            except httpx.TransportError as exc:
                uncertain = starts_run and not isinstance(exc, _NOT_SENT)
                error = network_error(exc, self._base_url, uncertain=uncertain)
                error.__cause__ = None
                cause: BaseException = exc
            else:
                log.debug("%s %s -> %s", method, path, response.status_code)
                if response.status_code < 300:
                    return response
                if response.status_code < 400:
                    # The API never redirects; a 3xx means a proxy or a wrong address.
                    raise ProtocolError(
                        f"{self._base_url} answered with a redirect (HTTP {response.status_code})"
                        f" to {response.headers.get('location', 'elsewhere')}. Check the address;"
                        " it may need https:// or a different path."
                    )
                error = error_from_response(response)
                cause = error
                if isinstance(error, RateLimitedError):
                    retry_after = error.retry_after
                if (
                    not isinstance(error, RateLimitedError | ServerError)
                    or response.status_code == 501
                ):
                    raise error
            if not idempotent:
                raise error from None
            delay = self._retry.next_delay(attempt, self._clock() - started, retry_after)
            if delay is None:
                raise error from None
            log.info("retrying %s %s in %.1fs after: %s", method, path, delay, type(cause).__name__)
            await self._sleep(delay)
            attempt += 1

    def _parse(self, response: httpx.Response | bytes, tp: Any, *, decoded: Any = _RAW) -> Any:
        try:
            if decoded is not _RAW:
                return _adapter(tp).validate_python(decoded)
            body = response.content if isinstance(response, httpx.Response) else response
            return _adapter(tp).validate_json(body)
        except pydantic.ValidationError as exc:
            errors = exc.errors()
            first: dict[str, Any] = dict(errors[0]) if errors else {}
            if first.get("type") == "json_invalid":
                raise self._not_json() from None
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ProtocolError(
                f"{self._base_url} sent a reply in an unexpected shape"
                f" ({where or 'top level'}: {first.get('msg', 'invalid')})."
            ) from None

    async def _get(self, path: str, tp: type[T] | Any, **params: Any) -> Any:
        """GET and parse. An answer that cannot be read at all (not JSON: a gateway's error
        page with status 200, a body cut short) is a passing fault on a flaky path, so the
        GET is asked again within the retry budget before the reply is judged; a reply that
        is JSON of the wrong shape is judged at once (asking again gives the same)."""
        started = self._clock()
        attempt = 0
        while True:
            response = await self._send("GET", path, params=query_params(**params), idempotent=True)
            try:
                return await self._decode(response, tp)
            except UnreadableReplyError:
                delay = self._retry.next_delay(attempt, self._clock() - started, None)
                if delay is None:
                    raise
                log.info("retrying GET %s in %.1fs after an unreadable reply", path, delay)
                await self._sleep(delay)
                attempt += 1

    async def _decode(self, response: httpx.Response, tp: type[T] | Any) -> Any:
        if len(response.content) > LARGE_BODY_BYTES:
            # A run with a 5 MB output takes ~100 ms to decode, and a C parser keeps the GIL
            # all that time. Decoding in a thread with a Python hook per object lets the event
            # loop run between objects, so the window keeps painting meanwhile.
            try:
                decoded = await asyncio.to_thread(_decode_yielding, response.content)
            except (ValueError, RecursionError):
                raise self._not_json() from None
            return self._parse(response, tp, decoded=decoded)
        return self._parse(response, tp)

    async def _create(self, method: str, path: str, body: Any, model: Any, maybe: str) -> Any:
        """Send a request that creates something (a run, a schedule), once. When it cannot
        be known whether the server did it, raise :class:`OutcomeUnknownError` saying
        ``maybe`` ("the run may have started")."""
        try:
            response = await self._send(method, path, json=body, idempotent=False, starts_run=True)
            return self._parse(response, model)
        except ServerError as exc:
            if exc.status_code in (502, 504):
                raise OutcomeUnknownError(
                    f"A gateway in front of {self._base_url} gave up waiting (HTTP"
                    f" {exc.status_code}); {maybe}.",
                    NetworkErrorKind.TIMEOUT,
                ) from None
            raise
        except ProtocolError as exc:
            raise OutcomeUnknownError(
                f"{self._base_url} accepted the request but its answer could not be read"
                f" ({exc}); {maybe}.",
                NetworkErrorKind.OTHER,
            ) from None

    def _not_json(self) -> UnreadableReplyError:
        return UnreadableReplyError(
            f"{self._base_url} sent a reply that is not valid JSON. "
            "Is this address a Skyvern server?"
        )
