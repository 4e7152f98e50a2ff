"""Two runs of one workflow, compared: the inputs that differ, the output as a tree diff,
and the steps aligned block by block and action by action, with the first place where
they diverge. No Qt.

Alignment: blocks pair by label in run order (a loop's iterations by their order);
within a pair of blocks, actions pair by what they did (kind and element) with
:class:`difflib.SequenceMatcher`, so one extra action on one side shifts nothing else.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from .steps import BlockSteps, Step, element_name

if TYPE_CHECKING:
    from .inputs import InputRow


class DifferentWorkflows(ValueError):
    """Two runs of different workflows: they cannot be compared."""


class Change(Enum):
    SAME = "same"
    CHANGED = "changed"
    ONLY_A = "only in A"
    ONLY_B = "only in B"


@dataclass(frozen=True)
class RunSide:
    """One run, as much of it as the comparison needs."""

    run_id: str
    workflow_id: str
    status: str
    inputs: Sequence[InputRow]
    output: Any
    blocks: Sequence[BlockSteps]
    failure_reason: str | None = None


@dataclass(frozen=True)
class InputDiff:
    key: str
    label: str
    a: str | None  # None: the run did not have this input
    b: str | None


@dataclass(frozen=True)
class OutputDiff:
    path: str  # "block_output.extracted_information.price"
    change: Change
    a: Any
    b: Any


@dataclass(frozen=True)
class StepPair:
    """One row of the aligned steps: a block heading (``step_a``/``step_b`` None) or a
    pair of actions, either of which may be missing."""

    block: str
    step_a: Step | None
    step_b: Step | None
    change: Change
    block_status: tuple[str | None, str | None] = (None, None)

    @property
    def is_block(self) -> bool:
        return self.step_a is None and self.step_b is None


@dataclass
class Comparison:
    a: RunSide
    b: RunSide
    inputs: list[InputDiff] = field(default_factory=list)
    output: list[OutputDiff] = field(default_factory=list)
    steps: list[StepPair] = field(default_factory=list)
    diverges_at: int | None = None  # index into ``steps``: the first row that differs

    @property
    def divergence(self) -> StepPair | None:
        return self.steps[self.diverges_at] if self.diverges_at is not None else None


def signature(step: Step) -> tuple[str, str]:
    """What an action did, for pairing: its kind and the element it touched."""
    return (str(step.action.action_type).lower(), element_name(step.action))


def diff_inputs(a: Sequence[InputRow], b: Sequence[InputRow]) -> list[InputDiff]:
    rows_a = {r.key: r for r in a}
    rows_b = {r.key: r for r in b}
    out: list[InputDiff] = []
    for key in [*rows_a, *(k for k in rows_b if k not in rows_a)]:
        ra, rb = rows_a.get(key), rows_b.get(key)
        va = ra.shown if ra is not None else None
        vb = rb.shown if rb is not None else None
        same = ra is not None and rb is not None and ra.value == rb.value
        if not same:
            label = (ra or rb).label if (ra or rb) is not None else key  # type: ignore[union-attr]
            out.append(InputDiff(key, label, va, vb))
    return out


SKYVERN_METADATA = frozenset({
    "task_id", "workflow_run_id", "workflow_run_block_id", "workflow_id", "step_id", "run_id",
    "task_screenshots", "workflow_screenshots", "task_screenshot_artifact_ids",
    "workflow_screenshot_artifact_ids", "screenshot_urls", "recording_url", "created_at",
    "modified_at", "started_at", "finished_at",
})  # fmt: skip
"""Keys Skyvern itself adds to every block's output, whose values differ between any two
runs (its ids, the addresses of its screenshots, its timestamps). The run's own data
(an extracted ``order_id`` or ``shipped_at``) is always compared."""


def is_noise(key: str) -> bool:
    """Skyvern's own bookkeeping in an output: left out of the differences, which would
    drown in it."""
    return key in SKYVERN_METADATA


def diff_output(a: Any, b: Any, path: str = "") -> list[OutputDiff]:
    """Where two JSON values differ, as paths (a tree diff, leaves and whole subtrees).
    Ids, screenshot addresses and timestamps are left out (:func:`is_noise`)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[OutputDiff] = []
        for key in [*a, *(k for k in b if k not in a)]:
            if is_noise(str(key)):
                continue
            sub = f"{path}.{key}" if path else str(key)
            if key not in b:
                out.append(OutputDiff(sub, Change.ONLY_A, a[key], None))
            elif key not in a:
                out.append(OutputDiff(sub, Change.ONLY_B, None, b[key]))
            else:
                out.extend(diff_output(a[key], b[key], sub))
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            sub = f"{path}[{i}]"
            if i >= len(b):
                out.append(OutputDiff(sub, Change.ONLY_A, a[i], None))
            elif i >= len(a):
                out.append(OutputDiff(sub, Change.ONLY_B, None, b[i]))
            else:
                out.extend(diff_output(a[i], b[i], sub))
        return out
    if a == b:
        return []
    return [OutputDiff(path or "(the whole output)", Change.CHANGED, a, b)]


def _flat_blocks(blocks: Sequence[BlockSteps]) -> list[BlockSteps]:
    return [node for top in blocks for node in top.walk()]


def _block_key(nodes: Sequence[BlockSteps]) -> list[str]:
    """Labels, with the n-th repeat of a label (a loop's iterations) told apart."""
    seen: dict[str, int] = {}
    keys = []
    for node in nodes:
        seen[node.label] = seen.get(node.label, 0) + 1
        keys.append(f"{node.label}#{seen[node.label]}")
    return keys


def _same_step(x: Step, y: Step) -> bool:
    return signature(x) == signature(y) and (x.action.status or "") == (y.action.status or "")


def align_steps(a: Sequence[BlockSteps], b: Sequence[BlockSteps]) -> list[StepPair]:
    nodes_a, nodes_b = _flat_blocks(a), _flat_blocks(b)
    keys_a, keys_b = _block_key(nodes_a), _block_key(nodes_b)
    pairs: list[StepPair] = []
    blocks = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in blocks.get_opcodes():
        if tag == "equal":
            for na, nb in zip(nodes_a[i1:i2], nodes_b[j1:j2], strict=True):
                pairs.extend(_pair_block(na, nb))
            continue
        for na in nodes_a[i1:i2]:
            pairs.extend(_pair_block(na, None))
        for nb in nodes_b[j1:j2]:
            pairs.extend(_pair_block(None, nb))
    return pairs


def _pair_block(na: BlockSteps | None, nb: BlockSteps | None) -> list[StepPair]:
    label = (na or nb).label  # type: ignore[union-attr]
    status = (na.status if na else None, nb.status if nb else None)
    if na is None or nb is None:
        change = Change.ONLY_B if na is None else Change.ONLY_A
    else:
        change = Change.SAME if na.status == nb.status else Change.CHANGED
    out = [StepPair(label, None, None, change, status)]
    steps_a = na.steps if na else []
    steps_b = nb.steps if nb else []
    matcher = difflib.SequenceMatcher(
        None, [signature(s) for s in steps_a], [signature(s) for s in steps_b], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for x, y in zip(steps_a[i1:i2], steps_b[j1:j2], strict=True):
                out.append(
                    StepPair(label, x, y, Change.SAME if _same_step(x, y) else Change.CHANGED)
                )
        elif tag == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                sa = steps_a[i1 + k] if i1 + k < i2 else None
                sb = steps_b[j1 + k] if j1 + k < j2 else None
                kind = Change.CHANGED if sa and sb else (Change.ONLY_A if sa else Change.ONLY_B)
                out.append(StepPair(label, sa, sb, kind))
        else:
            out.extend(StepPair(label, x, None, Change.ONLY_A) for x in steps_a[i1:i2])
            out.extend(StepPair(label, None, y, Change.ONLY_B) for y in steps_b[j1:j2])
    return out


def compare(a: RunSide, b: RunSide) -> Comparison:
    if a.workflow_id != b.workflow_id:
        raise DifferentWorkflows(
            "These two runs belong to different workflows; only two runs of the same"
            " workflow can be compared."
        )
    result = Comparison(a, b)
    result.inputs = diff_inputs(a.inputs, b.inputs)
    result.output = diff_output(a.output, b.output)
    result.steps = align_steps(a.blocks, b.blocks)
    differs = [i for i, pair in enumerate(result.steps) if pair.change is not Change.SAME]
    # The first action that differs; a block's status differing is only the divergence
    # when no action inside it does (its actions are where the runs went apart).
    actions = [i for i in differs if not result.steps[i].is_block]
    first = actions or differs
    result.diverges_at = first[0] if first else None
    return result


def screenshots_at(comparison: Comparison, index: int) -> tuple[str | None, str | None]:
    """The screenshots of each run at row ``index``: the row's own action's, else the
    latest action before it on that side that has one."""

    def latest(side: str) -> str | None:
        for pair in reversed(comparison.steps[: index + 1]):
            step = pair.step_a if side == "a" else pair.step_b
            if step is not None and step.screenshot_id:
                return step.screenshot_id
        return None

    return latest("a"), latest("b")
