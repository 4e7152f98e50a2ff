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
    from ...api.models import RunResponse, WorkflowRunDetail

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


async def read_details(client: SkyvernClient, run: RunResponse) -> RunDetails:
    wpid = run.workflow_permanent_id
    if not wpid:
        return RunDetails(run.run_id, None, problem="This run is not a workflow's run.")
    try:
        detail = await client.get_workflow_run(wpid, run.run_id)
    except SkyvernError as exc:
        log.info("details of %s: %s", run.run_id, exc)
        return RunDetails(run.run_id, None, problem=f"The run's inputs could not be read: {exc}")
    try:
        workflow = await client.get_workflow(wpid)
        definition = list(workflow.workflow_definition.parameters)
    except SkyvernError as exc:
        log.info("workflow of %s: %s", run.run_id, exc)
        definition = []
    names: dict[str, str] = {}
    if any(
        p.is_input and p.workflow_parameter_type == WorkflowParameterType.CREDENTIAL_ID
        for p in definition
    ):
        try:
            names = {c.credential_id: c.name for c in await client.list_credentials()}
        except SkyvernError as exc:
            log.info("credential names for %s: %s", run.run_id, exc)
    rows = input_rows(detail.parameters, definition, names)
    return RunDetails(run.run_id, detail, rows)


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
