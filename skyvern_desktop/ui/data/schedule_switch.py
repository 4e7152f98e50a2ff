"""A schedule's enabled switch, in a list of schedules: the request, and the row's busy
state while it is on its way. Shared by the Schedules screen's owner and the catalogue's
details schedules; the model itself (ui/widgets) only shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.schedules.requests import switch

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models.schedules import ScheduleFields
    from ..widgets.schedules_model import SchedulesModel


async def switch_schedule(
    model: SchedulesModel, client: SkyvernClient, schedule: ScheduleFields, enabled: bool
) -> str | None:
    """Pause or resume (the request is core.schedules.switch's): the row's switch stays
    busy until the server has answered, then shows its answer. ``None``, or what went
    wrong in plain words."""
    sid = schedule.workflow_schedule_id
    model.set_pending(sid, True)
    try:
        result, problem = await switch(client, schedule, enabled)
    finally:
        model.set_pending(sid, False)
    if result is not None:
        model.replace(result.schedule)
    return problem
