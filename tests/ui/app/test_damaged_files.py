"""The app starts whatever state its files are in, says once what it did with them, and
deletes nothing (the window mode and the headless modes, which ``--self-test`` uses)."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QMessageBox

from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import AppPaths, app_paths
from skyvern_desktop.core.storage.notices import Trouble
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


def _damage_every_file(paths: AppPaths) -> dict[str, bytes]:
    garbage = {
        "runs": os.urandom(4096),
        "batches": b"SQLite format 3\x00" + os.urandom(4080),
        "profiles": b'{"profiles": [{"id": 1',
        "layout": os.urandom(512) + b"\x00",
    }
    (paths.data_dir / "runs.sqlite3").write_bytes(garbage["runs"])
    (paths.data_dir / "batches.sqlite3").write_bytes(garbage["batches"])
    paths.profiles_file.write_bytes(garbage["profiles"])
    paths.ui_state_file.write_bytes(garbage["layout"])
    return garbage


def _kept(paths: AppPaths) -> set[bytes]:
    found = [*paths.data_dir.glob("*.damaged-*"), *paths.config_dir.glob("*.damaged-*")]
    return {p.read_bytes() for p in found if not p.name.endswith(("-wal", "-shm"))}


async def test_the_window_starts_with_every_file_damaged_and_says_so_once(
    no_keyring: KeyStore,
) -> None:
    paths = app_paths().ensure()
    garbage = _damage_every_file(paths)
    app = DesktopApp(paths, keys=no_keyring, compose=False)
    try:
        await app.show_window()  # as run() does: paint, then compose
        app.compose()
        assert app.batches.store.batches() == []  # opened (lazily) and empty
        app.registry.record("http://h", "wr_1", pane_open=True)
        await wait_until(lambda: len(app.teller.told) == 4, what="four notices")
        box = app.window.findChild(QMessageBox, "fileNoticeDialog")
        assert box is not None and box.isVisible()
        text = box.informativeText()
        for what in ("the list of open runs", "the batches", "your list of connections",
                     "the window's layout"):  # fmt: skip
            assert f"could not read {what}" in text
        assert {n.trouble for n in app.teller.told} == {Trouble.SET_ASIDE}
        assert len(app.window.findChildren(QMessageBox, "fileNoticeDialog")) == 1
    finally:
        await app.aclose()
    assert _kept(paths) == set(garbage.values())  # every damaged file kept, unchanged


async def test_a_headless_start_writes_one_line_each(
    no_keyring: KeyStore, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = app_paths().ensure()
    (paths.data_dir / "runs.sqlite3").write_bytes(b"garbage" * 100)
    app = DesktopApp(paths, keys=no_keyring, headless=True)
    try:
        await wait_until(lambda: app.teller.told, what="the notice")
    finally:
        await app.aclose()
    err = capsys.readouterr().err
    assert err.count("note: ") == 1
    assert "could not read the list of open runs" in err
    assert "Traceback" not in err


async def test_a_data_folder_that_cannot_be_written_still_starts(
    no_keyring: KeyStore,
) -> None:
    paths = app_paths()
    paths.config_dir.mkdir(parents=True)
    paths.data_dir.parent.mkdir(parents=True, exist_ok=True)
    paths.data_dir.write_text("a file where the data folder goes")
    paths = paths.ensure()  # no exception
    app = DesktopApp(paths, keys=no_keyring, compose=False)
    try:
        await app.show_window()
        app.compose()
        app.registry.record("http://h", "wr_1", pane_open=True)
        assert app.registry.db.in_memory
        await wait_until(lambda: app.teller.told, what="the notice")
        box = app.window.findChild(QMessageBox, "fileNoticeDialog")
        assert box is not None and "cannot write the list of open runs" in box.informativeText()
        assert [r.run_id for r in app.registry.open_panes("http://h")] == ["wr_1"]
    finally:
        await app.aclose()
