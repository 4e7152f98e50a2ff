"""Workflow inputs as form fields: parsing per kind, required rules, collect, server errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyvern_desktop.api.models import WorkflowParameter
from skyvern_desktop.core.forms.params import (
    MISSING,
    FieldKind,
    FieldSpec,
    Invalid,
    collect,
    errors_from_server,
    specs_for,
)


def spec(
    kind: FieldKind, *, required: bool = True, key: str = "field", default: Any = None
) -> FieldSpec:
    """A spec as ``from_parameter`` builds it (``raw_type`` is the server's type name)."""
    return FieldSpec(key=key, kind=kind, required=required, default=default, raw_type=str(kind))


def param(
    key: str,
    type_: str | None,
    default: Any = None,
    *,
    parameter_type: str = "workflow",
    **extra: Any,
) -> WorkflowParameter:
    """A ``workflow_definition.parameters`` entry as the server sends it (API doc §2.2)."""
    return WorkflowParameter.model_validate(
        {
            "parameter_type": parameter_type,
            "key": key,
            "workflow_parameter_id": f"wp_{key}",
            "workflow_parameter_type": type_,
            "default_value": default,
            "workflow_id": "w_1",
            "created_at": "2026-11-29T15:07:43.787901Z",
            "modified_at": "2026-11-29T15:07:43.787901Z",
            **extra,
        }
    )


def invalid(result: Any) -> Invalid:
    assert isinstance(result, Invalid), f"expected Invalid, got {result!r}"
    assert result.message.strip()
    return result


def _too_many_digits() -> str:
    # Built at run time, and longer than CPython's 4300-digit int(str) limit.
    return "9" * 5000


# ---------------------------------------------------------------------- string


@pytest.mark.parametrize("text", ["", " ", "   ", "\n", "  padded  ", "héllo wörld", "0", "null"])
@pytest.mark.parametrize("required", [True, False])
def test_string_keeps_text_exactly(text: str, required: bool) -> None:
    result = spec(FieldKind.STRING, required=required).parse(text)
    assert result == text
    assert type(result) is str


# ---------------------------------------------------------------------- integer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-12", -12),
        ("+3", 3),
        ("0", 0),
        ("-0", 0),
        ("007", 7),
        ("  42  ", 42),
        (str(10**40), 10**40),
        ("-" + str(10**40), -(10**40)),
    ],
)
def test_integer_valid(text: str, expected: int) -> None:
    result = spec(FieldKind.INTEGER).parse(text)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("text", ["1.5", "1e3", "-2.0", ".5", "3."])
def test_integer_rejects_decimals_saying_whole_number(text: str) -> None:
    result = invalid(spec(FieldKind.INTEGER).parse(text))
    assert "whole number" in result.message
    assert text in result.message


@pytest.mark.parametrize(
    "text", ["abc", "1_000", "1 000", "0x10", "--1", "+-1", "1,000", "12a", "true"]
)
def test_integer_rejects_non_numbers(text: str) -> None:
    result = invalid(spec(FieldKind.INTEGER).parse(text))
    assert "whole number" in result.message


def test_integer_with_too_many_digits_is_invalid_not_an_exception() -> None:
    # int() refuses more than 4300 digits (CPython's int_max_str_digits).
    invalid(spec(FieldKind.INTEGER).parse(_too_many_digits()))
    invalid(spec(FieldKind.INTEGER).parse("-" + _too_many_digits()))


# ---------------------------------------------------------------------- float


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.5", 2.5),
        ("-3", -3.0),
        ("+1.5", 1.5),
        ("1e3", 1000.0),
        ("1E-3", 0.001),
        (".5", 0.5),
        ("-.5", -0.5),
        ("3.", 3.0),
        ("  2.5 ", 2.5),
        ("0", 0.0),
        ("1e308", 1e308),
    ],
)
def test_float_valid(text: str, expected: float) -> None:
    result = spec(FieldKind.FLOAT).parse(text)
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize("text", ["1,5", "-2,25", "10,0"])
def test_float_with_comma_asks_for_a_dot(text: str) -> None:
    result = invalid(spec(FieldKind.FLOAT).parse(text))
    assert "dot" in result.message


@pytest.mark.parametrize(
    "text",
    ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 400],
)
def test_float_rejects_non_finite(text: str) -> None:
    invalid(spec(FieldKind.FLOAT).parse(text))


@pytest.mark.parametrize("text", ["abc", "1.2.3", "0x1p3", "1_0.5", "e3", "1e", "--1", "2.5 kg"])
def test_float_rejects_non_numbers(text: str) -> None:
    result = invalid(spec(FieldKind.FLOAT).parse(text))
    assert "dot" not in result.message


# ---------------------------------------------------------------------- boolean


@pytest.mark.parametrize(
    "text", ["true", "TRUE", "True", "tRuE", "yes", "YES", "Yes", "1", "  true  ", "\tyes\n"]
)
def test_boolean_true(text: str) -> None:
    assert spec(FieldKind.BOOLEAN).parse(text) is True


@pytest.mark.parametrize("text", ["false", "FALSE", "False", "no", "NO", "No", "0", " 0 "])
def test_boolean_false(text: str) -> None:
    assert spec(FieldKind.BOOLEAN).parse(text) is False


@pytest.mark.parametrize("text", ["y", "n", "on", "off", "2", "-1", "truee", "nope", "01", "t"])
def test_boolean_rejects_other_words(text: str) -> None:
    invalid(spec(FieldKind.BOOLEAN).parse(text))


# ---------------------------------------------------------------------- json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1, "b": [1, 2]}', {"a": 1, "b": [1, 2]}),
        ('  {"a": null, "b": {"c": true}}  ', {"a": None, "b": {"c": True}}),
        ('[1, 2.5, "x"]', [1, 2.5, "x"]),
        ("[]", []),
        ("{}", {}),
        ('{\n  "multi": "line"\n}', {"multi": "line"}),
    ],
)
def test_json_returns_parsed_objects_and_lists(text: str, expected: Any) -> None:
    result = spec(FieldKind.JSON).parse(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{\n  "a": 1,\n  "b": tru\n}', 3, 8),
        # Leading blank lines and spaces are counted: positions are in the field's own text.
        ("\n\n  {oops}", 3, 4),
        ('\r\n{\r\n  "a" 1\r\n}', 3, 7),
        ('{"a": 1,}', 1, 9),
        ("[1, 2", 1, 6),
        ("abc", 1, 1),
        ("{'a': 1}", 1, 2),
    ],
)
def test_json_error_reports_line_and_column(text: str, line: int, column: int) -> None:
    result = invalid(spec(FieldKind.JSON).parse(text))
    assert (result.line, result.column) == (line, column)
    assert f"line {line}" in result.message
    assert f"column {column}" in result.message


@pytest.mark.parametrize(
    "text", ["NaN", "Infinity", "-Infinity", "[NaN]", '{"a": Infinity}', "[1, -Infinity]"]
)
def test_json_rejects_nan_and_infinity_constants(text: str) -> None:
    result = invalid(spec(FieldKind.JSON).parse(text))
    assert "not allowed" in result.message


def test_json_deep_nesting_is_invalid_not_an_exception() -> None:
    invalid(spec(FieldKind.JSON).parse("[" * 100_000 + "]" * 100_000))


def test_json_huge_integer_is_invalid_not_an_exception() -> None:
    invalid(spec(FieldKind.JSON).parse(_too_many_digits()))


def _request_body(value: Any) -> bytes:
    """What httpx 0.28 does with ``json=``: strict JSON, UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@pytest.mark.parametrize("text", ["1e999", "-1e999", "[1e999]", '{"a": -1e999}', "[1e400, 1]"])
def test_json_rejects_out_of_range_numbers(text: str) -> None:
    # json.loads would give float("inf"), which no request body can carry.
    invalid(spec(FieldKind.JSON).parse(text))


def test_json_huge_whole_numbers_stay_exact() -> None:
    result = spec(FieldKind.JSON).parse(f'{{"n": {10**40}}}')
    assert result == {"n": 10**40}
    assert _request_body(result) == b'{"n":' + str(10**40).encode() + b"}"


def _server_json(value: Any) -> Any:
    """Skyvern 1.0.56 ``WorkflowParameterType.JSON.convert_value``: a dict or a list is kept,
    anything else goes through ``json.loads`` (a bare 5 or True is a 400)."""
    if isinstance(value, dict | list):
        return value
    assert isinstance(value, str), f"the server cannot json-decode {value!r}"
    return json.loads(value)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("5", 5),
        ("-2.5", -2.5),
        ("true", True),
        ("false", False),
        ('"abc"', "abc"),
        ('  "é"  ', "é"),
        ('"[1, 2]"', "[1, 2]"),
        ("null", None),
    ],
)
def test_json_scalar_is_sent_as_json_text(text: str, meant: Any) -> None:
    result = spec(FieldKind.JSON).parse(text)
    assert isinstance(result, str)
    server_value = _server_json(result)
    assert server_value == meant
    assert type(server_value) is type(meant)


@pytest.mark.parametrize("text", ['{"a": 1}', "[1, 2]", "7", '"x"', "1.5e300", '{"k": "ü"}'])
def test_json_value_fits_a_request_body(text: str) -> None:
    result = spec(FieldKind.JSON).parse(text)
    assert not isinstance(result, Invalid)
    assert json.loads(_request_body(result)) == result


@pytest.mark.parametrize("text", ['["\\ud800"]', '{"\\udc00": 1}', '{"a": ["x\\ud83d"]}'])
def test_json_with_unpaired_surrogate_is_invalid_or_sendable(text: str) -> None:
    result = spec(FieldKind.JSON).parse(text)
    if not isinstance(result, Invalid):
        _request_body(result)


# ---------------------------------------------------------------------- file_url


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/report.pdf",
        "http://example.com",
        "HTTPS://EXAMPLE.COM/A.PDF",
        "s3://bucket/key/file.csv",
        "file:///tmp/upload.txt",
        "gs://bucket/object",
        "https://example.com/a%20b.pdf?x=1#top",
    ],
)
def test_file_url_valid(text: str) -> None:
    assert spec(FieldKind.FILE_URL).parse(text) == text


def test_file_url_is_stripped() -> None:
    assert spec(FieldKind.FILE_URL).parse("  https://example.com/a.pdf\n") == (
        "https://example.com/a.pdf"
    )


@pytest.mark.parametrize(
    "text",
    [
        "not a url",
        "https://example.com/a b.pdf",
        "https://exa mple.com",
        "https://example.com/a\tb",
    ],
)
def test_file_url_rejects_spaces(text: str) -> None:
    result = invalid(spec(FieldKind.FILE_URL).parse(text))
    assert "space" in result.message


@pytest.mark.parametrize(
    "text",
    ["ftp://x", "ftp://example.com/a.pdf", "example.com/a.pdf", "https://", "mailto:a@b.c", "x"],
)
def test_file_url_rejects_other_schemes_and_bare_text(text: str) -> None:
    result = invalid(spec(FieldKind.FILE_URL).parse(text))
    assert "web address" in result.message


@pytest.mark.parametrize(
    "text", ["https://[::1/file.pdf", "http://[example.com", "https://ex\u2100mple.com"]
)
def test_file_url_unsplittable_is_invalid_not_an_exception(text: str) -> None:
    # urlsplit() raises ValueError for these (bad IPv6 host; NFKC-unsafe host).
    invalid(spec(FieldKind.FILE_URL).parse(text))


@pytest.mark.parametrize(
    "text", ["https:///", "https:///path", "http:example.com", "s3:/key", "gs://", "file:///"]
)
def test_file_url_needs_a_host_or_a_file_path(text: str) -> None:
    invalid(spec(FieldKind.FILE_URL).parse(text))


def test_file_url_ipv6_host_is_fine() -> None:
    assert spec(FieldKind.FILE_URL).parse("http://[::1]:8000/a.pdf") == "http://[::1]:8000/a.pdf"


# ---------------------------------------------------------------------- credential_id


@pytest.mark.parametrize(
    ("text", "expected"), [("cred_123", "cred_123"), (" cred_123\n", "cred_123")]
)
def test_credential_id_valid(text: str, expected: str) -> None:
    assert spec(FieldKind.CREDENTIAL_ID, required=False).parse(text) == expected


@pytest.mark.parametrize("text", ["cred 123", "cred\t123", "my login"])
def test_credential_id_rejects_spaces(text: str) -> None:
    # Spaces mean a name was typed, not an id: point to the list.
    result = invalid(spec(FieldKind.CREDENTIAL_ID, required=False).parse(text))
    assert "Choose a credential from the list" in result.message
    assert "cred_" in result.message


def test_credential_id_empty_is_missing() -> None:
    assert spec(FieldKind.CREDENTIAL_ID, required=False).parse("  ") is MISSING


# ---------------------------------------------------------------------- from_parameter


@pytest.mark.parametrize("kind", list(FieldKind))
def test_from_parameter_known_types(kind: FieldKind) -> None:
    field = FieldSpec.from_parameter(param("my_input", kind.value, description="what it is"))
    assert field.kind is kind
    assert field.raw_type == kind.value
    assert field.key == "my_input"
    assert field.description == "what it is"
    assert field.label == "My input"


@pytest.mark.parametrize("raw", ["date", "secret_text"])
def test_unknown_type_falls_back_to_text(raw: str) -> None:
    field = FieldSpec.from_parameter(param("when", raw))
    assert field.kind is FieldKind.STRING
    assert field.raw_type == raw
    assert field.kind_label == "text"
    assert field.parse("2026-01-01") == "2026-01-01"
    assert field.parse("") == ""


def test_missing_type_is_text() -> None:
    field = FieldSpec.from_parameter(param("note", None))
    assert field.kind is FieldKind.STRING
    assert field.raw_type == "string"


@pytest.mark.parametrize(
    ("type_", "default", "required"),
    [
        ("string", None, True),
        ("string", "", False),
        ("integer", None, True),
        ("integer", 0, False),
        ("float", None, True),
        ("float", 0.0, False),
        ("boolean", None, True),
        ("boolean", False, False),
        ("json", None, True),
        ("json", {}, False),
        ("json", [], False),
        ("file_url", None, True),
        ("file_url", "https://example.com/a.pdf", False),
        # An "at-will" credential: optional even without a default.
        ("credential_id", None, False),
        ("credential_id", "cred_1", False),
        ("date", None, True),
    ],
)
def test_required_matches_the_server(type_: str, default: Any, required: bool) -> None:
    field = FieldSpec.from_parameter(param("p", type_, default))
    assert field.required is required
    assert field.default == default


def test_specs_for_keeps_only_workflow_inputs_in_order() -> None:
    params = [
        param("url", "string", "https://example.com"),
        param("open_output", None, parameter_type="output", output_parameter_id="op_1"),
        param("count", "integer"),
        param("login", None, parameter_type="credential", credential_id="cred_1"),
        param("cred", "credential_id"),
    ]
    specs = specs_for(params)
    assert [s.key for s in specs] == ["url", "count", "cred"]
    assert [s.kind for s in specs] == [
        FieldKind.STRING,
        FieldKind.INTEGER,
        FieldKind.CREDENTIAL_ID,
    ]
    assert [s.required for s in specs] == [False, True, False]
    assert specs_for([]) == []


# ---------------------------------------------------------------------- required vs optional


@pytest.mark.parametrize("kind", [k for k in FieldKind if k is not FieldKind.STRING])
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_required_non_string_empty_is_invalid(kind: FieldKind, text: str) -> None:
    result = spec(kind, required=True, key="start_count").parse(text)
    assert result == Invalid("Start count is required.")


@pytest.mark.parametrize("kind", [k for k in FieldKind if k is not FieldKind.STRING])
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_optional_non_string_empty_is_missing(kind: FieldKind, text: str) -> None:
    assert spec(kind, required=False).parse(text) is MISSING


def test_missing_repr() -> None:
    assert repr(MISSING) == "MISSING"


# ---------------------------------------------------------------------- initial_text / format


@pytest.mark.parametrize(
    ("kind", "default", "text"),
    [
        (FieldKind.INTEGER, 3, "3"),
        (FieldKind.INTEGER, -12, "-12"),
        (FieldKind.FLOAT, 2.5, "2.5"),
        (FieldKind.BOOLEAN, False, "false"),
        (FieldKind.BOOLEAN, True, "true"),
        (FieldKind.BOOLEAN, "yes", "true"),
        (FieldKind.BOOLEAN, "0", "false"),
        (FieldKind.STRING, "hello", "hello"),
        (FieldKind.STRING, "", ""),
        (FieldKind.FILE_URL, "https://example.com/a.pdf", "https://example.com/a.pdf"),
        (FieldKind.CREDENTIAL_ID, "cred_1", "cred_1"),
    ],
)
def test_initial_text_shows_the_default(kind: FieldKind, default: Any, text: str) -> None:
    assert spec(kind, required=False, default=default).initial_text() == text


@pytest.mark.parametrize("kind", list(FieldKind))
def test_initial_text_of_no_default_is_empty(kind: FieldKind) -> None:
    assert spec(kind, default=None).initial_text() == ""


@pytest.mark.parametrize(
    "default", [{"a": 1, "nested": {"b": [1, 2, None]}, "ü": "é"}, '{"a": 1, "b": [true]}']
)
def test_initial_text_of_json_is_pretty_and_parses_back(default: Any) -> None:
    field = spec(FieldKind.JSON, required=False, default=default)
    text = field.initial_text()
    expected = json.loads(default) if isinstance(default, str) else default
    assert "\n" in text  # pretty, one key a line
    assert json.loads(text) == expected
    assert field.parse(text) == expected
    if isinstance(default, dict):
        assert "ü" in text  # shown as typed, not as \\u escapes


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (FieldKind.STRING, "hello"),
        (FieldKind.STRING, "  spaced  "),
        (FieldKind.STRING, ""),
        (FieldKind.INTEGER, 0),
        (FieldKind.INTEGER, -12),
        (FieldKind.INTEGER, 10**40),
        (FieldKind.FLOAT, 2.5),
        (FieldKind.FLOAT, -0.001),
        (FieldKind.FLOAT, 1e16),
        (FieldKind.FLOAT, 5e-324),
        (FieldKind.BOOLEAN, True),
        (FieldKind.BOOLEAN, False),
        (FieldKind.JSON, {"a": [1, 2, {"b": None}], "ü": "é", "f": 1.5}),
        (FieldKind.JSON, [1, "x", True]),
        (FieldKind.JSON, {}),
        (FieldKind.JSON, []),
        # JSON scalars travel as JSON text (see test_json_scalar_is_sent_as_json_text).
        (FieldKind.JSON, "5"),
        (FieldKind.JSON, '"abc"'),
        (FieldKind.JSON, "true"),
        (FieldKind.FILE_URL, "https://example.com/a.pdf"),
        (FieldKind.FILE_URL, "s3://bucket/key"),
        (FieldKind.CREDENTIAL_ID, "cred_123"),
    ],
)
def test_format_then_parse_round_trips(kind: FieldKind, value: Any) -> None:
    field = spec(kind)
    text = field.format(value)
    assert isinstance(text, str)
    result = field.parse(text)
    assert result == value
    assert type(result) is type(value)


# ---------------------------------------------------------------------- collect


def _mixed_specs() -> list[FieldSpec]:
    return specs_for(
        [
            param("name", "string"),
            param("count", "integer"),
            param("ratio", "float"),
            param("resume", "boolean"),
            param("data", "json"),
            param("doc", "file_url"),
            param("cred", "credential_id"),
            param("limit", "integer", 10),
        ]
    )


def test_collect_gives_typed_values() -> None:
    texts = {
        "name": "Ann",
        "count": " 3 ",
        "ratio": "2.5",
        "resume": "Yes",
        "data": '{"a": 1, "b": [true, null]}',
        "doc": "https://example.com/a.pdf",
        "cred": "cred_1",
        "limit": "20",
    }
    values, errors = collect(_mixed_specs(), texts)
    assert errors == {}
    assert values == {
        "name": "Ann",
        "count": 3,
        "ratio": 2.5,
        "resume": True,
        "data": {"a": 1, "b": [True, None]},
        "doc": "https://example.com/a.pdf",
        "cred": "cred_1",
        "limit": 20,
    }
    assert type(values["count"]) is int
    assert type(values["ratio"]) is float
    assert type(values["resume"]) is bool
    assert type(values["data"]) is dict
    # What goes over the wire keeps those types.
    assert json.loads(json.dumps(values)) == values


def test_collect_leaves_out_missing_optional_inputs() -> None:
    texts = {
        "name": "",
        "count": "1",
        "ratio": "0",
        "resume": "no",
        "data": "[]",
        "doc": "s3://b/k",
    }
    values, errors = collect(_mixed_specs(), texts)
    assert errors == {}
    assert "cred" not in values  # optional credential, not given
    assert "limit" not in values  # optional with a default: the server's default applies
    assert values["name"] == ""  # "" is a value for text
    assert values["resume"] is False
    assert values["data"] == []


def test_collect_errors_are_keyed_by_field() -> None:
    texts = {
        "name": "Ann",
        "count": "1.5",
        "ratio": "1,5",
        "resume": "maybe",
        "data": "{",
        "doc": "ftp://x",
        "cred": "a b",
        "limit": "",
    }
    values, errors = collect(_mixed_specs(), texts)
    assert values == {"name": "Ann"}
    assert set(errors) == {"count", "ratio", "resume", "data", "doc", "cred"}
    assert all(isinstance(e, Invalid) and e.message for e in errors.values())
    assert "whole number" in errors["count"].message
    assert "dot" in errors["ratio"].message
    assert (errors["data"].line, errors["data"].column) == (1, 2)


def test_collect_sends_a_json_scalar_as_json_text() -> None:
    specs = specs_for([param("data", "json"), param("n", "integer")])
    values, errors = collect(specs, {"data": " 42 ", "n": "42"})
    assert errors == {}
    assert values == {"data": "42", "n": 42}


def test_collect_absent_texts_count_as_empty() -> None:
    values, errors = collect(_mixed_specs(), {})
    assert values == {"name": ""}
    assert errors == {
        "count": Invalid("Count is required."),
        "ratio": Invalid("Ratio is required."),
        "resume": Invalid("Resume is required."),
        "data": Invalid("Data is required."),
        "doc": Invalid("Doc is required."),
    }


def test_collect_of_no_fields() -> None:
    assert collect([], {"stray": "x"}) == ({}, {})


# ---------------------------------------------------------------------- errors_from_server


def _server_specs() -> list[FieldSpec]:
    return specs_for(
        [
            param("name", "string"),
            param("resume", "boolean"),
            param("count", "integer"),
            param("limit", "integer"),
            param("data", "json"),
        ]
    )


def test_missing_values_on_run_name_every_field() -> None:
    found = errors_from_server(
        "Missing value for parameter name, resume in workflow wpid_1", _server_specs()
    )
    assert found == {"name": "Name is required.", "resume": "Resume is required."}


def test_missing_value_in_a_created_run() -> None:
    found = errors_from_server(
        "Missing value for parameter count in workflow run wr_1 of workflow wpid_1",
        _server_specs(),
    )
    assert found == {"count": "Count is required."}


def test_missing_schedule_parameters() -> None:
    found = errors_from_server(
        "Missing schedule parameters for workflow wpid_1: name, resume", _server_specs()
    )
    assert found == {"name": "Name is required.", "resume": "Resume is required."}


def test_missing_keys_the_app_does_not_show_are_ignored() -> None:
    found = errors_from_server(
        "Missing value for parameter ghost, count in workflow wpid_1", _server_specs()
    )
    assert found == {"count": "Count is required."}


def test_invalid_type_names_the_field_of_that_type() -> None:
    specs = specs_for([param("name", "string"), param("count", "integer")])
    found = errors_from_server(
        "Invalid workflow parameter. Expected parameter type: integer. Value: abc.", specs
    )
    assert set(found) == {"count"}
    assert "abc" in found["count"]
    assert "whole number" in found["count"]


def test_invalid_type_without_sent_names_every_field_of_that_type() -> None:
    found = errors_from_server(
        "Invalid workflow parameter. Expected parameter type: integer. Value: abc.",
        _server_specs(),
    )
    assert set(found) == {"count", "limit"}


@pytest.mark.parametrize(("bad", "good"), [("count", "limit"), ("limit", "count")])
def test_invalid_type_with_sent_names_the_field_that_sent_it(bad: str, good: str) -> None:
    sent: dict[str, Any] = {"name": "Ann", "resume": True, bad: "abc", good: 5}
    found = errors_from_server(
        "Invalid workflow parameter. Expected parameter type: integer. Value: abc.",
        _server_specs(),
        sent,
    )
    assert set(found) == {bad}


def test_invalid_type_with_a_value_ending_in_a_dot() -> None:
    sent: dict[str, Any] = {"count": "1.5", "limit": 3}
    found = errors_from_server(
        "Invalid workflow parameter. Expected parameter type: integer. Value: 1.5.",
        _server_specs(),
        sent,
    )
    assert set(found) == {"count"}
    assert "1.5" in found["count"]


def test_invalid_json_value_names_the_json_field() -> None:
    found = errors_from_server(
        "Invalid workflow parameter. Expected parameter type: json. Value: 5.",
        _server_specs(),
        {"data": 5, "count": 5},
    )
    assert set(found) == {"data"}


@pytest.mark.parametrize(
    "message",
    [
        "Workflow not found. workflow_permanent_id=wpid_x",
        "Could not validate credentials",
        "Cron interval must be at least 5 minutes",
        "Invalid timezone 'Mars/Base'",
        "The host in your url is blocked: localhost",
        "",
    ],
)
def test_unrelated_messages_name_no_field(message: str) -> None:
    assert errors_from_server(message, _server_specs()) == {}
    assert errors_from_server(message, _server_specs(), {"count": 1}) == {}


@pytest.mark.parametrize(
    "message",
    [
        # Skyvern 1.0.56's blocked webhook message: "url" is only part of a word.
        "Invalid webhook_url: blocked host.",
        "Could not validate credentials",
        "The run request sent parameter(s) this workflow does not declare: curl.",
    ],
)
def test_keys_inside_longer_words_are_not_named(message: str) -> None:
    specs = specs_for([param("url", "string"), param("valid", "boolean"), param("cred", "string")])
    assert errors_from_server(message, specs) == {}


@pytest.mark.parametrize(
    "message",
    [
        # API doc §1.1: a blocked webhook host (not the workflow's "url" input).
        "The host in your url is blocked: localhost",
        # API doc §3: the schedule's own timezone (not the workflow's "timezone" input).
        "Invalid timezone 'Mars/Base'",
    ],
)
def test_request_level_errors_do_not_land_on_inputs_of_the_same_name(message: str) -> None:
    specs = specs_for([param("url", "string"), param("timezone", "string")])
    assert errors_from_server(message, specs) == {}


# ---------------------------------------------------------------------- properties


_TYPE_CHECKS: dict[FieldKind, type] = {
    FieldKind.STRING: str,
    FieldKind.FILE_URL: str,
    FieldKind.CREDENTIAL_ID: str,
    FieldKind.INTEGER: int,
    FieldKind.FLOAT: float,
    FieldKind.BOOLEAN: bool,
}


@pytest.mark.parametrize("kind", list(FieldKind))
@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(), required=st.booleans())
def test_parse_never_raises_and_returns_a_verdict(
    kind: FieldKind, text: str, required: bool
) -> None:
    result = spec(kind, required=required).parse(text)
    if result is MISSING:
        assert not required
        assert kind is not FieldKind.STRING
        assert not text.strip()
    elif isinstance(result, Invalid):
        assert result.message.strip()
    elif kind is FieldKind.JSON:
        # An object or a list as is; anything else as JSON text the server decodes.
        if isinstance(result, str):
            assert not isinstance(json.loads(result), dict | list)
        else:
            assert isinstance(result, dict | list)
        json.dumps(result, allow_nan=False)  # strict JSON: something a request can carry
    else:
        assert type(result) is _TYPE_CHECKS[kind]  # exact: an int is never a bool
        if isinstance(result, float):
            assert math.isfinite(result)
        if kind is FieldKind.STRING:
            assert result == text


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers())
def test_integer_text_round_trips(n: int) -> None:
    field = spec(FieldKind.INTEGER)
    assert field.parse(str(n)) == n
    assert field.parse(field.format(n)) == n


@settings(max_examples=300, deadline=None, database=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_round_trips(x: float) -> None:
    field = spec(FieldKind.FLOAT)
    assert field.parse(repr(x)) == x
    assert field.parse(field.format(x)) == x


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, database=None)
@given(_JSON_VALUES, st.sampled_from([None, 2]))
def test_json_text_round_trips(value: Any, indent: int | None) -> None:
    field = spec(FieldKind.JSON)
    typed = json.dumps(value, indent=indent)
    result = field.parse(typed)
    if isinstance(value, dict | list):
        assert result == value
        assert field.parse(field.format(value)) == value
    else:
        # A scalar goes as its JSON text, which the server decodes back to the value.
        assert isinstance(result, str)
        assert json.loads(result) == value
        assert field.parse(field.format(result)) == result


def test_an_unknown_credential_is_put_on_its_field() -> None:
    specs = [
        FieldSpec("login", FieldKind.CREDENTIAL_ID, required=True),
        FieldSpec("backup", FieldKind.CREDENTIAL_ID, required=False),
    ]
    message = (
        "Invalid credential ID: cred_nope. Failed to resolve to a valid credential. "
        "Invalid credential ID: cred_nope. Failed to resolve to a valid credential."
    )
    found = errors_from_server(message, specs, {"login": "cred_ok", "backup": "cred_nope"})
    assert list(found) == ["backup"]
    assert "cred_nope" in found["backup"]
