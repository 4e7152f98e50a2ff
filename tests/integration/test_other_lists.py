"""Credentials, browser profiles, sessions and uploads, as the real server answers them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from skyvern_desktop.api import SkyvernClient
from tests.integration.helpers import WorkflowFactory

pytestmark = [pytest.mark.server, pytest.mark.asyncio]


async def test_lists_answer(client: SkyvernClient, workflows: WorkflowFactory) -> None:
    await workflows.create_credential("Lists test login", "lists@example.com", "pw-0123456789")
    found = await client.list_credentials(search="Lists test")
    assert [(c.name, c.credential_type) for c in found] == [("Lists test login", "password")]
    assert found[0].credential == {
        **found[0].credential,  # type: ignore[dict-item]
        "username": "lists@example.com",
    }
    assert "pw-0123456789" not in found[0].model_dump_json()  # no secrets come back
    assert (
        await client.list_credentials(search="nothing like this", credential_type="password") == []
    )
    # The server is shared by the whole run: other tests' profiles and sessions may be
    # listed. Each is read whole, and only live sessions are listed.
    for profile in await client.list_browser_profiles():
        assert profile.browser_profile_id.startswith("bp_"), profile
    for session in await client.list_browser_sessions():
        assert session.browser_session_id.startswith("pbs_"), session
        assert session.completed_at is None, session


async def test_upload_stores_the_file(client: SkyvernClient) -> None:
    # The API doc (from 1.0.50's source) says local storage answers 500 here; 1.0.56,
    # with ARTIFACT_STORAGE_PATH set, stores the file and answers a file:// URI.
    content = b"%PDF-1.4 desktop upload test"
    uploaded = await client.upload_file("resume.pdf", content, retention_days=7)
    assert uploaded.file_id is not None
    assert uploaded.file_id.startswith("file_")
    assert uploaded.expires_at is not None
    parsed = urlparse(uploaded.presigned_url)
    assert parsed.scheme == "file"
    stored = Path(unquote(parsed.path))
    assert stored.name.endswith("resume.pdf")
    assert stored.read_bytes() == content
