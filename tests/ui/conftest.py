"""GUI tests run their coroutines on a qasync loop, so async slots and tasks really run.

pytest-asyncio's ``pytest_asyncio_loop_factories`` hook puts every async test in this
folder on a ``qasync.QEventLoop``. Tests ``await`` the widgets' coroutine methods, or
click and then ``await wait_until(...)``, which sleeps on the loop instead of spinning a
nested one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import keyring
import pytest
import pytest_asyncio
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.ui.loop import new_event_loop
from skyvern_desktop.ui.tasks import TaskRunner, is_daemon
from tests.polling import wait_until as wait_until  # the ui tests import it from here

if TYPE_CHECKING:
    from skyvern_desktop.api import SkyvernClient
    from tests.realserver import RealServer


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    # As in the app (DesktopApp): closing the last window must not stop the loop under a
    # test that closes its only dialog.
    app.setQuitOnLastWindowClosed(False)
    return new_event_loop(app)


async def _settle(within: float = 10.0) -> list[str]:
    """Let the loop's other tasks finish; cancel and await what is still running after
    ``within`` seconds, and return those tasks' names (a test must not leave any).

    qasync's ``run_until_complete`` processes Qt events once more after the loop has
    stopped; a task stepped there runs with no running loop and fails (httpcore then raises
    sniffio's AsyncLibraryNotFoundError). So no test may end with a task still running.
    """
    me = asyncio.current_task()
    # A daemon (a poll that lasts as long as its app) is ended by whoever closes the app:
    # the test itself, or an app fixture after the test.
    pending = [t for t in asyncio.all_tasks() if t is not me and not t.done() and not is_daemon(t)]
    if not pending:
        return []
    _done, still = await asyncio.wait(pending, timeout=within)
    for task in still:
        task.cancel()
    if still:
        await asyncio.gather(*still, return_exceptions=True)
    return sorted(_described(task) for task in still)


def _described(task: asyncio.Task[Any]) -> str:
    """A task's name, and for an unnamed one ("Task-12") what it runs."""
    name = task.get_name()
    if name.startswith("Task-"):
        coro = task.get_coro()
        name += f" ({getattr(coro, '__qualname__', coro)})"
    return name


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        func = getattr(item, "obj", None)
        if not isinstance(item, pytest.Function) or not asyncio.iscoroutinefunction(func):
            continue
        if "/tests/ui/" not in str(item.path).replace("\\", "/"):
            continue

        @functools.wraps(func)
        async def settled(*args: Any, __func: Any = func, **kwargs: Any) -> Any:
            try:
                result = await __func(*args, **kwargs)
            except BaseException:
                await _settle()  # the test's own failure is what it reports
                raise
            if left := await _settle():
                pytest.fail(f"the test left tasks running: {', '.join(left)}", pytrace=False)
            return result

        item.obj = settled


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"qasync": _qasync_loop}


@pytest.fixture
def no_keyring() -> KeyStore:
    """A key store on a machine without any keyring backend."""
    return KeyStore(backend=FailKeyring())


@pytest.fixture
def real_keyring() -> KeyStore:
    """The OS keyring (gnome-keyring in CI), under a service name of this test's own."""
    store = KeyStore(service=f"skyvern-desktop-test-{uuid.uuid4().hex[:8]}")
    if not store.available:
        reason = f"no OS keyring backend ({keyring.get_keyring()!r})"
        if os.environ.get("CI") or os.environ.get("SKYVERN_DESKTOP_REQUIRE_SERVER"):
            pytest.fail(f"a real keyring is required here, but {reason}", pytrace=False)
        pytest.skip(reason)
    return store


async def message_box(name: str) -> QMessageBox:
    """The visible message box with this objectName, once it is shown."""
    found: list[QMessageBox] = []

    def visible() -> bool:
        found[:] = [
            w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()
        ]  # fmt: skip
        return bool(found)

    await wait_until(visible, what=name)
    return found[0]


@pytest_asyncio.fixture
async def tasks() -> AsyncIterator[TaskRunner]:
    """A task runner for one widget under test; any task that failed fails the test."""
    errors: list[BaseException] = []
    runner = TaskRunner(lambda name, exc: errors.append(exc))
    yield runner
    await runner.aclose()
    assert errors == []


@pytest.fixture(autouse=True)
def _collect_qt_garbage() -> Iterator[None]:
    """Collect each test's garbage on the main thread when it ends.

    Python-owned Qt objects (a model or dialog a test made without a parent) are otherwise
    freed whenever the cyclic collector next runs, which can be inside a worker thread of a
    later test (keyring calls, JSON decoding); a Qt object destroyed off its own thread can
    crash the process there."""
    yield
    gc.collect()
    # Whatever a test made and left alive must not keep working after it: a timer still
    # running names its owner here and fails the test.
    running = sorted(
        f"{type(timer.parent()).__name__}.{timer.objectName() or 'QTimer'}"
        for widget in QApplication.allWidgets()
        for timer in widget.findChildren(QTimer, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if timer.isActive() and not timer.objectName().startswith("qt_")
    )
    if running:
        pytest.fail(f"the test left timers running: {', '.join(running)}", pytrace=False)


def app_on(monkeypatch: pytest.MonkeyPatch, server: RealServer, keys: KeyStore) -> DesktopApp:
    """The whole app, configured (by the environment, as a user may) for ``server``."""
    monkeypatch.setenv("SKYVERN_BASE_URL", server.base_url)
    monkeypatch.setenv("SKYVERN_API_KEY", server.api_key)
    return DesktopApp(app_paths().ensure(), keys=keys)


@contextlib.asynccontextmanager
async def connected_app(
    monkeypatch: pytest.MonkeyPatch, server: RealServer, keys: KeyStore
) -> AsyncIterator[tuple[DesktopApp, SkyvernClient]]:
    """The app with its window shown and connected to ``server``; closed at the end."""
    app = app_on(monkeypatch, server, keys)
    try:
        app.window.resize(1280, 800)
        app.window.show()
        await app.connect_initial(interactive=False)
        assert app.session.client is not None
        yield app, app.session.client
    finally:
        await app.aclose()


W = TypeVar("W", bound=QObject)


def child(parent: QObject, kind: type[W], name: str) -> W:
    """The object named ``name`` under ``parent`` (GUI tests find widgets by objectName)."""
    found = parent.findChild(kind, name)
    assert found is not None, f"no {kind.__name__} named {name}"
    return found


def files_text(root: Path) -> str:
    """Every file under ``root`` as text (to check that a secret landed in none of them)."""
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()
    )


def shot(widget: QWidget, name: str) -> None:
    """Save a picture of ``widget`` where ``SKYVERN_DESKTOP_SHOTS`` points (to look at
    what a test drove), else nowhere."""
    if folder := os.environ.get("SKYVERN_DESKTOP_SHOTS"):
        widget.grab().save(str(Path(folder) / name), "PNG")
