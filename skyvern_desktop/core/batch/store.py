"""The batch store: every batch, and the state of each of its rows, in a small SQLite file.

A row's state is written the moment it changes, and the "starting" state before its
request leaves, each write committed at once (WAL). So after a crash or ``kill -9`` the
store knows every run a batch started, and which rows' requests were on their way (those
may have started, and are never sent again by themselves). No secrets: the API key is
never here; the cells are the operator's own data, as in the spreadsheet.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..storage.db import LocalDb
from ..storage.notices import Notices
from .rows import BatchRow, Mapping, RowState, mapping_from_json, mapping_to_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    base_url TEXT NOT NULL,
    workflow_permanent_id TEXT NOT NULL,
    workflow_title TEXT,
    source TEXT,
    headers TEXT NOT NULL,
    mapping TEXT,
    options TEXT,
    title_template TEXT,
    concurrency INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS batch_rows (
    batch_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    cells TEXT NOT NULL,
    params TEXT NOT NULL,
    title TEXT,
    state TEXT NOT NULL,
    run_id TEXT,
    status TEXT,
    failure_reason TEXT,
    errors TEXT,
    sent_at REAL,
    started_at REAL,
    finished_at REAL,
    output TEXT,
    earlier_runs TEXT,
    PRIMARY KEY (batch_id, idx)
);
CREATE TABLE IF NOT EXISTS batch_mappings (
    workflow_permanent_id TEXT PRIMARY KEY,
    mapping TEXT NOT NULL,
    title_template TEXT
);
"""


HEADERS_NOT_KEPT = "extra_http_headers_not_kept"
"""What a stored batch keeps of its extra HTTP headers: their names, not their values."""


def disk_options(options: dict[str, Any]) -> dict[str, Any]:
    """The run options as written to disk: extra HTTP headers may carry a password or a
    token, so only their names are written; the values live in memory."""
    kept = {k: v for k, v in options.items() if k != "extra_http_headers"}
    if headers := options.get("extra_http_headers"):
        kept[HEADERS_NOT_KEPT] = sorted(headers)
    return kept


class BatchState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # starts no new rows; started ones are still watched
    STOPPED = "stopped"  # the rows not started were let go; started ones are watched
    FINISHED = "finished"


SALVAGED_REASON = (
    "The batches file was damaged, so whether this row started is not known."
    " Find its run before sending it again."
)


def distrust_salvaged(db: sqlite3.Connection) -> None:
    """Rows read back from a damaged file may be older than what happened: every batch
    comes back paused, and every row not known to have started or ended "may have
    started", so none is sent again before its run is looked for on the server."""
    db.execute("BEGIN")
    db.execute(
        "UPDATE batch_rows SET state = ?, failure_reason = ?, sent_at = COALESCE(sent_at,"
        " (SELECT MAX(COALESCE(r.sent_at, b.created_at)) FROM batch_rows r JOIN batches b"
        " ON b.batch_id = r.batch_id WHERE r.batch_id = batch_rows.batch_id))"
        " WHERE run_id IS NULL AND state IN (?, ?, ?)",
        (RowState.MAYBE.value, SALVAGED_REASON, RowState.PENDING.value,
         RowState.STARTING.value, RowState.MAYBE.value),
    )  # fmt: skip
    db.execute(
        "UPDATE batches SET state = ? WHERE state = ?",
        (BatchState.PAUSED.value, BatchState.RUNNING.value),
    )
    db.execute("COMMIT")


@dataclass(slots=True)
class BatchInfo:
    batch_id: str
    base_url: str
    workflow_permanent_id: str
    workflow_title: str
    source: str
    headers: tuple[str, ...]
    mapping: Mapping
    options: dict[str, Any]
    title_template: str
    concurrency: int
    state: BatchState
    created_at: float
    finished_at: float | None = None


class BatchStore:
    def __init__(self, path: Path, notices: Notices | None = None) -> None:
        self.path = path
        self._db = LocalDb(
            path, _SCHEMA, what="the batches", notices=notices, salvaged=distrust_salvaged,
            after="Batches read back from it are paused, and a row whose run is not known"
            " is sent again only after Find its run…; every run is still on the server.",
        )  # fmt: skip

    @property
    def db(self) -> LocalDb:
        return self._db

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ batches

    def create(
        self,
        *,
        base_url: str,
        workflow_permanent_id: str,
        workflow_title: str,
        source: str,
        headers: tuple[str, ...],
        mapping: Mapping,
        options: dict[str, Any],
        title_template: str,
        concurrency: int,
        rows: list[BatchRow],
    ) -> BatchInfo:
        """A new batch with its rows, in one transaction: either all of it or none."""
        info = BatchInfo(
            batch_id=f"batch_{uuid.uuid4().hex[:12]}",
            base_url=base_url,
            workflow_permanent_id=workflow_permanent_id,
            workflow_title=workflow_title,
            source=source,
            headers=headers,
            mapping=mapping,
            options=options,
            title_template=title_template,
            concurrency=concurrency,
            state=BatchState.RUNNING,
            created_at=time.time(),
        )
        with self._transaction():
            self._db.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    info.batch_id, base_url, workflow_permanent_id, workflow_title, source,
                    json.dumps(list(headers)), mapping_to_json(mapping),
                    json.dumps(disk_options(options)),
                    title_template, concurrency, info.state.value, info.created_at, None,
                ),
            )  # fmt: skip
            self._db.executemany(_ROW_UPSERT, [_row_values(info.batch_id, r) for r in rows])
        return info

    def _transaction(self) -> Any:
        return self._db.transaction()

    def batches(self, base_url: str | None = None) -> list[BatchInfo]:
        """Every batch (of one server), newest first."""
        sql = f"SELECT {_BATCH_COLUMNS} FROM batches"
        args: tuple[Any, ...] = ()
        if base_url is not None:
            sql += " WHERE base_url = ?"
            args = (base_url,)
        cursor = self._db.fetch(sql + " ORDER BY created_at DESC", args)
        return [_batch(r) for r in cursor]

    def run_ids(self, base_url: str) -> set[str]:
        """Every run a batch of this server started."""
        rows = self._db.fetch(
            "SELECT r.run_id FROM batch_rows r JOIN batches b ON r.batch_id = b.batch_id"
            " WHERE b.base_url = ? AND r.run_id IS NOT NULL",
            (base_url,),
        )
        return {str(r[0]) for r in rows}

    def get(self, batch_id: str) -> BatchInfo | None:
        cursor = self._db.fetch(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE batch_id = ?", (batch_id,)
        )
        row = cursor[0] if cursor else None
        return _batch(row) if row else None

    def set_state(self, batch_id: str, state: BatchState) -> None:
        finished = time.time() if state is BatchState.FINISHED else None
        self._db.execute(
            "UPDATE batches SET state = ?, finished_at = ? WHERE batch_id = ?",
            (state.value, finished, batch_id),
        )

    def set_concurrency(self, batch_id: str, concurrency: int) -> None:
        self._db.execute(
            "UPDATE batches SET concurrency = ? WHERE batch_id = ?", (concurrency, batch_id)
        )

    def delete(self, batch_id: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM batch_rows WHERE batch_id = ?", (batch_id,))
            self._db.execute("DELETE FROM batches WHERE batch_id = ?", (batch_id,))

    def reopen_after_crash(self, batch_id: str) -> list[int]:
        """A batch the app was running when it ended: it comes back paused, and each row
        whose request was on its way becomes "may have started". Returns those rows."""
        with self._transaction():
            cursor = self._db.fetch(
                "SELECT idx FROM batch_rows WHERE batch_id = ? AND state = ?",
                (batch_id, RowState.STARTING.value),
            )
            maybe = [int(r[0]) for r in cursor]
            self._db.execute(
                "UPDATE batch_rows SET state = ?, failure_reason = ? WHERE batch_id = ? AND"
                " state = ?",
                (RowState.MAYBE.value, "The app ended while its request was on its way.",
                 batch_id, RowState.STARTING.value),
            )  # fmt: skip
            self._db.execute(
                "UPDATE batches SET state = ? WHERE batch_id = ? AND state = ?",
                (BatchState.PAUSED.value, batch_id, BatchState.RUNNING.value),
            )
        return maybe

    # ------------------------------------------------------------------ rows

    def rows(self, batch_id: str) -> list[BatchRow]:
        cursor = self._db.fetch(
            f"SELECT {_ROW_COLUMNS} FROM batch_rows WHERE batch_id = ? ORDER BY idx", (batch_id,)
        )
        return [_row(r) for r in cursor]

    def save_row(self, batch_id: str, row: BatchRow) -> None:
        """Write one row's state now (committed before this returns)."""
        self._db.execute(_ROW_UPSERT, _row_values(batch_id, row))

    # ------------------------------------------------------------------ remembered mappings

    def remember_mapping(self, wpid: str, mapping: Mapping, title_template: str) -> None:
        self._db.execute(
            "INSERT INTO batch_mappings VALUES (?, ?, ?) ON CONFLICT (workflow_permanent_id)"
            " DO UPDATE SET mapping = excluded.mapping, title_template = excluded.title_template",
            (wpid, mapping_to_json(mapping), title_template),
        )

    def remembered_mapping(self, wpid: str) -> tuple[Mapping, str]:
        row = self._db.fetch_one(
            "SELECT mapping, title_template FROM batch_mappings WHERE workflow_permanent_id = ?",
            (wpid,),
        )
        if row is None:
            return {}, ""
        return mapping_from_json(row[0]), row[1] or ""


_BATCH_COLUMNS = (
    "batch_id, base_url, workflow_permanent_id, workflow_title, source, headers, mapping,"
    " options, title_template, concurrency, state, created_at, finished_at"
)
_ROW_COLUMNS = (
    "idx, cells, params, title, state, run_id, status, failure_reason, errors, sent_at,"
    " started_at, finished_at, output, earlier_runs"
)
_ROW_UPSERT = f"""
INSERT INTO batch_rows (batch_id, {_ROW_COLUMNS})
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (batch_id, idx) DO UPDATE SET
    cells = excluded.cells, params = excluded.params, title = excluded.title,
    state = excluded.state, run_id = excluded.run_id, status = excluded.status,
    failure_reason = excluded.failure_reason, errors = excluded.errors,
    sent_at = excluded.sent_at, started_at = excluded.started_at,
    finished_at = excluded.finished_at, output = excluded.output,
    earlier_runs = excluded.earlier_runs
"""


def _row_values(batch_id: str, r: BatchRow) -> tuple[Any, ...]:
    return (
        batch_id, r.index, json.dumps(list(r.cells), ensure_ascii=False),
        json.dumps(r.params, ensure_ascii=False), r.title, r.state.value, r.run_id, r.status,
        r.failure_reason, json.dumps(r.errors, ensure_ascii=False), r.sent_at, r.started_at,
        r.finished_at, None if r.output is None else json.dumps(r.output, ensure_ascii=False),
        json.dumps(r.earlier_runs),
    )  # fmt: skip


def _row(r: tuple[Any, ...]) -> BatchRow:
    return BatchRow(
        index=int(r[0]),
        cells=tuple(json.loads(r[1])),
        params=json.loads(r[2]),
        title=r[3] or "",
        state=RowState(r[4]),
        run_id=r[5],
        status=r[6],
        failure_reason=r[7],
        errors=json.loads(r[8]) if r[8] else {},
        sent_at=r[9],
        started_at=r[10],
        finished_at=r[11],
        output=json.loads(r[12]) if r[12] is not None else None,
        earlier_runs=json.loads(r[13]) if r[13] else [],
    )


def _batch(r: tuple[Any, ...]) -> BatchInfo:
    return BatchInfo(
        batch_id=r[0],
        base_url=r[1],
        workflow_permanent_id=r[2],
        workflow_title=r[3] or r[2],
        source=r[4] or "",
        headers=tuple(json.loads(r[5])),
        mapping=mapping_from_json(r[6]),
        options=json.loads(r[7]) if r[7] else {},
        title_template=r[8] or "",
        concurrency=int(r[9]),
        state=BatchState(r[10]),
        created_at=float(r[11]),
        finished_at=r[12],
    )
