"""The run index's owner in the app: when it syncs, which file it keeps, and the history's
pages from it (the in-process fake client; the real server's side is in
tests/integration/test_run_index_real.py)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.core.runs import index_sync
from skyvern_desktop.ui.data import run_index as owner_module
from tests.core.test_run_index import ticking
from tests.fakes.client import FakeClient, use_fake
from tests.polling import wait_until

pytestmark = pytest.mark.asyncio


async def start(fake: FakeClient, wpid: str, status: str = "completed") -> str:
    run = await fake.run_workflow(WorkflowRunRequest(workflow_id=wpid, parameters={"k": "v"}))
    if status != "queued":
        fake.advance(run.run_id, status)
    return run.run_id


@asynccontextmanager
async def connected(
    keys: KeyStore, fake: FakeClient, identity: str | None = "conn-1"
) -> AsyncIterator[DesktopApp]:
    app = DesktopApp(app_paths().ensure(), keys=keys)
    app.window.show()
    try:
        await use_fake(app.session, fake, identity=identity)
        await app.window.workflows.wait_loaded()
        yield app
    finally:
        await app.aclose()


def list_calls(fake: FakeClient) -> int:
    return len(fake.calls_to("list_workflow_runs"))


async def test_it_syncs_once_a_minute_while_nothing_changes_and_faster_while_runs_go(
    no_keyring: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_sync, "IDLE_S", 0.6)
    monkeypatch.setattr(index_sync, "ACTIVE_S", 0.1)
    fake = FakeClient(clock=ticking())  # type: ignore[arg-type]
    wpid = fake.add_workflow("Invoices", ["k"]).workflow_permanent_id
    for _ in range(3):
        await start(fake, wpid)
    async with connected(no_keyring, fake) as app:
        app.window.show_page("workflows")  # no screen asks for fresh runs
        owner = app.run_index
        await wait_until(lambda: owner.synced, what="the first sync")
        assert owner.complete and owner.index is not None and owner.index.count() == 3
        before = list_calls(fake)
        await asyncio.sleep(1.5)
        idle = list_calls(fake) - before
        assert 1 <= idle <= 3  # every 0.6 s
        going = await start(fake, wpid, "running")
        owner.poke(0)
        await wait_until(lambda: owner.index.get(going) is not None, what="the new run")  # type: ignore[union-attr]
        before = list_calls(fake)
        await asyncio.sleep(1.0)
        busy = list_calls(fake) - before
        assert busy >= 5  # every 0.1 s while a run goes
        fake.advance(going, "completed")
        await wait_until(lambda: owner.index.get(going).terminal, what="the run's end")  # type: ignore[union-attr]
        await asyncio.sleep(0.3)
        before = list_calls(fake)
        await asyncio.sleep(1.0)
        assert list_calls(fake) - before <= 2  # back to the slow pace


async def test_a_started_run_is_synced_soon_and_the_history_shows_it_from_the_index(
    no_keyring: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(owner_module, "POKE_DELAY_S", 0.05)
    fake = FakeClient(clock=ticking())  # type: ignore[arg-type]
    wpid = fake.add_workflow("Invoices", ["k"]).workflow_permanent_id
    for _ in range(40):
        await start(fake, wpid)
    async with connected(no_keyring, fake) as app:
        owner = app.run_index
        await wait_until(lambda: owner.complete, what="the first sync")
        app.window.show_page("runs")
        history = app.window.runs.history
        await wait_until(lambda: history.model.rowCount() == 25, what="the first page")
        from skyvern_desktop.ui.changes import ChangeKind

        new = await start(fake, wpid, "running")
        app.ctx.changes.announce(ChangeKind.RUN_STARTED, wpid)
        await wait_until(
            lambda: history.model.rowCount() and history.model.items[0].workflow_run_id == new,
            what="the new run at the top",
        )


async def test_the_history_filters_every_run_by_category_from_the_index_without_a_scan(
    no_keyring: KeyStore,
) -> None:
    fake = FakeClient(clock=ticking())  # type: ignore[arg-type]
    wpid = fake.add_workflow("Logins", ["k"]).workflow_permanent_id
    refused = []
    for i in range(1200):  # more than the server-side scan looks through
        run_id = await start(fake, wpid, "queued")
        if i % 300 == 0:
            fake.advance(run_id, "terminated", failure_reason="no", category="AUTH_FAILURE")
            refused.append(run_id)
        else:
            fake.advance(run_id, "completed")
    async with connected(no_keyring, fake) as app:
        owner = app.run_index
        await wait_until(lambda: owner.complete, within=30, what="the first sync")
        app.window.show_page("runs")
        before = list_calls(fake)
        from skyvern_desktop.core.runs.history import PAGE_SIZE, HistoryQuery

        page = await app.runs.history.load(HistoryQuery(category="AUTH_FAILURE"))
        assert page is not None and not page.capped
        assert [r.workflow_run_id for r in page.runs] == refused[::-1]
        assert len(page.runs) == len(refused) < PAGE_SIZE and not page.more
        # No list request for the page: syncs aside (each a page of the newest runs).
        made = fake.calls_to("list_workflow_runs")[before:]
        assert all(kw.get("page") == 1 and not kw.get("status") for _, kw in made)


async def test_each_connection_has_its_own_index_file_and_a_fake_without_one_keeps_it_in_memory(
    no_keyring: KeyStore,
) -> None:
    fake = FakeClient(clock=ticking())  # type: ignore[arg-type]
    wpid = fake.add_workflow("Invoices", ["k"]).workflow_permanent_id
    await start(fake, wpid)
    folder = app_paths().data_dir / "run-index"
    async with connected(no_keyring, fake, identity="conn-a") as app:
        await wait_until(lambda: app.run_index.complete, what="the first sync")
        assert (folder / "conn-a.sqlite3").exists()
        assert "1 run, up to date" in app.run_index.summary()
    fake.reopen()  # the first app closed it as it quit
    async with connected(no_keyring, fake, identity=None) as app:
        await wait_until(lambda: app.run_index.complete, what="the first sync")
        assert sorted(p.name for p in folder.glob("*.sqlite3")) == ["conn-a.sqlite3"]


async def test_the_history_says_how_far_a_first_sync_got_and_stops_saying_it_when_done(
    no_keyring: KeyStore,
) -> None:
    fake = FakeClient(clock=ticking())  # type: ignore[arg-type]
    wpid = fake.add_workflow("Invoices", ["k"]).workflow_permanent_id
    for _ in range(450):
        await start(fake, wpid)
    fake.latency = 0.1  # each page a moment, as over a network
    async with connected(no_keyring, fake) as app:
        app.window.show_page("runs")
        history = app.window.runs.history
        notes: list[str] = []
        app.run_index.progress.connect(
            lambda *_: notes.append(
                history.index_note.text() if history.index_note.isVisible() else ""
            )
        )
        await wait_until(lambda: app.run_index.complete, what="the first sync")
        assert any("400 runs so far" in n for n in notes)
        assert notes[-1] == "" and not history.index_note.isVisible()
        history.show_index_progress(3200, False)
        assert history.index_note.isVisible()
        shots = os.environ.get("SKYVERN_DESKTOP_SHOTS")
        if shots:
            app.window.grab().save(str(Path(shots) / "history-index-note.png"))
