"""Cron rules without widgets: the server's validation, daylight saving, 29 February,
the builder's shapes, the schedule in words, timezones and interval cadences.

Every test that needs a "now" passes a fixed one: nothing here reads the real clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from skyvern_desktop.core.schedules import cron
from skyvern_desktop.core.schedules.cron import Builder, Shape

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # a Monday
TOO_OFTEN = "Runs must be at least 5 minutes apart"
NY = "America/New_York"
BERLIN = "Europe/Berlin"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def iso(firings: list[datetime]) -> list[str]:
    return [f.isoformat() for f in firings]


def assert_strictly_increasing(firings: list[datetime]) -> None:
    instants = [f.astimezone(UTC) for f in firings]
    assert all(a < b for a, b in pairwise(instants)), iso(firings)
    assert len(set(instants)) == len(instants)


# ---------------------------------------------------------------------- daylight saving


@pytest.mark.parametrize(
    ("zone", "after", "expected", "utc_hours"),
    [
        pytest.param(NY, utc(2026, 10, 30, 12), [
            "2026-10-30T09:00:00-04:00", "2026-10-31T09:00:00-04:00",
            "2026-11-01T09:00:00-05:00", "2026-11-02T09:00:00-05:00",
        ], [13, 13, 14, 14], id="new-york-fall-back"),
        pytest.param(NY, utc(2027, 3, 12, 12), [
            "2027-03-12T09:00:00-05:00", "2027-03-13T09:00:00-05:00",
            "2027-03-14T09:00:00-04:00", "2027-03-15T09:00:00-04:00",
        ], [14, 14, 13, 13], id="new-york-spring-forward"),
        pytest.param(BERLIN, utc(2026, 10, 23, 12), [
            "2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00",
            "2026-10-26T09:00:00+01:00", "2026-10-27T09:00:00+01:00",
        ], [7, 8, 8, 8], id="berlin-fall-back"),
        pytest.param(BERLIN, utc(2027, 3, 26, 12), [
            "2027-03-27T09:00:00+01:00", "2027-03-28T09:00:00+02:00",
            "2027-03-29T09:00:00+02:00", "2027-03-30T09:00:00+02:00",
        ], [8, 7, 7, 7], id="berlin-spring-forward"),
    ],
)  # fmt: skip
def test_nine_oclock_stays_at_nine_across_a_change_of_clocks(
    zone: str, after: datetime, expected: list[str], utc_hours: list[int]
) -> None:
    firings = cron.next_firings("0 9 * * *", zone, 4, after=after)
    assert iso(firings) == expected
    assert [f.astimezone(UTC).hour for f in firings] == utc_hours


@pytest.mark.parametrize("zone", [NY, BERLIN, "UTC", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_a_daily_time_stays_on_the_wall_clock_all_year(zone: str) -> None:
    firings = cron.next_firings("45 9 * * *", zone, 400, after=utc(2026, 1, 1))
    assert len(firings) == 400
    assert {(f.hour, f.minute) for f in firings} == {(9, 45)}
    assert len({f.date() for f in firings}) == 400
    assert all(f.tzinfo == ZoneInfo(zone) for f in firings)
    assert_strictly_increasing(firings)


@pytest.mark.parametrize(
    ("zone", "after", "expected", "first_utc"),
    [
        pytest.param(NY, utc(2027, 3, 13, 12), [
            "2027-03-14T03:30:00-04:00",  # 02:30 does not exist that day
            "2027-03-15T02:30:00-04:00", "2027-03-16T02:30:00-04:00",
        ], utc(2027, 3, 14, 7, 30), id="new-york"),
        pytest.param(BERLIN, utc(2027, 3, 27, 12), [
            "2027-03-28T03:30:00+02:00",
            "2027-03-29T02:30:00+02:00", "2027-03-30T02:30:00+02:00",
        ], utc(2027, 3, 28, 1, 30), id="berlin"),
    ],
)  # fmt: skip
def test_a_skipped_wall_time_fires_after_the_jump(
    zone: str, after: datetime, expected: list[str], first_utc: datetime
) -> None:
    firings = cron.next_firings("30 2 * * *", zone, 3, after=after)
    assert iso(firings) == expected
    assert firings[0].astimezone(UTC) == first_utc


def test_a_skipped_and_a_real_wall_time_landing_on_one_instant_fire_once() -> None:
    # 02:30 is skipped and becomes 03:30, which is also a firing of its own.
    firings = cron.next_firings("30 2,3 * * *", NY, 4, after=utc(2027, 3, 14, 5))
    assert iso(firings) == [
        "2027-03-14T03:30:00-04:00",
        "2027-03-15T02:30:00-04:00",
        "2027-03-15T03:30:00-04:00",
        "2027-03-16T02:30:00-04:00",
    ]


@pytest.mark.parametrize(
    ("expression", "zone", "after", "expected"),
    [
        pytest.param("30 1 * * *", NY, utc(2026, 10, 31, 12), [
            "2026-11-01T01:30:00-04:00",  # the first 01:30; the second (EST) one is skipped
            "2026-11-02T01:30:00-05:00", "2026-11-03T01:30:00-05:00",
        ], id="new-york"),
        pytest.param("30 2 * * *", BERLIN, utc(2026, 10, 24, 12), [
            "2026-10-25T02:30:00+02:00",
            "2026-10-26T02:30:00+01:00", "2026-10-27T02:30:00+01:00",
        ], id="berlin"),
    ],
)  # fmt: skip
def test_a_repeated_wall_time_fires_once_the_first_time(
    expression: str, zone: str, after: datetime, expected: list[str]
) -> None:
    assert iso(cron.next_firings(expression, zone, 3, after=after)) == expected


def test_after_the_first_pass_of_a_repeated_hour_the_second_pass_does_not_fire() -> None:
    # 01:45 EST, in the second pass of the repeated hour: 01:30 has already fired.
    after = datetime(2026, 11, 1, 1, 45, fold=1, tzinfo=ZoneInfo(NY))
    assert after.astimezone(UTC) == utc(2026, 11, 1, 6, 45)
    firings = cron.next_firings("30 1 * * *", NY, 1, after=after)
    assert iso(firings) == ["2026-11-02T01:30:00-05:00"]
    # Between the two passes, an hourly schedule continues on the new hour.
    assert iso(cron.next_firings("0 * * * *", NY, 2, after=after)) == [
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
    ]


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        pytest.param(NY, utc(2027, 3, 14, 6), [
            "2027-03-14T01:30:00-05:00",
            "2027-03-14T03:00:00-04:00",  # 02:00, skipped
            "2027-03-14T03:30:00-04:00",  # 02:30, skipped, and the real 03:30: one firing
            "2027-03-14T04:00:00-04:00", "2027-03-14T04:30:00-04:00",
        ], id="new-york"),
        pytest.param(BERLIN, utc(2027, 3, 28, 0), [
            "2027-03-28T01:30:00+01:00", "2027-03-28T03:00:00+02:00",
            "2027-03-28T03:30:00+02:00", "2027-03-28T04:00:00+02:00",
            "2027-03-28T04:30:00+02:00",
        ], id="berlin"),
    ],
)  # fmt: skip
def test_every_thirty_minutes_across_a_spring_forward_gap(
    zone: str, after: datetime, expected: list[str]
) -> None:
    firings = cron.next_firings("*/30 * * * *", zone, 5, after=after)
    assert iso(firings) == expected
    instants = [f.astimezone(UTC) for f in firings]
    assert {(b - a) for a, b in pairwise(instants)} == {timedelta(minutes=30)}


def test_the_whole_second_pass_of_a_repeated_hour_is_looked_past() -> None:
    # At the start of the second 01:00 in New York, twelve wall times of "every five
    # minutes" have already fired; the next firing is 02:00 EST, even when asking for one.
    after = utc(2026, 11, 1, 6)
    assert iso(cron.next_firings("*/5 * * * *", NY, 1, after=after)) == [
        "2026-11-01T02:00:00-05:00"
    ]
    # Just before the clocks go back (01:59 EDT) it is the same: 01:00 to 01:55 have run.
    assert iso(cron.next_firings("*/5 * * * *", NY, 2, after=utc(2026, 11, 1, 5, 59))) == [
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T02:05:00-05:00",
    ]


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        (NY, utc(2027, 3, 14, 7, 10), "2027-03-14T03:30:00-04:00"),  # asked at 03:10 EDT
        (BERLIN, utc(2027, 3, 28, 1, 10), "2027-03-28T03:30:00+02:00"),  # at 03:10 CEST
    ],
)
def test_a_skipped_wall_time_still_fires_when_asked_just_after_the_jump(
    zone: str, after: datetime, expected: str
) -> None:
    # Asked before the jump, the same firing is listed (see the tests above).
    before = cron.next_firings("30 2 * * *", zone, 1, after=after - timedelta(hours=1))
    assert iso(before) == [expected]
    assert iso(cron.next_firings("30 2 * * *", zone, 1, after=after)) == [expected]


def test_a_two_hour_fall_back_does_not_exhaust_the_look_ahead() -> None:
    # Troll goes from +02 to +00 at 01:00 UTC, so 01:00-02:59 comes twice.
    after = utc(2026, 10, 25, 1)  # 01:00 +00, the second pass
    assert cron.timezone_problem("Antarctica/Troll") is None
    assert iso(cron.next_firings("*/5 * * * *", "Antarctica/Troll", 1, after=after)) == [
        "2026-10-25T03:00:00+00:00"
    ]


def test_every_thirty_minutes_across_the_fall_backs_skips_the_repeated_hour() -> None:
    ny = cron.next_firings("*/30 * * * *", NY, 5, after=utc(2026, 11, 1, 4))
    assert iso(ny) == [
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T02:30:00-05:00",
    ]
    berlin = cron.next_firings("*/30 * * * *", BERLIN, 4, after=utc(2026, 10, 25, 0))
    assert iso(berlin) == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
        "2026-10-25T04:00:00+01:00",
    ]


# A brute-force model of the documented rule, minute by minute, for schedules whose day,
# month and weekday fields are "*": a wall time fires the first time the clock shows it;
# a wall time the clock skips fires at the instant it would have had on the old offset
# (02:30 → 03:30 after a one-hour jump, 02:15 → 02:45 after Lord Howe's half hour).


def _field_matches(text: str, value: int, high: int) -> bool:
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            low, top = 0, high
        elif "-" in base:
            low, top = (int(x) for x in base.split("-"))
        else:
            low = top = int(base)
            if step:
                top = high
        if low <= value <= top and (value - low) % int(step or 1) == 0:
            return True
    return False


def _wall_matches(expression: str, wall: datetime) -> bool:
    minute, hour, *rest = expression.split()
    assert rest == ["*", "*", "*"], "the model only knows minute and hour fields"
    return _field_matches(minute, wall.minute, 59) and _field_matches(hour, wall.hour, 23)


def _model_firings(
    expression: str, zone_name: str, start: datetime, end: datetime
) -> list[datetime]:
    zone = ZoneInfo(zone_name)
    step = timedelta(minutes=1)
    fired_walls: set[datetime] = set()
    instants: set[datetime] = set()
    moment = start + step
    while moment <= end:
        wall = moment.astimezone(zone).replace(tzinfo=None)
        if wall not in fired_walls and _wall_matches(expression, wall):
            fired_walls.add(wall)
            instants.add(moment)
        moment += step
    wall = start.astimezone(zone).replace(tzinfo=None)
    last_wall = end.astimezone(zone).replace(tzinfo=None)
    while wall <= last_wall:
        exists = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if exists != wall and _wall_matches(expression, wall):
            old_offset = (wall - timedelta(hours=3)).replace(tzinfo=zone).utcoffset()
            assert old_offset is not None
            moment = (wall - old_offset).replace(tzinfo=UTC)
            if start < moment <= end:
                instants.add(moment)
        wall += step
    return sorted(instants)


TRANSITIONS = [
    pytest.param(NY, utc(2026, 10, 31, 22), id="new-york-fall-back-2026-11-01"),
    pytest.param(NY, utc(2027, 3, 13, 23), id="new-york-spring-forward-2027-03-14"),
    pytest.param(BERLIN, utc(2026, 10, 24, 17), id="berlin-fall-back-2026-10-25"),
    pytest.param(BERLIN, utc(2027, 3, 27, 18), id="berlin-spring-forward-2027-03-28"),
    pytest.param("Australia/Lord_Howe", utc(2026, 10, 3, 8), id="lord-howe-half-hour-forward"),
    pytest.param("Australia/Lord_Howe", utc(2027, 4, 3, 8), id="lord-howe-half-hour-back"),
]
MODEL_EXPRESSIONS = [
    "0 9 * * *",
    "30 2 * * *",
    "30 1 * * *",
    "15,45 0-4 * * *",
    "*/30 * * * *",
    "*/5 1-3 * * *",
    "0 * * * *",
]


@pytest.mark.parametrize("expression", MODEL_EXPRESSIONS)
@pytest.mark.parametrize(("zone", "start"), TRANSITIONS)
def test_firings_around_a_transition_follow_the_documented_rule(
    zone: str, start: datetime, expression: str
) -> None:
    end = start + timedelta(hours=18)
    expected = _model_firings(expression, zone, start, end)
    assert expected
    firings = cron.next_firings(expression, zone, len(expected), after=start)
    assert [f.astimezone(UTC) for f in firings] == expected
    assert all(f.tzinfo == ZoneInfo(zone) for f in firings)
    assert_strictly_increasing(firings)
    # Every firing is on a matching wall time, or just after a jump (a skipped one).
    for firing in firings:
        wall = firing.replace(tzinfo=None)
        if not _wall_matches(expression, wall):
            jump = firing.utcoffset() - (firing - timedelta(hours=3)).utcoffset()  # type: ignore[operator]
            assert jump > timedelta(0)
            assert _wall_matches(expression, wall - jump)


def test_next_firings_starts_strictly_after_after_and_defaults_to_five() -> None:
    firings = cron.next_firings("0 9 * * *", "UTC", after=utc(2026, 6, 1, 9))
    assert iso(firings)[:2] == ["2026-06-02T09:00:00+00:00", "2026-06-03T09:00:00+00:00"]
    assert len(firings) == 5
    later = cron.next_firings(
        "0 9 * * *", "UTC", 1, after=utc(2026, 6, 1, 8, 59) + timedelta(seconds=59)
    )
    assert iso(later) == ["2026-06-01T09:00:00+00:00"]


def test_next_firings_reads_after_in_any_timezone() -> None:
    # 23:30 in New York on 31 May is already 1 June in Berlin.
    after = datetime(2026, 5, 31, 23, 30, tzinfo=ZoneInfo(NY))
    assert iso(cron.next_firings("0 9 * * *", BERLIN, 1, after=after)) == [
        "2026-06-01T09:00:00+02:00"
    ]


# ---------------------------------------------------------------------- 29 February


def test_29_february_fires_only_in_leap_years() -> None:
    firings = cron.next_firings("0 0 29 2 *", "UTC", 3, after=utc(2026, 1, 1))
    assert iso(firings) == [
        "2028-02-29T00:00:00+00:00",
        "2032-02-29T00:00:00+00:00",
        "2036-02-29T00:00:00+00:00",
    ]
    assert cron.check("0 0 29 2 *", now=NOW) is None
    berlin = cron.next_firings("0 0 29 2 *", BERLIN, 2, after=utc(2026, 1, 1))
    assert iso(berlin) == ["2028-02-29T00:00:00+01:00", "2032-02-29T00:00:00+01:00"]


def test_the_29th_of_every_month_skips_february_in_a_common_year() -> None:
    firings = cron.next_firings("0 9 29 * *", "UTC", 3, after=utc(2027, 1, 1))
    assert iso(firings) == [
        "2027-01-29T09:00:00+00:00",
        "2027-03-29T09:00:00+00:00",
        "2027-04-29T09:00:00+00:00",
    ]
    leap = cron.next_firings("0 9 29 * *", "UTC", 2, after=utc(2028, 1, 30))
    assert iso(leap) == ["2028-02-29T09:00:00+00:00", "2028-03-29T09:00:00+00:00"]


@pytest.mark.parametrize("expression", ["0 9 31 2 *", "0 9 30 2 *", "0 9 31 4,6,9,11 *"])
def test_a_date_that_never_comes_is_refused(expression: str) -> None:
    message = cron.check(expression, now=NOW)
    assert message is not None
    assert "never runs" in message
    assert not cron.is_valid(expression)


# ---------------------------------------------------------------------- five minutes apart


@pytest.mark.parametrize(
    "expression", ["*/5 * * * *", "0,5 * * * *", "*/6 * * * *", "0-30/10 * * * *", "0 9 * * *"]
)
def test_five_minutes_apart_or_more_is_accepted(expression: str) -> None:
    assert cron.check(expression, now=NOW) is None


@pytest.mark.parametrize(
    ("expression", "span", "at"),
    [
        ("* * * * *", "1 minute", "12:01 and 12:02"),
        ("*/4 * * * *", "4 minutes", "12:04 and 12:08"),
        ("*/7 * * * *", "4 minutes", "12:56 and 13:00"),  # 56 → 00 wraps the hour
        ("0,4 * * * *", "4 minutes", "13:00 and 13:04"),
        ("0,59 * * * *", "1 minute", "12:59 and 13:00"),
        ("0,5,10,15,20,25,30,35,40,45,50,55,59 * * * *", "1 minute", "12:59 and 13:00"),
        ("58,59 23 * * *", "1 minute", "23:58 and 23:59"),
    ],
)
def test_runs_closer_than_five_minutes_are_refused(
    expression: str, span: str, at: str | None
) -> None:
    message = cron.check(expression, now=NOW)
    assert message is not None
    assert message.startswith(f"{TOO_OFTEN}; this schedule runs {span} apart")
    if at is not None:
        assert f"(at {at} UTC)" in message
    assert not cron.is_valid(expression)


def test_a_gap_across_midnight_is_counted() -> None:
    # 23:58 and 00:01 the next day are three minutes apart.
    message = cron.check("1,58 0,23 * * *", now=NOW)
    assert message is not None
    assert "3 minutes apart (at 23:58 and 00:01 UTC)" in message


def test_the_window_starts_at_the_next_firing_like_the_servers() -> None:
    """Mondays 23:59 and Tuesdays 00:00 are a minute apart, but the server only looks
    at 25 hours from the next firing, so on a Tuesday afternoon it does not see them."""
    expression = "0,59 0,23 * * 1,2"
    sunday = utc(2026, 5, 31, 12)
    tuesday = utc(2026, 6, 2, 12)
    assert cron.check(expression, now=sunday) is not None
    assert cron.check(expression, now=tuesday) is None


def test_shortest_gap_reports_the_pair_in_utc() -> None:
    gap = cron.shortest_gap("0,4 * * * *", now=NOW)
    assert gap == (240.0, utc(2026, 6, 1, 13, 0), utc(2026, 6, 1, 13, 4))
    daily = cron.shortest_gap("0 9 * * *", now=NOW)
    assert daily is not None
    assert daily[0] == 86400.0
    assert cron.shortest_gap("*/5 * * * *", now=NOW) == (
        300.0,
        utc(2026, 6, 1, 12, 5),
        utc(2026, 6, 1, 12, 10),
    )
    rare = cron.shortest_gap("0 0 29 2 *", now=NOW)
    assert rare is not None
    assert rare[1:] == (utc(2028, 2, 29), utc(2032, 2, 29))


# ---------------------------------------------------------------------- fields and syntax


@pytest.mark.parametrize(
    ("expression", "count"),
    [("0 9 * *", 4), ("0 9 * * * *", 6), ("0 9 * * * 0", 6), ("0 9 * * * 0 2027", 7), ("x", 1)],
)
def test_exactly_five_fields(expression: str, count: int) -> None:
    message = cron.check(expression, now=NOW)
    assert message is not None
    assert "exactly 5 fields" in message
    assert message.endswith(f"this one has {count}.")


@pytest.mark.parametrize(
    ("macro", "fields"),
    [
        ("@daily", "0 0 * * *"),
        ("@DAILY", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("  @annually ", "0 0 1 1 *"),
    ],
)
def test_a_macro_is_refused_with_its_five_fields(macro: str, fields: str) -> None:
    message = cron.check(macro, now=NOW)
    assert message is not None
    assert fields in message
    assert macro.strip() in message
    assert cron.check(fields, now=NOW) is None


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_an_empty_schedule_is_refused(blank: str) -> None:
    message = cron.check(blank, now=NOW)
    assert message is not None
    assert message.startswith("Enter a schedule")
    assert not cron.is_valid(blank)


@pytest.mark.parametrize(
    "messy", ["  0   9 * *   1-5  ", "0\t9\t*\t*\t1-5", "\n0 9 * * 1-5\n", "0 9  *  * 1-5"]
)
def test_extra_whitespace_is_normalized(messy: str) -> None:
    assert cron.normalize(messy) == "0 9 * * 1-5"
    assert cron.check(messy, now=NOW) is None
    assert cron.parse(messy) == cron.parse("0 9 * * 1-5")
    assert cron.describe(messy) == cron.describe("0 9 * * 1-5")


@pytest.mark.parametrize(
    ("expression", "field", "value"),
    [
        ("60 * * * *", "minute", "60"),
        ("a b c d e", "minute", "a"),
        ("*/0 * * * *", "minute", "*/0"),
        ("H 9 * * *", "minute", "H"),
        ("0 24 * * *", "hour", "24"),
        ("0 9 32 * *", "day of month", "32"),
        ("0 9 LW * *", "day of month", "LW"),
        ("0 9 * 13 *", "month", "13"),
        ("0 9 * * 8", "day of week", "8"),
        ("0 9 * * MONDAY", "day of week", "MONDAY"),
        ("0 9 * * 5L", "day of week", "5L"),
        ("0 9 * * 1#6", "day of week", "1#6"),
    ],
)
def test_a_syntax_error_names_the_field(expression: str, field: str, value: str) -> None:
    message = cron.check(expression, now=NOW)
    assert message == (
        f"This is not a valid schedule: the {field} field “{value}” is not understood."
    )


@pytest.mark.parametrize(
    "expression",
    [
        "0 9 * * 1#2",
        "0 9 L * *",
        "0 9 * * L5",
        "0 9 ? * MON",
        "0 9 * JAN MON",
        "0 9 * jan-mar mon-fri",
        "0 9 * * 7",
        "0 9 1-31/2 * *",
    ],
)
def test_odd_but_valid_croniter_syntax_is_accepted(expression: str) -> None:
    assert cron.check(expression, now=NOW) is None
    assert croniter.is_valid(expression)


def test_is_valid_follows_check() -> None:
    for expression in ["*/5 * * * *", "*/4 * * * *", "0 9 * *", "@daily", "", "0 9 31 2 *"]:
        assert cron.is_valid(expression) is (cron.check(expression) is None)


# ---------------------------------------------------------------------- builder shapes


def _shown(builder: Builder) -> tuple[object, ...]:
    """What the builder shows for its shape; other fields are leftovers."""
    shape = builder.shape
    if shape is Shape.EVERY_MINUTES:
        return (shape, builder.minutes)
    if shape is Shape.HOURLY:
        return (shape, builder.minute)
    if shape in (Shape.DAILY, Shape.WEEKDAYS):
        return (shape, builder.minute, builder.hour)
    if shape is Shape.WEEKLY:
        return (shape, builder.minute, builder.hour, builder.days)
    if shape is Shape.MONTHLY:
        return (shape, builder.minute, builder.hour, builder.day_of_month)
    return (shape,)


@pytest.mark.parametrize(
    ("builder", "expression"),
    [
        (Builder(Shape.EVERY_MINUTES, minutes=5), "*/5 * * * *"),
        (Builder(Shape.EVERY_MINUTES, minutes=30), "*/30 * * * *"),
        (Builder(Shape.HOURLY, minute=15), "15 * * * *"),
        (Builder(Shape.HOURLY, minute=0), "0 * * * *"),
        (Builder(Shape.DAILY, minute=30, hour=7), "30 7 * * *"),
        (Builder(Shape.DAILY, minute=0, hour=0), "0 0 * * *"),
        (Builder(Shape.WEEKDAYS, minute=0, hour=9), "0 9 * * 1-5"),
        (Builder(Shape.WEEKLY, minute=5, hour=18, days=frozenset({5, 1, 3})), "5 18 * * 1,3,5"),
        (Builder(Shape.WEEKLY, minute=0, hour=10, days=frozenset({0, 6})), "0 10 * * 0,6"),
        (Builder(Shape.WEEKLY, minute=0, hour=10, days=frozenset({0})), "0 10 * * 0"),
        (Builder(Shape.MONTHLY, minute=0, hour=9, day_of_month=15), "0 9 15 * *"),
        (Builder(Shape.MONTHLY, minute=59, hour=23, day_of_month=31), "59 23 31 * *"),
    ],
)
def test_each_shape_round_trips(builder: Builder, expression: str) -> None:
    assert builder.to_cron() == expression
    back = cron.parse(expression)
    assert _shown(back) == _shown(builder)
    assert back.to_cron() == expression
    assert cron.check(expression, now=NOW) is None


def test_custom_writes_no_cron() -> None:
    assert Builder(Shape.CUSTOM).to_cron() is None


@pytest.mark.parametrize(
    ("expression", "shown", "written"),
    [
        ("0 9 * * MON-FRI", (Shape.WEEKDAYS, 0, 9), "0 9 * * 1-5"),
        ("0 9 * * mon-fri", (Shape.WEEKDAYS, 0, 9), "0 9 * * 1-5"),
        ("0 9 * * 1,2,3,4,5", (Shape.WEEKDAYS, 0, 9), "0 9 * * 1-5"),
        ("0 9 * * 1,3,5", (Shape.WEEKLY, 0, 9, frozenset({1, 3, 5})), "0 9 * * 1,3,5"),
        ("0 9 * * MON,WED", (Shape.WEEKLY, 0, 9, frozenset({1, 3})), "0 9 * * 1,3"),
        ("0 9 * * 7", (Shape.WEEKLY, 0, 9, frozenset({0})), "0 9 * * 0"),
        ("0 9 * * 0,7", (Shape.WEEKLY, 0, 9, frozenset({0})), "0 9 * * 0"),
        ("0 9 * * 5-7", (Shape.WEEKLY, 0, 9, frozenset({5, 6, 0})), "0 9 * * 0,5,6"),
        ("0 9 * * 0-6", (Shape.DAILY, 0, 9), "0 9 * * *"),
        ("0 9 * * SUN-SAT", (Shape.DAILY, 0, 9), "0 9 * * *"),
        ("15 * * * *", (Shape.HOURLY, 15), "15 * * * *"),
        ("0 9 15 * *", (Shape.MONTHLY, 0, 9, 15), "0 9 15 * *"),
        ("*/15 * * * *", (Shape.EVERY_MINUTES, 15), "*/15 * * * *"),
        ("0/15 * * * *", (Shape.EVERY_MINUTES, 15), "*/15 * * * *"),
        ("05 09 * * *", (Shape.DAILY, 5, 9), "5 9 * * *"),
    ],
)
def test_parse_finds_the_shape(expression: str, shown: tuple[object, ...], written: str) -> None:
    builder = cron.parse(expression)
    assert _shown(builder) == shown
    assert builder.to_cron() == written
    # What the builder writes back runs exactly when the original does.
    start = utc(2026, 1, 1)
    a, b = croniter(expression, start), croniter(written, start)
    assert [a.get_next(datetime) for _ in range(30)] == [b.get_next(datetime) for _ in range(30)]


@pytest.mark.parametrize(
    "expression",
    [
        "*/4 * * * *",
        "*/60 * * * *",
        "0 */2 * * *",
        "0 9 1,15 * *",
        "0 9 * 1 *",
        "0 9 * JAN *",
        "0 9 1 * 1",
        "0 9 * * 1#2",
        "0 9 * * L5",
        "0 9 L * *",
        "0 9 ? * 1",
        "0 9 * * 1-5/2",
        "0 9 * * 6-1",
        "0 9 * * 8",
        "0,30 9 * * *",
        "0 9,17 * * *",
        "*/15 9-17 * * *",
        "15 * * * 1-5",
        "15 * 1 * *",
        "60 9 * * *",
        "0 24 * * *",
        "0 9 0 * *",
        "0 9 32 * *",
        "0 9 * * * 0",
        "0 9 * *",
        "@daily",
        "",
    ],
)
def test_what_the_builder_cannot_show_is_custom(expression: str) -> None:
    assert cron.parse(expression).shape is Shape.CUSTOM
    assert cron.parse(expression).to_cron() is None


_DAYS = st.frozensets(st.integers(0, 6), min_size=1)
_BUILDERS = st.one_of(
    st.builds(
        Builder, st.just(Shape.EVERY_MINUTES), minutes=st.sampled_from([5, 6, 10, 12, 15, 20, 30])
    ),
    st.builds(Builder, st.just(Shape.HOURLY), minute=st.integers(0, 59)),
    st.builds(
        Builder,
        st.sampled_from([Shape.DAILY, Shape.WEEKDAYS]),
        minute=st.integers(0, 59),
        hour=st.integers(0, 23),
    ),
    st.builds(
        Builder,
        st.just(Shape.WEEKLY),
        minute=st.integers(0, 59),
        hour=st.integers(0, 23),
        days=_DAYS,
    ),
    st.builds(
        Builder,
        st.just(Shape.MONTHLY),
        minute=st.integers(0, 59),
        hour=st.integers(0, 23),
        day_of_month=st.integers(1, 28),
    ),
)


@PROPERTY_SETTINGS
@given(builder=_BUILDERS, now=st.datetimes(datetime(2026, 1, 1), datetime(2030, 12, 31)))
def test_every_builder_schedule_is_valid_and_parses_back(builder: Builder, now: datetime) -> None:
    expression = builder.to_cron()
    assert expression is not None
    assert cron.check(expression, now=now.replace(tzinfo=UTC)) is None
    back = cron.parse(expression)
    if _canonical_week(builder):
        # Weekly on Monday to Friday is the weekday shape; on all seven days, daily.
        assert back.shape is (Shape.WEEKDAYS if builder.days == cron.WEEKDAYS else Shape.DAILY)
        assert (back.minute, back.hour) == (builder.minute, builder.hour)
    else:
        assert _shown(back) == _shown(builder)
        assert back.to_cron() == expression
    rewritten = back.to_cron()
    assert rewritten is not None
    assert cron.parse(rewritten) == back  # a fixed point
    a, b = croniter(expression, now), croniter(rewritten, now)
    assert [a.get_next(datetime) for _ in range(12)] == [b.get_next(datetime) for _ in range(12)]


def _canonical_week(builder: Builder) -> bool:
    return builder.shape is Shape.WEEKLY and builder.days in (cron.WEEKDAYS, frozenset(range(7)))


# ---------------------------------------------------------------------- in words


def test_describe_in_24_hour_words() -> None:
    assert cron.describe("0 9 * * 1-5") == "At 09:00, Monday through Friday"
    assert cron.describe("30 17 * * *") == "At 17:30"
    assert cron.describe("*/15 * * * *") == "Every 15 minutes"
    assert "PM" not in cron.describe("0 21 * * *")


@pytest.mark.parametrize("garbage", ["not a cron", "99 99 99 99 99", "@@@", "", "0 9 * *"])
def test_describe_gives_garbage_back_without_raising(garbage: str) -> None:
    assert cron.describe(garbage) == cron.normalize(garbage)


# ---------------------------------------------------------------------- timezones


def _zoneinfo_loads(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


@pytest.mark.parametrize("name", ["America/New_York", "UTC", "Europe/Berlin", "Asia/Kathmandu"])
def test_real_timezones_have_no_problem(name: str) -> None:
    assert cron.timezone_problem(name) is None


@pytest.mark.parametrize(
    "name", ["EST", "est", "utc", "GMT", "EST5EDT", "america/new_york", "Etc/GMT+5"]
)
def test_timezone_problem_agrees_with_zoneinfo_here(name: str) -> None:
    """The server decides with ZoneInfo; what loads depends on the machine's tz data."""
    assert (cron.timezone_problem(name) is None) is _zoneinfo_loads(name)


@pytest.mark.parametrize(
    "name", ["Mars/Base", "America/New_York/", "../etc/passwd", "/etc/localtime", "a\x00b"]
)
def test_a_wrong_timezone_name_is_explained(name: str) -> None:
    message = cron.timezone_problem(name)
    assert message is not None
    assert "is not a timezone name" in message
    assert "Europe/Berlin" in message


@pytest.mark.parametrize("blank", ["", "   "])
def test_no_timezone_is_explained(blank: str) -> None:
    assert cron.timezone_problem(blank) == "Choose a timezone."


def test_timezone_names() -> None:
    names = cron.timezone_names()
    assert {"Europe/Berlin", "UTC", NY, "Australia/Lord_Howe"} <= set(names)
    assert list(names) == sorted(names)
    assert len(names) == len(set(names))
    assert all("/" in n or n == "UTC" for n in names)
    assert all(cron.timezone_problem(n) is None for n in names)


# ---------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (300, "Every 5 minutes"),
        (600, "Every 10 minutes"),
        (5400, "Every 90 minutes"),
        (3600, "Every hour"),
        (7200, "Every 2 hours"),
        (86400, "Every day"),
        (172800, "Every 2 days"),
        (604800, "Every 7 days"),
        (90, "Every 90 seconds"),
    ],
)
def test_interval_text(seconds: int, text: str) -> None:
    assert cron.interval_text(seconds) == text


def test_messages_are_plain_sentences() -> None:
    for expression in ["", "0 9 * *", "@daily", "60 * * * *", "*/4 * * * *", "0 9 31 2 *"]:
        message = cron.check(expression, now=NOW)
        assert message is not None
        assert re.fullmatch(r"[A-Z].*\.", message), message
        assert "croniter" not in message.lower()
        assert "Traceback" not in message


@pytest.mark.parametrize("expression", ["*/7 * * * *", "*/45 * * * *", "*/25 * * * *"])
def test_steps_that_do_not_divide_the_hour_are_not_every_n_minutes(expression: str) -> None:
    """*/45 fires at :00 and :45; the builder must not call that "every 45 minutes"."""
    assert cron.parse(expression).shape is Shape.CUSTOM


def test_one_minute_interval_is_singular() -> None:
    assert cron.interval_text(60) == "Every minute"


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("*/45 * * * *", "At 0 and 45 minutes past the hour"),
        ("0 */5 * * *", "At 00:00, 05:00, 10:00, 15:00 and 20:00"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("0 */6 * * *", "Every 6 hours"),
    ],
)
def test_words_list_the_times_of_a_step_that_does_not_divide_its_cycle(
    expression: str, words: str
) -> None:
    assert cron.describe(expression) == words


def test_interval_firings_follow_the_first_firing() -> None:
    first = utc(2026, 12, 1, 10)
    assert cron.interval_firings(first, 3600, 2, after=utc(2026, 11, 30)) == [
        first,
        utc(2026, 12, 1, 11),
    ]
    # Later: the next tick after now, on the first firing's grid.
    assert cron.interval_firings(first, 900, 2, after=utc(2026, 12, 1, 10, 20)) == [
        utc(2026, 12, 1, 10, 30),
        utc(2026, 12, 1, 10, 45),
    ]
