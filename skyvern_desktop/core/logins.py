"""Login rules without widgets: saving a signed-in browser session as a profile, and which
workflows a credential is the default of."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ..api.errors import ValidationError

if TYPE_CHECKING:
    from ..api.client import SkyvernClient
    from ..api.models import BrowserProfile, Workflow

ARCHIVE_PENDING = "persisted profile archive"
"""Words of the server's 400 while a closed session's browser state is still uploading."""


async def profile_from_session(
    client: SkyvernClient,
    session_id: str,
    name: str,
    *,
    description: str | None = None,
    within: float = 120.0,
    interval: float = 1.0,
) -> BrowserProfile:
    """Close the session, then save its browser state (cookies, storage) as a profile.

    The server keeps a session's state only once the session is closed and its archive is
    uploaded; until then it refuses the profile with a 400 naming the archive. That refusal
    created nothing, so asking again is safe; any other answer is final."""
    await client.close_browser_session(session_id)
    deadline = time.monotonic() + within
    while True:
        try:
            return await client.create_browser_profile(
                name, description=description, browser_session_id=session_id
            )
        except ValidationError as exc:
            if ARCHIVE_PENDING not in str(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(interval)


def workflows_defaulting_to(credential_id: str, workflows: list[Workflow]) -> list[Workflow]:
    """The workflows whose inputs default to this credential (named before a delete)."""
    found = []
    for workflow in workflows:
        for param in workflow.workflow_definition.parameters:
            if param.default_value == credential_id:
                found.append(workflow)
                break
    return found
