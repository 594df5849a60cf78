"""C8 VARIABLE row derivation (type detection, preview truncation) and Java-style number text."""

from __future__ import annotations

import pytest

from c7to8.variables import C7Variable, VariableConverter, VariableEntity, VariableSettings, variable_columns
from c7to8.variables.jsontext import java_double, java_float_string

ROW = {"VAR_FULL_VALUE": None, "LONG_VALUE": None, "DOUBLE_VALUE": None, "IS_PREVIEW": False}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, {"TYPE": "NULL", "VAR_VALUE": None}),
        ("null", {"TYPE": "NULL", "VAR_VALUE": None}),
        ("NULL", {"TYPE": "NULL", "VAR_VALUE": None}),
        ("true", {"TYPE": "BOOLEAN", "VAR_VALUE": "true"}),
        ("FALSE", {"TYPE": "BOOLEAN", "VAR_VALUE": "false"}),
        ("1234", {"TYPE": "LONG", "VAR_VALUE": "1234", "LONG_VALUE": 1234}),
        ("-7", {"TYPE": "LONG", "VAR_VALUE": "-7", "LONG_VALUE": -7}),
        ("1.5", {"TYPE": "DOUBLE", "VAR_VALUE": "1.5", "DOUBLE_VALUE": 1.5}),
        (".5", {"TYPE": "DOUBLE", "VAR_VALUE": ".5", "DOUBLE_VALUE": 0.5}),
        ("1.", {"TYPE": "STRING", "VAR_VALUE": "1."}),
        ("1.0E7", {"TYPE": "STRING", "VAR_VALUE": "1.0E7"}),
        ("+1", {"TYPE": "STRING", "VAR_VALUE": "+1"}),
        ("99999999999999999999", {"TYPE": "STRING", "VAR_VALUE": "99999999999999999999"}),
        ('"text"', {"TYPE": "STRING", "VAR_VALUE": '"text"'}),
        ('{"a":1}', {"TYPE": "STRING", "VAR_VALUE": '{"a":1}'}),
    ],
)
def test_type_detection(text: str | None, expected: dict[str, object]) -> None:
    assert variable_columns(text) == {**ROW, **expected}


def test_preview_truncation_by_length_and_bytes() -> None:
    text = '"' + "ä" * 20 + '"'
    row = variable_columns(text, preview_size=10)
    assert row["VAR_VALUE"] == '"' + "ä" * 9
    assert row["VAR_FULL_VALUE"] == text
    assert row["IS_PREVIEW"] is True
    row = variable_columns(text, preview_size=100, max_bytes=8)
    assert row["VAR_VALUE"] == '"' + "ä" * 3  # 1 + 3*2 bytes; a 4th ä would need 9
    assert row["IS_PREVIEW"] is True
    assert variable_columns(text, preview_size=10, truncate=False)["IS_PREVIEW"] is False
    # a surrogate pair counts as two UTF-16 units and is never split
    assert variable_columns('"\U0001f600\U0001f600', preview_size=2)["VAR_VALUE"] == '"'


def test_large_spin_json_is_previewed_only_for_historic_variables() -> None:
    conv = VariableConverter(VariableSettings(history_preview_size=8191))
    body = '{"k":"' + "x" * 9000 + '"}'
    hist = conv.to_history(C7Variable("big", "json", bytes_value=body.encode()))
    assert hist.columns["IS_PREVIEW"] is True  # type: ignore[union-attr]
    assert hist.columns["VAR_VALUE"] == body[:8191]  # type: ignore[union-attr]
    assert hist.columns["VAR_FULL_VALUE"] == body  # type: ignore[union-attr]
    dec = conv.to_history(C7Variable("big", "json", bytes_value=body.encode(), entity=VariableEntity.DECISION_INPUT))
    assert dec.text == body  # type: ignore[union-attr]
    assert dec.columns["IS_PREVIEW"] is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (1.5, "1.5"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (100.0, "100.0"),
        (1e7, "1.0E7"),
        (9999999.0, "9999999.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1.234e-5, "1.234E-5"),
        (3.14, "3.14"),
        (1e20, "1.0E20"),
        (123456789.123, "1.23456789123E8"),
        (2e-323, "2.0E-323"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
    ],
)
def test_java_double(value: float, text: str) -> None:
    assert java_double(value) == text


def test_java_float() -> None:
    assert java_float_string(1.100000023841858) == "1.1"
    assert java_float_string(1e10) == "1.0E10"
