from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from c7to8.convert import flow_node as fn
from c7to8.convert.common import HistoryType, deleted_in_c8
from c7to8.errors import SkipError

from .helpers import K, settings

PI_KEY, PD_KEY, ROOT_KEY = 2251799813685300, 2251799813685249, 2251799813685299
PI_END = datetime(2026, 3, 10, 12, 0, 0, 123000, tzinfo=UTC)


def row(**overrides: Any) -> dict[str, Any]:
    """An ACT_HI_ACTINST row as Camunda 7.24 writes it."""
    base: dict[str, Any] = {
        "ID_": "userTask:5c1f2a3b-0000-11ef-9c1d-0242ac120002",
        "PARENT_ACT_INST_ID_": "pi-1",
        "PROC_DEF_KEY_": "invoice",
        "PROC_DEF_ID_": "invoice:1:pd-1",
        "ROOT_PROC_INST_ID_": "root-1",
        "PROC_INST_ID_": "pi-1",
        "EXECUTION_ID_": "pi-1",
        "ACT_ID_": "userTask",
        "TASK_ID_": "task-1",
        "CALL_PROC_INST_ID_": None,
        "CALL_CASE_INST_ID_": None,
        "ACT_NAME_": "Approve invoice",
        "ACT_TYPE_": "userTask",
        "ASSIGNEE_": "demo",
        "START_TIME_": datetime(2021, 1, 1, 10, 0, 0),
        "END_TIME_": datetime(2021, 1, 1, 11, 0, 0),
        "DURATION_": 3600000,
        "ACT_INST_STATE_": 1,
        "SEQUENCE_COUNTER_": 3,
        "TENANT_ID_": None,
        "REMOVAL_TIME_": None,
    }
    base.update(overrides)
    return base


def ctx(**overrides: Any) -> fn.FlowNodeContext:
    base = fn.FlowNodeContext(
        settings=settings(),
        process_instance_key=PI_KEY,
        process_instance_end_date=PI_END,
        process_definition_key=PD_KEY,
        root_process_instance_key=ROOT_KEY,
        root_partition_id=2,
    )
    return replace(base, **overrides)


def test_completed_flow_node_every_column() -> None:
    out = fn.convert(row(), ctx())
    key = K + 1
    assert out.c8_key == str(key)
    assert out.c7_id == "userTask:5c1f2a3b-0000-11ef-9c1d-0242ac120002"
    assert out.partition_id is None
    assert out.rows == [
        (
            "FLOW_NODE_INSTANCE",
            {
                "FLOW_NODE_INSTANCE_KEY": key,
                "FLOW_NODE_ID": "userTask",
                "FLOW_NODE_NAME": "Approve invoice",
                "FLOW_NODE_SCOPE_KEY": PI_KEY,
                "PROCESS_INSTANCE_KEY": PI_KEY,
                "ROOT_PROCESS_INSTANCE_KEY": ROOT_KEY,
                "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
                "PROCESS_DEFINITION_KEY": PD_KEY,
                "TYPE": "USER_TASK",
                "STATE": "COMPLETED",
                "START_DATE": datetime(2021, 1, 1, 10, tzinfo=UTC),
                "END_DATE": datetime(2021, 1, 1, 11, tzinfo=UTC),
                "TREE_PATH": f"{PI_KEY}/{key}",
                "TENANT_ID": "<default>",
                "INCIDENT_KEY": None,
                "NUM_SUBPROCESS_INCIDENTS": None,
                "PARTITION_ID": 2,
            },
        )
    ]


def test_open_flow_node_is_terminated_with_process_end_date() -> None:
    out = fn.convert(row(END_TIME_=None, ACT_INST_STATE_=0), ctx())
    assert out.main["STATE"] == "TERMINATED"
    assert out.main["END_DATE"] == PI_END


def test_canceled_activity_is_terminated_with_own_end() -> None:
    out = fn.convert(row(ACT_INST_STATE_=2), ctx())
    assert out.main["STATE"] == "TERMINATED"
    assert out.main["END_DATE"] == datetime(2021, 1, 1, 11, tzinfo=UTC)


def test_nested_scope_multi_instance_and_tenant() -> None:
    out = fn.convert(
        row(
            ACT_ID_="review#multiInstanceBody",
            ACT_TYPE_="multiInstanceBody",
            PARENT_ACT_INST_ID_="subProcess:1",
            TENANT_ID_="tenantA",
        ),
        ctx(parent_flow_node_instance_key=555),
    )
    assert out.main["FLOW_NODE_ID"] == "review"
    assert out.main["TYPE"] == "MULTI_INSTANCE_BODY"
    assert out.main["FLOW_NODE_SCOPE_KEY"] == 555
    assert out.main["TENANT_ID"] == "tenantA"


@pytest.mark.parametrize(
    ("act_type", "c8_type"),
    [
        ("startEvent", "START_EVENT"),
        ("messageStartEvent", "START_EVENT"),
        ("noneEndEvent", "END_EVENT"),
        ("terminateEndEvent", "END_EVENT"),
        ("serviceTask", "SERVICE_TASK"),
        ("exclusiveGateway", "EXCLUSIVE_GATEWAY"),
        ("parallelGateway", "PARALLEL_GATEWAY"),
        ("inclusiveGateway", "INCLUSIVE_GATEWAY"),
        ("eventBasedGateway", "EVENT_BASED_GATEWAY"),
        ("businessRuleTask", "BUSINESS_RULE_TASK"),
        ("callActivity", "CALL_ACTIVITY"),
        ("scriptTask", "SCRIPT_TASK"),
        ("subProcess", "SUB_PROCESS"),
        ("adHocSubProcess", "AD_HOC_SUB_PROCESS"),
        ("intermediateTimer", "INTERMEDIATE_CATCH_EVENT"),
        ("intermediateMessageCatch", "INTERMEDIATE_CATCH_EVENT"),
        ("intermediateSignalThrow", "INTERMEDIATE_THROW_EVENT"),
        ("intermediateNoneThrowEvent", "INTERMEDIATE_THROW_EVENT"),
        ("boundaryTimer", "BOUNDARY_EVENT"),
        ("boundaryError", "BOUNDARY_EVENT"),
        ("manualTask", "MANUAL_TASK"),
        ("receiveTask", "RECEIVE_TASK"),
        ("sendTask", "SEND_TASK"),
        ("task", "TASK"),
        ("transaction", "UNKNOWN"),
        ("complexGateway", "UNKNOWN"),
        ("intermediateThrowEvent", "UNKNOWN"),
    ],
)
def test_activity_types(act_type: str, c8_type: str) -> None:
    assert fn.convert(row(ACT_TYPE_=act_type), ctx()).main["TYPE"] == c8_type


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        ({}, {"process_instance_key": None}, "Missing process instance"),
        ({}, {"process_definition_key": None}, "Missing process definition"),
        ({"PARENT_ACT_INST_ID_": "subProcess:1"}, {}, "Missing parent flow node"),
        ({"PARENT_ACT_INST_ID_": None}, {}, "Missing parent flow node"),
        ({}, {"root_process_instance_key": None}, "Missing root process instance"),
        ({"PROC_DEF_KEY_": None}, {}, "Required field [processDefinitionId] is null"),
        (
            {},
            {"deleted": deleted_in_c8(HistoryType.HISTORY_PROCESS_INSTANCE, PI_KEY)},
            f"Parent Historic Process Instance with C8 key [{PI_KEY}] has been deleted already in C8.",
        ),
    ],
)
def test_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        fn.convert(row(**overrides), ctx(**context))
    assert err.value.reason == reason
