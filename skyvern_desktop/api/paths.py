"""Every HTTP path the app uses, in one table.

We use the ``/v1/workflows…`` and ``/v1/run/workflows`` forms: every Skyvern
server version serves them (newer ones hide them from the schema behind the
``/agents`` twins, but still answer). Never add a trailing slash: the twins
redirect those with 307 and ``GET /v1/agents/`` answers 405.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final
from urllib.parse import quote

CLOUD_BASE_URL: Final = "https://api.skyvern.com"


class ApiPath(StrEnum):
    VERSION = "/v1/version"
    RUNTIME_CONFIG = "/v1/config/runtime"

    WORKFLOWS = "/v1/workflows"
    WORKFLOW = "/v1/workflows/{wpid}"

    RUN_WORKFLOW = "/v1/run/workflows"
    RUN = "/v1/runs/{run_id}"
    RUN_CANCEL = "/v1/runs/{run_id}/cancel"
    RUN_RETRY = "/v1/workflows/runs/{run_id}/retry"
    RUN_TIMELINE = "/v1/runs/{run_id}/timeline"
    RUN_ARTIFACTS = "/v1/runs/{run_id}/artifacts"
    RUN_CONTINUE = "/v1/workflows/runs/{run_id}/continue"  # a paused run goes on
    RUN_RETRY_WEBHOOK = "/v1/runs/{run_id}/retry_webhook"
    # A run with the inputs it got and its failure categories: on the legacy router only.
    WORKFLOW_RUN_DETAIL = "/api/v1/workflows/{wpid}/runs/{run_id}"
    ARTIFACT_CONTENT = "/v1/artifacts/{artifact_id}/content"
    WORKFLOW_RUNS = "/v1/workflows/runs"
    WORKFLOW_RUNS_OF = "/v1/workflows/{wpid}/runs"

    CREDENTIALS = "/v1/credentials"
    CREDENTIAL = "/v1/credentials/{credential_id}"
    CREDENTIAL_DELETE = "/v1/credentials/{credential_id}/delete"
    TOTP_CODES = "/v1/credentials/totp"
    # Sends a sample signed payload to an address and reports how the receiver answered
    # (what Skyvern's web UI's "Test webhook" uses; hidden from the schema).
    TEST_WEBHOOK = "/v1/internal/test-webhook"
    BROWSER_PROFILES = "/v1/browser_profiles"
    BROWSER_PROFILE = "/v1/browser_profiles/{profile_id}"
    BROWSER_PROFILE_USAGE = "/v1/browser_profiles/{profile_id}/usage"
    BROWSER_SESSIONS = "/v1/browser_sessions"
    BROWSER_SESSION = "/v1/browser_sessions/{session_id}"
    BROWSER_SESSION_EXTEND = "/v1/browser_sessions/{session_id}/extend"
    BROWSER_SESSION_CLOSE = "/v1/browser_sessions/{session_id}/close"
    UPLOAD_FILE = "/v1/upload_file"

    SCHEDULES = "/v1/schedules"
    WORKFLOW_SCHEDULES = "/v1/workflows/{wpid}/schedules"
    WORKFLOW_SCHEDULE = "/v1/workflows/{wpid}/schedules/{schedule_id}"
    WORKFLOW_SCHEDULE_ENABLE = "/v1/workflows/{wpid}/schedules/{schedule_id}/enable"
    WORKFLOW_SCHEDULE_DISABLE = "/v1/workflows/{wpid}/schedules/{schedule_id}/disable"

    # WebSockets. A run's stream is on the legacy router (``/api/v1``), a persistent
    # browser session's on ``/v1``; each answers 403 under the other prefix.
    STREAM_RUN = "/api/v1/stream/workflow_runs/{run_id}"
    STREAM_SESSION = "/v1/stream/browser_sessions/{session_id}"
    CDP_INPUT_SESSION = "/v1/stream/cdp_input/browser_session/{session_id}"

    def fill(self, **ids: str) -> str:
        """Fill the placeholders, percent-encoding each id so it stays one path segment.

        An empty id, ``.`` or ``..`` would change which endpoint is called (a trailing
        slash, or a segment the URL parser removes), so they are refused.
        """
        for name, value in ids.items():
            if value in ("", ".", ".."):
                raise ValueError(f"{name} {value!r} is not a valid id")
        return self.value.format(**{k: quote(v, safe="") for k, v in ids.items()})
