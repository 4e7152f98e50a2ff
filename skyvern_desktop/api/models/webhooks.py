"""What the server says after it sent a webhook on request (API doc §8, Webhooks)."""

from __future__ import annotations

from pydantic import Field

from ._base import ApiModel


class WebhookReplay(ApiModel):
    """``POST /v1/runs/{id}/retry_webhook``: the run's webhook sent again, and how the
    receiver answered. ``payload`` is the JSON text that was sent."""

    run_id: str
    run_type: str | None = None
    default_webhook_url: str | None = None
    target_webhook_url: str | None = None
    payload: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    status_code: int | None = None
    latency_ms: int | None = None
    response_body: str | None = None
    error: str | None = None


class WebhookTest(ApiModel):
    """``POST /v1/internal/test-webhook``: a sample payload sent to an address, before any
    run uses it. ``error`` says why the server refused the address or could not reach it."""

    status_code: int | None = None
    latency_ms: int | None = None
    response_body: str = ""
    headers_sent: dict[str, str] = Field(default_factory=dict)
    error: str | None = None
