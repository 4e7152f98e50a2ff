"""What changed, announced by the owner that changed it; each screen (``Screen.on_change``)
decides what to load again. Light on purpose: passive screens import it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Signal


class ChangeKind(StrEnum):
    RUN_STARTED = "run_started"  # a run of a workflow was started (launcher, Run now, retry)
    RUN_ENDED = "run_ended"  # a watched run ended
    SCHEDULES = "schedules"  # a workflow's schedules were saved, switched or deleted
    WORKFLOWS = "workflows"  # workflows were added or changed (e.g. the local examples)


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    workflow_permanent_id: str | None = None


class Changes(QObject):
    """Owners announce what changed; each screen (``Screen.on_change``) and owner decides
    what to load again. Nobody routes a refresh by hand."""

    changed = Signal(object)  # Change

    def announce(self, kind: ChangeKind, workflow_permanent_id: str | None = None) -> None:
        self.changed.emit(Change(kind, workflow_permanent_id))
