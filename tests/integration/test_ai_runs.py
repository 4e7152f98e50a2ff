"""AI blocks run for real: the real server's Chromium works on a loopback site, its model is
the scripted one (tests/support/scripted_model.py), and everything asserted here is what the
server itself stored and answers (runs, timelines, artifacts, failure categories).

The runs are made once per session by the ``ai_runs`` fixture (tests/support/ai_runs.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.realserver import RealServer
from tests.support.ai_runs import WRONG_PASSWORD, AiRun, AiRuns
from tests.support.ai_site import (
    ACCEPTED_PASSWORD,
    ACCEPTED_USER,
    PRODUCT_NAME,
    PRODUCT_PRICE,
    SIGN_IN_ERROR,
    AiSite,
)

pytestmark = [pytest.mark.server, pytest.mark.browser, pytest.mark.asyncio]

PNG = b"\x89PNG\r\n\x1a\n"


@pytest_asyncio.fixture
async def api(real_server: RealServer) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the server: these tests read its own answers, not the app's models."""
    async with httpx.AsyncClient(
        base_url=real_server.base_url, headers={"x-api-key": real_server.api_key}, timeout=30
    ) as http:
        yield http


async def _get(api: httpx.AsyncClient, path: str) -> Any:
    response = await api.get(path)
    response.raise_for_status()
    return response.json()


async def _run(api: httpx.AsyncClient, run: AiRun) -> dict[str, Any]:
    found: dict[str, Any] = await _get(api, f"/v1/runs/{run.run_id}")
    return found


async def _failure_categories(api: httpx.AsyncClient, run: AiRun) -> list[str]:
    detail = await _get(api, f"/api/v1/workflows/{run.workflow_id}/runs/{run.run_id}")
    return [c["category"] for c in detail.get("failure_category") or []]


async def _timeline(api: httpx.AsyncClient, run: AiRun) -> list[dict[str, Any]]:
    """The timeline's items, flattened (children after their parent), oldest first."""
    items: list[dict[str, Any]] = []

    def walk(level: list[dict[str, Any]]) -> None:
        for item in reversed(level):  # the server lists the newest first
            items.append(item)
            walk(item.get("children") or [])

    walk(await _get(api, f"/v1/runs/{run.run_id}/timeline"))
    return items


def _blocks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i["block"] for i in items if i["type"] == "block" and i.get("block")]


def _actions(block: dict[str, Any]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = block.get("actions") or []
    return sorted(actions, key=lambda a: (a["step_order"], a["action_order"]))


async def _assert_png(api: httpx.AsyncClient, artifact_id: str) -> None:
    response = await api.get(f"/v1/artifacts/{artifact_id}/content")
    response.raise_for_status()
    assert response.content[:8] == PNG, response.headers.get("content-type")


async def test_navigation_then_extraction_reads_the_product(
    ai_runs: AiRuns, api: httpx.AsyncClient
) -> None:
    run = await _run(api, ai_runs.extraction)
    assert run["status"] == "completed", run.get("failure_reason")
    extracted = run["output"]["read_product_output"]["extracted_information"]
    assert extracted == {"name": PRODUCT_NAME, "price": PRODUCT_PRICE}

    blocks = _blocks(await _timeline(api, ai_runs.extraction))
    assert [(b["block_type"], b["status"]) for b in blocks] == [
        ("navigation", "completed"),
        ("extraction", "completed"),
    ]
    navigation, extraction = blocks
    assert navigation["description"], "the model's block description is stored"
    assert [a["action_type"] for a in _actions(navigation)] == ["complete"]
    assert extraction["data_extraction_goal"]
    assert extraction["output"]["extracted_information"] == extracted
    for action in _actions(navigation) + _actions(extraction):
        assert action["reasoning"]
        assert action["screenshot_artifact_id"]
        await _assert_png(api, action["screenshot_artifact_id"])


async def test_a_login_block_signs_in_with_the_stored_credential(
    ai_runs: AiRuns, ai_site: AiSite, api: httpx.AsyncClient
) -> None:
    login = ai_runs.login
    run = await _run(api, login)
    assert run["status"] == "completed", run.get("failure_reason")
    assert await _failure_categories(api, login) == []

    items = await _timeline(api, login)
    (block,) = _blocks(items)
    assert (block["block_type"], block["status"]) == ("login", "completed")
    actions = _actions(block)
    assert [a["action_type"] for a in actions] == ["input_text", "input_text", "click", "complete"]
    for action in actions:
        assert action["status"] == "completed"
        assert action["reasoning"]
        assert action["screenshot_artifact_id"]
    await _assert_png(api, actions[1]["screenshot_artifact_id"])

    # The model only ever saw placeholders; the stored actions keep them, never the secret.
    username, password = actions[0], actions[1]
    assert username["text"].startswith("placeholder_") and username["text"].endswith("_username")
    assert password["text"].startswith("placeholder_") and password["text"].endswith("_password")
    assert password["intention"] and password["response"] == password["text"]
    assert ACCEPTED_PASSWORD not in json.dumps(items)

    # ...but Chromium typed the real ones into the form the site received.
    assert {"username": ACCEPTED_USER, "password": ACCEPTED_PASSWORD} in ai_site.sign_ins()


async def test_a_refused_login_terminates_as_an_auth_failure(
    ai_runs: AiRuns, ai_site: AiSite, api: httpx.AsyncClient
) -> None:
    refused = ai_runs.refused_login
    assert refused.workflow_id == ai_runs.login.workflow_id
    assert refused.credential_id != ai_runs.login.credential_id
    run = await _run(api, refused)
    assert run["status"] == "terminated"
    assert SIGN_IN_ERROR in (run.get("failure_reason") or "")
    assert "AUTH_FAILURE" in await _failure_categories(api, refused)

    (block,) = _blocks(await _timeline(api, refused))
    actions = _actions(block)
    assert [a["action_type"] for a in actions] == ["input_text", "input_text", "click", "terminate"]
    assert actions[-1]["reasoning"] == SIGN_IN_ERROR
    assert {"username": ACCEPTED_USER, "password": WRONG_PASSWORD} in ai_site.sign_ins()


async def test_a_model_outage_fails_the_run_as_an_llm_error(
    ai_runs: AiRuns, api: httpx.AsyncClient
) -> None:
    run = await _run(api, ai_runs.outage)
    assert run["status"] == "failed"
    assert run.get("failure_reason")
    assert "LLM_ERROR" in await _failure_categories(api, ai_runs.outage)
    assert ai_runs.prompt_kinds["outage"] > 0  # the model answered 500


async def test_a_task_v2_run_plans_extracts_and_completes(
    ai_runs: AiRuns, api: httpx.AsyncClient
) -> None:
    run = await _run(api, ai_runs.task_v2)
    assert run["status"] == "completed", run.get("failure_reason")
    output = run["output"]["agent_output"]
    assert output["extracted_information"] == {"name": PRODUCT_NAME, "price": PRODUCT_PRICE}
    assert output["summary"]

    items = await _timeline(api, ai_runs.task_v2)
    thoughts = [i["thought"] for i in items if i["type"] == "thought" and i.get("thought")]
    kinds = {t["thought_type"] for t in thoughts}
    assert {"plan", "user_goal_check"} <= kinds, kinds
    plan = next(t for t in thoughts if t["thought_type"] == "plan")
    assert plan["thought"] and plan["answer"] and plan["observation"]
    assert "extraction" in [b["block_type"] for b in _blocks(items)]


async def test_the_model_understood_every_prompt(ai_runs: AiRuns) -> None:
    unknown = ai_runs.unknown_prompts
    assert not unknown, f"prompts the scripted model does not know: {unknown}"
    assert {
        "extract-action",
        "check-user-goal",
        "extract-information",
        "task_v2_generate_metadata",
        "task_v2",
        "task_v2_check_completion",
        "task_v2_summary",
        "outage",
    } <= set(ai_runs.prompt_kinds), ai_runs.prompt_kinds
