"""A new batch: the spreadsheet, which column feeds which input, the run options, and a
preview of every row checked by the launcher's rules before anything is sent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import SkyvernError
from ...core.batch.rows import (
    BatchRow,
    CheckedRow,
    InputSource,
    Mapping,
    RowState,
    auto_map,
    check_rows,
    check_template,
    check_texts,
    fit_mapping,
    problems_text,
)
from ...core.batch.runner import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from ...core.batch.sheets import SheetError, Table, read_pasted, read_table, sheet_names
from ...core.forms.params import FieldSpec, specs_for
from ..widgets.labels import ERROR_STYLE, error_label
from ..widgets.run_options import RunOptions, webhook_test_verdict
from .mapping import MappingTable
from .model import BatchRowsModel

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import Workflow
    from ..tasks import TaskRunner

LARGE_SHEET = 2000  # rows checked at once; a larger sheet is checked in a worker thread


@dataclass(frozen=True)
class BatchDraft:
    """Everything a batch needs to start: what the Start button hands on."""

    workflow_permanent_id: str
    workflow_title: str
    table: Table
    mapping: Mapping
    rows: list[BatchRow]
    options: dict[str, Any]
    title_template: str
    concurrency: int


class BatchSetup(QWidget):
    """``start_requested(BatchDraft)`` when Start is pressed with rows that can run."""

    start_requested = Signal(object)
    closed = Signal()

    def __init__(
        self,
        workflow: Workflow,
        client: SkyvernClient,
        tasks: TaskRunner,
        remembered: tuple[Mapping, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchSetup")
        self.workflow = workflow
        self._client = client
        self._tasks = tasks
        self._prefix = f"ui.batch.setup.{id(self)}"
        self.specs: list[FieldSpec] = specs_for(workflow.workflow_definition.parameters)
        self._remembered = remembered
        self.table: Table | None = None
        self._path: Path | None = None
        self.mapping: Mapping = {}
        self.edits: dict[int, dict[str, str]] = {}
        self._edited = 0  # edits made so far (a check in a thread started before one is stale)
        self._checking = False  # a large sheet is being checked: nothing can start meanwhile
        self.rows: list[BatchRow] = []
        self.texts: list[dict[str, str]] = []

        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel(f"<b>Run “{workflow.title}” once per row</b>")
        title.setObjectName("batchSetupTitle")
        head.addWidget(title, 1)
        self.open_button = QPushButton("Open spreadsheet…")
        self.open_button.setObjectName("batchOpen")
        self.open_button.setToolTip("A CSV or Excel (.xlsx) file; its first row names the columns")
        self.open_button.clicked.connect(self._choose_file)
        self.paste_button = QPushButton("Paste rows")
        self.paste_button.setObjectName("batchPaste")
        self.paste_button.setToolTip(
            "Rows copied from Excel or Google Sheets, the first row naming the columns"
        )
        self.paste_button.clicked.connect(self.paste)
        self.sheet = QComboBox()
        self.sheet.setObjectName("batchSheet")
        self.sheet.setAccessibleName("Sheet")
        self.sheet.hide()
        self.sheet.activated.connect(lambda _i: self._load_sheet())
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("batchSetupClose")
        self.close_button.clicked.connect(self.closed)
        for w in (self.open_button, self.paste_button, self.sheet, self.close_button):
            head.addWidget(w)
        outer.addLayout(head)
        self.source = QLabel("Open a spreadsheet or paste rows to begin.")
        self.source.setObjectName("batchSource")
        self.source.setWordWrap(True)
        outer.addWidget(self.source)
        self.source_error = error_label("batchSourceError")
        outer.addWidget(self.source_error)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("batchSetupSplit")
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        mapping_box = QGroupBox("Inputs")
        mapping_layout = QVBoxLayout(mapping_box)
        self.mapping_table = MappingTable(self.specs)
        self.mapping_table.source_changed.connect(self._on_source)
        mapping_layout.addWidget(self.mapping_table)
        left_box.addWidget(mapping_box)

        run_box = QGroupBox("The batch")
        run_form = QFormLayout(run_box)
        self.concurrency = QSpinBox()
        self.concurrency.setObjectName("batchConcurrency")
        self.concurrency.setRange(1, MAX_CONCURRENCY)
        self.concurrency.setValue(DEFAULT_CONCURRENCY)
        self.concurrency.setSuffix(" at once")
        self.concurrency.setToolTip("How many runs go at the same time; change it any time")
        run_form.addRow("Runs", self.concurrency)
        left_box.addWidget(run_box)

        self.options = RunOptions(server_url=client.base_url)
        self.options.run_title.setPlaceholderText("e.g. Invoice {row} for {Customer}")
        self.options.run_title.setToolTip(
            "Each run's title: {row} is the row's number, {Column} its cell in that column."
            " The app shows it in the batch; Skyvern's own lists show the workflow's name."
        )
        self.options.run_title.textChanged.connect(lambda _t: self.recheck())
        self.title_error = error_label("batchTitleError")
        self.options.layout().addWidget(self.title_error)  # type: ignore[union-attr]
        self.options.webhook_test_requested.connect(self._test_webhook)
        left_box.addWidget(self.options)
        left_box.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("batchSetupOptions")
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setMinimumWidth(380)
        split.addWidget(scroll)

        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        self.model = BatchRowsModel(self.specs, self)
        self.model.on_edit = self._on_edit
        self.preview = QTableView()
        self.preview.setObjectName("batchPreview")
        self.preview.setModel(self.model)
        self.preview.setAlternatingRowColors(True)
        self.preview.verticalHeader().hide()
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.preview.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        right_box.addWidget(self.preview, 1)
        self.problems = QLabel()
        self.problems.setObjectName("batchProblems")
        self.problems.setWordWrap(True)
        right_box.addWidget(self.problems)
        bar = QHBoxLayout()
        self.only_valid = QCheckBox("Run only the rows without problems")
        self.only_valid.setObjectName("batchOnlyValid")
        self.only_valid.toggled.connect(lambda _c: self._update_start())
        bar.addWidget(self.only_valid)
        bar.addStretch(1)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("batchStart")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._on_start)
        bar.addWidget(self.start_button)
        right_box.addLayout(bar)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 820])
        outer.addWidget(split, 1)
        self._set_columns(())
        self._update_start()

    # ------------------------------------------------------------------ lists

    @property
    def task_prefix(self) -> str:
        return self._prefix

    def stop_tasks(self) -> None:
        """Its lists, a file being read, a webhook test: ended before it goes."""
        for name in self._tasks.names:
            if name.startswith(self._prefix):
                self._tasks.cancel(name)

    async def load_lists(self) -> None:
        """Browser sessions and profiles for the run options, as the launcher has them
        (best effort: a list that cannot load leaves its picker as it is)."""
        try:
            sessions = await self._client.list_browser_sessions()
            self.options.set_sessions(
                [(f"{s.browser_session_id} ({s.status or 'active'})", s.browser_session_id)
                 for s in sessions]
            )  # fmt: skip
            profiles = await self._client.list_browser_profiles(page_size=500)
            self.options.set_profiles([(p.name, p.browser_profile_id) for p in profiles])
        except SkyvernError:
            return

    def _test_webhook(self, url: str) -> None:
        async def test() -> None:
            text, good = "The test did not finish.", False
            try:
                text, good = await webhook_test_verdict(self._client, url)
            finally:
                self.options.show_webhook_test(url, text, good=good)

        self._tasks.spawn(f"{self._prefix}.webhook", test())

    # ------------------------------------------------------------------ sources

    def _choose_file(self) -> None:
        dialog = QFileDialog(self, "Open a spreadsheet")
        dialog.setNameFilters(["Spreadsheets (*.csv *.xlsx *.xlsm *.tsv *.txt)", "All files (*)"])
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.open_path(Path(path)))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def open_path(self, path: Path, sheet: str | None = None) -> None:
        """Read a file (in a thread: a large one takes a while) and show its rows."""
        self._path = path
        self._tasks.spawn(f"{self._prefix}.read", self._read(path, sheet))

    async def _read(self, path: Path, sheet: str | None) -> None:
        self.source.setText(f"Reading {path.name}…")
        try:
            names: list[str] = []
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                names = await asyncio.to_thread(sheet_names, path)
            table = await asyncio.to_thread(read_table, path, sheet)
        except SheetError as exc:
            self._show_source_error(str(exc))
            return
        self.sheet.blockSignals(True)
        self.sheet.clear()
        self.sheet.addItems(names)
        if table_sheet := (sheet or (names[0] if names else None)):
            self.sheet.setCurrentText(table_sheet)
        self.sheet.blockSignals(False)
        self.sheet.setVisible(len(names) > 1)
        self.set_table(table)

    def _load_sheet(self) -> None:
        if self._path is not None:
            self.open_path(self._path, self.sheet.currentText())

    def paste(self) -> None:
        text = QApplication.clipboard().text()
        if not text.strip():
            self._show_source_error(
                "The clipboard holds no rows. Copy the cells in Excel or Google Sheets,"
                " the row of column names included, then press Paste rows."
            )
            return
        try:
            table = read_pasted(text)
        except SheetError as exc:
            self._show_source_error(str(exc))
            return
        self._path = None
        self.sheet.hide()
        self.set_table(table)

    def _show_source_error(self, text: str) -> None:
        self.source_error.setText(text)
        self.source_error.show()
        if self.table is None:
            self.source.setText("Open a spreadsheet or paste rows to begin.")
        else:
            self.source.setText(self._source_text(self.table))

    def _source_text(self, table: Table) -> str:
        n = len(table.rows)
        return f"{table.source}: {n} row{'s' if n != 1 else ''}, {len(table.headers)} columns"

    def set_table(self, table: Table) -> None:
        """Rows to run: the mapping follows the columns (a remembered one where it fits)."""
        self.source_error.hide()
        self.table = table
        self.edits = {}
        self.source.setText(self._source_text(table))
        saved, template = self._remembered
        self.mapping = fit_mapping(saved, self.specs, table.headers) if saved else auto_map(
            self.specs, table.headers
        )  # fmt: skip
        if template and not self.options.run_title.text():
            self.options.run_title.setText(template)
        self._set_columns(table.headers)
        self.recheck()

    def _set_columns(self, headers: tuple[str, ...]) -> None:
        self.mapping_table.set_columns(headers, self.mapping)

    def set_source(self, key: str, source: InputSource) -> None:
        """Choose where one input comes from (what the mapping's row does)."""
        self.mapping_table.set_source(key, source)

    def _on_source(self, key: str, source: InputSource) -> None:
        self.mapping[key] = source
        self.recheck()

    # ------------------------------------------------------------------ checking

    def recheck(self) -> None:
        """Every row again, through the launcher's rules: at once for a small sheet; in a
        worker thread for a large one (100,000 rows take seconds), the newest check wins."""
        table = self.table
        template = self.options.run_title.text()
        headers = table.headers if table else ()
        if table is None:
            problem = check_template(template, headers) if template.strip() else ""
            self._show_title_problem(problem)
            self.model.set_rows([], [])
            self._update_start()
            return
        args = (self.specs, dict(self.mapping), headers, table.rows,
                {k: dict(v) for k, v in self.edits.items()}, template)  # fmt: skip
        if len(table.rows) <= LARGE_SHEET:
            self._show_checked(*check_rows(*args))
            return
        self.problems.setText(f"Checking {len(table.rows):,} rows…")
        self._checking = True
        self.start_button.setEnabled(False)
        self._tasks.spawn(f"{self._prefix}.check", self._check_in_thread(args, self._edited))

    async def _check_in_thread(self, args: tuple[Any, ...], edited: int) -> None:
        try:
            checked, problem = await asyncio.to_thread(check_rows, *args)
        finally:
            self._checking = False
        if edited != self._edited:  # a cell was fixed meanwhile: check what it says now
            self.recheck()
            return
        self._show_checked(checked, problem)

    def _show_title_problem(self, problem: str) -> None:
        self.title_error.setText(problem)
        self.title_error.setVisible(bool(problem))

    def _show_checked(self, checked: list[CheckedRow], problem: str) -> None:
        self._show_title_problem(problem)
        rows = [BatchRow(c.index, c.cells, c.params, title=c.title, errors=c.errors)
                for c in checked]  # fmt: skip
        self.rows, self.texts = rows, [c.texts for c in checked]
        self.model.set_rows(rows, self.texts)
        self.preview.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            if self.preview.columnWidth(column) > 260:
                self.preview.setColumnWidth(column, 260)
        self._update_start()

    def _on_edit(self, number: int, key: str, text: str) -> None:
        self._edited += 1
        self.edits.setdefault(number, {})[key] = text
        row = self.rows[number]
        params, errors = check_texts(self.specs, self.texts[number])
        row.params, row.errors = params, errors
        self._update_start()

    @property
    def problem_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    def _update_start(self) -> None:
        if self._checking:
            self.start_button.setEnabled(False)
            return
        bad = self.problem_count
        good = len(self.rows) - bad
        title_ok = not self.title_error.text()
        if not self.rows:
            self.problems.setText("")
        elif bad:
            self.problems.setText(
                f"{problems_text(bad)} Each problem is marked on its cell: double-click a cell"
                " to fix it, or run only the rows without problems."
            )
        else:
            self.problems.setText(problems_text(0))
        self.problems.setStyleSheet(ERROR_STYLE if bad else "")
        runnable = good if (self.only_valid.isChecked() or not bad) else 0
        self.start_button.setText(f"Run {good} row{'s' if good != 1 else ''}" if good else "Start")
        self.start_button.setEnabled(runnable > 0 and title_ok)
        self.only_valid.setVisible(bad > 0)

    def _on_start(self) -> None:
        draft = self.draft()
        if draft is not None:
            self.start_requested.emit(draft)

    def draft(self) -> BatchDraft | None:
        """The batch as set up, or ``None`` (the reason shown where it belongs)."""
        if self.table is None or self._checking or not self.start_button.isEnabled():
            return None
        options, ok = self.options.collect()
        if not ok:
            return None
        template = options.pop("title", "")
        rows = []
        for row in self.rows:
            rows.append(
                BatchRow(
                    row.index, row.cells, dict(row.params), title=row.title,
                    errors=dict(row.errors),
                    state=RowState.SKIPPED if row.errors else RowState.PENDING,
                )
            )  # fmt: skip
        return BatchDraft(
            workflow_permanent_id=self.workflow.workflow_permanent_id,
            workflow_title=self.workflow.title,
            table=self.table,
            mapping=dict(self.mapping),
            rows=rows,
            options=options,
            title_template=template,
            concurrency=self.concurrency.value(),
        )
