"""Camunda 8 ``VARIABLE`` row fields derived from a value's JSON text.

Mirrors Camunda 8's own ``VariableDbModel`` builder (type detection of ``ValueTypeUtil``) and its
preview truncation, so rows written by c7to8 look like rows written by the Camunda 8 exporter.
"""

from __future__ import annotations

import re
from typing import Any

C8_TYPE_NULL = "NULL"
C8_TYPE_BOOLEAN = "BOOLEAN"
C8_TYPE_LONG = "LONG"
C8_TYPE_DOUBLE = "DOUBLE"
C8_TYPE_STRING = "STRING"

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


_PARSABLE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")


def _is_parsable(text: str) -> bool:
    """commons-lang3 ``NumberUtils.isParsable``: ``-?digits`` with at most one ``.``, not ending in ``.``.

    ASCII digits only; the ``.`` may come first (``.5``, ``-.5``) but not last.
    """
    return _PARSABLE.fullmatch(text) is not None


def value_type(text: str | None) -> str:
    """Camunda 8's ``ValueTypeUtil.getValueType`` for a value string."""
    if text is None:
        return C8_TYPE_NULL
    lowered = text.lower()
    if lowered == "null":
        return C8_TYPE_NULL
    if lowered in ("true", "false"):
        return C8_TYPE_BOOLEAN
    if not _is_parsable(text):
        return C8_TYPE_STRING
    if "." in text:
        return C8_TYPE_DOUBLE
    # Camunda 8 would fail on a digit string beyond the long range (Long.parseLong); keep it a string.
    return C8_TYPE_LONG if _INT64_MIN <= int(text) <= _INT64_MAX else C8_TYPE_STRING


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _cut_utf16(text: str, units: int) -> str:
    """The longest prefix with at most `units` UTF-16 code units (never splits a surrogate pair)."""
    if len(text) <= units and all(ord(ch) <= 0xFFFF for ch in text):
        return text
    count = 0
    for i, ch in enumerate(text):
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > units:
            return text[:i]
    return text


def _cut_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix whose UTF-8 encoding has at most `max_bytes` bytes (whole characters only)."""
    raw = text.encode("utf-8", errors="surrogatepass")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode("utf-8", errors="ignore")


def variable_columns(
    text: str | None, *, preview_size: int = 8191, max_bytes: int | None = None, truncate: bool = True
) -> dict[str, Any]:
    """The derived ``VARIABLE`` columns for the value string `text`.

    Keys: ``TYPE``, ``VAR_VALUE``, ``VAR_FULL_VALUE``, ``LONG_VALUE``, ``DOUBLE_VALUE``, ``IS_PREVIEW``.
    STRING values longer than `preview_size` UTF-16 code units (then more than `max_bytes` UTF-8
    bytes, if set) are cut; the whole value then goes to ``VAR_FULL_VALUE`` and ``IS_PREVIEW`` is
    true. `truncate=False` skips truncation (the official tool does not truncate ``legacyId``).
    """
    kind = value_type(text)
    row: dict[str, Any] = {
        "TYPE": kind,
        "VAR_VALUE": None,
        "VAR_FULL_VALUE": None,
        "LONG_VALUE": None,
        "DOUBLE_VALUE": None,
        "IS_PREVIEW": False,
    }
    if kind == C8_TYPE_NULL or text is None:
        return row
    if kind == C8_TYPE_BOOLEAN:
        row["VAR_VALUE"] = text.lower()
        return row
    row["VAR_VALUE"] = text
    if kind == C8_TYPE_LONG:
        row["LONG_VALUE"] = int(text)
        return row
    if kind == C8_TYPE_DOUBLE:
        row["DOUBLE_VALUE"] = float(text)
        return row
    if not truncate:
        return row
    preview = text
    # a character is at most 2 UTF-16 code units and 4 UTF-8 bytes: short texts need no counting
    if 2 * len(preview) > preview_size and _utf16_len(preview) > preview_size:
        preview = _cut_utf16(preview, preview_size)
    if max_bytes is not None and 4 * len(preview) > max_bytes:
        preview = _cut_utf8(preview, max_bytes)
    if preview != text:
        row["VAR_VALUE"] = preview
        row["VAR_FULL_VALUE"] = text
        row["IS_PREVIEW"] = True
    return row
