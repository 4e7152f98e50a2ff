"""Every background task is owned, named, and its exceptions are surfaced.

``TaskRunner.spawn(name, coro)`` keeps a strong reference, cancels an earlier task of the
same name (latest wins), logs any exception and hands it to ``on_error`` so the user sees
it. ``aclose()`` cancels and awaits everything at quit.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
ErrorHandler = Callable[[str, BaseException], None]
_DAEMONS: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


def is_daemon(task: asyncio.Task[Any]) -> bool:
    """A watch that lasts as long as its runner (see ``TaskRunner.spawn(daemon=True)``)."""
    return task in _DAEMONS


class TaskRunner:
    def __init__(self, on_error: ErrorHandler | None = None) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}  # the latest task of each name
        self._live: set[asyncio.Task[Any]] = set()  # every unfinished task, replaced ones too
        self._daemons: set[asyncio.Task[Any]] = set()  # watches that last the session
        self._on_error = on_error
        self._closed = False

    def spawn(
        self, name: str, coro: Coroutine[Any, Any, T], *, replace: bool = True,
        daemon: bool = False,
    ) -> asyncio.Task[T]:  # fmt: skip
        """Run ``coro`` as task ``name``; with ``replace``, cancel an earlier one of that name.

        A ``daemon`` task watches for as long as the connection lasts (a periodic poll):
        :meth:`join` does not wait for it; :meth:`cancel` and :meth:`aclose` end it."""
        if self._closed:
            coro.close()
            raise RuntimeError("the app is shutting down")
        old = self._tasks.get(name)
        if old is not None and not old.done():
            if not replace:
                coro.close()
                return old
            old.cancel()
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks[name] = task
        self._live.add(task)
        if daemon:
            self._daemons.add(task)
            _DAEMONS.add(task)
        task.add_done_callback(self._done)
        return task

    def cancel(self, name: str) -> None:
        task = self._tasks.get(name)
        if task is not None:
            task.cancel()

    async def wait(self, name: str) -> None:
        """Wait for task ``name`` to end, if one runs (its failure is surfaced as usual)."""
        task = self._tasks.get(name)
        if task is not None and not task.done():
            await asyncio.wait([task])

    @property
    def names(self) -> list[str]:
        return [n for n, t in self._tasks.items() if not t.done()]

    def _done(self, task: asyncio.Task[Any]) -> None:
        name = task.get_name()
        self._live.discard(task)
        self._daemons.discard(task)
        if self._tasks.get(name) is task:
            del self._tasks[name]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        log.error("task %s failed", name, exc_info=exc)
        if self._on_error is not None:
            self._on_error(name, exc)

    async def join(self) -> None:
        """Wait until no task is running (tasks started meanwhile are waited for too),
        daemons aside."""
        while tasks := [t for t in self._live if not t.done() and t not in self._daemons]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel every task and wait for them to finish."""
        self._closed = True
        while tasks := [t for t in self._live if not t.done()]:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
