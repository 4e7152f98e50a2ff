"""A real browser run: Chromium inside the server opens a page we serve on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import ArtifactType, RunStatus, WorkflowRunRequest
from tests.integration.helpers import WorkflowFactory, string_input, wait_for_run

pytestmark = [pytest.mark.server, pytest.mark.browser, pytest.mark.asyncio]


def _local(uri: str) -> Path:
    parsed = urlparse(uri)
    assert parsed.scheme == "file", uri
    return Path(unquote(parsed.path))


@pytest.mark.usefixtures("require_browser")
async def test_goto_url_records_video_and_screenshots(
    client: SkyvernClient, workflows: WorkflowFactory, loopback_page: str
) -> None:
    wpid = await workflows.create(
        "Open a page",
        [string_input("url")],
        [{"block_type": "goto_url", "label": "open", "url": "{{ url }}"}],
    )
    started = await client.run_workflow(
        WorkflowRunRequest(workflow_id=wpid, parameters={"url": loopback_page})
    )
    run = await wait_for_run(client, started.run_id, within=180)
    assert run.status == RunStatus.COMPLETED, run.failure_reason
    assert run.output["open_output"]["status"] == "completed"

    # The recording is a .webm while running and turns into an .mp4 shortly after the run
    # ends: read it again until it has (the app's run pane must do the same).
    for _ in range(120):
        if run.recording_url and run.recording_url.endswith(".mp4"):
            break
        await asyncio.sleep(0.5)
        run = await client.get_run(run.run_id)
    assert run.recording_url is not None
    video = _local(run.recording_url)
    assert video.suffix == ".mp4"
    assert video.is_file() and video.stat().st_size > 1000

    artifacts = await client.list_artifacts(run.run_id)
    kinds = {str(a.artifact_type) for a in artifacts}
    assert {ArtifactType.RECORDING, ArtifactType.SCREENSHOT_LLM} <= kinds
    shots = [a for a in artifacts if a.is_screenshot]
    assert shots
    for shot in shots:
        assert shot.signed_url is not None
        png = _local(shot.signed_url)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    only_shots = await client.list_artifacts(
        run.run_id, artifact_types=[ArtifactType.SCREENSHOT_LLM]
    )
    assert only_shots and all(a.artifact_type == ArtifactType.SCREENSHOT_LLM for a in only_shots)

    timeline = await client.get_run_timeline(run.run_id)
    assert [t.block.block_type for t in timeline if t.block] == ["goto_url"]
