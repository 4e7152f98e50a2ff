"""Login rules without widgets: saving a signed-in browser session as a profile, and which
workflows a credential is the default of."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ..api.errors import ValidationError

if TYPE_CHECKING:
    from ..api.client import SkyvernClient
    from ..api.models import BrowserProfile, Workflow

COOKIE_WRITE_SECONDS = 32.0
"""Chrome writes new cookies to disk in batches, at most 30 s after they change; the
server saves a session's profile from its files. So a sign-in is kept only once that much
time has passed since it happened (measured here: saved 9 s after signing in, the cookie
was missing from the profile)."""
ARCHIVE_PENDING = "persisted profile archive"
"""Words of the server's 400 while a closed session's browser state is still uploading."""


async def profile_from_session(
    client: SkyvernClient,
    session_id: str,
    name: str,
    *,
    description: str | None = None,
    last_input_at: float | None = None,
    within: float = 120.0,
    interval: float = 1.0,
) -> BrowserProfile:
    """Close the session, then save its browser state (cookies, storage) as a profile.

    ``last_input_at`` (``time.monotonic()`` of the last click or key sent to the page):
    the session is closed only :data:`COOKIE_WRITE_SECONDS` after it, so the browser has
    written the sign-in's cookies to disk (see :func:`wait_before_saving`).

    The server keeps a session's state only once the session is closed and its archive is
    uploaded; until then it refuses the profile with a 400 naming the archive. That refusal
    created nothing, so asking again is safe; any other answer is final."""
    if (wait := wait_before_saving(last_input_at)) > 0:
        await asyncio.sleep(wait)
    await client.close_browser_session(session_id)
    deadline = time.monotonic() + within
    while True:
        try:
            return await client.create_browser_profile(
                name, description=description, browser_session_id=session_id
            )
        except ValidationError as exc:
            if ARCHIVE_PENDING not in str(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(interval)


def wait_before_saving(last_input_at: float | None, now: float | None = None) -> float:
    """Seconds still to wait before a session's sign-in is surely on disk."""
    if last_input_at is None:
        return 0.0
    now = time.monotonic() if now is None else now
    return max(0.0, last_input_at + COOKIE_WRITE_SECONDS - now)


def workflows_defaulting_to(credential_id: str, workflows: list[Workflow]) -> list[Workflow]:
    """The workflows whose inputs default to this credential (named before a delete)."""
    found = []
    for workflow in workflows:
        for param in workflow.workflow_definition.parameters:
            if param.default_value == credential_id:
                found.append(workflow)
                break
    return found


# ---------------------------------------------------------------------- new credentials

CARD_BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay", "other")
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def check_credential(kind: str, name: str, values: dict[str, str], *, year: int) -> dict[str, str]:
    """What is wrong with a new credential, by field (``name`` and the server's field
    names), in plain words; empty when it can be sent. ``year`` is this year."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give it a name, such as “Acme shop login”."
    if kind == "password":
        if not values.get("username", "").strip():
            errors["username"] = "Enter the username or email address used to sign in."
        totp_type = values.get("totp_type", "none")
        if totp_type == "authenticator":
            key = "".join(values.get("totp", "").split()).upper()
            if not key:
                errors["totp"] = "Paste the setup key the site showed when you turned on 2FA."
            elif key.lower().startswith("otpauth://"):
                pass
            elif not set(key) <= _BASE32:
                errors["totp"] = (
                    "A setup key has only the letters A–Z and the digits 2–7 (or paste the"
                    " whole otpauth:// address)."
                )
            elif len(key.rstrip("=")) < 23:
                errors["totp"] = (
                    "That setup key is too short: the server needs 23 characters or more."
                )
        elif totp_type in ("email", "text") and not values.get("totp_identifier", "").strip():
            errors["totp_identifier"] = (
                "Enter the email address the codes go to."
                if totp_type == "email"
                else "Enter the phone number the codes go to."
            )
    elif kind == "credit_card":
        if not values.get("card_holder_name", "").strip():
            errors["card_holder_name"] = "Enter the name on the card."
        number = "".join(values.get("card_number", "").split()).replace("-", "")
        if not number.isdigit() or not 12 <= len(number) <= 19:
            errors["card_number"] = "Enter the card number: 12 to 19 digits."
        elif not _luhn_ok(number):
            errors["card_number"] = "That card number does not add up; check for a typo."
        month = values.get("card_exp_month", "").strip()
        if not (month.isdigit() and 1 <= int(month) <= 12):
            errors["card_exp_month"] = "Enter the month, 1 to 12."
        exp_year = values.get("card_exp_year", "").strip()
        if not (exp_year.isdigit() and len(exp_year) == 4 and int(exp_year) >= year):
            errors["card_exp_year"] = f"Enter the year in four digits, {year} or later."
        cvv = values.get("card_cvv", "").strip()
        if not (cvv.isdigit() and len(cvv) in (3, 4)):
            errors["card_cvv"] = "Enter the 3 or 4 digits on the card's back (or front)."
        if values.get("card_brand", "") not in CARD_BRANDS:
            errors["card_brand"] = "Choose the card's brand."
    elif kind == "secret" and not values.get("secret_value", ""):
        errors["secret_value"] = "Enter the secret to keep."
    return errors


def credential_body(kind: str, values: dict[str, str]) -> dict[str, str]:
    """The ``credential`` object the server takes, from the form's values."""
    if kind == "password":
        out = {"username": values.get("username", "").strip(),
               "password": values.get("password", "")}  # fmt: skip
        totp_type = values.get("totp_type", "none")
        out["totp_type"] = totp_type
        if totp_type == "authenticator":
            out["totp"] = "".join(values.get("totp", "").split())
        elif totp_type in ("email", "text"):
            out["totp_identifier"] = values.get("totp_identifier", "").strip()
        return out
    if kind == "credit_card":
        return {
            "card_holder_name": values.get("card_holder_name", "").strip(),
            "card_number": "".join(values.get("card_number", "").split()).replace("-", ""),
            "card_exp_month": values.get("card_exp_month", "").strip().zfill(2),
            "card_exp_year": values.get("card_exp_year", "").strip(),
            "card_cvv": values.get("card_cvv", "").strip(),
            "card_brand": values.get("card_brand", ""),
        }
    return {"secret_value": values.get("secret_value", ""),
            "secret_label": values.get("secret_label", "").strip()}  # fmt: skip
