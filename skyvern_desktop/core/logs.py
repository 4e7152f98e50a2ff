"""Logging to a rotating file under the platform's log folder, scrubbed of secrets."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
from pathlib import Path

from ..api.secrets import RedactingFilter
from .storage.notices import FileNotice, Notices, Trouble

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file. A full disk or a folder that refuses writes loses log lines, never
    the app: said once (not a traceback per line on stderr), and the next line that can
    be written is written."""

    def __init__(self, log_file: Path, notices: Notices) -> None:
        super().__init__(log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        self._notices = notices
        self._failing = False

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        if self._failing and self.stream is not None and not self.stream.closed:
            self._failing = False
            self._notices.add(FileNotice(Trouble.KEPT_AGAIN, _WHAT, Path(self.baseFilename)))

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            self._failing = True
            with contextlib.suppress(OSError, ValueError):
                if self.stream is not None:
                    self.stream.close()
            self.stream = None  # reopened by the next emit
            self._notices.add(
                FileNotice(Trouble.NOT_KEPT, _WHAT, Path(self.baseFilename), None,
                           exc.strerror or str(exc))
            )  # fmt: skip
            return
        super().handleError(record)


_WHAT = "the log"


def setup_logging(
    log_file: Path, *, level: int = logging.INFO, stderr: bool = False,
    notices: Notices | None = None,
) -> None:  # fmt: skip
    """Send the app's logs to ``log_file`` (and stderr when asked), with every key redacted.
    A log folder that cannot be written is said once in ``notices``; the app goes on."""
    notices = notices if notices is not None else Notices()
    remove_logging()
    root = logging.getLogger()
    handlers: list[logging.Handler] = []
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(_LogFile(log_file, notices))
    except OSError as exc:
        notices.add(FileNotice(Trouble.NOT_KEPT, _WHAT, log_file, None, exc.strerror or str(exc)))
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
