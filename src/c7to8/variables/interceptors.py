"""Variable interceptors: the chain that turns a C7 value into a C8 value.

Every conversion rule is an interceptor, as in the official tool. Built-ins carry the official
Java class names (``io.camunda.migration.data.impl.interceptor.<Name>``) and can be switched off
with ``enabled: false``; custom ones are Python classes named in
``camunda.migrator.interceptors`` (see :mod:`c7to8.plugins`).

Writing one::

    from c7to8.variables.interceptors import VariableContext, VariableInterceptor

    class Upper(VariableInterceptor):
        types = frozenset({"string"})      # C7 value types it applies to; empty = all
        entity_types = frozenset()         # runtime / history / decision-input / ...; empty = all
        order = 100                        # built-ins use 1..20; unset = after all built-ins
        prefix = ""                        # settable from YAML `properties: {prefix: ...}`

        def execute(self, ctx: VariableContext) -> None:
            ctx.c8_value = self.prefix + str(ctx.c7_value).upper()

``ctx.c8_value`` is always a *value* (JSON-able Python object), in both modes; c7to8 turns it into
JSON text for history tables itself.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar

from ..errors import SkipError
from ..plugins import InterceptorSpec, build_chain, parse_interceptor_specs
from .dates import format_epoch_millis
from .javaser import JavaDeserializationError, decode_to_json
from .jsontext import JsonSyntaxError, java_double, loads_prefix
from .model import (
    JAVA_SERIALIZED,
    JSON_FORMAT,
    XML_FORMAT,
    C7Variable,
    DocumentUpload,
    Mode,
    ValueType,
    VariableEntity,
    VariableSettings,
    string_value,
)
from .xmltext import reserialize

log = logging.getLogger("c7to8.variables")

OFFICIAL_PACKAGE = "io.camunda.migration.data.impl.interceptor"
ORDER_LAST = 2**31 - 1
"""Order of interceptors that declare none (Java ``Ordered.LOWEST_PRECEDENCE``): after all built-ins."""

MSG_BYTES = "Variable of type 'byte[]' is unsupported in C8."
MSG_FILE = "Variable of type 'file' is unsupported in C8."
MSG_JAVA = "Objects serialized as 'application/x-java-serialized-object' are unsupported in C8."
MSG_JSON = "Error while deserializing JSON into Map type."

_TYPE_LABELS: dict[ValueType, frozenset[str]] = {
    ValueType.NULL: frozenset({"null", "nullvalueimpl"}),
    ValueType.BOOLEAN: frozenset({"boolean", "booleanvalue", "primitive", "primitivevalue"}),
    ValueType.SHORT: frozenset({"short", "shortvalue", "primitive", "primitivevalue"}),
    ValueType.INTEGER: frozenset({"integer", "integervalue", "primitive", "primitivevalue"}),
    ValueType.LONG: frozenset({"long", "longvalue", "primitive", "primitivevalue"}),
    ValueType.DOUBLE: frozenset({"double", "doublevalue", "primitive", "primitivevalue"}),
    ValueType.STRING: frozenset({"string", "stringvalue", "primitive", "primitivevalue"}),
    ValueType.DATE: frozenset({"date", "datevalue", "primitive", "primitivevalue"}),
    ValueType.BYTES: frozenset({"bytes", "bytesvalue", "primitive", "primitivevalue"}),
    ValueType.FILE: frozenset({"file", "filevalue"}),
    ValueType.OBJECT: frozenset({"object", "objectvalue", "serializable", "serializablevalue"}),
    ValueType.JSON: frozenset({"json", "jsonvalue", "spin", "spinvalue", "serializable", "serializablevalue"}),
    ValueType.XML: frozenset({"xml", "xmlvalue", "spin", "spinvalue", "serializable", "serializablevalue"}),
    ValueType.UNKNOWN: frozenset(),
}

_ENTITY_LABELS: dict[VariableEntity, frozenset[str]] = {
    VariableEntity.RUNTIME_VARIABLE: frozenset({"variableinstanceentity", "runtime", "runtime-variable"}),
    VariableEntity.HISTORIC_VARIABLE: frozenset({"historicvariableinstanceentity", "history", "historic-variable"}),
    VariableEntity.DECISION_INPUT: frozenset(
        {"historicdecisioninputinstanceentity", "history", "decision", "decision-input"}
    ),
    VariableEntity.DECISION_OUTPUT: frozenset(
        {"historicdecisionoutputinstanceentity", "history", "decision", "decision-output"}
    ),
}


class VariableInterceptorError(SkipError):
    """Raised by an interceptor to skip the variable with exactly this message (not wrapped)."""


_UNSET: Any = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class VariableContext:
    """What an interceptor sees and changes.

    ``variable``: the C7 value as stored; ``name``; ``value_type`` (``ValueType``); ``c7_value``
    (the typed C7 value: bool/int/float/str/aware datetime/bytes, or for objects the serialized
    text -- base64 for Java serialization); ``c8_value`` (read/write, starts as None); ``mode``
    (``Mode.RUNTIME`` / ``Mode.HISTORY``); ``entity`` (runtime variable, historic variable,
    decision input or output); ``settings``.
    """

    def __init__(self, variable: C7Variable, mode: Mode, entity: VariableEntity, settings: VariableSettings) -> None:
        self.variable = variable
        self.mode = mode
        self.entity = entity
        self.settings = settings
        self._c8_value: Any = _UNSET
        self._json_text: tuple[Any, str] | None = None

    @property
    def name(self) -> str:
        return self.variable.name

    @property
    def value_type(self) -> ValueType:
        return self.variable.value_type

    @property
    def is_runtime(self) -> bool:
        return self.mode is Mode.RUNTIME

    @property
    def is_history(self) -> bool:
        return self.mode is Mode.HISTORY

    @property
    def c8_value(self) -> Any:
        return None if self._c8_value is _UNSET else self._c8_value

    @c8_value.setter
    def c8_value(self, value: Any) -> None:
        self._c8_value = value

    @property
    def c8_value_set(self) -> bool:
        """Whether any interceptor assigned ``c8_value``."""
        return self._c8_value is not _UNSET

    def set_json(self, value: Any, text: str) -> None:
        """Set ``c8_value`` together with its exact JSON source text (kept verbatim in history)."""
        self._c8_value = value
        self._json_text = (value, text)

    def json_text(self) -> str | None:
        """The exact JSON text of ``c8_value`` if a built-in recorded it and nobody replaced the value."""
        if self._json_text is not None and self._json_text[0] is self._c8_value:
            return self._json_text[1]
        return None

    @cached_property
    def c7_value(self) -> Any:
        var = self.variable
        t = var.value_type
        if t is ValueType.BOOLEAN:
            return c7_boolean(var.long_value)
        if t is ValueType.SHORT:
            return c7_short(var.long_value)
        if t is ValueType.INTEGER:
            return c7_integer(var.long_value)
        if t is ValueType.LONG:
            return var.long_value
        if t is ValueType.DOUBLE:
            return var.double_value
        if t is ValueType.STRING:
            return var.string_value
        if t is ValueType.DATE:
            if var.long_value is None:
                return None
            return (_EPOCH + timedelta(milliseconds=var.long_value)).astimezone(self.settings.tz())
        if t in (ValueType.BYTES, ValueType.FILE):
            return var.bytes_value
        if t is ValueType.OBJECT and var.format == JAVA_SERIALIZED:
            return None if var.bytes_value is None else base64.b64encode(var.bytes_value).decode("ascii")
        if t in (ValueType.OBJECT, ValueType.JSON, ValueType.XML):
            return var.serialized_text()
        if t is ValueType.NULL:
            return None
        return var.text if var.text is not None else var.bytes_value


def _wrap(value: int, bits: int) -> int:
    mask = (1 << bits) - 1
    value &= mask
    return value - (1 << bits) if value >> (bits - 1) else value


# Typed C7 values and built-in C8 values of the simple types. ``VariableContext.c7_value``, the
# built-in transformers and the converter's history fast path all call these, so both ways give
# the very same value.


def c7_boolean(long_value: int | None) -> bool | None:
    """A C7 ``boolean`` from ``LONG_`` (1 is true)."""
    return None if long_value is None else long_value == 1


def c7_short(long_value: int | None) -> int | None:
    """A C7 ``short`` from ``LONG_`` (wrapped to 16 bits like the Java cast)."""
    return None if long_value is None else _wrap(long_value, 16)


def c7_integer(long_value: int | None) -> int | None:
    """A C7 ``integer`` from ``LONG_`` (wrapped to 32 bits like the Java cast)."""
    return None if long_value is None else _wrap(long_value, 32)


def primitive_c8_value(value: Any) -> Any:
    """The C8 value of a primitive C7 value: itself, NaN/Infinity as strings (like Jackson)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return java_double(value)
    return value


def date_c8_value(millis: int | None, settings: VariableSettings) -> str | None:
    """The C8 value of a C7 ``date`` (epoch millis in ``LONG_``): the official date text in the configured zone."""
    return None if millis is None else format_epoch_millis(millis, settings.tz())


def interceptor_failure(interceptor_name: str, variable_name: str) -> VariableInterceptorError:
    """The skip for an interceptor whose ``execute`` raised; call it in the ``except`` block (logs the trace)."""
    message = f"{interceptor_name} failed for variable with name '{variable_name}'"
    log.debug(message, exc_info=True)
    return VariableInterceptorError(message)


class VariableInterceptor:
    """Base class of variable interceptors (built-in and custom).

    ``types``: C7 value types it runs for; empty = all. Names are case-insensitive: c7to8 names
    (``null boolean short integer long double string date bytes file object json xml``, groups
    ``primitive`` ``serializable`` ``spin``), the raw C7 type name (``spin://application/json``) or
    the official Java names (``StringValue``, ``ObjectValue``, ``SpinValue``, ``PrimitiveValue``,
    ``TypedValue`` ...).
    ``entity_types``: which C7 entities; empty = all. ``runtime``/``VariableInstanceEntity``,
    ``history`` (all historic ones), ``historic-variable``/``HistoricVariableInstanceEntity``,
    ``decision`` (inputs and outputs), ``decision-input``, ``decision-output``.
    ``order``: lower runs first; built-ins use the official 1..20; default after all built-ins.
    """

    types: ClassVar[Iterable[str]] = frozenset()
    entity_types: ClassVar[Iterable[str]] = frozenset()
    order: int = ORDER_LAST

    def execute(self, ctx: VariableContext) -> None:
        raise NotImplementedError

    def applies_to(self, ctx: VariableContext) -> bool:
        entities, wanted = self._filters()
        if entities and not entities & _ENTITY_LABELS[ctx.entity]:
            return False
        if not wanted or "typedvalue" in wanted:
            return True
        if wanted & _TYPE_LABELS[ctx.value_type]:
            return True
        raw = (ctx.variable.type_name or "").strip().lower()
        return bool(raw) and raw in wanted

    def _filters(self) -> tuple[frozenset[str], frozenset[str]]:
        """Lower-cased entity and type filters, computed once per (entity_types, types) value."""
        key = (self.entity_types, self.types)
        cached = self.__dict__.get("_filter_cache")
        if cached is None or cached[0] != key:
            cached = (key, (frozenset(e.lower() for e in self.entity_types), frozenset(t.lower() for t in self.types)))
            self.__dict__["_filter_cache"] = cached
        result: tuple[frozenset[str], frozenset[str]] = cached[1]
        return result


# --------------------------------------------------------------------------------------------
# built-ins (official names and orders)


class ByteArrayVariableValidator(VariableInterceptor):
    """``bytes``: official -> skip; c7to8 -> a document upload."""

    types = frozenset({"BytesValue"})
    order = 1

    def execute(self, ctx: VariableContext) -> None:
        if ctx.settings.official_bytes_behaviour:
            raise VariableInterceptorError(MSG_BYTES)
        ctx.c8_value = DocumentUpload(
            variable_name=ctx.name,
            content=ctx.variable.bytes_value or b"",
            file_name=ctx.name,
            content_type="application/octet-stream",
            encoding=None,
            mode=ctx.mode,
            entity=ctx.entity,
            c7_type="bytes",
        )


class FileVariableValidator(VariableInterceptor):
    """``file``: official -> skip; c7to8 -> a document upload with file name, MIME type, encoding."""

    types = frozenset({"FileValue"})
    order = 2

    def execute(self, ctx: VariableContext) -> None:
        if ctx.settings.official_bytes_behaviour:
            raise VariableInterceptorError(MSG_FILE)
        mime: str | None = None
        encoding: str | None = None
        if ctx.variable.text2 is not None:
            head, _, tail = ctx.variable.text2.partition("#")
            mime, encoding = head or None, tail or None
        ctx.c8_value = DocumentUpload(
            variable_name=ctx.name,
            content=ctx.variable.bytes_value or b"",
            file_name=ctx.variable.text or ctx.name,
            content_type=mime or "application/octet-stream",
            encoding=encoding,
            mode=ctx.mode,
            entity=ctx.entity,
            c7_type="file",
        )


class ObjectJavaVariableValidator(VariableInterceptor):
    """Java-serialized objects: official -> skip; c7to8 -> decoded into JSON (:mod:`.javaser`)."""

    types = frozenset({"ObjectValue"})
    order = 3

    def execute(self, ctx: VariableContext) -> None:
        if ctx.variable.format != JAVA_SERIALIZED:
            return
        if ctx.settings.official_java_objects_behaviour:
            raise VariableInterceptorError(MSG_JAVA)
        data = ctx.variable.bytes_value
        if data is None:
            ctx.c8_value = None
            return
        s = ctx.settings
        try:
            ctx.c8_value = decode_to_json(
                data, s.tz(), max_depth=s.java_max_depth, max_nodes=s.java_max_nodes, max_chars=s.java_max_output_chars
            )
        except JavaDeserializationError as exc:
            type_name = ctx.variable.type_name_of_object or "unknown"
            raise VariableInterceptorError(
                f"Java-serialized object of type '{type_name}' cannot be converted to JSON: {exc}"
            ) from exc


def _parse_json(text: str) -> tuple[Any, str]:
    try:
        return loads_prefix(text)
    except JsonSyntaxError as exc:
        raise VariableInterceptorError(MSG_JSON) from exc


class ObjectJsonVariableTransformer(VariableInterceptor):
    """``application/json`` objects: the parsed JSON (history keeps the stored text verbatim)."""

    types = frozenset({"ObjectValue"})
    order = 10

    def execute(self, ctx: VariableContext) -> None:
        if ctx.variable.format != JSON_FORMAT:
            return
        text = ctx.variable.serialized_text()
        if text is None:
            ctx.c8_value = None
            return
        value, source = _parse_json(text)
        ctx.set_json(value, source)


class ObjectXmlVariableTransformer(VariableInterceptor):
    """``application/xml`` objects: the stored XML as a string (not re-serialized)."""

    types = frozenset({"ObjectValue"})
    order = 11

    def execute(self, ctx: VariableContext) -> None:
        if ctx.variable.format == XML_FORMAT:
            ctx.c8_value = ctx.variable.serialized_text()


class SpinJsonVariableTransformer(VariableInterceptor):
    """Spin ``json``: the parsed JSON; history gets Jackson's compact re-serialization."""

    types = frozenset({"JsonValue"})
    order = 12

    def execute(self, ctx: VariableContext) -> None:
        text = ctx.variable.serialized_text()
        if text is None:
            ctx.c8_value = None
            return
        value, _ = loads_prefix(text)  # a syntax error fails inside Spin in the official tool (wrapped)
        ctx.c8_value = value


class SpinXmlVariableTransformer(VariableInterceptor):
    """Spin ``xml``: the XML re-serialized like Spin's DOM writer, as a string."""

    types = frozenset({"XmlValue"})
    order = 13

    def execute(self, ctx: VariableContext) -> None:
        text = ctx.variable.serialized_text()
        ctx.c8_value = None if text is None else reserialize(text)


class NullVariableTransformer(VariableInterceptor):
    types = frozenset({"NullValueImpl"})
    order = 14

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = None


class PrimitiveVariableTransformer(VariableInterceptor):
    """boolean, short, integer, long, double: the value itself (NaN/Infinity as strings, like Jackson)."""

    types = frozenset({"BooleanValue", "DoubleValue", "LongValue", "IntegerValue", "ShortValue"})
    order = 15

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = primitive_c8_value(ctx.c7_value)


class StringVariableTransformer(VariableInterceptor):
    types = frozenset({"StringValue"})
    order = 16

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = ctx.c7_value


class DateVariableTransformer(VariableInterceptor):
    """``date``: ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` in the configured zone (official: JVM default zone)."""

    types = frozenset({"DateValue"})
    order = 20

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = date_c8_value(ctx.variable.long_value, ctx.settings)


BUILTIN_CLASSES: tuple[type[VariableInterceptor], ...] = (
    ByteArrayVariableValidator,
    FileVariableValidator,
    ObjectJavaVariableValidator,
    ObjectJsonVariableTransformer,
    ObjectXmlVariableTransformer,
    SpinJsonVariableTransformer,
    SpinXmlVariableTransformer,
    NullVariableTransformer,
    PrimitiveVariableTransformer,
    StringVariableTransformer,
    DateVariableTransformer,
)


# --------------------------------------------------------------------------------------------
# the built-in transformers of the simple types as plain functions (the converter's fast path)

SimpleValueFunction = Callable[[Any, Any, Any, Any, VariableSettings], Any]
"""``(LONG_, DOUBLE_, TEXT_, TEXT2_, settings)`` -> the C8 value the built-in transformer sets."""


def _null_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return None


def _boolean_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return primitive_c8_value(c7_boolean(long_value))


def _short_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return primitive_c8_value(c7_short(long_value))


def _integer_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return primitive_c8_value(c7_integer(long_value))


def _long_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return primitive_c8_value(long_value)


def _double_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return primitive_c8_value(double_value)


def _string_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return string_value(text, text2)


def _date_value(long_value: Any, double_value: Any, text: Any, text2: Any, settings: VariableSettings) -> Any:
    return date_c8_value(long_value, settings)


SIMPLE_BUILTINS: dict[ValueType, tuple[type[VariableInterceptor], SimpleValueFunction]] = {
    ValueType.NULL: (NullVariableTransformer, _null_value),
    ValueType.BOOLEAN: (PrimitiveVariableTransformer, _boolean_value),
    ValueType.SHORT: (PrimitiveVariableTransformer, _short_value),
    ValueType.INTEGER: (PrimitiveVariableTransformer, _integer_value),
    ValueType.LONG: (PrimitiveVariableTransformer, _long_value),
    ValueType.DOUBLE: (PrimitiveVariableTransformer, _double_value),
    ValueType.STRING: (StringVariableTransformer, _string_value),
    ValueType.DATE: (DateVariableTransformer, _date_value),
}
"""Per simple value type: the built-in transformer of that type, and what it computes as a function.

Each function is exactly what the transformer's ``execute`` does for a fresh context (same helpers:
``c7_value`` of these types is ``c7_boolean``/``c7_short``/``c7_integer``/``LONG_``/``DOUBLE_``/
``string_value``), so a chain consisting of only that transformer can be replaced by the call.
"""


def builtin_interceptors() -> list[tuple[tuple[str, str], VariableInterceptor]]:
    """Fresh built-in instances with the names they answer to (official Java name, Python path)."""
    return [
        ((f"{OFFICIAL_PACKAGE}.{cls.__name__}", f"{cls.__module__}.{cls.__qualname__}"), cls())
        for cls in BUILTIN_CLASSES
    ]


def build_variable_interceptors(config: Iterable[InterceptorSpec] | object = None) -> list[VariableInterceptor]:
    """The variable interceptor chain from ``camunda.migrator.interceptors`` (specs or the raw YAML list).

    Built-ins first, then custom ones; the whole chain is stably sorted by ``order`` like Spring's
    ``@Order`` sort in the official tool.
    """
    if config is None:
        specs: list[InterceptorSpec] = []
    elif isinstance(config, Sequence) and all(isinstance(s, InterceptorSpec) for s in config):
        specs = list(config)
    else:
        specs = parse_interceptor_specs(config)
    chain = build_chain(builtin_interceptors(), specs, VariableInterceptor, "VariableInterceptor")
    log.info("Configuring variable interceptors")
    chain = sorted(chain, key=lambda i: int(getattr(i, "order", ORDER_LAST)))
    log.info("In total %d variable interceptors configured", len(chain))
    return chain


def run_chain(chain: Sequence[VariableInterceptor], ctx: VariableContext, prefiltered: bool = False) -> None:
    """Run every matching interceptor in order; failures become :class:`SkipError` with the official text.

    `prefiltered`: the standard entity/type filters were already applied to this chain for this kind
    of value (only interceptors with their own ``applies_to`` are still asked).
    """
    standard = VariableInterceptor.applies_to
    for interceptor in chain:
        if prefiltered and type(interceptor).applies_to is standard:
            pass
        elif not interceptor.applies_to(ctx):
            continue
        try:
            interceptor.execute(ctx)
        except SkipError:
            raise
        except Exception as exc:  # noqa: BLE001 - any interceptor failure becomes a skip
            raise interceptor_failure(type(interceptor).__name__, ctx.name) from exc
