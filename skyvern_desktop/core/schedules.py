"""Rules about schedules that need no widgets."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..api.models import WorkflowRunRequest, WorkflowSchedule


def schedule_label(schedule: WorkflowSchedule) -> str:
    """How a schedule is named to people: its name, or its id when it has none."""
    return schedule.name or schedule.workflow_schedule_id


def run_now_request(schedule: WorkflowSchedule) -> WorkflowRunRequest:
    """ "Run now": one run of the schedule's workflow with the schedule's own inputs (an
    input the schedule leaves out takes the workflow's default), titled after it."""
    from ..api.models import WorkflowRunRequest

    return WorkflowRunRequest(
        workflow_id=schedule.workflow_permanent_id,
        parameters=schedule.parameters or None,
        title=f"{schedule_label(schedule)} (run now)",
    )
