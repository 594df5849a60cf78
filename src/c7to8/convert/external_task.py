"""C7 external task log (ACT_HI_EXT_TASK_LOG, first entry per EXT_TASK_ID_) → C8 JOB (history.md §2.8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SkipError
from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import C7_MIGRATED, HistoryType, Reason
from .job import COLUMNS, REQUIRED, JobContext, check_job, preset_job, set_common_job_fields

TYPE = HistoryType.HISTORY_EXTERNAL_TASK
C7_ID_COLUMN = "EXT_TASK_ID_"
C8_KEY_COLUMN = "JOB_KEY"
C8_TABLES = ("JOB",)
NEEDS = ("process_definition", "process_instance", "root_process_instance", "flow_node_by_activity", "last_log_time")

ExternalTaskContext = JobContext


class ExternalTaskTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.ExternalTaskTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        ctx.c8["TYPE"] = ctx.c7.get("TOPIC_NAME_")
        ctx.c8["WORKER"] = C7_MIGRATED
        set_common_job_fields(ctx, "PROC_DEF_KEY_")


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    preset_job(ctx)


def _check(ctx: EntityInterceptorContext) -> None:
    check_job(ctx, Reason.MISSING_FLOW_NODE)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7[C7_ID_COLUMN]), str(ctx.c8[C8_KEY_COLUMN]), [("JOB", ctx.c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricExternalTaskLogEntity",
    c7_interface="HistoricExternalTaskLog",
    c7_table="ACT_HI_EXT_TASK_LOG",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="TIMESTAMP_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=ExternalTaskTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=REQUIRED,
)


def convert(row: Mapping[str, Any], ctx: JobContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
