"""The logins flow's one owner: the lists, new credentials, sessions the app starts (closed
when it quits unless kept), the sign-in-once window, and profiles.

Secrets typed into a credential form go to the server and nowhere else: not to settings,
the log (they are registered for scrubbing before they leave), or an error's text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import OutcomeUnknownError, SkyvernError, ValidationError

# The dialogs, the sign-in window and the rules they use (pydantic models among them) load
# when the Logins screen is first used, not while the window is shown (tests/test_layers.py).
if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import BrowserProfile, BrowserSession, Credential
    from ...api.models.logins import NewCredential
    from ..errors import ErrorReporter
    from ..session import Session
    from ..tasks import TaskRunner
    from .credential_dialog import CredentialDialog
    from .page import LoginsPage
    from .signin import SignInWindow

log = logging.getLogger(__name__)


def _confirm(
    parent: QWidget, name: str, title: str, text: str, yes: str, then: Callable[[], Any]
) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent
    )
    box.setObjectName(name)
    button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    button.setObjectName(f"{name}Yes")
    box.buttonClicked.connect(lambda b: then() if b is button else None)
    box.finished.connect(lambda _r: box.deleteLater())
    box.open()
    return box


class LoginsController(QObject):
    """Intents out: ``launch_requested(wpid, options)`` (Use in a run…), ``message(text)``."""

    launch_requested = Signal(str, object)
    message = Signal(str)

    def __init__(
        self,
        page: Callable[[], LoginsPage],
        session: Session,
        tasks: TaskRunner,
        reporter: ErrorReporter,
        window: QWidget,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._page_of = page
        self._session = session
        self._tasks = tasks
        self._reporter = reporter
        self._window = window
        self._attached: LoginsPage | None = None
        self.ours: set[str] = set()  # sessions this app started and closes at quit
        self._serial = 0
        self.windows: dict[str, SignInWindow] = {}
        self.dialogs: list[QDialog] = []
        session.client_changed.connect(self._on_client_changed)

    @property
    def page(self) -> LoginsPage:
        page = self._page_of()
        if self._attached is not page:
            self.attach(page)
        return page

    def attach(self, page: LoginsPage) -> None:
        if self._attached is page:
            return
        self._attached = page
        page.refresh_requested.connect(self.load)
        page.new_credential_requested.connect(self.new_credential)
        page.rename_credential_requested.connect(self.rename_credential)
        page.delete_credential_requested.connect(self.delete_credential)
        page.new_login_requested.connect(self.new_login)
        page.start_session_requested.connect(self.start_session)
        page.extend_session_requested.connect(self.extend_session)
        page.close_session_requested.connect(self.close_session)
        page.watch_session_requested.connect(self.watch_session)
        page.profile_from_run_requested.connect(self.profile_from_run)
        page.rename_profile_requested.connect(self.rename_profile)
        page.delete_profile_requested.connect(self.delete_profile)
        page.use_profile_requested.connect(self.use_profile)
        page.profile_table.selectionModel().selectionChanged.connect(lambda *_: self._show_usage())
        self.load()

    def _spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> None:
        """Each action is a task of its own: a second Start… never cancels the first's
        request midway. Only the lists (``load``) and a profile's usage are "latest wins"."""
        if name not in ("load", "profile.usage"):
            self._serial += 1
            name = f"{name}.{self._serial}"
        self._tasks.spawn(f"ui.logins.{name}", coro)

    @property
    def _client(self) -> SkyvernClient | None:
        return self._session.client

    def _on_client_changed(self) -> None:
        """Another server: the sign-in windows close. The sessions this app started on the
        server left cannot be closed from here any more (its client is gone): they end at
        their time limit, and the app says so rather than closing sessions of the same id
        on the new server."""
        for window in list(self.windows.values()):
            window.force_close()
        if self.ours:
            n = len(self.ours)
            self.message.emit(
                f"{n} browser session{'s' if n != 1 else ''} started on the previous server"
                " keep running until their time runs out; close them there if you need to."
            )
            self.ours.clear()
        if self._attached is not None:
            self.load()

    # ------------------------------------------------------------------ lists

    def load(self) -> None:
        """All three lists, each on its own (one that fails says so, the others show)."""
        self._spawn("load", self._load())

    async def _load(self) -> None:
        client = self._client
        page = self._attached
        if client is None or page is None:
            return
        page.set_status("Loading…")
        results = await asyncio.gather(
            client.list_credentials(page_size=500), client.list_browser_sessions(),
            client.list_browser_profiles(page_size=500), return_exceptions=True,
        )  # fmt: skip
        problems = []
        credentials, sessions, profiles = results
        if isinstance(credentials, list):
            page.set_credentials(credentials)
        elif isinstance(credentials, SkyvernError):
            problems.append(f"Credentials could not load: {credentials}")
        if isinstance(sessions, list):
            page.set_sessions(sessions, self.ours)
        elif isinstance(sessions, SkyvernError):
            problems.append(f"Browser sessions could not load: {sessions}")
        if isinstance(profiles, list):
            page.set_profiles(profiles)
        elif isinstance(profiles, SkyvernError):
            problems.append(f"Browser profiles could not load: {profiles}")
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, SkyvernError):
                raise result
        page.set_status(" ".join(problems))

    # ------------------------------------------------------------------ credentials

    def new_credential(self, kind: str) -> CredentialDialog:
        from .credential_dialog import CredentialDialog

        dialog = CredentialDialog(kind, self._window)
        dialog.submitted.connect(
            lambda new: self._spawn("credential.create", self._create(dialog, new))
        )
        self._keep(dialog)
        dialog.show()
        return dialog

    def _keep(self, dialog: QDialog) -> None:
        self.dialogs.append(dialog)
        dialog.finished.connect(
            lambda _r: self.dialogs.remove(dialog) if dialog in self.dialogs else None
        )
        dialog.finished.connect(lambda _r: dialog.deleteLater())

    async def _create(self, dialog: CredentialDialog, new: NewCredential) -> None:
        client = self._client
        if client is None:
            dialog.show_errors({}, "Not connected to a server.")
            return
        try:
            made = await client.create_credential(new)
        except SkyvernError as exc:
            if shiboken6.isValid(dialog):  # the app may be quitting: the form is gone
                self._refused(dialog, exc)
            if isinstance(exc, OutcomeUnknownError):
                self.load()
            return
        if shiboken6.isValid(dialog):
            dialog.done_sending()
        self.message.emit(f"Saved the credential “{made.name}” ({made.credential_id}).")
        self.load()

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
        self._ask_text(
            "credentialRenameDialog", "Rename the credential", "New name:", credential.name,
            lambda name: self._spawn(
                "credential.rename", self._rename_credential(credential, name)
            ),
        )  # fmt: skip

    async def _rename_credential(self, credential: Credential, name: str) -> None:
        client = self._client
        if client is None or not name.strip():
            return
        try:
            await client.rename_credential(credential.credential_id, name.strip())
        except SkyvernError as exc:
            self._reporter.report("The credential could not be renamed.", exc)
            return
        self.load()

    def delete_credential(self, credential: Credential) -> None:
        self._spawn("credential.delete", self._ask_delete_credential(credential))

    async def _ask_delete_credential(self, credential: Credential) -> None:
        from ...core.logins import workflows_defaulting_to

        client = self._client
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
        _confirm(
            self.page, "confirmDeleteCredential", "Delete the credential?",
            f"“{credential.name}” ({credential.credential_id}) is deleted from the server's vault."
            f"{uses}", "Delete",
            lambda: self._spawn("credential.delete.send", self._delete_credential(credential)),
        )  # fmt: skip

    async def _delete_credential(self, credential: Credential) -> None:
        client = self._client
        if client is None:
            return
        try:
            await client.delete_credential(credential.credential_id)
        except SkyvernError as exc:
            self._reporter.report("The credential could not be deleted.", exc)
            return
        self.message.emit(f"Deleted the credential “{credential.name}”.")
        self.load()

    # ------------------------------------------------------------------ sessions

    def start_session(self) -> QDialog:
        dialog = QDialog(self._window)
        dialog.setObjectName("sessionStartDialog")
        dialog.setWindowTitle("Start a browser session")
        form = QFormLayout()
        minutes = QSpinBox()
        minutes.setObjectName("sessionMinutes")
        minutes.setRange(5, 1440)
        minutes.setValue(60)
        minutes.setSuffix(" min")
        form.addRow("Lasts", minutes)
        profile = QComboBox()
        profile.setObjectName("sessionProfile")
        profile.addItem("A fresh browser", None)
        if self._attached is not None:
            for p in self._attached.profiles.items:
                profile.addItem(p.name, p.browser_profile_id)
        form.addRow("Starts from", profile)
        from ...api.enums import ProxyLocation
        from ..widgets.run_options import proxy_label

        proxy = QComboBox()
        proxy.setObjectName("sessionProxy")
        proxy.addItem("The server's default", None)
        for location in ProxyLocation:
            proxy.addItem(proxy_label(location.value), location.value)
        form.addRow("Proxy location", proxy)
        keep = QCheckBox("Keep it running when the app quits")
        keep.setObjectName("sessionKeep")
        form.addRow("", keep)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("sessionStartOk")
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        box = QVBoxLayout(dialog)
        box.addLayout(form)
        box.addWidget(buttons)
        dialog.accepted.connect(
            lambda: self._spawn("session.start", self._start_session(
                minutes.value(), profile.currentData(), keep.isChecked(), proxy.currentData()
            ))
        )  # fmt: skip
        self._keep(dialog)
        dialog.open()
        return dialog

    async def _start_session(
        self, minutes: int, profile_id: str | None, keep: bool, proxy: str | None = None
    ) -> BrowserSession | None:
        client = self._client
        if client is None:
            return None
        try:
            session = await client.create_browser_session(
                timeout_minutes=minutes, browser_profile_id=profile_id, proxy_location=proxy
            )
        except OutcomeUnknownError as exc:
            self._reporter.report(
                "It is not known whether the browser session started; it was not asked again.",
                exc,
            )
            self.load()
            return None
        except SkyvernError as exc:
            self._reporter.report("The browser session could not start.", exc)
            return None
        if not keep:
            self.ours.add(session.browser_session_id)
        self.message.emit(f"Started the browser session {session.browser_session_id}.")
        self.load()
        return session

    def extend_session(self, session: BrowserSession) -> None:
        dialog = QInputDialog(self._window)
        dialog.setObjectName("sessionExtendDialog")
        dialog.setWindowTitle("Extend the session")
        dialog.setLabelText("Minutes to add:")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(1, 1440)
        dialog.setIntValue(30)
        dialog.intValueSelected.connect(
            lambda n: self._spawn("session.extend", self._extend(session, n))
        )
        self._keep(dialog)
        dialog.open()

    async def _extend(self, session: BrowserSession, minutes: int) -> None:
        client = self._client
        if client is None:
            return
        try:
            extended = await client.extend_browser_session(session.browser_session_id, minutes)
        except SkyvernError as exc:
            self._reporter.report("The session could not be extended.", exc)
            return
        self.message.emit(extended.warning or f"Added {minutes} minutes to the session.")
        self.load()

    def close_session(self, session: BrowserSession) -> None:
        used = (
            f" It is in use by {session.runnable_id}, which loses its browser."
            if session.runnable_id
            else ""
        )
        _confirm(
            self.page, "confirmCloseSession", "Close the browser session?",
            f"The browser of {session.browser_session_id} closes.{used}", "Close it",
            lambda: self._spawn("session.close", self._close(session.browser_session_id)),
        )  # fmt: skip

    async def _close(self, session_id: str) -> None:
        client = self._client
        if client is None:
            return
        try:
            await client.close_browser_session(session_id)
        except SkyvernError as exc:
            self._reporter.report("The session could not be closed.", exc)
            return
        self.ours.discard(session_id)
        self.load()

    def watch_session(self, session: BrowserSession) -> SignInWindow | None:
        return self._open_window(session)

    # ------------------------------------------------------------------ sign in once

    def new_login(self) -> None:
        self._spawn("new_login", self.open_new_login())

    async def open_new_login(self, start_url: str = "") -> SignInWindow | None:
        """Start a browser session for signing in and open it live."""
        session = await self._start_session(60, None, keep=False)
        if session is None:
            return None
        return self._open_window(session, start_url)

    def _open_window(self, session: BrowserSession, start_url: str = "") -> SignInWindow | None:
        """A session live. It is taken control of (and may be saved as a profile) only when
        this app started it: a session a run uses, or one started elsewhere (perhaps
        without keeping a profile), is shown, not driven."""
        from .signin import SignInWindow

        client = self._client
        if client is None:
            return None
        sid = session.browser_session_id
        if (window := self.windows.get(sid)) is not None:
            window.raise_()
            return window
        ours = sid in self.ours and not session.runnable_id
        window = SignInWindow(
            session, client, self._tasks, start_url, parent=self._window, control=ours,
        )  # fmt: skip
        self.windows[sid] = window
        window.save_requested.connect(
            lambda name: self._spawn(f"save.{sid}", self._save(window, name))
        )
        window.closed.connect(lambda: self._window_closed(window))
        window.show()
        window.start()
        return window

    async def _save(self, window: SignInWindow, name: str) -> None:
        from ...core.logins import profile_from_session, wait_before_saving

        client = self._client
        if client is None:
            return
        sid = window.session.browser_session_id
        window.busy_saving = True  # the window does not close while its sign-in is saved
        try:
            left = wait_before_saving(window.last_input_at)
            while left > 0:
                window.saving(left)
                await asyncio.sleep(min(1.0, left))
                left = wait_before_saving(window.last_input_at)
            window.saving(0)
            try:
                profile = await profile_from_session(client, sid, name)
            except OutcomeUnknownError as exc:
                self.ours.discard(sid)  # closed already, by the save
                window.ended = True
                window.save_failed(
                    f"{exc} It was not asked again: look in Browser profiles before saving again."
                )
                self.load()
                return
            except SkyvernError as exc:
                window.save_failed(f"The profile could not be saved: {exc}")
                return
        finally:
            window.busy_saving = False
        self.ours.discard(sid)
        window.ended = True
        self.message.emit(f"Saved the profile “{profile.name}”: runs can now start signed in.")
        window.close()
        self.load()

    def _window_closed(self, window: SignInWindow) -> None:
        sid = window.session.browser_session_id
        self.windows.pop(sid, None)
        window.deleteLater()
        if sid in self.ours:  # a sign-in given up: its browser is not left running
            self._spawn(f"session.close.{sid}", self._close(sid))

    # ------------------------------------------------------------------ profiles

    def _show_usage(self) -> None:
        page = self._attached
        if page is None:
            return
        profile = page.selected(page.profile_table)
        page.profile_usage.setText("")
        if profile is not None:
            self._spawn("profile.usage", self._usage(profile))

    async def _usage(self, profile: BrowserProfile) -> None:
        client, page = self._client, self._attached
        if client is None or page is None:
            return
        try:
            usage = await client.browser_profile_usage(profile.browser_profile_id)
        except SkyvernError as exc:
            page.profile_usage.setText(f"Its use could not be read: {exc}")
            return
        parts = []
        if usage.workflows:
            parts.append("used by " + ", ".join(f"“{w.title}”" for w in usage.workflows[:6]))
        if usage.credentials:
            parts.append("linked to " + ", ".join(f"“{c.name}”" for c in usage.credentials[:6]))
        if usage.recent_seeded_run_count:
            parts.append(f"{usage.recent_seeded_run_count} recent runs started from it")
        page.profile_usage.setText(
            f"“{profile.name}”: " + ("; ".join(parts) if parts else "no workflow uses it yet.")
        )

    def profile_from_run(self) -> None:
        dialog = QDialog(self._window)
        dialog.setObjectName("profileFromRunDialog")
        dialog.setWindowTitle("A profile from a finished run")
        form = QFormLayout()
        run = QLineEdit()
        run.setObjectName("profileRunId")
        run.setPlaceholderText("wr_…")
        name = QLineEdit()
        name.setObjectName("profileRunName")
        form.addRow("Run", run)
        form.addRow("Profile name", name)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(
            lambda: dialog.accept() if run.text().strip() and name.text().strip() else None
        )
        buttons.rejected.connect(dialog.reject)
        box = QVBoxLayout(dialog)
        box.addLayout(form)
        box.addWidget(buttons)
        dialog.accepted.connect(
            lambda: self._spawn(
                "profile.from_run", self._from_run(run.text().strip(), name.text().strip())
            )
        )
        self._keep(dialog)
        dialog.open()

    async def _from_run(self, run_id: str, name: str) -> None:
        client = self._client
        if client is None:
            return
        try:
            profile = await client.create_browser_profile(name, workflow_run_id=run_id)
        except SkyvernError as exc:
            self._reporter.report("The profile could not be made from that run.", exc)
            return
        self.message.emit(f"Saved the profile “{profile.name}”.")
        self.load()

    def rename_profile(self, profile: BrowserProfile) -> None:
        self._ask_text(
            "profileRenameDialog", "Rename the profile", "New name:", profile.name,
            lambda name: self._spawn("profile.rename", self._rename_profile(profile, name)),
        )  # fmt: skip

    async def _rename_profile(self, profile: BrowserProfile, name: str) -> None:
        client = self._client
        if client is None or not name.strip():
            return
        try:
            await client.rename_browser_profile(profile.browser_profile_id, name.strip())
        except SkyvernError as exc:
            self._reporter.report("The profile could not be renamed.", exc)
            return
        self.load()

    def delete_profile(self, profile: BrowserProfile) -> None:
        _confirm(
            self.page, "confirmDeleteProfile", "Delete the profile?",
            f"“{profile.name}” and the signed-in browser it keeps are deleted. Runs that"
            " name it can no longer start from it.", "Delete",
            lambda: self._spawn("profile.delete", self._delete_profile(profile)),
        )  # fmt: skip

    async def _delete_profile(self, profile: BrowserProfile) -> None:
        client = self._client
        if client is None:
            return
        try:
            await client.delete_browser_profile(profile.browser_profile_id)
        except SkyvernError as exc:
            self._reporter.report("The profile could not be deleted.", exc)
            return
        self.load()

    def use_profile(self, profile: BrowserProfile) -> None:
        self._spawn("profile.use", self._pick_workflow(profile))

    async def _pick_workflow(self, profile: BrowserProfile) -> None:
        client = self._client
        if client is None:
            return
        try:
            workflows = await client.list_all_workflows()
        except SkyvernError as exc:
            self._reporter.report("The workflows could not be listed.", exc)
            return
        if not workflows:
            self.message.emit("This server has no workflow to run with the profile yet.")
            return
        dialog = QInputDialog(self._window)
        dialog.setObjectName("profileUseDialog")
        dialog.setWindowTitle("Use the profile in a run")
        dialog.setLabelText(f"Run which workflow starting from “{profile.name}”?")
        titles = [f"{w.title}  ({w.workflow_permanent_id})" for w in workflows]
        dialog.setComboBoxItems(titles)
        dialog.setComboBoxEditable(False)

        def chosen(text: str) -> None:
            wpid = workflows[titles.index(text)].workflow_permanent_id
            self.launch_requested.emit(wpid, {"browser_profile_id": profile.browser_profile_id})

        dialog.textValueSelected.connect(chosen)
        self._keep(dialog)
        dialog.open()

    # ------------------------------------------------------------------ helpers, quit

    def _ask_text(
        self, name: str, title: str, label: str, value: str, then: Callable[[str], Any]
    ) -> None:
        dialog = QInputDialog(self._window)
        dialog.setObjectName(name)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(value)
        dialog.textValueSelected.connect(then)
        self._keep(dialog)
        dialog.open()

    def close_all(self) -> None:
        for window in list(self.windows.values()):
            window.force_close()
        for dialog in list(self.dialogs):
            dialog.done(0)

    async def aclose(self) -> None:
        """Close the sessions this app started and was not asked to keep (within 5 s)."""
        self.close_all()
        client = self._client
        if client is None or not self.ours:
            return
        started = time.monotonic()
        for sid in list(self.ours):
            try:
                async with asyncio.timeout(max(0.5, 5 - (time.monotonic() - started))):
                    await client.close_browser_session(sid)
            except (SkyvernError, TimeoutError) as exc:
                log.warning("session %s was not closed at quit: %s", sid, exc)
        self.ours.clear()
