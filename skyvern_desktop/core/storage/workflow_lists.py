"""The last workflow list of each connection, kept so the next start shows it at once.

One small JSON file per connection (``list_identity``) in the app's data folder, holding
what the list shows of each workflow: its title, id, description, when it changed, and
its inputs' keys, types and whether they are required (never their defaults, never a key).
Read without pydantic, so the list can paint right after the window. A damaged file is
set aside; a disk that refuses writes is said once (the list is then simply not kept).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .files import cannot_write, set_aside
from .notices import FileNotice, Notices, Trouble

VERSION = 1
WHAT = "the workflow list kept for a fast start"


@dataclass(frozen=True, slots=True)
class ListedInput:
    key: str
    workflow_parameter_type: str
    is_required: bool


@dataclass(frozen=True, slots=True)
class ListedWorkflow:
    """A workflow as the list shows it, read back from the kept list (the details panel
    waits for the server's own)."""

    workflow_permanent_id: str
    title: str
    description: str | None
    modified_at: datetime | None
    inputs: tuple[ListedInput, ...]


class _Input(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def workflow_parameter_type(self) -> object: ...
    @property
    def is_required(self) -> bool: ...


class _Workflow(Protocol):
    @property
    def workflow_permanent_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def modified_at(self) -> datetime | None: ...
    @property
    def inputs(self) -> list[Any]: ...


def summary(workflow: _Workflow) -> dict[str, Any]:
    return {
        "id": workflow.workflow_permanent_id,
        "title": workflow.title,
        "description": workflow.description,
        "modified_at": workflow.modified_at.isoformat() if workflow.modified_at else None,
        "inputs": [
            [p.key, str(getattr(p.workflow_parameter_type, "value", p.workflow_parameter_type)),
             bool(p.is_required)]
            for p in workflow.inputs
        ],
    }  # fmt: skip


def _listed(item: dict[str, Any]) -> ListedWorkflow:
    modified = item.get("modified_at")
    return ListedWorkflow(
        workflow_permanent_id=str(item["id"]),
        title=str(item["title"]),
        description=item.get("description"),
        modified_at=datetime.fromisoformat(modified) if modified else None,
        inputs=tuple(ListedInput(str(k), str(t), bool(r)) for k, t, r in item.get("inputs", [])),
    )


class WorkflowLists:
    def __init__(self, folder: Path, notices: Notices | None = None) -> None:
        self.folder = folder
        self._notices = notices if notices is not None else Notices()

    def path(self, identity: str) -> Path:
        return self.folder / f"{identity}.json"

    def load(self, identity: str) -> tuple[str, list[ListedWorkflow]] | None:
        """``(base_url, workflows)`` kept for the connection, or None."""
        path = self.path(identity)
        try:
            data = json.loads(path.read_bytes())
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("not a kept workflow list of this version")
            return str(data["base_url"]), [_listed(i) for i in data["workflows"]]
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            kept_as = set_aside(path)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._notices.add(
                FileNotice(
                    Trouble.SET_ASIDE, WHAT, path, kept_as, reason[:200],
                    "The list is loaded from the server as usual.",
                )
            )  # fmt: skip
            return None

    def save(self, identity: str, base_url: str, workflows: list[dict[str, Any]]) -> None:
        """Keep the list (written whole, then renamed into place)."""
        path = self.path(identity)
        payload = json.dumps(
            {"version": VERSION, "base_url": base_url, "saved_at": time.time(),
             "workflows": workflows},
            ensure_ascii=False, separators=(",", ":"),
        )  # fmt: skip
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".list-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(payload)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            if not cannot_write(exc):
                raise
            self._notices.add(
                FileNotice(Trouble.NOT_KEPT, WHAT, path, None, exc.strerror or str(exc))
            )
            return
        self._notices.add(FileNotice(Trouble.KEPT_AGAIN, WHAT, path))
