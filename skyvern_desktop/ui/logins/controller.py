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

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from ...api.errors import OutcomeUnknownError, SkyvernError
from ..screen import ScreenOwner
from .credentials import CredentialsFlow

# The dialogs, the sign-in window and the rules they use (pydantic models among them) load
# when the Logins screen is first used, not while the window is shown (tests/test_layers.py).
if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import BrowserProfile, BrowserSession
    from ..context import AppContext
    from .dialogs import SessionStartDialog
    from .page import LoginsPage
    from .signin import SignInWindow

log = logging.getLogger(__name__)


class LoginsController(QObject, ScreenOwner["LoginsPage"]):
    """Intents out: ``launch_requested(wpid, options)`` (Use in a run…), ``message(text)``."""

    launch_requested = Signal(str, object)
    message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session = ctx.session
        self._tasks = ctx.tasks
        self._reporter = ctx.reporter
        self._window = ctx.parent
        self.ours: set[str] = set()  # sessions this app started and closes at quit
        self._serial = 0
        self.windows: dict[str, SignInWindow] = {}
        self.dialogs: list[QDialog] = []
        self.credentials = CredentialsFlow(self)
        session.client_changed.connect(self._on_client_changed)

    def on_attach(self, page: LoginsPage) -> None:
        page.refresh_requested.connect(self.load)
        page.new_credential_requested.connect(self.credentials.new_credential)
        page.rename_credential_requested.connect(self.credentials.rename_credential)
        page.delete_credential_requested.connect(self.credentials.delete_credential)
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

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> None:
        """Each action is a task of its own: a second Start… never cancels the first's
        request midway. Only the lists (``load``) and a profile's usage are "latest wins"."""
        if name not in ("load", "profile.usage"):
            self._serial += 1
            name = f"{name}.{self._serial}"
        self._tasks.spawn(f"ui.logins.{name}", coro)

    @property
    def client(self) -> SkyvernClient | None:
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
        if self.attached:
            self.load()

    # ------------------------------------------------------------------ lists

    def load(self) -> None:
        """All three lists, each on its own (one that fails says so, the others show)."""
        self.spawn("load", self._load())

    async def _load(self) -> None:
        client = self.client
        page = self.page if self.attached else None
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

    # ------------------------------------------------------------------ sessions

    def start_session(self) -> SessionStartDialog:
        from .dialogs import SessionStartDialog

        profiles = []
        if self.attached:
            profiles = [(p.name, p.browser_profile_id) for p in self.page.profiles.items]
        dialog = SessionStartDialog(profiles, self._window)
        dialog.start.connect(
            lambda minutes, profile_id, keep, proxy: self.spawn(
                "session.start", self._start_session(minutes, profile_id, keep, proxy)
            )
        )
        self.keep(dialog)
        dialog.open()
        return dialog

    async def _start_session(
        self, minutes: int, profile_id: str | None, keep: bool, proxy: str | None = None
    ) -> BrowserSession | None:
        client = self.client
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
        from .dialogs import ask_minutes

        dialog = ask_minutes(
            self._window, lambda n: self.spawn("session.extend", self._extend(session, n))
        )
        self.keep(dialog)
        dialog.open()

    async def _extend(self, session: BrowserSession, minutes: int) -> None:
        client = self.client
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
        self.confirm(
            "confirmCloseSession", "Close the browser session?",
            f"The browser of {session.browser_session_id} closes.{used}", "Close it",
            lambda: self.spawn("session.close", self._close(session.browser_session_id)),
        )  # fmt: skip

    async def _close(self, session_id: str) -> None:
        client = self.client
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
        self.spawn("new_login", self.open_new_login())

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

        client = self.client
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
            lambda name: self.spawn(f"save.{sid}", self._save(window, name))
        )
        window.closed.connect(lambda: self._window_closed(window))
        window.show()
        window.start()
        return window

    async def _save(self, window: SignInWindow, name: str) -> None:
        from ...core.logins import profile_from_session, wait_before_saving

        client = self.client
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
            self.spawn(f"session.close.{sid}", self._close(sid))

    # ------------------------------------------------------------------ profiles

    def _show_usage(self) -> None:
        page = self.page if self.attached else None
        if page is None:
            return
        profile = page.selected(page.profile_table)
        page.profile_usage.setText("")
        if profile is not None:
            self.spawn("profile.usage", self._usage(profile))

    async def _usage(self, profile: BrowserProfile) -> None:
        client, page = self.client, (self.page if self.attached else None)
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
        from .dialogs import ProfileFromRunDialog

        dialog = ProfileFromRunDialog(self._window)
        dialog.chosen.connect(
            lambda run_id, name: self.spawn("profile.from_run", self._from_run(run_id, name))
        )
        self.keep(dialog)
        dialog.open()

    async def _from_run(self, run_id: str, name: str) -> None:
        client = self.client
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
        self.ask_text(
            "profileRenameDialog", "Rename the profile", "New name:", profile.name,
            lambda name: self.spawn("profile.rename", self._rename_profile(profile, name)),
        )  # fmt: skip

    async def _rename_profile(self, profile: BrowserProfile, name: str) -> None:
        client = self.client
        if client is None or not name.strip():
            return
        try:
            await client.rename_browser_profile(profile.browser_profile_id, name.strip())
        except SkyvernError as exc:
            self._reporter.report("The profile could not be renamed.", exc)
            return
        self.load()

    def delete_profile(self, profile: BrowserProfile) -> None:
        self.confirm(
            "confirmDeleteProfile", "Delete the profile?",
            f"“{profile.name}” and the signed-in browser it keeps are deleted. Runs that"
            " name it can no longer start from it.", "Delete",
            lambda: self.spawn("profile.delete", self._delete_profile(profile)),
        )  # fmt: skip

    async def _delete_profile(self, profile: BrowserProfile) -> None:
        client = self.client
        if client is None:
            return
        try:
            await client.delete_browser_profile(profile.browser_profile_id)
        except SkyvernError as exc:
            self._reporter.report("The profile could not be deleted.", exc)
            return
        self.load()

    def use_profile(self, profile: BrowserProfile) -> None:
        self.spawn("profile.use", self._pick_workflow(profile))

    async def _pick_workflow(self, profile: BrowserProfile) -> None:
        client = self.client
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
        from .dialogs import pick_workflow

        def chosen(i: int) -> None:
            wpid = workflows[i].workflow_permanent_id
            self.launch_requested.emit(wpid, {"browser_profile_id": profile.browser_profile_id})

        titles = [f"{w.title}  ({w.workflow_permanent_id})" for w in workflows]
        dialog = pick_workflow(self._window, profile.name, titles, chosen)
        self.keep(dialog)
        dialog.open()

    # ------------------------------------------------------------------ helpers, quit

    def keep(self, dialog: QDialog) -> None:
        """The dialog is closed with the others at quit, and deleted once done."""
        self.dialogs.append(dialog)
        dialog.finished.connect(
            lambda _r: self.dialogs.remove(dialog) if dialog in self.dialogs else None
        )
        dialog.finished.connect(lambda _r: dialog.deleteLater())

    @property
    def window(self) -> QWidget:
        """The main window: the dialogs' parent."""
        return self._window

    def report(self, what: str, exc: BaseException) -> None:
        self._reporter.report(what, exc)

    def ask_text(
        self, name: str, title: str, label: str, value: str, then: Callable[[str], Any]
    ) -> None:
        from .dialogs import ask_text

        dialog = ask_text(self._window, name, title, label, value, then)
        self.keep(dialog)
        dialog.open()

    def confirm(self, name: str, title: str, text: str, yes: str, then: Callable[[], Any]) -> None:
        from ..dialogs import confirm

        confirm(self.page, name, title, text, yes, then, destructive=True)  # none can be undone

    def close_all(self) -> None:
        for window in list(self.windows.values()):
            window.force_close()
        for dialog in list(self.dialogs):
            dialog.done(0)

    async def aclose(self) -> None:
        """Close the sessions this app started and was not asked to keep (within 5 s)."""
        self.close_all()
        client = self.client
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
