"""The async Skyvern client: every endpoint the app uses, with typed results.

The plumbing (one ``httpx.AsyncClient``, retries, decoding, errors) is
:class:`.transport.ClientBase`'s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .errors import (
    ApiError,
    ClientClosedError,
    ProtocolError,
    SkyvernError,
    ValidationError,
    error_from_response,
    network_error,
)
from .login_endpoints import LoginEndpoints
from .models import (
    Artifact,
    RunResponse,
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
)
from .paths import CLOUD_BASE_URL, ApiPath
from .schedule_endpoints import ScheduleEndpoints
from .transport import (
    MAX_PAGES,
    MAX_UPLOAD_BYTES,
    USER_AGENT,
    normalize_base_url,
    query_params,
)

if TYPE_CHECKING:
    from .cdp_input import CdpInput
    from .stream import LiveStream

T = TypeVar("T")
_UNKNOWN: Any = object()


class SkyvernClient(ScheduleEndpoints, LoginEndpoints):
    """Talks to one Skyvern server with one API key.

    Create one per connection and share it; close it with :meth:`aclose` (or use
    ``async with``). Idempotent GETs are retried under ``retry``; requests that
    start a run never are.
    """

    _streaming_mode: str | None = _UNKNOWN  # asked once per client (per connection)

    # ------------------------------------------------------------------ server

    async def version(self) -> ServerVersion:
        """``GET /v1/version``: needs no key; answers only if this is a Skyvern server."""
        result: ServerVersion = await self._get(ApiPath.VERSION, ServerVersion)
        return result

    async def streaming_mode(self) -> str | None:
        """``GET /v1/config/runtime`` (no key): how the server streams a run's browser,
        ``"cdp"`` (frames over the live view's socket) or ``"vnc"`` (no frames for us);
        ``None`` when the server does not say (an older one, or the Cloud)."""
        if self._streaming_mode is not _UNKNOWN:
            return self._streaming_mode
        try:
            config = await self._get(ApiPath.RUNTIME_CONFIG, dict[str, Any])
        except (ApiError, ProtocolError):
            config = {}  # the server does not say: remembered, it will not say later
        except SkyvernError:
            return None  # not reached (an outage, the connection closed): ask again later
        mode = config.get("browser_streaming_mode")
        self._streaming_mode = mode.lower() if isinstance(mode, str) else None
        return self._streaming_mode

    def live_stream(self, run_id: str, *, browser_session_id: str | None = None) -> LiveStream:
        """The live picture of a run's browser (see :mod:`.stream`): on this server's own
        origin, ``wss`` for an ``https`` server, with this client's key."""
        from .stream import LiveStream  # websockets loads with the first live view

        return LiveStream(
            self._base_url, self._key, run_id=run_id, browser_session_id=browser_session_id,
            user_agent=USER_AGENT,
        )  # fmt: skip

    def cdp_input(
        self,
        browser_session_id: str,
        client_id: str,
        on_reply: Callable[[dict[str, Any]], None] | None = None,
    ) -> CdpInput:
        """Control of a browser session's page: mouse, keys, navigation (see
        :mod:`.cdp_input`), with this client's key."""
        from .cdp_input import CdpInput

        return CdpInput(
            self._base_url, self._key, browser_session_id=browser_session_id,
            client_id=client_id, on_reply=on_reply,
        )  # fmt: skip

    async def check_key(self) -> None:
        """Make the cheapest authenticated call; raise :class:`~.errors.AuthError` if the key
        is refused. The answer is not parsed: only whether the server accepted the key."""
        await self._send(
            "GET", ApiPath.WORKFLOWS, params=query_params(page=1, page_size=1), idempotent=True
        )

    # ------------------------------------------------------------------ workflows

    async def list_workflows(
        self, *, page: int = 1, page_size: int = 10, search_key: str | None = None
    ) -> list[Workflow]:
        result: list[Workflow] = await self._get(
            ApiPath.WORKFLOWS,
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
            "POST", ApiPath.WORKFLOWS, json={"json_definition": definition}, idempotent=False
        )
        result: Workflow = self._parse(response, Workflow)
        return result

    async def get_workflow(
        self, workflow_permanent_id: str, *, version: int | None = None
    ) -> Workflow:
        result: Workflow = await self._get(
            ApiPath.WORKFLOW.fill(wpid=workflow_permanent_id), Workflow, version=version
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
        return await self._start_run("POST", ApiPath.RUN_WORKFLOW, request.to_body())

    async def _start_run(self, method: str, path: str, body: Any) -> RunResponse:
        result: RunResponse = await self._create(
            method, path, body, RunResponse, "the run may have started"
        )
        return result

    async def get_run(self, run_id: str) -> RunResponse:
        result: RunResponse = await self._get(ApiPath.RUN.fill(run_id=run_id), RunResponse)
        return result

    async def cancel_run(self, run_id: str) -> None:
        """Ask the server to cancel. A run that already ended keeps its status."""
        await self._send("POST", ApiPath.RUN_CANCEL.fill(run_id=run_id), idempotent=False)

    async def retry_run(self, run_id: str) -> RunResponse:
        """Start a new run with the same inputs as a finished one. Never retried."""
        return await self._start_run("POST", ApiPath.RUN_RETRY.fill(run_id=run_id), None)

    async def continue_run(self, run_id: str) -> None:
        """Let a paused run go on (the person approved). Sent once, never retried; a run
        that is no longer paused (answered elsewhere, timed out) raises NotFoundError."""
        await self._send(
            "POST", ApiPath.RUN_CONTINUE.fill(run_id=run_id), idempotent=False, starts_run=True
        )

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
        """Workflow runs, newest first: all of them, or those of one workflow (only these
        can be limited to ``created_after`` ≤ created < ``created_before``)."""
        path = (
            ApiPath.WORKFLOW_RUNS_OF.fill(wpid=workflow_permanent_id)
            if workflow_permanent_id
            else ApiPath.WORKFLOW_RUNS
        )
        result: list[WorkflowRun] = await self._get(
            path,
            list[WorkflowRun],
            page=page,
            page_size=page_size,
            status=status,
            search_key=search_key or None,
            created_at_start=created_after.isoformat() if created_after else None,
            created_at_end=created_before.isoformat() if created_before else None,
        )
        return result

    async def get_run_timeline(self, run_id: str) -> list[TimelineItem]:
        result: list[TimelineItem] = await self._get(
            ApiPath.RUN_TIMELINE.fill(run_id=run_id), list[TimelineItem]
        )
        return result

    async def get_workflow_run(self, workflow_permanent_id: str, run_id: str) -> WorkflowRunDetail:
        """A workflow run with its inputs and the server's failure categories."""
        result: WorkflowRunDetail = await self._get(
            ApiPath.WORKFLOW_RUN_DETAIL.fill(wpid=workflow_permanent_id, run_id=run_id),
            WorkflowRunDetail,
        )
        return result

    async def artifact_content(
        self, artifact_id: str, *, max_bytes: int = 50 * 1024 * 1024
    ) -> bytes:
        """An artifact's bytes (an action's screenshot, a prompt), read with the API key."""
        response = await self._send(
            "GET", ApiPath.ARTIFACT_CONTENT.fill(artifact_id=artifact_id), idempotent=True
        )
        if len(response.content) > max_bytes:
            raise ProtocolError(f"The file is larger than {max_bytes // 1048576} MB.")
        return response.content

    async def list_artifacts(
        self, run_id: str, *, artifact_types: Sequence[str] | None = None
    ) -> list[Artifact]:
        result: list[Artifact] = await self._get(
            ApiPath.RUN_ARTIFACTS.fill(run_id=run_id), list[Artifact], artifact_type=artifact_types
        )
        return result

    # ------------------------------------------------------------------ other lists

    # ------------------------------------------------------------------ codes, webhooks

    async def send_totp_code(
        self,
        totp_identifier: str,
        content: str,
        *,
        workflow_run_id: str | None = None,
        workflow_id: str | None = None,
    ) -> TotpCode:
        """Store a verification code, or the whole message it came in, for runs waiting on
        ``totp_identifier``. Sent once, never retried. The code never reaches a log line
        or an error's text through this client (only the request's path is logged)."""
        body = {
            "totp_identifier": totp_identifier,
            "content": content,
            "workflow_run_id": workflow_run_id,
            "workflow_id": workflow_id,
        }
        response = await self._send(
            "POST",
            ApiPath.TOTP_CODES,
            json={k: v for k, v in body.items() if v is not None},
            idempotent=False,
            starts_run=True,  # lost after sending: OutcomeUnknownError (it may be stored)
        )
        result: TotpCode = self._parse(response, TotpCode)
        return result

    async def list_totp_codes(
        self,
        *,
        totp_identifier: str | None = None,
        workflow_run_id: str | None = None,
        limit: int = 20,
    ) -> list[TotpCode]:
        """The newest codes the server holds, for one identifier and/or one run."""
        result: list[TotpCode] = await self._get(
            ApiPath.TOTP_CODES,
            list[TotpCode],
            totp_identifier=totp_identifier or None,
            workflow_run_id=workflow_run_id or None,
            limit=max(1, min(limit, 200)),
        )
        return result

    async def retry_webhook(self, run_id: str, *, webhook_url: str | None = None) -> WebhookReplay:
        """Send a run's webhook again, to the address it was started with or to
        ``webhook_url``; the answer says what was sent and how the receiver replied."""
        response = await self._send(
            "POST",
            ApiPath.RUN_RETRY_WEBHOOK.fill(run_id=run_id),
            json={"webhook_url": webhook_url} if webhook_url else None,
            idempotent=False,
            starts_run=True,  # the server waits for the receiver: lost means "may be sent"
        )
        result: WebhookReplay = self._parse(response, WebhookReplay)
        return result

    async def test_webhook(self, webhook_url: str, *, run_id: str | None = None) -> WebhookTest:
        """Have the server send a sample workflow-run payload to ``webhook_url``: whether
        it accepts the address (its SSRF rules), and how the receiver answers."""
        body = {"webhook_url": webhook_url, "run_type": "workflow_run", "run_id": run_id}
        response = await self._send(
            "POST",
            ApiPath.TEST_WEBHOOK,
            json={k: v for k, v in body.items() if v is not None},
            idempotent=False,
            starts_run=True,
        )
        result: WebhookTest = self._parse(response, WebhookTest)
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
            ApiPath.UPLOAD_FILE,
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


__all__ = ["CLOUD_BASE_URL", "MAX_UPLOAD_BYTES", "SkyvernClient", "normalize_base_url"]
