"""Runs that wait for a person, verification codes and webhooks, against the real server
(with a real SMTP server on loopback for the human-interaction block's email)."""

from __future__ import annotations

import asyncio
import json

import pytest

from skyvern_desktop.api import NotFoundError, SkyvernClient
from skyvern_desktop.api.models import RunStatus, WorkflowRunRequest
from skyvern_desktop.core.runs.attention import waiting_for
from tests.integration.helpers import WorkflowFactory, human_workflow_blocks, wait_for_run
from tests.realserver import RealServer, WebhookReceiver
from tests.support.server_build import MailBox

pytestmark = [pytest.mark.server, pytest.mark.asyncio]


def _version_url(server: RealServer) -> str:
    return f"{server.base_url}/v1/version"


async def test_a_run_pauses_for_a_person_and_approve_finishes_it(
    client: SkyvernClient, workflows: WorkflowFactory, real_server: RealServer,
    smtp_server: MailBox,
) -> None:  # fmt: skip
    blocks = human_workflow_blocks(_version_url(real_server))
    wpid = await workflows.create("Approve me", [], blocks)
    run = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    paused = await wait_for_run(client, run.run_id, until=RunStatus.PAUSED, within=60)
    assert paused.status == RunStatus.PAUSED
    workflow = await client.get_workflow(wpid)
    assert workflow.workflow_definition is not None
    waiting = waiting_for(
        await client.get_run_timeline(run.run_id), workflow.workflow_definition.blocks
    )
    assert waiting is not None
    assert (waiting.instructions, waiting.approve, waiting.reject) == (
        "Check the totals, then approve.", "Ship it", "Stop here",
    )  # fmt: skip
    assert waiting.timeout_s == 900 and waiting.since is not None
    for _ in range(100):  # the block pauses the run, then sends its email
        if mail := smtp_server.received(run.run_id):
            break
        await asyncio.sleep(0.1)
    assert len(mail) == 1 and mail[0]["To"] == "operator@example.com"
    assert "skyvern-test" in smtp_server.logins  # it logged in, after STARTTLS

    await client.continue_run(run.run_id)
    done = await wait_for_run(client, run.run_id, within=60)
    assert done.status == RunStatus.COMPLETED
    assert done.output and done.output["after_output"]["status_code"] == 200
    with pytest.raises(NotFoundError):  # no longer paused: the server says so
        await client.continue_run(run.run_id)


async def test_reject_cancels_the_paused_run(
    client: SkyvernClient, workflows: WorkflowFactory, real_server: RealServer
) -> None:
    wpid = await workflows.create("Reject me", [], human_workflow_blocks(_version_url(real_server)))
    run = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    await wait_for_run(client, run.run_id, until=RunStatus.PAUSED, within=60)
    paused = await client.list_workflow_runs(status=["paused"], page_size=100)
    assert run.run_id in {r.workflow_run_id for r in paused}
    await client.cancel_run(run.run_id)
    done = await wait_for_run(client, run.run_id, within=60)
    assert done.status == RunStatus.CANCELED


async def test_a_verification_code_is_stored_and_listed(
    client: SkyvernClient, workflows: WorkflowFactory, real_server: RealServer
) -> None:
    wpid = await workflows.create("Code", [], human_workflow_blocks(_version_url(real_server)))
    run = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    identifier = f"codes-{run.run_id}@example.com"
    stored = await client.send_totp_code(identifier, "482913", workflow_run_id=run.run_id)
    assert stored.code == "482913" and stored.workflow_run_id == run.run_id
    assert "482913" not in repr(stored)  # a code never shows in a log line or traceback
    listed = await client.list_totp_codes(totp_identifier=identifier)
    assert [(c.code, c.workflow_run_id) for c in listed] == [("482913", run.run_id)]
    by_run = await client.list_totp_codes(workflow_run_id=run.run_id)
    assert [c.totp_code_id for c in by_run] == [stored.totp_code_id]
    await client.cancel_run(run.run_id)


async def test_the_webhook_is_sent_again_and_the_receiver_gets_the_payload_shown(
    client: SkyvernClient, workflows: WorkflowFactory, real_server: RealServer,
    webhook_receiver: WebhookReceiver,
) -> None:  # fmt: skip
    from tests.integration.helpers import http_block

    wpid = await workflows.create("Hooked", [], [http_block("fetch", _version_url(real_server))])
    request = WorkflowRunRequest(workflow_id=wpid, webhook_url=webhook_receiver.url)
    run = await client.run_workflow(request)
    done = await wait_for_run(client, run.run_id, within=60)
    assert done.webhook_url == webhook_receiver.url
    for _ in range(50):  # the end-of-run delivery
        if webhook_receiver.requests:
            break
        await asyncio.sleep(0.1)
    delivered = len(webhook_receiver.requests)
    replay = await client.retry_webhook(run.run_id)
    assert replay.target_webhook_url == webhook_receiver.url
    assert replay.status_code == 202 and replay.error is None
    assert replay.response_body == '{"received": true}'
    assert replay.latency_ms is not None and replay.latency_ms >= 0
    assert len(webhook_receiver.requests) == delivered + 1
    _path, headers, body = webhook_receiver.requests[-1]
    assert json.loads(body) == json.loads(replay.payload)
    assert json.loads(replay.payload)["workflow_run_id"] == run.run_id
    for name, value in replay.headers.items():
        assert headers[name.lower()] == value  # the signed headers shown are those sent

    other = WebhookReceiver(status=500, body=b"receiver broke")
    try:
        elsewhere = await client.retry_webhook(run.run_id, webhook_url=other.url)
        assert elsewhere.target_webhook_url == other.url
        assert elsewhere.status_code == 500 and elsewhere.response_body == "receiver broke"
        assert len(other.requests) == 1
    finally:
        other.close()


async def test_a_webhook_address_is_tried_before_a_run_uses_it(
    client: SkyvernClient, webhook_receiver: WebhookReceiver
) -> None:
    result = await client.test_webhook(webhook_receiver.url)
    assert result.error is None and result.status_code == 202
    assert len(webhook_receiver.requests) == 1
    sample = json.loads(webhook_receiver.requests[0][2])
    assert sample["status"]  # a sample run's result
    refused = await client.test_webhook("http://127.0.0.1:9/nothing-listens")
    assert refused.status_code is None and refused.error
