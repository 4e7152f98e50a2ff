"""Logging to a rotating file under the platform's log folder, scrubbed of secrets."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from ..api.secrets import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(log_file: Path, *, level: int = logging.INFO, stderr: bool = False) -> None:
    """Send the app's logs to ``log_file`` (and stderr when asked), with every key redacted."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    remove_logging()
    root = logging.getLogger()
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    ]
    if stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactingFilter())
        handler._skyvern_desktop = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request line at INFO; keep those for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def remove_logging() -> None:
    """Detach and close the handlers :func:`setup_logging` added."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_skyvern_desktop", False):
            root.removeHandler(handler)
            handler.close()
