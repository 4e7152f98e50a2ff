"""The Logins screen's small forms answer once accepted, with what was typed, and not when
cancelled. (No server: the controller's requests are covered in test_logins.py.)"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.ui.logins.dialogs import ProfileFromRunDialog, SessionStartDialog
from tests.ui.conftest import child


def _cancel(dialog: ProfileFromRunDialog | SessionStartDialog) -> None:
    box = child(dialog, QDialogButtonBox, f"{dialog.objectName()}Buttons")
    cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel is not None
    cancel.click()


def test_a_profile_from_a_run_needs_both_the_run_and_the_name(qtbot: QtBot) -> None:
    dialog = ProfileFromRunDialog(None)
    qtbot.addWidget(dialog)
    chosen: list[tuple[str, str]] = []
    dialog.chosen.connect(lambda run_id, name: chosen.append((run_id, name)))
    dialog.open()
    ok = child(dialog, QPushButton, "profileFromRunOk")
    assert not ok.isEnabled()
    child(dialog, QLineEdit, "profileRunId").setText("  wr_123 ")
    assert not ok.isEnabled()  # a name too
    child(dialog, QLineEdit, "profileRunName").setText("   ")
    assert not ok.isEnabled()  # spaces are no name
    child(dialog, QLineEdit, "profileRunName").setText(" Acme, signed in ")
    assert ok.isEnabled()
    ok.click()
    assert chosen == [("wr_123", "Acme, signed in")]


def test_a_cancelled_profile_from_a_run_makes_nothing(qtbot: QtBot) -> None:
    dialog = ProfileFromRunDialog(None)
    qtbot.addWidget(dialog)
    chosen: list[object] = []
    dialog.chosen.connect(lambda *a: chosen.append(a))
    dialog.open()
    child(dialog, QLineEdit, "profileRunId").setText("wr_1")
    child(dialog, QLineEdit, "profileRunName").setText("A")
    _cancel(dialog)
    assert chosen == [] and not dialog.isVisible()


def test_starting_a_session_says_what_was_chosen_once_accepted(qtbot: QtBot) -> None:
    dialog = SessionStartDialog([("Acme", "bp_1")], None)
    qtbot.addWidget(dialog)
    started: list[tuple[object, ...]] = []
    dialog.start.connect(lambda *a: started.append(a))
    dialog.open()
    dialog.minutes.setValue(90)
    profile = child(dialog, QComboBox, "sessionProfile")
    profile.setCurrentIndex(profile.findData("bp_1"))
    child(dialog, QCheckBox, "sessionKeep").setChecked(True)
    child(dialog, QPushButton, "sessionStartOk").click()
    assert started == [(90, "bp_1", True, None)]


def test_a_cancelled_session_start_starts_nothing(qtbot: QtBot) -> None:
    dialog = SessionStartDialog([], None)
    qtbot.addWidget(dialog)
    started: list[object] = []
    dialog.start.connect(lambda *a: started.append(a))
    dialog.open()
    _cancel(dialog)
    assert started == [] and not dialog.isVisible()
