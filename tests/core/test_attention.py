"""What a paused run asks, how long it waits, and telling each pause once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from skyvern_desktop.api.models import TimelineItem
from skyvern_desktop.core.attention import (
    DEFAULT_TIMEOUT_S,
    PausedRuns,
    block_timeout,
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


def test_each_pause_is_told_once_and_a_second_pause_again() -> None:
    paused = PausedRuns()
    assert paused.report("wr_1", True, "Invoices") is True
    assert paused.report("wr_1", True) is False  # the same pause, seen again
    assert paused.sync({"wr_1": "Invoices", "wr_2": None}, complete=False) == ["wr_2"]
    assert len(paused) == 2
    assert paused.report("wr_1", False) is False  # answered
    assert "wr_1" not in paused
    assert paused.report("wr_1", True) is True  # it paused again: a new question


def test_a_complete_list_forgets_runs_that_no_longer_wait_a_partial_one_does_not() -> None:
    paused = PausedRuns()
    paused.sync({"wr_1": None, "wr_2": None}, complete=True)
    assert paused.sync({"wr_2": None}, complete=False) == []
    assert sorted(paused.run_ids) == ["wr_1", "wr_2"]
    assert paused.sync({"wr_2": None}, complete=True) == []
    assert paused.run_ids == ["wr_2"]
