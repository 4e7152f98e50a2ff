"""HTTP only: the Skyvern client, its models, its errors and its path table. No Qt here.

Names are loaded on first use (PEP 562), so code that only needs an error class or the
secret helpers does not pay for httpx and pydantic at start-up: the window is on screen
before the client is first imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CLOUD_BASE_URL": "paths",
    "SkyvernClient": "client",
    "normalize_base_url": "client",
    "ApiError": "errors",
    "AuthError": "errors",
    "ConflictError": "errors",
    "FieldError": "errors",
    "NetworkError": "errors",
    "NetworkErrorKind": "errors",
    "NotFoundError": "errors",
    "OutcomeUnknownError": "errors",
    "ProtocolError": "errors",
    "RateLimitedError": "errors",
    "ServerError": "errors",
    "SkyvernError": "errors",
    "ValidationError": "errors",
    "NO_RETRY": "retry",
    "RetryPolicy": "retry",
    "RedactingFilter": "secrets",
    "Secret": "secrets",
    "register_secret": "secrets",
    "scrub": "secrets",
}

__all__ = [
    "CLOUD_BASE_URL",
    "NO_RETRY",
    "ApiError",
    "AuthError",
    "ConflictError",
    "FieldError",
    "NetworkError",
    "NetworkErrorKind",
    "NotFoundError",
    "OutcomeUnknownError",
    "ProtocolError",
    "RateLimitedError",
    "RedactingFilter",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "SkyvernClient",
    "SkyvernError",
    "ValidationError",
    "normalize_base_url",
    "register_secret",
    "scrub",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .client import (
        SkyvernClient,
        normalize_base_url,
    )
    from .errors import (
        ApiError,
        AuthError,
        ConflictError,
        FieldError,
        NetworkError,
        NetworkErrorKind,
        NotFoundError,
        OutcomeUnknownError,
        ProtocolError,
        RateLimitedError,
        ServerError,
        SkyvernError,
        ValidationError,
    )
    from .paths import (
        CLOUD_BASE_URL,
    )
    from .retry import (
        NO_RETRY,
        RetryPolicy,
    )
    from .secrets import (
        RedactingFilter,
        Secret,
        register_secret,
        scrub,
    )
