"""The watchdog's rules: which schedules and runs need someone's attention, from the
schedules and the local index of runs, at a time the caller gives (so tests control it).

- **A run was missed.** For every enabled schedule, the times it should have fired are
  worked out with the server's own rule (``core.schedules.cron``); a firing with no run of
  that schedule created within the grace period after it is missed.
- **A schedule keeps failing.** Its last N ended runs (N = 2 by default) all failed,
  were terminated or timed out.
- **A run is stuck.** It has been running longer than twice its workflow's
  90th-percentile duration (from at least :data:`MIN_DURATIONS` completed runs), or it has
  waited for a person longer than the chosen time.

Each alert has a ``key`` (what it is about) and a ``level`` (how bad): :class:`Told` says
each once, and again only when its level rises. Neither Qt nor the client here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from ..schedules.cron import next_firings

if TYPE_CHECKING:
    from ...api.models.schedules import ScheduleFields
    from .index import IndexedRun

FAILED = frozenset({"failed", "terminated", "timed_out"})
MIN_DURATIONS = 5  # completed runs needed before "longer than usual" means anything
LOOK_BACK = timedelta(days=1)  # how far back missed firings are looked for
MATCH_BEFORE = timedelta(minutes=2)  # a run created a little before its firing still counts
MAX_FIRINGS = 500


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What counts as wrong, per workflow (the defaults unless the user changed them)."""

    grace: timedelta = timedelta(minutes=15)
    keeps_failing: int = 2
    stuck_factor: float = 2.0
    waiting_limit: timedelta = timedelta(hours=1)


class AlertKind(StrEnum):
    MISSED = "missed"
    KEEPS_FAILING = "keeps_failing"
    STUCK = "stuck"
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    key: str  # what it is about: one schedule, or one run
    level: int  # how bad: missed firings, failures in a row, multiples of the limit
    workflow_permanent_id: str
    schedule_id: str | None = None
    run_id: str | None = None
    since: datetime | None = None  # the first missed firing, or when the run started


def firings_between(schedule: ScheduleFields, start: datetime, end: datetime) -> list[datetime]:
    """When ``schedule`` should have fired in ``start`` < t ≤ ``end`` (aware, UTC)."""
    found: list[datetime] = []
    if schedule.cron_expression:
        after = start
        while len(found) < MAX_FIRINGS:
            batch = next_firings(schedule.cron_expression, schedule.timezone, 50, after=after)
            for firing in batch:
                if firing > end:
                    return found
                found.append(firing)
            if not batch:
                return found
            after = batch[-1]
        return found
    if schedule.interval_seconds and schedule.first_fire_at:
        step = timedelta(seconds=schedule.interval_seconds)
        first = schedule.first_fire_at
        n = max(0, math.floor((start - first) / step) + 1) if start >= first else 0
        firing = first + step * n
        while firing <= end and len(found) < MAX_FIRINGS:
            if firing > start:
                found.append(firing)
            firing += step
        return found
    if schedule.run_at and start < schedule.run_at <= end:
        return [schedule.run_at]
    return found


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile (nearest rank), or None with too few values."""
    if len(values) < MIN_DURATIONS:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def check(
    schedules: Iterable[ScheduleFields],
    runs: Sequence[IndexedRun],
    now: datetime,
    thresholds: Callable[[str], Thresholds] = lambda _wpid: Thresholds(),
) -> list[Alert]:
    """Every alert that holds at ``now``, given the schedules and the indexed runs (newest
    first, covering at least :data:`LOOK_BACK`)."""
    alerts: list[Alert] = []
    by_schedule: dict[str, list[IndexedRun]] = {}
    durations: dict[str, list[float]] = {}
    for run in runs:
        if run.schedule_id:
            by_schedule.setdefault(run.schedule_id, []).append(run)
        if run.status == "completed" and run.duration_s is not None:
            durations.setdefault(run.workflow_permanent_id, []).append(run.duration_s)
    for schedule in schedules:
        if not schedule.enabled:
            continue
        limits = thresholds(schedule.workflow_permanent_id)
        mine = by_schedule.get(schedule.workflow_schedule_id, [])
        if missed := _missed(schedule, mine, now, limits):
            alerts.append(missed)
        if failing := _keeps_failing(schedule, mine, limits):
            alerts.append(failing)
    for run in runs:
        if run.terminal:
            continue
        limits = thresholds(run.workflow_permanent_id)
        if alert := _stuck(run, durations.get(run.workflow_permanent_id, []), now, limits):
            alerts.append(alert)
    return alerts


def _missed(
    schedule: ScheduleFields, runs: list[IndexedRun], now: datetime, limits: Thresholds
) -> Alert | None:
    # Only firings since the schedule last changed: an edit moves its times.
    start = max(schedule.modified_at, schedule.created_at, now - LOOK_BACK)
    due = firings_between(schedule, start, now - limits.grace)
    created = sorted(r.created_at for r in runs)
    missed = [
        firing for firing in due
        if not any(firing - MATCH_BEFORE <= c <= firing + limits.grace for c in created)
    ]  # fmt: skip
    if not missed:
        return None
    return Alert(
        AlertKind.MISSED, f"missed:{schedule.workflow_schedule_id}", len(missed),
        schedule.workflow_permanent_id, schedule.workflow_schedule_id, since=missed[0],
    )  # fmt: skip


def _keeps_failing(
    schedule: ScheduleFields, runs: list[IndexedRun], limits: Thresholds
) -> Alert | None:
    ended = [r for r in runs if r.terminal and r.status != "canceled"]  # newest first
    streak = 0
    for run in ended:
        if run.status not in FAILED:
            break
        streak += 1
    if streak < max(1, limits.keeps_failing):
        return None
    return Alert(
        AlertKind.KEEPS_FAILING, f"failing:{schedule.workflow_schedule_id}", streak,
        schedule.workflow_permanent_id, schedule.workflow_schedule_id,
        run_id=ended[0].run_id, since=ended[streak - 1].created_at,
    )  # fmt: skip


def _stuck(
    run: IndexedRun, durations: list[float], now: datetime, limits: Thresholds
) -> Alert | None:
    if run.status == "paused":
        since = run.modified_at or run.started_at or run.created_at
        waited = now - since
        if waited <= limits.waiting_limit:
            return None
        level = int(waited / limits.waiting_limit)
        return Alert(
            AlertKind.WAITING, f"waiting:{run.run_id}", level, run.workflow_permanent_id,
            run.schedule_id, run.run_id, since,
        )  # fmt: skip
    if run.status != "running" or run.started_at is None:
        return None
    usual = p90(durations)
    if usual is None:
        return None
    limit = max(60.0, limits.stuck_factor * usual)
    running = (now - run.started_at).total_seconds()
    if running <= limit:
        return None
    return Alert(
        AlertKind.STUCK, f"stuck:{run.run_id}", int(running / limit), run.workflow_permanent_id,
        run.schedule_id, run.run_id, run.started_at,
    )  # fmt: skip


@dataclass
class Told:
    """Which alerts were told, at which level: each is told once, and again only when it
    gets worse. An alert that no longer holds is forgotten, so its return is told."""

    levels: dict[str, int] = field(default_factory=dict)

    def to_tell(self, alerts: Iterable[Alert]) -> list[Alert]:
        alerts = list(alerts)
        out = [a for a in alerts if a.level > self.levels.get(a.key, 0)]
        self.levels = {a.key: max(a.level, self.levels.get(a.key, 0)) for a in alerts}
        return out
