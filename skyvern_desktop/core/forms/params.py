"""Workflow inputs as typed form fields: parsing, validation and conversion, without widgets.

One :class:`FieldSpec` per ``parameter_type == "workflow"`` parameter. The spec owns the
rules (the server's own, API doc §2.2); widgets only show text and the verdict. The run
launcher and the schedule editor both use these specs, so the rules live in one place.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from ...api.enums import WorkflowParameterType

if TYPE_CHECKING:
    from ...api.models import WorkflowParameter


FieldKind = WorkflowParameterType
"""The seven input types, as the API names them (one enum, not a copy of it)."""


KIND_LABELS: Final = {
    FieldKind.STRING: "text",
    FieldKind.INTEGER: "whole number",
    FieldKind.FLOAT: "number",
    FieldKind.BOOLEAN: "yes or no",
    FieldKind.JSON: "JSON",
    FieldKind.FILE_URL: "file or web address",
    FieldKind.CREDENTIAL_ID: "credential",
}

_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
FILE_URL_SCHEMES: Final = frozenset({"http", "https", "s3", "file", "gs", "azure"})
TRUE_TEXTS: Final = frozenset({"true", "yes", "1"})
FALSE_TEXTS: Final = frozenset({"false", "no", "0"})


@dataclass(frozen=True, slots=True)
class Invalid:
    """What is wrong with the text, in plain words; ``line``/``column`` for JSON (1-based)."""

    message: str
    line: int | None = None
    column: int | None = None


class _Missing:
    """No value: for an optional field, the input is left out and the default applies."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
Parsed = Any  # the JSON value, MISSING, or an Invalid


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    kind: FieldKind
    required: bool
    default: Any = None
    description: str | None = None
    raw_type: str = ""

    @classmethod
    def from_parameter(cls, param: WorkflowParameter) -> FieldSpec:
        raw = str(param.workflow_parameter_type or "string")
        try:
            kind = FieldKind(raw)
        except ValueError:
            kind = FieldKind.STRING  # a type this app does not know yet: take it as text
        return cls(
            key=param.key,
            kind=kind,
            required=param.is_required,
            default=param.default_value,
            description=param.description,
            raw_type=raw,
        )

    @property
    def label(self) -> str:
        return self.key.replace("_", " ").strip().capitalize() or self.key

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def initial_text(self) -> str:
        """The default, as the field shows it."""
        return self.format(self.default)

    def format(self, value: Any) -> str:
        """A value (a default, or one from an earlier run) as text for the field."""
        if value is None:
            return ""
        if self.kind is FieldKind.BOOLEAN:
            parsed = self.parse(value if isinstance(value, str) else json.dumps(value))
            return "" if not isinstance(parsed, bool) else ("true" if parsed else "false")
        if self.kind is FieldKind.JSON:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return str(value)
            return json.dumps(value, indent=2, ensure_ascii=False)
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def parse(self, text: str) -> Parsed:
        """The JSON value to send, :data:`MISSING`, or an :class:`Invalid` saying why not."""
        value = self._parse(text)
        if value is MISSING and self.required:
            return Invalid(f"{self.label} is required.")
        return value

    def _parse(self, text: str) -> Parsed:
        kind = self.kind
        if kind is FieldKind.STRING:
            return text  # "" is a value for text inputs (the server agrees)
        stripped = text.strip()
        if not stripped:
            return MISSING
        if kind is FieldKind.INTEGER:
            if _INTEGER.fullmatch(stripped):
                try:
                    return int(stripped)
                except ValueError:  # past CPython's 4300-digit limit
                    return Invalid("That number is too long.")
            if _FLOAT.fullmatch(stripped):
                return Invalid(f"Enter a whole number, like 3 or -12 (not {stripped}).")
            return Invalid("Enter a whole number, like 3 or -12.")
        if kind is FieldKind.FLOAT:
            if _FLOAT.fullmatch(stripped):
                number = float(stripped)
                if math.isfinite(number):
                    return number
                return Invalid("That number is too large.")
            if re.fullmatch(r"[+-]?\d+,\d+", stripped):
                return Invalid("Use a dot for decimals, like 2.5.")
            return Invalid("Enter a number, like 2.5 or -3.")
        if kind is FieldKind.BOOLEAN:
            lowered = stripped.lower()
            if lowered in TRUE_TEXTS:
                return True
            if lowered in FALSE_TEXTS:
                return False
            return Invalid("Choose yes or no.")
        if kind is FieldKind.JSON:
            try:
                value = json.loads(
                    stripped, parse_constant=_reject_constant, parse_float=_finite_float
                )
            except json.JSONDecodeError as exc:
                line, column = _position(text, exc)
                return Invalid(
                    f"Not valid JSON: {exc.msg} (line {line}, column {column}).", line, column
                )
            except (ValueError, RecursionError) as exc:
                return Invalid(f"Not valid JSON: {exc}.")
            try:
                json.dumps(value, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                return Invalid("Not valid JSON: a string holds a lone \\uD800–\\uDFFF escape.")
            if isinstance(value, dict | list):
                return value  # sent as JSON, not as a string
            # The server json-decodes anything that is not an object or a list, so a lone
            # number, true/false, null or string is sent as its JSON text.
            return json.dumps(value)
        if kind is FieldKind.FILE_URL:
            if any(c.isspace() for c in stripped):
                return Invalid("A web address has no spaces.")
            try:
                parts = urlsplit(stripped)
                host = parts.hostname
            except ValueError:
                return Invalid("That web address is not valid.")
            scheme = parts.scheme.lower()
            has_target = bool(parts.path.strip("/")) if scheme == "file" else bool(host)
            if scheme not in FILE_URL_SCHEMES or not has_target:
                return Invalid("Enter a web address (https://…) or choose a file to upload.")
            return stripped
        # credential_id
        if any(c.isspace() for c in stripped):
            return Invalid("Choose a credential from the list, or type its id (cred_…).")
        return stripped


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large a number")
    return number


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _position(text: str, exc: json.JSONDecodeError) -> tuple[int, int]:
    """Line and column in ``text`` (the field's own text, before stripping)."""
    offset = len(text) - len(text.lstrip())
    pos = exc.pos + offset
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def specs_for(parameters: list[WorkflowParameter]) -> list[FieldSpec]:
    """The fields of a workflow, in definition order: its ``workflow`` parameters only."""
    return [FieldSpec.from_parameter(p) for p in parameters if p.is_input]


def collect(
    specs: list[FieldSpec], texts: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Invalid]]:
    """Parse every field: ``(parameters to send, errors by key)``. Missing optional inputs
    are left out, so the workflow's default applies."""
    values: dict[str, Any] = {}
    errors: dict[str, Invalid] = {}
    for spec in specs:
        parsed = spec.parse(texts.get(spec.key, ""))
        if isinstance(parsed, Invalid):
            errors[spec.key] = parsed
        elif parsed is not MISSING:
            values[spec.key] = parsed
    return values, errors


_MISSING_PARAMS = re.compile(r"Missing value for parameter ([\w, ]+?) in workflow")
_MISSING_SCHEDULE = re.compile(r"Missing schedule parameters for workflow \S+: (.+)$")
_INVALID_TYPE = re.compile(r"Expected parameter type: (\w+)\. Value: (.*)\.$")
_INVALID_CREDENTIAL = re.compile(r"Invalid credential ID: (\S+?)\.")


def errors_from_server(
    message: str, specs: list[FieldSpec], sent: dict[str, Any] | None = None
) -> dict[str, str]:
    """Map a server 400 message to the fields it names (API doc §1.1, §3, §7).

    ``sent`` (the parameters in the refused request) tells apart two fields of one type.
    """
    by_key = {s.key: s for s in specs}
    found: dict[str, str] = {}
    if (m := _MISSING_PARAMS.search(message)) or (m := _MISSING_SCHEDULE.search(message)):
        for key in (k.strip() for k in m.group(1).split(",")):
            if key in by_key:
                found[key] = f"{by_key[key].label} is required."
        return found
    if m := _INVALID_CREDENTIAL.search(message):
        for spec in specs:
            if spec.kind is FieldKind.CREDENTIAL_ID and sent and sent.get(spec.key) == m.group(1):
                found[spec.key] = f"The server has no credential “{m.group(1)}”; choose one."
        return found
    if m := _INVALID_TYPE.search(message):
        kind, value = m.group(1), m.group(2)
        by_value = [s for s in specs if sent is not None and _as_text(sent.get(s.key)) == value]
        by_type = [s for s in specs if s.raw_type == kind]
        # The field whose value the server quotes; of those, the one of the type it names.
        candidates = [s for s in by_value if s in by_type] or by_value or by_type
        label = KIND_LABELS.get(FieldKind(kind), kind) if kind in set(FieldKind) else kind
        for spec in candidates:
            found[spec.key] = f"The server expects a {label} here, not “{value}”."
        return found
    return found


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
