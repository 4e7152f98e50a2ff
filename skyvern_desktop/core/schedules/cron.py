"""Cron schedules without widgets: the server's validation rule, the builder's shapes,
the schedule in words, and the next firings in a timezone.

One module owns these rules so the schedule editor, the lists and the tests agree.

* **Validation** follows the server (API doc §3, ``forge/sdk/workflow/schedules.py``):
  ``croniter.is_valid``, then no two firings less than 5 minutes apart among the firings
  of the next 25 hours (at most 2000), counted in UTC. This app also asks for exactly five
  fields, the only form Skyvern's own UI writes; the server would take six fields or
  ``@daily`` too, which this app explains instead of sending.
* **Next firings** are computed on the wall clock of the schedule's timezone and then
  placed on the timeline, so "09:00 every day" stays at 09:00 across daylight-saving
  changes. croniter 3.0.4 given an aware start moves such a firing by an hour on the day
  after a change, so it is only used on naive wall-clock times here. A wall time that a
  spring-forward skips fires as soon as the clock has jumped (02:30 → 03:30); one that an
  autumn fall-back repeats fires once, the first time.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, croniter

MIN_INTERVAL_SECONDS: Final = 5 * 60
SAMPLE_WINDOW_SECONDS: Final = 25 * 60 * 60
MAX_SAMPLES: Final = 2000
WALL_LEAD_HOURS: Final = 3  # longer than any daylight-saving jump (two hours at most)
MAX_LOOK_AHEAD: Final = 20_000  # wall times looked at for one call, skipped ones included
EVERY_MINUTES_CHOICES: Final = (5, 6, 10, 12, 15, 20, 30)  # the ones that divide the hour
FIELD_NAMES: Final = ("minute", "hour", "day of month", "month", "day of week")
DAY_NAMES: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
WEEKDAYS: Final = frozenset({1, 2, 3, 4, 5})
_MACROS: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_DAY_ABBREVIATIONS: Final = {name[:3].lower(): number for number, name in enumerate(DAY_NAMES)}


# ---------------------------------------------------------------------- validation


def normalize(expression: str) -> str:
    """One space between fields, no leading or trailing space."""
    return " ".join(expression.split())


def check(expression: str, *, now: datetime | None = None) -> str | None:
    """``None`` when the server would accept ``expression`` as five cron fields,
    otherwise what is wrong, in plain words."""
    text = normalize(expression)
    if not text:
        return "Enter a schedule, such as 0 9 * * 1-5."
    fields = text.split(" ")
    if text.lower() in _MACROS:
        return f"Write {text} as five fields: {_MACROS[text.lower()]}."
    if len(fields) != 5:
        return (
            f"A schedule has exactly 5 fields (minute, hour, day of month, month, day of"
            f" week); this one has {len(fields)}."
        )
    if not croniter.is_valid(text):
        return f"This is not a valid schedule: {_syntax_problem(fields)}"
    try:
        gap = first_short_gap(text, now=now)
    except CroniterBadDateError:
        return "This schedule never runs: no date matches it (for example, 31 February)."
    if gap is not None and gap[0] < MIN_INTERVAL_SECONDS:
        seconds, first, second = gap
        return (
            f"Runs must be at least 5 minutes apart; this schedule runs {_span(seconds)}"
            f" apart (at {first:%H:%M} and {second:%H:%M} UTC)."
        )
    return None


def is_valid(expression: str) -> bool:
    return check(expression) is None


def _sample(expression: str, now: datetime | None) -> Iterator[datetime]:
    """The firings the server samples: from ``now`` (UTC) on, at most 2000, until 25 h."""
    itr = croniter(expression, now or datetime.now(UTC))
    first: datetime = itr.get_next(datetime)
    yield first
    for _ in range(MAX_SAMPLES - 1):
        nxt: datetime = itr.get_next(datetime)
        yield nxt
        if (nxt - first).total_seconds() >= SAMPLE_WINDOW_SECONDS:
            return


def first_short_gap(
    expression: str, *, now: datetime | None = None
) -> tuple[float, datetime, datetime] | None:
    """The first two sampled firings less than 5 minutes apart, or ``None`` — the server's
    verdict, found without sampling the whole day when the answer is no (typing
    "* * * * *" on the way to "*/5 * * * *" stays fast)."""
    previous: datetime | None = None
    found: tuple[float, datetime, datetime] | None = None
    for firing in _sample(expression, now):
        if previous is not None:
            gap = ((firing - previous).total_seconds(), previous, firing)
            if found is None and gap[0] < MIN_INTERVAL_SECONDS:
                found = gap
            elif found is not None:
                # Look one more hour for a tighter pair to name (59 → 00 after 55 → 59).
                if (firing - found[1]).total_seconds() > 3600:
                    break
                found = min(found, gap, key=lambda g: g[0])
        previous = firing
    return found


def shortest_gap(
    expression: str, *, now: datetime | None = None
) -> tuple[float, datetime, datetime] | None:
    """The shortest time between two firings, sampled as the server samples it:
    ``(seconds, earlier, later)``, in UTC."""
    runs = list(_sample(expression, now))
    if len(runs) < 2:
        return None
    gaps = [((b - a).total_seconds(), a, b) for a, b in pairwise(runs)]
    return min(gaps, key=lambda g: g[0])


def _span(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = int(seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _syntax_problem(fields: list[str]) -> str:
    """Name the first field croniter refuses, by trying each against a neutral pattern."""
    neutral = ["0", "0", "1", "1", "*"]
    for index, value in enumerate(fields):
        probe = list(neutral)
        probe[index] = value
        if not croniter.is_valid(" ".join(probe)):
            return f"the {FIELD_NAMES[index]} field “{value}” is not understood."
    return "these fields do not fit together (for example, 31 February)."


# ---------------------------------------------------------------------- timezones


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA timezone name this computer knows (tzdata ships them on Windows)."""
    return tuple(sorted(n for n in available_timezones() if "/" in n or n == "UTC"))


def timezone_problem(name: str) -> str | None:
    """``None`` for a name the server accepts (``ZoneInfo`` loads it), else why not."""
    if not name.strip():
        return "Choose a timezone."
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"“{name}” is not a timezone name; choose one from the list, such as Europe/Berlin."
    return None


# ---------------------------------------------------------------------- firings


def next_firings(
    expression: str, timezone: str, count: int = 5, *, after: datetime | None = None
) -> list[datetime]:
    """The next ``count`` firings after ``after`` (default: now), as aware datetimes in
    ``timezone``. See the module docstring for daylight-saving changes."""
    zone = ZoneInfo(timezone)
    start = (after or datetime.now(UTC)).astimezone(UTC)
    # Start the wall clock a few hours early: a wall time skipped by a spring-forward
    # just before ``start`` still fires after it (02:30 → 03:30), and a fall-back's second
    # pass repeats wall times that already fired. Those are filtered out below and do not
    # count against the look-ahead.
    wall_start = start.astimezone(zone).replace(tzinfo=None) - timedelta(hours=WALL_LEAD_HOURS)
    itr = croniter(expression, wall_start)
    found: list[datetime] = []
    for _ in range(MAX_LOOK_AHEAD):
        wall: datetime = itr.get_next(datetime)
        instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if instant <= start or (found and instant <= found[-1]):
            continue
        found.append(instant)
        if len(found) == count:
            break
    return [f.astimezone(zone) for f in found]


def describe(expression: str) -> str:
    """The schedule in words, e.g. "At 09:00, Monday through Friday"."""
    from cron_descriptor import Options, get_description

    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    try:
        return str(get_description(_even_steps(normalize(expression)), options))
    except Exception:  # noqa: BLE001 - cron-descriptor raises its own and plain errors
        return normalize(expression)


_STEP = re.compile(r"(\*|\d+(?:-\d+)?)/(\d+)")


def _even_steps(expression: str) -> str:
    """Write out a minute or hour step that does not divide its cycle: "*/45" fires at
    :00 and :45 (not every 45 minutes), and "0 */5" at 0, 5, 10, 15 and 20 h (the last gap
    is 4 h), so the words must list them rather than say "every 45 minutes"."""
    fields = expression.split(" ")
    if len(fields) != 5:
        return expression
    for index, cycle in ((0, 60), (1, 24)):
        match = _STEP.fullmatch(fields[index])
        if match is None:
            continue
        step = int(match.group(2))
        if step == 0:
            return expression
        if match.group(1) == "*" and cycle % step == 0:
            continue
        try:
            values = croniter(expression).expanded[index]
        except (ValueError, KeyError):
            return expression
        fields[index] = ",".join(str(v) for v in values)
    return " ".join(fields)


# ---------------------------------------------------------------------- builder shapes


class Shape(enum.StrEnum):
    EVERY_MINUTES = "every_minutes"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CUSTOM = "custom"


SHAPE_LABELS: Final = {
    Shape.EVERY_MINUTES: "Every few minutes",
    Shape.HOURLY: "Every hour",
    Shape.DAILY: "Every day",
    Shape.WEEKDAYS: "Every weekday (Monday to Friday)",
    Shape.WEEKLY: "Every week, on chosen days",
    Shape.MONTHLY: "Every month, on one day",
    Shape.CUSTOM: "Custom",
}


@dataclass(frozen=True)
class Builder:
    """A schedule as the builder shows it. ``days`` are 0 = Sunday … 6 = Saturday."""

    shape: Shape
    minutes: int = 15  # EVERY_MINUTES: the N of "every N minutes"
    minute: int = 0
    hour: int = 9
    days: frozenset[int] = field(default_factory=lambda: frozenset(WEEKDAYS))
    day_of_month: int = 1

    def to_cron(self) -> str | None:
        """The five fields, or ``None`` for :attr:`Shape.CUSTOM` (the raw text is kept)."""
        m, h = self.minute, self.hour
        if self.shape is Shape.EVERY_MINUTES:
            return f"*/{self.minutes} * * * *"
        if self.shape is Shape.HOURLY:
            return f"{m} * * * *"
        if self.shape is Shape.DAILY:
            return f"{m} {h} * * *"
        if self.shape is Shape.WEEKDAYS:
            return f"{m} {h} * * 1-5"
        if self.shape is Shape.WEEKLY:
            return f"{m} {h} * * {_days_field(self.days)}"
        if self.shape is Shape.MONTHLY:
            return f"{m} {h} {self.day_of_month} * *"
        return None


def _days_field(days: Iterable[int]) -> str:
    chosen = sorted(set(days))
    return ",".join(str(d) for d in chosen) if chosen else "*"


_NUMBER = re.compile(r"\d{1,2}")


def _number(text: str, low: int, high: int) -> int | None:
    if not _NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _parse_days(text: str) -> frozenset[int] | None:
    """``1-5``, ``MON,WED``, ``0,6`` or ``7`` (Sunday) → day numbers; ``None`` otherwise."""
    days: set[int] = set()
    for part in text.lower().split(","):
        bounds = part.split("-")
        if len(bounds) > 2:
            return None
        numbers: list[int] = []
        for bound in bounds:
            day = _DAY_ABBREVIATIONS.get(bound)
            if day is None:
                day = _number(bound, 0, 7)
            if day is None:
                return None
            numbers.append(day % 7 if len(bounds) == 1 else day)
        if len(numbers) == 2:
            first, last = numbers
            if first > last:
                return None
            days.update(d % 7 for d in range(first, last + 1))
        else:
            days.add(numbers[0])
    return frozenset(days)


def parse(expression: str) -> Builder:
    """The builder shape that writes exactly this schedule, or :attr:`Shape.CUSTOM`."""
    fields = normalize(expression).split(" ")
    custom = Builder(Shape.CUSTOM)
    if len(fields) != 5:
        return custom
    minute_f, hour_f, dom_f, month_f, dow_f = fields
    if month_f != "*":
        return custom
    if (
        (every := re.fullmatch(r"(?:\*|0)/(\d{1,2})", minute_f))
        and hour_f == "*"
        and dom_f == "*"
        and dow_f == "*"
    ):
        n = int(every.group(1))
        # */45 fires at :00 and :45, not every 45 minutes: only steps that divide the
        # hour are "every N minutes".
        return Builder(Shape.EVERY_MINUTES, minutes=n) if n in EVERY_MINUTES_CHOICES else custom
    minute = _number(minute_f, 0, 59)
    if minute is None:
        return custom
    if hour_f == "*":
        return Builder(Shape.HOURLY, minute=minute) if dom_f == dow_f == "*" else custom
    hour = _number(hour_f, 0, 23)
    if hour is None:
        return custom
    if dom_f == "*" and dow_f == "*":
        return Builder(Shape.DAILY, minute=minute, hour=hour)
    if dom_f == "*":
        days = _parse_days(dow_f)
        if not days:
            return custom
        if days == WEEKDAYS:
            return Builder(Shape.WEEKDAYS, minute=minute, hour=hour)
        if len(days) == 7:
            return Builder(Shape.DAILY, minute=minute, hour=hour)
        return Builder(Shape.WEEKLY, minute=minute, hour=hour, days=days)
    if dow_f == "*":
        day = _number(dom_f, 1, 31)
        if day is not None:
            return Builder(Shape.MONTHLY, minute=minute, hour=hour, day_of_month=day)
    return custom


def interval_text(seconds: int) -> str:
    """An interval schedule's cadence in words (those are made outside this app)."""
    delta = timedelta(seconds=seconds)
    if seconds % 86400 == 0:
        days = delta.days
        return "Every day" if days == 1 else f"Every {days} days"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "Every hour" if hours == 1 else f"Every {hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "Every minute" if minutes == 1 else f"Every {minutes} minutes"
    return f"Every {seconds} seconds"


def cadence_words(
    cron_expression: str | None,
    interval_seconds: int | None = None,
    run_at: datetime | None = None,
) -> str:
    """Any schedule's timing in words: cron, interval or one-time."""
    if run_at is not None:
        return f"Once, on {run_at.astimezone():%a %d %b %Y at %H:%M}"
    if interval_seconds is not None:
        return interval_text(interval_seconds)
    if cron_expression:
        return describe(cron_expression)
    return ""


def next_firing(
    cron_expression: str | None, timezone: str, *, after: datetime | None = None
) -> datetime | None:
    """The next firing of a cron schedule, or ``None`` when it cannot be worked out here
    (not cron, an unknown timezone, an expression the server would refuse)."""
    if not cron_expression or not _accepted(cron_expression):
        return None
    try:
        firings = next_firings(cron_expression, timezone, 1, after=after)
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        return None
    return firings[0] if firings else None


@lru_cache(maxsize=1024)
def _accepted(expression: str) -> bool:
    """:func:`check`, remembered: the lists ask again for every row they repaint."""
    return check(expression) is None


def interval_firings(
    first_fire_at: datetime, interval_seconds: int, count: int = 5, *, after: datetime | None = None
) -> list[datetime]:
    """The next firings of an interval schedule: its first firing, then every interval."""
    now = after or datetime.now(UTC)
    step = timedelta(seconds=interval_seconds)
    if first_fire_at > now:
        first = first_fire_at
    else:
        first = first_fire_at + step * (int((now - first_fire_at) / step) + 1)
    return [first + step * i for i in range(count)]
