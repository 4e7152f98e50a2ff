"""Why a run failed, in plain words: one sentence (the reason, the block and the action
where it happened, the category in words) and one line on what to try.

The categories are the server's (``failure_category`` of ``GET
/api/v1/workflows/{wpid}/runs/{id}``; Skyvern's ``FailureCategory`` enum). No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .steps import BlockSteps, Step

ENDED_BADLY = frozenset({"failed", "terminated", "timed_out", "canceled"})

# Each category: what it means, in words, and what to try.
CATEGORIES: dict[str, tuple[str, str]] = {
    "AUTH_FAILURE": (
        "the site refused the login",
        "The site refused the login: check the credential, or its second factor.",
    ),
    "CREDENTIAL_ERROR": (
        "the credential could not be used",
        "Check that the credential the run was given still exists and has a username and password.",
    ),
    "ANTI_BOT_DETECTION": (
        "the site blocked the browser as a robot",
        "The site's bot protection stopped the run: try another proxy location, or a"
        " browser profile that is already signed in.",
    ),
    "PROXY_ERROR": (
        "the proxy failed",
        "The proxy could not reach the site: try another proxy location, or none.",
    ),
    "BROWSER_ERROR": (
        "the browser failed",
        "The run's browser stopped working: run it again; if it keeps failing, tell the"
        " server's administrator.",
    ),
    "BROWSER_SESSION_EXPIRED": (
        "the browser session had ended",
        "The browser session the run used had ended: start a new session, or run without one.",
    ),
    "NAVIGATION_FAILURE": (
        "the page could not be opened",
        "Check the address the run opens, and that the site is up and reachable from the server.",
    ),
    "PAGE_LOAD_TIMEOUT": (
        "the page took too long to load",
        "The site was slow or did not answer: check it is up, then run again.",
    ),
    "ELEMENT_STATE_TIMEOUT": (
        "a part of the page never became ready",
        "Something on the page did not appear or become usable in time: run again, or"
        " make the goal say what to wait for.",
    ),
    "ELEMENT_NOT_FOUND": (
        "the AI could not find what it looked for on the page",
        "Describe in the goal what to click or fill, in the words the page uses.",
    ),
    "WRONG_PAGE_STATE": (
        "the page was not in the state the run expected",
        "The page looked different than the goal expects: look at the screenshots, then"
        " adjust the goal or the starting address.",
    ),
    "LLM_ERROR": (
        "the AI model could not be reached or failed",
        "The AI model failed to answer: check the model's settings and quota, then run again.",
    ),
    "LLM_REASONING_ERROR": (
        "the AI model's answer made no sense",
        "The AI gave an answer it could not act on: make the goal simpler or more precise.",
    ),
    "MAX_STEPS_EXCEEDED": (
        "the run used all the steps it was allowed",
        "The run ran out of steps: split the goal into smaller blocks, or allow more steps.",
    ),
    "BUDGET_EXHAUSTED": (
        "the account's budget ran out",
        "The organization has used its credits: add more, or wait for the next period.",
    ),
    "DATA_EXTRACTION_FAILURE": (
        "the data could not be extracted",
        "Check that the page shows the data, and that the extraction schema fits it.",
    ),
    "INFRASTRUCTURE_ERROR": (
        "the server had an internal problem",
        "Something failed inside the Skyvern server: run again; if it keeps failing, tell"
        " the server's administrator.",
    ),
    "WEBSITE_ERROR": (
        "the site answered with an error",
        "The site itself answered with an error: check it works in a browser, then run again.",
    ),
    "PARAMETER_BINDING_ERROR": (
        "an input could not be used",
        "An input the workflow needs was missing or of the wrong kind: check the run's"
        " inputs and run it again with edits.",
    ),
    "UNKNOWN": (
        "the cause is not known",
        "Look at the steps and screenshots to see where it stopped.",
    ),
}

STATUS_WORDS = {
    "failed": "Failed",
    "terminated": "Stopped",
    "timed_out": "Timed out",
    "canceled": "Canceled",
}


def category_words(category: str) -> str:
    known = CATEGORIES.get(category.upper())
    return known[0] if known else category.replace("_", " ").lower()


def category_advice(category: str) -> str | None:
    known = CATEGORIES.get(category.upper())
    return known[1] if known else None


@dataclass(frozen=True)
class Explanation:
    sentence: str
    advice: str | None
    category: str | None
    block: str | None
    step: Step | None
    codes: tuple[str, ...]
    steps_used: int | None

    def details(self) -> str:
        """The line under the sentence: error codes and steps used, when known."""
        parts = []
        if self.codes:
            parts.append("Error codes: " + ", ".join(self.codes))
        if self.steps_used is not None:
            parts.append(f"Steps used: {self.steps_used}")
        return " · ".join(parts)


def failing_block(blocks: Sequence[BlockSteps]) -> BlockSteps | None:
    """The innermost, last block that ended badly."""
    found: BlockSteps | None = None
    for top in blocks:
        for node in top.walk():
            if node.status.lower() in ENDED_BADLY:
                found = node
    return found


def failing_step(block: BlockSteps | None) -> Step | None:
    """The action where the block stopped: its last failed action, or its "gave up",
    else its last action."""
    if block is None or not block.steps:
        return None
    for step in reversed(block.steps):
        if step.failed:
            return step
    return block.steps[-1]


def explain(
    status: str,
    failure_reason: str | None,
    categories: Sequence[str],
    blocks: Sequence[BlockSteps],
    *,
    steps_used: int | None = None,
) -> Explanation | None:
    """The one sentence for a run that ended badly; ``None`` for one that did not."""
    status = status.lower()
    if status not in ENDED_BADLY:
        return None
    block = failing_block(blocks)
    step = failing_step(block)
    reason = " ".join(
        (failure_reason or (block.block.failure_reason if block else "") or "").split()
    )
    category = categories[0].upper() if categories else None
    where = ""
    if block is not None:
        where = f" in block “{block.label}”"
        if step is not None:
            where += f" at step {step.number} ({step.words})"
    sentence = STATUS_WORDS.get(status, status.capitalize()) + where
    if reason:
        sentence += f": {reason.rstrip('.')}"
    if category is not None:
        sentence += f" — {category_words(category)}"
    sentence += "."
    codes: tuple[str, ...] = ()
    if block is not None:
        codes = tuple(block.block.error_codes)
    if status == "canceled" and category is None:
        advice: str | None = "Someone canceled the run; run it again when it is wanted."
    else:
        advice = category_advice(category) if category else None
    return Explanation(sentence, advice, category, block.label if block else None, step, codes,
                       steps_used)  # fmt: skip
