"""Input and output records of variable conversion (plain data, no I/O)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any

from ..errors import ConfigError
from .jsontext import JsonValue

EMPTY_STRING_MARKER = "!emptyString!"
"""C7 writes this into TEXT2_ for an empty string (Oracle stores '' as NULL)."""

JAVA_SERIALIZED = "application/x-java-serialized-object"
JSON_FORMAT = "application/json"
XML_FORMAT = "application/xml"


class VariableEntity(enum.Enum):
    """Which C7 table a value comes from; the values are the official C7 entity class names."""

    RUNTIME_VARIABLE = "VariableInstanceEntity"
    HISTORIC_VARIABLE = "HistoricVariableInstanceEntity"
    DECISION_INPUT = "HistoricDecisionInputInstanceEntity"
    DECISION_OUTPUT = "HistoricDecisionOutputInstanceEntity"


class Mode(enum.Enum):
    """Which flavour of C8 value is built."""

    RUNTIME = "runtime"
    HISTORY = "history"


class ValueType(enum.Enum):
    """The C7 value type of a variable, resolved from its serializer name (TYPE_ / VAR_TYPE_)."""

    NULL = "null"
    BOOLEAN = "boolean"
    SHORT = "short"
    INTEGER = "integer"
    LONG = "long"
    DOUBLE = "double"
    STRING = "string"
    DATE = "date"
    BYTES = "bytes"
    FILE = "file"
    OBJECT = "object"
    JSON = "json"
    XML = "xml"
    UNKNOWN = "unknown"


_SIMPLE_TYPES = {t.value: t for t in ValueType if t not in (ValueType.OBJECT, ValueType.UNKNOWN)}


def string_value(text: str | None, text2: str | None) -> str | None:
    """The C7 string value from ``TEXT_``/``TEXT2_`` (the Oracle empty-string marker resolved)."""
    if text is None and text2 == EMPTY_STRING_MARKER:
        return ""
    return text


@dataclass(frozen=True)
class C7Variable:
    """One Camunda 7 variable value exactly as stored in the database.

    Columns: ``type_name`` is ``ACT_RU_VARIABLE.TYPE_`` or ``VAR_TYPE_`` of ``ACT_HI_VARINST`` /
    ``ACT_HI_DEC_IN`` / ``ACT_HI_DEC_OUT`` -- the C7 *serializer name* (``string``, ``serializable``,
    ``spin://application/json``, ``json``, ...). ``text``/``text2``/``long_value``/``double_value``
    are ``TEXT_``/``TEXT2_``/``LONG_``/``DOUBLE_``; ``bytes_value`` is ``ACT_GE_BYTEARRAY.BYTES_`` of
    the row ``BYTEARRAY_ID_`` points to (None if there is none).

    Objects: C7 has no separate column for the serialization format or object type name. The
    format is part of the serializer name (``serializable`` = Java serialization,
    ``spin://<format>`` = Spin data format) and ``TEXT2_`` holds the object type name. Callers that
    know them from elsewhere (e.g. the C7 REST API, type name ``object``) may pass
    ``serialization_format`` / ``object_type_name`` explicitly; these win over the derived values.

    Scope fields are informational for interceptors (the converter never needs them).
    """

    name: str
    type_name: str | None
    text: str | None = None
    text2: str | None = None
    long_value: int | None = None
    double_value: float | None = None
    bytes_value: bytes | None = None
    serialization_format: str | None = None
    object_type_name: str | None = None
    entity: VariableEntity | None = None
    id: str | None = None
    process_instance_id: str | None = None
    execution_id: str | None = None
    activity_instance_id: str | None = None
    task_id: str | None = None
    case_instance_id: str | None = None
    tenant_id: str | None = None
    row: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    """The raw C7 row, if the reader wants interceptors to see it (like the official ``getEntity()``)."""

    @property
    def value_type(self) -> ValueType:
        name = (self.type_name or "").strip()
        if name in _SIMPLE_TYPES:
            return _SIMPLE_TYPES[name]
        if name in ("serializable", "object") or name.startswith("spin://"):
            return ValueType.OBJECT
        return ValueType.UNKNOWN

    @property
    def format(self) -> str | None:
        """Serialization data format of an object value (None for other types)."""
        if self.serialization_format:
            return self.serialization_format
        name = (self.type_name or "").strip()
        if name == "serializable":
            return JAVA_SERIALIZED
        if name.startswith("spin://"):
            return name[len("spin://") :]
        if name == "json":
            return JSON_FORMAT
        if name == "xml":
            return XML_FORMAT
        return None

    @property
    def type_name_of_object(self) -> str | None:
        """Java class name of an object value (``TEXT2_``)."""
        if self.object_type_name:
            return self.object_type_name
        if self.value_type in (ValueType.OBJECT, ValueType.JSON, ValueType.XML):
            return self.text2
        return None

    @property
    def string_value(self) -> str | None:
        """``TEXT_``, with the Oracle empty-string marker resolved."""
        return string_value(self.text, self.text2)

    def serialized_text(self) -> str | None:
        """Serialized value of an object/Spin value as text (engine charset UTF-8; bad bytes replaced)."""
        if self.bytes_value is None:
            return None
        return self.bytes_value.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class RuntimeValue:
    """A value for the ``variables`` map of a Camunda 8 REST request."""

    name: str
    value: JsonValue


@dataclass(frozen=True)
class HistoryValue:
    """A value for Camunda 8's history tables.

    ``text`` is the JSON text (what DECISION_INSTANCE_INPUT/OUTPUT store). ``columns`` are the
    derived ``VARIABLE`` row fields: ``TYPE``, ``VAR_VALUE``, ``VAR_FULL_VALUE``, ``LONG_VALUE``,
    ``DOUBLE_VALUE``, ``IS_PREVIEW``.
    """

    name: str
    text: str
    columns: dict[str, Any]


@dataclass(frozen=True)
class DocumentUpload:
    """Content of a ``bytes``/``file`` variable to upload to ``POST /v2/documents``.

    The orchestrator uploads ``content`` as the ``file`` part with :meth:`metadata` as the
    ``metadata`` part, then passes the returned document reference to
    ``VariableConverter.runtime_from_document`` / ``history_from_document``.
    """

    variable_name: str
    content: bytes
    file_name: str
    content_type: str
    encoding: str | None
    mode: Mode
    entity: VariableEntity
    c7_type: str

    def metadata(self) -> dict[str, Any]:
        """The ``DocumentMetadata`` JSON part of the upload request."""
        custom: dict[str, Any] = {"c7VariableName": self.variable_name, "c7Type": self.c7_type}
        if self.encoding:
            custom["encoding"] = self.encoding
        return {
            "contentType": self.content_type,
            "fileName": self.file_name,
            "size": len(self.content),
            "customProperties": custom,
        }


@dataclass(frozen=True)
class VariableSettings:
    """Conversion settings (c7to8's own, beyond the official tool).

    ``official_bytes_behaviour``: True restores the official tool's skip of ``bytes`` and ``file``
    variables; False (default) turns them into C8 documents.
    ``official_java_objects_behaviour``: True restores the official skip of Java-serialized
    objects; False (default) decodes them into JSON.
    ``official_unknown_values_behaviour``: True makes unknown types and unknown object formats
    migrate as ``null`` like the official tool; False (default) keeps text formats as strings and
    skips the rest with a reason.
    """

    time_zone: str = "UTC"
    official_bytes_behaviour: bool = False
    official_java_objects_behaviour: bool = False
    official_unknown_values_behaviour: bool = False
    history_preview_size: int = 8191
    history_max_bytes: int | None = None
    max_runtime_value_bytes: int = 4 * 1024 * 1024
    java_max_depth: int = 100
    java_max_nodes: int = 1_000_000
    java_max_output_chars: int = 64 * 1024 * 1024

    def tz(self) -> tzinfo:
        """The zone dates are written in (IANA name, ``UTC``/``Z`` or a fixed ``+HH:MM`` offset)."""
        return parse_zone(self.time_zone)

    @classmethod
    def from_config(cls, config: Any) -> VariableSettings:
        """Build from ``c7to8.config.Config`` (``extras.time_zone``, ``documents``, ``java_objects``)."""
        extras = config.extras
        return cls(
            time_zone=extras.time_zone,
            official_bytes_behaviour=extras.documents == "official",
            official_java_objects_behaviour=extras.java_objects == "official",
        )


@lru_cache(maxsize=64)
def parse_zone(name: str) -> tzinfo:
    """``UTC``/``Z``/``GMT``, a fixed offset (``+02``, ``+0200``, ``+02:00``) or an IANA zone name."""
    from zoneinfo import ZoneInfo

    text = name.strip()
    try:
        if text.upper() in ("UTC", "Z", "GMT"):
            return UTC
        if text[:1] in "+-" and len(text) in (3, 5, 6):
            sign = -1 if text[0] == "-" else 1
            digits = text[1:].replace(":", "")
            hours = int(digits[:2])
            minutes = int(digits[2:4] or 0)
            return timezone(sign * timedelta(hours=hours, minutes=minutes))
        return ZoneInfo(text)
    except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ConfigError("c7to8.time-zone", f"'{name}' is not a known time zone (e.g. UTC, Europe/Berlin)") from exc
