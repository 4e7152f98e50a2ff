"""Workflow schedules (API doc §1.11, §3)."""

from __future__ import annotations

from pydantic import Field

from ._base import ApiModel, JsonObject, UtcDatetime


class ScheduleUpsert(ApiModel):
    """The full schedule as the app sends it on create and on update.

    Update is a PUT that *replaces*: a field left out is wiped on the server
    (``name``, ``description``, ``parameters``). So the client always sends
    every field of this model, including the ones that are ``None``.

    The timing is one of three cadences (skyvern ≥ 1.0.56 validates "exactly one"):
    a cron expression, a fixed interval in seconds (with its first firing), or a single
    run at one instant. Only the cadence that is set is sent; an older server that knows
    only cron never sees the other keys.
    """

    cron_expression: str | None = None
    interval_seconds: int | None = None
    first_fire_at: UtcDatetime | None = None
    run_at: UtcDatetime | None = None
    timezone: str
    # ``None`` leaves it out: on an update the server then keeps the schedule's current
    # state, so an editor opened before someone paused it from the list does not undo that.
    enabled: bool | None = True
    parameters: JsonObject | None = None
    name: str | None = None
    description: str | None = None

    def to_body(self) -> JsonObject:
        body = self.model_dump(mode="json")
        for key in (*_CADENCE_KEYS, "enabled"):
            if body[key] is None:
                del body[key]
        return body


_CADENCE_KEYS = ("cron_expression", "interval_seconds", "first_fire_at", "run_at")


class ScheduleFields(ApiModel):
    """What every schedule answer carries, whichever list or call it came from. Only the
    organisation-wide list sends ``workflow_title`` and ``next_run``; elsewhere they are
    ``None``."""

    workflow_schedule_id: str
    organization_id: str | None = None
    workflow_permanent_id: str
    cron_expression: str | None = None
    interval_seconds: int | None = None
    first_fire_at: UtcDatetime | None = None
    run_at: UtcDatetime | None = None
    dispatch_status: str | None = None  # one-time schedules: pending, fired, canceled, failed
    workflow_run_id: str | None = None  # one-time schedules: the run it started
    timezone: str
    enabled: bool
    parameters: JsonObject | None = None
    name: str | None = None
    description: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime
    workflow_title: str | None = None
    next_run: UtcDatetime | None = None  # the server's figure; None while paused

    def to_upsert(self) -> ScheduleUpsert:
        """This schedule as a full request body, to change a field and PUT it back."""
        return ScheduleUpsert(
            cron_expression=self.cron_expression,
            interval_seconds=self.interval_seconds,
            first_fire_at=self.first_fire_at,
            run_at=self.run_at,
            timezone=self.timezone,
            enabled=self.enabled,
            parameters=self.parameters,
            name=self.name,
            description=self.description,
        )

    @property
    def is_one_time(self) -> bool:
        return self.run_at is not None

    @property
    def is_interval(self) -> bool:
        return self.interval_seconds is not None and self.run_at is None

    @property
    def can_pause(self) -> bool:
        """A one-time schedule cannot be disabled (the server says so); it is cancelled."""
        return not self.is_one_time


class WorkflowSchedule(ScheduleFields):
    backend_schedule_id: str | None = Field(default=None, alias="temporal_schedule_id")
    deleted_at: UtcDatetime | None = None


class ScheduleWithNextRuns(ApiModel):
    """What create, get, update, enable and disable return."""

    schedule: WorkflowSchedule
    next_runs: list[UtcDatetime] = Field(default_factory=list)


class OrganizationScheduleItem(ScheduleFields):
    """An item of the organisation-wide list: the workflow's title (the server says
    "Untitled Workflow" when it has none), and the next fire time (``None`` while the
    schedule is paused)."""

    workflow_title: str | None = "Untitled Workflow"


class SchedulePage(ApiModel):
    schedules: list[OrganizationScheduleItem] = Field(default_factory=list)
    total_count: int = 0
    page: int = 1
    page_size: int = 10


class WorkflowScheduleList(ApiModel):
    schedules: list[WorkflowSchedule] = Field(default_factory=list)
