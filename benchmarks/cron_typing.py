"""Typing a cron expression into the schedule editor, a keystroke at a time.

Each keystroke in the editor's cron field re-checks the expression by the server's rule
(which samples up to a day of firings), moves the builder, and redraws the preview: the
schedule in words and the next five runs. The app's side is the real ScheduleEditor,
shown offscreen; the baseline is a bare QLineEdit whose every keystroke only runs
``croniter.is_valid``. Both type the same keystrokes and repaint after each.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from croniter import croniter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

# The paths people type: through "* * * * *" (refused) to "*/5" (accepted: a full day
# sampled), a weekday morning, and a long minute list.
TYPED = (
    "*/5 * * * *",
    "0 9 * * 1-5",
    "0,5,10,15,20,25,30,35,40,45,50,55,59 * * * *",
    "30 17 1 * *",
)
ROUNDS = 3


def measure(field: QLineEdit, repaint: QWidget, app: QApplication) -> list[float]:
    times: list[float] = []
    for _ in range(ROUNDS):
        for text in TYPED:
            field.clear()
            for char in text:
                started = time.perf_counter()
                QTest.keyClicks(field, char)
                app.processEvents()
                repaint.repaint()
                times.append(time.perf_counter() - started)
    return times


def baseline_side(app: QApplication) -> list[float]:
    field = QLineEdit()
    field.resize(640, 30)
    verdicts: list[bool] = []
    field.textEdited.connect(lambda text: verdicts.append(croniter.is_valid(text)))
    field.show()
    app.processEvents()
    return measure(field, field, app)


async def app_side(app: QApplication) -> list[float]:
    from skyvern_desktop.api import SkyvernClient
    from skyvern_desktop.api.models import Workflow
    from skyvern_desktop.ui.schedules.editor import ScheduleEditor
    from skyvern_desktop.ui.tasks import TaskRunner

    workflow = Workflow.model_validate(
        {"workflow_id": "w_1", "workflow_permanent_id": "wpid_1", "title": "Report"}
    )
    tasks = TaskRunner()
    # No request is made: the workflow has no credential input to fill a list for.
    async with SkyvernClient("http://127.0.0.1:9", "unused") as client:
        editor = ScheduleEditor(workflow, client, tasks, default_timezone="America/New_York")
        editor.show()
        await tasks.join()
        times = measure(editor.cadence.raw, editor, app)
        words = editor.words.text()
        editor.close()
        await tasks.aclose()
    print(f"app: last preview: {words}")
    return times


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    from skyvern_desktop.ui.loop import new_event_loop

    base = baseline_side(app)
    runner: Callable[[], asyncio.AbstractEventLoop] = lambda: new_event_loop(app)  # noqa: E731
    with asyncio.Runner(loop_factory=runner) as loop:
        ours = loop.run(app_side(app))
    b, o = statistics.median(base) * 1000, statistics.median(ours) * 1000
    p95 = sorted(ours)[int(len(ours) * 0.95)] * 1000
    worst = max(ours) * 1000
    print(f"keystrokes timed: {len(ours)} per side")
    print(f"baseline: QLineEdit + croniter.is_valid, median {b:6.2f} ms")
    print(f"app: schedule editor cron field,     median {o:6.2f} ms = {o / b:5.2f}x baseline,"
          f" p95 {p95:.2f} ms, worst {worst:.2f} ms (goal: p95 <= 16 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
