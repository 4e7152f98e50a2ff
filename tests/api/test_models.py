"""The models tolerate a newer server: unknown fields, unknown enum values, naive timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyvern_desktop.api.models import (
    TERMINAL_STATUSES,
    Artifact,
    GeoTarget,
    OrganizationScheduleItem,
    ParameterType,
    ProxyLocation,
    RunResponse,
    RunStatus,
    RunType,
    SchedulePage,
    ScheduleUpsert,
    ScheduleWithNextRuns,
    TimelineItem,
    TriggerType,
    Workflow,
    WorkflowParameterType,
    WorkflowRun,
    WorkflowRunRequest,
    WorkflowSchedule,
    is_terminal,
)
from tests.api.conftest import ClientFactory
from tests.api.support import (
    NAIVE_TS,
    run_json,
    schedule_json,
    schedule_with_next_runs_json,
    workflow_json,
)
from tests.api.support import workflow_run_json as wr_json
from tests.fakes.server import FakeServer

EXPECTED_NAIVE = datetime(2026, 11, 29, 15, 8, 11, 438252, tzinfo=UTC)


def _run(**overrides: Any) -> RunResponse:
    return RunResponse.model_validate_json(json.dumps(run_json(**overrides)))


# ---------------------------------------------------------------------- runs


def test_known_status_becomes_the_enum_member() -> None:
    run = _run(status="completed")
    assert run.status is RunStatus.COMPLETED
    assert run.is_terminal


def test_unknown_status_is_kept_as_text() -> None:
    run = _run(status="quantum_state")
    assert run.status == "quantum_state"
    assert not isinstance(run.status, RunStatus)
    assert not run.is_terminal


def test_unknown_and_missing_run_type() -> None:
    assert _run(run_type="task_v9").run_type == "task_v9"
    assert _run(run_type="workflow_run").run_type is RunType.WORKFLOW_RUN
    data = run_json()
    del data["run_type"]
    assert RunResponse.model_validate(data).run_type is None


def test_extra_fields_are_ignored() -> None:
    run = _run(
        script_run={"ai_fallback_triggered": False},
        run_with="agent",
        browser_seed_source="fresh",
        brand_new_field={"nested": [1, 2]},
    )
    assert run.run_id == "wr_1"
    assert "brand_new_field" not in run.model_dump()
    assert not hasattr(run, "brand_new_field")


def test_naive_timestamps_are_utc_and_aware_ones_are_kept() -> None:
    run = _run(
        queued_at="2026-11-29T15:08:11Z",
        started_at="2026-11-29T17:08:11+02:00",
        finished_at=None,
    )
    assert run.created_at == EXPECTED_NAIVE
    assert run.created_at.tzinfo is UTC
    assert run.modified_at.tzinfo is UTC
    assert run.queued_at == datetime(2026, 11, 29, 15, 8, 11, tzinfo=UTC)
    assert run.started_at is not None
    assert run.started_at.utcoffset() == timedelta(hours=2)
    assert run.started_at == run.queued_at  # the same instant
    assert run.finished_at is None


def test_output_may_be_anything() -> None:
    for output in [None, "text", [1, "a"], {"fetch_output": {"status_code": 200}}]:
        assert _run(output=output).output == output


def test_workflow_permanent_id_comes_from_run_request() -> None:
    assert _run().workflow_permanent_id == "wpid_1"
    assert _run(run_request={"agent_id": "wpid_2"}).workflow_permanent_id == "wpid_2"
    assert _run(run_request={"workflow_id": 5}).workflow_permanent_id is None
    assert _run(run_request=None).workflow_permanent_id is None


def test_terminal_statuses_match_the_server() -> None:
    assert {"completed", "failed", "terminated", "canceled", "timed_out"} == TERMINAL_STATUSES
    assert not is_terminal("running")
    assert not is_terminal("paused")
    assert is_terminal("timed_out")


def test_workflow_run_list_item() -> None:
    item = WorkflowRun.model_validate(wr_json(trigger_type="carrier_pigeon", status="running"))
    assert item.trigger_type == "carrier_pigeon"
    assert item.status is RunStatus.RUNNING
    assert not item.is_terminal
    assert WorkflowRun.model_validate(wr_json()).trigger_type is TriggerType.API
    assert item.created_at == EXPECTED_NAIVE


def test_timeline_nests_children() -> None:
    data = [
        {
            "type": "block",
            "block": {"label": "open", "block_type": "goto_url", "status": "completed"},
            "children": [
                {"type": "thought", "thought": {"answer": "ok"}, "created_at": NAIVE_TS},
                {"type": "hologram"},
            ],
            "created_at": NAIVE_TS,
        }
    ]
    items = pydantic.TypeAdapter(list[TimelineItem]).validate_json(json.dumps(data))
    assert items[0].block is not None
    assert items[0].block.status is RunStatus.COMPLETED
    assert [c.type for c in items[0].children] == ["thought", "hologram"]
    assert items[0].children[0].created_at == EXPECTED_NAIVE
    assert items[0].children[1].children == []


def test_artifact_unknown_type_and_screenshot_test() -> None:
    base = {"artifact_id": "a_1", "uri": "file:///x.png", "created_at": NAIVE_TS}
    assert Artifact.model_validate({**base, "artifact_type": "screenshot_llm"}).is_screenshot
    odd = Artifact.model_validate({**base, "artifact_type": "hologram"})
    assert odd.artifact_type == "hologram"
    assert not odd.is_screenshot


# ---------------------------------------------------------------------- workflows


def test_workflow_inputs_and_required() -> None:
    params: list[dict[str, Any]] = [
        {"parameter_type": "workflow", "key": "url", "workflow_parameter_type": "string"},
        {
            "parameter_type": "workflow",
            "key": "count",
            "workflow_parameter_type": "integer",
            "default_value": 3,
        },
        {"parameter_type": "workflow", "key": "login", "workflow_parameter_type": "credential_id"},
        {"parameter_type": "output", "key": "open_output", "output_parameter_id": "op_1"},
        {"parameter_type": "context", "key": "ctx", "source": {"key": "url"}},
        {"parameter_type": "quantum", "key": "q"},
        {"parameter_type": "workflow", "key": "shape", "workflow_parameter_type": "hexagon"},
    ]
    workflow = Workflow.model_validate(
        workflow_json(workflow_definition={"parameters": params, "blocks": [{"x": 1}]})
    )
    assert [p.key for p in workflow.inputs] == ["url", "count", "login", "shape"]
    assert [p.is_required for p in workflow.inputs] == [True, False, False, True]
    by_key = {p.key: p for p in workflow.workflow_definition.parameters}
    assert by_key["open_output"].parameter_type is ParameterType.OUTPUT
    assert by_key["q"].parameter_type == "quantum"
    assert not by_key["q"].is_required
    assert by_key["shape"].workflow_parameter_type == "hexagon"
    assert by_key["login"].workflow_parameter_type is WorkflowParameterType.CREDENTIAL_ID


def test_workflow_minimal_and_unknown_status() -> None:
    workflow = Workflow.model_validate(
        {
            "workflow_id": "w_1",
            "workflow_permanent_id": "wpid_1",
            "title": "T",
            "status": "archived_in_space",
            "agent_id": "wpid_1",
            "run_with": "code",
        }
    )
    assert workflow.status == "archived_in_space"
    assert workflow.inputs == []
    assert workflow.created_at is None


# ---------------------------------------------------------------------- schedules


def test_schedule_alias_and_round_trip_to_upsert() -> None:
    schedule = WorkflowSchedule.model_validate(
        schedule_json(name="Daily", parameters={"url": "https://example.com"})
    )
    assert schedule.backend_schedule_id == "local-wf-sched-wfs_1"
    upsert = schedule.to_upsert()
    assert upsert.to_body() == {
        "cron_expression": "0 9 * * 1-5",
        "timezone": "America/New_York",
        "enabled": True,
        "parameters": {"url": "https://example.com"},
        "name": "Daily",
        "description": None,
    }


def test_schedule_upsert_body_always_has_every_field() -> None:
    body = ScheduleUpsert(cron_expression="*/5 * * * *", timezone="UTC").to_body()
    assert body == {
        "cron_expression": "*/5 * * * *",
        "timezone": "UTC",
        "enabled": True,
        "parameters": None,
        "name": None,
        "description": None,
    }


def test_next_runs_are_aware() -> None:
    result = ScheduleWithNextRuns.model_validate(schedule_with_next_runs_json())
    assert result.next_runs == [
        datetime(2026, 12, 1, 14, tzinfo=UTC),
        datetime(2026, 12, 2, 14, tzinfo=UTC),
    ]
    assert result.schedule.created_at == EXPECTED_NAIVE


def test_schedule_page_defaults_and_items() -> None:
    assert SchedulePage.model_validate({}) == SchedulePage(
        schedules=[], total_count=0, page=1, page_size=10
    )
    item = OrganizationScheduleItem.model_validate(
        {k: v for k, v in schedule_json().items() if k not in {"temporal_schedule_id"}}
    )
    assert item.workflow_title == "Untitled Workflow"
    assert item.next_run is None


# ---------------------------------------------------------------------- run requests


def test_run_request_body_leaves_out_unset_options() -> None:
    body = WorkflowRunRequest(
        workflow_id="wpid_1",
        parameters={"count": 3},
        proxy_location=ProxyLocation.US_CA,
        run_metadata={"source": "desktop"},
    ).to_body()
    assert body == {
        "workflow_id": "wpid_1",
        "parameters": {"count": 3},
        "proxy_location": "US-CA",
        "run_metadata": {"source": "desktop"},
    }


def test_run_request_geo_target() -> None:
    body = WorkflowRunRequest(
        workflow_id="wpid_1", proxy_location=GeoTarget(country="de", city="Berlin")
    ).to_body()
    assert body["proxy_location"] == {"country": "DE", "city": "Berlin"}
    with pytest.raises(pydantic.ValidationError, match="Proxies are not offered in 'XX'"):
        GeoTarget(country="xx")


@pytest.mark.parametrize("minutes", [0, 481])
def test_run_request_bounds(minutes: int) -> None:
    with pytest.raises(pydantic.ValidationError):
        WorkflowRunRequest(workflow_id="wpid_1", max_elapsed_time_minutes=minutes)


# ---------------------------------------------------------------------- through the client


@pytest.mark.asyncio
async def test_client_tolerates_a_newer_server(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json(
        "GET",
        "/v1/runs/wr_1",
        run_json(status="quantum_state", run_type="task_v9", new_top_level={"a": 1}),
    )
    run = await make_client().get_run("wr_1")
    assert run.status == "quantum_state"
    assert run.run_type == "task_v9"
    assert run.created_at == EXPECTED_NAIVE


# ---------------------------------------------------------------------- properties

RUN_FIELDS = set(RunResponse.model_fields)
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    status=st.text(),
    extra=st.dictionaries(
        st.text(min_size=1, max_size=20).filter(lambda k: k not in RUN_FIELDS),
        JSON_VALUES,
        max_size=6,
    ),
)
def test_run_response_accepts_any_status_and_extra_keys(status: str, extra: dict[str, Any]) -> None:
    data = {**extra, **run_json(status=status)}
    run = RunResponse.model_validate_json(json.dumps(data))
    assert run.status == status
    assert isinstance(run.status, RunStatus) == (status in set(RunStatus))
    assert run.is_terminal == (status in TERMINAL_STATUSES)
    assert run.created_at == EXPECTED_NAIVE
    assert set(run.model_dump()) == RUN_FIELDS


def test_interval_and_one_time_schedules_parse_and_round_trip() -> None:
    """skyvern 1.0.56 also has interval and one-time schedules (no cron expression).
    They must parse, and a PUT built from them must keep their timing."""
    interval = WorkflowSchedule.model_validate(
        schedule_json(
            cron_expression=None,
            interval_seconds=900,
            first_fire_at="2026-12-01T10:00:00Z",
            name="Every quarter hour",
        )
    )
    assert interval.is_interval and not interval.is_one_time and interval.can_pause
    body = interval.to_upsert().to_body()
    assert body["interval_seconds"] == 900
    assert body["first_fire_at"] == "2026-12-01T10:00:00Z"
    assert "cron_expression" not in body and "run_at" not in body
    assert body["name"] == "Every quarter hour"

    once = WorkflowSchedule.model_validate(
        schedule_json(
            cron_expression=None, run_at="2026-12-24T18:00:00Z", dispatch_status="pending"
        )
    )
    assert once.is_one_time and not once.can_pause
    assert once.to_upsert().to_body()["run_at"] == "2026-12-24T18:00:00Z"
