from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from c7to8.convert import user_task as ut
from c7to8.errors import SkipError

from .helpers import K, settings

PI_KEY, PD_KEY, ROOT_KEY, FNI_KEY, FORM_KEY = 2251799813685300, 2251799813685249, 2251799813685299, 2251799813685310, 77
PI_END = datetime(2026, 3, 10, 12, 0, 0, 123000, tzinfo=UTC)


def row(**overrides: Any) -> dict[str, Any]:
    """An ACT_HI_TASKINST row as Camunda 7.24 writes it."""
    base: dict[str, Any] = {
        "ID_": "task-1",
        "TASK_DEF_KEY_": "approveInvoice",
        "PROC_DEF_KEY_": "invoice",
        "PROC_DEF_ID_": "invoice:1:pd-1",
        "ROOT_PROC_INST_ID_": "root-1",
        "PROC_INST_ID_": "pi-1",
        "EXECUTION_ID_": "pi-1",
        "CASE_DEF_KEY_": None,
        "CASE_DEF_ID_": None,
        "CASE_INST_ID_": None,
        "CASE_EXECUTION_ID_": None,
        "ACT_INST_ID_": "approveInvoice:act-1",
        "NAME_": "Approve Invoice",
        "PARENT_TASK_ID_": None,
        "DESCRIPTION_": None,
        "OWNER_": None,
        "ASSIGNEE_": "testUser",
        "START_TIME_": datetime(2021, 1, 1, 10, 0, 0),
        "END_TIME_": datetime(2021, 1, 1, 11, 30, 0),
        "DURATION_": 5400000,
        "DELETE_REASON_": "completed",
        "PRIORITY_": 75,
        "DUE_DATE_": datetime(2021, 1, 5, 0, 0, 0),
        "FOLLOW_UP_DATE_": datetime(2021, 1, 3, 0, 0, 0),
        "TENANT_ID_": None,
        "REMOVAL_TIME_": None,
        "TASK_STATE_": "Completed",
    }
    base.update(overrides)
    return base


def ctx(**overrides: Any) -> ut.UserTaskContext:
    base = ut.UserTaskContext(
        settings=settings(),
        process_instance_key=PI_KEY,
        process_instance_end_date=PI_END,
        process_definition_version=3,
        root_process_instance_key=ROOT_KEY,
        root_partition_id=1,
        element_instance_key=FNI_KEY,
        process_definition_key=PD_KEY,
    )
    return replace(base, **overrides)


def test_completed_task_every_column() -> None:
    out = ut.convert(row(), ctx())
    assert out.c8_key == str(K + 1)
    assert out.rows == [
        (
            "USER_TASK",
            {
                "USER_TASK_KEY": K + 1,
                "ELEMENT_ID": "approveInvoice",
                "NAME": "Approve Invoice",
                "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
                "CREATION_DATE": datetime(2021, 1, 1, 10, tzinfo=UTC),
                "COMPLETION_DATE": datetime(2021, 1, 1, 11, 30, tzinfo=UTC),
                "ASSIGNEE": "testUser",
                "STATE": "COMPLETED",
                "FORM_KEY": None,
                "PROCESS_DEFINITION_KEY": PD_KEY,
                "PROCESS_INSTANCE_KEY": PI_KEY,
                "ROOT_PROCESS_INSTANCE_KEY": ROOT_KEY,
                "ELEMENT_INSTANCE_KEY": FNI_KEY,
                "TENANT_ID": "<default>",
                "DUE_DATE": datetime(2021, 1, 5, tzinfo=UTC),
                "FOLLOW_UP_DATE": datetime(2021, 1, 3, tzinfo=UTC),
                "EXTERNAL_FORM_REFERENCE": None,
                "PROCESS_DEFINITION_VERSION": 3,
                "CUSTOM_HEADERS": "{}",
                "PRIORITY": 75,
                "PARTITION_ID": 1,
            },
        )
    ]


@pytest.mark.parametrize("state", ["Init", "Created", "Updated", "Deleted"])
def test_open_or_deleted_tasks_are_canceled(state: str) -> None:
    out = ut.convert(row(TASK_STATE_=state, END_TIME_=None, DUE_DATE_=None, FOLLOW_UP_DATE_=None), ctx())
    assert out.main["STATE"] == "CANCELED"
    assert out.main["COMPLETION_DATE"] == PI_END
    assert out.main["DUE_DATE"] is None and out.main["FOLLOW_UP_DATE"] is None


def test_form_key_tenant_and_candidates() -> None:
    links = [
        {"TYPE_": "candidate", "USER_ID_": "user1", "GROUP_ID_": None, "OPERATION_TYPE_": "add"},
        {"TYPE_": "candidate", "USER_ID_": "user2", "GROUP_ID_": None, "OPERATION_TYPE_": "add"},
        {"TYPE_": "candidate", "USER_ID_": None, "GROUP_ID_": "group1", "OPERATION_TYPE_": "add"},
        {"TYPE_": "candidate", "USER_ID_": "user3", "GROUP_ID_": None, "OPERATION_TYPE_": "add"},
        {"TYPE_": "candidate", "USER_ID_": None, "GROUP_ID_": "group2", "OPERATION_TYPE_": "add"},
        {"TYPE_": "candidate", "USER_ID_": "user2", "GROUP_ID_": None, "OPERATION_TYPE_": "delete"},
        {"TYPE_": "candidate", "USER_ID_": None, "GROUP_ID_": "group1", "OPERATION_TYPE_": "delete"},
    ]
    out = ut.convert(row(TENANT_ID_="my-tenant1"), ctx(c7_form_id="form:1", form_key=FORM_KEY, candidate_links=links))
    assert out.main["FORM_KEY"] == FORM_KEY
    assert out.main["TENANT_ID"] == "my-tenant1"
    key = K + 1
    assert out.table("CANDIDATE_USER") == [
        {"USER_TASK_KEY": key, "CANDIDATE_USER": "user1"},
        {"USER_TASK_KEY": key, "CANDIDATE_USER": "user3"},
    ]
    assert out.table("CANDIDATE_GROUP") == [{"USER_TASK_KEY": key, "CANDIDATE_GROUP": "group2"}]
    assert [t for t, _ in out.rows] == ["USER_TASK", "CANDIDATE_USER", "CANDIDATE_USER", "CANDIDATE_GROUP"]


def test_form_key_ignored_without_c7_form() -> None:
    assert ut.convert(row(), ctx(form_key=FORM_KEY)).main["FORM_KEY"] is None


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        ({"CASE_INST_ID_": "case-1", "PROC_INST_ID_": None}, {}, "C7 CMMN user tasks not supported in C8."),
        ({"PROC_INST_ID_": None}, {}, "C7 standalone user tasks not supported in C8."),
        ({}, {"process_instance_key": None}, "Missing process instance"),
        ({}, {"process_definition_version": None}, "Missing process instance"),
        ({}, {"element_instance_key": None}, "Missing flow node"),
        ({}, {"root_process_instance_key": None}, "Missing root process instance"),
        ({}, {"c7_form_id": "form:1"}, "Missing form"),
        ({"TASK_STATE_": None}, {}, "UserTaskTransformer failed for entity type 'HistoricTaskInstanceEntity'"),
        ({"TASK_STATE_": "Foo"}, {}, "UserTaskTransformer failed for entity type 'HistoricTaskInstanceEntity'"),
    ],
)
def test_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        ut.convert(row(**overrides), ctx(**context))
    assert err.value.reason == reason
