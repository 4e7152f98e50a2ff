"""The run launcher, against the real server and, for what it won't do on demand, the fake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.models import RunStatus
from skyvern_desktop.ui.launch.dialog import LaunchDialog
from skyvern_desktop.ui.tasks import TaskRunner
from skyvern_desktop.ui.widgets.fields import (
    BooleanEditor,
    CredentialEditor,
    FileUrlEditor,
    TextEditor,
)
from tests.api.support import API_KEY, run_json, workflow_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.integration.helpers import WorkflowFactory, http_block, param, wait_for_run
from tests.realserver import RealServer
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio

SEVEN = [
    param("name", "string", None, "Who"),
    param("count", "integer", None, "How many"),
    param("ratio", "float", 0.5),
    param("urgent", "boolean", None),
    param("items", "json", None, "A JSON list"),
    param("receipt", "file_url", None),
    param("login", "credential_id", None),
]


async def _dialog(
    qtbot: QtBot, client: SkyvernClient, tasks: TaskRunner, wpid: str
) -> LaunchDialog:
    workflow = await client.get_workflow(wpid)
    dialog = LaunchDialog(workflow, client, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    await tasks.join()  # the pickers' lists
    return dialog


def _type(qtbot: QtBot, dialog: LaunchDialog, key: str, text: str) -> None:
    editor = dialog.editors[key]
    if isinstance(editor, BooleanEditor):
        (editor.yes if text == "true" else editor.no).click()
        return
    editor.set_text("")
    target = editor.edit if isinstance(editor, TextEditor | FileUrlEditor) else None
    if target is None:
        editor.set_text(text)
    else:
        qtbot.keyClicks(target, text)


async def test_all_seven_types_reach_the_server_with_their_json_types(
    qtbot: QtBot, tasks: TaskRunner, real_server: RealServer, workflows: WorkflowFactory,
    tmp_path: Path,
) -> None:  # fmt: skip
    wpid = await workflows.create(
        "Seven types", SEVEN, [http_block(url=f"{real_server.base_url}/v1/version")]
    )
    cred_id = await workflows.create_credential("Expense portal", "ada@example.com", "pw-0123")
    async with SkyvernClient(real_server.base_url, real_server.api_key) as client:
        dialog = await _dialog(qtbot, client, tasks, wpid)
        picker = dialog.editors["login"]
        assert isinstance(picker, CredentialEditor)
        labels = [picker.combo.itemText(i) for i in range(picker.combo.count())]
        label = "Expense portal · password · ada@example.com"
        assert label in labels
        picker.combo.setCurrentIndex(labels.index(label))
        assert picker.text() == cred_id  # the id is sent; the label is what is shown
        assert [s.key for s in dialog.specs] == [p["key"] for p in SEVEN]
        assert dialog.editors["ratio"].text() == "0.5"  # defaults are prefilled
        assert "*" in dialog.editors["name"].label.text()  # required is marked
        assert "*" not in dialog.editors["login"].label.text()  # credential_id: optional

        # Nothing invalid is sent: the first press only marks what is wrong.
        await dialog.submit()
        assert dialog.last_run is None
        assert dialog.editors["count"].error.text() == "Count is required."
        assert dialog.editors["urgent"].error.text() == "Urgent is required."

        _type(qtbot, dialog, "name", "Ada Lovelace")
        _type(qtbot, dialog, "count", "1.5")
        dialog.editors["count"].validate()
        assert "whole number" in dialog.editors["count"].error.text()
        _type(qtbot, dialog, "count", "-42")
        _type(qtbot, dialog, "urgent", "true")
        _type(qtbot, dialog, "items", '[{"item": "Taxi", "cents": 4500},')
        assert "line 1" in dialog.editors["items"].error.text()  # checked as you type
        _type(qtbot, dialog, "items", '{"item": "Taxi", "cents": 4500}')
        assert dialog.editors["items"].error.isHidden()
        receipt = tmp_path / "receipt.pdf"
        receipt.write_bytes(b"%PDF-1.4 receipt")
        editor = dialog.editors["receipt"]
        assert isinstance(editor, FileUrlEditor)
        assert await editor.upload(receipt)
        uploaded = editor.text()
        assert uploaded.startswith("file://")
        assert uploaded.endswith("receipt.pdf")

        run = await dialog.submit()
        assert run is not None
        assert run.status == RunStatus.CREATED
        assert dialog.last_run == run
        assert run.run_id in dialog.notice.text()
        done = await wait_for_run(client, run.run_id)
        sent = done.run_request["parameters"] if done.run_request else {}
        assert sent["name"] == "Ada Lovelace"
        assert sent["count"] == -42
        assert isinstance(sent["count"], int)
        assert sent["ratio"] == 0.5
        assert sent["urgent"] is True
        assert sent["items"] == {"item": "Taxi", "cents": 4500}  # an object, not a string
        assert sent["receipt"] == uploaded
        assert sent["login"] == cred_id


async def test_the_servers_refusal_lands_on_the_field(
    qtbot: QtBot, tasks: TaskRunner, real_server: RealServer, workflows: WorkflowFactory
) -> None:
    # The launcher holds a definition that has gone stale: "count" was text when it
    # opened, and is a whole number on the server now. The server refuses "abc", and its
    # words land on the field.
    url = f"{real_server.base_url}/v1/version"
    wpid = await workflows.create("Refusal", [param("count", "integer")], [http_block(url=url)])
    async with SkyvernClient(real_server.base_url, real_server.api_key) as client:
        stale = (await client.get_workflow(wpid)).model_copy(deep=True)
        count = next(p for p in stale.workflow_definition.parameters if p.key == "count")
        count.workflow_parameter_type = "string"
        dialog = LaunchDialog(stale, client, tasks)
        qtbot.addWidget(dialog)
        dialog.show()
        _type(qtbot, dialog, "count", "abc")
        assert await dialog.submit() is None
        assert "not “abc”" in dialog.editors["count"].error.text()
        assert "Expected parameter type: integer" in dialog.banner.text()
        assert dialog.editors["count"].text() == "abc"  # what was typed is kept
        await tasks.join()


async def test_one_run_per_press_however_often_it_is_pressed(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    fake_server.always("GET", "/v1/browser_sessions", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/browser_profiles", FakeResponse.of_json([]))
    fake_server.enqueue_json("GET", "/v1/workflows/wpid_1", workflow_json(1))
    fake_server.enqueue(
        "POST", "/v1/run/workflows", FakeResponse.of_json(run_json("wr_9"), delay=0.5)
    )
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        dialog = await _dialog(qtbot, client, tasks, "wpid_1")
        _type(qtbot, dialog, "url", "https://example.com")
        for _ in range(3):
            qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert not dialog.run_button.isEnabled()
        await wait_until(lambda: dialog.last_run is not None, within=10)
        await tasks.join()
        assert len(fake_server.requests_to("POST", "/v1/run/workflows")) == 1
        assert fake_server.requests_to("POST", "/v1/run/workflows")[0].json() == {
            "workflow_id": "wpid_1", "parameters": {"url": "https://example.com"},
        }  # fmt: skip
        assert dialog.run_button.isEnabled()


async def test_an_unclear_network_failure_is_never_retried(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    fake_server.always("GET", "/v1/browser_sessions", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/browser_profiles", FakeResponse.of_json([]))
    fake_server.enqueue_json("GET", "/v1/workflows/wpid_1", workflow_json(1))
    fake_server.enqueue("POST", "/v1/run/workflows", FakeResponse(drop=True))
    async with SkyvernClient(fake_server.url, API_KEY) as client:
        dialog = await _dialog(qtbot, client, tasks, "wpid_1")
        _type(qtbot, dialog, "url", "https://example.com")
        assert await dialog.submit() is None
        assert len(fake_server.requests_to("POST", "/v1/run/workflows")) == 1
        assert "may have reached the server" in dialog.banner.text()
        assert "cannot start the run twice" in dialog.banner.text()
        assert dialog.editors["url"].text() == "https://example.com"


async def test_an_upload_the_server_cannot_store_is_explained(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.always("GET", "/v1/browser_sessions", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/browser_profiles", FakeResponse.of_json([]))
    wf = workflow_json(1)
    wf["workflow_definition"]["parameters"][0]["workflow_parameter_type"] = "file_url"
    fake_server.enqueue_json("GET", "/v1/workflows/wpid_1", wf)
    fake_server.enqueue_json(
        "POST", "/v1/upload_file", {"error": "Unexpected error: NotImplementedError"}, status=500
    )
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (10 * 1024 * 1024 + 1))
    small = tmp_path / "cv.pdf"
    small.write_bytes(b"%PDF")
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        dialog = await _dialog(qtbot, client, tasks, "wpid_1")
        editor = dialog.editors["url"]
        assert isinstance(editor, FileUrlEditor)
        assert not await editor.upload(big)
        assert "10 MB" in editor.error.text()
        assert fake_server.requests_to("POST", "/v1/upload_file") == []  # refused before sending
        assert not await editor.upload(small)
        assert "could not store the file" in editor.error.text()
        assert "NotImplementedError" in editor.error.text()
        assert "paste its web address" in editor.error.text()
        _type(qtbot, dialog, "url", "https://files.example.com/cv.pdf")
        assert editor.validate() == "https://files.example.com/cv.pdf"


async def test_options_and_copy_as_code(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    fake_server.always("GET", "/v1/browser_sessions", FakeResponse.of_json([
        {"browser_session_id": "pbs_1", "organization_id": "o_1", "status": "running",
         "created_at": "2026-11-29T10:00:00"}]))  # fmt: skip
    fake_server.always("GET", "/v1/browser_profiles", FakeResponse.of_json([
        {"browser_profile_id": "bp_7", "organization_id": "o_1", "name": "Logged-in Chrome",
         "created_at": "2026-11-29T10:00:00"}]))  # fmt: skip
    fake_server.enqueue_json("GET", "/v1/workflows/wpid_1", workflow_json(1))
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        dialog = await _dialog(qtbot, client, tasks, "wpid_1")
        options = dialog.options
        _type(qtbot, dialog, "url", "https://example.com")
        options.webhook.setText("ftp://nope")
        assert dialog.build_body() is None
        assert "https://" in options.webhook_error.text()
        options.webhook.setText("https://hooks.example.com/x")
        options.proxy.setCurrentIndex(options.proxy.findData("__geo__"))
        options.country.setCurrentIndex(options.country.findData("GB"))
        options.city.setText("London")
        options.session.setCurrentIndex(options.session.findData("pbs_1"))
        options.profile.setCurrentIndex(options.profile.findData("bp_7"))
        options.max_minutes.setValue(30)
        options.add_header("X-Team", "ops")
        options.run_title.setText("Nightly")
        body = dialog.build_body()
        assert body == {
            "workflow_id": "wpid_1",
            "parameters": {"url": "https://example.com"},
            "title": "Nightly",
            "proxy_location": {"country": "GB", "city": "London"},
            "webhook_url": "https://hooks.example.com/x",
            "browser_session_id": "pbs_1",
            "browser_profile_id": "bp_7",
            "max_elapsed_time_minutes": 30,
            "extra_http_headers": {"X-Team": "ops"},
        }
        dialog.copy_curl.trigger()
        curl = QGuiApplication.clipboard().text()
        assert curl.startswith(f'curl -X POST "{fake_server.url}/v1/run/workflows"')
        assert "$SKYVERN_API_KEY" in curl
        assert API_KEY not in curl
        assert json.loads(curl.split("-d '", 1)[1].rsplit("'", 1)[0]) == body
        dialog.copy_python.trigger()
        python = QGuiApplication.clipboard().text()
        assert 'os.getenv("SKYVERN_API_KEY")' in python
        assert API_KEY not in python
        compile(python, "<snippet>", "exec")

        # Rerun: the form filled in from an earlier run's request, options included.
        options.max_minutes.setValue(0)
        options.headers.setRowCount(0)
        dialog.prefill({**body, "parameters": {"url": "https://other.example.com"}})
        assert dialog.editors["url"].text() == "https://other.example.com"
        rebuilt = dialog.build_body()
        assert rebuilt is not None
        assert rebuilt["proxy_location"] == {"country": "GB", "city": "London"}
        assert rebuilt["extra_http_headers"] == {"X-Team": "ops"}
        assert rebuilt["max_elapsed_time_minutes"] == 30
        await tasks.join()


async def test_a_field_is_checked_when_it_loses_focus_and_free_text_credentials_work(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    fake_server.always("GET", "/v1/browser_sessions", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/browser_profiles", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/credentials", FakeResponse.of_json([]))
    wf = workflow_json(1)
    wf["workflow_definition"]["parameters"] = [
        {**wf["workflow_definition"]["parameters"][0], "key": "count",
         "workflow_parameter_type": "integer"},
        {**wf["workflow_definition"]["parameters"][0], "key": "login",
         "workflow_parameter_type": "credential_id"},
    ]  # fmt: skip
    fake_server.enqueue_json("GET", "/v1/workflows/wpid_1", wf)
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        dialog = await _dialog(qtbot, client, tasks, "wpid_1")
        count = dialog.editors["count"]
        login = dialog.editors["login"]
        assert isinstance(login, CredentialEditor)
        dialog.activateWindow()
        count.focus_editor()
        qtbot.keyClicks(count.edit, "1e3")  # type: ignore[attr-defined]
        assert count.error.isHidden()  # nothing said while typing
        login.focus_editor()  # focus moves on
        await wait_until(lambda: not count.error.isHidden(), what="the inline error")
        assert "whole number" in count.error.text()
        login.set_text("cred_typed_by_hand")
        assert login.text() == "cred_typed_by_hand"
        login.set_text("has a space")
        assert "Choose a credential from the list" in str(login.validate().message)


def _basic(fake_server: FakeServer, **lists: list[dict[str, object]]) -> None:
    fake_server.always("GET", "/v1/browser_sessions", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/browser_profiles", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/credentials", FakeResponse.of_json(lists.get("credentials", [])))
    fake_server.always("GET", "/v1/workflows/wpid_1", FakeResponse.of_json(workflow_json(1)))


async def test_two_launchers_do_not_interfere_and_closing_one_stops_its_work(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    _basic(fake_server)
    fake_server.always(
        "POST", "/v1/run/workflows", FakeResponse.of_json(run_json("wr_9"), delay=0.3)
    )
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        first = await _dialog(qtbot, client, tasks, "wpid_1")
        second = await _dialog(qtbot, client, tasks, "wpid_1")
        for dialog in (first, second):
            _type(qtbot, dialog, "url", "https://example.com")
            dialog.request_submit()
        # Closing while a run is being started is refused: the answer must not be lost.
        first.reject()
        assert first.isVisible()
        assert "closes once the server has answered" in first.banner.text()
        await wait_until(lambda: first.last_run is not None and second.last_run is not None)
        assert len(fake_server.requests_to("POST", "/v1/run/workflows")) == 2
        assert first.run_button.isEnabled()
        assert second.run_button.isEnabled()
        first.reject()
        assert not first.isVisible()
        await tasks.join()


async def test_duplicate_credential_labels_send_the_chosen_id(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    twin = {"name": "Portal", "credential_type": "password", "credential": {"username": "ada"}}
    _basic(
        fake_server,
        credentials=[{**twin, "credential_id": "cred_A"}, {**twin, "credential_id": "cred_B"}],
    )
    wf = workflow_json(1)
    wf["workflow_definition"]["parameters"][0]["workflow_parameter_type"] = "credential_id"
    fake_server.always("GET", "/v1/workflows/wpid_1", FakeResponse.of_json(wf))
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        dialog = await _dialog(qtbot, client, tasks, "wpid_1")
        picker = dialog.editors["url"]
        assert isinstance(picker, CredentialEditor)
        picker.combo.setCurrentIndex(1)
        assert picker.text() == "cred_B"


async def test_running_waits_for_an_upload_to_finish(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    _basic(fake_server)
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        dialog = await _dialog(qtbot, client, tasks, "wpid_1")
        _type(qtbot, dialog, "url", "https://example.com")
        editor = dialog.editors["url"]
        editor.uploading = True
        assert await dialog.submit() is None
        assert "Wait for the upload" in dialog.banner.text()
        assert fake_server.requests_to("POST", "/v1/run/workflows") == []
        editor.uploading = False

        fake_server.enqueue_json("POST", "/v1/run/workflows", run_json("wr_after_upload"))
        run = await dialog.submit()
        assert run is not None
        assert run.run_id == "wr_after_upload"
        assert len(fake_server.requests_to("POST", "/v1/run/workflows")) == 1
