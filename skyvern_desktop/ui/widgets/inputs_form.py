"""A workflow's inputs as a form: one editor per input, the credentials list, the
values to send, and the server's refusals shown beside the fields they name.

The run launcher and the schedule editor both use it, so an input behaves the same in
both places; the rules themselves are in ``core.params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.forms.params import FieldSpec, Invalid, collect, errors_from_server
from .fields import CredentialEditor, FieldEditor, Spawner, make_editor

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.errors import ValidationError


class InputsForm(QWidget):
    def __init__(
        self,
        specs: list[FieldSpec],
        client: SkyvernClient,
        spawn: Spawner,
        *,
        object_prefix: str = "inputs",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{object_prefix}Form")
        self.specs = specs
        self._client = client
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(
            f"<b>Inputs</b> — {len(specs)}" if specs else
            "<b>Inputs</b> — none: this workflow runs as it is."
        )  # fmt: skip
        self.title.setObjectName(f"{object_prefix}InputsTitle")
        layout.addWidget(self.title)
        self.editors: dict[str, FieldEditor] = {}
        for spec in specs:
            editor = make_editor(spec, self._upload, spawn)
            editor.set_text(spec.initial_text())
            editor.show_error("")  # no verdict before the person has touched the field
            self.editors[spec.key] = editor
            layout.addWidget(editor)

    def texts(self) -> dict[str, str]:
        return {key: editor.text() for key, editor in self.editors.items()}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Fill the fields from sent values (an earlier run, a saved schedule); fields
        without a value keep their default."""
        for spec in self.specs:
            if spec.key in values:
                self.editors[spec.key].set_text(spec.format(values[spec.key]))

    def detach(self) -> None:
        """The dialog is closing: fields stop checking themselves on focus-out."""
        for editor in self.editors.values():
            editor.detach()

    def upload_keys(self) -> list[str]:
        """The task-name suffixes of uploads, to cancel them when the form closes."""
        return [f"upload.{key}" for key in self.editors]

    def busy_field(self) -> FieldSpec | None:
        """An input whose file is still uploading."""
        for editor in self.editors.values():
            if editor.uploading:
                return editor.spec
        return None

    def values(self) -> dict[str, Any] | None:
        """The values to send, or ``None`` after marking every problem beside its field
        (and moving the focus to the first)."""
        values, errors = collect(self.specs, self.texts())
        for key, editor in self.editors.items():
            error = errors.get(key)
            editor.show_error(error.message if isinstance(error, Invalid) else "")
        if errors:
            first = next(k for k in self.editors if k in errors)
            self.editors[first].focus_editor()
            return None
        return values

    def show_refusal(self, exc: ValidationError, sent: Mapping[str, Any]) -> bool:
        """Put the server's 400/422 beside the fields it names; ``True`` if any."""
        message = exc.server_message or str(exc)
        by_field = errors_from_server(message, self.specs, dict(sent))
        for item in exc.field_errors:
            loc = item.loc
            if len(loc) >= 3 and loc[:2] == ("body", "parameters") and loc[2] in self.editors:
                by_field.setdefault(str(loc[2]), item.message)
        for key, text in by_field.items():
            self.editors[key].show_error(text)
        if by_field:
            self.editors[next(iter(by_field))].focus_editor()
        return bool(by_field)

    async def _upload(self, filename: str, content: bytes) -> str:
        """A file input's upload: the address the server gives the file."""
        return (await self._client.upload_file(filename, content)).s3_uri

    async def load_credentials(self) -> None:
        """Fill the credential pickers from the server (only if the form has one)."""
        editors = [e for e in self.editors.values() if isinstance(e, CredentialEditor)]
        if not editors:
            return
        items = await self._client.list_credentials(page_size=500)
        labels = [(credential_label(c), c.credential_id) for c in items]
        for editor in editors:
            editor.set_credentials(labels)


def credential_label(cred: Any) -> str:
    """name · type · username or last four digits."""
    details = cred.credential or {}
    extra = details.get("username") or (
        f"•••• {details['last_four']}" if details.get("last_four") else ""
    )
    kind = str(cred.credential_type).replace("_", " ")
    return " · ".join(p for p in (cred.name, kind, extra) if p)
