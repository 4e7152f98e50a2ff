"""Keeping the API key out of reprs, logs and error text."""

from __future__ import annotations

import logging
import re
import threading
from typing import Final

_REDACTED: Final = "***"

# A key in a URL's query string (the live stream's ``?apikey=…``), registered or not.
_QUERY_SECRET: Final = re.compile(
    r"(?i)([?&](?:apikey|api_key|x-api-key|token|access_token|password)=)[^&#\s'\"<>]+"
)


class Secret:
    """A string that never shows itself by accident.

    ``str()``, ``repr()`` and f-strings give ``***``; only :meth:`reveal` gives the value.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({_REDACTED})"

    def __str__(self) -> str:
        return _REDACTED

    def __format__(self, spec: str) -> str:
        return _REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class _Registry:
    """Every secret the process has seen, so any text can be scrubbed of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        # Very short values would redact ordinary words; real keys are long.
        if len(value) >= 8:
            with self._lock:
                self._values.add(value)

    def scrub(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, _REDACTED)
        if "=" in text:
            text = _QUERY_SECRET.sub(rf"\g<1>{_REDACTED}", text)
        return text


_registry = _Registry()


def register_secret(value: str) -> None:
    """Remember ``value`` so :func:`scrub` and the log filter remove it everywhere."""
    _registry.add(value)


def scrub(text: str) -> str:
    """Return ``text`` with every registered secret, and any key-like value in a URL's
    query string (``?apikey=…``, ``&token=…``), replaced by ``***``."""
    return _registry.scrub(text)


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs registered secrets from every record.

    It formats the record's message once, scrubs it, and freezes it, so neither
    the message nor its arguments can carry a key into a handler. Exception text
    is scrubbed too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call must not break the app
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
