"""The form for one connection profile: name, kind, address and API key, with inline errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...api.paths import CLOUD_BASE_URL
from ...api.secrets import Secret
from ...core.connection.check import ConnectionReport, check_connection
from ...core.connection.profiles import (
    BaseUrlError,
    Profile,
    ProfileKind,
    check_base_url,
    check_name,
)
from ..tasks import TaskRunner
from ..widgets.labels import ERROR_STYLE, error_label
from ..widgets.secret_field import SecretLineEdit

TEST_TIMEOUT_SECONDS = 10.0
StoredKeyLoader = Callable[[str], Awaitable[Secret | None]]

_KINDS = (ProfileKind.CLOUD, ProfileKind.SELF_HOSTED, ProfileKind.LOCAL)


@dataclass(frozen=True, slots=True)
class FormResult:
    profile: Profile
    new_key: Secret | None  # None = keep the stored key
    memory_only: bool


class ProfileForm(QWidget):
    changed = Signal()

    def __init__(
        self,
        tasks: TaskRunner,
        *,
        keyring_available: bool,
        keyring_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.setObjectName("profileForm")
        self._profile_id: str | None = None
        self._has_stored_key = False
        self._keyring_available = keyring_available
        self._stored_key_loader: StoredKeyLoader | None = None

        self.name = QLineEdit()
        self.name.setObjectName("profileName")
        self.name.setAccessibleName("Connection name")
        self.name.setPlaceholderText("For example: Production")
        self.name_error = error_label("profileNameError")

        self.kind = QComboBox()
        self.kind.setObjectName("profileKind")
        self.kind.setAccessibleName("Kind of server")
        for kind in _KINDS:
            self.kind.addItem(kind.label, kind)
        local_item = self.kind.model().item(_KINDS.index(ProfileKind.LOCAL))  # type: ignore[attr-defined]
        local_item.setEnabled(False)
        local_item.setToolTip(
            "The app manages this one itself: use “Run Skyvern on this computer…” or the"
            " Local server menu."
        )
        self.kind.currentIndexChanged.connect(self._on_kind)

        self.base_url = QLineEdit()
        self.base_url.setObjectName("profileBaseUrl")
        self.base_url.setAccessibleName("Server address")
        self.base_url.setPlaceholderText("https://skyvern.example.com")
        self.base_url_error = error_label("profileBaseUrlError")

        self.api_key = SecretLineEdit()
        self.api_key.setObjectName("profileApiKey")
        self.api_key.setAccessibleName("API key")
        self.show_key = QCheckBox("Show")
        self.show_key.setObjectName("profileShowKey")
        self.show_key.toggled.connect(
            lambda on: self.api_key.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        key_row = QHBoxLayout()
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.show_key)
        self.api_key_error = error_label("profileApiKeyError")

        self.keyring_note = QLabel()
        self.keyring_note.setObjectName("profileKeyringNote")
        self.keyring_note.setWordWrap(True)
        self.memory_only = QCheckBox("Keep the key only while Skyvern Desktop is open")
        self.memory_only.setObjectName("profileMemoryOnly")
        if keyring_available:
            self.keyring_note.setText(
                f"The key is kept in your system keyring ({keyring_name}), nowhere else."
            )
            self.keyring_note.setStyleSheet("color: palette(placeholder-text);")
            self.memory_only.hide()
        else:
            self.keyring_note.setText(
                "This computer has no system keyring, so the key cannot be saved. "
                "Skyvern Desktop can keep it in memory until you close the app; "
                "you will be asked for it again next time."
            )
            self.keyring_note.setStyleSheet("color: #9a6700;")

        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("profileTest")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.clicked.connect(self._on_test_clicked)
        self.test_result = QLabel()
        self.test_result.setObjectName("profileTestResult")
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, field, error in (
            ("&Name", self.name, self.name_error),
            ("&Kind", self.kind, None),
            ("&Address", self.base_url, self.base_url_error),
            ("API &key", self.api_key, self.api_key_error),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, key_row if field is self.api_key else field)
            if error is not None:
                form.addRow("", error)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.memory_only)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)
        layout.addLayout(test_row)
        layout.addStretch(1)

        for edit in (self.name, self.base_url, self.api_key):
            edit.textEdited.connect(self._on_edited)
        self.load(None, has_stored_key=False)

    # ------------------------------------------------------------------ state

    @property
    def profile_id(self) -> str | None:
        return self._profile_id

    def set_stored_key_loader(self, loader: StoredKeyLoader) -> None:
        self._stored_key_loader = loader

    def load(self, profile: Profile | None, *, has_stored_key: bool) -> None:
        self._profile_id = profile.id if profile else None
        self._has_stored_key = has_stored_key
        self.name.setText(profile.name if profile else "")
        kind = profile.kind if profile else ProfileKind.CLOUD
        self.kind.setCurrentIndex(_KINDS.index(kind))
        self.base_url.setText(profile.base_url if profile else CLOUD_BASE_URL)
        self._on_kind()
        self.api_key.clear()
        self.api_key.setPlaceholderText(
            "Saved — type a new key to replace it"
            if has_stored_key
            else "Paste the API key from Skyvern's Settings page"
        )
        self.memory_only.setChecked(False)
        self._clear_errors()
        self.test_result.clear()

    def _clear_errors(self) -> None:
        for label in (self.name_error, self.base_url_error, self.api_key_error):
            label.hide()
            label.clear()

    def set_error(self, label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))

    def _on_edited(self) -> None:
        self.test_result.clear()
        self.changed.emit()

    def _current_kind(self) -> ProfileKind:
        return ProfileKind(self.kind.currentData())

    def _on_kind(self) -> None:
        cloud = self._current_kind() is ProfileKind.CLOUD
        if cloud:
            self.base_url.setText(CLOUD_BASE_URL)
        elif self.base_url.text().strip() == CLOUD_BASE_URL:
            self.base_url.clear()
        self.base_url.setReadOnly(cloud)
        self.base_url.setEnabled(not cloud)
        self.test_result.clear()
        self.changed.emit()

    # ------------------------------------------------------------------ validation

    def check_address(self) -> str | None:
        try:
            url = check_base_url(self.base_url.text(), self._current_kind())
        except BaseUrlError as exc:
            self.set_error(self.base_url_error, str(exc))
            return None
        self.set_error(self.base_url_error, "")
        return url

    def validate(self) -> FormResult | None:
        """The profile as typed, or ``None`` after showing what is wrong beside each field."""
        ok = True
        try:
            name = check_name(self.name.text())
            self.set_error(self.name_error, "")
        except ValueError as exc:
            self.set_error(self.name_error, str(exc))
            ok = False
            name = ""
        url = self.check_address()
        ok = ok and url is not None
        key_text = self.api_key.text().strip()
        if not key_text and not self._has_stored_key:
            self.set_error(
                self.api_key_error, "Paste the API key. Skyvern shows it on its Settings page."
            )
            ok = False
        elif key_text and any(c.isspace() for c in key_text):
            self.set_error(self.api_key_error, "An API key has no spaces. Copy it again, whole.")
            ok = False
        elif key_text and not self._keyring_available and not self.memory_only.isChecked():
            self.set_error(
                self.api_key_error,
                "There is no system keyring to save the key in. Tick the box below to keep it "
                "only while the app is open.",
            )
            ok = False
        else:
            self.set_error(self.api_key_error, "")
        if not ok or url is None:
            return None
        kwargs = {"id": self._profile_id} if self._profile_id else {}
        profile = Profile(name=name, kind=self._current_kind(), base_url=url, **kwargs)
        return FormResult(
            profile=profile,
            new_key=Secret(key_text) if key_text else None,
            memory_only=not self._keyring_available or self.memory_only.isChecked(),
        )

    # ------------------------------------------------------------------ testing

    def _on_test_clicked(self) -> None:
        self._tasks.spawn("settings.test-connection", self.test_connection(), replace=False)

    async def test_connection(self) -> ConnectionReport | None:
        """Check the typed address and key against the server; show the verdict under the button."""
        url = self.check_address()
        if url is None:
            return None
        key: Secret | None = None
        if typed := self.api_key.text().strip():
            key = Secret(typed)
        elif self._has_stored_key and self._profile_id and self._stored_key_loader:
            key = await self._stored_key_loader(self._profile_id)
        self.test_button.setEnabled(False)
        self.test_result.setStyleSheet("")
        self.test_result.setText(f"Testing {url}…")
        from ...api.client import SkyvernClient
        from ...api.retry import NO_RETRY

        try:
            async with SkyvernClient(
                url, key, retry=NO_RETRY, timeout=TEST_TIMEOUT_SECONDS
            ) as client:
                report = await check_connection(client, has_key=key is not None)
        finally:
            self.test_button.setEnabled(True)
        self.test_result.setStyleSheet("color: #1a7f37;" if report.ok else ERROR_STYLE)
        self.test_result.setText(("✓ " if report.ok else "✗ ") + report.message)
        return report
