"""Entity interceptors: the built-in transformer of every history entity type plus custom
Python interceptors from `camunda.migrator.interceptors`, and the entry point that runs the
chain and the dependency checks for one entity.

Custom interceptor (configured by dotted class path)::

    from c7to8.convert.interceptors import EntityInterceptor, EntityInterceptorContext

    class TenantSuffix(EntityInterceptor):
        types = frozenset({"HISTORY_PROCESS_INSTANCE"})   # or "HistoricProcessInstance"
        suffix = "-x"                                     # set from `properties: {suffix: …}`

        def execute(self, ctx: EntityInterceptorContext) -> None:
            ctx.c8["TENANT_ID"] = ctx.c8["TENANT_ID"] + self.suffix

A built-in is disabled with `enabled: false` under its official Java class name (e.g.
`io.camunda.migration.data.impl.interceptor.history.entity.ProcessInstanceTransformer`), its
simple name or its Python path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..plugins import InterceptorSpec, build_chain
from . import (
    audit_log,
    decision_definition,
    decision_instance,
    decision_requirements,
    external_task,
    flow_node,
    form,
    incident,
    job,
    process_definition,
    process_instance,
    user_task,
    variable,
)
from .base import (
    BuiltinTransformer,
    Converted,
    EntityInterceptor,
    EntityInterceptorContext,
    EntityInterceptorError,
    EntitySpec,
    run_pipeline,
)
from .common import MIGRATION_ORDER, HistoryType

__all__ = [
    "BUILTIN_ORDER",
    "SPECS",
    "BuiltinTransformer",
    "EntityInterceptor",
    "EntityInterceptorContext",
    "EntityInterceptorError",
    "EntitySpec",
    "build_entity_chain",
    "chain_for_spec",
    "builtin_transformers",
    "convert_entity",
    "spec_for",
]

SPECS: dict[HistoryType, EntitySpec] = {
    spec.entity_type: spec
    for spec in (
        form.SPEC,
        process_definition.SPEC,
        process_instance.SPEC,
        flow_node.SPEC,
        user_task.SPEC,
        variable.SPEC,
        job.SPEC,
        external_task.SPEC,
        incident.SPEC,
        decision_requirements.SPEC,
        decision_definition.SPEC,
        decision_instance.SPEC,
        audit_log.SPEC,
    )
}
assert tuple(SPECS) == MIGRATION_ORDER

# Official @Order of the built-in transformers (FormTransformer has none, so it sorts last).
BUILTIN_ORDER: tuple[type[BuiltinTransformer], ...] = (
    process_definition.ProcessDefinitionTransformer,
    process_instance.ProcessInstanceTransformer,
    flow_node.FlowNodeTransformer,
    user_task.UserTaskTransformer,
    variable.VariableTransformer,
    incident.IncidentTransformer,
    decision_requirements.DecisionRequirementsDefinitionTransformer,
    decision_definition.DecisionDefinitionTransformer,
    decision_instance.DecisionInstanceTransformer,
    audit_log.AuditLogTransformer,
    job.JobTransformer,
    external_task.ExternalTaskTransformer,
    form.FormTransformer,
)
_TYPES_OF: dict[type[BuiltinTransformer], frozenset[str]] = {spec.transformer: spec.aliases for spec in SPECS.values()}


def spec_for(entity_type: HistoryType | str) -> EntitySpec:
    return SPECS[HistoryType(entity_type)]


def _names(cls: type[BuiltinTransformer]) -> tuple[str, ...]:
    return (cls.official_name, cls.__name__, f"{cls.__module__}.{cls.__qualname__}")


def builtin_transformers() -> list[tuple[Sequence[str], EntityInterceptor]]:
    """(names, instance) of every built-in transformer, in official order; each handles only
    its own entity type."""
    return [(_names(cls), cls()) for cls in BUILTIN_ORDER]


def build_entity_chain(specs: Iterable[InterceptorSpec] = ()) -> list[EntityInterceptor]:
    """The entity chain: enabled built-ins, then enabled custom interceptors (by `order`)."""
    return build_chain(builtin_transformers(), specs, EntityInterceptor, "EntityInterceptor")


def convert_entity(
    entity_type: HistoryType | str,
    row: Mapping[str, Any],
    ctx: Any,
    chain: Sequence[EntityInterceptor] | None = None,
) -> Converted:
    """Convert one C7 row: pre-checks, preset hooks, lookups, the chain, dependency checks.

    `chain` defaults to the built-in transformers only. Raises SkipError (official reason).
    """
    spec = spec_for(entity_type)
    if chain is None:
        chain = build_entity_chain()
    return run_pipeline(spec, row, ctx, chain_for_spec(chain, spec))


_FILTERED: dict[tuple[int, HistoryType], tuple[Sequence[EntityInterceptor], list[EntityInterceptor]]] = {}


def chain_for_spec(chain: Sequence[EntityInterceptor], spec: EntitySpec) -> list[EntityInterceptor]:
    """The interceptors of `chain` that handle `spec`, computed once per (chain, type).

    The cached entry keeps a reference to its chain, so an id can never be reused for another one.
    """
    key = (id(chain), spec.entity_type)
    hit = _FILTERED.get(key)
    if hit is not None and hit[0] is chain:
        return hit[1]
    if len(_FILTERED) > 256:
        _FILTERED.clear()
    filtered = [i for i in chain if i.handles(spec)]
    _FILTERED[key] = (chain, filtered)
    return filtered
