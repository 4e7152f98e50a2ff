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

COOKIE_WRITE_SECONDS = 32.0
"""Chrome writes new cookies to disk in batches, at most 30 s after they change; the
server saves a session's profile from its files. So a sign-in is kept only once that much
time has passed since it happened (measured here: saved 9 s after signing in, the cookie
was missing from the profile)."""
ARCHIVE_PENDING = "persisted profile archive"
"""Words of the server's 400 while a closed session's browser state is still uploading."""


async def profile_from_session(
    client: SkyvernClient,
    session_id: str,
    name: str,
    *,
    description: str | None = None,
    last_input_at: float | None = None,
    within: float = 120.0,
    interval: float = 1.0,
) -> BrowserProfile:
    """Close the session, then save its browser state (cookies, storage) as a profile.

    ``last_input_at`` (``time.monotonic()`` of the last click or key sent to the page):
    the session is closed only :data:`COOKIE_WRITE_SECONDS` after it, so the browser has
    written the sign-in's cookies to disk (see :func:`wait_before_saving`).

    The server keeps a session's state only once the session is closed and its archive is
    uploaded; until then it refuses the profile with a 400 naming the archive. That refusal
    created nothing, so asking again is safe; any other answer is final."""
    if (wait := wait_before_saving(last_input_at)) > 0:
        await asyncio.sleep(wait)
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


def wait_before_saving(last_input_at: float | None, now: float | None = None) -> float:
    """Seconds still to wait before a session's sign-in is surely on disk."""
    if last_input_at is None:
        return 0.0
    now = time.monotonic() if now is None else now
    return max(0.0, last_input_at + COOKIE_WRITE_SECONDS - now)


def workflows_defaulting_to(credential_id: str, workflows: list[Workflow]) -> list[Workflow]:
    """The workflows whose inputs default to this credential (named before a delete)."""
    found = []
    for workflow in workflows:
        for param in workflow.workflow_definition.parameters:
            if param.default_value == credential_id:
                found.append(workflow)
                break
    return found
