"""C7 historic incident (ACT_HI_INCIDENT) → C8 INCIDENT (history.md §2.9)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SkipError
from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import (
    C7_NO_MESSAGE,
    ConvertSettings,
    HistoryType,
    Reason,
    incident_tree_path,
    java_string_hash,
    partition_for,
    prefixed,
    strip_multi_instance,
    tenant,
    to_c8_date,
)

TYPE = HistoryType.HISTORY_INCIDENT
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "INCIDENT_KEY"
C8_TABLES = ("INCIDENT",)
NEEDS = ("process_instance", "process_definition", "flow_node_by_activity", "root_process_instance", "job")
COLUMNS = (
    "INCIDENT_KEY",
    "FLOW_NODE_INSTANCE_KEY",
    "FLOW_NODE_ID",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "PROCESS_DEFINITION_ID",
    "PROCESS_DEFINITION_KEY",
    "ERROR_MESSAGE",
    "ERROR_MESSAGE_HASH",
    "ERROR_TYPE",
    "STATE",
    "CREATION_DATE",
    "TREE_PATH",
    "TENANT_ID",
    "JOB_KEY",
    "PARTITION_ID",
)
JOB_INCIDENT_TYPES = {"failedJob": HistoryType.HISTORY_JOB, "failedExternalTask": HistoryType.HISTORY_EXTERNAL_TASK}


@dataclass(frozen=True)
class IncidentContext:
    """Lookups for one ACT_HI_INCIDENT row.

    process_instance_key    C8 key of PROC_INST_ID_
    process_definition_key  C8 key of PROC_DEF_ID_
    flow_node_instance_key  resolveFni(ACTIVITY_ID_, PROC_INST_ID_) (history.md §1.13)
    flow_node_ambiguous     resolveFni found the element ambiguous (multi-instance, modification)
    root_process_instance_key / root_partition_id
    job_key                 for failedJob / failedExternalTask with CONFIGURATION_: C8 key of that
                            C7 job / external task (HISTORY_JOB / HISTORY_EXTERNAL_TASK)
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    process_instance_key: int | None = None
    process_definition_key: int | None = None
    flow_node_instance_key: int | None = None
    flow_node_ambiguous: bool = False
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None
    job_key: int | None = None


def error_type(incident_type: object, message: object) -> str:
    """C8 ERROR_TYPE from the C7 incident type and message (first match wins)."""
    if message is None:
        return "JOB_NO_RETRIES" if incident_type in JOB_INCIDENT_TYPES else "UNKNOWN"
    m = str(message)
    if "ENGINE-22001" in m or ("The decision result mapper" in m and "failed to process" in m):
        return "DECISION_EVALUATION_ERROR"
    if any(s in m for s in ("ENGINE-09017", "Cannot load class", "ENGINE-09024", "Unable to find resource at path")):
        return "RESOURCE_NOT_FOUND"
    if any(
        s in m
        for s in (
            "ENGINE-13043",
            "No subscriptions were found during evaluation",
            "ENGINE-13042",
            "does not declare conditional start event",
        )
    ):
        return "CONDITION_ERROR"
    if "ENGINE-02042" in m or "but no error handler was defined" in m:
        return "UNHANDLED_ERROR_EVENT"
    if "The form with the resource name" in m and "cannot be found in deployment" in m:
        return "FORM_NOT_FOUND"
    return "UNKNOWN"


class IncidentTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.IncidentTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        message = c7.get("INCIDENT_MSG_")
        c8["PROCESS_DEFINITION_ID"] = prefixed(s.prefix, c7.get("PROC_DEF_KEY_"))
        c8["FLOW_NODE_ID"] = strip_multi_instance(c7.get("ACTIVITY_ID_"))
        c8["ERROR_TYPE"] = error_type(c7.get("INCIDENT_TYPE_"), message)
        c8["ERROR_MESSAGE"] = str(message) if message is not None else C7_NO_MESSAGE
        c8["ERROR_MESSAGE_HASH"] = java_string_hash(c8["ERROR_MESSAGE"])
        c8["CREATION_DATE"] = to_c8_date(c7.get("CREATE_TIME_"), s.zone)
        c8["STATE"] = "RESOLVED"
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))


def _needs_job(c7: Mapping[str, Any]) -> bool:
    return c7.get("INCIDENT_TYPE_") in JOB_INCIDENT_TYPES and c7.get("CONFIGURATION_") is not None


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, c8, ictx, s = ctx.c7, ctx.c8, ctx.context, ctx.settings
    ctx.preset("INCIDENT_KEY", s.next_key())
    ctx.preset("PROCESS_DEFINITION_KEY", ictx.process_definition_key)
    if ictx.process_instance_key is not None:
        ctx.preset("PROCESS_INSTANCE_KEY", ictx.process_instance_key)
        ctx.preset("FLOW_NODE_INSTANCE_KEY", ictx.flow_node_instance_key)
        if ictx.root_process_instance_key is not None:
            ctx.preset("ROOT_PROCESS_INSTANCE_KEY", ictx.root_process_instance_key)
            partition = ictx.root_partition_id
            if partition is None:
                partition = partition_for(s, c7.get("ROOT_PROC_INST_ID_"))
            ctx.preset("PARTITION_ID", partition)
        ctx.preset("TREE_PATH", incident_tree_path(c8["PROCESS_INSTANCE_KEY"], c8.get("FLOW_NODE_INSTANCE_KEY")))
    if _needs_job(c7):
        ctx.preset("JOB_KEY", ictx.job_key)


def _check(ctx: EntityInterceptorContext) -> None:
    c7, c8 = ctx.c7, ctx.c8
    if c8.get("PROCESS_DEFINITION_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_DEFINITION)
    if c8.get("PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_INSTANCE)
    if c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)
    if c8.get("FLOW_NODE_INSTANCE_KEY") is None:
        raise SkipError(
            Reason.CANNOT_DETERMINE_FLOW_NODE if ctx.context.flow_node_ambiguous else Reason.MISSING_FLOW_NODE
        )
    if _needs_job(c7) and c8.get("JOB_KEY") is None:
        raise SkipError(Reason.MISSING_JOB_REFERENCE)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7["ID_"]), str(ctx.c8[C8_KEY_COLUMN]), [("INCIDENT", ctx.c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricIncidentEntity",
    c7_interface="HistoricIncident",
    c7_table="ACT_HI_INCIDENT",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="CREATE_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=IncidentTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(("INCIDENT_KEY", "incidentKey"), ("PARTITION_ID", "partitionId")),
)


def convert(row: Mapping[str, Any], ctx: IncidentContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
