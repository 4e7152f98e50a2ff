"""Runs that wait for a person: what they ask, how long they wait, and telling once.

A ``human_interaction`` block sets its run's status to ``paused`` and waits, polling every
5 s, until someone approves (``continue``) or rejects (cancel), or its ``timeout_seconds``
pass (two hours unless the workflow says otherwise). Its timeline block, still
``running``, carries the instructions and the two answers' labels; the timeout is in the
workflow's definition. No Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..api.enums import RunStatus, is_terminal

if TYPE_CHECKING:
    from ..api.models import TimelineItem

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


class PausedRuns:
    """Which runs wait for a person, as far as this app knows, so each pause is told once.

    Two sources report: run panes (each reading of a watched run) and a periodic list of
    the server's paused runs. A run is told about when it is first seen paused; once seen
    running or ended it is forgotten, so a second pause of the same run is told again.
    """

    def __init__(self) -> None:
        self._paused: dict[str, str | None] = {}  # run id -> workflow title, when known

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._paused

    def __len__(self) -> int:
        return len(self._paused)

    @property
    def run_ids(self) -> list[str]:
        return list(self._paused)

    def report(self, run_id: str, paused: bool, title: str | None = None) -> bool:
        """One run's status now; ``True`` when it has just started to wait (tell once)."""
        if not paused:
            self._paused.pop(run_id, None)
            return False
        if run_id in self._paused:
            if title and not self._paused[run_id]:
                self._paused[run_id] = title
            return False
        self._paused[run_id] = title
        return True

    def sync(self, paused: dict[str, str | None], *, complete: bool) -> list[str]:
        """The server's list of paused runs (id → title); returns the newly paused ones.
        When the list is ``complete`` (not cut at a page's end), runs missing from it no
        longer wait and are forgotten."""
        if complete:
            for run_id in [r for r in self._paused if r not in paused]:
                del self._paused[run_id]
        return [run_id for run_id, title in paused.items() if self.report(run_id, True, title)]

    def clear(self) -> None:
        self._paused.clear()
