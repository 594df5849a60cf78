"""C7 historic variable (ACT_HI_VARINST) → C8 VARIABLE (history.md §2.6).

This module builds the row shell (ids, keys, scope, tenant, partition). The value columns
(TYPE, VAR_VALUE, VAR_FULL_VALUE, LONG_VALUE, DOUBLE_VALUE, IS_PREVIEW) come from the
`value_columns` callable in the context, backed by c7to8.variables (history flavour, §1.15/§1.16);
it may raise SkipError with the variable interceptor's reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SkipError
from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import ConvertSettings, HistoryType, Reason, partition_for, prefixed, tenant

TYPE = HistoryType.HISTORY_VARIABLE
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "VAR_KEY"
C8_TABLES = ("VARIABLE",)
NEEDS = ("process_instance", "root_process_instance", "scope", "value")
VALUE_COLUMNS = ("TYPE", "VAR_VALUE", "VAR_FULL_VALUE", "LONG_VALUE", "DOUBLE_VALUE", "IS_PREVIEW")
COLUMNS = (
    "VAR_KEY",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "PROCESS_DEFINITION_ID",
    "SCOPE_KEY",
    "TYPE",
    "VAR_NAME",
    "DOUBLE_VALUE",
    "LONG_VALUE",
    "VAR_VALUE",
    "VAR_FULL_VALUE",
    "TENANT_ID",
    "IS_PREVIEW",
    "PARTITION_ID",
    "ELEMENT_INSTANCE_KEY",
)

ValueColumns = Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class VariableContext:
    """Lookups for one ACT_HI_VARINST row.

    process_instance_key   C8 key of PROC_INST_ID_
    root_process_instance_key / root_partition_id
    scope_key              C8 key of ACT_INST_ID_: HISTORY_FLOW_NODE if tracked as migrated, else
                           HISTORY_PROCESS_INSTANCE (process-level variables have ACT_INST_ID_ = PI id)
    value_columns          C7 variable row → the six value columns (c7to8.variables)
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    process_instance_key: int | None = None
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None
    scope_key: int | None = None
    value_columns: ValueColumns | None = None


class VariableTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.VariableTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        c8["VAR_NAME"] = c7.get("NAME_")
        c8["PROCESS_DEFINITION_ID"] = prefixed(s.prefix, c7.get("PROC_DEF_KEY_"))
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        converter = ctx.context.value_columns
        if converter is None:
            raise ValueError("no variable value converter configured")
        values = converter(c7)
        for column in VALUE_COLUMNS:
            c8[column] = values.get(column)
        if c8["IS_PREVIEW"] is None:
            c8["IS_PREVIEW"] = False


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if row.get("CASE_INST_ID_") is not None:
        raise SkipError(Reason.UNSUPPORTED_CMMN_VARIABLES)
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, vctx, s = ctx.c7, ctx.context, ctx.settings
    ctx.preset("VAR_KEY", s.next_key())
    if c7.get("PROC_INST_ID_") is not None and vctx.process_instance_key is not None:
        ctx.preset("PROCESS_INSTANCE_KEY", vctx.process_instance_key)
        if vctx.root_process_instance_key is not None:
            ctx.preset("ROOT_PROCESS_INSTANCE_KEY", vctx.root_process_instance_key)
            partition = vctx.root_partition_id
            if partition is None:
                partition = partition_for(s, c7.get("ROOT_PROC_INST_ID_"))
            ctx.preset("PARTITION_ID", partition)
    ctx.preset("SCOPE_KEY", vctx.scope_key)
    ctx.preset("ELEMENT_INSTANCE_KEY", ctx.c8.get("SCOPE_KEY"))


def _check(ctx: EntityInterceptorContext) -> None:
    c7, c8 = ctx.c7, ctx.c8
    if c8.get("PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_INSTANCE)
    if c8.get("SCOPE_KEY") is None:
        raise SkipError(Reason.BELONGS_TO_SKIPPED_TASK if c7.get("TASK_ID_") is not None else Reason.MISSING_SCOPE_KEY)
    if c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    c8 = ctx.c8
    if c8.get("ELEMENT_INSTANCE_KEY") is None:
        c8["ELEMENT_INSTANCE_KEY"] = c8.get("SCOPE_KEY")
    return Converted(TYPE, str(ctx.c7["ID_"]), str(c8["VAR_KEY"]), [("VARIABLE", c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricVariableInstanceEntity",
    c7_interface="HistoricVariableInstance",
    c7_table="ACT_HI_VARINST",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="CREATE_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=VariableTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(("VAR_KEY", "variableKey"), ("PARTITION_ID", "partitionId")),
)


def convert(row: Mapping[str, Any], ctx: VariableContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
