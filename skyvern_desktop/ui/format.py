"""Small text formatters shared by screens (times, statuses)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QColor

STATUS_LABELS = {
    "created": "Created",
    "queued": "Queued",
    "running": "Running",
    "paused": "Waiting for you",  # paused by a human-interaction block until someone answers
    "completed": "Completed",
    "failed": "Failed",
    "terminated": "Terminated",
    "canceled": "Canceled",
    "timed_out": "Timed out",
}

_STATUS_COLORS = {
    "completed": "#1a7f37",
    "failed": "#cf222e",
    "terminated": "#cf222e",
    "timed_out": "#bc4c00",
    "canceled": "#6e7781",
    "running": "#0969da",
    "queued": "#8250df",
    "created": "#8250df",
    "paused": "#9a6700",
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def status_color(status: str) -> QColor | None:
    color = _STATUS_COLORS.get(status)
    return QColor(color) if color else None


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    """``3 min ago``, ``yesterday``, ``12 Mar 2026``: short, and exact in the tooltip."""
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < 0:
        seconds = 0
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 86400:
        hours = round(seconds / 3600)
        return f"{hours} h ago"
    days = int(seconds // 86400)
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    local = when.astimezone()
    return local.strftime("%d %b %Y").lstrip("0")


def exact_time(when: datetime | None) -> str:
    if when is None:
        return ""
    return when.astimezone().strftime("%A %d %B %Y, %H:%M:%S %Z")


def duration_text(start: datetime | None, end: datetime | None) -> str:
    """How long from ``start`` to ``end``, e.g. ``3 min 5 s``; empty when either is unknown."""
    if start is None or end is None:
        return ""
    return seconds_text((end - start).total_seconds())


def seconds_text(seconds: float | None) -> str:
    """A number of seconds as ``3 min 5 s``; empty when unknown."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
