"""Runs that wait for a person: what they ask, how long they wait, and telling once.

A ``human_interaction`` block sets its run's status to ``paused`` and waits, polling every
5 s, until someone approves (``continue``) or rejects (cancel), or its ``timeout_seconds``
pass (two hours unless the workflow says otherwise). Its timeline block, still
``running``, carries the instructions and the two answers' labels; the timeout is in the
workflow's definition. No Qt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...api.enums import RunStatus, is_terminal

if TYPE_CHECKING:
    from ...api.models import TimelineItem

HUMAN_INTERACTION = "human_interaction"
DEFAULT_TIMEOUT_S = 2 * 60 * 60
"""The block's own default (skyvern 1.0.56: ``timeout_seconds = 60 * 60 * 2``)."""
APPROVE = "Approve"
REJECT = "Reject"
DEFAULT_INSTRUCTIONS = "Please review and approve or reject to continue the workflow."


def is_paused(status: object) -> bool:
    return str(status) == RunStatus.PAUSED


@dataclass(frozen=True)
class Waiting:
    """The question a paused run asks."""

    label: str | None
    instructions: str
    approve: str
    reject: str
    since: datetime | None  # when the block started (its email was sent just after)
    timeout_s: int

    @property
    def deadline(self) -> datetime | None:
        """When the block gives up and the run ends (a little before, never after: the
        block's clock starts once its email is sent)."""
        return self.since + timedelta(seconds=self.timeout_s) if self.since else None

    def time_left(self, now: datetime) -> timedelta | None:
        deadline = self.deadline
        return None if deadline is None else max(deadline - now, timedelta(0))


def _walk(items: Sequence[TimelineItem]) -> Iterator[TimelineItem]:
    for item in items:
        yield item
        yield from _walk(item.children)


def waiting_for(
    timeline: Sequence[TimelineItem], definition_blocks: Sequence[Any] = ()
) -> Waiting | None:
    """The human-interaction block a paused run waits in: the newest one still going,
    anywhere in the timeline (a loop's child too). ``definition_blocks`` (the workflow's
    ``workflow_definition.blocks``) gives its timeout; without it, the block's default."""
    found = [
        t.block
        for t in _walk(timeline)
        if t.block is not None
        and t.block.block_type == HUMAN_INTERACTION
        and not (t.block.status is not None and is_terminal(t.block.status))
    ]
    if not found:
        return None
    block = max(found, key=lambda b: b.created_at.timestamp() if b.created_at else 0.0)
    return Waiting(
        label=block.label,
        instructions=(block.instructions or DEFAULT_INSTRUCTIONS).strip(),
        approve=(block.positive_descriptor or APPROVE).strip() or APPROVE,
        reject=(block.negative_descriptor or REJECT).strip() or REJECT,
        since=block.created_at,
        timeout_s=block_timeout(definition_blocks, block.label),
    )


def _definitions(blocks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Every block of a definition, nested ones included (loops hold ``loop_blocks``,
    conditionals ``branches`` of ``blocks``)."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        yield block
        for key in ("loop_blocks", "blocks"):
            inner = block.get(key)
            if isinstance(inner, list):
                yield from _definitions(inner)
        branches = block.get("branches") or block.get("branch_conditions")
        if isinstance(branches, list):
            for branch in branches:
                if isinstance(branch, dict) and isinstance(branch.get("blocks"), list):
                    yield from _definitions(branch["blocks"])


def block_timeout(definition_blocks: Sequence[Any], label: str | None) -> int:
    """The ``timeout_seconds`` of the block labelled ``label``, else the default."""
    for block in _definitions(definition_blocks):
        if block.get("label") == label and block.get("block_type") == HUMAN_INTERACTION:
            value = block.get("timeout_seconds")
            if isinstance(value, int | float) and value > 0:
                return int(value)
    return DEFAULT_TIMEOUT_S


def time_left_text(waiting: Waiting, now: datetime) -> str:
    """ "About 1 h 58 min left (until 16:42)", "Less than a minute left", or that the time
    has passed."""
    left = waiting.time_left(now)
    deadline = waiting.deadline
    if left is None or deadline is None:
        return "No time limit is known for this answer."
    until = deadline.astimezone().strftime("%H:%M")
    if left <= timedelta(0):
        return "The time to answer has passed: the run stops on its own shortly."
    minutes = int(left.total_seconds() // 60)
    if minutes < 1:
        return f"Less than a minute left (until {until}); then the run stops."
    hours, minutes = divmod(minutes, 60)
    span = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"About {span} left to answer (until {until}); then the run stops."


QUESTION_DELAYS = (0.0, 1.0, 3.0)
"""When a paused run's question is read: at once (the human-interaction block writes it
just before it pauses the run), then twice more for a timeline that lagged."""


async def read_question(
    read: Callable[[], Awaitable[Waiting | None]],
    *,
    still_paused: Callable[[], bool] = lambda: True,
    delays: Sequence[float] = QUESTION_DELAYS,
) -> Waiting | None:
    """Read a paused run's question with ``read`` (one timeline reading, ``None`` when it
    has none or could not be read) after each of ``delays``, until it is found or the run
    is no longer paused."""
    for delay in delays:
        await asyncio.sleep(delay)
        if not still_paused():
            return None
        if (question := await read()) is not None:
            return question
    return None


class PausedRuns:
    """Which runs wait for a person, as far as this app knows, and which pauses it told.

    Two kinds of source report: a run pane (a fresh reading of one run) and a list of runs
    (the server's paused runs, a page of the history), which is a snapshot from the moment
    its request left. A list never overrules a run's own reading made after that moment,
    so a late list cannot bring back a run just answered, nor drop one just paused.

    A pause is told once. It lasts from when the run is first seen waiting until it is seen
    not waiting; within it, a question asked at a new time (``Waiting.since``: a second
    human-interaction block) is a new pause, told again. A pause first told without its
    question (it could not be read) is not told again when the question is read.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._paused: dict[str, str | None] = {}  # run id -> workflow title, when known
        self._read_at: dict[str, float] = {}  # run id -> when a pane last read it
        self._told: dict[str, datetime | None] = {}  # run id -> the question told, if known

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._paused

    def __len__(self) -> int:
        return len(self._paused)

    @property
    def run_ids(self) -> list[str]:
        return list(self._paused)

    def title(self, run_id: str) -> str | None:
        return self._paused.get(run_id)

    def now(self) -> float:
        """The moment a list's request leaves (pass it to :meth:`sync`)."""
        return self._clock()

    def report(self, run_id: str, paused: bool, title: str | None = None) -> None:
        """A fresh reading of one run: it waits now, or it does not."""
        self._read_at[run_id] = self._clock()
        self._set(run_id, paused, title)

    def _set(self, run_id: str, paused: bool, title: str | None) -> None:
        if not paused:
            self._paused.pop(run_id, None)
            self._told.pop(run_id, None)  # the pause is over: the next one is told
        elif title or run_id not in self._paused:
            self._paused[run_id] = title or self._paused.get(run_id)

    def sync(
        self, listed: dict[str, str | None], *, complete: bool, asked_at: float,
        not_paused: Iterable[str] = (),
    ) -> list[str]:  # fmt: skip
        """A list of runs, asked for at ``asked_at``: ``listed`` wait (id → title),
        ``not_paused`` do not; when the list is ``complete`` (every paused run, not a page
        of them), runs missing from it no longer wait. Returns the runs it found waiting
        that were not known to (so their question can be read and told)."""

        def current(run_id: str) -> bool:  # no pane read the run since the list was asked
            return self._read_at.get(run_id, float("-inf")) <= asked_at

        gone = [r for r in self._paused if r not in listed] if complete else []
        for run_id in [*gone, *not_paused]:
            if current(run_id):
                self._set(run_id, False, None)
        new = [r for r in listed if r not in self._paused and current(r)]
        for run_id, title in listed.items():
            if current(run_id):
                self._set(run_id, True, title)
        return new

    def tell_once(self, run_id: str, since: datetime | None) -> bool:
        """``True`` the first time this pause (the run, and its question's time when it is
        known) is to be told."""
        if run_id not in self._told:
            self._told[run_id] = since
            return True
        told = self._told[run_id]
        if since is None or since == told:
            return False
        self._told[run_id] = since
        return told is not None  # a new question; or the first one told, now read

    def clear(self) -> None:
        self._paused.clear()
        self._read_at.clear()
        self._told.clear()
