"""The login endpoints of :class:`~.client.SkyvernClient`: credentials, browser sessions
and browser profiles (API doc §1.9, §8), kept apart so the client stays readable.

Creating any of them is sent once and never retried (a lost answer raises
:class:`~.errors.OutcomeUnknownError`). A new credential's secret values are registered
with :func:`~.secrets.register_secret` before they leave, so no log line or error text can
carry them.
"""

from __future__ import annotations

from typing import Any

from .models import BrowserProfile, BrowserSession, Credential
from .models.logins import BrowserProfileUsage, NewCredential
from .paths import ApiPath
from .secrets import register_secret
from .transport import ClientBase


class LoginEndpoints(ClientBase):
    # ------------------------------------------------------------------ credentials

    async def list_credentials(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        search: str | None = None,
        credential_type: str | None = None,
    ) -> list[Credential]:
        result: list[Credential] = await self._get(
            ApiPath.CREDENTIALS,
            list[Credential],
            page=page,
            page_size=page_size,
            search=search or None,
            credential_type=credential_type,
        )
        return result

    async def create_credential(self, new: NewCredential) -> Credential:
        """Store a credential in the server's vault; the answer never has its secrets."""
        for value in new.secrets():
            register_secret(value)
        result: Credential = await self._create(
            "POST", ApiPath.CREDENTIALS, new.to_body(), Credential,
            "the credential may have been created",
        )  # fmt: skip
        return result

    async def rename_credential(self, credential_id: str, name: str) -> Credential:
        """Only the name (and notes) of a credential can change; its secrets cannot."""
        response = await self._send(
            "PATCH", ApiPath.CREDENTIAL.fill(credential_id=credential_id),
            json={"name": name}, idempotent=True,
        )  # fmt: skip
        result: Credential = self._parse(response, Credential)
        return result

    async def delete_credential(self, credential_id: str) -> None:
        await self._send(
            "POST", ApiPath.CREDENTIAL_DELETE.fill(credential_id=credential_id), idempotent=True
        )

    # ------------------------------------------------------------------ browser sessions

    async def list_browser_sessions(self) -> list[BrowserSession]:
        """Active browser sessions only (not paged)."""
        result: list[BrowserSession] = await self._get(
            ApiPath.BROWSER_SESSIONS, list[BrowserSession]
        )
        return result

    async def get_browser_session(self, session_id: str) -> BrowserSession:
        result: BrowserSession = await self._get(
            ApiPath.BROWSER_SESSION.fill(session_id=session_id), BrowserSession
        )
        return result

    async def create_browser_session(
        self,
        *,
        timeout_minutes: int = 60,
        proxy_location: Any = None,
        browser_profile_id: str | None = None,
        url: str | None = None,
        keep_profile: bool = True,
    ) -> BrowserSession:
        """Start a browser session (a browser that lasts ``timeout_minutes``). Sent once.
        With ``keep_profile`` its state can be saved as a browser profile later (the
        server refuses a profile from a session started without it)."""
        body: dict[str, Any] = {"timeout": timeout_minutes}
        if keep_profile:
            body["generate_browser_profile"] = True
        if proxy_location is not None:
            body["proxy_location"] = proxy_location
        if browser_profile_id:
            body["browser_profile_id"] = browser_profile_id
        if url:
            body["url"] = url
        result: BrowserSession = await self._create(
            "POST", ApiPath.BROWSER_SESSIONS, body, BrowserSession,
            "the browser session may have started",
        )  # fmt: skip
        return result

    async def extend_browser_session(self, session_id: str, minutes: int) -> BrowserSession:
        """Add ``minutes`` to the session's deadline. Sent once (each call adds again)."""
        response = await self._send(
            "POST", ApiPath.BROWSER_SESSION_EXTEND.fill(session_id=session_id),
            json={"additional_minutes": minutes}, idempotent=False,
        )  # fmt: skip
        result: BrowserSession = self._parse(response, BrowserSession)
        return result

    async def close_browser_session(self, session_id: str) -> None:
        await self._send(
            "POST", ApiPath.BROWSER_SESSION_CLOSE.fill(session_id=session_id), idempotent=True
        )

    # ------------------------------------------------------------------ browser profiles

    async def list_browser_profiles(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        search_key: str | None = None,
        include_deleted: bool = False,
    ) -> list[BrowserProfile]:
        result: list[BrowserProfile] = await self._get(
            ApiPath.BROWSER_PROFILES,
            list[BrowserProfile],
            page=page,
            page_size=page_size,
            search_key=search_key or None,
            include_deleted=include_deleted,
        )
        return result

    async def create_browser_profile(
        self,
        name: str,
        *,
        description: str | None = None,
        browser_session_id: str | None = None,
        workflow_run_id: str | None = None,
    ) -> BrowserProfile:
        """A profile from a browser session, or from a finished run's browser. Sent once."""
        body: dict[str, Any] = {"name": name}
        if description:
            body["description"] = description
        if browser_session_id:
            body["browser_session_id"] = browser_session_id
        if workflow_run_id:
            body["workflow_run_id"] = workflow_run_id
        result: BrowserProfile = await self._create(
            "POST", ApiPath.BROWSER_PROFILES, body, BrowserProfile,
            "the profile may have been created",
        )  # fmt: skip
        return result

    async def rename_browser_profile(
        self, profile_id: str, name: str, description: str | None = None
    ) -> BrowserProfile:
        body: dict[str, Any] = {"name": name}
        if description is not None:
            body["description"] = description
        response = await self._send(
            "PATCH", ApiPath.BROWSER_PROFILE.fill(profile_id=profile_id), json=body,
            idempotent=True,
        )  # fmt: skip
        result: BrowserProfile = self._parse(response, BrowserProfile)
        return result

    async def delete_browser_profile(self, profile_id: str) -> None:
        await self._send(
            "DELETE", ApiPath.BROWSER_PROFILE.fill(profile_id=profile_id), idempotent=True
        )

    async def browser_profile_usage(self, profile_id: str) -> BrowserProfileUsage:
        result: BrowserProfileUsage = await self._get(
            ApiPath.BROWSER_PROFILE_USAGE.fill(profile_id=profile_id), BrowserProfileUsage
        )
        return result
