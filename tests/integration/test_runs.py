"""Workflows and runs against the real server."""

from __future__ import annotations

import pytest

from skyvern_desktop.api import AuthError, NotFoundError, SkyvernClient, ValidationError
from skyvern_desktop.api.models import (
    ProxyLocation,
    RunStatus,
    TriggerType,
    WorkflowParameterType,
    WorkflowRunRequest,
)
from tests.integration.helpers import (
    WorkflowFactory,
    http_block,
    param,
    string_input,
    wait_block,
    wait_for_run,
)
from tests.realserver import RealServer

pytestmark = [pytest.mark.server, pytest.mark.asyncio]


async def test_version(client: SkyvernClient, real_server: RealServer) -> None:
    version = await client.version()
    assert version.version == real_server.version == "1.0.56"


async def test_list_search_page_and_get_workflows(
    client: SkyvernClient, workflows: WorkflowFactory
) -> None:
    tag = "Paging"
    ids = [
        await workflows.create(
            tag,
            [string_input("endpoint"), param("count", "integer", 3)],
            [http_block()],
            description=f"workflow {i}",
        )
        for i in range(3)
    ]
    everything = await client.list_all_workflows(page_size=2)
    assert set(ids) <= {w.workflow_permanent_id for w in everything}
    assert len(everything) == len({w.workflow_permanent_id for w in everything})

    found = await client.list_workflows(search_key=tag.lower(), page_size=50)
    assert {w.workflow_permanent_id for w in found} >= set(ids)
    assert all(tag in w.title for w in found)
    page1 = await client.list_workflows(search_key=tag, page=1, page_size=2)
    page2 = await client.list_workflows(search_key=tag, page=2, page_size=2)
    assert len(page1) == 2
    assert not {w.workflow_permanent_id for w in page1} & {w.workflow_permanent_id for w in page2}

    wf = await client.get_workflow(ids[0])
    assert wf.workflow_permanent_id == ids[0]
    assert [p.key for p in wf.inputs] == ["endpoint", "count"]
    endpoint, count = wf.inputs
    assert endpoint.workflow_parameter_type == WorkflowParameterType.STRING
    assert endpoint.is_required
    assert count.workflow_parameter_type == WorkflowParameterType.INTEGER
    assert count.default_value == 3 or count.default_value == "3"
    assert not count.is_required
    # Output parameters are in the definition, but they are not inputs.
    assert any(not p.is_input for p in wf.workflow_definition.parameters)


async def test_run_completes_with_real_output(
    client: SkyvernClient, workflows: WorkflowFactory, real_server: RealServer
) -> None:
    wpid = await workflows.create("Fetch version", [string_input("endpoint")], [http_block()])
    started = await client.run_workflow(
        WorkflowRunRequest(
            workflow_id=wpid,
            parameters={"endpoint": f"{real_server.base_url}/v1/version"},
            title="ignored by the server",
            proxy_location=ProxyLocation.NONE,
            max_elapsed_time_minutes=5,
            extra_http_headers={"X-Desktop-Test": "1"},
        )
    )
    assert started.run_id.startswith("wr_")
    assert started.status == RunStatus.CREATED

    run = await wait_for_run(client, started.run_id)
    assert run.status == RunStatus.COMPLETED, run.failure_reason
    assert run.output["fetch_output"]["status_code"] == 200
    assert run.output["fetch_output"]["response_body"] == {"version": real_server.version}
    assert run.failure_reason is None
    assert run.finished_at is not None and run.finished_at.tzinfo is not None
    assert run.workflow_permanent_id == wpid

    timeline = await client.get_run_timeline(run.run_id)
    assert [(t.type, t.block.label if t.block else None) for t in timeline] == [("block", "fetch")]
    assert timeline[0].block is not None and timeline[0].block.status == RunStatus.COMPLETED

    mine = await client.list_workflow_runs(workflow_permanent_id=wpid)
    assert [r.workflow_run_id for r in mine] == [run.run_id]
    assert mine[0].trigger_type == TriggerType.API
    everyone = await client.list_workflow_runs(status=[RunStatus.COMPLETED], page_size=100)
    assert run.run_id in {r.workflow_run_id for r in everyone}
    assert all(r.status == RunStatus.COMPLETED for r in everyone)
    failed_only = await client.list_workflow_runs(workflow_permanent_id=wpid, status=["failed"])
    assert failed_only == []
    searched = await client.list_workflow_runs(search_key=run.run_id)
    assert [r.workflow_run_id for r in searched] == [run.run_id]

    # An HTTP-only run has no browser: whatever it stored is its own, and no screenshot.
    artifacts = await client.list_artifacts(run.run_id)
    assert all(run.run_id in (a.run_id, a.workflow_run_id) for a in artifacts), artifacts
    assert not any(a.is_screenshot for a in artifacts)


async def test_run_fails_with_failure_reason(
    client: SkyvernClient, workflows: WorkflowFactory
) -> None:
    # A block that needs an LLM fails for real when the model answers 500 (the scripted
    # model on loopback, tests/support/scripted_model.py, has an outage for this prompt).
    prompt = "Say hi MODEL-OUTAGE"
    wpid = await workflows.create(
        "Needs an LLM", [], [{"block_type": "text_prompt", "label": "think", "prompt": prompt}]
    )
    started = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    run = await wait_for_run(client, started.run_id)
    assert run.status == RunStatus.FAILED
    assert run.failure_reason and "text_prompt block failed" in run.failure_reason
    timeline = await client.get_run_timeline(run.run_id)
    assert timeline[0].block is not None and timeline[0].block.status == RunStatus.FAILED


async def test_cancel_a_running_run(client: SkyvernClient, workflows: WorkflowFactory) -> None:
    wpid = await workflows.create("Long wait", [], [wait_block(seconds=120)])
    started = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    await wait_for_run(client, started.run_id, until=RunStatus.RUNNING, within=60)
    await client.cancel_run(started.run_id)
    run = await wait_for_run(client, started.run_id, within=30)
    assert run.status == RunStatus.CANCELED

    # Cancelling a run that already ended is accepted and changes nothing.
    await client.cancel_run(started.run_id)
    assert (await client.get_run(started.run_id)).status == RunStatus.CANCELED


async def test_retry_starts_a_new_run_with_the_same_inputs(
    client: SkyvernClient, workflows: WorkflowFactory, real_server: RealServer
) -> None:
    wpid = await workflows.create("Retry me", [string_input("endpoint")], [http_block()])
    endpoint = f"{real_server.base_url}/v1/version"
    first = await client.run_workflow(
        WorkflowRunRequest(workflow_id=wpid, parameters={"endpoint": endpoint})
    )
    with pytest.raises(ValidationError, match="Only terminal workflow runs can be retried"):
        await client.retry_run(first.run_id)
    await wait_for_run(client, first.run_id)

    second = await client.retry_run(first.run_id)
    assert second.run_id != first.run_id
    assert second.status == RunStatus.CREATED
    done = await wait_for_run(client, second.run_id)
    assert done.status == RunStatus.COMPLETED
    assert done.run_request is not None
    assert done.run_request["parameters"]["endpoint"] == endpoint
    runs = await client.list_workflow_runs(workflow_permanent_id=wpid)
    # Newest first; this server leaves retried_from_workflow_run_id empty.
    assert [r.workflow_run_id for r in runs] == [second.run_id, first.run_id]


async def test_the_servers_own_input_errors(
    client: SkyvernClient, workflows: WorkflowFactory
) -> None:
    wpid = await workflows.create(
        "Typed inputs", [string_input("name"), param("count", "integer")], [wait_block(seconds=1)]
    )
    with pytest.raises(ValidationError) as missing:
        await client.run_workflow(WorkflowRunRequest(workflow_id=wpid, parameters={"name": "x"}))
    assert missing.value.status_code == 400
    assert missing.value.server_message is not None
    assert "Missing value for parameter count" in missing.value.server_message

    with pytest.raises(ValidationError) as wrong:
        await client.run_workflow(
            WorkflowRunRequest(workflow_id=wpid, parameters={"name": "x", "count": "abc"})
        )
    assert wrong.value.server_message == (
        "Invalid workflow parameter. Expected parameter type: integer. Value: abc."
    )

    with pytest.raises(NotFoundError, match="Workflow not found"):
        await client.run_workflow(WorkflowRunRequest(workflow_id="wpid_does_not_exist"))
    with pytest.raises(NotFoundError):
        await client.get_run("wr_does_not_exist")
    with pytest.raises(NotFoundError):
        await client.get_workflow("wpid_does_not_exist")


async def test_a_wrong_key_is_an_auth_error(real_server: RealServer) -> None:
    async with SkyvernClient(real_server.base_url, "not-a-real-key-0123456789") as bad:
        assert (await bad.version()).version == real_server.version  # needs no key
        with pytest.raises(AuthError) as refused:
            await bad.list_workflows()
    assert refused.value.status_code == 403
    assert refused.value.server_message == "Could not validate credentials"
    assert "not-a-real-key" not in str(refused.value)
