"""What a run did, in words: steps in order, why it failed, and its inputs (no Qt).

The timeline's shape is the real server's (API doc §9): newest first, a block's actions
with ``step_order``/``action_order``, ``task_v2`` thoughts as items of their own. The real
server's own timelines are read in ``tests/integration/test_ai_runs.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from skyvern_desktop.api.models import TimelineAction, TimelineItem, WorkflowParameter
from skyvern_desktop.core.runs.failure import CATEGORIES, category_advice, explain
from skyvern_desktop.core.runs.inputs import input_rows
from skyvern_desktop.core.runs.steps import action_words, all_steps, steps_of, steps_stamp

# skyvern 1.0.56's FailureCategory, verbatim
SERVER_CATEGORIES = [
    "ANTI_BOT_DETECTION", "PROXY_ERROR", "BROWSER_ERROR", "BROWSER_SESSION_EXPIRED",
    "NAVIGATION_FAILURE", "PAGE_LOAD_TIMEOUT", "ELEMENT_STATE_TIMEOUT", "AUTH_FAILURE",
    "LLM_ERROR", "CREDENTIAL_ERROR", "DATA_EXTRACTION_FAILURE", "ELEMENT_NOT_FOUND",
    "WRONG_PAGE_STATE", "MAX_STEPS_EXCEEDED", "BUDGET_EXHAUSTED", "LLM_REASONING_ERROR",
    "INFRASTRUCTURE_ERROR", "WEBSITE_ERROR", "PARAMETER_BINDING_ERROR", "UNKNOWN",
]  # fmt: skip


def action(kind: str, order: int, **extra: Any) -> dict[str, Any]:
    base = {"action_type": kind, "status": "completed", "step_order": 0, "action_order": order,
            "reasoning": f"because {order}", "screenshot_artifact_id": f"a_{order}"}  # fmt: skip
    return base | extra


def block(label: str, kind: str, status: str, minute: int, actions: list[dict[str, Any]],
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    stamp = f"2026-12-07T10:{minute:02d}:00"
    return {
        "type": "block", "created_at": stamp, "modified_at": stamp, "children": [],
        "block": {"label": label, "block_type": kind, "status": status, "actions": actions,
                  "created_at": stamp, "modified_at": f"2026-12-07T10:{minute:02d}:09"} | extra,
    }  # fmt: skip


def login_timeline(status: str = "completed", last: str = "complete") -> list[TimelineItem]:
    user = {"skyvern_element_data": {"tagName": "input", "attributes": {"name": "username",
            "placeholder": "Username"}}, "element_id": "AAAB"}  # fmt: skip
    button = {"skyvern_element_data": {"tagName": "button", "text": "Sign in"},
              "element_id": "AAAD"}  # fmt: skip
    items = [
        block("open", "goto_url", "completed", 1, []),
        block("sign_in", "login", status, 2, [
            action(last, 3),
            action("click", 2, **button),
            action("input_text", 0, text="placeholder_x_username", **user),
            action("input_text", 1, text="placeholder_x_password", element_id="AAAC"),
        ], error_codes=["AUTH"] if status != "completed" else []),
    ]  # fmt: skip
    return [TimelineItem.model_validate(i) for i in reversed(items)]  # newest first


def test_steps_are_in_run_order_with_actions_in_words() -> None:
    blocks = steps_of(login_timeline())
    assert [b.label for b in blocks] == ["open", "sign_in"]
    words = [s.words for s in blocks[1].steps]
    assert words == ["Typed into Username", "Typed into AAAC", "Clicked Sign in", "Finished"]
    assert [s.number for s in blocks[1].steps] == [1, 2, 3, 4]
    assert len(all_steps(blocks)) == 4


@pytest.mark.parametrize(
    ("kind", "extra", "words"),
    [
        ("terminate", {}, "Gave up"),
        ("complete", {}, "Finished"),
        (
            "select_option",
            {"option": {"label": "Large"}, "element_id": "S1"},
            "Chose “Large” in S1",
        ),
        ("checkbox", {"is_checked": False, "element_id": "C1"}, "Cleared C1"),
        ("some_new_kind", {}, "Some new kind"),
    ],
)
def test_action_words(kind: str, extra: dict[str, Any], words: str) -> None:
    assert action_words(TimelineAction.model_validate(action(kind, 0, **extra))) == words


def test_the_stamp_changes_when_an_action_is_added() -> None:
    before = steps_stamp(login_timeline())
    items = login_timeline()
    assert items[0].block is not None
    items[0].block.actions.append(TimelineAction.model_validate(action("wait", 9, action_id="n")))
    assert steps_stamp(items) != before


def test_task_v2_thoughts_sit_with_their_block() -> None:
    items = [
        block("plan", "task_v2", "completed", 1, []),
        {"type": "thought", "created_at": "2026-12-07T10:01:30", "children": [],
         "thought": {"thought_type": "plan", "thought": "Open the product page",
                     "created_at": "2026-12-07T10:01:30"}},
    ]  # fmt: skip
    blocks = steps_of([TimelineItem.model_validate(i) for i in items])
    assert blocks[0].thoughts[0].kind == "plan"
    assert blocks[0].thoughts[0].text == "Open the product page"


def test_why_a_refused_login_failed_in_one_sentence() -> None:
    blocks = steps_of(login_timeline("terminated", "terminate"))
    why = explain("terminated", "Invalid username or password", ["AUTH_FAILURE"], blocks,
                  steps_used=3)  # fmt: skip
    assert why is not None
    assert why.sentence == (
        "Stopped in block “sign_in” at step 4 (Gave up): Invalid username or password"
        " — the site refused the login."
    )
    assert why.advice == "The site refused the login: check the credential, or its second factor."
    assert why.details() == "Error codes: AUTH · Steps used: 3"


def test_a_model_outage_without_actions_names_the_block() -> None:
    blocks = steps_of([TimelineItem.model_validate(block("look", "navigation", "failed", 1, []))])
    why = explain("failed", "LLM call failed", ["LLM_ERROR"], blocks)
    assert why is not None
    assert why.sentence == (
        "Failed in block “look”: LLM call failed — the AI model could not be reached or failed."
    )
    assert why.advice is not None and "model" in why.advice


def test_no_sentence_for_a_run_that_did_not_end_badly() -> None:
    assert explain("completed", None, [], steps_of(login_timeline())) is None
    assert explain("running", None, [], []) is None


def test_every_server_category_has_words_and_advice() -> None:
    assert set(SERVER_CATEGORIES) == set(CATEGORIES)
    for name in SERVER_CATEGORIES:
        assert category_advice(name)
    assert category_advice("SOMETHING_NEWER") is None
    why = explain("failed", "x", ["SOMETHING_NEWER"], [])
    assert why is not None and why.sentence == "Failed: x — something newer."


def param(key: str, kind: str, default: Any = None) -> WorkflowParameter:
    return WorkflowParameter.model_validate(
        {"parameter_type": "workflow", "key": key, "workflow_parameter_type": kind,
         "default_value": default}
    )  # fmt: skip


def test_inputs_are_named_typed_and_defaults_marked() -> None:
    definition = [
        param("login", "credential_id"),
        param("max_price", "float", 10.5),
        param("notes", "string"),
        param("filters", "json", {"a": 1}),
        param("brochure", "file_url"),
    ]
    parameters = {
        "login": "cred_1", "max_price": 10.5, "notes": "line one\nline two",
        "filters": '{"a": 1}', "brochure": "https://example.com/b.pdf", "old_key": "x",
    }  # fmt: skip
    rows = {r.key: r for r in input_rows(parameters, definition, {"cred_1": "Acme login"})}
    assert list(rows) == ["login", "max_price", "notes", "filters", "brochure", "old_key"]
    assert rows["login"].shown == "Acme login (cred_1)"
    assert rows["login"].kind == "credential"
    assert rows["max_price"].default and rows["filters"].default
    assert not rows["notes"].default and rows["notes"].long
    assert rows["notes"].shown == "line one …"
    assert rows["filters"].is_json and rows["brochure"].is_file
    assert rows["old_key"].known is False and rows["old_key"].label == "old_key"
    assert rows["max_price"].label == "Max price"


def side(run_id: str, items: list[TimelineItem], output: Any, wpid: str = "wpid_1",
         inputs: list[Any] | None = None) -> Any:  # fmt: skip
    from skyvern_desktop.core.runs.compare import RunSide

    return RunSide(run_id, wpid, "x", inputs or [], output, steps_of(items))


def test_compare_aligns_actions_and_marks_the_first_divergence() -> None:
    from skyvern_desktop.core.runs.compare import Change, compare, screenshots_at

    good = side("wr_a", login_timeline(), {"sign_in_output": {"user": "demo", "ok": True}})
    bad = side("wr_b", login_timeline("terminated", "terminate"),
               {"sign_in_output": {"user": "demo"}, "extra": 1})  # fmt: skip
    result = compare(good, bad)
    kinds = [(p.block, p.change, p.is_block) for p in result.steps]
    assert kinds[0] == ("open", Change.SAME, True)
    assert kinds[1] == ("sign_in", Change.CHANGED, True)  # completed vs terminated
    first = result.divergence
    assert first is not None and not first.is_block
    assert first.step_a is not None and first.step_a.words == "Finished"
    assert first.step_b is not None and first.step_b.words == "Gave up"
    assert screenshots_at(result, result.diverges_at or 0) == ("a_3", "a_3")
    assert [(d.path, d.change) for d in result.output] == [
        ("sign_in_output.ok", Change.ONLY_A),
        ("extra", Change.ONLY_B),
    ]


def test_an_extra_action_shifts_nothing_else() -> None:
    from skyvern_desktop.core.runs.compare import Change, compare

    items = login_timeline()
    longer = login_timeline()
    assert longer[0].block is not None
    longer[0].block.actions.append(TimelineAction.model_validate(
        action("scroll", 0, step_order=0, action_order=1, action_id="extra")))  # fmt: skip
    result = compare(side("a", items, None), side("b", longer, None))
    changes = [p.change for p in result.steps if not p.is_block]
    assert changes.count(Change.ONLY_B) == 1
    assert changes.count(Change.SAME) == 4


def test_runs_of_two_workflows_are_refused_in_one_sentence() -> None:
    from skyvern_desktop.core.runs.compare import DifferentWorkflows, compare

    with pytest.raises(DifferentWorkflows, match="different workflows"):
        compare(side("a", [], None, "wpid_1"), side("b", [], None, "wpid_2"))


def test_ids_and_screenshot_addresses_are_not_output_differences() -> None:
    from skyvern_desktop.core.runs.compare import diff_output

    a = {"b_output": {"task_id": "tsk_1", "task_screenshots": ["file:///a"], "price": "$1",
                      "created_at": "x", "workflow_screenshot_artifact_ids": ["a_1"],
                      "extracted_information": {"order_id": "A1", "shipped_at": "1"}}}  # fmt: skip
    b = {"b_output": {"task_id": "tsk_2", "task_screenshots": ["file:///b"], "price": "$2",
                      "created_at": "y", "workflow_screenshot_artifact_ids": ["a_2"],
                      "extracted_information": {"order_id": "A2", "shipped_at": "2"}}}  # fmt: skip
    # Skyvern's own ids, screenshots and stamps are left out; the run's own data is not.
    assert [d.path for d in diff_output(a, b)] == [
        "b_output.price", "b_output.extracted_information.order_id",
        "b_output.extracted_information.shipped_at",
    ]  # fmt: skip
