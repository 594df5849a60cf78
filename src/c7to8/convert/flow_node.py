"""C7 historic activity instance (ACT_HI_ACTINST) → C8 FLOW_NODE_INSTANCE (history.md §2.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import SkipError
from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import (
    ConvertSettings,
    HistoryType,
    Reason,
    as_int,
    flow_node_tree_path,
    partition_for,
    prefixed,
    strip_multi_instance,
    tenant,
    to_c8_date,
)

TYPE = HistoryType.HISTORY_FLOW_NODE
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "FLOW_NODE_INSTANCE_KEY"
C8_TABLES = ("FLOW_NODE_INSTANCE",)
NEEDS = ("process_instance", "process_definition", "root_process_instance", "parent_flow_node")
COLUMNS = (
    "FLOW_NODE_INSTANCE_KEY",
    "FLOW_NODE_ID",
    "FLOW_NODE_NAME",
    "FLOW_NODE_SCOPE_KEY",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "PROCESS_DEFINITION_ID",
    "PROCESS_DEFINITION_KEY",
    "TYPE",
    "STATE",
    "START_DATE",
    "END_DATE",
    "TREE_PATH",
    "TENANT_ID",
    "INCIDENT_KEY",
    "NUM_SUBPROCESS_INCIDENTS",
    "PARTITION_ID",
)

_START = (
    "startEvent startTimerEvent messageStartEvent signalStartEvent escalationStartEvent errorStartEvent "
    "compensationStartEvent conditionalStartEvent"
)
_END = (
    "noneEndEvent cancelEndEvent errorEndEvent messageEndEvent signalEndEvent escalationEndEvent "
    "terminateEndEvent compensationEndEvent"
)
_CATCH = (
    "intermediateCatchEvent intermediateTimer intermediateSignalCatch intermediateMessageCatch "
    "intermediateConditional intermediateLinkCatch"
)
_THROW = (
    "intermediateCompensationThrowEvent intermediateNoneThrowEvent intermediateMessageThrowEvent "
    "intermediateSignalThrow intermediateEscalationThrowEvent"
)
_BOUNDARY = (
    "boundaryTimer boundaryMessage boundarySignal compensationBoundaryCatch boundaryError "
    "boundaryEscalation cancelBoundaryCatch boundaryConditional"
)

# C7 ACT_TYPE_ → C8 TYPE; anything else → UNKNOWN
ACTIVITY_TYPES: dict[str, str] = {
    **dict.fromkeys(_START.split(), "START_EVENT"),
    **dict.fromkeys(_END.split(), "END_EVENT"),
    **dict.fromkeys(_CATCH.split(), "INTERMEDIATE_CATCH_EVENT"),
    **dict.fromkeys(_THROW.split(), "INTERMEDIATE_THROW_EVENT"),
    **dict.fromkeys(_BOUNDARY.split(), "BOUNDARY_EVENT"),
    "serviceTask": "SERVICE_TASK",
    "userTask": "USER_TASK",
    "exclusiveGateway": "EXCLUSIVE_GATEWAY",
    "parallelGateway": "PARALLEL_GATEWAY",
    "inclusiveGateway": "INCLUSIVE_GATEWAY",
    "eventBasedGateway": "EVENT_BASED_GATEWAY",
    "businessRuleTask": "BUSINESS_RULE_TASK",
    "callActivity": "CALL_ACTIVITY",
    "scriptTask": "SCRIPT_TASK",
    "multiInstanceBody": "MULTI_INSTANCE_BODY",
    "subProcess": "SUB_PROCESS",
    "adHocSubProcess": "AD_HOC_SUB_PROCESS",
    "manualTask": "MANUAL_TASK",
    "receiveTask": "RECEIVE_TASK",
    "sendTask": "SEND_TASK",
    "task": "TASK",
}
CANCELED = 2  # ACT_INST_STATE_ of a canceled activity instance


@dataclass(frozen=True)
class FlowNodeContext:
    """Lookups for one ACT_HI_ACTINST row.

    process_instance_key           C8 key of PROC_INST_ID_
    process_instance_end_date      END_DATE read back from that C8 PROCESS_INSTANCE row
    process_definition_key         C8 key of PROC_DEF_ID_
    root_process_instance_key      C8 key of ROOT_PROC_INST_ID_
    root_partition_id              MIGRATION_MAPPING.PARTITION_ID of the root
    parent_flow_node_instance_key  C8 key of PARENT_ACT_INST_ID_ (when it is not the PI id)
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    process_instance_key: int | None = None
    process_instance_end_date: datetime | None = None
    process_definition_key: int | None = None
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None
    parent_flow_node_instance_key: int | None = None


class FlowNodeTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.FlowNodeTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        c8["FLOW_NODE_ID"] = strip_multi_instance(c7.get("ACT_ID_"))
        c8["FLOW_NODE_NAME"] = c7.get("ACT_NAME_")
        c8["PROCESS_DEFINITION_ID"] = prefixed(s.prefix, c7.get("PROC_DEF_KEY_"))
        c8["START_DATE"] = to_c8_date(c7.get("START_TIME_"), s.zone)
        c8["TYPE"] = ACTIVITY_TYPES.get(str(c7.get("ACT_TYPE_")), "UNKNOWN")
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        ended = c7.get("END_TIME_") is not None and as_int(c7.get("ACT_INST_STATE_")) != CANCELED
        c8["STATE"] = "COMPLETED" if ended else "TERMINATED"
        c8["INCIDENT_KEY"] = None
        c8["NUM_SUBPROCESS_INCIDENTS"] = None


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, c8, fctx, s = ctx.c7, ctx.c8, ctx.context, ctx.settings
    ctx.preset("FLOW_NODE_INSTANCE_KEY", s.next_key())
    ctx.preset("PROCESS_INSTANCE_KEY", fctx.process_instance_key)
    pi_key = c8.get("PROCESS_INSTANCE_KEY")
    if pi_key is None:
        return
    ctx.preset("TREE_PATH", flow_node_tree_path(pi_key, c8["FLOW_NODE_INSTANCE_KEY"]))
    ctx.preset("PROCESS_DEFINITION_KEY", fctx.process_definition_key)
    ctx.preset("END_DATE", to_c8_date(c7.get("END_TIME_"), s.zone) or fctx.process_instance_end_date)
    if fctx.root_process_instance_key is not None:
        ctx.preset("ROOT_PROCESS_INSTANCE_KEY", fctx.root_process_instance_key)
        partition = fctx.root_partition_id
        if partition is None:
            partition = partition_for(s, c7.get("ROOT_PROC_INST_ID_"))
        ctx.preset("PARTITION_ID", partition)
    parent = c7.get("PARENT_ACT_INST_ID_")
    if parent is not None and parent == c7.get("PROC_INST_ID_"):
        ctx.preset("FLOW_NODE_SCOPE_KEY", pi_key)
    elif parent is not None:
        ctx.preset("FLOW_NODE_SCOPE_KEY", fctx.parent_flow_node_instance_key)


def _check(ctx: EntityInterceptorContext) -> None:
    c8 = ctx.c8
    if c8.get("PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_INSTANCE)
    if c8.get("PROCESS_DEFINITION_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_DEFINITION)
    if c8.get("FLOW_NODE_SCOPE_KEY") is None:
        raise SkipError(Reason.MISSING_PARENT_FLOW_NODE)
    if c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7["ID_"]), str(ctx.c8[C8_KEY_COLUMN]), [("FLOW_NODE_INSTANCE", ctx.c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricActivityInstanceEntity",
    c7_interface="HistoricActivityInstance",
    c7_table="ACT_HI_ACTINST",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="START_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=FlowNodeTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(
        ("FLOW_NODE_INSTANCE_KEY", "flowNodeInstanceKey"),
        ("FLOW_NODE_ID", "flowNodeId"),
        ("TYPE", "type"),
        ("STATE", "state"),
        ("PROCESS_DEFINITION_ID", "processDefinitionId"),
        ("TENANT_ID", "tenantId"),
        ("PARTITION_ID", "partitionId"),
    ),
)


def convert(row: Mapping[str, Any], ctx: FlowNodeContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
