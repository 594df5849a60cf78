from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from c7to8.convert import audit_log as al
from c7to8.convert.common import partition_for
from c7to8.errors import SkipError

from .helpers import NOW, K, settings

PI_KEY, PD_KEY, ROOT_KEY, TASK_KEY, FNI_KEY, JOB_KEY = 300, 249, 299, 320, 310, 330


def row(**overrides: Any) -> dict[str, Any]:
    """An ACT_HI_OP_LOG row as Camunda 7.24 writes it (start of a process instance by demo)."""
    base: dict[str, Any] = {
        "ID_": "oplog-1",
        "DEPLOYMENT_ID_": None,
        "PROC_DEF_ID_": "invoice:1:pd-1",
        "PROC_DEF_KEY_": "invoice",
        "ROOT_PROC_INST_ID_": "root-1",
        "PROC_INST_ID_": "pi-1",
        "EXECUTION_ID_": None,
        "CASE_DEF_ID_": None,
        "CASE_INST_ID_": None,
        "CASE_EXECUTION_ID_": None,
        "TASK_ID_": None,
        "JOB_ID_": None,
        "JOB_DEF_ID_": None,
        "BATCH_ID_": None,
        "USER_ID_": "demo",
        "TIMESTAMP_": datetime(2025, 8, 31, 8, 0, 0),
        "OPERATION_TYPE_": "Create",
        "OPERATION_ID_": "op-1",
        "ENTITY_TYPE_": "ProcessInstance",
        "PROPERTY_": None,
        "ORG_VALUE_": None,
        "NEW_VALUE_": None,
        "TENANT_ID_": None,
        "REMOVAL_TIME_": None,
        "CATEGORY_": "Operator",
        "EXTERNAL_TASK_ID_": None,
        "ANNOTATION_": None,
    }
    base.update(overrides)
    return base


def ctx(**overrides: Any) -> al.AuditLogContext:
    base = al.AuditLogContext(
        settings=settings(),
        process_instance_key=PI_KEY,
        root_process_instance_key=ROOT_KEY,
        root_partition_id=3,
        process_definition_key=PD_KEY,
    )
    return replace(base, **overrides)


def test_process_instance_create_every_column() -> None:
    out = al.convert(row(), ctx())
    key = f"4095-{K + 1}"
    assert (out.c7_id, out.c8_key) == ("op-1", key)
    expected = dict.fromkeys(al.COLUMNS)
    expected.update(
        {
            "AUDIT_LOG_KEY": key,
            "ENTITY_KEY": str(PI_KEY),
            "ENTITY_TYPE": "PROCESS_INSTANCE",
            "OPERATION_TYPE": "CREATE",
            "ENTITY_VERSION": -4095,
            "TIMESTAMP": datetime(2025, 8, 31, 8, tzinfo=UTC),
            "ACTOR_TYPE": "USER",
            "ACTOR_ID": "demo",
            "TENANT_ID": "<default>",
            "TENANT_SCOPE": "GLOBAL",
            "RESULT": "SUCCESS",
            "CATEGORY": "DEPLOYED_RESOURCES",
            "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
            "PROCESS_DEFINITION_KEY": PD_KEY,
            "PROCESS_INSTANCE_KEY": PI_KEY,
            "ROOT_PROCESS_INSTANCE_KEY": ROOT_KEY,
            "PARTITION_ID": 3,
            "HISTORY_CLEANUP_DATE": datetime(2026, 2, 28, 8, tzinfo=UTC),
        }
    )
    assert out.rows == [("AUDIT_LOG", expected)]


def test_task_log_with_tenant() -> None:
    out = al.convert(
        row(
            TASK_ID_="task-1",
            ENTITY_TYPE_="Task",
            OPERATION_TYPE_="Complete",
            CATEGORY_="TaskWorker",
            TENANT_ID_="tenantA",
        ),
        ctx(user_task_key=TASK_KEY, element_instance_key=FNI_KEY),
    )
    m = out.main
    assert (m["ENTITY_TYPE"], m["OPERATION_TYPE"], m["CATEGORY"]) == ("USER_TASK", "COMPLETE", "USER_TASKS")
    assert (m["ENTITY_KEY"], m["USER_TASK_KEY"], m["ELEMENT_INSTANCE_KEY"]) == (str(TASK_KEY), TASK_KEY, FNI_KEY)
    assert (m["TENANT_ID"], m["TENANT_SCOPE"]) == ("tenantA", "TENANT")


def test_admin_log_without_process_and_annotation() -> None:
    out = al.convert(
        row(
            PROC_DEF_ID_=None,
            PROC_DEF_KEY_=None,
            ROOT_PROC_INST_ID_=None,
            PROC_INST_ID_=None,
            ENTITY_TYPE_="User",
            OPERATION_TYPE_="Create",
            CATEGORY_="Admin",
            NEW_VALUE_="newUserId",
            ANNOTATION_="why",
            TIMESTAMP_=None,
            OPERATION_ID_="op-9",
        ),
        ctx(),
    )
    m = out.main
    assert (m["ENTITY_TYPE"], m["OPERATION_TYPE"], m["CATEGORY"]) == ("USER", "CREATE", "ADMIN")
    assert (m["ENTITY_KEY"], m["ENTITY_DESCRIPTION"], m["ANNOTATION"]) == ("C7_MIGRATED", "newUserId", "why")
    assert m["PROCESS_INSTANCE_KEY"] is None and m["PROCESS_DEFINITION_ID"] is None
    assert m["PARTITION_ID"] == partition_for(settings(), "op-9")
    assert m["TIMESTAMP"] == NOW.replace(microsecond=123000)


def test_job_log_uses_job_key() -> None:
    out = al.convert(row(JOB_ID_="job-1", ENTITY_TYPE_="Job", OPERATION_TYPE_="Execute"), ctx(job_key=JOB_KEY))
    m = out.main
    assert (m["ENTITY_TYPE"], m["OPERATION_TYPE"], m["JOB_KEY"], m["ENTITY_KEY"]) == (
        "JOB",
        "COMPLETE",
        JOB_KEY,
        "C7_MIGRATED",
    )


@pytest.mark.parametrize(
    ("entity", "op", "entity_type", "op_type"),
    [
        ("ProcessInstance", "Delete", "PROCESS_INSTANCE", "CANCEL"),
        ("ProcessInstance", "Resolve", "INCIDENT", "RESOLVE"),
        ("ProcessInstance", "ModifyProcessInstance", "PROCESS_INSTANCE", "MODIFY"),
        ("ProcessInstance", "Migrate", "PROCESS_INSTANCE", "MIGRATE"),
        ("ProcessInstance", "SetVariables", "VARIABLE", "UPDATE"),
        ("Variable", "SetVariable", "VARIABLE", "UPDATE"),
        ("Variable", "RemoveVariable", "VARIABLE", "DELETE"),
        ("Variable", "DeleteHistory", "VARIABLE", "DELETE"),
        ("Task", "Assign", "USER_TASK", "ASSIGN"),
        ("Task", "Claim", "USER_TASK", "ASSIGN"),
        ("Task", "Delegate", "USER_TASK", "ASSIGN"),
        ("Task", "Resolve", "USER_TASK", "UPDATE"),
        ("Task", "SetOwner", "USER_TASK", "UPDATE"),
        ("Group membership", "Create", "GROUP", "ASSIGN"),
        ("Group membership", "Delete", "GROUP", "UNASSIGN"),
        ("TenantMembership", "Create", "TENANT", "ASSIGN"),
        ("TenantMembership", "Delete", "TENANT", "UNASSIGN"),
        ("Authorization", "Update", "AUTHORIZATION", "UPDATE"),
        ("Deployment", "Create", "RESOURCE", "CREATE"),
        ("ProcessDefinition", "Delete", "RESOURCE", "DELETE"),
        ("ExternalTask", "SetPriority", "JOB", "UPDATE"),
        ("Incident", "Resolve", "INCIDENT", "UPDATE"),
    ],
)
def test_operation_mapping(entity: str, op: str, entity_type: str, op_type: str) -> None:
    out = al.convert(row(ENTITY_TYPE_=entity, OPERATION_TYPE_=op), ctx())
    assert (out.main["ENTITY_TYPE"], out.main["OPERATION_TYPE"]) == (entity_type, op_type)


def test_entity_key_of_definition_and_description_of_deleted_variable_history() -> None:
    pd_log = al.convert(row(ENTITY_TYPE_="ProcessDefinition", OPERATION_TYPE_="Delete"), ctx())
    assert pd_log.main["ENTITY_KEY"] == str(PD_KEY)
    var = al.convert(row(ENTITY_TYPE_="Variable", OPERATION_TYPE_="DeleteHistory", NEW_VALUE_="testVar"), ctx())
    assert var.main["ENTITY_DESCRIPTION"] == "testVar"


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        ({"ENTITY_TYPE_": "Batch"}, {}, "Unsupported audit log entity type: Batch"),
        (
            {"ENTITY_TYPE_": "DecisionDefinition", "OPERATION_TYPE_": "Foo"},
            {},
            "Unsupported audit log entity type: DecisionDefinition",
        ),
        ({"OPERATION_TYPE_": "Suspend"}, {}, "Unsupported audit log operation type: Suspend"),
        ({"CATEGORY_": None}, {}, "AuditLogTransformer failed for entity type 'UserOperationLogEntryEventEntity'"),
        ({}, {"process_definition_key": None}, "Missing process definition"),
        ({}, {"process_instance_key": None}, "Missing process instance"),
        ({}, {"root_process_instance_key": None}, "Missing root process instance"),
        ({"TASK_ID_": "t"}, {}, "Belongs to a skipped task"),
        ({"JOB_ID_": "j", "ENTITY_TYPE_": "Job", "OPERATION_TYPE_": "Execute"}, {}, "Missing job reference"),
        ({"JOB_ID_": "j"}, {"job_key": 5}, "Missing job reference"),  # job key only for entity type Job
    ],
)
def test_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        al.convert(row(**overrides), ctx(**context))
    assert err.value.reason == reason
