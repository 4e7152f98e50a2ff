"""Credentials, browser profiles, sessions and uploads, as the real server answers them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from skyvern_desktop.api import SkyvernClient

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_lists_answer_on_a_fresh_server(client: SkyvernClient) -> None:
    assert await client.list_credentials() == []
    assert await client.list_credentials(search="nothing", credential_type="password") == []
    assert await client.list_browser_profiles() == []
    assert await client.list_browser_sessions() == []


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
