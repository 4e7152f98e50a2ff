"""The schedule endpoints of :class:`~.client.SkyvernClient` (``/v1/schedules`` and a
workflow's ``/v1/workflows/{wpid}/schedules``), kept apart so the client stays readable."""

from __future__ import annotations

from .models import (
    SchedulePage,
    ScheduleUpsert,
    ScheduleWithNextRuns,
    WorkflowSchedule,
    WorkflowScheduleList,
)
from .paths import ApiPath
from .transport import ClientBase


class ScheduleEndpoints(ClientBase):
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
            ApiPath.SCHEDULES,
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
            ApiPath.WORKFLOW_SCHEDULES.fill(wpid=workflow_permanent_id), WorkflowScheduleList
        )
        return result.schedules

    async def create_schedule(
        self, workflow_permanent_id: str, schedule: ScheduleUpsert
    ) -> ScheduleWithNextRuns:
        """Create a schedule. Never retried; like a run, a create whose outcome cannot be
        known raises :class:`~.errors.OutcomeUnknownError` (the schedule may exist)."""
        result: ScheduleWithNextRuns = await self._create(
            "POST",
            ApiPath.WORKFLOW_SCHEDULES.fill(wpid=workflow_permanent_id),
            schedule.to_body(),
            ScheduleWithNextRuns,
            "the schedule may have been created",
        )
        return result

    async def get_schedule(
        self, workflow_permanent_id: str, schedule_id: str
    ) -> ScheduleWithNextRuns:
        result: ScheduleWithNextRuns = await self._get(
            ApiPath.WORKFLOW_SCHEDULE.fill(wpid=workflow_permanent_id, schedule_id=schedule_id),
            ScheduleWithNextRuns,
        )
        return result

    async def update_schedule(
        self, workflow_permanent_id: str, schedule_id: str, schedule: ScheduleUpsert
    ) -> ScheduleWithNextRuns:
        """Replace the schedule with ``schedule`` (a full PUT: every field is sent)."""
        response = await self._send(
            "PUT",
            ApiPath.WORKFLOW_SCHEDULE.fill(wpid=workflow_permanent_id, schedule_id=schedule_id),
            json=schedule.to_body(),
            idempotent=False,
        )
        result: ScheduleWithNextRuns = self._parse(response, ScheduleWithNextRuns)
        return result

    async def delete_schedule(self, workflow_permanent_id: str, schedule_id: str) -> None:
        await self._send(
            "DELETE",
            ApiPath.WORKFLOW_SCHEDULE.fill(wpid=workflow_permanent_id, schedule_id=schedule_id),
            idempotent=False,
        )

    async def set_schedule_enabled(
        self, workflow_permanent_id: str, schedule_id: str, enabled: bool
    ) -> ScheduleWithNextRuns:
        """Pause or resume: the server's own enable/disable endpoints, which touch nothing
        else of the schedule (a full PUT from a stale copy could undo someone's edit)."""
        path = ApiPath.WORKFLOW_SCHEDULE_ENABLE if enabled else ApiPath.WORKFLOW_SCHEDULE_DISABLE
        response = await self._send(
            "POST", path.fill(wpid=workflow_permanent_id, schedule_id=schedule_id), idempotent=False
        )
        result: ScheduleWithNextRuns = self._parse(response, ScheduleWithNextRuns)
        return result
