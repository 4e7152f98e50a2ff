"""Connections: the first-run dialog and Settings, with a real keyring and the real server."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import Secret
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.check import ConnectionState
from skyvern_desktop.core.connection.profiles import Profile, ProfileKind, ProfileStore
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.ui.settings.dialog import ConnectionsDialog
from skyvern_desktop.ui.tasks import TaskRunner
from tests.fakes.server import free_closed_port
from tests.realserver import RealServer
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


def make_dialog(qtbot: QtBot, keys: KeyStore, tasks: TaskRunner, **kw: object) -> ConnectionsDialog:
    store = ProfileStore(app_paths().ensure().profiles_file)
    dialog = ConnectionsDialog(store, keys, tasks, **kw)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill(qtbot: QtBot, dialog: ConnectionsDialog, *, name: str, url: str, key: str) -> None:
    form = dialog.form
    form.kind.setCurrentIndex(1)  # Self-hosted
    for edit, text in ((form.name, name), (form.base_url, url), (form.api_key, key)):
        edit.clear()
        qtbot.keyClicks(edit, text)


async def test_bad_input_is_explained_beside_each_field_and_kept(
    qtbot: QtBot, real_keyring: KeyStore, tasks: TaskRunner
) -> None:
    dialog = make_dialog(qtbot, real_keyring, tasks)
    form = dialog.form
    fill(qtbot, dialog, name="  ", url="http://skyvern.example.com", key="has space")
    assert await dialog.save() is None
    assert form.name_error.isVisible()
    assert "Give the connection a name" in form.name_error.text()
    assert "must be encrypted" in form.base_url_error.text()
    assert "https://" in form.base_url_error.text()
    assert "no spaces" in form.api_key_error.text()
    # Nothing the user typed is lost.
    assert form.base_url.text() == "http://skyvern.example.com"
    assert form.api_key.text() == "has space"
    assert dialog.list_model.rowCount() == 0

    form.base_url.clear()
    qtbot.keyClicks(form.base_url, "http://192.168.1.20:8000/")
    form.name.clear()
    qtbot.keyClicks(form.name, "Office server")
    form.api_key.clear()
    qtbot.keyClicks(form.api_key, "office-key-0123456789")
    saved = await dialog.save()
    assert saved is not None
    assert saved.base_url == "http://192.168.1.20:8000"  # private network: plain http is fine
    assert not form.base_url_error.isVisible()


async def test_test_connection_says_what_is_wrong_in_plain_words(
    qtbot: QtBot,
    real_keyring: KeyStore,
    tasks: TaskRunner,
    real_server: RealServer,
    loopback_page: str,
) -> None:
    dialog = make_dialog(qtbot, real_keyring, tasks)
    form = dialog.form

    async def verdict(url: str, key: str) -> str:
        fill(qtbot, dialog, name="X", url=url, key=key)
        qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: form.test_result.text()[:1] in ("✓", "✗"), within=20)
        return form.test_result.text()

    ok = await verdict(real_server.base_url, real_server.api_key)
    assert ok == f"✓ Connected to Skyvern {real_server.version}."
    bad = await verdict(real_server.base_url, "wrong-key-0123456789")
    assert bad.startswith("✗ The server refused the API key")
    assert "Could not validate credentials" in bad
    closed = await verdict(f"http://127.0.0.1:{free_closed_port()}", "k-0123456789")
    assert "Nothing is answering" in closed
    site = loopback_page.rsplit("/", 1)[0]
    other = await verdict(site, "k-0123456789")
    assert "not like a Skyvern server" in other
    assert real_server.api_key not in "".join((ok, bad, closed, other))


async def test_save_puts_the_key_in_the_keyring_only(
    qtbot: QtBot, real_keyring: KeyStore, tasks: TaskRunner
) -> None:
    dialog = make_dialog(qtbot, real_keyring, tasks)
    key = "eyJ-a-very-secret-key-0123456789"
    fill(qtbot, dialog, name="Production", url="https://skyvern.example.com", key=key)
    profile = await dialog.save()
    assert profile is not None
    stored = real_keyring.get(profile.id)
    assert stored is not None
    assert stored.reveal() == key
    assert not real_keyring.is_memory_only(profile.id)
    text = app_paths().profiles_file.read_text()
    assert key not in text
    assert json.loads(text)["profiles"][0]["base_url"] == "https://skyvern.example.com"
    assert dialog.list_model.rowCount() == 1
    assert dialog.list_model.item(0).text() == "Production"
    # Editing without retyping the key keeps it.
    assert "Saved" in dialog.form.api_key.placeholderText()
    dialog.form.name.clear()
    qtbot.keyClicks(dialog.form.name, "Production EU")
    again = await dialog.save()
    assert again is not None
    assert again.id == profile.id
    assert real_keyring.get(profile.id) == Secret(key)

    # Remove: asks first, then deletes the key from the keyring too.
    removing = tasks.spawn("test.remove", dialog.remove_selected())
    await wait_until(lambda: _visible_box("confirmRemoveProfile") is not None)
    box = _visible_box("confirmRemoveProfile")
    assert box is not None
    yes = box.findChild(QPushButton, "confirmRemoveProfileYes")
    assert yes is not None
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    assert await removing is True
    assert real_keyring.get(profile.id) is None
    assert dialog.list_model.rowCount() == 0


def _visible_box(name: str) -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


async def test_without_a_keyring_the_key_lives_in_memory_by_choice(
    qtbot: QtBot, no_keyring: KeyStore, tasks: TaskRunner
) -> None:
    dialog = make_dialog(qtbot, no_keyring, tasks)
    form = dialog.form
    assert form.memory_only.isVisible()
    assert "no system keyring" in form.keyring_note.text()
    fill(qtbot, dialog, name="Temp", url="https://skyvern.example.com", key="memory-key-0123456789")
    assert await dialog.save() is None
    assert "Tick the box below" in form.api_key_error.text()
    assert form.api_key.text() == "memory-key-0123456789"
    form.memory_only.setChecked(True)
    profile = await dialog.save()
    assert profile is not None
    assert no_keyring.is_memory_only(profile.id)
    assert no_keyring.get(profile.id) == Secret("memory-key-0123456789")
    assert "memory-key" not in app_paths().profiles_file.read_text()


async def test_first_run_creates_a_profile_and_connects(
    qtbot: QtBot, real_keyring: KeyStore, real_server: RealServer
) -> None:
    app = DesktopApp(app_paths().ensure(), keys=real_keyring)
    try:
        app.window.show()
        starting = app.tasks.spawn("test.start", app.connect_initial(interactive=True))
        await wait_until(lambda: _visible_dialog("firstRunDialog") is not None)
        dialog = _visible_dialog("firstRunDialog")
        assert isinstance(dialog, ConnectionsDialog)
        fill(qtbot, dialog, name="Local", url=real_server.base_url, key=real_server.api_key)
        connect = dialog.findChild(QPushButton, "profileConnect")
        assert connect is not None
        assert connect.text() == "Save and connect"
        qtbot.mouseClick(connect, Qt.MouseButton.LeftButton)
        assert await starting is True
        await wait_until(lambda: app.session.report.state is ConnectionState.CONNECTED, within=20)
        await app.window.workflows.wait_loaded()
        assert app.session.client is not None
        everything = await app.session.client.list_all_workflows()
        assert app.window.workflows.model.rowCount() == len(everything)
        active = app.store.active
        assert active is not None
        assert (active.name, active.kind, active.base_url) == (
            "Local", ProfileKind.SELF_HOSTED, real_server.base_url,
        )  # fmt: skip
        assert real_keyring.get(active.id) == Secret(real_server.api_key)
        assert app.session.profile == active
    finally:
        await app.aclose()


def _visible_dialog(name: str) -> object | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == name and widget.isVisible():
            return widget
    return None


async def test_switching_profiles_from_settings(
    qtbot: QtBot, real_keyring: KeyStore, real_server: RealServer
) -> None:
    paths = app_paths().ensure()
    store = ProfileStore(paths.profiles_file)
    good = Profile(name="Good", kind=ProfileKind.SELF_HOSTED, base_url=real_server.base_url)
    broken = Profile(name="Broken", kind=ProfileKind.SELF_HOSTED, base_url=real_server.base_url)
    store.upsert(good)
    store.upsert(broken)
    store.set_active(broken.id)
    real_keyring.set(good.id, Secret(real_server.api_key))
    real_keyring.set(broken.id, Secret("wrong-key-0123456789"))
    app = DesktopApp(paths, keys=real_keyring)
    try:
        await app.connect_initial(interactive=False)
        assert app.session.report.state is ConnectionState.BAD_KEY
        opening = app.tasks.spawn("test.settings", app.connections.open_connections())
        await wait_until(lambda: _visible_dialog("connectionsDialog") is not None)
        dialog = _visible_dialog("connectionsDialog")
        assert isinstance(dialog, ConnectionsDialog)
        assert dialog.form.name.text() == "Broken"  # opens on the active one
        dialog.list.setCurrentIndex(dialog.list_model.index(0, 0))
        assert dialog.form.name.text() == "Good"
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
        assert await opening is True
        await wait_until(lambda: app.session.report.state is ConnectionState.CONNECTED, within=20)
        assert app.store.active == good
    finally:
        await app.aclose()


async def test_the_key_never_reaches_the_clipboard(
    qtbot: QtBot, no_keyring: KeyStore, tasks: TaskRunner
) -> None:
    dialog = make_dialog(qtbot, no_keyring, tasks)
    form = dialog.form
    clipboard = QApplication.clipboard()
    clipboard.setText("before")
    qtbot.keyClicks(form.api_key, "clipboard-secret-0123456789")
    form.show_key.setChecked(True)  # shown in clear text: still not copyable
    assert form.api_key.echoMode() == QLineEdit.EchoMode.Normal
    form.api_key.selectAll()
    qtbot.keySequence(form.api_key, QKeySequence.StandardKey.Copy)
    qtbot.keySequence(form.api_key, QKeySequence.StandardKey.Cut)
    assert clipboard.text() == "before"
    assert form.api_key.text() == "clipboard-secret-0123456789"  # cut removed nothing
    assert form.api_key.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu
