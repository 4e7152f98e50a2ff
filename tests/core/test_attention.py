"""What a paused run asks, how long it waits, and telling each pause once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from skyvern_desktop.api.models import TimelineItem
from skyvern_desktop.core.runs.attention import (
    DEFAULT_TIMEOUT_S,
    PausedRuns,
    Waiting,
    block_timeout,
    read_question,
    time_left_text,
    waiting_for,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _block(label: str, kind: str, status: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "type": "block",
        "block": {"label": label, "block_type": kind, "status": status,
                  "created_at": at.isoformat(), **extra},
        "children": [],
        "created_at": at.isoformat(),
    }  # fmt: skip


def _timeline(*items: dict[str, Any]) -> list[TimelineItem]:
    return [TimelineItem.model_validate(i) for i in items]


def test_the_running_human_block_is_the_question_with_its_labels_and_timeout() -> None:
    timeline = _timeline(
        _block("warmup", "wait", "completed", T0),
        _block("approval", "human_interaction", "running", T0 + timedelta(seconds=2),
               instructions="  Check <b>totals</b>  ", positive_descriptor="Ship it",
               negative_descriptor="Stop"),
    )  # fmt: skip
    definition = [
        {"label": "warmup", "block_type": "wait"},
        {"label": "approval", "block_type": "human_interaction", "timeout_seconds": 600},
    ]
    waiting = waiting_for(timeline, definition)
    assert waiting is not None
    assert waiting.instructions == "Check <b>totals</b>"  # plain text: kept, not rendered
    assert (waiting.approve, waiting.reject, waiting.timeout_s) == ("Ship it", "Stop", 600)
    assert waiting.deadline == T0 + timedelta(seconds=602)


def test_defaults_when_the_block_says_nothing_and_no_definition_is_known() -> None:
    waiting = waiting_for(_timeline(_block("ask", "human_interaction", "running", T0)))
    assert waiting is not None
    assert (waiting.approve, waiting.reject) == ("Approve", "Reject")
    assert waiting.timeout_s == DEFAULT_TIMEOUT_S == 7200
    assert waiting.instructions.startswith("Please review")


def test_an_answered_block_or_none_at_all_asks_nothing() -> None:
    assert waiting_for(_timeline(_block("ask", "human_interaction", "completed", T0))) is None
    assert waiting_for(_timeline(_block("fetch", "http_request", "running", T0))) is None
    assert waiting_for([]) is None


def test_a_question_inside_a_loop_is_found_and_the_newest_wins() -> None:
    loop = _block("each", "for_loop", "running", T0)
    loop["children"] = [
        _block("ask", "human_interaction", "completed", T0, instructions="first"),
        _block("ask", "human_interaction", "running", T0 + timedelta(minutes=1),
               instructions="second"),
    ]  # fmt: skip
    definition = [
        {"label": "each", "block_type": "for_loop", "loop_blocks": [
            {"label": "ask", "block_type": "human_interaction", "timeout_seconds": 120}]},
    ]  # fmt: skip
    waiting = waiting_for(_timeline(loop), definition)
    assert waiting is not None and waiting.instructions == "second"
    assert waiting.timeout_s == 120


def test_block_timeout_ignores_other_blocks_and_bad_values() -> None:
    blocks: list[Any] = [
        {"label": "ask", "block_type": "wait", "timeout_seconds": 5},
        {"label": "ask", "block_type": "human_interaction", "timeout_seconds": "soon"},
        "not a block",
    ]
    assert block_timeout(blocks, "ask") == DEFAULT_TIMEOUT_S


def test_time_left_in_words() -> None:
    waiting = waiting_for(_timeline(_block("ask", "human_interaction", "running", T0)))
    assert waiting is not None
    assert time_left_text(waiting, T0).startswith("About 2 h 0 min left to answer (until ")
    assert time_left_text(waiting, T0 + timedelta(minutes=118, seconds=30)).startswith(
        "About 1 min left"
    )
    assert time_left_text(waiting, T0 + timedelta(minutes=119, seconds=30)).startswith(
        "Less than a minute left"
    )
    assert "has passed" in time_left_text(waiting, T0 + timedelta(hours=3))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_pause_is_told_once_and_a_second_pause_again() -> None:
    paused = PausedRuns()
    first, second = T0, T0 + timedelta(minutes=5)
    paused.report("wr_1", True, "Invoices")
    assert paused.tell_once("wr_1", first) is True
    assert paused.tell_once("wr_1", first) is False  # the same pause, seen again
    paused.report("wr_1", False)  # answered
    assert "wr_1" not in paused
    paused.report("wr_1", True)
    assert paused.title("wr_1") is None  # forgotten with the pause; a list may say it again
    assert paused.tell_once("wr_1", first) is True  # it paused again: told again
    assert paused.tell_once("wr_1", second) is True  # a new question, the run still paused
    assert paused.tell_once("wr_1", second) is False


def test_a_pause_told_before_its_question_was_read_is_not_told_again() -> None:
    paused = PausedRuns()
    paused.report("wr_1", True)
    assert paused.tell_once("wr_1", None) is True  # the poll could not read the question
    assert paused.tell_once("wr_1", T0) is False  # the pane reads it: the same pause
    assert paused.tell_once("wr_1", None) is False
    assert paused.tell_once("wr_1", T0 + timedelta(minutes=1)) is True  # a second question


def test_a_list_finds_new_runs_and_a_complete_one_forgets_those_no_longer_waiting() -> None:
    clock = Clock()
    paused = PausedRuns(clock)
    assert paused.sync({"wr_1": "A", "wr_2": None}, complete=True, asked_at=clock()) == [
        "wr_1", "wr_2",
    ]  # fmt: skip
    assert paused.sync({"wr_2": None}, complete=False, asked_at=clock()) == []
    assert sorted(paused.run_ids) == ["wr_1", "wr_2"]  # a page says nothing of the others
    assert paused.sync({"wr_2": None}, complete=True, asked_at=clock()) == []
    assert paused.run_ids == ["wr_2"]
    paused.sync({}, complete=False, asked_at=clock(), not_paused=["wr_2"])
    assert len(paused) == 0


def test_a_late_list_never_overrules_a_fresher_reading_of_one_run() -> None:
    clock = Clock()
    paused = PausedRuns(clock)
    asked = paused.now()  # a poll leaves...
    clock.now += 1
    paused.report("wr_1", True)  # ...a pane sees its run pause...
    clock.now += 1
    assert paused.sync({}, complete=True, asked_at=asked) == []  # ...the poll answers late
    assert "wr_1" in paused  # still waiting
    asked = paused.now()
    clock.now += 1
    paused.report("wr_1", False)  # approved in the pane
    assert paused.sync({"wr_1": None}, complete=True, asked_at=asked) == []
    assert "wr_1" not in paused  # not brought back by the stale list
    clock.now += 1
    assert paused.sync({"wr_1": None}, complete=True, asked_at=paused.now()) == ["wr_1"]


@pytest.mark.asyncio
async def test_the_question_is_read_until_found_or_the_run_goes_on() -> None:
    """One helper for the pane and the controller: read at once, then after each delay,
    and stop when the question is there or the run is no longer paused."""
    found = Waiting(
        label="approve", instructions="Approve?", approve="Yes", reject="No",
        since=None, timeout_s=60,
    )  # fmt: skip
    readings: list[Waiting | None] = [None, found]
    calls = 0

    async def read() -> Waiting | None:
        nonlocal calls
        calls += 1
        return readings.pop(0)

    assert await read_question(read, delays=(0.0, 0.0, 0.0)) is found
    assert calls == 2
    paused = [True, False]

    async def never() -> Waiting | None:
        return None

    assert await read_question(never, still_paused=lambda: paused.pop(0), delays=(0, 0, 0)) is None
    assert paused == []  # asked twice: read once, then the run went on
