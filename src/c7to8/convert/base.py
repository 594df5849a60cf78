"""The conversion pipeline shared by every history entity type.

One entity = one C7 row plus what the orchestrator resolved for it (a frozen *context*):

1. ``precheck``  — skips decided before anything is built (C8-deleted parents, CMMN, standalone
   tasks, unsupported jobs), in the official order;
2. every applicable interceptor's ``preset_parent_properties`` hook;
3. ``preset``    — fields from the resolved lookups (keys, partition, dates); a value an
   interceptor hook already set is kept;
4. the interceptor chain (the built-in transformer of the type, then custom interceptors);
   a failing interceptor skips the entity with the official text
   ``<SimpleName> failed for entity type '<C7EntityClass>'``;
5. ``check``     — dependency checks in the documented order (first failure wins);
6. ``finish``    — the C8 rows to insert, in insert order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import SkipError
from .common import ConvertSettings, HistoryType, interceptor_failed, required_field_null


class EntityInterceptorError(Exception):
    """Raised by an interceptor whose message is the skip reason (the official
    EntityInterceptorException); any other exception becomes `<Name> failed for entity type …`."""


@dataclass
class EntityInterceptorContext:
    """What an entity interceptor sees and may change.

    entity_type  the tracking TYPE (`HISTORY_PROCESS_INSTANCE`, …)
    c7           the C7 row (read-only mapping keyed by C7 column names)
    c8           the main C8 row being built (mutable, keyed by C8 column names)
    context      the type's frozen conversion context (settings and resolved lookups)
    tags         tags of process instances / user tasks (PROCESS_INSTANCE_TAG / USER_TASK_TAG)
    extra        type-specific state shared by preset / transformer / finish
    """

    entity_type: HistoryType
    c7: Mapping[str, Any]
    c8: dict[str, Any]
    context: Any
    tags: set[str] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> ConvertSettings:
        settings: ConvertSettings = self.context.settings
        return settings

    def preset(self, column: str, value: Any) -> None:
        """Set a looked-up value unless an interceptor's preset hook already set the column."""
        if value is not None and self.c8.get(column) is None:
            self.c8[column] = value


class EntityInterceptor:
    """Base class of entity interceptors (built-in transformers and custom plug-ins).

    ``types``: empty = every entity; otherwise TYPE names (``HISTORY_FLOW_NODE``), official C7
    entity class names (``HistoricActivityInstanceEntity``) or their interfaces
    (``HistoricActivityInstance``). ``order`` sorts custom interceptors (they always run after
    the built-in transformer). Configuration ``properties`` are set as attributes.
    """

    types: ClassVar[frozenset[str]] = frozenset()
    order: int = 0

    def handles(self, spec: EntitySpec) -> bool:
        return not self.types or bool(self.types & spec.aliases)

    def preset_parent_properties(self, ctx: EntityInterceptorContext) -> None:
        """Optional hook: pre-set keys the migrator would otherwise resolve (preset values win)."""

    def execute(self, ctx: EntityInterceptorContext) -> None:
        raise NotImplementedError


class BuiltinTransformer(EntityInterceptor):
    """A built-in transformer; registered under the official Java class name."""

    official_name: ClassVar[str] = ""

    def handles(self, spec: EntitySpec) -> bool:
        return isinstance(self, spec.transformer)


@dataclass
class Converted:
    """The result of one C7 entity: C8 rows in insert order plus what tracking needs.

    rows          (table, row) pairs in insert order (parents before children)
    c8_key        MIGRATION_MAPPING.C8_KEY (decimal key; `4095-<key>` for audit logs)
    partition_id  MIGRATION_MAPPING.PARTITION_ID (process instances only)
    """

    entity_type: HistoryType
    c7_id: str
    c8_key: str
    rows: list[tuple[str, dict[str, Any]]]
    partition_id: int | None = None
    main_index: int = 0

    def table(self, name: str) -> list[dict[str, Any]]:
        return [row for table, row in self.rows if table == name]

    @property
    def main(self) -> dict[str, Any]:
        """The C8 row of the tracked entity itself (e.g. the root decision instance)."""
        return self.rows[self.main_index][1]


Hook = Callable[[EntityInterceptorContext], None]


@dataclass(frozen=True)
class EntitySpec:
    """Declarative description of one history entity type (for the orchestrator and the pipeline).

    c7_table / c7_id_column  where the tracking id comes from
    c8_key_column / c8_tables  main key column; every table written (main table first; the
                    insert order of one entity is the order of Converted.rows)
    needs           lookups the orchestrator resolves per row (names documented in
                    docs/history-mapping.md), in the official lookup order
    create_time_column  C7 column that becomes MIGRATION_MAPPING.CREATE_TIME
    columns         every column of the main C8 row (initialised to NULL)
    required        (column, official field name) that must not be NULL after conversion
    """

    entity_type: HistoryType
    c7_entity_class: str
    c7_interface: str
    c7_table: str
    c7_id_column: str
    create_time_column: str
    c8_key_column: str
    c8_tables: tuple[str, ...]
    needs: tuple[str, ...]
    columns: tuple[str, ...]
    transformer: type[BuiltinTransformer]
    precheck: Callable[[Mapping[str, Any], Any], None]
    preset: Hook
    check: Hook
    finish: Callable[[EntityInterceptorContext], Converted]
    required: tuple[tuple[str, str], ...] = ()

    @property
    def aliases(self) -> frozenset[str]:
        return frozenset({self.entity_type.value, self.c7_entity_class, self.c7_interface})

    @property
    def main_table(self) -> str:
        return self.c8_tables[0]


def _failure(interceptor: EntityInterceptor, spec: EntitySpec, exc: Exception) -> SkipError:
    if isinstance(exc, SkipError):
        return exc
    if isinstance(exc, EntityInterceptorError):
        return SkipError(str(exc))
    return SkipError(interceptor_failed(type(interceptor).__name__, spec.c7_entity_class))


def run_chain(spec: EntitySpec, ictx: EntityInterceptorContext, chain: Sequence[EntityInterceptor]) -> None:
    """Interceptor step of the pipeline (step 4)."""
    for interceptor in chain:
        if not interceptor.handles(spec):
            continue
        try:
            interceptor.execute(ictx)
        except Exception as exc:  # noqa: BLE001 - a plug-in may raise anything
            raise _failure(interceptor, spec, exc) from exc


_NO_PRESET = EntityInterceptor.preset_parent_properties


def run_pipeline(
    spec: EntitySpec,
    row: Mapping[str, Any],
    context: Any,
    chain: Iterable[EntityInterceptor] | None = None,
) -> Converted:
    """Steps 1–6 for one C7 row. Raises SkipError with the official reason text."""
    interceptors: list[EntityInterceptor]
    if isinstance(chain, list):
        interceptors = chain
    else:
        interceptors = list(chain) if chain is not None else [spec.transformer()]
    spec.precheck(row, context)
    ictx = EntityInterceptorContext(spec.entity_type, row, dict.fromkeys(spec.columns), context)
    ictx.extra["chain"] = interceptors
    for interceptor in interceptors:
        if type(interceptor).preset_parent_properties is _NO_PRESET or not interceptor.handles(spec):
            continue
        try:
            interceptor.preset_parent_properties(ictx)
        except Exception as exc:  # noqa: BLE001
            raise _failure(interceptor, spec, exc) from exc
    spec.preset(ictx)
    run_chain(spec, ictx, interceptors)
    spec.check(ictx)
    for column, name in spec.required:
        if ictx.c8.get(column) is None:
            raise SkipError(required_field_null(name))
    return spec.finish(ictx)
