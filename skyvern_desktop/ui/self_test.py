"""``--self-test``: build the window offscreen; if a connection is configured, connect and
load the workflows; say in one line what happened. The exit status says whether it did."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from .. import APP_NAME, __version__
from .data.catalogue import WorkflowCatalogue
from .data.run_index import RunIndexOwner
from .main_window import MainWindow
from .session import Session
from .settings.flow import ConnectionsFlow


class Subject(Protocol):
    """What the self-test drives: the app's window, its session and its connections."""

    window: MainWindow
    session: Session
    connections: ConnectionsFlow
    catalogue: WorkflowCatalogue
    run_index: RunIndexOwner


INDEX_WAIT_S = 20.0  # a first sync of a long history goes on; the line says how far it got


async def run(app: Subject) -> int:
    app.window.show()
    label = f"{APP_NAME} {__version__}"
    configured = await app.connections.connect_initial(interactive=False)
    if app.connections.use_local and not configured:
        print(f"{label}: FAILED: the local Skyvern server did not start")  # noqa: T201
        return 1
    if not configured:
        print(f"{label}: OK: main window built; no connection configured")  # noqa: T201
        return 0
    report = app.session.report
    if not report.ok:
        print(f"{label}: FAILED: {report.message}")  # noqa: T201
        return 1
    catalogue = app.catalogue
    count = len(await catalogue.workflow_choices())
    if catalogue.last_error:
        print(f"{label}: FAILED: {catalogue.last_error}")  # noqa: T201
        return 1
    url = app.session.client.base_url if app.session.client else "?"
    print(f"{label}: OK: connected to {url}, Skyvern {report.version}, {count} workflows")  # noqa: T201
    if not app.run_index.synced:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(app.run_index.wait_synced(), INDEX_WAIT_S)
    print(app.run_index.summary())  # noqa: T201
    return 0
