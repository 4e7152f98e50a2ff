"""Waiting in a test for something to become true, on the running event loop (never a
nested one). Qt-free: the api, core, integration and ui tests share it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def wait_until(
    predicate: Callable[[], Any], *, within: float = 10.0, what: str | Callable[[], str] = ""
) -> None:
    """Sleep on the running loop until ``predicate()`` is truthy.

    ``what`` names the wait in the failure; a callable is asked at the time of failure, so it
    can say what the state was when the time ran out.
    """
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out waiting for {said or predicate}")
        await asyncio.sleep(0.02)
