"""C7 user operation log (ACT_HI_OP_LOG, first entry per OPERATION_ID_) → C8 AUDIT_LOG
(history.md §2.13)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SkipError
from .base import (
    BuiltinTransformer,
    Converted,
    EntityInterceptorContext,
    EntityInterceptorError,
    EntitySpec,
    run_pipeline,
)
from .common import (
    C7_MIGRATED,
    DEFAULT_TENANT,
    KEY_PARTITION,
    ConvertSettings,
    HistoryType,
    Reason,
    cleanup_date,
    now,
    partition_for,
    prefixed,
    tenant,
    to_c8_date,
)

TYPE = HistoryType.HISTORY_AUDIT_LOG
C7_ID_COLUMN = "OPERATION_ID_"
C8_KEY_COLUMN = "AUDIT_LOG_KEY"
C8_TABLES = ("AUDIT_LOG",)
NEEDS = ("process_instance", "root_process_instance", "process_definition", "user_task", "job")
COLUMNS = (
    "AUDIT_LOG_KEY",
    "ENTITY_KEY",
    "ENTITY_TYPE",
    "OPERATION_TYPE",
    "ENTITY_VERSION",
    "ENTITY_VALUE_TYPE",
    "ENTITY_OPERATION_INTENT",
    "BATCH_OPERATION_KEY",
    "BATCH_OPERATION_TYPE",
    "TIMESTAMP",
    "ACTOR_TYPE",
    "ACTOR_ID",
    "TENANT_ID",
    "TENANT_SCOPE",
    "RESULT",
    "ANNOTATION",
    "CATEGORY",
    "PROCESS_DEFINITION_ID",
    "DECISION_REQUIREMENTS_ID",
    "DECISION_DEFINITION_ID",
    "PROCESS_DEFINITION_KEY",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "ELEMENT_INSTANCE_KEY",
    "JOB_KEY",
    "USER_TASK_KEY",
    "DECISION_REQUIREMENTS_KEY",
    "DECISION_DEFINITION_KEY",
    "DECISION_EVALUATION_KEY",
    "DEPLOYMENT_KEY",
    "FORM_KEY",
    "RESOURCE_KEY",
    "RELATED_ENTITY_TYPE",
    "RELATED_ENTITY_KEY",
    "ENTITY_DESCRIPTION",
    "PARTITION_ID",
    "HISTORY_CLEANUP_DATE",
    "AGENT_ELEMENT_ID",
)

GROUP_MEMBERSHIP = "Group membership"
TENANT_MEMBERSHIP = "TenantMembership"
MEMBERSHIPS = (GROUP_MEMBERSHIP, TENANT_MEMBERSHIP)

ENTITY_TYPES = {
    "ProcessInstance": "PROCESS_INSTANCE",
    "Variable": "VARIABLE",
    "Task": "USER_TASK",
    "User": "USER",
    "Group": "GROUP",
    GROUP_MEMBERSHIP: "GROUP",
    "Tenant": "TENANT",
    TENANT_MEMBERSHIP: "TENANT",
    "Authorization": "AUTHORIZATION",
    "Incident": "INCIDENT",
    "ProcessDefinition": "RESOURCE",
    "Deployment": "RESOURCE",
    "Job": "JOB",
    "ExternalTask": "JOB",
}
_SIMPLE_OPERATIONS = {
    **dict.fromkeys(("Assign", "Claim", "Delegate"), "ASSIGN"),
    **dict.fromkeys(("Complete", "Execute"), "COMPLETE"),
    **dict.fromkeys(("SetPriority", "SetOwner", "Update", "ModifyVariable", "SetVariable", "SetVariables"), "UPDATE"),
    "ModifyProcessInstance": "MODIFY",
    "Migrate": "MIGRATE",
    **dict.fromkeys(("DeleteHistory", "RemoveVariable"), "DELETE"),
}
CATEGORIES = {"Admin": "ADMIN", "Operator": "DEPLOYED_RESOURCES", "TaskWorker": "USER_TASKS"}


def operation_type(operation: object, entity: object) -> str | None:
    """C8 OPERATION_TYPE of a C7 OPERATION_TYPE_ on ENTITY_TYPE_ (None = unsupported)."""
    op = str(operation)
    if op in _SIMPLE_OPERATIONS:
        return _SIMPLE_OPERATIONS[op]
    if op == "Create":
        return "ASSIGN" if entity in MEMBERSHIPS else "CREATE"
    if op == "Delete":
        if entity == "ProcessInstance":
            return "CANCEL"
        return "UNASSIGN" if entity in MEMBERSHIPS else "DELETE"
    if op == "Resolve":
        return "RESOLVE" if entity == "ProcessInstance" else "UPDATE"
    return None


@dataclass(frozen=True)
class AuditLogContext:
    """Lookups for one operation (its first ACT_HI_OP_LOG row); each only when the C7 id is set.

    process_instance_key       C8 key of PROC_INST_ID_
    root_process_instance_key  C8 key of ROOT_PROC_INST_ID_
    root_partition_id          MIGRATION_MAPPING.PARTITION_ID of the root
    process_definition_key     C8 key of PROC_DEF_ID_
    user_task_key              C8 key of TASK_ID_ (HISTORY_USER_TASK)
    element_instance_key       ELEMENT_INSTANCE_KEY of that C8 USER_TASK row
    job_key                    for ENTITY_TYPE_ 'Job': C8 key of JOB_ID_ (HISTORY_JOB, else
                               HISTORY_EXTERNAL_TASK)
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    process_instance_key: int | None = None
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None
    process_definition_key: int | None = None
    user_task_key: int | None = None
    element_instance_key: int | None = None
    job_key: int | None = None


class AuditLogTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.AuditLogTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        entity = c7.get("ENTITY_TYPE_")
        op = c7.get("OPERATION_TYPE_")
        entity_type = ENTITY_TYPES.get(str(entity))
        if entity_type is None:
            raise EntityInterceptorError(f"Unsupported audit log entity type: {entity}")
        op_type = operation_type(op, entity)
        if op_type is None:
            raise EntityInterceptorError(f"Unsupported audit log operation type: {op}")
        if op == "Resolve" and entity == "ProcessInstance":
            entity_type = "INCIDENT"
        elif op in ("SetVariable", "SetVariables"):
            entity_type = "VARIABLE"
        category = c7.get("CATEGORY_")
        if category is None:
            raise ValueError("audit log category is null")
        tenant_id = tenant(c7.get("TENANT_ID_"))
        c8["ENTITY_TYPE"] = entity_type
        c8["OPERATION_TYPE"] = op_type
        c8["RESULT"] = "SUCCESS"
        c8["ENTITY_VERSION"] = -KEY_PARTITION
        c8["ACTOR_ID"] = c7.get("USER_ID_")
        c8["ACTOR_TYPE"] = "USER"
        c8["PROCESS_DEFINITION_ID"] = prefixed(s.prefix, c7.get("PROC_DEF_KEY_"))
        c8["TENANT_ID"] = tenant_id
        c8["TENANT_SCOPE"] = "GLOBAL" if tenant_id == DEFAULT_TENANT else "TENANT"
        c8["CATEGORY"] = CATEGORIES.get(str(category), "UNKNOWN")
        describe = (entity == "Variable" and op == "DeleteHistory") or entity in ("User", "Group", "Tenant")
        c8["ENTITY_DESCRIPTION"] = c7.get("NEW_VALUE_") if describe else None
        c8["ANNOTATION"] = c7.get("ANNOTATION_")


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, c8, actx, s = ctx.c7, ctx.c8, ctx.context, ctx.settings
    ctx.preset("AUDIT_LOG_KEY", f"{KEY_PARTITION}-{s.next_key()}")
    if c7.get("PROC_INST_ID_") is not None and actx.process_instance_key is not None:
        ctx.preset("PROCESS_INSTANCE_KEY", actx.process_instance_key)
        if c7.get("ROOT_PROC_INST_ID_") is not None:
            ctx.preset("ROOT_PROCESS_INSTANCE_KEY", actx.root_process_instance_key)
    if c7.get("PROC_DEF_ID_") is not None:
        ctx.preset("PROCESS_DEFINITION_KEY", actx.process_definition_key)
    if c7.get("TASK_ID_") is not None and actx.user_task_key is not None:
        ctx.preset("USER_TASK_KEY", actx.user_task_key)
        ctx.preset("ELEMENT_INSTANCE_KEY", actx.element_instance_key)
    if c7.get("JOB_ID_") is not None and c7.get("ENTITY_TYPE_") == "Job":
        ctx.preset("JOB_KEY", actx.job_key)
    entity_key = {
        "ProcessInstance": c8.get("PROCESS_INSTANCE_KEY"),
        "ProcessDefinition": c8.get("PROCESS_DEFINITION_KEY"),
        "Task": c8.get("USER_TASK_KEY"),
    }.get(str(c7.get("ENTITY_TYPE_")))
    if entity_key is not None:
        ctx.preset("ENTITY_KEY", str(entity_key))
    root_id = c7.get("ROOT_PROC_INST_ID_")
    if root_id is not None:
        partition = actx.root_partition_id
        ctx.preset("PARTITION_ID", partition if partition is not None else partition_for(s, root_id))
    else:
        ctx.preset("PARTITION_ID", partition_for(s, c7.get("OPERATION_ID_") or c7.get("ID_")))
    ctx.preset("TIMESTAMP", to_c8_date(c7.get("TIMESTAMP_"), s.zone) or now(s))
    ctx.preset("HISTORY_CLEANUP_DATE", cleanup_date(c8["TIMESTAMP"], c7.get("REMOVAL_TIME_"), s))


def _check(ctx: EntityInterceptorContext) -> None:
    c7, c8 = ctx.c7, ctx.c8
    if c8.get("ENTITY_KEY") is None:
        c8["ENTITY_KEY"] = C7_MIGRATED
    if c7.get("PROC_DEF_ID_") is not None and c8.get("PROCESS_DEFINITION_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_DEFINITION)
    if c7.get("PROC_INST_ID_") is not None and c8.get("PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_PROCESS_INSTANCE)
    if c7.get("ROOT_PROC_INST_ID_") is not None and c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
        raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)
    if c7.get("TASK_ID_") is not None and c8.get("USER_TASK_KEY") is None:
        raise SkipError(Reason.BELONGS_TO_SKIPPED_TASK)
    if c7.get("JOB_ID_") is not None and c8.get("JOB_KEY") is None:
        raise SkipError(Reason.MISSING_JOB_REFERENCE)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7[C7_ID_COLUMN]), str(ctx.c8[C8_KEY_COLUMN]), [("AUDIT_LOG", ctx.c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="UserOperationLogEntryEventEntity",
    c7_interface="UserOperationLogEntry",
    c7_table="ACT_HI_OP_LOG",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="TIMESTAMP_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=AuditLogTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(("AUDIT_LOG_KEY", "auditLogKey"), ("TIMESTAMP", "timestamp"), ("PARTITION_ID", "partitionId")),
)


def convert(row: Mapping[str, Any], ctx: AuditLogContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
