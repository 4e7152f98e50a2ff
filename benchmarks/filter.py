"""Re-filtering 10,000 workflows after a keystroke, against Qt's own C++ filter.

Both sides type the same keystrokes into a table shown offscreen at 1280×800 and repaint
it after each one. The app's side is the real Workflows screen (its search box, model,
proxy and table); the baseline is a QStandardItemModel behind a QSortFilterProxyModel
filtering with setFilterFixedString, all in C++.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

ROWS = 10_000
WORDS = ["invoice", "report", "apply", "job", "price", "check", "download", "renew", "quote"]
TYPED = "invoice 12"


def keystrokes() -> list[str]:
    """Type TYPED letter by letter, delete it again, and type a second query: 30 keystrokes."""
    forward = [TYPED[: i + 1] for i in range(len(TYPED))]
    second = [w[: i + 1] for w in ["renew q"] for i in range(len(w))]
    return [*forward, *reversed(forward[:-1]), "", *second, ""]


def titles() -> list[tuple[str, str, str]]:
    out = []
    for i in range(ROWS):
        a, b = WORDS[i % len(WORDS)], WORDS[(i * 7) % len(WORDS)]
        out.append((f"{a.title()} {b} {i}", f"wpid_{600000000000 + i}", f"Does the {a} {b}."))
    return out


def measure(apply: Callable[[str], None], view: QTableView, app: QApplication) -> list[float]:
    times: list[float] = []
    for _ in range(3):
        for text in keystrokes():
            started = time.perf_counter()
            apply(text)
            app.processEvents()
            view.viewport().repaint()
            times.append(time.perf_counter() - started)
    return times


def app_side(app: QApplication, rows: list[tuple[str, str, str]]) -> list[float]:
    from skyvern_desktop.api.models import Workflow
    from skyvern_desktop.ui.data.workflows_model import WorkflowTableModel
    from skyvern_desktop.ui.workflows.page import WorkflowsPage

    page = WorkflowsPage(WorkflowTableModel())
    page.resize(1280, 800)
    page.show()
    workflows = [
        Workflow.model_validate(
            {"workflow_id": f"w_{i}", "workflow_permanent_id": wpid, "title": title,
             "description": desc}
        )
        for i, (title, wpid, desc) in enumerate(rows)
    ]  # fmt: skip
    page.model.upsert(workflows)
    page.panel.show_content()
    app.processEvents()
    assert page.model.rowCount() == ROWS
    page.search.setText("invoice 12")
    shown = page.proxy.rowCount()
    page.search.setText("")
    print(f"app: {ROWS} rows, 'invoice 12' matches {shown}")
    return measure(page.search.setText, page.table, app)


def baseline_side(app: QApplication, rows: list[tuple[str, str, str]]) -> list[float]:
    model = QStandardItemModel(0, 3)
    for title, wpid, desc in rows:
        model.appendRow([QStandardItem(title), QStandardItem(wpid), QStandardItem(desc)])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)  # any column, like the app's search
    view = QTableView()
    view.setModel(proxy)
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    return measure(proxy.setFilterFixedString, view, app)


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    rows = titles()
    base = baseline_side(app, rows)
    ours = app_side(app, rows)
    b, o = statistics.median(base) * 1000, statistics.median(ours) * 1000
    p95 = sorted(ours)[int(len(ours) * 0.95)] * 1000
    print(f"keystrokes timed: {len(ours)} per side")
    print(f"baseline: Qt C++ fixed-string filter, median {b:6.2f} ms")
    print(f"app: Workflows search box,      median {o:6.2f} ms = {o / b:5.2f}x baseline,"
          f" p95 {p95:.2f} ms (goal: median <= 16 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
