"""Rules about schedules that need neither widgets nor the server: titles and labels, the
save body, Run now's request, the next run. Conversations with the server about schedules
are in ``requests.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...api.models import (
        ScheduleFields,
        ScheduleUpsert,
        WorkflowRunRequest,
        WorkflowSchedule,
    )
    from ..forms.params import FieldSpec


def schedule_label(schedule: WorkflowSchedule) -> str:
    """How a schedule is named to people: its name, or its id when it has none."""
    return schedule.name or schedule.workflow_schedule_id


def schedule_title(schedule: ScheduleFields) -> str:
    """How a schedule is titled in lists and messages: its name, or "Unnamed (id)"."""
    return schedule.name or f"Unnamed ({schedule.workflow_schedule_id})"


def run_now_request(schedule: WorkflowSchedule) -> WorkflowRunRequest:
    """ "Run now": one run of the schedule's workflow with the schedule's own inputs (an
    input the schedule leaves out takes the workflow's default), titled after it."""
    from ...api.models import WorkflowRunRequest

    return WorkflowRunRequest(
        workflow_id=schedule.workflow_permanent_id,
        parameters=schedule.parameters or None,
        title=f"{schedule_label(schedule)} (run now)",
    )


@dataclass(frozen=True)
class EditorValues:
    """What the schedule editor holds when Save is pressed, already checked."""

    cron_expression: str | None  # None: the schedule keeps its interval or one-time timing
    timezone: str
    enabled: bool
    name: str
    description: str
    values: dict[str, Any]  # the inputs' values, as the launcher would send them
    texts: dict[str, str]  # the inputs' fields as typed
    specs: Sequence[FieldSpec]


def save_body(
    original: ScheduleFields | None, editing: bool, typed: EditorValues
) -> ScheduleUpsert:
    """The body a save sends. An update is a PUT that replaces the whole schedule, so it
    starts from the schedule as the server last sent it: nothing the person did not change
    is lost. An Enabled left as it was is left out, so an editor opened before someone
    paused the schedule does not undo that. An input the schedule left to the workflow's
    default stays out while its field still shows that default."""
    from ...api.models import ScheduleUpsert

    body = original.to_upsert() if original is not None else ScheduleUpsert(timezone="UTC")
    if typed.cron_expression is not None:
        body.cron_expression = typed.cron_expression
        body.interval_seconds = body.first_fire_at = body.run_at = None
    elif not editing:
        # A copy of an interval schedule starts one interval from now (the server's
        # default); the original's first firing is usually in the past.
        body.first_fire_at = None
    body.timezone = typed.timezone
    unchanged = editing and original is not None and typed.enabled == original.enabled
    body.enabled = None if unchanged else typed.enabled
    body.name = typed.name.strip() or None
    body.description = typed.description.strip() or None
    values = dict(typed.values)
    if original is not None:
        stored = original.parameters or {}
        for spec in typed.specs:
            if spec.key not in stored and typed.texts.get(spec.key) == spec.initial_text():
                values.pop(spec.key, None)
    body.parameters = values or None
    return body


def next_run(schedule: ScheduleFields, now: datetime | None = None) -> datetime | None:
    """When a schedule fires next. For cron schedules it is worked out here, on the wall
    clock of the schedule's timezone (the server's own figure moves by an hour on the day
    after a daylight-saving change); for the others, the server's figure when it sent one,
    else worked out from the timing."""
    from . import cron

    if not schedule.enabled:
        return None
    if schedule.cron_expression and schedule.run_at is None and schedule.interval_seconds is None:
        found = cron.next_firing(schedule.cron_expression, schedule.timezone)
        if found is not None:
            return found
    if schedule.next_run is not None:
        return schedule.next_run
    now = now or datetime.now(UTC)
    if schedule.run_at is not None:
        pending = schedule.dispatch_status in (None, "pending")
        return schedule.run_at if pending and schedule.run_at > now else None
    if schedule.interval_seconds and schedule.first_fire_at is not None:
        return cron.interval_firings(schedule.first_fire_at, schedule.interval_seconds, 1)[0]
    return None


SCAN_PAGE_SIZE = 100
SCAN_PAGES = 10
SCAN_LIMIT = SCAN_PAGE_SIZE * SCAN_PAGES  # a schedule's runs: among the latest 1,000
