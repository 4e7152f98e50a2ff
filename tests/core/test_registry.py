"""The run registry: every run remembered at once, panes restored after a kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from skyvern_desktop.core.runs.registry import RunRegistry

SERVER = "http://127.0.0.1:8000"


def test_record_update_and_panes(tmp_path: Path) -> None:
    reg = RunRegistry(tmp_path / "runs.sqlite3")
    reg.record(SERVER, "wr_1", workflow_permanent_id="wpid_1", workflow_title="A", pane_open=True)
    reg.record(SERVER, "wr_2", workflow_permanent_id="wpid_1", status="running", pane_open=True)
    reg.record("https://api.skyvern.com", "wr_1", pane_open=True)  # same id, other server
    reg.record(SERVER, "wr_1", status="running")  # keeps the title and the open pane
    one = reg.get(SERVER, "wr_1")
    assert one is not None
    assert (one.workflow_title, one.status, one.pane_open, one.terminal) == (
        "A",
        "running",
        True,
        False,
    )
    assert [r.run_id for r in reg.open_panes(SERVER)] == ["wr_1", "wr_2"]
    reg.record(SERVER, "wr_1", status="completed", terminal=True)
    reg.record(SERVER, "wr_1", status="running")  # a late, stale update cannot un-end it
    again = reg.get(SERVER, "wr_1")
    assert again is not None
    assert again.terminal
    two = reg.get(SERVER, "wr_2")
    assert two is not None and not two.terminal
    reg.set_pane_open(SERVER, "wr_2", False)
    assert [r.run_id for r in reg.open_panes(SERVER)] == ["wr_1"]
    assert [r.run_id for r in reg.open_panes("https://api.skyvern.com")] == ["wr_1"]
    reg.close()
    reopened = RunRegistry(tmp_path / "runs.sqlite3")
    assert [r.run_id for r in reopened.open_panes(SERVER)] == ["wr_1"]
    reopened.close()


def test_nothing_is_lost_when_the_process_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from pathlib import Path
        from skyvern_desktop.core.runs.registry import RunRegistry
        reg = RunRegistry(Path({str(path)!r}))
        reg.record({SERVER!r}, "wr_killed", workflow_title="Long", status="running", pane_open=True)
        print("written", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.strip() == "written"
    reg = RunRegistry(path)
    try:
        panes = reg.open_panes(SERVER)
        assert [(p.run_id, p.status, p.workflow_title) for p in panes] == [
            ("wr_killed", "running", "Long")
        ]
    finally:
        reg.close()
    assert os.path.getsize(path) > 0
