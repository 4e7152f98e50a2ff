"""Batch runs without widgets: which column feeds which input, each row checked by the
launcher's own rules (:mod:`.params`), run titles from a template, and each row's state.

A batch is one workflow and a table of rows; every valid row becomes exactly one run.
The state of each row is written to the batch store (:mod:`.batch_store`) as it changes, so
a crash never starts a row twice (:mod:`.batch_runner`).
"""

from __future__ import annotations

import bisect
import json
import math
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from ...api.enums import RunStatus, is_terminal
from ..forms.params import MISSING, FieldSpec, Invalid

# ---------------------------------------------------------------------- mapping


class SourceKind(StrEnum):
    COLUMN = "column"  # the row's cell in a column
    FIXED = "fixed"  # one value for every row
    DEFAULT = "default"  # the workflow's default (left out when it has none)


@dataclass(frozen=True, slots=True)
class InputSource:
    kind: SourceKind
    value: str = ""  # the column's header, or the fixed text

    def describe(self) -> str:
        if self.kind is SourceKind.COLUMN:
            return f"column “{self.value}”"
        if self.kind is SourceKind.FIXED:
            return "a fixed value"
        return "its default"


Mapping = dict[str, InputSource]


def _squash(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).casefold()


def auto_map(specs: list[FieldSpec], headers: tuple[str, ...] | list[str]) -> Mapping:
    """Each input to the column named like its key or its title (case, spaces, ``_`` and
    ``-`` ignored); an input no column names takes its default."""
    by_name: dict[str, str] = {}
    for header in headers:
        by_name.setdefault(_squash(header), header)
    mapping: Mapping = {}
    for spec in specs:
        found = by_name.get(_squash(spec.key)) or by_name.get(_squash(spec.label))
        mapping[spec.key] = (
            InputSource(SourceKind.COLUMN, found) if found else InputSource(SourceKind.DEFAULT)
        )
    return mapping


def fit_mapping(saved: Mapping, specs: list[FieldSpec], headers: tuple[str, ...]) -> Mapping:
    """A remembered mapping applied to this file: where it names a column the file does not
    have (or an input the workflow no longer has), the automatic choice is used instead."""
    fitted = auto_map(specs, headers)
    for spec in specs:
        source = saved.get(spec.key)
        if source is None:
            continue
        if source.kind is SourceKind.COLUMN and source.value not in headers:
            continue
        fitted[spec.key] = source
    return fitted


def mapping_to_json(mapping: Mapping) -> str:
    return json.dumps({k: [s.kind.value, s.value] for k, s in mapping.items()})


def mapping_from_json(text: str | None) -> Mapping:
    if not text:
        return {}
    try:
        raw = json.loads(text)
        return {str(k): InputSource(SourceKind(v[0]), str(v[1])) for k, v in raw.items()}
    except (ValueError, TypeError, KeyError, IndexError):
        return {}


# ---------------------------------------------------------------------- checking


@dataclass(slots=True)
class CheckedRow:
    """One row as the launcher's rules see it."""

    index: int  # 0-based, in the source's order
    cells: tuple[str, ...]  # the source row, with the preview's fixes in their columns
    texts: dict[str, str]  # each input's text, after the mapping and any edit
    params: dict[str, Any]  # what would be sent
    errors: dict[str, str]  # input key → the launcher's wording
    title: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def input_texts(
    specs: list[FieldSpec],
    mapping: Mapping,
    headers: tuple[str, ...],
    cells: tuple[str, ...],
    edits: dict[str, str] | None = None,
) -> dict[str, str]:
    """Each input's text for one row: its column's cell, the fixed value, or the default
    as the launcher fills it in; an edit made in the preview wins."""
    column = {h: i for i, h in enumerate(headers)}
    texts: dict[str, str] = {}
    for spec in specs:
        source = mapping.get(spec.key, InputSource(SourceKind.DEFAULT))
        if edits and spec.key in edits:
            texts[spec.key] = edits[spec.key]
        elif source.kind is SourceKind.COLUMN and source.value in column:
            i = column[source.value]
            texts[spec.key] = cells[i] if i < len(cells) else ""
        elif source.kind is SourceKind.FIXED:
            texts[spec.key] = source.value
        else:
            texts[spec.key] = spec.initial_text()
    return texts


def edited_cells(
    mapping: Mapping,
    headers: tuple[str, ...],
    cells: tuple[str, ...],
    edits: dict[str, str] | None,
) -> tuple[str, ...]:
    """The row with each fix made in the preview written into the column its input takes:
    what was sent is what the title, the table and the export show."""
    if not edits:
        return cells
    column = {h: i for i, h in enumerate(headers)}
    out = list(cells)
    for key, text in edits.items():
        source = mapping.get(key)
        if source is None or source.kind is not SourceKind.COLUMN or source.value not in column:
            continue
        i = column[source.value]
        out.extend([""] * (i + 1 - len(out)))
        out[i] = text
    return tuple(out)


def check_texts(
    specs: list[FieldSpec], texts: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(parameters, errors)`` by the launcher's rules. A spreadsheet cannot tell an empty
    text from a missing one, so an empty cell of an optional input means "the default",
    and one of a required input is a problem."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        text = texts.get(spec.key, "")
        parsed = spec.parse(text)
        if spec.required and not text.strip() and not isinstance(parsed, Invalid):
            # The launcher sends an empty text; in a spreadsheet it is a forgotten cell.
            errors[spec.key] = f"{spec.label} is required."
        elif isinstance(parsed, Invalid):
            errors[spec.key] = parsed.message
        elif parsed is MISSING or (text == "" and not spec.required):
            continue
        else:
            values[spec.key] = parsed
    return values, errors


def check_rows(
    specs: list[FieldSpec],
    mapping: Mapping,
    headers: tuple[str, ...],
    rows: tuple[tuple[str, ...], ...],
    edits: dict[int, dict[str, str]],
    template: str,
) -> tuple[list[CheckedRow], str]:
    """Every row through the launcher's rules, with its title: ``(rows, template problem)``.
    Pure, so a large sheet can be checked off the window's thread."""
    problem = check_template(template, headers) if template.strip() else ""
    checked = []
    for i, source in enumerate(rows):
        cells = edited_cells(mapping, headers, source, edits.get(i))
        texts = input_texts(specs, mapping, headers, cells, edits.get(i))
        params, errors = check_texts(specs, texts)
        title = "" if problem else render_title(template, i + 1, headers, cells)
        checked.append(CheckedRow(i, cells, texts, params, errors, title))
    return checked, problem


def problems_text(count: int) -> str:
    if count == 0:
        return "Every row can run."
    return "1 row has problems." if count == 1 else f"{count} rows have problems."


# ---------------------------------------------------------------------- titles


class TemplateError(ValueError):
    """What is wrong with a title template, in plain words."""


_FORMATTER = string.Formatter()


def template_fields(template: str) -> list[str]:
    """The ``{names}`` a title template uses; :class:`TemplateError` when it cannot be read."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise TemplateError(
            f"The title cannot be read ({exc}). Write a column's name in braces, like"
            " {Customer}; for a brace itself, write {{ or }}."
        ) from None
    return [name for _, name, _, _ in parsed if name is not None]


def check_template(template: str, headers: tuple[str, ...]) -> str:
    """Plain words for what is wrong with ``template`` for these columns, or ``""``."""
    try:
        names = template_fields(template)
    except TemplateError as exc:
        return str(exc)
    known = {_squash(h) for h in headers} | {"row"}
    for name in names:
        if not name:
            return "Empty braces {} name nothing: write {row} or a column's name."
        if _squash(name) not in known:
            return f"There is no column “{name}”. Use {{row}} or one of: " + ", ".join(headers[:8])
    return ""


def render_title(
    template: str, number: int, headers: tuple[str, ...], cells: tuple[str, ...]
) -> str:
    """The title of row ``number`` (1-based): ``{row}`` is the number, ``{Name}`` the
    row's cell in that column (case and spaces ignored)."""
    if not template.strip():
        return ""
    values = {_squash(h): (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)}
    out: list[str] = []
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        return template
    for literal, name, _spec, _conv in parsed:
        out.append(literal)
        if name is None:
            continue
        key = _squash(name)
        out.append(str(number) if key == "row" else values.get(key, "{" + name + "}"))
    return " ".join("".join(out).split())[:200]


# ---------------------------------------------------------------------- rows while running


class RowState(StrEnum):
    PENDING = "pending"  # not started
    STARTING = "starting"  # its request is on its way
    MAYBE = "maybe"  # the answer was lost: it may have started; never resent by itself
    RUNNING = "running"  # started: ``run_id`` is known; ``status`` is the server's
    DONE = "done"  # the run ended; ``status`` is how
    REFUSED = "refused"  # the server refused to start it (``failure_reason`` says why)
    STOPPED = "stopped"  # the operator stopped the batch before this row started
    SKIPPED = "skipped"  # not sent: it had problems, or the operator chose to skip it


STATE_LABELS: Final = {
    RowState.PENDING: "Waiting",
    RowState.STARTING: "Starting",
    RowState.MAYBE: "May have started",
    RowState.RUNNING: "Running",
    RowState.DONE: "Done",
    RowState.REFUSED: "Refused",
    RowState.STOPPED: "Not started",
    RowState.SKIPPED: "Skipped",
}
FAILED_STATUSES: Final = frozenset({RunStatus.FAILED, RunStatus.TERMINATED, RunStatus.TIMED_OUT})


@dataclass(slots=True)
class BatchRow:
    index: int
    cells: tuple[str, ...]
    params: dict[str, Any]
    title: str = ""
    state: RowState = RowState.PENDING
    run_id: str | None = None
    status: str | None = None  # the server's status of ``run_id``
    failure_reason: str | None = None
    errors: dict[str, str] = field(default_factory=dict)  # why it was skipped or refused
    sent_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    output: Any = None
    earlier_runs: list[str] = field(default_factory=list)  # runs of failed attempts

    @property
    def active(self) -> bool:
        """Holding one of the batch's slots."""
        return self.state in (RowState.STARTING, RowState.RUNNING)

    @property
    def outcome(self) -> str:
        """What the status column says: the server's status once started."""
        if self.state in (RowState.RUNNING, RowState.DONE) and self.status:
            return self.status
        return self.state.value

    @property
    def failed(self) -> bool:
        return self.state is RowState.REFUSED or (
            self.state is RowState.DONE and self.status in FAILED_STATUSES
        )

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at
        return None if end is None else max(0.0, end - self.started_at)

    def finish(self, status: str, *, at: float) -> None:
        self.state = RowState.DONE if is_terminal(status) else RowState.RUNNING
        self.status = status
        if self.state is RowState.DONE and self.finished_at is None:
            self.finished_at = at


class Bucket(StrEnum):
    """The progress counts."""

    WAITING = "waiting"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    MAYBE = "may have started"
    SKIPPED = "skipped"


def bucket(row: BatchRow) -> Bucket:
    state = row.state
    if state in (RowState.PENDING, RowState.STARTING):
        return Bucket.WAITING
    if state is RowState.RUNNING:
        return Bucket.RUNNING
    if state is RowState.MAYBE:
        return Bucket.MAYBE
    if state is RowState.SKIPPED:
        return Bucket.SKIPPED
    if state is RowState.STOPPED or row.status == RunStatus.CANCELED:
        return Bucket.CANCELED
    if row.failed:
        return Bucket.FAILED
    return Bucket.COMPLETED


def counts(rows: list[BatchRow]) -> Counter[Bucket]:
    return Counter(bucket(r) for r in rows)


class RowCounts:
    """A batch's counts, its runs' durations and its running rows, kept row by row as rows
    change (:meth:`changed`), so that drawing them each second costs nothing: a full pass
    over 100,000 rows took about 0.4 s here."""

    def __init__(self, rows: list[BatchRow]) -> None:
        self.rows = rows
        self._bucket = [bucket(r) for r in rows]
        self._duration = [r.duration for r in rows]
        self._failed = [r.failed for r in rows]
        self.counts: Counter[Bucket] = Counter(self._bucket)
        self.durations = sorted(d for d in self._duration if d is not None)
        self.failed = sum(self._failed)
        self.running = {i for i, b in enumerate(self._bucket) if b is Bucket.RUNNING}

    def changed(self, indices: list[int]) -> None:
        """These rows changed: their counts, duration and running state follow."""
        for i in set(indices):
            row = self.rows[i]
            now, was = bucket(row), self._bucket[i]
            if now is not was:
                self._bucket[i] = now
                self.counts[was] -= 1
                self.counts[now] += 1
                if was is Bucket.RUNNING:
                    self.running.discard(i)
                if now is Bucket.RUNNING:
                    self.running.add(i)
            duration, before = row.duration, self._duration[i]
            if duration != before:
                self._duration[i] = duration
                if before is not None:
                    del self.durations[bisect.bisect_left(self.durations, before)]
                if duration is not None:
                    bisect.insort(self.durations, duration)
            failed = row.failed
            if failed is not self._failed[i]:
                self._failed[i] = failed
                self.failed += 1 if failed else -1

    def eta_seconds(self, concurrency: int) -> float | None:
        """Time left, from the durations of the runs that ended so far: the rows still to
        run, ``concurrency`` at a time, each taking the median so far. ``None`` before two
        ended."""
        if len(self.durations) < 2:
            return None
        median = self.durations[len(self.durations) // 2]
        waiting = self.counts[Bucket.WAITING]
        running = self.counts[Bucket.RUNNING]
        if not waiting and not running:
            return 0.0
        waves = math.ceil(waiting / max(1, concurrency))
        return median * waves + (median / 2 if running else 0.0)


def summary(rows: list[BatchRow]) -> str:
    """How a batch ended, as its notification says it: "180 completed, 20 failed"."""
    c = counts(rows)
    parts = [
        f"{c[b]} {b.value}"
        for b in (Bucket.COMPLETED, Bucket.FAILED, Bucket.CANCELED, Bucket.MAYBE, Bucket.SKIPPED)
        if c[b]
    ]
    return ", ".join(parts) or "no rows ran"


def output_columns(rows: list[BatchRow]) -> list[str]:
    """The top-level output keys of the runs so far, in order of first appearance."""
    seen: dict[str, None] = {}
    for row in rows:
        if isinstance(row.output, dict):
            for key in row.output:
                seen.setdefault(str(key), None)
    return list(seen)


def output_text(value: Any) -> str:
    """An output value for a cell: text as it is, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=False)
