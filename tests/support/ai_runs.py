"""AI runs on the real server, made once per test session (the ``ai_runs`` fixture).

The server's model is :mod:`tests.support.scripted_model`, its browser opens
:mod:`tests.support.ai_site`. Each case is a workflow created through the server's API and
one run of it; the cases run concurrently and :func:`make_ai_runs` returns once every run
has ended.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import WorkflowRunRequest
from tests.integration.helpers import WorkflowFactory, param, wait_for_run
from tests.support.ai_site import ACCEPTED_PASSWORD, ACCEPTED_USER, AiSite
from tests.support.scripted_model import OUTAGE_MARKER, ScriptedModel

PRODUCT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The product's name"},
        "price": {"type": "string", "description": "The product's price, as shown"},
    },
}
WRONG_PASSWORD: Final = "not-the-password-1"
_RUN_WITHIN: Final = 300.0


@dataclass(frozen=True)
class AiRun:
    """One finished run: its workflow's permanent id and the run's id."""

    workflow_id: str
    run_id: str


@dataclass(frozen=True)
class LoginRun(AiRun):
    """A login block's run, with the stored credential it was given."""

    credential_id: str
    credential_name: str


@dataclass(frozen=True)
class AiRuns:
    extraction: AiRun  # navigation to /product, then extraction of {name, price}: completed
    login: LoginRun  # login block, accepted credential: completed
    refused_login: LoginRun  # the same workflow, a wrong password: terminated, AUTH_FAILURE
    outage: AiRun  # navigation whose model answers 500: failed, LLM_ERROR
    task_v2: AiRun  # task_v2 block reading /product: completed
    seconds: float  # how long creating and running all of them took
    prompt_kinds: dict[str, int]  # the prompt kinds the model was asked meanwhile, and how often
    unknown_prompts: tuple[str, ...]  # the first lines of prompts it did not recognise


def _navigation(label: str, url: str, goal: str) -> dict[str, Any]:
    return {
        "block_type": "navigation",
        "label": label,
        "url": url,
        "navigation_goal": goal,
        "max_steps_per_run": 4,
    }


async def _make(base_url: str, api_key: str, site: AiSite, model: ScriptedModel) -> AiRuns:
    began = time.monotonic()
    kinds_before, unknown_before = model.snapshot()
    factory = WorkflowFactory(base_url, api_key)
    try:
        async with SkyvernClient(base_url, api_key) as client:

            async def run(wpid: str, parameters: dict[str, Any] | None = None) -> str:
                started = await client.run_workflow(
                    WorkflowRunRequest(workflow_id=wpid, parameters=parameters or {})
                )
                await wait_for_run(client, started.run_id, within=_RUN_WITHIN)
                return started.run_id

            async def extraction() -> AiRun:
                wpid = await factory.create(
                    "AI product page",
                    [],
                    [
                        _navigation(
                            "open_product",
                            site.product_url,
                            "Open the Acme Anvil product page. Done when the product is shown.",
                        ),
                        {
                            "block_type": "extraction",
                            "label": "read_product",
                            "data_extraction_goal": "Extract the product's name and price.",
                            "data_schema": PRODUCT_SCHEMA,
                            "max_steps_per_run": 2,
                        },
                    ],
                )
                return AiRun(wpid, await run(wpid))

            login_wpid = await factory.create(
                "AI sign in",
                [param("credentials", "credential_id")],
                [
                    {
                        "block_type": "login",
                        "label": "sign_in",
                        "url": site.signin_url,
                        "parameter_keys": ["credentials"],
                        "max_steps_per_run": 4,
                    }
                ],
            )

            async def login(password: str) -> LoginRun:
                name = f"Acme {'good' if password == ACCEPTED_PASSWORD else 'stale'} login"
                name = f"{name} {uuid.uuid4().hex[:6]}"
                cred = await factory.create_credential(name, ACCEPTED_USER, password)
                run_id = await run(login_wpid, {"credentials": cred})
                return LoginRun(login_wpid, run_id, cred, name)

            async def outage() -> AiRun:
                wpid = await factory.create(
                    "AI outage",
                    [],
                    [
                        _navigation(
                            "open_product",
                            site.product_url,
                            f"Open the product page. {OUTAGE_MARKER}",
                        )
                    ],
                )
                return AiRun(wpid, await run(wpid))

            async def task_v2() -> AiRun:
                wpid = await factory.create(
                    "AI agent",
                    [],
                    [
                        {
                            "block_type": "task_v2",
                            "label": "agent",
                            "prompt": "Find the name and the price of the product on this page.",
                            "url": site.product_url,
                            "max_iterations": 4,
                            "max_steps": 8,
                        }
                    ],
                )
                return AiRun(wpid, await run(wpid))

            a, b, c, d, e = await asyncio.gather(
                extraction(), login(ACCEPTED_PASSWORD), login(WRONG_PASSWORD), outage(), task_v2()
            )
    finally:
        await factory.aclose()
    kinds, unknown = model.snapshot()
    return AiRuns(
        a, b, c, d, e,
        seconds=round(time.monotonic() - began, 1),
        prompt_kinds=dict(kinds - kinds_before),
        unknown_prompts=tuple(unknown[len(unknown_before) :]),
    )  # fmt: skip


def make_ai_runs(base_url: str, api_key: str, site: AiSite, model: ScriptedModel) -> AiRuns:
    """Create the workflows and credentials, start every run, and wait until all ended.
    ``model`` is the server's scripted model, to tell what it was asked meanwhile.

    Runs its own event loop in a worker thread, so a session fixture can call it whatever
    loop the tests use."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _make(base_url, api_key, site, model)).result()
