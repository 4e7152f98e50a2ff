"""The Logins screen against the real server: credentials made in its forms (their secrets
in no file the app writes), sessions started, extended and closed, and the sign-in-once
flow driven through the live view with the mouse and keyboard."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.api.models.logins import CredentialType, NewCredential
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.ui import screenshot
from skyvern_desktop.ui.logins.signin import SignInWindow
from tests.integration.helpers import WorkflowFactory, wait_for_run
from tests.realserver import LoginSite, RealServer
from tests.ui.conftest import W, app_on, child, connected_app, files_text, shot, wait_until


def SkyvernClientFor(server: RealServer) -> SkyvernClient:
    return SkyvernClient(server.base_url, server.api_key)


def _top(kind: type[W], name: str) -> W | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


@pytest.mark.asyncio
async def test_credentials_are_made_in_the_form_and_their_secrets_stay_out_of_every_file(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot,
) -> None:  # fmt: skip
    password = f"pw-{uuid.uuid4().hex}"
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        app.window.show_page("logins")
        page = app.window.logins
        await wait_until(lambda: "ui.logins.load" not in app.tasks.names, within=20)
        dialog = app.logins.credentials.new_credential("password")
        fields = dialog.fields
        shop = f"Shop {uuid.uuid4().hex[:6]}"
        qtbot.keyClicks(fields["name"], shop)
        qtbot.keyClicks(fields["username"], "alice@example.com")
        secret = fields["password"]
        assert isinstance(secret, QLineEdit)
        qtbot.keyClicks(secret, password)
        assert secret.echoMode() == QLineEdit.EchoMode.Password
        show = child(dialog, QWidget, "credShowPassword")
        qtbot.mousePress(show, Qt.MouseButton.LeftButton)
        assert secret.echoMode() == QLineEdit.EchoMode.Normal  # while held
        qtbot.mouseRelease(show, Qt.MouseButton.LeftButton)
        assert secret.echoMode() == QLineEdit.EchoMode.Password
        QApplication.clipboard().setText("before")
        secret.selectAll()
        qtbot.keySequence(secret, QKeySequence.StandardKey.Copy)
        assert QApplication.clipboard().text() == "before"  # never copied
        # A problem lands on its field, and nothing typed is lost.
        totp_type = fields["totp_type"]
        assert not isinstance(totp_type, QLineEdit)
        totp_type.setCurrentIndex(1)
        qtbot.keyClicks(fields["totp"], "JBSWY3DPEHPK3PXP")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.errors["totp"].text().startswith("That setup key is too short")
        assert secret.text() == password
        shot(dialog, "credential.png")
        fields["totp"].clear()
        qtbot.keyClicks(fields["totp"], "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: dialog not in app.logins.dialogs, within=20)
        await wait_until(lambda: any(c.name == shop for c in page.credentials.items), within=20)
        made = [c for c in page.credentials.items if c.name == shop]
        assert made and made[0].credential["totp_type"] == "authenticator"  # type: ignore[index]

        # The server's own refusal lands on its field too.
        refused = app.logins.credentials.new_credential("password")
        refused.submitted.emit(
            NewCredential(name="x", credential_type=CredentialType.PASSWORD,
                          credential={"username": "", "password": password})
        )  # fmt: skip
        await wait_until(lambda: refused.errors["username"].isVisible(), within=20)
        refused.reject()

        shot(app.window, "logins.png")
        # Delete asks first, naming the workflows whose inputs default to it.
        uses = await workflows.create(
            "Signs in to the shop",
            [{"parameter_type": "workflow", "key": "login", "default_value": made[0].credential_id,
              "workflow_parameter_type": "credential_id"}],
            [{"block_type": "wait", "label": "w", "wait_sec": 1}],
        )  # fmt: skip
        page.credential_table.selectRow(page.credentials.items.index(made[0]))
        qtbot.mouseClick(page.credential_delete, Qt.MouseButton.LeftButton)
        await wait_until(lambda: _top(QMessageBox, "confirmDeleteCredential"), within=20)
        box = _top(QMessageBox, "confirmDeleteCredential")
        assert box is not None and made[0].name in box.text()
        assert "Signs in to the shop" in box.text() and uses
        child(box, QPushButton, "confirmDeleteCredentialYes").click()
        await wait_until(
            lambda: made[0].credential_id not in {c.credential_id for c in page.credentials.items},
            within=20,
        )
    home = Path(os.environ["SKYVERN_DESKTOP_HOME"])
    assert password not in files_text(home)  # settings, registry, logs: none has it


@pytest.mark.asyncio
async def test_signed_in_by_hand_in_the_live_view_then_a_run_starts_signed_in(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, login_site: LoginSite, qtbot: QtBot, require_browser: None,
) -> None:  # fmt: skip
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        app.window.show_page("logins")
        page = app.window.logins
        qtbot.mouseClick(page.new_login, Qt.MouseButton.LeftButton)
        await wait_until(lambda: app.logins.windows, within=60)
        window: SignInWindow = next(iter(app.logins.windows.values()))
        await wait_until(lambda: window.view.input_enabled, within=120, what="control")
        qtbot.keyClicks(window.address, f"{login_site.url}/login")
        qtbot.keyClick(window.address, Qt.Key.Key_Return)
        await wait_until(lambda: window.page_url.endswith("/login"), within=60, what="login page")
        await wait_until(lambda: window.view.picture() is not None, within=30)
        field = window.view.view_point(300, 130)
        assert field is not None
        qtbot.mouseClick(window.view, Qt.MouseButton.LeftButton, pos=field)
        assert window.view.hasFocus()  # the page has the keyboard
        qtbot.keyClicks(window.view, "alice")
        await wait_until(lambda: window.latencies, within=20, what="a picture after a key")
        await asyncio.sleep(1.5)  # the last letters' pictures
        shot(window, "signin.png")
        button = window.view.view_point(200, 230)
        assert button is not None
        qtbot.mouseClick(window.view, Qt.MouseButton.LeftButton, pos=button)
        pointer = window.view.pointer  # where the pointer is, marked on the page
        assert pointer is not None and abs(pointer[0] - 200) <= 2 and abs(pointer[1] - 230) <= 2
        await wait_until(lambda: ("/account", "who=alice") in login_site.requests, within=30)
        await wait_until(lambda: window.page_url.endswith("/account"), within=30)
        qtbot.keyClick(window.view, Qt.Key.Key_Escape)
        assert not window.view.hasFocus()  # Escape gave the keyboard back
        name = f"Acme {uuid.uuid4().hex[:6]}"
        qtbot.keyClicks(window.profile_name, name)
        sid = window.session.browser_session_id
        qtbot.mouseClick(window.save, Qt.MouseButton.LeftButton)
        await wait_until(lambda: not app.logins.windows, within=150, what="saved")
        await wait_until(lambda: any(p.name == name for p in page.profiles.items), within=30)
        profile = next(p for p in page.profiles.items if p.name == name)
        assert sid not in app.logins.ours
        latencies = list(window.latencies)
    print(f"key press to next picture, ms: {sorted(round(v) for v in latencies)}")  # noqa: T201
    wpid = await workflows.create(
        "My account", [],
        [{"block_type": "goto_url", "label": "open", "url": f"{login_site.url}/account"}],
    )  # fmt: skip
    login_site.requests.clear()
    async with connected_app(monkeypatch, real_server, no_keyring) as (_app, client):
        run = await client.run_workflow(
            WorkflowRunRequest(workflow_id=wpid, browser_profile_id=profile.browser_profile_id)
        )
        done = await wait_for_run(client, run.run_id, within=180)
        assert done.status == "completed", done.failure_reason
        await client.delete_browser_profile(profile.browser_profile_id)
    assert ("/account", "who=alice") in login_site.requests


@pytest.mark.asyncio
async def test_the_screenshot_mode_renders_the_logins_screen(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    tmp_path: Path,
) -> None:  # fmt: skip
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        assert await screenshot.take(app, tmp_path / "logins.png", "logins") == 0
        assert (tmp_path / "logins.png").stat().st_size > 10_000
        assert app.window.current_page() == "logins"
    finally:
        await app.aclose()


def test_a_point_of_the_view_is_its_point_on_the_page(qtbot: QtBot) -> None:
    from skyvern_desktop.core.runs.remote_input import Picture

    picture = Picture(left=10, top=20, width=960, height=540, remote_width=1920, remote_height=1080)
    assert picture.to_remote(10, 20) == (0, 0)
    assert picture.to_remote(490, 290) == (960, 540)
    assert picture.to_remote(5, 20) is None and picture.to_remote(970, 300) is None
    x, y = picture.to_view(300, 130)
    assert picture.to_remote(x, y) == (300, 130)
    assert QPoint(round(x), round(y)) == QPoint(160, 85)


@pytest.mark.asyncio
async def test_sessions_start_extend_close_and_the_apps_own_end_with_it(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot, require_browser: None,
) -> None:  # fmt: skip
    from PySide6.QtWidgets import QDialog, QInputDialog

    from skyvern_desktop.ui.launch.dialog import LaunchDialog

    wpid = await workflows.create("Uses a profile", [], [{"block_type": "wait", "label": "w",
                                                           "wait_sec": 1}])  # fmt: skip
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        app.window.show()
        await app.connect_initial(interactive=False)
        client = app.session.client
        assert client is not None
        app.window.show_page("logins")
        page = app.window.logins
        before = {s.browser_session_id for s in await client.list_browser_sessions()}
        qtbot.mouseClick(page.session_start, Qt.MouseButton.LeftButton)
        start = _top(QDialog, "sessionStartDialog")
        assert start is not None
        child(start, QPushButton, "sessionStartOk").click()
        await wait_until(lambda: app.logins.ours, within=60, what="a session started")
        sid = next(iter(app.logins.ours))
        assert sid not in before
        await wait_until(
            lambda: sid in {s.browser_session_id for s in page.sessions.items}, within=30
        )
        row = [s.browser_session_id for s in page.sessions.items].index(sid)
        assert page.sessions.index(row, 5).data() == "yes"  # started here
        page.session_table.selectRow(row)
        page.tabs.setCurrentIndex(1)
        shot(app.window, "logins-sessions.png")
        qtbot.mouseClick(page.session_extend, Qt.MouseButton.LeftButton)
        extend = _top(QInputDialog, "sessionExtendDialog")
        assert extend is not None
        extend.setIntValue(10)
        extend.accept()
        await wait_until(
            lambda: not any(n.startswith("ui.logins.session.extend") for n in app.tasks.names),
            within=30,
        )
        # A blank profile, used in a run: the launcher opens with it chosen.
        profile = await client.create_browser_profile(f"Blank {uuid.uuid4().hex[:6]}")
        page.tabs.setCurrentIndex(2)
        app.logins.load()
        await wait_until(
            lambda: (
                profile.browser_profile_id in {p.browser_profile_id for p in page.profiles.items}
            ),
            within=30,
        )
        page.profile_table.selectRow(
            [p.browser_profile_id for p in page.profiles.items].index(profile.browser_profile_id)
        )
        await wait_until(lambda: bool(page.profile_usage.text()), within=20)
        shot(app.window, "logins-profiles.png")
        qtbot.mouseClick(page.profile_use, Qt.MouseButton.LeftButton)
        await wait_until(lambda: _top(QInputDialog, "profileUseDialog"), within=30)
        pick = _top(QInputDialog, "profileUseDialog")
        assert pick is not None
        choice = next(i for i in pick.comboBoxItems() if wpid in i)
        pick.setTextValue(choice)
        pick.accept()
        await wait_until(lambda: app.launch.forms, within=30, what="the launcher")
        launcher = app.launch.forms[0]
        assert isinstance(launcher, LaunchDialog)
        assert launcher.options.profile.currentData() == profile.browser_profile_id
        launcher.reject()
        await client.delete_browser_profile(profile.browser_profile_id)
    finally:
        await app.aclose()  # closes the session the app started
    async with SkyvernClientFor(real_server) as check:
        left = {s.browser_session_id for s in await check.list_browser_sessions()}
    assert sid not in left
