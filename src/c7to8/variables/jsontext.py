"""JSON text helpers that behave like the Jackson defaults used by Camunda.

* :func:`java_double` renders a float like Java's ``Double.toString`` (``1.0``, ``1.0E7``, ``1.0E-4``).
* :func:`java_float` gives the float value a Java ``float`` prints as (shortest float32 digits).
* :func:`dumps` writes compact JSON like Jackson's default ``ObjectMapper`` (doubles via
  ``Double.toString``, only control characters escaped, non-ASCII kept, ``NaN`` as a string).
* :func:`loads_prefix` parses the first JSON value of a text and ignores trailing content, as
  Jackson does when binding one value; comments, ``NaN`` and single quotes are rejected.
* :func:`to_json_compatible` makes a parsed value safe for any JSON encoder (non-finite floats
  become the strings Jackson would write).
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

JsonValue = Any
"""A JSON-able Python value: None, bool, int, float, str, list of them, dict with str keys."""

_JSON_WS = " \t\n\r"


class JsonSyntaxError(ValueError):
    """The text is not a JSON value."""


def java_double(value: float) -> str:
    """Java ``Double.toString`` (JDK 19+ shortest-digit algorithm)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    digits, exp10 = _shortest_digits(repr(abs(value)))
    return sign + _java_layout(digits, exp10)


def java_float(value: float) -> float:
    """The double a Java ``float`` shows as: its shortest round-tripping float32 digits."""
    if not math.isfinite(value) or value == 0.0:
        return value
    packed = struct.pack(">f", value)
    for precision in range(1, 10):
        text = f"{value:.{precision}g}"
        if struct.pack(">f", float(text)) == packed:
            return float(text)
    return value


def java_float_string(value: float) -> str:
    """Java ``Float.toString`` for a float32 value."""
    if not math.isfinite(value) or value == 0.0:
        return java_double(value)
    shortest = java_float(value)
    sign = "-" if shortest < 0 else ""
    digits, exp10 = _shortest_digits(repr(abs(shortest)))
    return sign + _java_layout(digits, exp10)


def _shortest_digits(text: str) -> tuple[str, int]:
    """Significant digits (no leading/trailing zeros) and the exponent of the first digit."""
    dec = Decimal(text)
    sign, digit_tuple, exponent = dec.as_tuple()
    digits = "".join(str(d) for d in digit_tuple).lstrip("0")
    assert isinstance(exponent, int)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped or "0"
    return digits, exponent + len(digits) - 1


def _java_layout(digits: str, exp10: int) -> str:
    if -3 <= exp10 < 7:
        if exp10 >= 0:
            whole = digits[: exp10 + 1].ljust(exp10 + 1, "0")
            frac = digits[exp10 + 1 :] or "0"
            return f"{whole}.{frac}"
        return "0." + "0" * (-exp10 - 1) + digits
    return f"{digits[0]}.{digits[1:] or '0'}E{exp10}"


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')
"""Any character :func:`quote` escapes: quote, backslash, control characters, surrogates."""


def quote(text: str) -> str:
    """A JSON string literal: only quote, backslash and control characters are escaped."""
    if _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'
    return _quote_escaped(text)


def _quote_escaped(text: str) -> str:
    out = ['"']
    start = 0
    for i, ch in enumerate(text):
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            esc = _SHORT_ESCAPES[ch]
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            esc = f"\\u{code:04X}"
        else:
            continue
        out.append(text[start:i])
        out.append(esc)
        start = i + 1
    out.append(text[start:])
    out.append('"')
    return "".join(out)


def dumps(value: JsonValue) -> str:
    """Compact JSON text of a JSON-able value, formatted like Jackson's defaults."""
    parts: list[str] = []
    _write(value, parts, 0)
    return "".join(parts)


_MAX_WRITE_DEPTH = 5000


def _write(value: JsonValue, out: list[str], depth: int) -> None:
    if depth > _MAX_WRITE_DEPTH:
        raise ValueError("JSON value nested too deeply")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(java_double(value) if math.isfinite(value) else quote(java_double(value)))
    elif isinstance(value, Decimal):
        out.append(str(value) if value.is_finite() else quote(str(value)))
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(quote(key if isinstance(key, str) else str(key)))
            out.append(":")
            _write(item, out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:
        raise TypeError(f"value of type {type(value).__name__} is not JSON-able")


def _reject_constant(name: str) -> Any:
    raise JsonSyntaxError(f"non-standard JSON literal {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads_prefix(text: str) -> tuple[JsonValue, str]:
    """Parse the first JSON value of `text` (Jackson style: trailing content is ignored).

    Returns the value and the exact source text of that value (leading whitespace removed).
    Raises :class:`JsonSyntaxError` for anything that is not JSON.
    """
    start = 0
    while start < len(text) and text[start] in _JSON_WS:
        start += 1
    if start == len(text):
        raise JsonSyntaxError("no JSON value (empty text)")
    try:
        value, end = _DECODER.raw_decode(text, start)
    except ValueError as exc:  # JSONDecodeError, or an integer beyond Python's digit limit
        raise JsonSyntaxError(str(exc)) from exc
    except RecursionError as exc:
        raise JsonSyntaxError("JSON value nested too deeply") from exc
    return value, text[start:end]


def to_json_compatible(value: JsonValue) -> JsonValue:
    """Replace non-finite floats (Jackson writes them as strings) so any JSON encoder accepts the value."""
    stack: list[Any] = [value]
    if isinstance(value, float) and not math.isfinite(value):
        return java_double(value)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if isinstance(v, float) and not math.isfinite(v):
                    item[k] = java_double(v)
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(item, list):
            for i, v in enumerate(item):
                if isinstance(v, float) and not math.isfinite(v):
                    item[i] = java_double(v)
                elif isinstance(v, dict | list):
                    stack.append(v)
    return value
