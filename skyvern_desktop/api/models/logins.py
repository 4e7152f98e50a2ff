"""What the Logins screen sends: a new credential (its secrets never in a repr), and what
a browser profile is used by."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from ._base import ApiModel


class CredentialType(StrEnum):
    PASSWORD = "password"
    CREDIT_CARD = "credit_card"
    SECRET = "secret"


class TotpType(StrEnum):
    """How a password credential gets its second factor."""

    NONE = "none"
    AUTHENTICATOR = "authenticator"  # a key the server turns into codes
    EMAIL = "email"  # codes sent to an address (totp_identifier)
    TEXT = "text"  # codes sent to a phone (totp_identifier)


SECRET_FIELDS = frozenset({"password", "totp", "card_number", "card_cvv", "secret_value"})
"""The fields of a credential that are secrets: never logged, kept or shown back."""


class NewCredential(ApiModel):
    """``POST /v1/credentials``. ``credential`` holds the secrets: its repr hides them."""

    name: str
    credential_type: CredentialType
    credential: dict[str, Any] = Field(repr=False)

    def __repr__(self) -> str:
        return f"NewCredential(name={self.name!r}, credential_type={self.credential_type.value!r})"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """The secret values in it (to scrub from any text)."""
        return [
            str(v) for k, v in self.credential.items() if k in SECRET_FIELDS and v not in (None, "")
        ]

    def to_body(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "credential_type": self.credential_type.value,
            "credential": {k: v for k, v in self.credential.items() if v not in (None, "")}
            | ({"password": ""} if self.credential_type is CredentialType.PASSWORD
               and not self.credential.get("password") else {}),
        }  # fmt: skip


class ProfileUsageWorkflow(ApiModel):
    workflow_permanent_id: str
    title: str
    via: str = ""


class ProfileUsageCredential(ApiModel):
    credential_id: str
    name: str


class BrowserProfileUsage(ApiModel):
    """``GET /v1/browser_profiles/{id}/usage``."""

    workflows: list[ProfileUsageWorkflow] = Field(default_factory=list)
    credentials: list[ProfileUsageCredential] = Field(default_factory=list)
    recent_seeded_run_count: int = 0
