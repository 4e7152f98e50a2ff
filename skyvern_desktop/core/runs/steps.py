"""What a run did, step by step: its blocks in order, and inside each AI block the
actions the AI took, in words ("Typed into Username", "Clicked Sign in", "Gave up").

Read from the run's timeline (``GET /v1/runs/{id}/timeline``: top-level items newest
first, children inside loops and conditionals, a block's ``actions`` oldest first or in
any order, ``task_v2`` thoughts as items of their own). No Qt.

Typed text that came from a credential is the credential's placeholder: the server
stores nothing more, and nothing here tries to find more.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...api.models import TimelineAction, TimelineBlock, TimelineItem

TEXT_CAP = 80
"""Characters of typed text, an element's name or a thought kept in a step's words."""

# What each action did, in words; the element's name follows where there is one.
VERBS: dict[str, str] = {
    "click": "Clicked",
    "input_text": "Typed into",
    "paste_text": "Pasted into",
    "upload_file": "Uploaded a file to",
    "download_file": "Downloaded a file from",
    "select_option": "Chose an option in",
    "checkbox": "Ticked",
    "hover": "Pointed at",
    "wait": "Waited",
    "null_action": "Did nothing",
    "solve_captcha": "Solved a CAPTCHA",
    "terminate": "Gave up",
    "complete": "Finished",
    "reload_page": "Reloaded the page",
    "close_page": "Closed the page",
    "new_tab": "Opened a new tab",
    "switch_tab": "Switched tabs",
    "extract": "Read the page",
    "verification_code": "Entered a verification code",
    "goto_url": "Went to a page",
    "go_back": "Went back",
    "go_forward": "Went forward",
    "scroll": "Scrolled",
    "keypress": "Pressed a key",
    "move": "Moved the mouse",
    "drag": "Dragged",
    "left_mouse": "Pressed the mouse button",
    "execute_js": "Ran a script on the page",
}
TARGETED = frozenset(
    {"click", "input_text", "paste_text", "upload_file", "download_file", "select_option",
     "checkbox", "hover"}
)  # fmt: skip
# Attributes that name an element, best first.
# Never an element's ``value``: in a password field that is the secret (or its mask).
NAMING_ATTRIBUTES = ("aria-label", "label", "placeholder", "title", "alt", "name", "id")


def _clip(text: str, cap: int = TEXT_CAP) -> str:
    text = " ".join(text.split())
    return text if len(text) <= cap else text[: cap - 1].rstrip() + "…"


def element_name(action: TimelineAction) -> str:
    """The element an action touched, as a person would name it: its visible text, label
    or placeholder; else its HTML id; else the server's element id."""
    data = action.skyvern_element_data or {}
    attributes = data.get("attributes") if isinstance(data.get("attributes"), dict) else {}
    assert isinstance(attributes, dict)
    text = data.get("text")
    if isinstance(text, str) and text.strip():
        return _clip(text, 40)
    for name in NAMING_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and value.strip():
            return _clip(value, 40)
    return action.element_id or ""


def action_words(action: TimelineAction) -> str:
    """One line for an action: "Typed into Username", "Clicked Sign in", "Gave up"."""
    kind = str(action.action_type).lower()
    verb = VERBS.get(kind, kind.replace("_", " ").capitalize() or "Acted")
    if kind in TARGETED:
        name = element_name(action)
        if kind == "checkbox" and action.is_checked is False:
            verb = "Cleared"
        if kind == "select_option" and action.option:
            label = action.option.get("label") or action.option.get("value")
            if isinstance(label, str) and label:
                return f"Chose “{_clip(label, 40)}” in {name}" if name else f"Chose “{label}”"
        return f"{verb} {name}" if name else verb
    return verb


def typed_text(action: TimelineAction) -> str | None:
    """The text an action typed, as the server stores it (a credential's placeholder, for
    a secret); ``None`` for actions that type nothing."""
    if str(action.action_type).lower() in ("input_text", "paste_text") and action.text:
        return action.text
    return None


@dataclass(frozen=True)
class Step:
    """One action, in its block, in the run's order."""

    number: int  # 1-based among the block's actions
    words: str
    action: TimelineAction
    block_label: str

    @property
    def failed(self) -> bool:
        return str(self.action.status or "").lower() == "failed" or (
            str(self.action.action_type).lower() == "terminate"
        )

    @property
    def screenshot_id(self) -> str | None:
        return self.action.screenshot_artifact_id


@dataclass(frozen=True)
class Thought:
    """A ``task_v2`` thought: its kind (plan, observation, answer...) and what it says."""

    kind: str
    text: str
    created_at: datetime | None


@dataclass
class BlockSteps:
    """A block, in run order, with its actions and its children (a loop's iterations)."""

    label: str
    block_type: str
    status: str
    block: TimelineBlock
    steps: list[Step] = field(default_factory=list)
    thoughts: list[Thought] = field(default_factory=list)
    children: list[BlockSteps] = field(default_factory=list)

    @property
    def extracted(self) -> Any:
        """What the block extracted, when it extracted something."""
        output = self.block.output
        if isinstance(output, dict):
            for key in ("extracted_information", "extracted_data"):
                if output.get(key) is not None:
                    return output[key]
        if self.block_type == "extraction" and output not in (None, {}, []):
            return output
        return None

    def walk(self) -> Iterator[BlockSteps]:
        yield self
        for child in self.children:
            yield from child.walk()


def _thought_time(data: dict[str, Any]) -> datetime | None:
    """A thought's ``created_at`` (thoughts are plain JSON: the stamp is text)."""
    value = data.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _when(item: TimelineItem) -> float:
    stamp = item.block.created_at if item.block is not None else None
    stamp = stamp or item.created_at
    if stamp is None and item.thought:
        stamp = _thought_time(item.thought)
    return stamp.timestamp() if stamp is not None else 0.0


def in_order(items: Sequence[TimelineItem]) -> list[TimelineItem]:
    """Timeline items oldest first (the server sends the newest first)."""
    return sorted(items, key=_when)


def _order(action: TimelineAction) -> tuple[int, int, float]:
    when = action.created_at.timestamp() if action.created_at is not None else 0.0
    return (action.step_order or 0, action.action_order or 0, when)


def thought_of(data: dict[str, Any]) -> Thought:
    kind = str(data.get("thought_type") or data.get("thought_scenario") or "thought")
    parts = [data.get(k) for k in ("thought", "observation", "answer")]
    text = "\n".join(str(p) for p in parts if p not in (None, "", {}, []))
    if not text and data.get("output") is not None:
        text = json.dumps(data["output"], ensure_ascii=False)
    return Thought(kind.replace("_", " "), text, _thought_time(data))


def steps_of(timeline: Sequence[TimelineItem]) -> list[BlockSteps]:
    """Every block in run order, each with its actions in order; a ``task_v2`` block's
    thoughts in their place (a thought between blocks goes with the block before it)."""
    out: list[BlockSteps] = []
    loose: list[Thought] = []  # thoughts before any block
    for item in in_order(timeline):
        if item.block is None:
            if item.thought is not None:
                (out[-1].thoughts if out else loose).append(thought_of(item.thought))
            continue
        out.append(_block(item))
    if loose and out:
        out[0].thoughts[:0] = loose
    return out


def _block(item: TimelineItem) -> BlockSteps:
    block = item.block
    assert block is not None
    label = block.label or block.block_type or "block"
    node = BlockSteps(label, str(block.block_type or ""), str(block.status or ""), block)
    for number, action in enumerate(sorted(block.actions, key=_order), start=1):
        node.steps.append(Step(number, action_words(action), action, label))
    for child in in_order(item.children):
        if child.block is None:
            if child.thought is not None:
                node.thoughts.append(thought_of(child.thought))
        else:
            node.children.append(_block(child))
    return node


def all_steps(blocks: Sequence[BlockSteps]) -> list[Step]:
    """Every action of the run, in order."""
    return [step for top in blocks for node in top.walk() for step in node.steps]


def step_count(blocks: Sequence[BlockSteps]) -> int:
    return sum(len(node.steps) for top in blocks for node in top.walk())


def steps_stamp(timeline: Sequence[TimelineItem]) -> tuple[object, ...]:
    """Changes whenever a block or an action is added or changes status."""

    def stamp(item: TimelineItem) -> tuple[object, ...]:
        block = item.block
        if block is None:
            return ("thought", str(item.thought)[:200] if item.thought else "")
        return (
            block.workflow_run_block_id, str(block.status), block.modified_at,
            tuple((a.action_id, a.status) for a in block.actions),
            tuple(stamp(c) for c in item.children),
        )  # fmt: skip

    return tuple(stamp(item) for item in timeline)
