"""C7 job log (ACT_HI_JOB_LOG, first entry per JOB_ID_) → C8 JOB (history.md §2.7).

Only async-continuation jobs (`async-before` / `async-after`) are migrated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import SkipError
from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import (
    C7_MIGRATED,
    ConvertSettings,
    HistoryType,
    Reason,
    deleted_in_c8_associated,
    partition_for,
    prefixed,
    strip_multi_instance,
    tenant,
    to_c8_date,
)

TYPE = HistoryType.HISTORY_JOB
C7_ID_COLUMN = "JOB_ID_"
C8_KEY_COLUMN = "JOB_KEY"
C8_TABLES = ("JOB",)
NEEDS = ("process_definition", "process_instance", "root_process_instance", "flow_node_by_activity", "last_log_time")
COLUMNS = (
    "JOB_KEY",
    "PARTITION_ID",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "ELEMENT_INSTANCE_KEY",
    "PROCESS_DEFINITION_ID",
    "PROCESS_DEFINITION_KEY",
    "TENANT_ID",
    "TYPE",
    "WORKER",
    "STATE",
    "RETRIES",
    "ERROR_MESSAGE",
    "ERROR_CODE",
    "END_TIME",
    "CUSTOM_HEADERS",
    "KIND",
    "ELEMENT_ID",
    "IS_DENIED",
    "DENIED_REASON",
    "LISTENER_EVENT_TYPE",
    "DEADLINE",
    "HAS_FAILED_WITH_RETRIES_LEFT",
    "CREATION_TIME",
    "LAST_UPDATE_TIME",
)
ASYNC_BEFORE = "async-before"
ASYNC_AFTER = "async-after"
EMPTY_HEADERS = "{}"


@dataclass(frozen=True)
class JobContext:
    """Lookups for one job (its earliest log row) or external task (its earliest log row).

    process_definition_key   C8 key of the C7 process definition id
    process_instance_key     C8 key of the C7 process instance id
    root_process_instance_key / root_partition_id
    element_instance_key     resolveFni(ACT_ID_, process instance) (history.md §1.13)
    flow_node_ambiguous      resolveFni found the element ambiguous
    last_log_time            TIMESTAMP_ of the latest log row of this job / external task
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    process_definition_key: int | None = None
    process_instance_key: int | None = None
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None
    element_instance_key: int | None = None
    flow_node_ambiguous: bool = False
    last_log_time: datetime | None = None


def set_common_job_fields(ctx: EntityInterceptorContext, process_definition_key_column: str) -> None:
    """Transformer fields shared by jobs and external tasks."""
    c7, c8, s = ctx.c7, ctx.c8, ctx.settings
    c8["STATE"] = "COMPLETED"
    c8["KIND"] = "BPMN_ELEMENT"
    c8["LISTENER_EVENT_TYPE"] = "UNSPECIFIED"
    c8["RETRIES"] = 0
    c8["PROCESS_DEFINITION_ID"] = prefixed(s.prefix, c7.get(process_definition_key_column))
    c8["ELEMENT_ID"] = strip_multi_instance(c7.get("ACT_ID_"))
    c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
    c8["CREATION_TIME"] = to_c8_date(c7.get("TIMESTAMP_"), s.zone)
    c8["IS_DENIED"] = False
    c8["HAS_FAILED_WITH_RETRIES_LEFT"] = False
    c8["CUSTOM_HEADERS"] = EMPTY_HEADERS


def preset_job(ctx: EntityInterceptorContext) -> None:
    c7, jctx, s = ctx.c7, ctx.context, ctx.settings
    ctx.preset("JOB_KEY", s.next_key())
    ctx.preset("PROCESS_DEFINITION_KEY", jctx.process_definition_key)
    if jctx.process_instance_key is not None:
        ctx.preset("PROCESS_INSTANCE_KEY", jctx.process_instance_key)
        if jctx.root_process_instance_key is not None:
            ctx.preset("ROOT_PROCESS_INSTANCE_KEY", jctx.root_process_instance_key)
            partition = jctx.root_partition_id
            if partition is None:
                partition = partition_for(s, c7.get("ROOT_PROC_INST_ID_"))
            ctx.preset("PARTITION_ID", partition)
        ctx.preset("ELEMENT_INSTANCE_KEY", jctx.element_instance_key)
    ctx.preset("LAST_UPDATE_TIME", to_c8_date(jctx.last_log_time, s.zone) or to_c8_date(c7.get("TIMESTAMP_"), s.zone))


def check_job(ctx: EntityInterceptorContext, missing_element: str) -> None:
    c8 = ctx.c8
    if c8.get("PROCESS_DEFINITION_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_DEFINITION)
    if c8.get("PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_INSTANCE)
    if c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)
    if c8.get("ELEMENT_INSTANCE_KEY") is None:
        if ctx.context.flow_node_ambiguous:
            raise SkipError(Reason.CANNOT_DETERMINE_FLOW_NODE)
        raise SkipError(missing_element)


class JobTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.JobTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8 = ctx.c7, ctx.c8
        c8["TYPE"] = c7.get("JOB_DEF_TYPE_")
        c8["WORKER"] = c7.get("HOSTNAME_") or C7_MIGRATED
        set_common_job_fields(ctx, "PROCESS_DEF_KEY_")


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if row.get("JOB_DEF_CONFIGURATION_") not in (ASYNC_BEFORE, ASYNC_AFTER):
        raise SkipError(Reason.UNSUPPORTED_JOBS)
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    preset_job(ctx)


def _check(ctx: EntityInterceptorContext) -> None:
    c7 = ctx.c7
    if c7.get("JOB_DEF_CONFIGURATION_") == ASYNC_AFTER:
        missing = deleted_in_c8_associated(
            HistoryType.HISTORY_FLOW_NODE, ctx.c8.get("PROCESS_INSTANCE_KEY"), c7.get("ACT_ID_")
        )
    else:
        missing = Reason.MISSING_FLOW_NODE
    check_job(ctx, missing)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7[C7_ID_COLUMN]), str(ctx.c8[C8_KEY_COLUMN]), [("JOB", ctx.c8)])


REQUIRED = (("JOB_KEY", "jobKey"), ("PARTITION_ID", "partitionId"))

SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricJobLogEventEntity",
    c7_interface="HistoricJobLog",
    c7_table="ACT_HI_JOB_LOG",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="TIMESTAMP_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=JobTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=REQUIRED,
)


def convert(row: Mapping[str, Any], ctx: JobContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
