"""Credentials, browser profiles and sessions, uploads and the server version."""

from __future__ import annotations

from typing import Any

from ._base import ApiModel, UtcDatetime


class ServerVersion(ApiModel):
    version: str


class Credential(ApiModel):
    """A stored credential. The server never sends secrets, only a summary."""

    credential_id: str
    name: str
    credential_type: str
    credential: dict[str, Any] | None = None
    vault_type: str | None = None
    browser_profile_id: str | None = None
    folder_id: str | None = None


class BrowserProfile(ApiModel):
    browser_profile_id: str
    organization_id: str | None = None
    name: str
    description: str | None = None
    is_managed: bool = False
    workflow_permanent_id: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime | None = None
    deleted_at: UtcDatetime | None = None


class BrowserSession(ApiModel):
    browser_session_id: str
    organization_id: str | None = None
    status: str | None = None
    runnable_type: str | None = None
    runnable_id: str | None = None
    timeout: int | None = None
    browser_profile_id: str | None = None
    app_url: str | None = None
    started_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime | None = None
    remaining_lifetime_seconds: int | None = None
    warning: str | None = None  # e.g. an extension granted less than asked

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and (self.status or "") not in (
            "completed", "failed", "timeout", "closed", "canceled", "expired",
        )  # fmt: skip


class UploadedFile(ApiModel):
    s3_uri: str
    presigned_url: str
    file_id: str | None = None
    expires_at: UtcDatetime | None = None


class TotpCode(ApiModel):
    """A verification code (or the message it came in) stored on the server for a run to
    use: ``GET``/``POST /v1/credentials/totp``. ``code`` is what the server read from
    ``content``; it is empty while a long message waits to be read."""

    totp_code_id: str
    totp_identifier: str | None = None
    code: str = ""
    content: str | None = None
    workflow_run_id: str | None = None
    workflow_id: str | None = None
    task_id: str | None = None
    source: str | None = None
    otp_type: str | None = None
    status: str | None = None
    created_at: UtcDatetime
    expired_at: UtcDatetime | None = None

    def __repr__(self) -> str:  # never the code or the message, in a log or a traceback
        return f"TotpCode(totp_code_id={self.totp_code_id!r}, created_at={self.created_at!r})"

    __str__ = __repr__
