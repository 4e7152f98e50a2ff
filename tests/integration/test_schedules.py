"""Schedules against the real server, including its own validation errors."""

from __future__ import annotations

import pytest

from skyvern_desktop.api import NotFoundError, SkyvernClient, ValidationError
from skyvern_desktop.api.models import ScheduleStatusFilter, ScheduleUpsert
from tests.integration.helpers import WorkflowFactory, param, string_input, wait_block

pytestmark = [pytest.mark.server, pytest.mark.asyncio]


async def _workflow(workflows: WorkflowFactory) -> str:
    return await workflows.create(
        "Scheduled", [string_input("name"), param("resume", "string")], [wait_block(seconds=1)]
    )


async def test_schedule_lifecycle(client: SkyvernClient, workflows: WorkflowFactory) -> None:
    wpid = await _workflow(workflows)
    body = ScheduleUpsert(
        cron_expression="0 9 * * 1-5",
        timezone="America/New_York",
        name="Weekday morning report",
        description="Every weekday at 9 in New York",
        parameters={"name": "Ada", "resume": "https://example.com/cv.pdf"},
    )
    created = await client.create_schedule(wpid, body)
    sched = created.schedule
    sid = sched.workflow_schedule_id
    assert sid.startswith("wfs_")
    assert sched.enabled is True
    assert (sched.name, sched.timezone, sched.parameters) == (
        body.name,
        body.timezone,
        body.parameters,
    )
    assert len(created.next_runs) == 5
    # 09:00 in New York on weekdays, in UTC: 13:00 or 14:00 depending on daylight saving.
    assert all(t.weekday() < 5 and t.hour in (13, 14) and t.minute == 0 for t in created.next_runs)

    got = await client.get_schedule(wpid, sid)
    assert got.schedule.cron_expression == "0 9 * * 1-5"
    assert [s.workflow_schedule_id for s in await client.list_workflow_schedules(wpid)] == [sid]
    page = await client.list_schedules(
        search=got.schedule.workflow_permanent_id[:0] or None, page_size=100
    )
    assert sid in {s.workflow_schedule_id for s in page.schedules}
    assert page.total_count >= 1
    item = next(s for s in page.schedules if s.workflow_schedule_id == sid)
    assert item.workflow_title is not None and item.workflow_title.startswith("Scheduled")
    assert item.next_run is not None

    # Update is a full PUT: changing only the cron keeps name, description and inputs
    # because the client sends the whole object.
    changed = sched.to_upsert().model_copy(update={"cron_expression": "30 17 * * 5"})
    updated = await client.update_schedule(wpid, sid, changed)
    assert updated.schedule.cron_expression == "30 17 * * 5"
    assert updated.schedule.name == body.name
    assert updated.schedule.description == body.description
    assert updated.schedule.parameters == body.parameters

    disabled = await client.set_schedule_enabled(wpid, sid, False)
    assert disabled.schedule.enabled is False
    paused = await client.list_schedules(status=ScheduleStatusFilter.PAUSED, page_size=100)
    paused_item = next(s for s in paused.schedules if s.workflow_schedule_id == sid)
    assert paused_item.next_run is None
    active = await client.list_schedules(status=ScheduleStatusFilter.ACTIVE, page_size=100)
    assert sid not in {s.workflow_schedule_id for s in active.schedules}
    assert (await client.set_schedule_enabled(wpid, sid, True)).schedule.enabled is True

    searched = await client.list_schedules(search="Weekday morning", page_size=100)
    assert sid in {s.workflow_schedule_id for s in searched.schedules}

    await client.delete_schedule(wpid, sid)
    with pytest.raises(NotFoundError):
        await client.get_schedule(wpid, sid)
    assert await client.list_workflow_schedules(wpid) == []


async def test_a_put_without_the_optional_fields_wipes_them(
    client: SkyvernClient, workflows: WorkflowFactory
) -> None:
    """Why the client always sends the whole object: the server replaces, it does not merge."""
    wpid = await workflows.create(
        "Optional inputs", [param("note", "string", "hi")], [wait_block(seconds=1)]
    )
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(
            cron_expression="0 8 * * *", timezone="UTC", name="Named", parameters={"note": "x"}
        ),
    )
    sid = created.schedule.workflow_schedule_id
    bare = ScheduleUpsert(cron_expression="0 8 * * *", timezone="UTC")
    after = await client.update_schedule(wpid, sid, bare)
    assert after.schedule.name is None
    assert not after.schedule.parameters


@pytest.mark.parametrize(
    ("cron", "timezone", "params", "message"),
    [
        (
            "* * * * *",
            "UTC",
            {"name": "a", "resume": "b"},
            "Cron interval must be at least 5 minutes",
        ),
        (
            "*/4 * * * *",
            "UTC",
            {"name": "a", "resume": "b"},
            "Cron interval must be at least 5 minutes",
        ),
        ("not cron", "UTC", {"name": "a", "resume": "b"}, "Invalid cron expression"),
        ("0 9 * * *", "Mars/Base", {"name": "a", "resume": "b"}, "Invalid timezone 'Mars/Base'"),
        ("0 9 * * *", "UTC", {"name": "a"}, "Missing schedule parameters for workflow"),
        (
            "0 9 * * *",
            "UTC",
            {"name": "a", "resume": "b", "bogus": 1},
            "Unknown schedule parameters",
        ),
    ],
)
async def test_the_servers_schedule_validation(
    client: SkyvernClient,
    workflows: WorkflowFactory,
    cron: str,
    timezone: str,
    params: dict[str, object],
    message: str,
) -> None:
    wpid = await _workflow(workflows)
    with pytest.raises(ValidationError) as refused:
        await client.create_schedule(
            wpid, ScheduleUpsert(cron_expression=cron, timezone=timezone, parameters=params)
        )
    assert refused.value.status_code == 400
    assert refused.value.server_message is not None
    assert message in refused.value.server_message
    assert await client.list_workflow_schedules(wpid) == []


async def test_every_five_minutes_is_accepted(
    client: SkyvernClient, workflows: WorkflowFactory
) -> None:
    wpid = await _workflow(workflows)
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(
            cron_expression="*/5 * * * *",
            timezone="UTC",
            parameters={"name": "a", "resume": "b"},
            enabled=False,
        ),
    )
    assert created.schedule.enabled is False
    gaps = {
        (b - a).total_seconds()
        for a, b in zip(created.next_runs, created.next_runs[1:], strict=False)
    }
    assert gaps == {300.0}
    await client.delete_schedule(wpid, created.schedule.workflow_schedule_id)


async def test_interval_schedule_keeps_its_timing_through_a_full_put(
    client: SkyvernClient, workflows: WorkflowFactory
) -> None:
    """An interval schedule (set up outside this app) edited here keeps its interval and
    its first firing: the PUT body built from it carries them back."""
    from datetime import UTC, datetime, timedelta

    wpid = await workflows.create("Interval", [], [wait_block(seconds=1)])
    first = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(interval_seconds=600, first_fire_at=first, timezone="UTC", name="Ten"),
    )
    schedule = created.schedule
    assert schedule.is_interval and schedule.cron_expression is None
    change = schedule.to_upsert()
    change.description = "edited"
    after = (await client.update_schedule(wpid, schedule.workflow_schedule_id, change)).schedule
    assert (after.interval_seconds, after.first_fire_at) == (600, first)
    assert (after.name, after.description) == ("Ten", "edited")
    listed = await client.list_schedules(search="Interval", page_size=100)
    assert any(s.interval_seconds == 600 for s in listed.schedules)
