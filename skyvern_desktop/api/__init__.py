"""HTTP only: the Skyvern client, its models, its errors and its path table. No Qt here.

The names below are the package's whole public surface, each listed once. The client is
loaded on first use (PEP 562), so code that only needs an error class or the secret
helpers does not pay for httpx and pydantic at start-up: the window is on screen before
the client is first imported. The other modules are small and standard-library only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import ApiError as ApiError
from .errors import AuthError as AuthError
from .errors import ClientClosedError as ClientClosedError
from .errors import ConflictError as ConflictError
from .errors import FieldError as FieldError
from .errors import NetworkError as NetworkError
from .errors import NetworkErrorKind as NetworkErrorKind
from .errors import NotFoundError as NotFoundError
from .errors import OutcomeUnknownError as OutcomeUnknownError
from .errors import ProtocolError as ProtocolError
from .errors import RateLimitedError as RateLimitedError
from .errors import ServerError as ServerError
from .errors import SkyvernError as SkyvernError
from .errors import UnreadableReplyError as UnreadableReplyError
from .errors import ValidationError as ValidationError
from .paths import CLOUD_BASE_URL as CLOUD_BASE_URL
from .retry import NO_RETRY as NO_RETRY
from .retry import RetryPolicy as RetryPolicy
from .secrets import RedactingFilter as RedactingFilter
from .secrets import Secret as Secret
from .secrets import register_secret as register_secret
from .secrets import scrub as scrub

if TYPE_CHECKING:  # loaded on first use: see __getattr__
    from .client import SkyvernClient as SkyvernClient
    from .client import normalize_base_url as normalize_base_url

_LAZY = frozenset({"SkyvernClient", "normalize_base_url"})


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".client", __name__), name)
    globals()[name] = value
    return value
