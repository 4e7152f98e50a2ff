"""The run registry: a small SQLite file that never loses a run the user launched or opened.

Every run id is written the moment the app knows it, with which server it is on and whether
its pane is open; each write is committed at once (WAL), so a crash or ``kill -9`` loses
nothing, and the next start reopens the panes and resumes watching. No secrets here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..storage.db import LocalDb
from ..storage.notices import Notices

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    base_url TEXT NOT NULL,
    run_id TEXT NOT NULL,
    workflow_permanent_id TEXT,
    workflow_title TEXT,
    status TEXT,
    terminal INTEGER NOT NULL DEFAULT 0,
    pane_open INTEGER NOT NULL DEFAULT 0,
    opened_at REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (base_url, run_id)
);
CREATE INDEX IF NOT EXISTS runs_open ON runs (base_url, pane_open, opened_at);
CREATE TABLE IF NOT EXISTS started_here (
    base_url TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (base_url, run_id)
);
"""


@dataclass(frozen=True, slots=True)
class RegisteredRun:
    base_url: str
    run_id: str
    workflow_permanent_id: str | None
    workflow_title: str | None
    status: str | None
    terminal: bool
    pane_open: bool


class RunRegistry:
    def __init__(self, path: Path, notices: Notices | None = None) -> None:
        self.path = path
        # Damaged: set aside, and the open panes come back from what the server lists.
        self._db = LocalDb(
            path, _SCHEMA, what="the list of open runs", notices=notices,
            after="Runs you had open can be opened again from the Runs screen's history.",
        )  # fmt: skip

    @property
    def db(self) -> LocalDb:
        return self._db

    def close(self) -> None:
        self._db.close()

    def record(
        self,
        base_url: str,
        run_id: str,
        *,
        workflow_permanent_id: str | None = None,
        workflow_title: str | None = None,
        status: str | None = None,
        terminal: bool = False,
        pane_open: bool | None = None,
    ) -> None:
        """Remember a run (again); known fields are kept when a call leaves them out."""
        now = time.time()
        self._db.execute(
            """
            INSERT INTO runs (base_url, run_id, workflow_permanent_id, workflow_title, status,
                              terminal, pane_open, opened_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (base_url, run_id) DO UPDATE SET
                workflow_permanent_id = COALESCE(excluded.workflow_permanent_id,
                                                 runs.workflow_permanent_id),
                workflow_title = COALESCE(excluded.workflow_title, runs.workflow_title),
                status = COALESCE(excluded.status, runs.status),
                terminal = MAX(runs.terminal, excluded.terminal),
                pane_open = CASE WHEN ? IS NULL THEN runs.pane_open ELSE excluded.pane_open END,
                opened_at = CASE WHEN ? = 1 THEN excluded.opened_at ELSE runs.opened_at END,
                updated_at = excluded.updated_at
            """,
            (
                base_url, run_id, workflow_permanent_id, workflow_title, status, int(terminal),
                int(bool(pane_open)), now if pane_open else None, now, now,
                pane_open, 1 if pane_open else 0,
            ),
        )  # fmt: skip

    def mark_started_here(self, base_url: str, run_id: str) -> None:
        """This app started the run (the launcher, Run now, a retry): the history's
        "Started by" says so."""
        self._db.execute(
            "INSERT OR IGNORE INTO started_here (base_url, run_id) VALUES (?, ?)",
            (base_url, run_id),
        )

    def started_here(self, base_url: str) -> set[str]:
        rows = self._db.fetch("SELECT run_id FROM started_here WHERE base_url = ?", (base_url,))
        return {str(r[0]) for r in rows}

    def set_pane_open(self, base_url: str, run_id: str, open_: bool) -> None:
        self.record(base_url, run_id, pane_open=open_)

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[RegisteredRun]:
        cursor = self._db.fetch(sql, args)
        return [
            RegisteredRun(
                base_url=r[0],
                run_id=r[1],
                workflow_permanent_id=r[2],
                workflow_title=r[3],
                status=r[4],
                terminal=bool(r[5]),
                pane_open=bool(r[6]),
            )
            for r in cursor
        ]

    _COLUMNS = (
        "base_url, run_id, workflow_permanent_id, workflow_title, status, terminal, pane_open"
    )

    def get(self, base_url: str, run_id: str) -> RegisteredRun | None:
        rows = self._rows(
            f"SELECT {self._COLUMNS} FROM runs WHERE base_url = ? AND run_id = ?",
            (base_url, run_id),
        )
        return rows[0] if rows else None

    def open_panes(self, base_url: str) -> list[RegisteredRun]:
        """The runs whose panes were open, in the order they were opened."""
        return self._rows(
            f"SELECT {self._COLUMNS} FROM runs WHERE base_url = ? AND pane_open = 1"
            " ORDER BY opened_at, created_at",
            (base_url,),
        )
