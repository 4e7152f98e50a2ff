"""The Logins screen: the credentials a login block uses, the browser sessions running now,
and the browser profiles (saved, signed-in browsers) runs can start from.

The screen shows and asks; every action is an intent its controller carries out."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..changes import Change
from ..format import relative_time
from ..widgets.table_model import ListTableModel

if TYPE_CHECKING:
    from ...api.models import BrowserProfile, BrowserSession, Credential

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
TYPE_LABELS = {"password": "Password", "credit_card": "Card", "secret": "Secret"}
TOTP_LABELS = {
    "authenticator": "Authenticator app", "email": "Code by email", "text": "Code by text",
    "passkey": "Passkey",
}  # fmt: skip


def _when(value: datetime | None) -> str:
    return relative_time(value) if value else ""


def credential_summary(c: Credential) -> str:
    """The non-secret part the server sends: username, last four digits, or a label."""
    info = c.credential or {}
    if c.credential_type == "password":
        return str(info.get("username") or "")
    if c.credential_type == "credit_card":
        brand = str(info.get("brand") or "").capitalize()
        last = info.get("last_four")
        return f"{brand} ···· {last}".strip() if last else brand
    return str(info.get("secret_label") or "")


class CredentialsModel(ListTableModel["Credential"]):
    headers = ("Name", "Type", "User, card or label", "Second factor", "ID")

    def cell(self, item: Credential, column: int, role: int) -> Any:
        if role == ITEM_ROLE:
            return item
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        info = item.credential or {}
        totp = str(info.get("totp_type") or "none")
        return (
            item.name, TYPE_LABELS.get(item.credential_type, item.credential_type),
            credential_summary(item), TOTP_LABELS.get(totp, ""), item.credential_id,
        )[column]  # fmt: skip


class SessionsModel(ListTableModel["BrowserSession"]):
    headers = ("Session", "Status", "Started", "Time left", "Used by", "Started here")

    def __init__(self) -> None:
        super().__init__()
        self.ours: set[str] = set()

    def cell(self, item: BrowserSession, column: int, role: int) -> Any:
        if role == ITEM_ROLE:
            return item
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        left = item.remaining_lifetime_seconds
        left_text = f"{left // 60} min" if left is not None else (
            f"{item.timeout} min in all" if item.timeout else ""
        )  # fmt: skip
        return (
            item.browser_session_id, (item.status or "").capitalize(),
            _when(item.started_at or item.created_at), left_text, item.runnable_id or "",
            "yes" if item.browser_session_id in self.ours else "",
        )[column]  # fmt: skip


class ProfilesModel(ListTableModel["BrowserProfile"]):
    headers = ("Name", "Description", "Created", "ID")

    def cell(self, item: BrowserProfile, column: int, role: int) -> Any:
        if role == ITEM_ROLE:
            return item
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (item.name, item.description or "", _when(item.created_at),
                item.browser_profile_id)[column]  # fmt: skip


def _table(name: str, model: ListTableModel[Any]) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.setAlternatingRowColors(True)
    return table


def _button(name: str, text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


class LoginsPage(QWidget):
    """Intents (the controller's to carry out)."""

    refresh_requested = Signal()
    new_credential_requested = Signal(str)  # credential type
    rename_credential_requested = Signal(object)  # Credential
    delete_credential_requested = Signal(object)  # Credential
    new_login_requested = Signal()
    start_session_requested = Signal()
    extend_session_requested = Signal(object)  # BrowserSession
    close_session_requested = Signal(object)  # BrowserSession
    watch_session_requested = Signal(object)  # BrowserSession
    profile_from_run_requested = Signal()
    rename_profile_requested = Signal(object)  # BrowserProfile
    delete_profile_requested = Signal(object)  # BrowserProfile
    use_profile_requested = Signal(object)  # BrowserProfile

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loginsPage")
        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel("<b>Logins</b>")
        head.addWidget(title)
        self.status = QLabel()
        self.status.setObjectName("loginsStatus")
        self.status.setWordWrap(True)
        head.addWidget(self.status, 1)
        self.new_login = _button(
            "loginsNewLogin", "New login…",
            "Open a browser here, sign in to a site by hand, and keep it as a profile",
        )  # fmt: skip
        self.new_login.clicked.connect(self.new_login_requested)
        self.refresh_button = _button("loginsRefresh", "Refresh", "Load the lists again (Ctrl+R)")
        self.refresh_button.clicked.connect(self.refresh_requested)
        head.addWidget(self.new_login)
        head.addWidget(self.refresh_button)
        outer.addLayout(head)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("loginsTabs")
        outer.addWidget(self.tabs, 1)

        # Credentials
        self.credentials = CredentialsModel()
        self.credential_table = _table("credentialsTable", self.credentials)
        # A push button with a menu, as the launcher's "For developers": it keeps room for
        # the menu's arrow (a tool button drew it over the last letter).
        new = QPushButton("New credential")
        new.setObjectName("credentialNew")
        menu = QMenu(new)
        for kind, label in (("password", "Password…"), ("credit_card", "Card…"),
                            ("secret", "Secret…")):  # fmt: skip
            action = menu.addAction(label)
            action.setObjectName(f"credentialNew_{kind}")
            action.triggered.connect(lambda _=False, k=kind: self.new_credential_requested.emit(k))
        new.setMenu(menu)
        self.credential_rename = _button("credentialRename", "Rename…", "Give it another name")
        self.credential_delete = _button("credentialDelete", "Delete…", "Delete it (asks first)")
        self.credential_rename.clicked.connect(
            lambda: self._emit_selected(self.credential_table, self.rename_credential_requested)
        )
        self.credential_delete.clicked.connect(
            lambda: self._emit_selected(self.credential_table, self.delete_credential_requested)
        )
        note = QLabel(
            "Passwords, card numbers and secrets go to the server's vault only; the server"
            " never sends them back, and this app keeps none of them. To change one, make a"
            " new credential and delete the old."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        self.tabs.addTab(
            self._tab(self.credential_table, [new, self.credential_rename,
                      self.credential_delete], note),
            "Credentials",
        )  # fmt: skip

        # Sessions
        self.sessions = SessionsModel()
        self.session_table = _table("sessionsTable", self.sessions)
        self.session_start = _button(
            "sessionStart", "Start…", "Start a browser session that runs can use"
        )
        self.session_start.clicked.connect(self.start_session_requested)
        self.session_watch = _button(
            "sessionWatch", "Open…", "See the session's browser live, and use it by hand"
        )
        self.session_extend = _button(
            "sessionExtend", "Extend…", "Give the session more time before it ends"
        )
        self.session_close = _button("sessionClose", "Close…", "End the session (asks first)")
        for button, signal in (
            (self.session_watch, self.watch_session_requested),
            (self.session_extend, self.extend_session_requested),
            (self.session_close, self.close_session_requested),
        ):
            button.clicked.connect(
                lambda _=False, s=signal: self._emit_selected(self.session_table, s)
            )
        self.tabs.addTab(
            self._tab(self.session_table, [self.session_start, self.session_watch,
                      self.session_extend, self.session_close]),
            "Browser sessions",
        )  # fmt: skip

        # Profiles
        self.profiles = ProfilesModel()
        self.profile_table = _table("profilesTable", self.profiles)
        self.profile_from_run = _button(
            "profileFromRun", "From a run…", "Keep the browser of a finished run as a profile"
        )
        self.profile_from_run.clicked.connect(self.profile_from_run_requested)
        self.profile_use = _button(
            "profileUse", "Use in a run…", "Open the launcher with this profile chosen"
        )
        self.profile_rename = _button("profileRename", "Rename…", "Give it another name")
        self.profile_delete = _button("profileDelete", "Delete…", "Delete it (asks first)")
        for button, signal in (
            (self.profile_use, self.use_profile_requested),
            (self.profile_rename, self.rename_profile_requested),
            (self.profile_delete, self.delete_profile_requested),
        ):
            button.clicked.connect(
                lambda _=False, s=signal: self._emit_selected(self.profile_table, s)
            )
        self.profile_usage = QLabel()
        self.profile_usage.setObjectName("profileUsage")
        self.profile_usage.setWordWrap(True)
        self.tabs.addTab(
            self._tab(self.profile_table, [self.profile_from_run, self.profile_use,
                      self.profile_rename, self.profile_delete], self.profile_usage),
            "Browser profiles",
        )  # fmt: skip
        for table in (self.credential_table, self.session_table, self.profile_table):
            table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def _tab(
        self, table: QTableView, buttons: list[QWidget], note: QWidget | None = None
    ) -> QWidget:
        tab = QWidget()
        box = QVBoxLayout(tab)
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        box.addLayout(row)
        box.addWidget(table, 1)
        if note is not None:
            box.addWidget(note)
        return tab

    @staticmethod
    def selected(table: QTableView) -> Any:
        rows = table.selectionModel().selectedRows()
        return rows[0].data(ITEM_ROLE) if rows else None

    def _emit_selected(self, table: QTableView, signal: Any) -> None:
        item = self.selected(table)
        if item is not None:
            signal.emit(item)

    def _update_buttons(self) -> None:
        credential = self.selected(self.credential_table) is not None
        session = self.selected(self.session_table) is not None
        profile = self.selected(self.profile_table) is not None
        for button, on in (
            (self.credential_rename, credential), (self.credential_delete, credential),
            (self.session_watch, session), (self.session_extend, session),
            (self.session_close, session), (self.profile_use, profile),
            (self.profile_rename, profile), (self.profile_delete, profile),
        ):  # fmt: skip
            button.setEnabled(on)

    # ------------------------------------------------------------------ contents

    # ------------------------------------------------------------------ as a screen

    def refresh(self) -> None:
        self.refresh_requested.emit()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("logins/tab", self.tabs.currentIndex())

    def restore_state(self, settings: QSettings) -> None:
        tab = settings.value("logins/tab")
        if tab is not None and str(tab).isdigit():
            self.tabs.setCurrentIndex(int(str(tab)))

    def on_change(self, change: Change) -> None:
        """Credentials, sessions and profiles change through their owner."""

    def set_credentials(self, items: list[Credential]) -> None:
        self.credentials.set_items(items)
        self.credential_table.resizeColumnsToContents()
        self._update_buttons()

    def set_sessions(self, items: list[BrowserSession], ours: set[str]) -> None:
        self.sessions.ours = ours
        self.sessions.set_items(items)
        self.session_table.resizeColumnsToContents()
        self._update_buttons()

    def set_profiles(self, items: list[BrowserProfile]) -> None:
        self.profiles.set_items(items)
        self.profile_table.resizeColumnsToContents()
        self._update_buttons()

    def set_status(self, text: str) -> None:
        self.status.setText(text)
