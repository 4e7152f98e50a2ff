"""A new credential: a password (with an optional second factor), a card, or a secret.

Secret fields are masked, shown only while "Show" is held down, and never copied. What is
wrong is said beside the field, by this form first and then by the server; nothing typed is
lost when the server refuses. The values leave for the server and are not kept here.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...api.models.logins import CredentialType, NewCredential
from ...core.logins import CARD_BRANDS, check_credential, credential_body
from ..dialogs import size_to_content
from ..widgets.labels import BANNER_STYLE, error_label, stacked
from ..widgets.secret_field import SecretLineEdit

TITLES = {"password": "New password", "credit_card": "New card", "secret": "New secret"}
TOTP_CHOICES = (
    ("none", "None"),
    ("authenticator", "An authenticator app (setup key)"),
    ("email", "Codes sent by email"),
    ("text", "Codes sent by text message"),
)


def _hold_to_show(field: SecretLineEdit, name: str) -> QToolButton:
    """A "Show" button that shows the field's text only while it is held down."""
    button = QToolButton()
    button.setObjectName(name)
    button.setText("Show")
    button.setToolTip("Hold down to see what you typed")
    button.setAccessibleName("Hold to show")

    def show() -> None:
        field.deselect()  # nothing shown is left selected (X11 copies a selection)
        field.setEchoMode(QLineEdit.EchoMode.Normal)

    button.pressed.connect(show)
    button.released.connect(lambda: field.setEchoMode(QLineEdit.EchoMode.Password))
    return button


class CredentialDialog(QDialog):
    """``submitted(NewCredential)`` when Save is pressed with a form that passes its checks;
    the owner sends it, then calls :meth:`done_sending` or :meth:`show_errors`."""

    submitted = Signal(object)

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("credentialDialog")
        self.kind = kind
        self.setWindowTitle(TITLES[kind])
        self.sending = False
        outer = QVBoxLayout(self)
        self.banner = QLabel()
        self.banner.setObjectName("credentialBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()
        outer.addWidget(self.banner)
        form = QFormLayout()
        outer.addLayout(form)
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        self.errors: dict[str, QLabel] = {}

        def add(key: str, label: str, widget: QLineEdit | QComboBox, *extra: QWidget) -> None:
            widget.setObjectName(f"cred_{key}")
            widget.setAccessibleName(label)
            self.fields[key] = widget
            error = error_label(f"credError_{key}")
            self.errors[key] = error
            row = QHBoxLayout()
            row.addWidget(widget, 1)
            for w in extra:
                row.addWidget(w)
            form.addRow(label, stacked(row, error))

        add("name", "Name", QLineEdit())
        examples = {"password": "e.g. Acme shop login", "credit_card": "e.g. Company card"}
        name_field = self.fields["name"]
        assert isinstance(name_field, QLineEdit)
        name_field.setPlaceholderText(examples.get(kind, "e.g. Supplier API token"))
        if kind == "password":
            add("username", "Username or email", QLineEdit())
            password = SecretLineEdit()
            add("password", "Password", password, _hold_to_show(password, "credShowPassword"))
            totp_type = QComboBox()
            for value, label in TOTP_CHOICES:
                totp_type.addItem(label, value)
            add("totp_type", "Second factor", totp_type)
            key = SecretLineEdit()
            key.setPlaceholderText("The setup key, or the whole otpauth:// address")
            add("totp", "Setup key", key, _hold_to_show(key, "credShowTotp"))
            add("totp_identifier", "Codes go to", QLineEdit())
            totp_type.currentIndexChanged.connect(lambda _i: self._on_totp())
            self._on_totp()
        elif kind == "credit_card":
            add("card_holder_name", "Name on the card", QLineEdit())
            number = SecretLineEdit()
            add("card_number", "Card number", number, _hold_to_show(number, "credShowNumber"))
            month, year = QLineEdit(), QLineEdit()
            month.setPlaceholderText("MM")
            month.setMaxLength(2)
            year.setPlaceholderText("YYYY")
            year.setMaxLength(4)
            add("card_exp_month", "Expiry month", month)
            add("card_exp_year", "Expiry year", year)
            cvv = SecretLineEdit()
            cvv.setMaxLength(4)
            add("card_cvv", "Security code (CVV)", cvv, _hold_to_show(cvv, "credShowCvv"))
            brand = QComboBox()
            for value in CARD_BRANDS:
                brand.addItem(value.capitalize() if value != "amex" else "American Express", value)
            add("card_brand", "Brand", brand)
        else:
            add("secret_label", "Label (optional)", QLineEdit())
            secret = SecretLineEdit()
            add("secret_value", "Secret", secret, _hold_to_show(secret, "credShowSecret"))
        note = QLabel(
            "It goes to the server's vault; the server never sends it back, and this app"
            " keeps no copy."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        outer.addWidget(note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("credSave")
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        size_to_content(self, 480, 0)

    def _on_totp(self) -> None:
        kind = self.fields["totp_type"].currentData()  # type: ignore[union-attr]
        for key, visible in (("totp", kind == "authenticator"),
                             ("totp_identifier", kind in ("email", "text"))):  # fmt: skip
            widget = self.fields[key]
            widget.setEnabled(visible)
            if not visible:
                self.errors[key].hide()
        identifier = self.fields["totp_identifier"]
        assert isinstance(identifier, QLineEdit)
        identifier.setPlaceholderText(
            "the phone number, e.g. +14155550123" if kind == "text" else "the email address"
        )

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, widget in self.fields.items():
            if isinstance(widget, QComboBox):
                out[key] = str(widget.currentData())
            elif widget.isEnabled():
                out[key] = widget.text()
        return out

    def _on_save(self) -> None:
        if self.sending:
            return
        values = self.values()
        name = values.pop("name", "")
        problems = check_credential(self.kind, name, values, year=date.today().year)
        self.show_errors(problems)
        if problems:
            return
        self.sending = True
        self.save_button.setEnabled(False)
        self.submitted.emit(
            NewCredential(
                name=name.strip(), credential_type=CredentialType(self.kind),
                credential=credential_body(self.kind, values),
            )
        )  # fmt: skip

    def show_errors(self, errors: dict[str, str], banner: str = "") -> None:
        """Each problem beside its field (others in the banner); the form keeps its text."""
        self.sending = False
        self.save_button.setEnabled(True)
        rest = []
        for key, label in self.errors.items():
            text = errors.get(key, "")
            label.setText(text)
            label.setVisible(bool(text))
        for key, text in errors.items():
            if key not in self.errors:
                rest.append(text)
        if banner:
            rest.insert(0, banner)
        self.banner.setText(" ".join(rest))
        self.banner.setVisible(bool(rest))
        # Room for the messages: wrapped lines make the form taller, never clipped.
        layout = self.layout()
        if layout is not None:
            layout.activate()
        hint = self.sizeHint()
        self.resize(max(self.width(), hint.width()), max(self.height(), hint.height()))
        first = next((k for k in self.fields if errors.get(k)), None)
        if first is not None:
            self.fields[first].setFocus()

    def reject(self) -> None:
        if self.sending:  # the server's answer decides; the form then says what happened
            self.banner.setText("Saving… wait for the server's answer.")
            self.banner.show()
            return
        super().reject()

    def done_sending(self) -> None:
        self.sending = False
        self.accept()

    @property
    def busy(self) -> bool:
        return self.sending
