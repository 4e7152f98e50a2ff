"""What the app asks the server about schedules: finding a schedule whose create answer
was lost, pausing and resuming, and the runs one schedule started."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .rules import schedule_title

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import ScheduleFields, ScheduleUpsert, ScheduleWithNextRuns


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
