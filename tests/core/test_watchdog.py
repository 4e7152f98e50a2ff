"""The watchdog's rules, at times the test chooses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from skyvern_desktop.api.models.schedules import WorkflowSchedule
from skyvern_desktop.core.runs.index import IndexedRun
from skyvern_desktop.core.runs.watchdog import (
    AlertKind,
    Thresholds,
    Told,
    check,
    firings_between,
    p90,
)

T0 = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday


def schedule(cron: str = "0 9 * * *", *, sid: str = "wfs_1", enabled: bool = True,
             tz: str = "UTC", **fields: object) -> WorkflowSchedule:  # fmt: skip
    data: dict[str, object] = {
        "workflow_schedule_id": sid, "workflow_permanent_id": "wpid_1",
        "cron_expression": cron, "timezone": tz, "enabled": enabled,
        "created_at": (T0 - timedelta(days=30)).isoformat(),
        "modified_at": (T0 - timedelta(days=30)).isoformat(),
    }  # fmt: skip
    data.update(fields)
    return WorkflowSchedule.model_validate(data)


def run(run_id: str, created: datetime, status: str = "completed", *,
        schedule_id: str | None = "wfs_1", took: float = 60.0,
        started: datetime | None = None) -> IndexedRun:  # fmt: skip
    start = started or created + timedelta(seconds=5)
    terminal = status in ("completed", "failed", "terminated", "timed_out", "canceled")
    return IndexedRun(
        run_id=run_id, workflow_permanent_id="wpid_1", workflow_title="Daily", status=status,
        terminal=terminal, created_at=created, queued_at=created, started_at=start,
        finished_at=start + timedelta(seconds=took) if terminal else None,
        modified_at=start, failure_reason=None, categories=(), trigger_type="scheduled",
        schedule_id=schedule_id, parent_id=None, retried_from=None, steps=None,
        inputs_digest=None,
    )  # fmt: skip


def test_firings_follow_the_servers_cron_rule_in_the_schedules_timezone() -> None:
    nine_paris = schedule("0 9 * * *", tz="Europe/Paris")
    found = firings_between(nine_paris, T0, T0 + timedelta(days=2))
    assert [f.astimezone(UTC).hour for f in found] == [8, 8]  # 09:00 in Paris is 08:00 UTC
    every_15 = schedule(None, interval_seconds=900, first_fire_at=T0.isoformat())  # type: ignore[arg-type]
    assert len(firings_between(every_15, T0, T0 + timedelta(hours=1))) == 4
    once = schedule(None, run_at=(T0 + timedelta(hours=3)).isoformat())  # type: ignore[arg-type]
    assert firings_between(once, T0, T0 + timedelta(hours=4)) == [T0 + timedelta(hours=3)]


def test_a_missed_run_is_found_after_its_grace_period_and_not_before() -> None:
    daily = schedule()
    nine = T0 + timedelta(hours=9)
    ran_yesterday = [run("wr_0", nine - timedelta(days=1) + timedelta(seconds=3))]
    # 09:10: within the 15 minutes of grace, nothing to say yet.
    assert check([daily], ran_yesterday, nine + timedelta(minutes=10)) == []
    # 09:20: the 9 o'clock run never came.
    [alert] = check([daily], ran_yesterday, nine + timedelta(minutes=20))
    assert (alert.kind, alert.level, alert.since) == (AlertKind.MISSED, 1, nine)
    # It came, late but within the grace period: nothing missed.
    late = [*ran_yesterday, run("wr_1", nine + timedelta(minutes=12))]
    assert check([daily], late, nine + timedelta(minutes=20)) == []
    # A paused schedule is not watched; a run of another schedule does not count.
    assert check([replace_enabled(daily)], ran_yesterday, nine + timedelta(hours=1)) == []
    other = [run("wr_2", nine + timedelta(seconds=5), schedule_id="wfs_other")]
    assert check([daily], other, nine + timedelta(hours=1))[0].kind is AlertKind.MISSED


def replace_enabled(s: WorkflowSchedule) -> WorkflowSchedule:
    return s.model_copy(update={"enabled": False})


def test_firings_before_the_schedule_was_last_changed_are_not_missed() -> None:
    edited = schedule("*/5 * * * *", modified_at=(T0 + timedelta(hours=9)).isoformat())
    assert check([edited], [], T0 + timedelta(hours=9, minutes=14)) == []
    [alert] = check([edited], [], T0 + timedelta(hours=9, minutes=21))
    assert alert.level == 1  # 09:05 only; 09:00 was the moment of the edit


def test_a_schedule_that_keeps_failing_is_said_once_and_again_when_worse() -> None:
    daily = schedule()
    nine = T0 + timedelta(hours=9, seconds=2)  # each ran at its 9 o'clock
    runs = [
        run("wr_3", nine - timedelta(days=1), "failed"),
        run("wr_2", nine - timedelta(days=2), "terminated"),
        run("wr_1", nine - timedelta(days=3), "completed"),
    ]
    now = T0  # before today's firing: nothing missed
    [alert] = check([daily], runs, now)
    assert (alert.kind, alert.level, alert.run_id) == (AlertKind.KEEPS_FAILING, 2, "wr_3")
    told = Told()
    assert told.to_tell([alert]) == [alert]
    assert told.to_tell(check([daily], runs, now)) == []  # the same: said once
    worse = [run("wr_4", T0 - timedelta(hours=1), "timed_out", schedule_id="wfs_1"), *runs]
    again = told.to_tell(check([daily], worse, now))
    assert [a.level for a in again] == [3]
    better = [run("wr_5", T0 - timedelta(minutes=30)), *worse]
    assert check([daily], better, now) == [] and told.to_tell([]) == []
    assert told.to_tell(check([daily], worse, now))  # it came back: said again
    assert check([daily], runs, now, lambda _w: Thresholds(keeps_failing=3)) == []


def test_a_run_running_past_twice_its_usual_time_or_waiting_too_long_is_stuck() -> None:
    history = [run(f"wr_{i}", T0 - timedelta(hours=i + 1), took=60.0 + i) for i in range(10)]
    assert p90([r.duration_s for r in history if r.duration_s is not None]) == 68.0
    started = T0 - timedelta(minutes=2)
    going = run("wr_live", started, "running", schedule_id=None, started=started)
    now = T0
    assert check([], [going, *history], now) == []  # 120 s < 2 × 68 s
    later = now + timedelta(minutes=1)  # 180 s > 136 s
    [alert] = check([], [going, *history], later)
    assert (alert.kind, alert.run_id, alert.level) == (AlertKind.STUCK, "wr_live", 1)
    waiting = replace(going, status="paused", modified_at=T0 - timedelta(hours=3))
    [alert] = check([], [waiting, *history], now)
    assert (alert.kind, alert.level) == (AlertKind.WAITING, 3)
    lenient = check([], [waiting], now, lambda _w: Thresholds(waiting_limit=timedelta(hours=4)))
    assert lenient == []


@pytest.mark.parametrize("completed", [0, 4])
def test_a_workflow_without_enough_history_has_no_usual_time(completed: int) -> None:
    history = [run(f"wr_{i}", T0 - timedelta(hours=i + 1)) for i in range(completed)]
    started = T0 - timedelta(days=1)
    going = run("wr_live", started, "running", schedule_id=None, started=started)
    assert check([], [going, *history], T0) == []
