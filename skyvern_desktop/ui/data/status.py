"""What the catalogue says of itself, for the screen that shows it (no Qt, no client)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CatalogueState(StrEnum):
    DISCONNECTED = "disconnected"
    LOADING = "loading"  # the list is being (re)loaded; ``loaded`` rows so far
    READY = "ready"
    EMPTY = "empty"  # the server has no workflows
    FAILED = "failed"  # ``message`` says why; rows loaded before are kept


@dataclass(frozen=True, slots=True)
class CatalogueStatus:
    state: CatalogueState
    base_url: str | None = None
    message: str = ""
    loaded: int = 0  # LOADING: rows so far
    kept: bool = False  # the rows shown are the list kept from last time, being updated
