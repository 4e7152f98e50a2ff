"""The inputs a run got, as the launcher names them: each key with its title and type,
the value, and whether it was left at the workflow's default.

Read from the run's ``parameters`` (``GET /api/v1/workflows/{wpid}/runs/{id}``: every
input's value, defaults filled in; ``run_request.parameters`` of ``GET /v1/runs/{id}`` is
the same resolved set, so what was typed cannot be told from a default typed again: a
value equal to the default is marked as the default) and the workflow's definition. A
credential input shows the credential's name, never a secret (the run holds only its id).
No Qt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..forms.params import FieldKind, FieldSpec

if TYPE_CHECKING:
    from ...api.models import WorkflowParameter

LONG_TEXT = 120
"""Characters (or more than one line) past which a value is shown folded."""


@dataclass(frozen=True)
class InputRow:
    key: str
    label: str
    kind: str  # the type in words, as the launcher shows it
    value: Any
    text: str  # the value as one can copy it
    default: bool  # the workflow's default value
    credential_name: str | None = None  # a credential input: the credential's name
    is_file: bool = False
    is_json: bool = False
    known: bool = True  # False: the workflow (now) has no such input

    @property
    def shown(self) -> str:
        """What the table shows: the credential's name, or the value on one line."""
        if self.credential_name is not None:
            return f"{self.credential_name} ({self.text})" if self.text else self.credential_name
        first = self.text.splitlines()[0] if self.text else ""
        if len(first) > LONG_TEXT:
            return first[: LONG_TEXT - 1] + "…"
        return first + (" …" if "\n" in self.text.strip() else "")

    @property
    def long(self) -> bool:
        return len(self.text) > LONG_TEXT or "\n" in self.text.strip()


def _text(spec: FieldSpec | None, value: Any) -> str:
    if spec is not None:
        return spec.format(value)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def _same(value: Any, default: Any) -> bool:
    """The server keeps some values as text (a JSON default, a number): compare both ways."""
    if value == default:
        return True
    try:
        return json.loads(value) == default if isinstance(value, str) else False
    except ValueError:
        return False


def input_rows(
    parameters: Mapping[str, Any],
    definition: Sequence[WorkflowParameter],
    credential_names: Mapping[str, str] | None = None,
) -> list[InputRow]:
    """One row per input: the workflow's inputs in its order, then any the run got that
    the workflow no longer declares (an input the run did not get shows its default)."""
    specs = {p.key: FieldSpec.from_parameter(p) for p in definition if p.is_input}
    keys = list(specs) + [k for k in parameters if k not in specs]
    rows: list[InputRow] = []
    for key in keys:
        spec = specs.get(key)
        if key in parameters:
            value = parameters[key]
        elif spec is not None:
            value = spec.default
        else:
            continue
        default = spec is not None and spec.default is not None and _same(value, spec.default)
        text = _text(spec, value)
        kind = spec.kind if spec is not None else None
        credential = None
        if kind is FieldKind.CREDENTIAL_ID and isinstance(value, str) and value:
            credential = (credential_names or {}).get(value, "a credential")
        rows.append(
            InputRow(
                key=key,
                label=spec.label if spec is not None else key,
                kind=spec.kind_label if spec is not None else "",
                value=value,
                text=text,
                default=default,
                credential_name=credential,
                is_file=kind is FieldKind.FILE_URL and bool(text),
                is_json=kind is FieldKind.JSON or isinstance(value, dict | list),
                known=spec is not None,
            )
        )
    return rows
