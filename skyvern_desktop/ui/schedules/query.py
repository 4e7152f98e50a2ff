"""Which schedules the Schedules screen lists: what it asks its owner for."""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class ScheduleQuery:
    status: str | None  # ScheduleStatusFilter's value, or every schedule
    search: str | None
    page: int
    page_size: int = PAGE_SIZE
