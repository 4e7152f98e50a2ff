"""What the app asks the server about schedules: finding a schedule whose create answer
was lost, pausing and resuming, and the runs one schedule started."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .rules import SCAN_PAGE_SIZE, SCAN_PAGES, schedule_title

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import ScheduleFields, ScheduleUpsert, ScheduleWithNextRuns, WorkflowRun


async def find_created(
    client: SkyvernClient, wpid: str, body: ScheduleUpsert
) -> tuple[bool, ScheduleWithNextRuns | None]:
    """After a create whose answer was lost (never sent again by itself): ``(could look,
    the schedule if the server made it)``. Of identical schedules, the newest is the one
    just made; Enabled is not compared (the server may have its own default)."""
    from ...api.errors import SkyvernError
    from ...api.models import ScheduleWithNextRuns

    wanted = body.to_body()
    try:
        existing = await client.list_workflow_schedules(wpid)
    except SkyvernError:
        return False, None
    matches = [
        schedule
        for schedule in existing
        if all(
            schedule.to_upsert().to_body().get(k) == v for k, v in wanted.items() if k != "enabled"
        )
    ]
    if not matches:
        return True, None
    newest = max(matches, key=lambda s: s.created_at)
    return True, ScheduleWithNextRuns(schedule=newest)


async def switch(
    client: SkyvernClient, schedule: ScheduleFields, enabled: bool
) -> tuple[ScheduleWithNextRuns | None, str | None]:
    """Pause or resume through the server's enable/disable endpoints: ``(its answer,
    None)``, or ``(None, what went wrong in plain words)``."""
    from ...api.errors import SkyvernError

    try:
        result = await client.set_schedule_enabled(
            schedule.workflow_permanent_id, schedule.workflow_schedule_id, enabled
        )
    except SkyvernError as exc:  # ClientClosedError too: the connection was switched
        verb = "resumed" if enabled else "paused"
        return None, f"“{schedule_title(schedule)}” could not be {verb}: {exc}"
    return result, None


@dataclass(frozen=True)
class ScheduleRuns:
    runs: list[WorkflowRun]  # one page of them, newest first
    more: bool  # a next page exists
    capped: bool  # the scan stopped at SCAN_LIMIT runs of the workflow


async def runs_of_schedule(
    client: SkyvernClient,
    wpid: str,
    schedule_id: str,
    *,
    status: str | None,
    search: str | None,
    page: int,
    page_size: int,
) -> ScheduleRuns:
    """One page of the runs a schedule started. The server cannot filter runs by schedule,
    so the workflow's runs are read newest first and kept when they name it."""
    wanted = page * page_size + 1  # one more tells whether a next page exists
    found: list[WorkflowRun] = []
    capped = False
    for server_page in range(1, SCAN_PAGES + 1):
        batch = await client.list_workflow_runs(
            workflow_permanent_id=wpid,
            status=[status] if status else None,
            search_key=search,
            page=server_page,
            page_size=SCAN_PAGE_SIZE,
        )
        found.extend(r for r in batch if r.workflow_schedule_id == schedule_id)
        if len(found) >= wanted or len(batch) < SCAN_PAGE_SIZE:
            break
    else:
        capped = True
    start = (page - 1) * page_size
    return ScheduleRuns(found[start : start + page_size], len(found) > start + page_size, capped)
