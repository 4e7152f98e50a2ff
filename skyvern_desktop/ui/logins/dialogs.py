"""The Logins screen's small dialogs, built here so its controller stays free of widget
construction. Each opens window-modal (``open()``, never ``exec()``) and answers through a
callback or a signal; the controller decides what happens next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


def _input(parent: QWidget, name: str, title: str, label: str) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    return dialog


def ask_text(
    parent: QWidget, name: str, title: str, label: str, value: str, then: Callable[[str], Any]
) -> QInputDialog:
    """One line of text (a new name); ``then(text)`` when it is given."""
    dialog = _input(parent, name, title, label)
    dialog.setTextValue(value)
    dialog.textValueSelected.connect(then)
    return dialog


def ask_minutes(parent: QWidget, then: Callable[[int], Any]) -> QInputDialog:
    """How many minutes to add to a browser session; ``then(minutes)``."""
    dialog = _input(parent, "sessionExtendDialog", "Extend the session", "Minutes to add:")
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(1, 1440)
    dialog.setIntValue(30)
    dialog.intValueSelected.connect(then)
    return dialog


def pick_workflow(
    parent: QWidget, profile_name: str, titles: Sequence[str], then: Callable[[int], Any]
) -> QInputDialog:
    """Which workflow to run starting from a profile; ``then(index)`` of the one chosen."""
    dialog = _input(
        parent, "profileUseDialog", "Use the profile in a run",
        f"Run which workflow starting from “{profile_name}”?",
    )  # fmt: skip
    dialog.setComboBoxItems(list(titles))
    dialog.setComboBoxEditable(False)
    dialog.textValueSelected.connect(lambda text: then(list(titles).index(text)))
    return dialog


def _buttons(dialog: QDialog, ok: str | None = None) -> QDialogButtonBox:
    """OK (or ``ok``) accepts the dialog, Cancel rejects it."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.setObjectName(f"{dialog.objectName()}Buttons")
    if ok:
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class SessionStartDialog(QDialog):
    """How long a new browser session lasts, where it starts from, its proxy, and whether
    it outlives the app. ``start(minutes, profile_id, keep, proxy)`` once accepted."""

    start = Signal(int, object, bool, object)

    def __init__(self, profiles: Sequence[tuple[str, str]], parent: QWidget | None) -> None:
        from ...api.enums import ProxyLocation
        from ..widgets.run_options import proxy_label

        super().__init__(parent)
        self.setObjectName("sessionStartDialog")
        self.setWindowTitle("Start a browser session")
        form = QFormLayout()
        self.minutes = QSpinBox()
        self.minutes.setObjectName("sessionMinutes")
        self.minutes.setRange(5, 1440)
        self.minutes.setValue(60)
        self.minutes.setSuffix(" min")
        form.addRow("Lasts", self.minutes)
        self.profile = QComboBox()
        self.profile.setObjectName("sessionProfile")
        self.profile.addItem("A fresh browser", None)
        for name, profile_id in profiles:
            self.profile.addItem(name, profile_id)
        form.addRow("Starts from", self.profile)
        self.proxy = QComboBox()
        self.proxy.setObjectName("sessionProxy")
        self.proxy.addItem("The server's default", None)
        for location in ProxyLocation:
            self.proxy.addItem(proxy_label(location.value), location.value)
        form.addRow("Proxy location", self.proxy)
        self.keep = QCheckBox("Keep it running when the app quits")
        self.keep.setObjectName("sessionKeep")
        form.addRow("", self.keep)
        buttons = _buttons(self, "Start")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("sessionStartOk")
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(buttons)
        self.accepted.connect(
            lambda: self.start.emit(
                self.minutes.value(), self.profile.currentData(), self.keep.isChecked(),
                self.proxy.currentData(),
            )
        )  # fmt: skip


class ProfileFromRunDialog(QDialog):
    """A finished run's id and a name for the profile made from it; ``chosen(run_id,
    name)`` once both are given."""

    chosen = Signal(str, str)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("profileFromRunDialog")
        self.setWindowTitle("A profile from a finished run")
        form = QFormLayout()
        self.run = QLineEdit()
        self.run.setObjectName("profileRunId")
        self.run.setPlaceholderText("wr_…")
        self.name = QLineEdit()
        self.name.setObjectName("profileRunName")
        form.addRow("Run", self.run)
        form.addRow("Profile name", self.name)
        buttons = _buttons(self)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setObjectName("profileFromRunOk")
        ok.setEnabled(False)  # until both are given

        def given() -> None:
            ok.setEnabled(bool(self.run.text().strip() and self.name.text().strip()))

        self.run.textChanged.connect(given)
        self.name.textChanged.connect(given)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(buttons)
        self.accepted.connect(
            lambda: self.chosen.emit(self.run.text().strip(), self.name.text().strip())
        )
