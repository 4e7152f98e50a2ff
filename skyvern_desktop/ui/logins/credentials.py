"""Credentials on the Logins screen: new ones (a form per kind), rename, and delete, which
names the workflows whose inputs default to the credential first. Its owner is the
Logins controller; this is the credentials part of its flow, and it knows its owner only
as the ``CredentialsHost`` it needs (so the two modules do not import each other).

Secrets typed into a credential form go to the server and nowhere else: not to settings,
the log (they are registered for scrubbing before they leave), or an error's text.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

import shiboken6
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog, QWidget

from ...api.errors import OutcomeUnknownError, SkyvernError, ValidationError

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import Credential
    from ...api.models.logins import NewCredential
    from .credential_dialog import CredentialDialog


class CredentialsHost(Protocol):
    """What the credentials flow needs of its owner (the Logins controller)."""

    @property
    def message(self) -> SignalInstance: ...
    @property
    def client(self) -> SkyvernClient | None: ...
    @property
    def window(self) -> QWidget: ...
    def spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> None: ...
    def keep(self, dialog: QDialog) -> None: ...
    def load(self) -> None: ...
    def report(self, what: str, exc: BaseException) -> None: ...
    def ask_text(
        self, name: str, title: str, label: str, value: str, then: Callable[[str], Any]
    ) -> None: ...
    def confirm(
        self, name: str, title: str, text: str, yes: str, then: Callable[[], Any]
    ) -> None: ...


class CredentialsFlow:
    def __init__(self, owner: CredentialsHost) -> None:
        self._owner = owner

    def new_credential(self, kind: str) -> CredentialDialog:
        from .credential_dialog import CredentialDialog

        dialog = CredentialDialog(kind, self._owner.window)
        dialog.submitted.connect(
            lambda new: self._owner.spawn("credential.create", self._create(dialog, new))
        )
        self._owner.keep(dialog)
        dialog.show()
        return dialog

    async def _create(self, dialog: CredentialDialog, new: NewCredential) -> None:
        client = self._owner.client
        if client is None:
            dialog.show_errors({}, "Not connected to a server.")
            return
        try:
            made = await client.create_credential(new)
        except SkyvernError as exc:
            if shiboken6.isValid(dialog):  # the app may be quitting: the form is gone
                self._refused(dialog, exc)
            if isinstance(exc, OutcomeUnknownError):
                self._owner.load()
            return
        if shiboken6.isValid(dialog):
            dialog.done_sending()
        self._owner.message.emit(f"Saved the credential “{made.name}” ({made.credential_id}).")
        self._owner.load()

    @staticmethod
    def _refused(dialog: CredentialDialog, exc: SkyvernError) -> None:
        """The server's refusal on the form's fields (the rest in its banner)."""
        if isinstance(exc, ValidationError):
            fields = {f.field: f.message for f in exc.field_errors if f.field}
            known = {k: v for k, v in fields.items() if k in dialog.fields}
            dialog.show_errors(known, "" if known else f"The server refused it: {exc}")
        elif isinstance(exc, OutcomeUnknownError):
            dialog.show_errors(
                {}, f"{exc} It was not sent again: look for it in the list before saving again."
            )
        else:
            dialog.show_errors({}, f"It could not be saved: {exc}")

    def rename_credential(self, credential: Credential) -> None:
        self._owner.ask_text(
            "credentialRenameDialog", "Rename the credential", "New name:", credential.name,
            lambda name: self._owner.spawn(
                "credential.rename", self._rename_credential(credential, name)
            ),
        )  # fmt: skip

    async def _rename_credential(self, credential: Credential, name: str) -> None:
        client = self._owner.client
        if client is None or not name.strip():
            return
        try:
            await client.rename_credential(credential.credential_id, name.strip())
        except SkyvernError as exc:
            self._owner.report("The credential could not be renamed.", exc)
            return
        self._owner.load()

    def delete_credential(self, credential: Credential) -> None:
        self._owner.spawn("credential.delete", self._ask_delete_credential(credential))

    async def _ask_delete_credential(self, credential: Credential) -> None:
        from ...core.logins import workflows_defaulting_to

        client = self._owner.client
        if client is None:
            return
        uses = ""
        try:
            workflows = await client.list_all_workflows()
            found = workflows_defaulting_to(credential.credential_id, workflows)
            if found:
                names = ", ".join(f"“{w.title}”" for w in found[:6])
                more = f" and {len(found) - 6} more" if len(found) > 6 else ""
                uses = (
                    f" These workflows use it as an input's default: {names}{more}; their"
                    " runs will fail until you choose another."
                )
        except SkyvernError as exc:
            uses = f" (The workflows that may use it could not be checked: {exc})"
        self._owner.confirm(
            "confirmDeleteCredential", "Delete the credential?",
            f"“{credential.name}” ({credential.credential_id}) is deleted from the server's vault."
            f"{uses}", "Delete",
            lambda: self._owner.spawn(
                "credential.delete.send", self._delete_credential(credential)
            ),
        )  # fmt: skip

    async def _delete_credential(self, credential: Credential) -> None:
        client = self._owner.client
        if client is None:
            return
        try:
            await client.delete_credential(credential.credential_id)
        except SkyvernError as exc:
            self._owner.report("The credential could not be deleted.", exc)
            return
        self._owner.message.emit(f"Deleted the credential “{credential.name}”.")
        self._owner.load()
