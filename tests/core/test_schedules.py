"""The schedule rules that need no widgets: what a save sends, Run now, the next run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from skyvern_desktop.api.models import WorkflowParameter, WorkflowSchedule
from skyvern_desktop.core.forms.params import specs_for
from skyvern_desktop.core.schedules.rules import EditorValues, next_run, run_now_request, save_body
from tests.api.support import schedule_json


def _schedule(**overrides: Any) -> WorkflowSchedule:
    return WorkflowSchedule.model_validate(schedule_json(**overrides))


SPECS = specs_for(
    [
        WorkflowParameter.model_validate(
            {"parameter_type": "workflow", "key": key, "workflow_parameter_type": "string",
             "default_value": default}
        )
        for key, default in (("url", "https://example.com"), ("who", None))
    ]
)  # fmt: skip


def _typed(**overrides: Any) -> EditorValues:
    values: dict[str, Any] = {
        "cron_expression": "0 9 * * 1-5", "timezone": "America/New_York", "enabled": True,
        "name": " Mornings ", "description": "", "values": {"url": "https://example.com",
        "who": "Ann"}, "texts": {"url": "https://example.com", "who": "Ann"}, "specs": SPECS,
    }  # fmt: skip
    values.update(overrides)
    return EditorValues(**values)


def test_an_edit_keeps_what_was_not_changed_and_leaves_an_untouched_switch_out() -> None:
    original = _schedule(name="Old", description="Kept", parameters={"who": "Bob"})
    body = save_body(original, True, _typed(description="Kept"))
    sent = body.to_body()
    assert sent["cron_expression"] == "0 9 * * 1-5"
    assert "enabled" not in sent  # unchanged: the server keeps its state (a pause elsewhere)
    assert sent["name"] == "Mornings"
    assert sent["description"] == "Kept"
    # "url" was left to the workflow's default and its field still shows it: it stays out.
    assert sent["parameters"] == {"who": "Ann"}
    assert save_body(original, True, _typed(enabled=False)).to_body()["enabled"] is False


def test_a_copy_of_an_interval_schedule_starts_anew_and_keeps_its_interval() -> None:
    first = datetime(2026, 1, 1, 9, tzinfo=UTC)
    original = _schedule(cron_expression=None, interval_seconds=3600, first_fire_at=first)
    copy = save_body(original, False, _typed(cron_expression=None)).to_body()
    assert copy["interval_seconds"] == 3600
    assert "first_fire_at" not in copy or copy["first_fire_at"] is None
    kept = save_body(original, True, _typed(cron_expression=None)).to_body()
    assert kept["interval_seconds"] == 3600 and kept["first_fire_at"] is not None


def test_run_now_uses_the_schedules_inputs_and_name() -> None:
    request = run_now_request(_schedule(name="Nightly", parameters={"who": "Ann"}))
    assert request.workflow_id == "wpid_1"
    assert request.parameters == {"who": "Ann"}
    assert request.title == "Nightly (run now)"
    assert run_now_request(_schedule()).title == "wfs_1 (run now)"


def test_the_next_run() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert next_run(_schedule(enabled=False)) is None
    cron_next = next_run(_schedule(cron_expression="0 9 * * *", timezone="UTC"))
    assert cron_next is not None and cron_next.hour == 9 and cron_next.minute == 0
    past = _schedule(cron_expression=None, run_at=now - timedelta(hours=1))
    assert next_run(past, now) is None
    future = _schedule(cron_expression=None, run_at=now + timedelta(hours=1))
    assert next_run(future, now) == now + timedelta(hours=1)
    fired = _schedule(
        cron_expression=None, run_at=now + timedelta(hours=1), dispatch_status="fired"
    )
    assert next_run(fired, now) is None
