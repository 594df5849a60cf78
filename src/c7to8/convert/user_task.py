"""C7 historic task instance (ACT_HI_TASKINST) → C8 USER_TASK + CANDIDATE_USER / CANDIDATE_GROUP
(+ USER_TASK_TAG when an interceptor adds tags) (history.md §2.5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    partition_for,
    prefixed,
    tenant,
    to_c8_date,
)

TYPE = HistoryType.HISTORY_USER_TASK
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "USER_TASK_KEY"
C8_TABLES = ("USER_TASK", "CANDIDATE_USER", "CANDIDATE_GROUP", "USER_TASK_TAG")
NEEDS = (
    "form",
    "process_instance",
    "root_process_instance",
    "flow_node",
    "process_definition",
    "candidate_links",
)
COLUMNS = (
    "USER_TASK_KEY",
    "ELEMENT_ID",
    "NAME",
    "PROCESS_DEFINITION_ID",
    "CREATION_DATE",
    "COMPLETION_DATE",
    "ASSIGNEE",
    "STATE",
    "FORM_KEY",
    "PROCESS_DEFINITION_KEY",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "ELEMENT_INSTANCE_KEY",
    "TENANT_ID",
    "DUE_DATE",
    "FOLLOW_UP_DATE",
    "EXTERNAL_FORM_REFERENCE",
    "PROCESS_DEFINITION_VERSION",
    "CUSTOM_HEADERS",
    "PRIORITY",
    "PARTITION_ID",
)
# C7 TASK_STATE_ → C8 STATE
STATES = {
    "Completed": "COMPLETED",
    "Init": "CANCELED",
    "Created": "CANCELED",
    "Updated": "CANCELED",
    "Deleted": "CANCELED",
}
EMPTY_HEADERS = "{}"


@dataclass(frozen=True)
class UserTaskContext:
    """Lookups for one ACT_HI_TASKINST row.

    c7_form_id                  C7 form definition id the task's `camunda:formRef` resolves to
                                (see common.user_task_form_ref; None if no Camunda form)
    form_key                    C8 key of that form (HISTORY_FORM_DEFINITION)
    process_instance_key        C8 key of PROC_INST_ID_
    process_instance_end_date   END_DATE of that C8 PROCESS_INSTANCE row
    process_definition_version  VERSION of that C8 PROCESS_INSTANCE row
    root_process_instance_key / root_partition_id
    element_instance_key        C8 key of ACT_INST_ID_ (HISTORY_FLOW_NODE)
    process_definition_key      C8 key of PROC_DEF_ID_
    candidate_links             ACT_HI_IDENTITYLINK rows with TYPE_='candidate' of this task,
                                ordered by TIMESTAMP_ (USER_ID_, GROUP_ID_, OPERATION_TYPE_)
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    c7_form_id: str | None = None
    form_key: int | None = None
    process_instance_key: int | None = None
    process_instance_end_date: datetime | None = None
    process_definition_version: int | None = None
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None
    element_instance_key: int | None = None
    process_definition_key: int | None = None
    candidate_links: Sequence[Mapping[str, Any]] = ()


class UserTaskTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.UserTaskTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        state = STATES.get(str(c7.get("TASK_STATE_")))
        if state is None:
            raise ValueError(f"unknown task state {c7.get('TASK_STATE_')!r}")
        c8["ELEMENT_ID"] = c7.get("TASK_DEF_KEY_")
        c8["PROCESS_DEFINITION_ID"] = prefixed(s.prefix, c7.get("PROC_DEF_KEY_"))
        c8["CREATION_DATE"] = to_c8_date(c7.get("START_TIME_"), s.zone)
        c8["ASSIGNEE"] = c7.get("ASSIGNEE_")
        c8["STATE"] = state
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        c8["DUE_DATE"] = to_c8_date(c7.get("DUE_DATE_"), s.zone)
        c8["FOLLOW_UP_DATE"] = to_c8_date(c7.get("FOLLOW_UP_DATE_"), s.zone)
        c8["PRIORITY"] = as_int(c7.get("PRIORITY_"))
        c8["NAME"] = c7.get("NAME_")
        c8["EXTERNAL_FORM_REFERENCE"] = None
        c8["CUSTOM_HEADERS"] = EMPTY_HEADERS


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if row.get("CASE_INST_ID_") is not None:
        raise SkipError(Reason.UNSUPPORTED_CMMN_TASKS)
    if row.get("PROC_INST_ID_") is None:
        raise SkipError(Reason.UNSUPPORTED_SA_TASKS)
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, tctx, s = ctx.c7, ctx.context, ctx.settings
    ctx.preset("USER_TASK_KEY", s.next_key())
    if tctx.process_instance_key is None:
        return
    ctx.preset("PROCESS_INSTANCE_KEY", tctx.process_instance_key)
    ctx.preset("PROCESS_DEFINITION_VERSION", tctx.process_definition_version)
    ctx.preset("COMPLETION_DATE", to_c8_date(c7.get("END_TIME_"), s.zone) or tctx.process_instance_end_date)
    if tctx.root_process_instance_key is not None:
        ctx.preset("ROOT_PROCESS_INSTANCE_KEY", tctx.root_process_instance_key)
        partition = tctx.root_partition_id
        if partition is None:
            partition = partition_for(s, c7.get("ROOT_PROC_INST_ID_"))
        ctx.preset("PARTITION_ID", partition)
    if tctx.element_instance_key is not None:
        ctx.preset("ELEMENT_INSTANCE_KEY", tctx.element_instance_key)
        ctx.preset("PROCESS_DEFINITION_KEY", tctx.process_definition_key)
    if tctx.c7_form_id is not None:
        ctx.preset("FORM_KEY", tctx.form_key)


def _check(ctx: EntityInterceptorContext) -> None:
    c8 = ctx.c8
    if c8.get("PROCESS_INSTANCE_KEY") is None or c8.get("PROCESS_DEFINITION_VERSION") is None:
        raise SkipError(Reason.MISSING_PROCESS_INSTANCE)
    if c8.get("ELEMENT_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_FLOW_NODE)
    if c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)
    if ctx.context.c7_form_id is not None and c8.get("FORM_KEY") is None:
        raise SkipError(Reason.MISSING_FORM)


def candidates(links: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Replay candidate identity links (add / delete) in TIMESTAMP_ order → (users, groups)."""
    users: dict[str, None] = {}
    groups: dict[str, None] = {}
    for link in links:
        if link.get("TYPE_") not in (None, "candidate"):
            continue
        op = str(link.get("OPERATION_TYPE_") or "add").lower()
        for col, target in (("USER_ID_", users), ("GROUP_ID_", groups)):
            value = link.get(col)
            if value is None:
                continue
            if op == "add":
                target[str(value)] = None
            elif op == "delete":
                target.pop(str(value), None)
    return list(users), list(groups)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    task = ctx.c8
    key = task["USER_TASK_KEY"]
    rows: list[tuple[str, dict[str, Any]]] = [("USER_TASK", task)]
    users, groups = candidates(ctx.context.candidate_links)
    rows.extend(("CANDIDATE_USER", {"USER_TASK_KEY": key, "CANDIDATE_USER": u}) for u in users)
    rows.extend(("CANDIDATE_GROUP", {"USER_TASK_KEY": key, "CANDIDATE_GROUP": g}) for g in groups)
    rows.extend(("USER_TASK_TAG", {"USER_TASK_KEY": key, "TAG_VALUE": t}) for t in sorted(ctx.tags))
    return Converted(TYPE, str(ctx.c7["ID_"]), str(key), rows)


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricTaskInstanceEntity",
    c7_interface="HistoricTaskInstance",
    c7_table="ACT_HI_TASKINST",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="START_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=UserTaskTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(("USER_TASK_KEY", "userTaskKey"), ("PARTITION_ID", "partitionId")),
)


def convert(row: Mapping[str, Any], ctx: UserTaskContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
