"""What the run pane shows beside the run itself: the inputs the run got (with their
titles, types and credential names) and the server's failure categories.

Read once when a workflow run is first seen and once more when it ends, by the run's
tracker (its owner). Each part that cannot be read is left out and said, never guessed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...api.enums import WorkflowParameterType
from ...api.errors import SkyvernError
from .compare import RunSide
from .inputs import InputRow, input_rows
from .steps import steps_of

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse, WorkflowParameter, WorkflowRun, WorkflowRunDetail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunDetails:
    run_id: str
    detail: WorkflowRunDetail | None
    inputs: list[InputRow] = field(default_factory=list)
    problem: str | None = None  # why the inputs could not be read, in words

    @property
    def categories(self) -> list[str]:
        return self.detail.categories if self.detail is not None else []


async def read_details(client: SkyvernClient, run: RunResponse | WorkflowRun) -> RunDetails:
    return await DetailsReader(client).read(run)


class DetailsReader:
    """Reads runs' details, asking for each workflow's definition and the credential names
    once (the history reads the details of a page of runs at a time)."""

    def __init__(self, client: SkyvernClient) -> None:
        self.client = client
        self._definitions: dict[str, list[WorkflowParameter]] = {}
        self._names: dict[str, str] | None = None

    async def definition(self, wpid: str) -> list[WorkflowParameter]:
        if wpid not in self._definitions:
            try:
                workflow = await self.client.get_workflow(wpid)
                self._definitions[wpid] = list(workflow.workflow_definition.parameters)
            except SkyvernError as exc:
                log.info("workflow %s: %s", wpid, exc)
                return []
        return self._definitions[wpid]

    async def credential_names(self) -> dict[str, str]:
        if self._names is None:
            try:
                self._names = {
                    c.credential_id: c.name for c in await self.client.list_credentials()
                }
            except SkyvernError as exc:
                log.info("credential names: %s", exc)
                return {}
        return self._names

    async def read(self, run: RunResponse | WorkflowRun) -> RunDetails:
        # A run's reading (``run_id``) or a line of a run list (``workflow_run_id``).
        run_id = str(getattr(run, "run_id", None) or getattr(run, "workflow_run_id", ""))
        wpid = run.workflow_permanent_id
        if not wpid:
            return RunDetails(run_id, None, problem="This run is not a workflow's run.")
        try:
            detail = await self.client.get_workflow_run(wpid, run_id)
        except SkyvernError as exc:
            log.info("details of %s: %s", run_id, exc)
            return RunDetails(run_id, None, problem=f"The run's inputs could not be read: {exc}")
        definition = await self.definition(wpid)
        names: dict[str, str] = {}
        if any(
            p.is_input and p.workflow_parameter_type == WorkflowParameterType.CREDENTIAL_ID
            for p in definition
        ):
            names = await self.credential_names()
        return RunDetails(run_id, detail, input_rows(detail.parameters, definition, names))


async def read_side(client: SkyvernClient, run_id: str) -> RunSide:
    """One run, for a comparison: its inputs, output and steps. Errors are the client's
    (:class:`SkyvernError`), for the caller to say."""
    run = await client.get_run(run_id)
    details = await read_details(client, run)
    timeline = await client.get_run_timeline(run_id)
    return RunSide(
        run_id=run_id,
        workflow_id=run.workflow_permanent_id or "",
        status=str(run.status),
        inputs=details.inputs,
        output=run.output,
        blocks=steps_of(timeline),
        failure_reason=run.failure_reason,
    )


async def last_completed(
    client: SkyvernClient, workflow_permanent_id: str, before: str
) -> str | None:
    """The newest completed run of a workflow other than ``before``, if there is one."""
    runs = await client.list_workflow_runs(
        workflow_permanent_id=workflow_permanent_id, status=["completed"], page_size=5
    )
    return next((r.workflow_run_id for r in runs if r.workflow_run_id != before), None)
