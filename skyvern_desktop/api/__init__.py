"""HTTP only: the Skyvern client, its models, its errors and its path table. No Qt here."""

from .client import CLOUD_BASE_URL, SkyvernClient, normalize_base_url
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
from .retry import NO_RETRY, RetryPolicy
from .secrets import RedactingFilter, Secret, register_secret, scrub

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
