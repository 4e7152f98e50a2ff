"""Where a run stands: the block it is in, and that block's place among the workflow's.

Read from the run's timeline (``GET /v1/runs/{id}/timeline``: top-level blocks, newest
first or in order, with children for loops and conditionals) and the workflow's own
list of blocks. No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...api.enums import is_terminal

if TYPE_CHECKING:
    from ...api.models import TimelineItem


@dataclass(frozen=True)
class BlockPlace:
    label: str
    number: int | None  # 1-based place among the workflow's top-level blocks
    total: int | None
    url: str | None  # the page that block last reported, if any

    def text(self) -> str:
        if self.number is not None and self.total:
            return f"Block {self.number} of {self.total}: {self.label}"
        return f"Block: {self.label}"


def block_labels(blocks: Sequence[Any]) -> list[str]:
    """The top-level labels of a workflow definition's ``blocks``."""
    return [str(b.get("label")) for b in blocks if isinstance(b, dict) and b.get("label")]


def _stamp(item: TimelineItem) -> float:
    when = item.block.created_at if item.block is not None else None
    when = when or item.created_at
    return when.timestamp() if when is not None else 0.0


def current_block(timeline: Sequence[TimelineItem], labels: Sequence[str]) -> BlockPlace | None:
    """The top-level block the run is in: the newest one still going, else the newest."""
    blocks = [t for t in timeline if t.block is not None and t.block.label]
    if not blocks:
        return None
    blocks.sort(key=_stamp)
    going = [t for t in blocks if t.block is not None and not _ended(t)]
    item = (going or blocks)[-1]
    assert item.block is not None and item.block.label
    label = item.block.label
    number = labels.index(label) + 1 if label in labels else None
    return BlockPlace(label, number, len(labels) or None, _newest_url(item))


def _ended(item: TimelineItem) -> bool:
    status = item.block.status if item.block is not None else None
    return status is not None and is_terminal(status)


def _newest_url(item: TimelineItem) -> str | None:
    for child in reversed(item.children):
        if url := _newest_url(child):
            return url
    return item.block.url if item.block is not None else None


def timeline_stamp(timeline: Sequence[TimelineItem]) -> tuple[object, ...]:
    """What changes when the timeline does: each block's label, status and last change."""

    def walk(items: Sequence[TimelineItem]) -> tuple[object, ...]:
        return tuple(
            (
                t.block.label if t.block else t.type,
                str(t.block.status) if t.block else None,
                t.block.modified_at if t.block else t.modified_at,
                walk(t.children),
            )
            for t in items
        )

    return walk(timeline)
