"""The async Skyvern client: one shared ``httpx.AsyncClient``, typed results, plain-word errors."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any, Final, TypeVar

import httpx
import pydantic
from pydantic import TypeAdapter

from .. import __version__
from .errors import (
    ApiError,
    ClientClosedError,
    NetworkError,
    NetworkErrorKind,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SkyvernError,
    UnreadableReplyError,
    ValidationError,
    error_from_response,
    network_error,
)
from .models import (
    Artifact,
    BrowserProfile,
    BrowserSession,
    Credential,
    RunResponse,
    SchedulePage,
    ScheduleUpsert,
    ScheduleWithNextRuns,
    ServerVersion,
    TimelineItem,
    UploadedFile,
    Workflow,
    WorkflowRun,
    WorkflowRunRequest,
    WorkflowSchedule,
    WorkflowScheduleList,
)
from .paths import CLOUD_BASE_URL, Path
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


def _decode_yielding(body: bytes) -> Any:
    # The object hook is Python code, so the interpreter can hand the GIL to the UI thread
    # between objects (every few milliseconds) instead of after the whole document.
    return json.loads(body, object_hook=lambda obj: obj)


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


def _params(**values: Any) -> dict[str, Any]:
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


class SkyvernClient:
    """Talks to one Skyvern server with one API key.

    Create one per connection and share it; close it with :meth:`aclose` (or use
    ``async with``). Idempotent GETs are retried under ``retry``; requests that
    start a run never are.
    """

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
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None
        if transport is None:
            # Plain http never does TLS, so its transport skips loading certificates.
            mounts = {
                "http://": httpx.AsyncHTTPTransport(verify=False),
                "https://": _LazyTransport(lambda: httpx.AsyncHTTPTransport(verify=verify)),
            }
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

    async def __aenter__(self) -> SkyvernClient:
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
            response = await self._send("GET", path, params=_params(**params), idempotent=True)
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

    def _not_json(self) -> UnreadableReplyError:
        return UnreadableReplyError(
            f"{self._base_url} sent a reply that is not valid JSON. "
            "Is this address a Skyvern server?"
        )

    # ------------------------------------------------------------------ server

    async def version(self) -> ServerVersion:
        """``GET /v1/version``: needs no key; answers only if this is a Skyvern server."""
        result: ServerVersion = await self._get(Path.VERSION, ServerVersion)
        return result

    async def check_key(self) -> None:
        """Make the cheapest authenticated call; raise :class:`~.errors.AuthError` if the key
        is refused. The answer is not parsed: only whether the server accepted the key."""
        await self._send(
            "GET", Path.WORKFLOWS, params=_params(page=1, page_size=1), idempotent=True
        )

    # ------------------------------------------------------------------ workflows

    async def list_workflows(
        self, *, page: int = 1, page_size: int = 10, search_key: str | None = None
    ) -> list[Workflow]:
        result: list[Workflow] = await self._get(
            Path.WORKFLOWS,
            list[Workflow],
            page=page,
            page_size=page_size,
            search_key=search_key or None,
        )
        return result

    async def iter_workflow_pages(
        self, *, page_size: int = 100, search_key: str | None = None
    ) -> AsyncIterator[list[Workflow]]:
        """Every workflow, a page at a time. Stops at the first page shorter than ``page_size``."""
        async for page in self._pages(
            lambda p: self.list_workflows(page=p, page_size=page_size, search_key=search_key),
            page_size,
        ):
            yield page

    async def list_all_workflows(
        self, *, page_size: int = 100, search_key: str | None = None
    ) -> list[Workflow]:
        out: list[Workflow] = []
        async for page in self.iter_workflow_pages(page_size=page_size, search_key=search_key):
            out.extend(page)
        return out

    async def create_workflow(self, definition: dict[str, Any]) -> Workflow:
        """Create a workflow from its JSON definition (``title``, ``description``,
        ``workflow_definition``: parameters and blocks). Never retried."""
        response = await self._send(
            "POST", Path.WORKFLOWS, json={"json_definition": definition}, idempotent=False
        )
        result: Workflow = self._parse(response, Workflow)
        return result

    async def get_workflow(
        self, workflow_permanent_id: str, *, version: int | None = None
    ) -> Workflow:
        result: Workflow = await self._get(
            Path.WORKFLOW.fill(wpid=workflow_permanent_id), Workflow, version=version
        )
        return result

    @staticmethod
    async def _pages(
        fetch: Callable[[int], Awaitable[list[T]]], page_size: int
    ) -> AsyncIterator[list[T]]:
        # Only /v1/schedules returns a total; elsewhere a short page is the last one.
        # MAX_PAGES guards against a server that ignores ``page`` and repeats itself.
        for page in range(1, MAX_PAGES + 1):
            items = await fetch(page)
            yield items
            if len(items) < page_size:
                return

    # ------------------------------------------------------------------ runs

    async def run_workflow(self, request: WorkflowRunRequest) -> RunResponse:
        """Start a run. Never retried: when it cannot be known whether the run started (the
        connection dropped after sending, a gateway timed out, or the server's answer could
        not be read) it raises :class:`~.errors.OutcomeUnknownError`; the run may exist."""
        return await self._start_run("POST", Path.RUN_WORKFLOW, request.to_body())

    async def _start_run(self, method: str, path: str, body: Any) -> RunResponse:
        result: RunResponse = await self._create(
            method, path, body, RunResponse, "the run may have started"
        )
        return result

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

    async def get_run(self, run_id: str) -> RunResponse:
        result: RunResponse = await self._get(Path.RUN.fill(run_id=run_id), RunResponse)
        return result

    async def cancel_run(self, run_id: str) -> None:
        """Ask the server to cancel. A run that already ended keeps its status."""
        await self._send("POST", Path.RUN_CANCEL.fill(run_id=run_id), idempotent=False)

    async def retry_run(self, run_id: str) -> RunResponse:
        """Start a new run with the same inputs as a finished one. Never retried."""
        return await self._start_run("POST", Path.RUN_RETRY.fill(run_id=run_id), None)

    async def list_workflow_runs(
        self,
        *,
        workflow_permanent_id: str | None = None,
        status: Sequence[str] | None = None,
        search_key: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> list[WorkflowRun]:
        """Workflow runs, newest first: all of them, or those of one workflow."""
        path = (
            Path.WORKFLOW_RUNS_OF.fill(wpid=workflow_permanent_id)
            if workflow_permanent_id
            else Path.WORKFLOW_RUNS
        )
        result: list[WorkflowRun] = await self._get(
            path,
            list[WorkflowRun],
            page=page,
            page_size=page_size,
            status=status,
            search_key=search_key or None,
        )
        return result

    async def get_run_timeline(self, run_id: str) -> list[TimelineItem]:
        result: list[TimelineItem] = await self._get(
            Path.RUN_TIMELINE.fill(run_id=run_id), list[TimelineItem]
        )
        return result

    async def list_artifacts(
        self, run_id: str, *, artifact_types: Sequence[str] | None = None
    ) -> list[Artifact]:
        result: list[Artifact] = await self._get(
            Path.RUN_ARTIFACTS.fill(run_id=run_id), list[Artifact], artifact_type=artifact_types
        )
        return result

    # ------------------------------------------------------------------ other lists

    async def list_credentials(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        search: str | None = None,
        credential_type: str | None = None,
    ) -> list[Credential]:
        result: list[Credential] = await self._get(
            Path.CREDENTIALS,
            list[Credential],
            page=page,
            page_size=page_size,
            search=search or None,
            credential_type=credential_type,
        )
        return result

    async def list_browser_profiles(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        search_key: str | None = None,
        include_deleted: bool = False,
    ) -> list[BrowserProfile]:
        result: list[BrowserProfile] = await self._get(
            Path.BROWSER_PROFILES,
            list[BrowserProfile],
            page=page,
            page_size=page_size,
            search_key=search_key or None,
            include_deleted=include_deleted,
        )
        return result

    async def list_browser_sessions(self) -> list[BrowserSession]:
        """Active browser sessions only (not paged)."""
        result: list[BrowserSession] = await self._get(Path.BROWSER_SESSIONS, list[BrowserSession])
        return result

    # ------------------------------------------------------------------ files

    async def upload_file(
        self,
        filename: str,
        content: bytes,
        *,
        retention_days: int | None = None,
        content_type: str = "application/octet-stream",
    ) -> UploadedFile:
        """Upload a file (10 MB at most) and get a URL a ``file_url`` input can take."""
        if len(content) > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"{PurePath(filename).name} is {len(content) / 1048576:.1f} MB;"
                " Skyvern accepts files of up to 10 MB.",
                status_code=413,
            )
        if retention_days is not None and not 1 <= retention_days <= 365:
            raise ValidationError("Keep the file between 1 and 365 days.", status_code=422)
        data = {"retention_days": str(retention_days)} if retention_days is not None else None
        response = await self._send(
            "POST",
            Path.UPLOAD_FILE,
            files={"file": (PurePath(filename).name, content, content_type)},
            data=data,
            idempotent=False,
        )
        result: UploadedFile = self._parse(response, UploadedFile)
        return result

    async def download(self, url: str, *, max_bytes: int = 200 * 1024 * 1024) -> bytes:
        """Fetch a presigned artifact or screenshot URL. The API key is never sent with it."""
        if not url.startswith(("http://", "https://")):
            raise ProtocolError(f"Cannot download {url[:80]!r}: not an http(s) address.")
        chunks: list[bytes] = []
        size = 0
        if self._http.is_closed:
            raise ClientClosedError(self._base_url)
        try:
            async with self._http.stream("GET", url, auth=None, follow_redirects=True) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise error_from_response(resp)
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ProtocolError(f"The file is larger than {max_bytes // 1048576} MB.")
                    chunks.append(chunk)
        except httpx.TransportError as exc:
            raise network_error(exc, str(httpx.URL(url).copy_with(query=None))) from None
        return b"".join(chunks)

    # ------------------------------------------------------------------ schedules

    async def list_schedules(
        self,
        *,
        page: int = 1,
        page_size: int = 50,
        status: str | None = None,
        search: str | None = None,
    ) -> SchedulePage:
        """The organisation's schedules, newest first, with ``total_count``."""
        result: SchedulePage = await self._get(
            Path.SCHEDULES,
            SchedulePage,
            page=page,
            page_size=min(page_size, 100),
            status=status,
            search=search or None,
        )
        return result

    async def list_workflow_schedules(self, workflow_permanent_id: str) -> list[WorkflowSchedule]:
        """All schedules of one workflow, disabled ones included."""
        result: WorkflowScheduleList = await self._get(
            Path.WORKFLOW_SCHEDULES.fill(wpid=workflow_permanent_id), WorkflowScheduleList
        )
        return result.schedules

    async def create_schedule(
        self, workflow_permanent_id: str, schedule: ScheduleUpsert
    ) -> ScheduleWithNextRuns:
        """Create a schedule. Never retried; like a run, a create whose outcome cannot be
        known raises :class:`~.errors.OutcomeUnknownError` (the schedule may exist)."""
        result: ScheduleWithNextRuns = await self._create(
            "POST",
            Path.WORKFLOW_SCHEDULES.fill(wpid=workflow_permanent_id),
            schedule.to_body(),
            ScheduleWithNextRuns,
            "the schedule may have been created",
        )
        return result

    async def get_schedule(
        self, workflow_permanent_id: str, schedule_id: str
    ) -> ScheduleWithNextRuns:
        result: ScheduleWithNextRuns = await self._get(
            Path.WORKFLOW_SCHEDULE.fill(wpid=workflow_permanent_id, schedule_id=schedule_id),
            ScheduleWithNextRuns,
        )
        return result

    async def update_schedule(
        self, workflow_permanent_id: str, schedule_id: str, schedule: ScheduleUpsert
    ) -> ScheduleWithNextRuns:
        """Replace the schedule with ``schedule`` (a full PUT: every field is sent)."""
        response = await self._send(
            "PUT",
            Path.WORKFLOW_SCHEDULE.fill(wpid=workflow_permanent_id, schedule_id=schedule_id),
            json=schedule.to_body(),
            idempotent=False,
        )
        result: ScheduleWithNextRuns = self._parse(response, ScheduleWithNextRuns)
        return result

    async def delete_schedule(self, workflow_permanent_id: str, schedule_id: str) -> None:
        await self._send(
            "DELETE",
            Path.WORKFLOW_SCHEDULE.fill(wpid=workflow_permanent_id, schedule_id=schedule_id),
            idempotent=False,
        )

    async def set_schedule_enabled(
        self, workflow_permanent_id: str, schedule_id: str, enabled: bool
    ) -> ScheduleWithNextRuns:
        """Pause or resume: the server's own enable/disable endpoints, which touch nothing
        else of the schedule (a full PUT from a stale copy could undo someone's edit)."""
        path = Path.WORKFLOW_SCHEDULE_ENABLE if enabled else Path.WORKFLOW_SCHEDULE_DISABLE
        response = await self._send(
            "POST", path.fill(wpid=workflow_permanent_id, schedule_id=schedule_id), idempotent=False
        )
        result: ScheduleWithNextRuns = self._parse(response, ScheduleWithNextRuns)
        return result


__all__ = ["CLOUD_BASE_URL", "ApiError", "NetworkError", "SkyvernClient", "normalize_base_url"]
