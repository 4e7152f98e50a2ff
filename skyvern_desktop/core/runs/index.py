"""The local index of runs: one small SQLite file per connection, shared by the run history,
the overview, the inbox and the watchdog.

It holds a summary of every workflow run the server lists, from every workflow: ids, the
workflow and its title, status, when it was created, queued, started and finished, the
failure reason and categories, who started it (trigger, schedule, the run it retried), and,
once read, the steps it used and a digest of its inputs. Never the API key, a credential, a
run's output, or an input's value (the digest is a hash).

**What it promises about the server's list** (newest first): the index holds a contiguous
run of that list from the newest run it has read down to its *tail*; with ``complete`` the
tail is the server's oldest run. :mod:`.index_sync` keeps that promise.

Everything here can be rebuilt from the server, so a damaged or foreign-version file is set
aside and a new one started empty, with one line in the log and no notice to the user; a
disk that refuses writes keeps the index in memory (``LocalDb``'s rules).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..storage.db import LocalDb
from ..storage.notices import Notices

if TYPE_CHECKING:
    from ...api.models import WorkflowRun

VERSION = 1
WHAT = "the local index of runs"
NOT_FOUND = -1  # ``steps`` of a run whose own page the server no longer has

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    wpid TEXT NOT NULL,
    title TEXT,
    status TEXT NOT NULL,
    terminal INTEGER NOT NULL,
    created REAL NOT NULL,
    queued REAL,
    started REAL,
    finished REAL,
    modified REAL,
    failure_reason TEXT,
    categories TEXT,
    category TEXT,
    trigger_type TEXT,
    schedule_id TEXT,
    parent_id TEXT,
    retried_from TEXT,
    steps INTEGER,
    inputs_digest TEXT,
    read_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created DESC);
CREATE INDEX IF NOT EXISTS runs_workflow ON runs (wpid, created DESC);
CREATE INDEX IF NOT EXISTS runs_unfinished ON runs (created) WHERE terminal = 0;
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT
);
"""

_COLUMNS = (
    "run_id, wpid, title, status, terminal, created, queued, started, finished, modified,"
    " failure_reason, categories, category, trigger_type, schedule_id, parent_id,"
    " retried_from, steps, inputs_digest"
)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def inputs_digest(parameters: dict[str, Any]) -> str:
    """A digest of a run's inputs: equal inputs, equal digest; nothing of a value can be
    read back from it."""
    text = json.dumps(parameters, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class IndexedRun:
    """One run as the index keeps it."""

    run_id: str
    workflow_permanent_id: str
    workflow_title: str | None
    status: str
    terminal: bool
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    modified_at: datetime | None
    failure_reason: str | None
    categories: tuple[str, ...]  # the most confident first
    trigger_type: str | None
    schedule_id: str | None
    parent_id: str | None
    retried_from: str | None
    steps: int | None
    inputs_digest: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IndexedRun:
        created = _dt(row[5])
        assert created is not None
        cats = json.loads(row[11]) if row[11] else []
        return cls(
            run_id=row[0], workflow_permanent_id=row[1], workflow_title=row[2], status=row[3],
            terminal=bool(row[4]), created_at=created, queued_at=_dt(row[6]),
            started_at=_dt(row[7]), finished_at=_dt(row[8]), modified_at=_dt(row[9]),
            failure_reason=row[10], categories=tuple(c["category"] for c in cats),
            trigger_type=row[13], schedule_id=row[14], parent_id=row[15],
            retried_from=row[16], steps=row[17] if (row[17] or 0) >= 0 else None,
            inputs_digest=row[18],
        )  # fmt: skip

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    def as_workflow_run(self, categories_json: str | None = None) -> WorkflowRun:
        """The run as the server's list item, for screens that show those."""
        from ...api.models import WorkflowRun

        data: dict[str, Any] = {
            "workflow_run_id": self.run_id,
            "workflow_permanent_id": self.workflow_permanent_id,
            "workflow_title": self.workflow_title,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "failure_category": json.loads(categories_json) if categories_json else None,
            "trigger_type": self.trigger_type,
            "workflow_schedule_id": self.schedule_id,
            "parent_workflow_run_id": self.parent_id,
            "retried_from_workflow_run_id": self.retried_from,
            "queued_at": self.queued_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "created_at": self.created_at,
            "modified_at": self.modified_at or self.created_at,
        }
        return WorkflowRun.model_validate(data)


def _row_of(run: WorkflowRun, now: float) -> tuple[Any, ...]:
    found = sorted(run.failure_category or [], key=lambda c: -(c.confidence_float or 0))
    # Only the names and how sure the server was: the reasoning may quote the page.
    cats = [{"category": c.category, "confidence_float": c.confidence_float}
            for c in found if c.category]  # fmt: skip
    trigger = run.trigger_type
    return (
        run.workflow_run_id, run.workflow_permanent_id, run.workflow_title, str(run.status),
        int(run.is_terminal), _ts(run.created_at), _ts(run.queued_at), _ts(run.started_at),
        _ts(run.finished_at), _ts(run.modified_at), run.failure_reason,
        json.dumps(cats) if cats else None, cats[0]["category"] if cats else None,
        str(getattr(trigger, "value", trigger)) if trigger is not None else None,
        run.workflow_schedule_id, run.parent_workflow_run_id,
        run.retried_from_workflow_run_id, now,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Stored:
    """What writing a page of runs changed."""

    new: int = 0
    changed: int = 0  # known runs whose status, times or failure changed
    ended: tuple[str, ...] = ()  # known unfinished runs that have now ended


class RunIndex:
    """The index of one connection's runs (``path``: ``run-index/<connection>.sqlite3``)."""

    def __init__(self, path: Path, base_url: str) -> None:
        self.path = path
        self.base_url = base_url
        # Damaged or foreign: set aside and rebuilt from the server. The notices go nowhere
        # (the log has its line): nothing the user had is lost.
        self._db = LocalDb(
            path, _SCHEMA, what=WHAT, notices=Notices(), version=VERSION,
            salvaged=_drop_salvage,
        )  # fmt: skip
        if self.state("base_url") not in (None, base_url):
            # The same connection at another address (a saved connection edited): its runs
            # are another server's until proven otherwise.
            self.clear()
        self.set_state("base_url", base_url)

    @property
    def db(self) -> LocalDb:
        return self._db

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ state

    def state(self, key: str) -> str | None:
        row = self._db.fetch_one("SELECT value FROM state WHERE key = ?", (key,))
        return str(row[0]) if row and row[0] is not None else None

    def set_state(self, key: str, value: str | None) -> None:
        self._db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def complete(self) -> bool:
        """The index reached the server's oldest run once: it holds every run."""
        return self.state("complete") == "1"

    def set_complete(self, value: bool) -> None:
        self.set_state("complete", "1" if value else "0")

    def clear(self) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM runs")
            self._db.execute("DELETE FROM state")

    # ------------------------------------------------------------------ writing

    def store(self, runs: Iterable[WorkflowRun], now: float) -> Stored:
        """Write a page of the server's list (one transaction)."""
        runs = list(runs)
        if not runs:
            return Stored()
        ids = [r.workflow_run_id for r in runs]
        known = {
            str(r[0]): (str(r[1]), r[2], r[3], bool(r[4]))
            for r in self._db.fetch(
                f"SELECT run_id, status, modified, failure_reason, terminal FROM runs"
                f" WHERE run_id IN ({','.join('?' * len(ids))})",
                ids,
            )
        }
        new = changed = 0
        ended: list[str] = []
        rows = []
        for run in runs:
            row = _row_of(run, now)
            rows.append(row)
            before = known.get(run.workflow_run_id)
            if before is None:
                new += 1
                continue
            status, modified, reason, terminal = before
            if (status, modified, reason) != (row[3], row[9], row[10]):
                changed += 1
                if not terminal and row[4]:
                    ended.append(run.workflow_run_id)
        with self._db.transaction():
            self._db.executemany(
                """
                INSERT INTO runs (run_id, wpid, title, status, terminal, created, queued,
                    started, finished, modified, failure_reason, categories, category,
                    trigger_type, schedule_id, parent_id, retried_from, read_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id) DO UPDATE SET
                    wpid = excluded.wpid, title = COALESCE(excluded.title, runs.title),
                    status = excluded.status, terminal = excluded.terminal,
                    created = excluded.created, queued = excluded.queued,
                    started = excluded.started, finished = excluded.finished,
                    modified = excluded.modified, failure_reason = excluded.failure_reason,
                    categories = excluded.categories, category = excluded.category,
                    trigger_type = excluded.trigger_type, schedule_id = excluded.schedule_id,
                    parent_id = excluded.parent_id, retried_from = excluded.retried_from,
                    read_at = excluded.read_at,
                    steps = CASE WHEN runs.terminal = 1 THEN runs.steps ELSE NULL END,
                    inputs_digest = runs.inputs_digest
                """,
                rows,
            )
        return Stored(new, changed, tuple(ended))

    def store_details(self, run_id: str, steps: int | None, digest: str | None) -> None:
        """What only a run's own page says: the steps it used, a digest of its inputs."""
        self._db.execute(
            "UPDATE runs SET steps = ?, inputs_digest = COALESCE(?, inputs_digest)"
            " WHERE run_id = ?",
            (steps, digest, run_id),
        )

    # ------------------------------------------------------------------ reading

    def count(self) -> int:
        return int(self._db.fetch_one("SELECT COUNT(*) FROM runs")[0])

    def known_terminal(self, ids: Sequence[str]) -> dict[str, bool]:
        """Which of ``ids`` the index holds, and whether each had ended when last read."""
        if not ids:
            return {}
        rows = self._db.fetch(
            f"SELECT run_id, terminal FROM runs WHERE run_id IN ({','.join('?' * len(ids))})",
            list(ids),
        )
        return {str(r[0]): bool(r[1]) for r in rows}

    def unfinished(self) -> list[IndexedRun]:
        """The runs that had not ended when last read, oldest first."""
        return self._select("WHERE terminal = 0 ORDER BY created")

    def tail(self) -> IndexedRun | None:
        """The oldest run the index holds."""
        rows = self._select("ORDER BY created LIMIT 1")
        return rows[0] if rows else None

    def newest(self, limit: int) -> list[IndexedRun]:
        return self._select("ORDER BY created DESC LIMIT ?", (limit,))

    def runs_between(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[IndexedRun]:
        """Every run created in ``since`` ≤ created < ``until``, newest first."""
        clauses, args = [], []
        if since is not None:
            clauses.append("created >= ?")
            args.append(since.timestamp())
        if until is not None:
            clauses.append("created < ?")
            args.append(until.timestamp())
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        return self._select(f"{where}ORDER BY created DESC", tuple(args))

    def get(self, run_id: str) -> IndexedRun | None:
        rows = self._select("WHERE run_id = ?", (run_id,))
        return rows[0] if rows else None

    def categories_json(self, run_id: str) -> str | None:
        row = self._db.fetch_one("SELECT categories FROM runs WHERE run_id = ?", (run_id,))
        return str(row[0]) if row and row[0] else None

    def missing_details(self, since: datetime, limit: int) -> list[IndexedRun]:
        """Ended runs created since ``since`` whose steps are not known yet, newest first."""
        return self._select(
            "WHERE terminal = 1 AND steps IS NULL AND created >= ? ORDER BY created DESC LIMIT ?",
            (since.timestamp(), limit),
        )

    def select_rows(self, where: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Raw rows (``_COLUMNS`` plus the categories' JSON last) for the history's query."""
        return [
            tuple(r)
            for r in self._db.fetch(f"SELECT {_COLUMNS}, categories FROM runs {where}", args)
        ]

    def _select(self, tail: str, args: Sequence[Any] = ()) -> list[IndexedRun]:
        rows = self._db.fetch(f"SELECT {_COLUMNS} FROM runs {tail}", args)
        return [IndexedRun.from_row(r) for r in rows]


def _drop_salvage(db: sqlite3.Connection) -> None:
    """Rows rescued from a damaged index are not trusted: the index's promise (a contiguous
    run of the server's list) may not hold for them. It is rebuilt from the server."""
    db.execute("DELETE FROM runs")
    db.execute("DELETE FROM state")
