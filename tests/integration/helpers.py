"""Test-side helpers: creating workflows (not an app feature) and waiting on runs."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import RunResponse


def string_input(key: str, default: Any = None, description: str | None = None) -> dict[str, Any]:
    return param(key, "string", default, description)


def param(
    key: str, kind: str, default: Any = None, description: str | None = None
) -> dict[str, Any]:
    return {
        "parameter_type": "workflow",
        "key": key,
        "workflow_parameter_type": kind,
        "default_value": default,
        "description": description,
    }


def http_block(label: str = "fetch", url: str = "{{ endpoint }}") -> dict[str, Any]:
    return {"block_type": "http_request", "label": label, "method": "GET", "url": url}


def wait_block(label: str = "pause", seconds: int = 60) -> dict[str, Any]:
    return {"block_type": "wait", "label": label, "wait_sec": seconds}


def human_block(
    label: str = "approval",
    *,
    instructions: str = "Check the totals, then approve.",
    approve: str = "Ship it",
    reject: str = "Stop here",
    timeout_seconds: int = 900,
    recipients: tuple[str, ...] = ("operator@example.com",),
) -> dict[str, Any]:
    """A human_interaction block: it emails ``recipients``, then pauses the run until
    someone continues or cancels it, or ``timeout_seconds`` pass."""
    return {
        "block_type": "human_interaction",
        "label": label,
        "instructions": instructions,
        "positive_descriptor": approve,
        "negative_descriptor": reject,
        "timeout_seconds": timeout_seconds,
        "recipients": list(recipients),
        "subject": "Approval needed",
        "body": "A run waits for you.",
    }


def human_workflow_blocks(endpoint: str, **human: Any) -> list[dict[str, Any]]:
    """wait 1 s → human_interaction → http_request to ``endpoint``: a run that pauses
    for a person, then finishes with real output once approved."""
    return [wait_block("warmup", 1), human_block(**human), http_block("after", endpoint)]


class WorkflowFactory:
    """Creates workflows through the server's API, each with a unique title."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, headers={"x-api-key": api_key})

    async def create(
        self,
        title: str,
        parameters: list[dict[str, Any]],
        blocks: list[dict[str, Any]],
        description: str | None = None,
    ) -> str:
        unique = f"{title} {uuid.uuid4().hex[:8]}"
        response = await self._http.post(
            "/v1/workflows",
            json={
                "json_definition": {
                    "title": unique,
                    "description": description,
                    "workflow_definition": {"parameters": parameters, "blocks": blocks},
                }
            },
        )
        response.raise_for_status()
        wpid: str = response.json()["workflow_permanent_id"]
        return wpid

    async def create_credential(self, name: str, username: str, password: str) -> str:
        """A password credential in the server's own vault; returns its ``cred_`` id."""
        response = await self._http.post(
            "/v1/credentials",
            json={
                "name": name,
                "credential_type": "password",
                "credential": {"username": username, "password": password},
            },
        )
        response.raise_for_status()
        cred_id: str = response.json()["credential_id"]
        return cred_id

    async def aclose(self) -> None:
        await self._http.aclose()


async def wait_for_run(
    client: SkyvernClient, run_id: str, *, within: float = 120.0, until: str | None = None
) -> RunResponse:
    """Poll until the run is terminal (or reaches status ``until``)."""
    deadline = time.monotonic() + within
    while True:
        run = await client.get_run(run_id)
        if (until is not None and run.status == until) or (until is None and run.is_terminal):
            return run
        if run.is_terminal or time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} is {run.status!s}, waited for {until or 'the end'}")
        await asyncio.sleep(0.3)
