"""Credentials, browser sessions and browser profiles against the real server."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from skyvern_desktop.api import SkyvernClient, ValidationError
from skyvern_desktop.api.models.logins import CredentialType, NewCredential
from skyvern_desktop.core.logins import profile_from_session

from ..realserver import RealServer

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _name(what: str) -> str:
    return f"{what} {uuid.uuid4().hex[:6]}"


async def test_each_kind_of_credential_is_stored_listed_and_deleted_without_its_secrets(
    client: SkyvernClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = f"pw-{uuid.uuid4().hex}"
    totp_key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits: the server wants 112 or more
    card = "4111111111111111"
    secret = f"sk-{uuid.uuid4().hex}"
    made = [
        await client.create_credential(
            NewCredential(
                name=_name("Shop login"), credential_type=CredentialType.PASSWORD,
                credential={"username": "alice@example.com", "password": password,
                            "totp": totp_key, "totp_type": "authenticator"},
            )
        ),
        await client.create_credential(
            NewCredential(
                name=_name("Company card"), credential_type=CredentialType.CREDIT_CARD,
                credential={"card_holder_name": "Alice A", "card_number": card,
                            "card_exp_month": "12", "card_exp_year": "2030", "card_cvv": "123",
                            "card_brand": "visa"},
            )
        ),
        await client.create_credential(
            NewCredential(
                name=_name("API token"), credential_type=CredentialType.SECRET,
                credential={"secret_value": secret, "secret_label": "token"},
            )
        ),
    ]  # fmt: skip
    assert [c.credential_type for c in made] == ["password", "credit_card", "secret"]
    assert made[0].credential is not None and made[0].credential["username"] == "alice@example.com"
    assert made[0].credential["totp_type"] == "authenticator"
    assert made[1].credential is not None and made[1].credential["last_four"] == "1111"
    listed = {c.credential_id for c in await client.list_credentials(page_size=500)}
    assert {c.credential_id for c in made} <= listed
    text = repr(made) + caplog.text
    for value in (password, totp_key, card, secret):
        assert value not in text
    renamed = await client.rename_credential(made[2].credential_id, "API token (renamed)")
    assert renamed.name == "API token (renamed)"
    for c in made:
        await client.delete_credential(c.credential_id)
    listed = {c.credential_id for c in await client.list_credentials(page_size=500)}
    assert not {c.credential_id for c in made} & listed


async def test_a_refused_credential_names_its_field(client: SkyvernClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.create_credential(
            NewCredential(
                name=_name("No user"), credential_type=CredentialType.PASSWORD,
                credential={"username": "", "password": "x"},
            )
        )  # fmt: skip
    fields = {f.field for f in caught.value.field_errors}
    assert "username" in fields, caught.value.field_errors


async def test_a_session_starts_is_listed_extended_closed_and_made_a_profile(
    client: SkyvernClient, real_server: RealServer, require_browser: None
) -> None:
    session = await client.create_browser_session(timeout_minutes=15)
    assert session.browser_session_id.startswith("pbs_")
    for _ in range(60):
        if session.browser_session_id in {
            s.browser_session_id for s in await client.list_browser_sessions()
        }:
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError("the session was never listed")
    extended = await client.extend_browser_session(session.browser_session_id, 10)
    assert extended.browser_session_id == session.browser_session_id
    for _ in range(120):  # the browser must be running before its state can be kept
        one = await client.get_browser_session(session.browser_session_id)
        if one.started_at is not None:
            break
        await asyncio.sleep(0.5)
    profile = await profile_from_session(client, session.browser_session_id, _name("Signed in"))
    assert profile.browser_profile_id.startswith("bp_")
    usage = await client.browser_profile_usage(profile.browser_profile_id)
    assert usage.workflows == []
    renamed = await client.rename_browser_profile(profile.browser_profile_id, "Renamed")
    assert renamed.name == "Renamed"
    for _ in range(60):  # saving the profile closed the session
        if session.browser_session_id not in {
            s.browser_session_id for s in await client.list_browser_sessions()
        }:
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError("the closed session is still listed")
    await client.delete_browser_profile(profile.browser_profile_id)
    assert profile.browser_profile_id not in {
        p.browser_profile_id for p in await client.list_browser_profiles()
    }
