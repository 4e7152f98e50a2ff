"""The Connections dialog (Settings) and, in first-run mode, the welcome dialog."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...api.secrets import Secret
from ...core.connection.profiles import Profile, ProfileStore
from ...core.connection.secrets import KeyStore, KeyStoreError
from ..dialogs import ask, size_to_content
from ..tasks import TaskRunner
from .form import ProfileForm

PROFILE_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ConnectionsDialog(QDialog):
    """Add, edit, remove and switch connection profiles.

    ``connect_requested(profile_id)`` asks the main window to connect with a saved profile.
    """

    connect_requested = Signal(str)
    local_requested = Signal()  # "Run Skyvern on this computer"

    def __init__(
        self,
        store: ProfileStore,
        keys: KeyStore,
        tasks: TaskRunner,
        *,
        first_run: bool = False,
        active_id: str | None = None,
        env_note: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog" if first_run else "connectionsDialog")
        self.setWindowTitle("Connect to Skyvern" if first_run else "Connections")
        self._store = store
        self._keys = keys
        self._tasks = tasks
        self._first_run = first_run
        self._dirty = False

        self.form = ProfileForm(
            tasks, keyring_available=keys.available, keyring_name=keys.backend_name
        )
        self.form.set_stored_key_loader(self._load_key)
        self.form.changed.connect(self._on_form_changed)

        self.list_model = QStandardItemModel(self)
        self.list = QListView()
        self.list.setObjectName("profileList")
        self.list.setAccessibleName("Connections")
        self.list.setModel(self.list_model)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.selectionModel().selectionChanged.connect(self._on_selection)
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("profileAdd")
        self.add_button.clicked.connect(self._on_add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("profileRemove")
        self.remove_button.clicked.connect(lambda: self._spawn("remove", self.remove_selected()))
        self.dirty_hint = QLabel("Save or revert your changes to switch connection.")
        self.dirty_hint.setObjectName("profileDirtyHint")
        self.dirty_hint.setWordWrap(True)
        self.dirty_hint.setStyleSheet("color: palette(placeholder-text);")
        self.dirty_hint.hide()

        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        left.addWidget(self.dirty_hint)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMaximumWidth(220)
        left_box.setVisible(not first_run)

        self.intro = QLabel(
            "<h2>Welcome to Skyvern Desktop</h2>"
            "<p>Connect to the Skyvern that runs your workflows: Skyvern Cloud, or a server "
            "your company hosts. You need its API key, shown on Skyvern's Settings page.</p>"
            "<p>No account yet? <b>Run Skyvern on this computer</b> starts one here, with "
            "example workflows to try.</p>"
        )
        self.intro.setObjectName("firstRunIntro")
        self.intro.setWordWrap(True)
        self.intro.setVisible(first_run)
        self.env_note = QLabel(env_note or "")
        self.env_note.setObjectName("profileEnvNote")
        self.env_note.setWordWrap(True)
        self.env_note.setStyleSheet("color: #9a6700;")
        self.env_note.setVisible(bool(env_note))

        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("profileSave")
        self.save_button.clicked.connect(lambda: self._spawn("save", self.save()))
        self.revert_button = QPushButton("Revert")
        self.revert_button.setObjectName("profileRevert")
        self.revert_button.clicked.connect(self._on_revert)
        self.connect_button = QPushButton("Save and connect" if first_run else "Connect")
        self.connect_button.setObjectName("profileConnect")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(lambda: self._spawn("connect", self.save_and_connect()))
        self.local_button = QPushButton("Run Skyvern on this computer…")
        self.local_button.setObjectName("useLocalServer")
        self.local_button.setToolTip(
            "Start a Skyvern server on this computer, with no account: the app starts it,"
            " stops it when it quits, and adds example workflows to try."
        )
        self.local_button.clicked.connect(self._on_local)
        self.close_button = QPushButton("Quit" if first_run else "Close")
        self.close_button.setObjectName("profileClose")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.local_button)
        if not first_run:
            buttons.addWidget(self.save_button)
            buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.connect_button)
        if first_run:
            self.save_button.hide()
            self.revert_button.hide()

        right = QVBoxLayout()
        right.addWidget(self.intro)
        right.addWidget(self.env_note)
        right.addWidget(self.form, 1)
        right.addLayout(buttons)
        outer = QHBoxLayout(self)
        outer.addWidget(left_box)
        outer.addLayout(right, 1)

        self._reload_list(select=active_id)
        self._update_buttons()
        size_to_content(self, 560 if first_run else 760, 460)

    # ------------------------------------------------------------------ helpers

    def _spawn(self, what: str, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(f"settings.{what}", coro, replace=False)

    async def _load_key(self, profile_id: str) -> Secret | None:
        return await asyncio.to_thread(self._keys.get, profile_id)

    def _reload_list(self, select: str | None = None) -> None:
        self.list_model.clear()
        for profile in self._store.profiles:
            item = QStandardItem(profile.name)
            item.setData(profile.id, PROFILE_ID_ROLE)
            item.setToolTip(f"{profile.kind.label} · {profile.base_url}")
            self.list_model.appendRow(item)
        target = select or (self._store.active.id if self._store.active else None)
        for row in range(self.list_model.rowCount()):
            if self.list_model.item(row).data(PROFILE_ID_ROLE) == target:
                self.list.setCurrentIndex(self.list_model.index(row, 0))
                return
        self._load_profile(None)

    def selected_profile(self) -> Profile | None:
        index: QModelIndex = self.list.currentIndex()
        if not index.isValid():
            return None
        return self._store.get(str(index.data(PROFILE_ID_ROLE)))

    def _load_profile(self, profile: Profile | None) -> None:
        has_key = profile is not None and self._has_key(profile.id)
        self.form.load(profile, has_stored_key=has_key)
        self._set_dirty(False)

    def _has_key(self, profile_id: str) -> bool:
        try:
            return self._keys.get(profile_id) is not None
        except KeyStoreError:
            return False

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self.list.setEnabled(not dirty or self.list_model.rowCount() == 0)
        self.add_button.setEnabled(not dirty)
        self.dirty_hint.setVisible(dirty and not self._first_run)
        self._update_buttons()

    def _update_buttons(self) -> None:
        editing_saved = self.form.profile_id is not None
        self.remove_button.setEnabled(editing_saved and not self._dirty)
        self.revert_button.setEnabled(self._dirty)

    # ------------------------------------------------------------------ slots

    def _on_form_changed(self) -> None:
        self._set_dirty(True)

    def _on_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        if not self._dirty:
            self._load_profile(self.selected_profile())

    def _on_add(self) -> None:
        self.list.clearSelection()
        self.list.setCurrentIndex(QModelIndex())
        self.form.load(None, has_stored_key=False)
        self._set_dirty(True)
        self.form.name.setFocus()

    def _on_local(self) -> None:
        self.local_requested.emit()
        self.accept()

    def _on_revert(self) -> None:
        self._set_dirty(False)
        self._load_profile(self.selected_profile())

    # ------------------------------------------------------------------ actions

    async def save(self) -> Profile | None:
        """Save the form: the profile to the profiles file, the key to the keyring only."""
        result = self.form.validate()
        if result is None:
            return None
        try:
            self._store.upsert(result.profile)
        except ValueError as exc:
            self.form.set_error(self.form.name_error, str(exc))
            return None
        if result.new_key is not None:
            try:
                await asyncio.to_thread(
                    self._keys.set,
                    result.profile.id,
                    result.new_key,
                    memory_only=result.memory_only,
                )
            except KeyStoreError as exc:
                self.form.set_error(self.form.api_key_error, str(exc))
                return None
        self._set_dirty(False)
        self._reload_list(select=result.profile.id)
        return result.profile

    async def save_and_connect(self) -> Profile | None:
        profile = (
            await self.save()
            if self._dirty or self.form.profile_id is None
            else self.selected_profile()
        )
        if profile is None:
            return None
        self._store.set_active(profile.id)
        self.connect_requested.emit(profile.id)
        self.accept()
        return profile

    async def remove_selected(self) -> bool:
        profile = self.selected_profile()
        if profile is None:
            return False
        if not await ask(
            self, "confirmRemoveProfile", "Remove connection",
            f"Remove “{profile.name}”? Its API key is deleted from the keyring too.", "Remove",
            destructive=True,
        ):  # fmt: skip
            return False
        await asyncio.to_thread(self._keys.delete, profile.id)
        self._store.remove(profile.id)
        self._reload_list()
        return True
