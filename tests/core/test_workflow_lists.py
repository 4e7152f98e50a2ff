"""The workflow list kept between starts: what it holds (no key, no input defaults), whose
it is (never another connection's), and its file under the rule every file follows."""

from __future__ import annotations

import json
from pathlib import Path

from skyvern_desktop.api.models import Workflow
from skyvern_desktop.core.connection.profiles import (
    LOCAL_PROFILE_ID,
    Profile,
    ProfileKind,
    expected_list_identity,
    list_identity,
    resolve_connection,
)
from skyvern_desktop.core.storage.notices import Notices, Trouble
from skyvern_desktop.core.storage.workflow_lists import ListedWorkflow, WorkflowLists, summary

KEY = "sk-very-secret-key-0123456789"


def _workflow(n: int) -> Workflow:
    return Workflow.model_validate({
        "workflow_id": f"w_{n}", "workflow_permanent_id": f"wpid_{n}", "title": f"Flow {n}",
        "description": "Reads invoices", "modified_at": "2026-11-30T10:00:00",
        "workflow_definition": {"parameters": [
            {"parameter_type": "workflow", "key": "customer", "workflow_parameter_type": "string",
             "default_value": "a password-like default"},
        ], "blocks": []},
    })  # fmt: skip


def test_a_kept_list_reads_back_without_defaults_or_keys(tmp_path: Path) -> None:
    lists = WorkflowLists(tmp_path / "lists")
    ident = list_identity(Profile(name="P", kind=ProfileKind.SELF_HOSTED, base_url="http://h"))
    lists.save(ident, "http://h", [summary(_workflow(n)) for n in range(3)])
    text = lists.path(ident).read_text()
    assert "a password-like default" not in text and KEY not in text
    kept = lists.load(ident)
    assert kept is not None
    base_url, workflows = kept
    assert base_url == "http://h"
    assert [w.workflow_permanent_id for w in workflows] == ["wpid_0", "wpid_1", "wpid_2"]
    first = workflows[0]
    assert isinstance(first, ListedWorkflow) and first.title == "Flow 0"
    assert [(i.key, i.workflow_parameter_type) for i in first.inputs] == [("customer", "string")]
    assert first.modified_at is not None and first.modified_at.year == 2026
    assert lists.load("another-connection") is None


def test_each_connection_has_its_own_list_and_a_key_never_shows() -> None:
    saved = Profile(name="Prod", kind=ProfileKind.CLOUD, base_url="https://api.skyvern.com")
    other = Profile(name="Other org", kind=ProfileKind.CLOUD, base_url="https://api.skyvern.com")
    assert list_identity(saved) != list_identity(other)  # the same server, two connections
    env = {"SKYVERN_BASE_URL": "https://api.skyvern.com", "SKYVERN_API_KEY": KEY}
    env_other = dict(env, SKYVERN_API_KEY="sk-another-key-9876543210")
    a = expected_list_identity(None, use_local=False, environ=env)
    b = expected_list_identity(None, use_local=False, environ=env_other)
    assert a is not None and b is not None and a != b  # another key, another list
    assert KEY not in a
    resolved = resolve_connection(None, env)
    assert resolved is not None and list_identity(*resolved) == a  # what connecting uses
    # The local server: its address changes with each start, its list does not.
    local = Profile(
        name="L", kind=ProfileKind.LOCAL, base_url="http://127.0.0.1:5", id=LOCAL_PROFILE_ID
    )
    moved = local.replace(base_url="http://127.0.0.1:6")
    assert list_identity(local) == list_identity(moved)
    assert expected_list_identity(None, use_local=True, environ={}) == list_identity(local)
    assert expected_list_identity(None, use_local=False, environ={}) is None


def test_a_damaged_kept_list_is_set_aside_and_a_refused_write_said_once(tmp_path: Path) -> None:
    notices = Notices()
    lists = WorkflowLists(tmp_path / "lists", notices)
    lists.folder.mkdir()
    lists.path("x").write_text('{"version": 1, "workflows": [')
    assert lists.load("x") is None
    [kept] = list(lists.folder.glob("x.json.damaged-*"))
    assert kept.read_text() == '{"version": 1, "workflows": ['
    assert notices.said[-1].trouble is Trouble.SET_ASIDE
    blocked = WorkflowLists(tmp_path / "a-file", notices)
    blocked.folder.write_text("not a folder")
    for _ in range(3):
        blocked.save("y", "http://h", [summary(_workflow(1))])
    assert [n.trouble for n in notices.said].count(Trouble.NOT_KEPT) == 1
    lists.path("z").write_text(json.dumps({"version": 99, "base_url": "h", "workflows": []}))
    assert lists.load("z") is None  # another version's: set aside, not misread
    assert list(lists.folder.glob("z.json.damaged-*"))
