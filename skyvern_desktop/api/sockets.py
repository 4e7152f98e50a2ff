"""websockets' failures, said as our errors, for every socket the app opens (the live
picture, the input for a remote browser). Each socket names itself in its own words;
which failure becomes which error, and its kind, is decided here once.

No Qt; ``websockets`` is imported only when a failure is mapped (it is loaded with the
first socket anyway).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import AuthError, NetworkError, NetworkErrorKind, NotFoundError, SkyvernError
from .secrets import scrub


@dataclass(frozen=True, slots=True)
class SocketWords:
    """How one socket names its failures; ``{where}`` is its address without the key and
    ``{status}`` the HTTP status of a refused upgrade."""

    refused: str
    """A refused key (401/403)."""
    missing: str
    """No such socket on this server (404)."""
    other_status: str
    """Any other HTTP answer instead of the upgrade."""
    timeout: str
    failed: str
    """The connection could not be made (``{reason}``: what went wrong)."""
    dropped: str
    """The connection dropped (``{reason}``: the close code, or "no close frame")."""


def close_reason(exc: BaseException) -> str:
    """A closed connection's code and reason, in words (e.g. ``code 1009``)."""
    rcvd = getattr(exc, "rcvd", None) or getattr(exc, "sent", None)  # ours: e.g. 1009, too big
    if rcvd is None:
        return "no close frame"
    reason = getattr(rcvd, "reason", "")
    return f"code {rcvd.code}{': ' + reason if reason else ''}"


def socket_error(exc: BaseException, where: str, words: SocketWords) -> SkyvernError | None:
    """``exc`` from opening or reading a socket at ``where``, as a :class:`SkyvernError`:
    :class:`AuthError`, :class:`NotFoundError` or :class:`NetworkError`. ``None`` for an
    exception that is none of websockets' or the network's (the caller re-raises it)."""
    from websockets.exceptions import (
        ConnectionClosedError,
        InvalidHandshake,
        InvalidStatus,
        InvalidURI,
    )

    def say(template: str, **more: object) -> str:
        return template.format(where=where, **more)

    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status in (401, 403):
            return AuthError(say(words.refused, status=status), status_code=status)
        if status == 404:
            return NotFoundError(say(words.missing, status=status), status_code=status)
        return NetworkError(say(words.other_status, status=status), NetworkErrorKind.OTHER)
    if isinstance(exc, InvalidURI):
        return NetworkError(f"{where} is not a valid address.", NetworkErrorKind.OTHER)
    if isinstance(exc, TimeoutError):
        return NetworkError(say(words.timeout), NetworkErrorKind.TIMEOUT)
    if isinstance(exc, ConnectionRefusedError):
        return NetworkError(
            f"Nothing answers at {where}: is the server running?", NetworkErrorKind.REFUSED
        )
    if isinstance(exc, ConnectionClosedError):
        return NetworkError(say(words.dropped, reason=close_reason(exc)), NetworkErrorKind.OTHER)
    if isinstance(exc, (OSError, InvalidHandshake)):
        reason = scrub(str(exc)) or type(exc).__name__
        return NetworkError(say(words.failed, reason=reason), NetworkErrorKind.OTHER)
    return None
