"""Payloads shaped like a real Skyvern server's (API doc §2), and the test key."""

from __future__ import annotations

from typing import Any

API_KEY = "sk-test-key-0f3c9a1e7b5d42a8"
"""Long enough (≥ 8 characters) to be registered for scrubbing; not a JWT."""

NAIVE_TS = "2026-11-29T15:08:11.438252"
"""Skyvern sends most timestamps naive; naive means UTC."""


def workflow_json(index: int = 1, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workflow_id": f"w_{index}",
        "workflow_permanent_id": f"wpid_{index}",
        "organization_id": "o_1",
        "title": f"Workflow {index}",
        "version": 1,
        "description": None,
        "is_saved_task": False,
        "status": "published",
        "workflow_definition": {
            "version": 1,
            "parameters": [
                {
                    "parameter_type": "workflow",
                    "key": "url",
                    "workflow_parameter_id": "wp_1",
                    "workflow_parameter_type": "string",
                    "default_value": None,
                    "created_at": "2026-11-29T15:07:43.787901Z",
                }
            ],
            "blocks": [],
        },
        "created_at": NAIVE_TS,
        "modified_at": NAIVE_TS,
    }
    data.update(overrides)
    return data


def run_json(run_id: str = "wr_1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "run_id": run_id,
        "run_type": "workflow_run",
        "status": "created",
        "output": None,
        "created_at": NAIVE_TS,
        "modified_at": NAIVE_TS,
        "app_url": f"http://localhost:8080/runs/{run_id}",
        "run_request": {"workflow_id": "wpid_1", "parameters": {}},
    }
    data.update(overrides)
    return data


def workflow_run_json(run_id: str = "wr_1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workflow_run_id": run_id,
        "workflow_id": "w_1",
        "workflow_permanent_id": "wpid_1",
        "organization_id": "o_1",
        "status": "completed",
        "trigger_type": "api",
        "created_at": NAIVE_TS,
        "modified_at": NAIVE_TS,
    }
    data.update(overrides)
    return data


def schedule_json(schedule_id: str = "wfs_1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workflow_schedule_id": schedule_id,
        "organization_id": "o_1",
        "workflow_permanent_id": "wpid_1",
        "cron_expression": "0 9 * * 1-5",
        "timezone": "America/New_York",
        "enabled": True,
        "parameters": None,
        "name": None,
        "description": None,
        "temporal_schedule_id": f"local-wf-sched-{schedule_id}",
        "created_at": NAIVE_TS,
        "modified_at": NAIVE_TS,
        "deleted_at": None,
    }
    data.update(overrides)
    return data


def schedule_with_next_runs_json(schedule_id: str = "wfs_1", **overrides: Any) -> dict[str, Any]:
    return {
        "schedule": schedule_json(schedule_id, **overrides),
        "next_runs": ["2026-12-01T14:00:00Z", "2026-12-02T14:00:00Z"],
    }
