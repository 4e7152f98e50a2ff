"""One batch, running or done: progress with counts and time left, the controls, and the
row table (filtered by status; a double-click opens a row's run)."""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.batch.rows import Bucket, RowState, input_texts
from ...core.batch.runner import MAX_CONCURRENCY
from ...core.batch.store import BatchState
from ...core.forms.params import specs_for
from ..dialogs import confirm
from ..format import seconds_text
from ..widgets.labels import ERROR_STYLE
from .model import ROW_ROLE, BatchRowsModel, BucketFilter

if TYPE_CHECKING:
    from ...api.models import Workflow
    from ...core.batch.rows import BatchRow
    from ...core.batch.runner import BatchRunner

_BUCKETS = (
    Bucket.WAITING, Bucket.RUNNING, Bucket.COMPLETED, Bucket.FAILED, Bucket.CANCELED,
    Bucket.MAYBE, Bucket.SKIPPED,
)  # fmt: skip
_STATE_TEXT = {
    BatchState.RUNNING: "Running",
    BatchState.PAUSED: "Paused: no new rows start; those running go on",
    BatchState.STOPPED: "Stopped: the rows not started were let go",
    BatchState.FINISHED: "Finished",
}


class BatchView(QWidget):
    """Intents: ``run_open_requested(run_id)``, ``export_requested()``, ``find_requested(row)``,
    ``cancel_running_requested()``."""

    run_open_requested = Signal(str)
    export_requested = Signal()
    find_requested = Signal(int)
    cancel_running_requested = Signal()

    def __init__(
        self, runner: BatchRunner, workflow: Workflow | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchView")
        self.runner = runner
        info = runner.info
        specs = specs_for(workflow.workflow_definition.parameters) if workflow else []
        outer = QVBoxLayout(self)
        when = datetime.fromtimestamp(info.created_at, UTC).astimezone().strftime("%d %b %H:%M")
        title = QLabel(
            f"<b>{html.escape(info.workflow_title)}</b> · {html.escape(info.source)} · {when}"
        )
        title.setObjectName("batchTitle")
        title.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(title)

        self.progress = QProgressBar()
        self.progress.setObjectName("batchProgress")
        self.progress.setTextVisible(True)
        outer.addWidget(self.progress)
        line = QHBoxLayout()
        self.counts = QLabel()
        self.counts.setObjectName("batchCounts")
        line.addWidget(self.counts, 1)
        self.eta = QLabel()
        self.eta.setObjectName("batchEta")
        line.addWidget(self.eta)
        outer.addLayout(line)
        self.state_label = QLabel()
        self.state_label.setObjectName("batchState")
        self.state_label.setWordWrap(True)
        outer.addWidget(self.state_label)

        controls = QHBoxLayout()
        self.pause_button = self._button("batchPause", "Pause", "Start no new rows", runner.pause)
        self.resume_button = self._button(
            "batchResume", "Resume", "Start rows again", runner.resume
        )
        self.stop_button = self._button(
            "batchStop", "Stop", "Let go of the rows not started; running ones finish", runner.stop
        )
        self.cancel_button = self._button(
            "batchCancelRunning", "Cancel running…", "Cancel the runs going now (asks first)",
            self._confirm_cancel,
        )  # fmt: skip
        self.retry_button = self._button(
            "batchRetryFailed", "Retry failed", "A new run for each failed row",
            lambda: runner.retry_failed() and None,
        )  # fmt: skip
        controls.addWidget(QLabel("Runs at once"))
        self.concurrency = QSpinBox()
        self.concurrency.setObjectName("batchConcurrencyLive")
        self.concurrency.setAccessibleName("Runs at once")
        self.concurrency.setRange(1, MAX_CONCURRENCY)
        self.concurrency.setValue(info.concurrency)
        self.concurrency.valueChanged.connect(runner.set_concurrency)
        controls.addWidget(self.concurrency)
        controls.addStretch(1)
        self.export_button = self._button(
            "batchExport", "Export…", "The rows and their results as CSV or Excel",
            self.export_requested.emit,
        )  # fmt: skip
        for b in (self.pause_button, self.resume_button, self.stop_button, self.cancel_button,
                  self.retry_button, self.export_button):  # fmt: skip
            controls.addWidget(b)
        outer.addLayout(controls)

        filters = QHBoxLayout()
        self.filter = QComboBox()
        self.filter.setObjectName("batchFilter")
        self.filter.setAccessibleName("Show rows")
        self.filter.addItem("All rows", None)
        for kind in _BUCKETS:
            self.filter.addItem(kind.value.capitalize(), kind.value)
        self.filter.currentIndexChanged.connect(self._on_filter)
        filters.addWidget(QLabel("Show"))
        filters.addWidget(self.filter)
        filters.addStretch(1)
        self.find_button = self._button(
            "batchFindRun", "Find its run…",
            "Look on the server for the run this row may have started", self._find,
        )  # fmt: skip
        self.again_button = self._button(
            "batchStartAgain", "Start again", "Send this row again (you checked it did not start)",
            self._again,
        )  # fmt: skip
        self.skip_button = self._button("batchSkip", "Skip", "Do not run this row", self._skip)
        for b in (self.find_button, self.again_button, self.skip_button):
            filters.addWidget(b)
        outer.addLayout(filters)

        self.model = BatchRowsModel(specs, self)
        self.model.texts_of = lambda row: input_texts(
            self.model.specs, info.mapping, info.headers, row.cells
        )
        self.model.set_rows(runner.rows)
        self.proxy = BucketFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("batchRows")
        self.table.setModel(self.proxy)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._on_double)
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        header.setToolTip("Right-click to choose the columns shown")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_row_actions())
        outer.addWidget(self.table, 1)
        self.model.modelReset.connect(self._fit_columns)  # a new output column
        self._fit_columns()

        self._tick = QTimer(self)  # durations of running rows, and the time left
        self._tick.setInterval(1000)
        self._dirty = False
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        self.refresh_summary()

    def _fit_columns(self) -> None:
        """Wide enough for a status, a run id and each header; no column over 260 px."""
        self.table.resizeColumnsToContents()
        metrics = self.table.fontMetrics()
        minimum = {1: metrics.horizontalAdvance("May have started") + 16}
        run_column = self.model.first_input_column + len(self.model.specs) + 1
        minimum[run_column] = metrics.horizontalAdvance("wr_000000000000000000") + 16
        for column in range(self.model.columnCount()):
            width = max(self.table.columnWidth(column), minimum.get(column, 0))
            self.table.setColumnWidth(column, min(width, 260))

    def _column_menu(self, at: QPoint) -> None:
        """Which columns show (the inputs, the results, each output field)."""
        menu = QMenu(self)
        menu.setObjectName("batchColumns")
        for column in range(1, self.model.columnCount()):
            name = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.toggled.connect(lambda on, c=column: self.table.setColumnHidden(c, not on))
        menu.popup(self.table.horizontalHeader().mapToGlobal(at))

    def _button(self, name: str, text: str, tip: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False: slot())  # type: ignore[operator]
        return button

    # ------------------------------------------------------------------ updates

    def rows_changed(self, indices: list[int]) -> None:
        """Rows changed: their cells at once; the counts and controls at the next tick
        (a batch of 100,000 rows changes thousands of times a minute)."""
        if indices:
            self.model.rows_changed(indices)
            if self.proxy.bucket is not None:
                self.proxy.refilter()
            self._dirty = True
        else:  # the batch's own state (paused, offline, ended): said at once
            self.refresh_summary()

    def _on_tick(self) -> None:
        if self.isVisible() and (self._dirty or self.runner.state is BatchState.RUNNING):
            self._dirty = False
            self.refresh_summary()

    def refresh_summary(self) -> None:
        runner = self.runner
        c = runner.counts.counts
        total = len(runner.rows) - c[Bucket.SKIPPED]
        ended = c[Bucket.COMPLETED] + c[Bucket.FAILED] + c[Bucket.CANCELED]
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(ended)
        self.progress.setFormat(f"{ended} of {total} ended")
        parts = [f"{c[b]} {b.value}" for b in _BUCKETS if c[b] or b in _BUCKETS[:5]]
        self.counts.setText(" · ".join(parts))
        left = runner.counts.eta_seconds(runner.concurrency)
        state = runner.state
        self.eta.setText(
            f"About {seconds_text(left)} left"
            if left and state is BatchState.RUNNING and ended < total
            else ""
        )
        text = _STATE_TEXT[state]
        if runner.problem:
            text = f"Paused: {runner.problem}"
        elif runner.offline and state is BatchState.RUNNING:
            text = f"Waiting for the server: {runner.offline} New rows start once it answers."
        elif runner.spacing and state is BatchState.RUNNING:
            text = (
                "Slowed down: the server asked for fewer requests (one start every"
                f" {runner.spacing:.1f} s)."
            )
        if runner.watch_error:
            text += f" · Status updates are failing, retrying: {runner.watch_error}"
        if c[Bucket.MAYBE]:
            text += (
                f" · {c[Bucket.MAYBE]} row(s) may have started: select one and choose Find its"
                " run, Start again or Skip."
            )
        self.state_label.setText(text)
        bad = bool(runner.problem or runner.offline or runner.watch_error or c[Bucket.MAYBE])
        self.state_label.setStyleSheet(ERROR_STYLE if bad else "")
        running = state is BatchState.RUNNING
        self.pause_button.setVisible(running)
        self.resume_button.setVisible(state is BatchState.PAUSED or bool(runner.problem))
        self.stop_button.setEnabled(c[Bucket.WAITING] > 0 and state is not BatchState.FINISHED)
        self.cancel_button.setEnabled(c[Bucket.RUNNING] > 0)
        self.retry_button.setEnabled(runner.counts.failed > 0)
        if runner.counts.running:  # the Duration column of running rows
            self.model.rows_changed(sorted(runner.counts.running))
        self._update_row_actions()

    def selected_rows(self) -> list[BatchRow]:
        out = []
        for index in self.table.selectionModel().selectedRows():
            row = index.data(ROW_ROLE)
            if row is not None:
                out.append(row)
        return out

    def _update_row_actions(self) -> None:
        rows = self.selected_rows()
        maybe = len(rows) == 1 and rows[0].state is RowState.MAYBE
        self.find_button.setEnabled(maybe)
        self.again_button.setEnabled(
            len(rows) == 1 and rows[0].state in (RowState.MAYBE, RowState.STOPPED)
        )
        self.skip_button.setEnabled(
            bool(rows) and all(r.state in (RowState.MAYBE, RowState.PENDING) for r in rows)
        )

    def _on_filter(self) -> None:
        data = self.filter.currentData()  # Qt hands the enum back as its text
        self.proxy.set_bucket(Bucket(data) if data else None)

    def show_bucket(self, value: Bucket | None) -> None:
        self.filter.setCurrentIndex(self.filter.findData(value.value if value else None))

    def _on_double(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is not None and row.run_id:
            self.run_open_requested.emit(row.run_id)

    # ------------------------------------------------------------------ row actions

    def _find(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            self.find_requested.emit(rows[0].index)

    def _again(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        row = rows[0]
        if row.state is RowState.STOPPED:
            self.runner.start_again(row.index)
            return
        confirm(
            self, "confirmStartAgain", "Start this row again?",
            f"Row {row.index + 1}'s request may have reached the server before its answer was"
            " lost, so its run may exist. Start it again only when you have checked that it did"
            " not start (Find its run… looks for it). Starting it again may run it twice.",
            "Start again", lambda: self.runner.start_again(row.index),
            icon=QMessageBox.Icon.Warning, destructive=True,
        )  # fmt: skip

    def _skip(self) -> None:
        for row in self.selected_rows():
            self.runner.skip(row.index)

    def _confirm_cancel(self) -> None:
        n = len(self.runner.counts.running)
        confirm(
            self, "confirmCancelRunning", "Cancel the running runs?",
            f"The server stops the {n} run{'s' if n != 1 else ''} of this batch going now. The"
            " rows not started yet are not affected (Pause or Stop does that).",
            "Cancel them", self.cancel_running_requested.emit,
            no=QMessageBox.StandardButton.No,  # "Cancel" beside "Cancel them" would confuse
            destructive=True,
        )  # fmt: skip

    def elapsed(self) -> float:
        return time.time() - self.runner.info.created_at
