"""Start-up shows the workflow list as it was when the app last closed, for the connection
it is opening, marked as being updated; then the server's list replaces it. A list of
another connection never shows."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.ui.data.status import CatalogueState
from tests.fakes.client import FakeClient, use_fake
from tests.ui.conftest import child

pytestmark = pytest.mark.asyncio

IDENTITY = "a" * 32


async def _close(app: DesktopApp) -> None:
    app.window.close()
    await app.aclose()


async def test_the_last_list_shows_at_once_then_the_fresh_one_replaces_it(
    no_keyring: KeyStore,
) -> None:
    paths = app_paths().ensure()
    fake = FakeClient()
    kept_ids = [fake.add_workflow(f"Kept {n}").workflow_permanent_id for n in range(3)]
    first = DesktopApp(paths, keys=no_keyring)
    try:
        first.window.show()
        await use_fake(first.session, fake, identity=IDENTITY)
        await first.catalogue.wait_loaded()
        assert first.catalogue.model.rowCount() == 3
    finally:
        await _close(first)

    # Meanwhile one workflow went and one came.
    fake.reopen()
    del fake.workflows[kept_ids[0]]
    fake.add_workflow("New one")
    second = DesktopApp(paths, keys=no_keyring, compose=False)
    try:
        await second.show_window()
        assert second.catalogue.show_kept(IDENTITY)  # before any connection exists
        page = second.window.workflows
        assert page.model.rowCount() == 3 and second.session.client is None
        assert child(page, QLabel, "workflowCount").text() == "3 workflows · updating…"
        assert page.status.kept and page.status.state is CatalogueState.LOADING
        assert page.select_workflow(kept_ids[1])
        second.compose()
        await use_fake(second.session, fake, identity=IDENTITY)
        await second.catalogue.wait_loaded()
        titles = sorted(r.workflow.title for r in page.model.rows)
        assert titles == ["Kept 1", "Kept 2", "New one"]  # the gone one removed
        assert page.selected_workflow_id() == kept_ids[1]  # the selection stays
        assert not page.status.kept
        assert child(page, QLabel, "workflowCount").text() == "3 workflows"
        assert second.catalogue.model.kept_rows == 0
    finally:
        await _close(second)


async def test_another_connections_list_never_shows(no_keyring: KeyStore) -> None:
    paths = app_paths().ensure()
    fake = FakeClient()
    fake.add_workflow("Org A's")
    first = DesktopApp(paths, keys=no_keyring)
    try:
        await use_fake(first.session, fake, identity=IDENTITY)
        await first.catalogue.wait_loaded()
    finally:
        await _close(first)
    second = DesktopApp(paths, keys=no_keyring)
    try:
        assert second.catalogue.show_kept(IDENTITY)  # what the app expected to open…
        other = FakeClient()
        other.add_workflow("Org B's")
        seen: list[int] = []
        second.session.client_changed.connect(
            lambda: seen.append(second.catalogue.model.rowCount())
        )
        await use_fake(second.session, other, identity="b" * 32)  # …but another opened
        assert seen == [0]  # gone the moment the other connection was made
        await second.catalogue.wait_loaded()
        assert [r.workflow.title for r in second.catalogue.model.rows] == ["Org B's"]
    finally:
        await _close(second)
