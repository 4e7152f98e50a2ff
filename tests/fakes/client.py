"""An in-process fake of :class:`~skyvern_desktop.api.client.SkyvernClient` for fast UI-flow
tests: no HTTP, no server process, and the API's own models as answers.

::

    fake = FakeClient()
    workflow = fake.add_workflow("Invoices", parameters=["url"])
    await session.use_client(as_client(fake))
    ...  # the test clicks Run
    assert len(fake.calls_to("run_workflow")) == 1
    fake.advance("wr_fake_1", "completed", output={"invoices": 3})

**What it holds**, in memory and per instance: workflows, runs (:class:`FakeRun`),
schedules, verification codes, credentials, browser sessions and profiles, and files
(uploads, screenshots, artifacts) that :meth:`FakeClient.download` serves. Rows are kept
as the JSON a Skyvern server sends (naive UTC timestamps, ``wpid_``/``wr_``/``wfs_``… ids);
every answer is a fresh model validated from that JSON, so a test that changes an answer
never changes the fake's state.

**What it is faithful to**: every endpoint has ``SkyvernClient``'s name and signature
(``tests/fakes/test_client.py`` compares them), and refuses what a real server refuses,
with the error the real client would raise for the server's own error body (built by the
real :func:`~skyvern_desktop.api.errors.error_from_response`): an unknown id (404), a run
missing a required input (400, and the run exists, failed), a bad filter or page (422), a
blocked webhook host (400), a refused key (403), a closed client
(:class:`~skyvern_desktop.api.errors.ClientClosedError`). Every call yields to the event
loop once (``latency`` seconds), as a request would.

**Helpers for tests**: :meth:`FakeClient.add_workflow`, :meth:`FakeClient.advance` (or
``auto_advance=True``), :meth:`FakeClient.set_timeline`, :meth:`FakeClient.add_screenshot`,
:meth:`FakeClient.add_artifact`, :meth:`FakeClient.fail_next`, ``calls`` and
:meth:`FakeClient.calls_to`, ``run_requests``.

**Why a cast and not a Protocol** (:func:`as_client`): the app names ``SkyvernClient``
itself wherever it takes a client (``Session``, ``check_connection``, every screen), so a
Protocol would mean changing those annotations for the sake of tests. The cast is safe
because the signature test checks, method by method, that the fake takes the same
parameters, with the same annotations, and is async where the real one is.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import itertools
import json
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Concatenate, Final, ParamSpec, Self, TypeVar, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from croniter import croniter

from skyvern_desktop.api import cdp_input as cdp_input_module
from skyvern_desktop.api import stream as stream_module
from skyvern_desktop.api.cdp_input import CdpInput
from skyvern_desktop.api.enums import RunStatus, WorkflowParameterType, is_terminal
from skyvern_desktop.api.errors import (
    ApiError,
    ClientClosedError,
    NotFoundError,
    ProtocolError,
    ValidationError,
    error_from_response,
)
from skyvern_desktop.api.models import (
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
    TotpCode,
    UploadedFile,
    WebhookReplay,
    WebhookTest,
    Workflow,
    WorkflowRun,
    WorkflowRunDetail,
    WorkflowRunRequest,
    WorkflowSchedule,
    WorkflowScheduleList,
)
from skyvern_desktop.api.models.logins import BrowserProfileUsage, CredentialType, NewCredential
from skyvern_desktop.api.secrets import Secret
from skyvern_desktop.api.stream import LiveStream, Message
from skyvern_desktop.api.transport import MAX_UPLOAD_BYTES

if TYPE_CHECKING:
    from skyvern_desktop.api.client import SkyvernClient
    from skyvern_desktop.core.connection.check import ConnectionReport
    from skyvern_desktop.ui.session import Session

ORGANIZATION_ID: Final = "o_fake"
APP_URL: Final = "http://localhost:8080"
"""Where a local server's web UI is (``SKYVERN_APP_URL``'s default): runs' ``app_url``."""
FILES_URL: Final = "https://files.skyvern.fake"
"""The host of presigned URLs (screenshots, artifacts, uploads): another origin, as S3 is."""
PNG_1X1: Final = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c63f80f040009fb03fdfb5e6b2b0000000049454e44ae426082"
)
"""A valid one-pixel PNG: the default picture of a screenshot."""

_NO_KEY_NEEDED: Final = frozenset(
    {"version", "streaming_mode", "download", "live_stream", "cdp_input"}
)
"""Endpoints answered without a key (a presigned URL carries its own signature), and the
socket factories, which send nothing until their socket opens."""
_RUN_STATUSES: Final = tuple(s.value for s in RunStatus)
_BLOCKED_SUFFIXES: Final = (".localhost", ".local", ".internal", ".svc")

_P = ParamSpec("_P")
_R = TypeVar("_R")
_API_METHODS: set[str] = set()


# ---------------------------------------------------------------------- small helpers


def as_client(fake: FakeClient) -> SkyvernClient:
    """``fake`` where the app expects a ``SkyvernClient`` (see the module docstring)."""
    return cast("SkyvernClient", fake)


async def use_fake(
    session: Session, fake: FakeClient, report: ConnectionReport | None = None,
    *, identity: str | None = None,
) -> ConnectionReport:  # fmt: skip
    """Make ``fake`` the session's client, as connecting does (``Session.use_client``);
    ``identity`` names the connection for the kept workflow list."""
    return await session.use_client(as_client(fake), report, identity=identity)


def _naive(value: datetime | None) -> str | None:
    """A timestamp as Skyvern sends most of them: ISO, naive, meaning UTC."""
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None).isoformat()


def _zulu(value: datetime) -> str:
    """A timestamp as Skyvern sends parameter rows and ``next_runs``: ISO with ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _wire(data: Any) -> Any:
    """``data`` as it arrives: through JSON text, so nothing a server could not send slips
    in (a datetime, a list shared with the fake's state)."""
    return json.loads(json.dumps(data))


def _refusal(status: int, detail: Any = None) -> ApiError:
    """The error the real client raises when the server answers ``status`` with
    ``{"detail": detail}`` (an empty body when ``detail`` is None, as for a DB miss)."""
    if detail is None:
        return error_from_response(httpx.Response(status))
    return error_from_response(httpx.Response(status, json={"detail": detail}))


def _query_error(name: str, message: str, kind: str = "greater_than_equal") -> ApiError:
    """A 422 for one query parameter, in FastAPI's list shape."""
    return _refusal(422, [{"type": kind, "loc": ["query", name], "msg": message}])


def _check_page(page: int, page_size: int, *, max_size: int | None = None) -> None:
    if page < 1:
        raise _query_error("page", "Input should be greater than or equal to 1")
    if page_size < 1:
        raise _query_error("page_size", "Input should be greater than or equal to 1")
    if max_size is not None and page_size > max_size:
        raise _query_error(
            "page_size", f"Input should be less than or equal to {max_size}", "less_than_equal"
        )


def _page_of(items: list[_R], page: int, page_size: int) -> list[_R]:
    start = (page - 1) * page_size
    return items[start : start + page_size]


def _blocked_host(url: str) -> str | None:
    """The host of ``url`` when a server with default settings refuses to send to it
    (loopback, private or internal names: its SSRF rules), else None."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return url
    if host == "localhost" or host.endswith(_BLOCKED_SUFFIXES):
        return host
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return host if not ip.is_global else None


def _instant(value: Any) -> datetime | None:
    """A stored ``…Z`` timestamp back as an aware datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _is_missing(parameter: Mapping[str, Any], value: Any) -> bool:
    """A required input's value the server treats as not given (API doc §2.2)."""
    if value is None:
        return True
    kind = parameter.get("workflow_parameter_type")
    if isinstance(value, str) and kind != WorkflowParameterType.STRING:
        return not value.strip()
    if kind == WorkflowParameterType.FILE_URL and isinstance(value, dict):
        return not value or not value.get("s3uri")
    return False


def _is_optional_credential(parameter: Mapping[str, Any]) -> bool:
    return (
        parameter.get("workflow_parameter_type") == WorkflowParameterType.CREDENTIAL_ID
        and parameter.get("default_value") is None
    )


# ---------------------------------------------------------------------- recording, faults


@dataclass
class _Fault:
    error: BaseException
    took_effect: bool


def _endpoint(
    fn: Callable[Concatenate[FakeClient, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[FakeClient, _P], Coroutine[Any, Any, _R]]:
    """An async endpoint: recorded, yields once like a request, and fails on demand."""
    name = fn.__name__
    _API_METHODS.add(name)

    @functools.wraps(fn)
    async def call(self: FakeClient, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        fault = self._enter(name, args, kwargs)
        await asyncio.sleep(self.latency)
        if fault is not None and not fault.took_effect:
            raise fault.error
        result = await fn(self, *args, **kwargs)
        if fault is not None:
            raise fault.error
        return result

    return call


def _pages_endpoint(
    fn: Callable[Concatenate[FakeClient, _P], AsyncIterator[_R]],
) -> Callable[Concatenate[FakeClient, _P], AsyncIterator[_R]]:
    """An async-generator endpoint: recorded when iteration starts, as the real one runs."""
    name = fn.__name__
    _API_METHODS.add(name)

    @functools.wraps(fn)
    async def call(self: FakeClient, /, *args: _P.args, **kwargs: _P.kwargs) -> AsyncIterator[_R]:
        fault = self._enter(name, args, kwargs)
        if fault is not None:
            raise fault.error
        async for item in fn(self, *args, **kwargs):
            yield item

    return call


def _socket_endpoint(
    fn: Callable[Concatenate[FakeClient, _P], _R],
) -> Callable[Concatenate[FakeClient, _P], _R]:
    """A synchronous factory (the live view's sockets): recorded; a fault raises at once."""
    name = fn.__name__
    _API_METHODS.add(name)

    @functools.wraps(fn)
    def call(self: FakeClient, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        fault = self._enter(name, args, kwargs)
        if fault is not None:
            raise fault.error
        return fn(self, *args, **kwargs)

    return call


# ---------------------------------------------------------------------- the live view


class NoLiveStream(LiveStream):
    """What a server without the run's stream gives: opening it fails with the
    :class:`~skyvern_desktop.api.errors.NotFoundError` the real stream raises for a 404
    upgrade, which the live feed takes as "refused, do not retry", so the pane shows the
    run's screenshots instead."""

    async def messages(self, *, quiet_after: float | None = None) -> AsyncGenerator[Message, None]:
        await asyncio.sleep(0)
        raise NotFoundError(stream_module._WORDS.missing.format(where=self.url), status_code=404)
        yield  # an async generator, like the real one


class NoCdpInput(CdpInput):
    """Control of a browser on a server without the input socket: :meth:`run` fails as the
    real one does on a 404 upgrade, and the sign-in window stays view-only."""

    async def run(self) -> None:
        await asyncio.sleep(0)
        raise NotFoundError(cdp_input_module._WORDS.missing.format(where=self.url), status_code=404)


# ---------------------------------------------------------------------- runs


@dataclass
class FakeRun:
    """One workflow run the fake holds. Change it through :meth:`FakeClient.advance`."""

    run_id: str
    workflow: dict[str, Any]
    """The workflow's JSON as it was when the run started."""
    request: WorkflowRunRequest
    parameters: dict[str, Any]
    """The resolved inputs: those sent, and the defaults of the others."""
    status: str
    created_at: datetime
    modified_at: datetime
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    output: Any = None
    failure_reason: str | None = None
    trigger_type: str = "api"
    workflow_schedule_id: str | None = None
    retried_from_workflow_run_id: str | None = None
    screenshot_urls: list[str] = field(default_factory=list)
    """Newest first, as the server lists them."""
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] | None = None
    """Set by :meth:`FakeClient.set_timeline`; ``None`` derives one from the blocks."""
    failure_category: list[dict[str, Any]] | None = None
    """The server's guesses at why the run failed (``advance(..., category=...)``)."""

    @property
    def workflow_permanent_id(self) -> str:
        return str(self.workflow["workflow_permanent_id"])

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = self.workflow["workflow_definition"]["blocks"]
        return blocks


# ---------------------------------------------------------------------- the client


class FakeClient:
    """``SkyvernClient``'s endpoints over in-memory state; see the module docstring.

    ``auto_advance``: each :meth:`get_run` moves a run one step along
    created → queued → running → completed before answering. ``streaming``: what
    :meth:`streaming_mode` says (``None``, "the server does not say", opens the live view,
    which then fails as a server without it fails; ``"vnc"`` keeps panes from trying).
    ``clock``: the time rows are stamped with (default: now, UTC; always increasing).
    """

    def __init__(
        self,
        base_url: str = "http://skyvern.fake",
        api_key: str | None = "sk-fake-key-0123456789",
        *,
        server_version: str = "1.0.56",
        streaming: str | None = None,
        auto_advance: bool = False,
        initial_status: str = RunStatus.QUEUED,
        latency: float = 0.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._key = Secret(api_key or "")
        self._closed = False
        self.server_version = server_version
        self.streaming = streaming
        self.auto_advance = auto_advance
        self.initial_status = initial_status
        """A new run's status. A real server answers ``created`` (API doc §1.1)."""
        self.latency = latency
        self.key_accepted = True
        """False: the server refuses the key (403) on every call that needs one."""
        self.webhook_status = 200
        """How a webhook receiver answers :meth:`retry_webhook` and :meth:`test_webhook`."""
        self.allowed_hosts: set[str] = set()
        """Hosts the server may send webhooks to although its SSRF rules block them."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_time: datetime | None = None
        self._counters: dict[str, int] = {}
        self._faults: dict[str, deque[_Fault]] = {}

        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        """Every endpoint called: its name, and its arguments as passed."""
        self.run_requests: list[WorkflowRunRequest] = []
        """Every run request that reached the server (rejected ones too)."""
        self.workflows: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, FakeRun] = {}
        self.schedules: dict[str, dict[str, Any]] = {}
        self.totp_codes: list[dict[str, Any]] = []
        self.credentials: dict[str, dict[str, Any]] = {}
        self.browser_sessions: dict[str, dict[str, Any]] = {}
        self.browser_profiles: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        """What :meth:`download` serves, by URL."""

    def __repr__(self) -> str:
        return f"FakeClient(base_url={self._base_url!r})"

    # ------------------------------------------------------------------ test helpers

    def fail_next(
        self, method: str, error: BaseException, *, times: int = 1, took_effect: bool = False
    ) -> None:
        """The next ``times`` calls of ``method`` raise ``error`` (use the real error
        classes of :mod:`skyvern_desktop.api.errors`). With ``took_effect`` the call does
        its work first, then raises: a run that started although its answer was lost
        (async endpoints; the page iterator and the socket factories raise at once)."""
        if method not in _API_METHODS:
            raise AttributeError(f"FakeClient has no endpoint {method!r}")
        queue = self._faults.setdefault(method, deque())
        queue.extend(_Fault(error, took_effect) for _ in range(times))

    def calls_to(self, method: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        """The arguments of every call of ``method``, in order."""
        if method not in _API_METHODS:
            raise AttributeError(f"FakeClient has no endpoint {method!r}")
        return [(args, kwargs) for name, args, kwargs in self.calls if name == method]

    def add_workflow(
        self,
        title: str,
        parameters: Sequence[str | Mapping[str, Any]] = (),
        *,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> Workflow:
        """A published workflow. Each of ``parameters`` is an input's key (a required text
        input) or a parameter's JSON, e.g. ``{"key": "pages", "workflow_parameter_type":
        "integer", "default_value": 3}`` (``parameter_type`` defaults to ``workflow``).
        ``blocks`` default to one wait block; ``fields`` override the workflow's own
        (``browser_profile_id``, ``webhook_callback_url``, ``status``…)."""
        if blocks is None:
            blocks = [{"block_type": "wait", "label": "wait", "wait_sec": 1}]
        data = self._workflow_json(title, description, parameters, blocks, fields)
        workflow = Workflow.model_validate(_wire(data))  # a bad helper argument fails here
        self.workflows[data["workflow_permanent_id"]] = data
        return workflow

    def advance(
        self,
        run_id: str,
        status: RunStatus | str,
        *,
        output: Any = None,
        failure_reason: str | None = None,
        category: str | None = None,
    ) -> RunResponse:
        """Move a run to ``status`` as the server would: ``queued_at``/``started_at``/
        ``finished_at`` and ``modified_at`` stamped, ``output`` and ``failure_reason``
        kept. A run that completes without an ``output`` gets the shape a real one has
        (``{"<label>_output": null, …, "extracted_information": []}``)."""
        run = self.runs[run_id]
        status = RunStatus(status)
        now = self._now()
        run.status = status.value
        run.modified_at = now
        if status is not RunStatus.CREATED and run.queued_at is None:
            run.queued_at = now
        if status not in (RunStatus.CREATED, RunStatus.QUEUED) and run.started_at is None:
            run.started_at = now
        if is_terminal(status) and run.finished_at is None:
            run.finished_at = now
        if output is not None:
            run.output = output
        elif status is RunStatus.COMPLETED and run.output is None:
            run.output = {f"{b.get('label')}_output": None for b in run.blocks} | {
                "extracted_information": []
            }
        if failure_reason is not None:
            run.failure_reason = failure_reason
        if category is not None:
            run.failure_category = [
                {"category": category, "confidence_float": 0.7, "reasoning": failure_reason,
                 "evidence_source": "keyword_match"}
            ]  # fmt: skip
        return RunResponse.model_validate(_wire(self._run_json(run)))

    def set_timeline(self, run_id: str, items: Sequence[Mapping[str, Any]] | None) -> None:
        """Give a run this timeline (items as the server sends them, newest first);
        ``None`` goes back to one derived from the workflow's blocks and the run's status."""
        timeline = None if items is None else [dict(i) for i in _wire(list(items))]
        for item in timeline or []:
            TimelineItem.model_validate(item)  # a bad helper argument fails here
        self.runs[run_id].timeline = timeline

    def add_screenshot(self, run_id: str, image: bytes = PNG_1X1) -> str:
        """A screenshot of the run (the newest): its URL, which :meth:`download` serves."""
        run = self.runs[run_id]
        url = f"{FILES_URL}/{run_id}/screenshot_{self._next('shot')}.png?X-Amz-Signature=fake"
        self.files[url] = image
        run.screenshot_urls.insert(0, url)
        run.modified_at = self._now()
        return url

    def add_artifact(
        self, run_id: str, artifact_type: str = "screenshot_final", content: bytes = PNG_1X1
    ) -> Artifact:
        """An artifact of the run, its ``signed_url`` served by :meth:`download`."""
        run = self.runs[run_id]
        artifact_id = f"a_fake_{self._next('a')}"
        ext = "png" if artifact_type.startswith("screenshot") else "bin"
        url = f"{FILES_URL}/{run_id}/{artifact_id}.{ext}?X-Amz-Signature=fake"
        self.files[url] = content
        now = _naive(self._now())
        data = {
            "artifact_id": artifact_id,
            "artifact_type": artifact_type,
            "uri": f"s3://skyvern-artifacts/{ORGANIZATION_ID}/{run_id}/{artifact_id}.{ext}",
            "signed_url": url,
            "archived": False,
            "organization_id": ORGANIZATION_ID,
            "checksum": None,
            "file_size": len(content),
            "task_id": None,
            "step_id": None,
            "workflow_run_id": run_id,
            "workflow_run_block_id": None,
            "run_id": run_id,
            "created_at": now,
            "modified_at": now,
        }
        run.artifacts.append(data)
        return Artifact.model_validate(_wire(data))

    # ------------------------------------------------------------------ plumbing

    def _enter(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Fault | None:
        self.calls.append((name, args, dict(kwargs)))
        if self._closed:
            raise ClientClosedError(self._base_url)
        queue = self._faults.get(name)
        fault = queue.popleft() if queue else None
        refused = not self._key or not self.key_accepted
        if fault is None and refused and name not in _NO_KEY_NEEDED:
            raise _refusal(403, "Invalid credentials")
        return fault

    def _now(self) -> datetime:
        now = self._clock().astimezone(UTC)
        if self._last_time is not None and now <= self._last_time:
            now = self._last_time + timedelta(microseconds=1)
        self._last_time = now
        return now

    def _next(self, kind: str) -> int:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    def _workflow_json(
        self,
        title: str,
        description: str | None,
        parameters: Sequence[str | Mapping[str, Any]],
        blocks: Sequence[Mapping[str, Any]],
        fields: Mapping[str, Any],
    ) -> dict[str, Any]:
        n = self._next("w")
        workflow_id, wpid = f"w_fake_{n}", f"wpid_fake_{n}"
        now = self._now()
        rows: list[dict[str, Any]] = []
        for spec in parameters:
            row: dict[str, Any] = {"key": spec} if isinstance(spec, str) else dict(spec)
            row.setdefault("parameter_type", "workflow")
            row.setdefault("description", None)
            if row["parameter_type"] == "workflow":
                row.setdefault("workflow_parameter_id", f"wp_fake_{self._next('wp')}")
                row.setdefault("workflow_parameter_type", "string")
                row.setdefault("default_value", None)
            rows.append(row)
        for block in blocks:  # the server adds one output parameter per block
            rows.append(
                {
                    "parameter_type": "output",
                    "key": f"{block.get('label')}_output",
                    "description": None,
                    "output_parameter_id": f"op_fake_{self._next('op')}",
                }
            )
        for row in rows:
            row.update(workflow_id=workflow_id, created_at=_zulu(now), modified_at=_zulu(now))
            row.setdefault("deleted_at", None)
        data: dict[str, Any] = {
            "workflow_id": workflow_id,
            "organization_id": ORGANIZATION_ID,
            "title": title,
            "workflow_permanent_id": wpid,
            "agent_id": wpid,
            "version": 1,
            "is_saved_task": False,
            "is_template": False,
            "description": description,
            "workflow_definition": {
                "version": 1,
                "parameters": rows,
                "blocks": [dict(b) for b in blocks],
                "finally_block_label": None,
            },
            "proxy_location": "RESIDENTIAL",
            "webhook_callback_url": None,
            "totp_verification_url": None,
            "totp_identifier": None,
            "persist_browser_session": False,
            "browser_profile_id": None,
            "model": None,
            "status": "published",
            "max_screenshot_scrolls": None,
            "max_elapsed_time_minutes": None,
            "extra_http_headers": None,
            "run_with": "agent",
            "ai_fallback": True,
            "folder_id": None,
            "created_at": _naive(now),
            "modified_at": _naive(now),
            "deleted_at": None,
        }
        data.update(fields)
        return cast("dict[str, Any]", _wire(data))

    def _workflow_or_404(self, wpid: str) -> dict[str, Any]:
        workflow = self.workflows.get(wpid)
        if workflow is None:
            raise _refusal(404, f"Workflow not found. workflow_permanent_id={wpid}")
        return workflow

    @staticmethod
    def _inputs(workflow: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = workflow["workflow_definition"]["parameters"]
        return [p for p in rows if p.get("parameter_type") == "workflow"]

    def _newest_first(self, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return sorted(rows, key=lambda r: str(r["created_at"]), reverse=True)

    # ------------------------------------------------------------------ server, key

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    @property
    def is_closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        self._closed = True

    def reopen(self) -> None:
        """The same server, for a client made again (as a restarted app makes one)."""
        self._closed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @_endpoint
    async def version(self) -> ServerVersion:
        return ServerVersion.model_validate({"version": self.server_version})

    @_endpoint
    async def streaming_mode(self) -> str | None:
        return self.streaming

    @_socket_endpoint
    def live_stream(self, run_id: str, *, browser_session_id: str | None = None) -> LiveStream:
        return NoLiveStream(
            self._base_url, self._key, run_id=run_id, browser_session_id=browser_session_id
        )

    @_socket_endpoint
    def cdp_input(
        self,
        browser_session_id: str,
        client_id: str,
        on_reply: Callable[[dict[str, Any]], None] | None = None,
    ) -> CdpInput:
        return NoCdpInput(
            self._base_url, self._key, browser_session_id=browser_session_id,
            client_id=client_id, on_reply=on_reply,
        )  # fmt: skip

    @_endpoint
    async def check_key(self) -> None:
        return None  # the key itself is judged on the way in (see _enter)

    # ------------------------------------------------------------------ workflows

    @_endpoint
    async def list_workflows(
        self, *, page: int = 1, page_size: int = 10, search_key: str | None = None
    ) -> list[Workflow]:
        """Published and draft workflows, newest first; ``search_key`` matches the title,
        the id, and the inputs' keys, descriptions and defaults, ignoring case."""
        _check_page(page, page_size)
        needle = (search_key or "").lower()
        rows = [
            w
            for w in self._newest_first(list(self.workflows.values()))
            if w.get("status") in ("published", "draft")
            and (not needle or needle in self._workflow_text(w))
        ]
        return [Workflow.model_validate(w) for w in _wire(_page_of(rows, page, page_size))]

    def _workflow_text(self, workflow: Mapping[str, Any]) -> str:
        parts = [str(workflow["title"]), str(workflow["workflow_permanent_id"])]
        for p in self._inputs(workflow):
            parts += [str(p["key"]), str(p.get("description") or "")]
            parts.append(_text_of(p.get("default_value")) if p.get("default_value") else "")
        return "\n".join(parts).lower()

    @_pages_endpoint
    async def iter_workflow_pages(
        self, *, page_size: int = 100, search_key: str | None = None
    ) -> AsyncIterator[list[Workflow]]:
        page = 1
        while True:
            items = await self.list_workflows(page=page, page_size=page_size, search_key=search_key)
            yield items
            if len(items) < page_size:
                return
            page += 1

    @_endpoint
    async def list_all_workflows(
        self, *, page_size: int = 100, search_key: str | None = None
    ) -> list[Workflow]:
        out: list[Workflow] = []
        async for page in self.iter_workflow_pages(page_size=page_size, search_key=search_key):
            out.extend(page)
        return out

    @_endpoint
    async def create_workflow(self, definition: dict[str, Any]) -> Workflow:
        """A workflow from its JSON definition, as the server stores one: ids, timestamps,
        an output parameter per block."""
        title = definition.get("title")
        if not isinstance(title, str) or not title:
            raise _refusal(
                422, [{"type": "missing", "loc": ["body", "title"], "msg": "Field required"}]
            )
        body = definition.get("workflow_definition") or {}
        fields = {k: v for k, v in definition.items() if k not in ("title", "description")}
        fields.pop("workflow_definition", None)
        data = self._workflow_json(
            title,
            definition.get("description"),
            body.get("parameters") or [],
            body.get("blocks") or [],
            fields,
        )
        self.workflows[data["workflow_permanent_id"]] = data
        return Workflow.model_validate(_wire(data))

    @_endpoint
    async def get_workflow(
        self, workflow_permanent_id: str, *, version: int | None = None
    ) -> Workflow:
        workflow = self._workflow_or_404(workflow_permanent_id)
        if version is not None and version != workflow.get("version"):
            raise _refusal(
                404, f"Workflow not found. workflow_permanent_id={workflow_permanent_id}"
            )
        return Workflow.model_validate(_wire(workflow))

    # ------------------------------------------------------------------ runs

    def _new_run(
        self,
        workflow: dict[str, Any],
        request: WorkflowRunRequest,
        parameters: dict[str, Any],
        *,
        retried_from: str | None = None,
    ) -> FakeRun:
        now = self._now()
        run = FakeRun(
            run_id=f"wr_fake_{self._next('wr')}",
            workflow=_wire(workflow),
            request=request.model_copy(deep=True),
            parameters=_wire(parameters),
            status=RunStatus.CREATED.value,
            created_at=now,
            modified_at=now,
            retried_from_workflow_run_id=retried_from,
        )
        self.runs[run.run_id] = run
        if self.initial_status != RunStatus.CREATED:
            self.advance(run.run_id, self.initial_status)
        return run

    def _run_json(self, run: FakeRun) -> dict[str, Any]:
        request = run.request
        return {
            "run_id": run.run_id,
            "run_type": "workflow_run",
            "run_with": "agent",
            "status": run.status,
            "output": run.output,
            "downloaded_files": [],
            "recording_url": None,
            "recording_archived": False,
            "screenshot_urls": list(run.screenshot_urls) or None,
            "failure_reason": run.failure_reason,
            "created_at": _naive(run.created_at),
            "modified_at": _naive(run.modified_at),
            "queued_at": _naive(run.queued_at),
            "started_at": _naive(run.started_at),
            "finished_at": _naive(run.finished_at),
            "app_url": f"{APP_URL}/runs/{run.run_id}",
            "browser_session_id": request.browser_session_id,
            "browser_profile_id": request.browser_profile_id,
            "max_screenshot_scrolls": request.max_screenshot_scrolls,
            "script_run": None,
            "errors": [],
            "step_count": 0,
            "run_request": request.to_body() | {"parameters": run.parameters},
        }

    def _run_list_json(self, run: FakeRun) -> dict[str, Any]:
        request = run.request
        body = request.to_body()
        return {
            "workflow_run_id": run.run_id,
            "workflow_id": run.workflow["workflow_id"],
            "workflow_permanent_id": run.workflow_permanent_id,
            "organization_id": ORGANIZATION_ID,
            "status": run.status,
            "workflow_title": run.workflow["title"],
            "failure_reason": run.failure_reason,
            "failure_category": run.failure_category,
            "parent_workflow_run_id": None,
            "retried_from_workflow_run_id": run.retried_from_workflow_run_id,
            "trigger_type": run.trigger_type,
            "workflow_schedule_id": run.workflow_schedule_id,
            "browser_session_id": request.browser_session_id,
            "browser_profile_id": request.browser_profile_id,
            "proxy_location": body.get("proxy_location", run.workflow.get("proxy_location")),
            "webhook_callback_url": request.webhook_url,
            "totp_verification_url": request.totp_url,
            "totp_identifier": request.totp_identifier,
            "extra_http_headers": request.extra_http_headers,
            "max_screenshot_scrolls": request.max_screenshot_scrolls,
            "max_elapsed_time_minutes": request.max_elapsed_time_minutes,
            "run_with": "agent",
            "credits_used": 0,
            "cached_credits_used": 0,
            "queued_at": _naive(run.queued_at),
            "started_at": _naive(run.started_at),
            "finished_at": _naive(run.finished_at),
            "created_at": _naive(run.created_at),
            "modified_at": _naive(run.modified_at),
        }

    def _run_text(self, run: FakeRun) -> str:
        parts = [run.run_id, str(run.workflow["title"]), run.workflow_permanent_id]
        for key, value in run.parameters.items():
            parts += [key, _text_of(value)]
        for key, value in (run.request.extra_http_headers or {}).items():
            parts += [key, value]
        parts.append(run.request.webhook_url or "")
        return "\n".join(parts).lower()

    def _run_or_404(self, run_id: str, detail: str) -> FakeRun:
        run = self.runs.get(run_id)
        if run is None:
            raise _refusal(404, f"{detail} {run_id}")
        return run

    @_endpoint
    async def run_workflow(self, request: WorkflowRunRequest) -> RunResponse:
        """Start a run: ``wr_fake_<n>``, in ``initial_status``. As on a real server, an
        unknown workflow is a 404, a blocked webhook host a 400, and a missing required
        input a 400 after the run was created (it exists, failed)."""
        self.run_requests.append(request.model_copy(deep=True))
        workflow = self._workflow_or_404(request.workflow_id)
        host = _blocked_host(request.webhook_url) if request.webhook_url else None
        if host is not None and host not in self.allowed_hosts:
            raise _refusal(400, "Invalid webhook_callback_url: blocked host.")
        given = dict(request.parameters or {})
        inputs = self._inputs(workflow)
        parameters = {p["key"]: given.get(p["key"], p.get("default_value")) for p in inputs}
        missing = [
            p["key"]
            for p in inputs
            if _is_missing(p, parameters[p["key"]]) and not _is_optional_credential(p)
        ]
        run = self._new_run(workflow, request, parameters)
        if missing:
            detail = (
                f"Missing value for parameter {missing[0]} in workflow run {run.run_id}"
                f" of workflow {run.workflow_permanent_id}"
            )
            self.advance(run.run_id, RunStatus.FAILED, failure_reason=detail)
            raise _refusal(400, detail)
        return RunResponse.model_validate(_wire(self._run_json(run)))

    @_endpoint
    async def get_run(self, run_id: str) -> RunResponse:
        run = self._run_or_404(run_id, "Task run not found")
        if self.auto_advance:
            step = {
                RunStatus.CREATED: RunStatus.QUEUED,
                RunStatus.QUEUED: RunStatus.RUNNING,
                RunStatus.RUNNING: RunStatus.COMPLETED,
            }.get(RunStatus(run.status))
            if step is not None:
                self.advance(run_id, step)
        return RunResponse.model_validate(_wire(self._run_json(run)))

    @_endpoint
    async def cancel_run(self, run_id: str) -> None:
        run = self._run_or_404(run_id, "Run not found")
        if not is_terminal(run.status):  # an ended run keeps its status; still 200
            self.advance(run_id, RunStatus.CANCELED)

    @_endpoint
    async def retry_run(self, run_id: str) -> RunResponse:
        old = self._run_or_404(run_id, "Workflow run not found")
        if not is_terminal(old.status):
            raise _refusal(400, "Only terminal workflow runs can be retried")
        run = self._new_run(old.workflow, old.request, old.parameters, retried_from=run_id)
        return RunResponse.model_validate(_wire(self._run_json(run)))

    @_endpoint
    async def continue_run(self, run_id: str) -> None:
        run = self.runs.get(run_id)
        if run is None or run.status != RunStatus.PAUSED:
            raise _refusal(404, f"Workflow run not found {run_id}")
        self.advance(run_id, RunStatus.RUNNING)

    @_endpoint
    async def list_workflow_runs(
        self,
        *,
        workflow_permanent_id: str | None = None,
        status: Sequence[str] | None = None,
        search_key: str | None = None,
        page: int = 1,
        page_size: int = 20,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> list[WorkflowRun]:
        """Runs newest first, filtered as the server filters: any of ``status``;
        ``search_key`` in the run id, the workflow's title or id, an input's key or value,
        an extra header or the webhook URL (ignoring case). As on a real server, only the
        runs of one workflow can be limited to ``created_after`` ≤ created <
        ``created_before``: without ``workflow_permanent_id`` the dates are ignored."""
        _check_page(page, page_size)
        wanted = [str(s) for s in status or ()]
        for i, value in enumerate(wanted):
            if value not in _RUN_STATUSES:
                allowed = ", ".join(f"'{s}'" for s in _RUN_STATUSES)
                raise _refusal(
                    422,
                    [
                        {
                            "type": "enum",
                            "loc": ["query", "status", i],
                            "msg": f"Input should be {allowed}",
                        }
                    ],
                )
        needle = (search_key or "").lower()
        runs = sorted(self.runs.values(), key=lambda r: r.created_at, reverse=True)
        if workflow_permanent_id:
            runs = [r for r in runs if r.workflow_permanent_id == workflow_permanent_id]
            if created_after is not None:
                runs = [r for r in runs if r.created_at >= created_after]
            if created_before is not None:
                runs = [r for r in runs if r.created_at < created_before]
        if wanted:
            runs = [r for r in runs if r.status in wanted]
        if needle:
            runs = [r for r in runs if needle in self._run_text(r)]
        rows = [self._run_list_json(r) for r in _page_of(runs, page, page_size)]
        return [WorkflowRun.model_validate(r) for r in _wire(rows)]

    @_endpoint
    async def get_run_timeline(self, run_id: str) -> list[TimelineItem]:
        run = self._run_or_404(run_id, "Run not found")
        items = run.timeline if run.timeline is not None else self._derived_timeline(run)
        return [TimelineItem.model_validate(i) for i in _wire(items)]

    def _derived_timeline(self, run: FakeRun) -> list[dict[str, Any]]:
        """The blocks the run has reached, newest first: earlier ones completed, the last
        one in the run's status (``running`` while it runs or waits for a person; a paused
        run waits at its first human_interaction block, which carries its question)."""
        blocks = run.blocks
        status = RunStatus(run.status)
        if status in (RunStatus.CREATED, RunStatus.QUEUED) or not blocks:
            return []
        if is_terminal(status):
            current, current_status = len(blocks) - 1, status.value
        elif status is RunStatus.PAUSED:
            kinds = [b.get("block_type") for b in blocks]
            current = kinds.index("human_interaction") if "human_interaction" in kinds else 0
            current_status = RunStatus.RUNNING.value
        else:
            current, current_status = 0, RunStatus.RUNNING.value
        stamp = _naive(run.started_at or run.created_at)
        items: list[dict[str, Any]] = []
        for i, block in enumerate(blocks[: current + 1]):
            last = i == current
            asks = block.get("block_type") == "human_interaction"
            items.append(
                {
                    "type": "block",
                    "block": {
                        "workflow_run_block_id": f"wrb_{run.run_id}_{i}",
                        "workflow_run_id": run.run_id,
                        "label": block.get("label"),
                        "block_type": block.get("block_type"),
                        "status": current_status if last else RunStatus.COMPLETED.value,
                        "output": None,
                        "failure_reason": run.failure_reason if last else None,
                        "description": None,
                        "url": block.get("url"),
                        "duration": None,
                        "created_at": stamp,
                        "modified_at": _naive(run.modified_at) if last else stamp,
                        "instructions": block.get("instructions") if asks else None,
                        "positive_descriptor": (
                            block.get("positive_descriptor", "Approve") if asks else None
                        ),
                        "negative_descriptor": (
                            block.get("negative_descriptor", "Reject") if asks else None
                        ),
                    },
                    "thought": None,
                    "children": [],
                    "created_at": stamp,
                    "modified_at": stamp,
                }
            )
        return items[::-1]

    @_endpoint
    async def get_workflow_run(self, workflow_permanent_id: str, run_id: str) -> WorkflowRunDetail:
        run = self.runs.get(run_id)
        if run is None or run.workflow_permanent_id != workflow_permanent_id:
            raise _refusal(404, f"Workflow run not found {run_id}")
        body = self._run_list_json(run) | {
            "workflow_id": run.workflow_permanent_id,
            "failure_category": run.failure_category,
            "parameters": run.parameters,
            "outputs": run.output if isinstance(run.output, dict) else None,
            "total_steps": 0,
            "errors": [],
        }
        return WorkflowRunDetail.model_validate(_wire(body))

    @_endpoint
    async def artifact_content(
        self, artifact_id: str, *, max_bytes: int = 50 * 1024 * 1024
    ) -> bytes:
        for run in self.runs.values():
            for artifact in run.artifacts:
                if artifact["artifact_id"] == artifact_id:
                    return self.files[artifact["signed_url"]]
        raise _refusal(404, f"Artifact not found {artifact_id}")

    @_endpoint
    async def list_artifacts(
        self, run_id: str, *, artifact_types: Sequence[str] | None = None
    ) -> list[Artifact]:
        run = self.runs.get(run_id)
        if run is None:
            return []  # a real server answers an unknown run with 200 []
        rows = [
            a for a in run.artifacts if not artifact_types or a["artifact_type"] in artifact_types
        ]
        return [Artifact.model_validate(a) for a in _wire(rows)]

    # ------------------------------------------------------------------ codes, webhooks

    @_endpoint
    async def send_totp_code(
        self,
        totp_identifier: str,
        content: str,
        *,
        workflow_run_id: str | None = None,
        workflow_id: str | None = None,
    ) -> TotpCode:
        """Store a code. Content of up to 10 characters is the code itself; a longer
        message is kept for the server's model to read (``code`` empty, ``raw_pending``):
        the fake never reads it."""
        if workflow_run_id and workflow_run_id not in self.runs:
            raise _refusal(400, f"Invalid workflow run id: {workflow_run_id}")
        if workflow_id and not any(
            w["workflow_id"] == workflow_id for w in self.workflows.values()
        ):
            raise _refusal(400, f"Invalid workflow id: {workflow_id}")
        text = content.strip()
        short = len(text) <= 10
        now = _naive(self._now())
        data = {
            "totp_code_id": f"totp_fake_{self._next('totp')}",
            "totp_identifier": totp_identifier.lower()
            if "@" in totp_identifier
            else totp_identifier,
            "organization_id": ORGANIZATION_ID,
            "content": content,
            "code": text if short else "",
            "task_id": None,
            "workflow_id": workflow_id,
            "workflow_run_id": workflow_run_id,
            "source": None,
            "expired_at": None,
            "created_at": now,
            "modified_at": now,
            "otp_type": "totp" if short else None,
            "status": None if short else "raw_pending",
        }
        self.totp_codes.append(data)
        return TotpCode.model_validate(_wire(data))

    @_endpoint
    async def list_totp_codes(
        self,
        *,
        totp_identifier: str | None = None,
        workflow_run_id: str | None = None,
        limit: int = 20,
    ) -> list[TotpCode]:
        limit = max(1, min(limit, 200))  # as the real client clamps it
        rows = [
            c
            for c in self._newest_first(self.totp_codes)
            if (not totp_identifier or c["totp_identifier"] == totp_identifier)
            and (not workflow_run_id or c["workflow_run_id"] == workflow_run_id)
        ]
        return [TotpCode.model_validate(c) for c in _wire(rows[:limit])]

    def _receiver_answer(self, url: str) -> tuple[int | None, str | None]:
        host = _blocked_host(url)
        if host is not None and host not in self.allowed_hosts:
            return None, (
                "Invalid url: blocked host. It is either blocked by SSRF protection or could"
                " not be resolved. Add the host to ALLOWED_HOSTS to test internal endpoints or"
                " use an external receiver such as webhook.site or requestbin.com."
            )
        return self.webhook_status, None

    @_endpoint
    async def retry_webhook(self, run_id: str, *, webhook_url: str | None = None) -> WebhookReplay:
        run = self._run_or_404(run_id, "Run not found")
        target = webhook_url or run.request.webhook_url
        if not target:
            raise _refusal(400, "No webhook URL configured for the run.")
        status_code, error = self._receiver_answer(target)
        if error is not None:
            raise _refusal(400, "Invalid url: blocked host.")
        payload = json.dumps(self._run_json(run))
        data = {
            "run_id": run_id,
            "run_type": "workflow_run",
            "default_webhook_url": run.request.webhook_url,
            "target_webhook_url": target,
            "payload": payload,
            "headers": {
                "x-skyvern-timestamp": str(int(self._now().timestamp())),
                "x-skyvern-signature": "fake-signature",
                "Content-Type": "application/json",
            },
            "status_code": status_code,
            "latency_ms": 12,
            "response_body": "",
            "error": None,
        }
        return WebhookReplay.model_validate(_wire(data))

    @_endpoint
    async def test_webhook(self, webhook_url: str, *, run_id: str | None = None) -> WebhookTest:
        status_code, error = self._receiver_answer(webhook_url)
        data = {
            "status_code": status_code,
            "latency_ms": 0 if error else 12,
            "response_body": "",
            "headers_sent": {} if error else {"x-skyvern-signature": "fake-signature"},
            "error": error,
        }
        return WebhookTest.model_validate(_wire(data))

    # ------------------------------------------------------------------ files

    @_endpoint
    async def upload_file(
        self,
        filename: str,
        content: bytes,
        *,
        retention_days: int | None = None,
        content_type: str = "application/octet-stream",
    ) -> UploadedFile:
        """Keep the file; its ``presigned_url`` is served by :meth:`download`. (A local
        server with its default storage answers 500 instead: API doc §1.10.)"""
        name = PurePath(filename).name
        if len(content) > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"{name} is {len(content) / 1048576:.1f} MB; Skyvern accepts files of up to 10 MB.",
                status_code=413,
            )
        if retention_days is not None and not 1 <= retention_days <= 365:
            raise ValidationError("Keep the file between 1 and 365 days.", status_code=422)
        file_id = f"file_fake_{self._next('file')}"
        url = f"{FILES_URL}/uploads/{file_id}/{name}?X-Amz-Signature=fake"
        self.files[url] = bytes(content)
        expires = self._now() + timedelta(days=retention_days or 7)
        data = {
            "s3_uri": f"s3://skyvern-uploads/{ORGANIZATION_ID}/{file_id}/{name}",
            "presigned_url": url,
            "file_id": file_id,
            "expires_at": _naive(expires),
        }
        return UploadedFile.model_validate(_wire(data))

    @_endpoint
    async def download(self, url: str, *, max_bytes: int = 200 * 1024 * 1024) -> bytes:
        if not url.startswith(("http://", "https://")):
            raise ProtocolError(f"Cannot download {url[:80]!r}: not an http(s) address.")
        content = self.files.get(url)
        if content is None:
            raise _refusal(404)
        if len(content) > max_bytes:
            raise ProtocolError(f"The file is larger than {max_bytes // 1048576} MB.")
        return content

    # ------------------------------------------------------------------ schedules

    def _schedule_or_404(self, wpid: str, schedule_id: str) -> dict[str, Any]:
        if wpid not in self.workflows:
            raise _refusal(404, f"Workflow {wpid} not found")
        row = self.schedules.get(schedule_id)
        if row is None or row["deleted_at"] is not None or row["workflow_permanent_id"] != wpid:
            raise _refusal(404, f"Schedule {schedule_id} not found")
        return row

    def _check_schedule(
        self, schedule: ScheduleUpsert, existing: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The server's checks, in its order; the cadence fields to store."""
        cadences = [schedule.cron_expression, schedule.interval_seconds, schedule.run_at]
        problem = None
        if sum(c is not None for c in cadences) != 1:
            problem = "Set exactly one of cron_expression, interval_seconds or run_at"
        elif schedule.first_fire_at is not None and schedule.interval_seconds is None:
            problem = "first_fire_at requires interval_seconds"
        elif schedule.run_at is not None and schedule.enabled is False:
            problem = "A one-time schedule cannot be disabled; cancel it or change run_at instead"
        if problem is not None:
            raise _refusal(
                422,
                [{"type": "value_error", "loc": ["body"], "msg": f"Value error, {problem}"}],
            )
        if schedule.interval_seconds is not None and schedule.interval_seconds < 300:
            raise _refusal(
                422,
                [
                    {
                        "type": "greater_than_equal",
                        "loc": ["body", "interval_seconds"],
                        "msg": "Input should be greater than or equal to 300",
                    }
                ],
            )
        if schedule.cron_expression is not None:
            _check_cron(schedule.cron_expression)
        try:
            ZoneInfo(schedule.timezone)
        except (KeyError, ValueError):
            raise _refusal(400, f"Invalid timezone '{schedule.timezone}'") from None
        now = self._now()
        # The server keeps instants to the second.
        first_fire_at = schedule.first_fire_at and schedule.first_fire_at.replace(microsecond=0)
        run_at = schedule.run_at and schedule.run_at.replace(microsecond=0)
        if schedule.interval_seconds is not None:
            kept = _instant(existing.get("first_fire_at")) if existing else None
            if kept is not None and first_fire_at in (None, kept):
                first_fire_at = kept  # an unchanged anchor is kept even once it is past
            elif first_fire_at is None:
                first_fire_at = now.replace(microsecond=0) + timedelta(
                    seconds=schedule.interval_seconds
                )
            else:
                self._require_future(first_fire_at, "first_fire_at", now)
        if run_at is not None and (not existing or run_at != _instant(existing.get("run_at"))):
            self._require_future(run_at, "run_at", now)
        return {
            "first_fire_at": _zulu(first_fire_at) if first_fire_at else None,
            "run_at": _zulu(run_at) if run_at else None,
        }

    @staticmethod
    def _require_future(value: datetime, name: str, now: datetime) -> None:
        if value < now + timedelta(seconds=60):
            raise _refusal(
                422,
                [
                    {
                        "type": "value_error",
                        "loc": ["body", name],
                        "msg": f"{name} must be at least 60 seconds in the future",
                    }
                ],
            )

    def _check_schedule_parameters(
        self, workflow: Mapping[str, Any], parameters: Mapping[str, Any] | None
    ) -> None:
        given = dict(parameters or {})
        inputs = self._inputs(workflow)
        wpid = workflow["workflow_permanent_id"]
        unknown = sorted(set(given) - {p["key"] for p in inputs})
        if unknown:
            raise _refusal(
                400, f"Unknown schedule parameters for workflow {wpid}: {', '.join(unknown)}"
            )
        missing = []
        for p in inputs:
            value = given.get(p["key"])
            if value is None:
                value = p.get("default_value")
            if _is_missing(p, value) and not _is_optional_credential(p):
                missing.append(p["key"])
        if missing:
            raise _refusal(
                400,
                f"Missing schedule parameters for workflow {wpid}: {', '.join(sorted(missing))}",
            )

    def _next_runs(self, row: Mapping[str, Any]) -> list[datetime]:
        now = self._clock().astimezone(UTC)
        if row["run_at"] is not None:
            pending = row.get("dispatch_status") == "pending"
            return [datetime.fromisoformat(row["run_at"])] if pending else []
        if row["interval_seconds"] is not None:
            first = datetime.fromisoformat(row["first_fire_at"])
            step = timedelta(seconds=row["interval_seconds"])
            ticks = 0 if now < first else int((now - first) / step) + 1
            return [first + step * (ticks + i) for i in range(5)]
        itr = croniter(row["cron_expression"], now.astimezone(ZoneInfo(row["timezone"])))
        return [itr.get_next(datetime).astimezone(UTC) for _ in range(5)]

    def _schedule_answer(self, row: Mapping[str, Any]) -> ScheduleWithNextRuns:
        data = {"schedule": row, "next_runs": [_zulu(t) for t in self._next_runs(row)]}
        return ScheduleWithNextRuns.model_validate(_wire(data))

    @_endpoint
    async def list_schedules(
        self,
        *,
        page: int = 1,
        page_size: int = 50,
        status: str | None = None,
        search: str | None = None,
    ) -> SchedulePage:
        """The organisation's schedules, newest first; ``status`` is ``active`` or
        ``paused``; ``search`` matches the workflow's title or the schedule's name."""
        page_size = min(page_size, 100)  # as the real client caps it
        _check_page(page, page_size, max_size=100)
        if status not in (None, "active", "paused"):
            raise _query_error("status", "Input should be 'active' or 'paused'", "literal_error")
        needle = (search or "").lower()
        rows = []
        for row in self._newest_first(list(self.schedules.values())):
            if row["deleted_at"] is not None:
                continue
            if status is not None and row["enabled"] != (status == "active"):
                continue
            workflow = self.workflows.get(row["workflow_permanent_id"], {})
            title = workflow.get("title") or "Untitled Workflow"
            if needle and needle not in f"{title}\n{row.get('name') or ''}".lower():
                continue
            item = {k: v for k, v in row.items() if k not in ("temporal_schedule_id", "deleted_at")}
            next_runs = self._next_runs(row) if row["enabled"] else []
            item |= {
                "workflow_title": title,
                "next_run": _zulu(next_runs[0]) if next_runs else None,
            }
            rows.append(item)
        data = {
            "schedules": _page_of(rows, page, page_size),
            "total_count": len(rows),
            "page": page,
            "page_size": page_size,
        }
        return SchedulePage.model_validate(_wire(data))

    @_endpoint
    async def list_workflow_schedules(self, workflow_permanent_id: str) -> list[WorkflowSchedule]:
        if workflow_permanent_id not in self.workflows:
            raise _refusal(404, f"Workflow {workflow_permanent_id} not found")
        rows = [
            r
            for r in self._newest_first(list(self.schedules.values()))
            if r["workflow_permanent_id"] == workflow_permanent_id and r["deleted_at"] is None
        ]
        return WorkflowScheduleList.model_validate(_wire({"schedules": rows})).schedules

    @_endpoint
    async def create_schedule(
        self, workflow_permanent_id: str, schedule: ScheduleUpsert
    ) -> ScheduleWithNextRuns:
        timing = self._check_schedule(schedule, None)
        workflow = self.workflows.get(workflow_permanent_id)
        if workflow is None:
            raise _refusal(404, f"Workflow {workflow_permanent_id} not found")
        self._check_schedule_parameters(workflow, schedule.parameters)
        schedule_id = f"wfs_fake_{self._next('wfs')}"
        now = _naive(self._now())
        parameters = {k: v for k, v in (schedule.parameters or {}).items() if v is not None}
        row: dict[str, Any] = {
            "workflow_schedule_id": schedule_id,
            "organization_id": ORGANIZATION_ID,
            "workflow_permanent_id": workflow_permanent_id,
            "cron_expression": schedule.cron_expression,
            "interval_seconds": schedule.interval_seconds,
            **timing,
            "dispatch_status": "pending" if schedule.run_at is not None else None,
            "workflow_run_id": None,
            "timezone": schedule.timezone,
            "enabled": True if schedule.enabled is None else schedule.enabled,
            "parameters": parameters or None,
            "name": schedule.name,
            "description": schedule.description,
            "temporal_schedule_id": f"local-wf-sched-{schedule_id}",
            "created_at": now,
            "modified_at": now,
            "deleted_at": None,
        }
        self.schedules[schedule_id] = _wire(row)
        return self._schedule_answer(row)

    @_endpoint
    async def get_schedule(
        self, workflow_permanent_id: str, schedule_id: str
    ) -> ScheduleWithNextRuns:
        return self._schedule_answer(self._schedule_or_404(workflow_permanent_id, schedule_id))

    @_endpoint
    async def update_schedule(
        self, workflow_permanent_id: str, schedule_id: str, schedule: ScheduleUpsert
    ) -> ScheduleWithNextRuns:
        """A full replace, as the server's PUT: ``name``, ``description`` and
        ``parameters`` left out become null; only an omitted ``enabled`` is kept."""
        timing = self._check_schedule(schedule, self.schedules.get(schedule_id))
        row = self._schedule_or_404(workflow_permanent_id, schedule_id)
        if (row["run_at"] is None) != (schedule.run_at is None):
            raise _refusal(
                422,
                "A schedule cannot switch between one-time and recurring; create a new schedule"
                " instead",
            )
        if row["run_at"] is not None and row.get("dispatch_status") != "pending":
            raise _refusal(
                409,
                f"Schedule {schedule_id} already fired or was canceled, so it can no longer change",
            )
        self._check_schedule_parameters(self.workflows[workflow_permanent_id], schedule.parameters)
        parameters = {k: v for k, v in (schedule.parameters or {}).items() if v is not None}
        row.update(
            cron_expression=schedule.cron_expression,
            interval_seconds=schedule.interval_seconds,
            timezone=schedule.timezone,
            parameters=parameters or None,
            name=schedule.name,
            description=schedule.description,
            modified_at=_naive(self._now()),
            **timing,
        )
        if schedule.enabled is not None:
            row["enabled"] = schedule.enabled
        return self._schedule_answer(row)

    @_endpoint
    async def delete_schedule(self, workflow_permanent_id: str, schedule_id: str) -> None:
        row = self._schedule_or_404(workflow_permanent_id, schedule_id)
        row["deleted_at"] = _naive(self._now())

    @_endpoint
    async def set_schedule_enabled(
        self, workflow_permanent_id: str, schedule_id: str, enabled: bool
    ) -> ScheduleWithNextRuns:
        row = self._schedule_or_404(workflow_permanent_id, schedule_id)
        if row["run_at"] is not None:
            raise _refusal(
                422,
                "A one-time schedule cannot be paused or resumed; cancel it, or update run_at"
                " to move it",
            )
        row["enabled"] = enabled
        row["modified_at"] = _naive(self._now())
        return self._schedule_answer(row)

    # ------------------------------------------------------------------ credentials

    @_endpoint
    async def list_credentials(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        search: str | None = None,
        credential_type: str | None = None,
    ) -> list[Credential]:
        _check_page(page, page_size)
        needle = (search or "").lower()
        rows = [
            c
            for c in reversed(list(self.credentials.values()))
            if (not needle or needle in c["name"].lower())
            and (not credential_type or c["credential_type"] == credential_type)
        ]
        return [Credential.model_validate(c) for c in _wire(_page_of(rows, page, page_size))]

    @_endpoint
    async def create_credential(self, new: NewCredential) -> Credential:
        """Stored as the server's vault stores one: the answer never has its secrets."""
        values = new.credential
        summary: dict[str, Any]
        if new.credential_type is CredentialType.PASSWORD:
            summary = {
                "username": values.get("username", ""),
                "totp_type": values.get("totp_type") or "none",
                "totp_identifier": values.get("totp_identifier") or None,
            }
        elif new.credential_type is CredentialType.CREDIT_CARD:
            number = "".join(str(values.get("card_number", "")).split())
            summary = {"last_four": number[-4:], "brand": values.get("card_brand", "")}
        else:
            summary = {"secret_label": values.get("secret_label") or None}
        credential_id = f"cred_fake_{self._next('cred')}"
        row = {
            "credential_id": credential_id,
            "name": new.name,
            "credential_type": new.credential_type.value,
            "credential": summary,
            "vault_type": "skyvern",
            "browser_profile_id": None,
            "folder_id": None,
        }
        self.credentials[credential_id] = row
        return Credential.model_validate(_wire(row))

    def _credential_or_404(self, credential_id: str) -> dict[str, Any]:
        row = self.credentials.get(credential_id)
        if row is None:
            raise _refusal(404, f"Credential not found, credential_id={credential_id}")
        return row

    @_endpoint
    async def rename_credential(self, credential_id: str, name: str) -> Credential:
        row = self._credential_or_404(credential_id)
        row["name"] = name
        return Credential.model_validate(_wire(row))

    @_endpoint
    async def delete_credential(self, credential_id: str) -> None:
        self._credential_or_404(credential_id)
        del self.credentials[credential_id]

    # ------------------------------------------------------------------ browser sessions

    def _session_or_404(self, session_id: str) -> dict[str, Any]:
        row = self.browser_sessions.get(session_id)
        if row is None:
            raise _refusal(404, f"Browser session {session_id} not found")
        return row

    @_endpoint
    async def list_browser_sessions(self) -> list[BrowserSession]:
        rows = [
            s for s in self._newest_first(list(self.browser_sessions.values()))
            if s["completed_at"] is None
        ]  # fmt: skip
        return [BrowserSession.model_validate(s) for s in _wire(rows)]

    @_endpoint
    async def get_browser_session(self, session_id: str) -> BrowserSession:
        return BrowserSession.model_validate(_wire(self._session_or_404(session_id)))

    @_endpoint
    async def create_browser_session(
        self,
        *,
        timeout_minutes: int = 60,
        proxy_location: Any = None,
        browser_profile_id: str | None = None,
        url: str | None = None,
        keep_profile: bool = True,
    ) -> BrowserSession:
        """A session: answered ``created``, then ``running`` when read again."""
        if browser_profile_id and browser_profile_id not in self.browser_profiles:
            raise _refusal(404, f"Browser profile {browser_profile_id} not found")
        session_id = f"pbs_fake_{self._next('pbs')}"
        now = _naive(self._now())
        row: dict[str, Any] = {
            "browser_session_id": session_id,
            "organization_id": ORGANIZATION_ID,
            "status": "running",
            "runnable_type": None,
            "runnable_id": None,
            "timeout": timeout_minutes,
            "browser_address": None,
            "app_url": f"{APP_URL}/browser-session/{session_id}",
            "browser_profile_id": browser_profile_id,
            "generate_browser_profile": keep_profile,
            "vnc_streaming_supported": False,
            "started_at": now,
            "completed_at": None,
            "created_at": now,
            "modified_at": now,
            "deleted_at": None,
            "remaining_lifetime_seconds": timeout_minutes * 60,
        }
        self.browser_sessions[session_id] = row
        return BrowserSession.model_validate(_wire(row | {"status": "created"}))

    @_endpoint
    async def extend_browser_session(self, session_id: str, minutes: int) -> BrowserSession:
        row = self._session_or_404(session_id)
        if row["completed_at"] is not None:
            raise _refusal(
                409,
                f"Browser session {session_id} has already ended and can no longer be extended.",
            )
        row["timeout"] += minutes
        row["remaining_lifetime_seconds"] = (row["remaining_lifetime_seconds"] or 0) + minutes * 60
        row["modified_at"] = _naive(self._now())
        return BrowserSession.model_validate(_wire(row))

    @_endpoint
    async def close_browser_session(self, session_id: str) -> None:
        row = self._session_or_404(session_id)
        if row["completed_at"] is None:
            now = _naive(self._now())
            row.update(status="closed", completed_at=now, modified_at=now)

    # ------------------------------------------------------------------ browser profiles

    def _profile_or_404(self, profile_id: str) -> dict[str, Any]:
        row = self.browser_profiles.get(profile_id)
        if row is None or row["deleted_at"] is not None:
            raise _refusal(404, f"Browser profile {profile_id} not found")
        return row

    def _check_profile_name(self, name: str, profile_id: str | None = None) -> None:
        for row in self.browser_profiles.values():
            taken = row["deleted_at"] is None and row["browser_profile_id"] != profile_id
            if taken and row["name"] == name:
                raise _refusal(
                    409,
                    f"A browser profile named '{name}' already exists. Use a different name or"
                    " delete the existing profile.",
                )

    @_endpoint
    async def list_browser_profiles(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        search_key: str | None = None,
        include_deleted: bool = False,
    ) -> list[BrowserProfile]:
        _check_page(page, page_size)
        needle = (search_key or "").lower()
        rows = [
            p
            for p in self._newest_first(list(self.browser_profiles.values()))
            if (include_deleted or p["deleted_at"] is None)
            and (not needle or needle in f"{p['name']}\n{p['description'] or ''}".lower())
        ]
        return [BrowserProfile.model_validate(p) for p in _wire(_page_of(rows, page, page_size))]

    @_endpoint
    async def create_browser_profile(
        self,
        name: str,
        *,
        description: str | None = None,
        browser_session_id: str | None = None,
        workflow_run_id: str | None = None,
    ) -> BrowserProfile:
        """From a session started with ``keep_profile``, or from a run of a workflow that
        keeps its browser session; anything else is refused (400)."""
        if browser_session_id:
            session = self._session_or_404(browser_session_id)
            if not session["generate_browser_profile"]:
                raise _refusal(
                    400,
                    f"Browser session {browser_session_id} was not started with"
                    " generate_browser_profile, so its profile cannot be saved",
                )
        elif workflow_run_id:
            run = self._run_or_404(workflow_run_id, "Workflow run not found")
            if not run.workflow.get("persist_browser_session"):
                raise _refusal(400, "Workflow does not persist browser sessions")
        else:
            raise _refusal(400, "Either browser_session_id or workflow_run_id is required")
        self._check_profile_name(name)
        profile_id = f"bp_fake_{self._next('bp')}"
        now = _naive(self._now())
        row = {
            "browser_profile_id": profile_id,
            "organization_id": ORGANIZATION_ID,
            "name": name,
            "description": description,
            "is_managed": False,
            "workflow_permanent_id": None,
            "created_at": now,
            "modified_at": now,
            "deleted_at": None,
        }
        self.browser_profiles[profile_id] = row
        return BrowserProfile.model_validate(_wire(row))

    @_endpoint
    async def rename_browser_profile(
        self, profile_id: str, name: str, description: str | None = None
    ) -> BrowserProfile:
        row = self._profile_or_404(profile_id)
        self._check_profile_name(name, profile_id)
        row["name"] = name
        if description is not None:
            row["description"] = description
        row["modified_at"] = _naive(self._now())
        return BrowserProfile.model_validate(_wire(row))

    @_endpoint
    async def delete_browser_profile(self, profile_id: str) -> None:
        row = self._profile_or_404(profile_id)
        row["deleted_at"] = _naive(self._now())

    @_endpoint
    async def browser_profile_usage(self, profile_id: str) -> BrowserProfileUsage:
        self._profile_or_404(profile_id)
        data = {
            "workflows": [
                {
                    "workflow_permanent_id": w["workflow_permanent_id"],
                    "title": w["title"],
                    "via": "workflow",
                }
                for w in self.workflows.values()
                if w.get("browser_profile_id") == profile_id
            ],
            "credentials": [
                {"credential_id": c["credential_id"], "name": c["name"]}
                for c in self.credentials.values()
                if c.get("browser_profile_id") == profile_id
            ],
            "recent_seeded_run_count": sum(
                1 for r in self.runs.values() if r.request.browser_profile_id == profile_id
            ),
        }
        return BrowserProfileUsage.model_validate(_wire(data))


def _check_cron(expression: str) -> None:
    """The server's cron rule: croniter accepts it, and no two firings within a day are
    closer than five minutes (400 otherwise)."""
    if not croniter.is_valid(expression):
        raise _refusal(400, "Invalid cron expression")
    itr = croniter(expression, datetime.now(UTC))
    runs: list[datetime] = [itr.get_next(datetime)]
    while len(runs) < 2000:
        runs.append(itr.get_next(datetime))
        if (runs[-1] - runs[0]).total_seconds() >= 25 * 3600:
            break
    if min((b - a).total_seconds() for a, b in itertools.pairwise(runs)) < 300:
        raise _refusal(400, "Cron interval must be at least 5 minutes")


API_METHODS: Final = frozenset(_API_METHODS)
"""The endpoints :class:`FakeClient` answers (what :meth:`FakeClient.fail_next` accepts)."""

__all__ = [
    "API_METHODS",
    "FILES_URL",
    "PNG_1X1",
    "FakeClient",
    "FakeRun",
    "NoCdpInput",
    "NoLiveStream",
    "as_client",
    "use_fake",
]
