"""What a run did, with many actions: the Steps tab and the comparison of two runs.

A run of ``BENCH_ACTIONS`` (200) actions, each with a full-size (1920×1080) screenshot,
shown through the in-process fake server (the timeline in the real server's shape; the
real server's own timelines are read in the real-server tests). Printed, each against a
baseline measured in this same run:

- Steps rendered (the tree built and painted) against a plain ``QTreeView`` over a
  ``QStandardItemModel`` filled with the same rows;
- memory (RSS) after every thumbnail was scrolled past, against after the first screen;
- requests while the pane is hidden (goal: none);
- aligning two 200-action runs against a plain ``difflib`` over the same action lists.
"""

from __future__ import annotations

import asyncio
import difflib
import gc
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTreeView

from skyvern_desktop.api.models import TimelineItem, WorkflowRunRequest
from skyvern_desktop.core.runs.compare import RunSide, compare, signature
from skyvern_desktop.core.runs.steps import steps_of
from skyvern_desktop.ui.loop import new_event_loop
from skyvern_desktop.ui.tasks import TaskRunner
from tests.fakes.client import FakeClient
from tests.support.panes import run_pane

ACTIONS = int(os.environ.get("BENCH_ACTIONS", "200"))
REPEATS = 7


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def screenshot(i: int) -> bytes:
    image = QImage(1920, 1080, QImage.Format.Format_RGB32)
    image.fill(QColor.fromHsv(i * 7 % 360, 60, 230))
    painter = QPainter(image)
    painter.setPen(Qt.GlobalColor.black)
    painter.drawText(100, 100, f"Field {i}: a page after the action")
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(data.data())


def timeline(shots: list[str], *, fail_at: int | None = None) -> list[dict[str, Any]]:
    actions = []
    for i, shot in enumerate(shots):
        kind = "terminate" if i == fail_at else "input_text"
        actions.append({
            "action_type": kind, "status": "completed", "step_order": i // 20,
            "action_order": i % 20, "element_id": f"A{i:03d}", "text": f"value {i}",
            "reasoning": f"Field {i} asks for value {i}.", "intention": f"fill field {i}",
            "screenshot_artifact_id": shot,
            "skyvern_element_data": {"attributes": {"placeholder": f"Field {i}"}},
        })  # fmt: skip
    return [{
        "type": "block", "children": [], "created_at": "2026-12-07T10:00:00",
        "block": {"label": "fill_form", "block_type": "navigation", "status": "completed",
                  "actions": actions, "created_at": "2026-12-07T10:00:00",
                  "modified_at": "2026-12-07T10:03:20"},
    }]  # fmt: skip


def baseline_tree(rows: list[tuple[str, str]]) -> float:
    """A plain QTreeView over a QStandardItemModel with the same rows, built and painted."""
    started = time.perf_counter()
    model = QStandardItemModel(0, 3)
    head = [
        QStandardItem("fill_form  ·  navigation"),
        QStandardItem("Completed"),
        QStandardItem("3 min"),
    ]
    for text, status in rows:
        head[0].appendRow([QStandardItem(text), QStandardItem(status), QStandardItem("")])
    model.appendRow(head)
    view = QTreeView()
    view.setModel(model)
    view.resize(700, 700)
    view.expandAll()
    view.show()
    view.grab()
    took = time.perf_counter() - started
    view.close()
    return took


async def main() -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("A long form")
    run = await fake.run_workflow(WorkflowRunRequest(workflow_id=workflow.workflow_permanent_id))
    # Ten different full-size pictures, each action its own artifact (read and decoded on
    # its own): the pictures' bytes are not what is measured.
    pictures = [screenshot(i) for i in range(10)]
    shots = [fake.add_artifact(run.run_id, "screenshot_action", pictures[i % 10]).artifact_id
             for i in range(ACTIONS)]  # fmt: skip
    fake.set_timeline(run.run_id, timeline(shots))
    fake.advance(run.run_id, "completed")
    items = [TimelineItem.model_validate(i) for i in timeline(shots)]

    # Steps rendered, against the plain tree (medians of REPEATS, alternated).
    tasks = TaskRunner()
    pane = run_pane(run.run_id, fake, tasks)  # type: ignore[arg-type]
    pane.resize(1280, 800)
    pane.show()
    pane.tabs.setCurrentWidget(pane.steps)
    await pane.tracker.watch()
    await tasks.join()
    rows = [(f"{s.number}. {s.words}", "Completed") for s in steps_of(items)[0].steps]
    ours, plain = [], []
    for _ in range(REPEATS):
        plain.append(baseline_tree(rows))
        started = time.perf_counter()
        pane.steps.fill(items, final=True)
        pane.steps.grab()
        ours.append(time.perf_counter() - started)
    a, b = statistics.median(ours), statistics.median(plain)
    print(f"Steps rendered ({ACTIONS} actions): {a * 1000:.1f} ms = {a / b:.2f}x a plain "
          f"QTreeView with the same rows ({b * 1000:.1f} ms); goal <= 1.20x")  # fmt: skip

    # Memory: after the first screen's thumbnails, then after scrolling past all of them.
    steps = pane.steps
    await asyncio.sleep(0.1)
    await tasks.join()
    gc.collect()
    first = rss_mb()
    bar = steps.tree.verticalScrollBar()
    for value in range(0, bar.maximum() + bar.pageStep(), max(1, bar.pageStep() // 2)):
        bar.setValue(value)
        await asyncio.sleep(0.04)
        await tasks.join()
    for i in range(0, ACTIONS, 10):  # and the large pictures of every tenth action
        steps.select_step(i)
        await asyncio.sleep(0)
        await tasks.join()
    gc.collect()
    after = rss_mb()
    print(f"memory after scrolling all {ACTIONS} thumbnails: {after:.0f} MB = "
          f"{after / first:.2f}x after the first screen ({first:.0f} MB); goal <= 1.30x "
          f"(thumbnails read {steps.pictures.reads}, kept {len(steps.pictures.thumbs)})"
          )  # fmt: skip

    # Hidden: no requests.
    pane.hide()
    before = len(fake.calls)
    await asyncio.sleep(3)
    await tasks.join()
    print(f"requests while the pane is hidden (3 s): {len(fake.calls) - before}; goal 0")
    pane.stop()
    await tasks.aclose()

    # Compare two 200-action runs (the second fails at the middle).
    side_a = RunSide("wr_a", "wpid", "completed", [], None, steps_of(items))
    failed = [TimelineItem.model_validate(i) for i in timeline(shots, fail_at=ACTIONS // 2)]
    side_b = RunSide("wr_b", "wpid", "terminated", [], None, steps_of(failed))
    ours, plain = [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = compare(side_a, side_b)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        list_a = [signature(s) for s in side_a.blocks[0].steps]
        list_b = [signature(s) for s in side_b.blocks[0].steps]
        difflib.SequenceMatcher(None, list_a, list_b, autojunk=False).get_opcodes()
        plain.append(time.perf_counter() - started)
    a, b = statistics.median(ours), statistics.median(plain)
    assert result.diverges_at is not None
    print(f"compare two {ACTIONS}-action runs: {a * 1000:.2f} ms (goal <= 100 ms) = "
          f"{a / b:.2f}x a plain difflib over the same action lists ({b * 1000:.2f} ms)"
          )  # fmt: skip


def run() -> None:
    qapp = QApplication.instance() or QApplication([])
    with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:  # type: ignore[arg-type]
        runner.run(main())


if __name__ == "__main__":
    run()
