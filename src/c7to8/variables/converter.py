"""The variable converter: C7 value -> C8 runtime value or C8 history value (pure, no I/O)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import SkipError, TargetError
from .history import variable_columns
from .interceptors import (
    BUILTIN_CLASSES,
    SIMPLE_BUILTINS,
    SimpleValueFunction,
    VariableContext,
    VariableInterceptor,
    build_variable_interceptors,
    interceptor_failure,
    run_chain,
)
from .jsontext import dumps, to_json_compatible
from .model import (
    JAVA_SERIALIZED,
    JSON_FORMAT,
    XML_FORMAT,
    C7Variable,
    DocumentUpload,
    HistoryValue,
    Mode,
    RuntimeValue,
    ValueType,
    VariableEntity,
    VariableSettings,
)

log = logging.getLogger("c7to8.variables")

_KNOWN_FORMATS = (JAVA_SERIALIZED, JSON_FORMAT, XML_FORMAT)
_MISSING: Any = object()
_MAX_CACHED_KINDS = 1000


class VariableConverter:
    """Converts C7 variables with the interceptor chain.

    ``to_runtime`` / ``to_history`` raise :class:`c7to8.errors.SkipError` with the skip reason
    (official texts where the official tool has one). ``bytes``/``file`` values come back as a
    :class:`DocumentUpload`; after uploading it, finish with ``runtime_from_document`` /
    ``history_from_document``.

    History fast path: when the chain for a kind of value (entity, C7 type) is nothing but the
    unmodified built-in transformer of a simple type (null, boolean, short, integer, long, double,
    string, date), ``to_history`` calls that transformer's function from
    :data:`~c7to8.variables.interceptors.SIMPLE_BUILTINS` directly instead of running the chain; the
    result is identical. `fast_path=False` always runs the chain (tests, diagnosis).
    """

    def __init__(
        self,
        settings: VariableSettings | None = None,
        interceptors: Sequence[VariableInterceptor] | None = None,
        *,
        fast_path: bool = True,
    ) -> None:
        self.settings = settings or VariableSettings()
        self.settings.tz()  # fail early on a bad zone
        self.interceptors: list[VariableInterceptor] = (
            list(interceptors) if interceptors is not None else build_variable_interceptors()
        )
        self._fast_path = fast_path  # decided per kind and cached: fixed for the converter's life
        self._chains: dict[tuple[object, ...], list[VariableInterceptor]] = {}
        self._fast: dict[tuple[object, ...], tuple[str, SimpleValueFunction] | None] = {}

    def _applicable(self, ctx: VariableContext) -> list[VariableInterceptor]:
        """The chain filtered by the standard entity/type filters, computed once per kind of value.

        Interceptors that override ``applies_to`` with their own logic stay in and are asked per value.
        """
        key = (ctx.entity, ctx.value_type, (ctx.variable.type_name or "").strip().lower())
        chain = self._chains.get(key)
        if chain is None:
            chain = [
                i for i in self.interceptors
                if type(i).applies_to is not VariableInterceptor.applies_to or i.applies_to(ctx)
            ]
            if len(self._chains) > _MAX_CACHED_KINDS:
                self._chains.clear()
            self._chains[key] = chain
        return chain

    def _fast_kind(self, entity: VariableEntity, type_name: str | None) -> tuple[str, SimpleValueFunction] | None:
        """(built-in class name, its value function) if the history chain of this kind is just that built-in.

        Decided once per (entity, C7 type name): `_applicable` depends on nothing else.
        """
        key = (entity, type_name)
        found: tuple[str, SimpleValueFunction] | None = self._fast.get(key, _MISSING)
        if found is not _MISSING:
            return found
        found = None
        probe = VariableContext(C7Variable("", type_name, entity=entity), Mode.HISTORY, entity, self.settings)
        builtin = SIMPLE_BUILTINS.get(probe.value_type)
        if self._fast_path and builtin is not None:
            chain = self._applicable(probe)
            if len(chain) == 1 and _is_plain(chain[0], builtin[0]):
                found = (builtin[0].__name__, builtin[1])
        if len(self._fast) > _MAX_CACHED_KINDS:
            self._fast.clear()
        self._fast[key] = found
        return found

    def builtin_chain(self, entity: VariableEntity, type_name: str) -> tuple[type[VariableInterceptor], ...] | None:
        """The classes of the history chain of this C7 value type, if every member is a plain built-in.

        None when a custom interceptor (or a built-in with something overridden) would see the value.
        """
        probe = VariableContext(C7Variable("", type_name, entity=entity), Mode.HISTORY, entity, self.settings)
        chain = self._applicable(probe)
        if not all(type(i) in BUILTIN_CLASSES and _is_plain(i, type(i)) for i in chain):
            return None
        return tuple(type(i) for i in chain)

    def plain_builtin(self, entity: VariableEntity, type_name: str) -> bool:
        """Is the chain of this C7 value type just its built-in transformer (what c7to8.bulk converts in SQL)?"""
        return self._fast_kind(entity, type_name) is not None

    @classmethod
    def from_config(cls, config: Any) -> VariableConverter:
        """From a ``c7to8.config.Config`` (settings from ``c7to8.*``, chain from ``camunda.migrator.interceptors``)."""
        return cls(VariableSettings.from_config(config), build_variable_interceptors(config.interceptors))

    # ------------------------------------------------------------------------------------------
    def context(self, var: C7Variable, mode: Mode) -> VariableContext:
        """Run the chain and return the finished context (for callers that need more than the value)."""
        entity = var.entity or (
            VariableEntity.RUNTIME_VARIABLE if mode is Mode.RUNTIME else VariableEntity.HISTORIC_VARIABLE
        )
        ctx = VariableContext(var, mode, entity, self.settings)
        run_chain(self._applicable(ctx), ctx, prefiltered=True)
        if not ctx.c8_value_set:
            self._fallback(ctx)
        return ctx

    def _fallback(self, ctx: VariableContext) -> None:
        """No interceptor produced a value. Official: null. c7to8: keep text formats, skip the rest."""
        if self.settings.official_unknown_values_behaviour:
            return
        var = ctx.variable
        if var.value_type is ValueType.UNKNOWN:
            raise SkipError(f"Variable of type '{var.type_name}' is unsupported in C8.")
        if var.value_type is ValueType.OBJECT and var.format not in _KNOWN_FORMATS:
            if var.bytes_value is None:
                return
            try:
                ctx.c8_value = var.bytes_value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SkipError(f"Objects serialized as '{var.format}' are unsupported in C8.") from exc

    # ------------------------------------------------------------------------------------------
    def to_runtime(self, var: C7Variable) -> RuntimeValue | DocumentUpload:
        """The value for a C8 REST ``variables`` map, or the document to upload first."""
        ctx = self.context(var, Mode.RUNTIME)
        if isinstance(ctx.c8_value, DocumentUpload):
            return ctx.c8_value
        return self._runtime_value(var.name, ctx.c8_value)

    def _runtime_value(self, name: str, value: Any) -> RuntimeValue:
        value = to_json_compatible(value)
        try:
            text = dumps(value)
        except (TypeError, ValueError) as exc:
            raise _not_json(name, value) from exc
        size = len(text.encode("utf-8", errors="surrogatepass"))
        limit = self.settings.max_runtime_value_bytes
        if size > limit:
            raise SkipError(
                f"Variable with name '{name}' is too large for Camunda 8: {size} bytes of JSON exceed the limit "
                f"of {limit} bytes."
            )
        return RuntimeValue(name, value)

    def to_history(self, var: C7Variable, *, truncate: bool | None = None) -> HistoryValue | DocumentUpload:
        """The JSON text and derived ``VARIABLE`` columns, or the document to upload first.

        `truncate` defaults to True for historic variables and False for decision inputs/outputs
        (their tables have no preview columns).
        """
        entity = var.entity or VariableEntity.HISTORIC_VARIABLE
        fast = self._fast_kind(entity, var.type_name)
        if fast is not None:
            return self._simple_history(
                fast, var.name, var.long_value, var.double_value, var.text, var.text2, entity, truncate
            )
        ctx = self.context(var, Mode.HISTORY)
        if isinstance(ctx.c8_value, DocumentUpload):
            return ctx.c8_value
        text = ctx.json_text()
        if text is None:
            text = self._history_text(var.name, ctx.c8_value)
        return self._history_value(var.name, text, ctx.entity, truncate)

    def simple_history(
        self,
        name: str,
        type_name: str | None,
        entity: VariableEntity,
        long_value: Any,
        double_value: Any,
        text: Any,
        text2: Any,
        truncate: bool | None = None,
    ) -> HistoryValue | None:
        """``to_history`` of the C7Variable with these fields (no bytes, no scope fields), if the fast path applies.

        None if this kind of value needs the interceptor chain: then build the ``C7Variable`` and call
        ``to_history``. Saves building a ``C7Variable`` for the common simple types.
        """
        fast = self._fast_kind(entity, type_name)
        if fast is None:
            return None
        return self._simple_history(fast, name, long_value, double_value, text, text2, entity, truncate)

    def _simple_history(
        self,
        fast: tuple[str, SimpleValueFunction],
        name: str,
        long_value: Any,
        double_value: Any,
        text: Any,
        text2: Any,
        entity: VariableEntity,
        truncate: bool | None,
    ) -> HistoryValue:
        try:
            value = fast[1](long_value, double_value, text, text2, self.settings)
        except SkipError:
            raise
        except Exception as exc:  # noqa: BLE001 - as run_chain: a failing built-in becomes a skip
            raise interceptor_failure(fast[0], name) from exc
        return self._history_value(name, self._history_text(name, value), entity, truncate)

    def _history_text(self, name: str, value: Any) -> str:
        try:
            return dumps(value)
        except (TypeError, ValueError) as exc:
            raise _not_json(name, value) from exc

    def _history_value(self, name: str, text: str, entity: VariableEntity, truncate: bool | None) -> HistoryValue:
        if truncate is None:
            truncate = entity is VariableEntity.HISTORIC_VARIABLE
        columns = variable_columns(
            text,
            preview_size=self.settings.history_preview_size,
            max_bytes=self.settings.history_max_bytes,
            truncate=truncate,
        )
        return HistoryValue(name, text, columns)

    # ------------------------------------------------------------------------------------------
    def runtime_from_document(self, upload: DocumentUpload, reference: Mapping[str, Any]) -> RuntimeValue:
        """The runtime value of an uploaded document: the C8 document reference object."""
        return self._runtime_value(upload.variable_name, document_value(reference))

    def history_from_document(
        self, upload: DocumentUpload, reference: Mapping[str, Any], *, truncate: bool | None = None
    ) -> HistoryValue:
        """The history value of an uploaded document: the reference as compact JSON text."""
        value = document_value(reference)
        return self._history_value(upload.variable_name, dumps(value), upload.entity, truncate)


def _is_plain(interceptor: VariableInterceptor, builtin: type[VariableInterceptor]) -> bool:
    """`interceptor` is an instance of exactly `builtin` with nothing overridden on the instance."""
    if type(interceptor) is not builtin:
        return False
    own = vars(interceptor)
    return "execute" not in own and "applies_to" not in own


def _not_json(name: str, value: Any) -> SkipError:
    kind = type(value).__name__
    return SkipError(f"Variable with name '{name}' has a value of type {kind} that cannot be written as JSON.")


_REQUIRED_REFERENCE_KEYS = ("camunda.document.type", "storeId", "documentId", "metadata")


def document_value(reference: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a ``DocumentReference`` returned by ``POST /v2/documents`` and return it as a variable value.

    Raises :class:`c7to8.errors.TargetError` if the response is not a document reference.
    """
    if not isinstance(reference, Mapping):
        raise TargetError("Camunda 8 returned no document reference for an uploaded document")
    missing = [k for k in _REQUIRED_REFERENCE_KEYS if k not in reference]
    if missing:
        raise TargetError(f"Camunda 8 document reference lacks {', '.join(missing)}")
    if reference["camunda.document.type"] != "camunda":
        raise TargetError(f"unexpected document type {reference['camunda.document.type']!r} in a document reference")
    if not isinstance(reference["documentId"], str) or not isinstance(reference["metadata"], Mapping):
        raise TargetError("Camunda 8 document reference has an invalid documentId or metadata")
    value: dict[str, Any] = {
        "camunda.document.type": "camunda",
        "storeId": reference["storeId"],
        "documentId": reference["documentId"],
        "contentHash": reference.get("contentHash"),
        "metadata": dict(reference["metadata"]),
    }
    return value
