"""C7 historic process instance (ACT_HI_PROCINST) → C8 PROCESS_INSTANCE + legacyId VARIABLE +
PROCESS_INSTANCE_TAG (history.md §2.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SkipError
from . import variable
from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import (
    LEGACY_ID_VARIABLE,
    LEGACY_TAG,
    ConvertSettings,
    HistoryType,
    Reason,
    as_int,
    cleanup_date,
    json_string,
    now,
    partition_for,
    prefixed,
    process_instance_tree_path,
    tenant,
    to_c8_date,
)

TYPE = HistoryType.HISTORY_PROCESS_INSTANCE
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "PROCESS_INSTANCE_KEY"
C8_TABLES = ("PROCESS_INSTANCE", "VARIABLE", "PROCESS_INSTANCE_TAG")
NEEDS = (
    "process_definition",
    "parent_process_instance",
    "call_activity_flow_node",
    "root_process_instance",
)
COLUMNS = (
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "PROCESS_DEFINITION_ID",
    "PROCESS_DEFINITION_KEY",
    "STATE",
    "START_DATE",
    "END_DATE",
    "TENANT_ID",
    "PARENT_PROCESS_INSTANCE_KEY",
    "PARENT_ELEMENT_INSTANCE_KEY",
    "NUM_INCIDENTS",
    "VERSION",
    "PARTITION_ID",
    "TREE_PATH",
    "HISTORY_CLEANUP_DATE",
    "BUSINESS_ID",
)
VARIABLE_COLUMNS = variable.COLUMNS  # the legacyId variable row has the VARIABLE columns

# C7 STATE_ → C8 STATE (active/suspended instances are auto-canceled)
STATES = {
    "ACTIVE": "CANCELED",
    "SUSPENDED": "CANCELED",
    "EXTERNALLY_TERMINATED": "CANCELED",
    "INTERNALLY_TERMINATED": "CANCELED",
    "COMPLETED": "COMPLETED",
}


@dataclass(frozen=True)
class ProcessInstanceContext:
    """Lookups for one ACT_HI_PROCINST row (the reader joins ACT_RE_PROCDEF.VERSION_ as `VERSION_`).

    deleted                        official C8-deleted reason if a tracked parent's C8 row is gone
    process_definition_key         C8 key of PROC_DEF_ID_ (HISTORY_PROCESS_DEFINITION)
    parent_process_instance_key    C8 key of SUPER_PROCESS_INSTANCE_ID_
    parent_tree_path               TREE_PATH of that parent's C8 row
    parent_element_instance_key    C8 key of the parent's callActivity flow node (ACT_HI_ACTINST
                                   with PROC_INST_ID_=super, CALL_PROC_INST_ID_=this id)
    root_process_instance_key      C8 key of ROOT_PROC_INST_ID_ (non-roots; read from the C8 row)
    root_partition_id              MIGRATION_MAPPING.PARTITION_ID of the root
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    process_definition_key: int | None = None
    parent_process_instance_key: int | None = None
    parent_tree_path: str | None = None
    parent_element_instance_key: int | None = None
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None


class ProcessInstanceTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.ProcessInstanceTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        state = STATES.get(str(c7.get("STATE_")))
        if state is None:
            raise ValueError(f"unknown process instance state {c7.get('STATE_')!r}")
        version = as_int(c7.get("VERSION_"))
        if version is None and c8.get("PROCESS_DEFINITION_KEY") is not None:
            raise ValueError("process definition version is null")
        # no version and no migrated definition: the C7 definition is gone (its deployment deleted
        # without cascade); _check reports "Missing process definition"
        c8["PROCESS_DEFINITION_ID"] = prefixed(s.prefix, c7.get("PROC_DEF_KEY_"))
        c8["START_DATE"] = to_c8_date(c7.get("START_TIME_"), s.zone)
        c8["STATE"] = state
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        c8["VERSION"] = version
        c8["NUM_INCIDENTS"] = 0
        c8["BUSINESS_ID"] = c7.get("BUSINESS_KEY_")
        ctx.tags.add(LEGACY_TAG)


def _is_root(c7: Mapping[str, Any]) -> bool:
    root_id = c7.get("ROOT_PROC_INST_ID_")
    if root_id is None:
        # C7 < 7.11 wrote no root id: an instance without a super instance is a root
        return c7.get("SUPER_PROCESS_INSTANCE_ID_") is None
    return bool(root_id == c7.get("ID_"))


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, c8, pctx, s = ctx.c7, ctx.c8, ctx.context, ctx.settings
    ctx.preset("PROCESS_DEFINITION_KEY", pctx.process_definition_key)
    ctx.preset("PROCESS_INSTANCE_KEY", s.next_key())
    key = c8["PROCESS_INSTANCE_KEY"]
    if c7.get("SUPER_PROCESS_INSTANCE_ID_") is not None:
        ctx.preset("PARENT_PROCESS_INSTANCE_KEY", pctx.parent_process_instance_key)
        ctx.preset("PARENT_ELEMENT_INSTANCE_KEY", pctx.parent_element_instance_key)
    root = _is_root(c7)
    if root:
        ctx.preset("ROOT_PROCESS_INSTANCE_KEY", key)
        ctx.preset("PARTITION_ID", partition_for(s, c7.get("ID_")))
    elif pctx.root_process_instance_key is not None:
        ctx.preset("ROOT_PROCESS_INSTANCE_KEY", pctx.root_process_instance_key)
        partition = pctx.root_partition_id
        if partition is None:  # root tracked by an old migrator version without partition
            partition = partition_for(s, c7.get("ROOT_PROC_INST_ID_"))
        ctx.preset("PARTITION_ID", partition)
    end = to_c8_date(c7.get("END_TIME_"), s.zone) or now(s)
    ctx.preset("END_DATE", end)
    ctx.preset("HISTORY_CLEANUP_DATE", cleanup_date(c8["END_DATE"], c7.get("REMOVAL_TIME_"), s))
    ctx.preset(
        "TREE_PATH",
        process_instance_tree_path(
            key,
            is_root=root,
            parent_tree_path=pctx.parent_tree_path,
            root_key=c8.get("ROOT_PROCESS_INSTANCE_KEY"),
        ),
    )


def _check(ctx: EntityInterceptorContext) -> None:
    c7, c8 = ctx.c7, ctx.c8
    if c8.get("PROCESS_DEFINITION_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_DEFINITION)
    if c7.get("SUPER_PROCESS_INSTANCE_ID_") is not None:
        if c8.get("PARENT_PROCESS_INSTANCE_KEY") is None:
            raise SkipError(Reason.MISSING_PARENT_PROCESS_INSTANCE)
        if c8.get("PARENT_ELEMENT_INSTANCE_KEY") is None:
            raise SkipError(Reason.MISSING_PARENT_FLOW_NODE)
    if c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
        if c7.get("ROOT_PROC_INST_ID_") is None:
            raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE_LEGACY_DATA)
        raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)


def legacy_id_variable(pi: Mapping[str, Any], c7_id: str, var_key: int) -> dict[str, Any]:
    """The `legacyId` VARIABLE row (not tracked, never truncated)."""
    key = pi["PROCESS_INSTANCE_KEY"]
    return {
        "VAR_KEY": var_key,
        "PROCESS_INSTANCE_KEY": key,
        "ROOT_PROCESS_INSTANCE_KEY": pi.get("ROOT_PROCESS_INSTANCE_KEY"),
        "PROCESS_DEFINITION_ID": pi.get("PROCESS_DEFINITION_ID"),
        "SCOPE_KEY": key,
        "TYPE": "STRING",
        "VAR_NAME": LEGACY_ID_VARIABLE,
        "DOUBLE_VALUE": None,
        "LONG_VALUE": None,
        "VAR_VALUE": json_string(c7_id),
        "VAR_FULL_VALUE": None,
        "TENANT_ID": pi.get("TENANT_ID"),
        "IS_PREVIEW": False,
        "PARTITION_ID": pi.get("PARTITION_ID"),
        "ELEMENT_INSTANCE_KEY": key,
    }


def _finish(ctx: EntityInterceptorContext) -> Converted:
    c7_id = str(ctx.c7["ID_"])
    pi = ctx.c8
    rows: list[tuple[str, dict[str, Any]]] = [("PROCESS_INSTANCE", pi)]
    rows.append(("VARIABLE", legacy_id_variable(pi, c7_id, ctx.settings.next_key())))
    for tag in sorted(ctx.tags):
        rows.append(("PROCESS_INSTANCE_TAG", {"PROCESS_INSTANCE_KEY": pi["PROCESS_INSTANCE_KEY"], "TAG_VALUE": tag}))
    return Converted(TYPE, c7_id, str(pi["PROCESS_INSTANCE_KEY"]), rows, partition_id=pi.get("PARTITION_ID"))


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricProcessInstanceEntity",
    c7_interface="HistoricProcessInstance",
    c7_table="ACT_HI_PROCINST",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="START_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=ProcessInstanceTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(
        ("PROCESS_INSTANCE_KEY", "processInstanceKey"),
        ("PARTITION_ID", "partitionId"),
    ),
)


def convert(row: Mapping[str, Any], ctx: ProcessInstanceContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
