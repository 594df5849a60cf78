from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from c7to8.convert import incident as inc
from c7to8.convert.common import java_string_hash
from c7to8.errors import SkipError

from .helpers import K, settings

PI_KEY, PD_KEY, ROOT_KEY, FNI_KEY, JOB_KEY = 2251799813685300, 2251799813685249, 2251799813685299, 2251799813685310, 9


def row(**overrides: Any) -> dict[str, Any]:
    """An ACT_HI_INCIDENT row as Camunda 7.24 writes it (failed job, resolved)."""
    base: dict[str, Any] = {
        "ID_": "inc-1",
        "PROC_DEF_KEY_": "invoice",
        "PROC_DEF_ID_": "invoice:1:pd-1",
        "ROOT_PROC_INST_ID_": "root-1",
        "PROC_INST_ID_": "pi-1",
        "EXECUTION_ID_": "exec-1",
        "CREATE_TIME_": datetime(2021, 1, 1, 10, 0, 0),
        "END_TIME_": datetime(2021, 1, 1, 12, 0, 0),
        "INCIDENT_MSG_": "Unknown property used in expression: ${foo}",
        "INCIDENT_TYPE_": "failedJob",
        "ACTIVITY_ID_": "serviceTask",
        "FAILED_ACTIVITY_ID_": "serviceTask",
        "CAUSE_INCIDENT_ID_": "inc-1",
        "ROOT_CAUSE_INCIDENT_ID_": "inc-1",
        "CONFIGURATION_": "job-1",
        "HISTORY_CONFIGURATION_": "joblog-1",
        "INCIDENT_STATE_": 1,
        "TENANT_ID_": None,
        "JOB_DEF_ID_": "jobdef-1",
        "ANNOTATION_": None,
        "REMOVAL_TIME_": None,
    }
    base.update(overrides)
    return base


def ctx(**overrides: Any) -> inc.IncidentContext:
    base = inc.IncidentContext(
        settings=settings(),
        process_instance_key=PI_KEY,
        process_definition_key=PD_KEY,
        flow_node_instance_key=FNI_KEY,
        root_process_instance_key=ROOT_KEY,
        root_partition_id=2,
        job_key=JOB_KEY,
    )
    return replace(base, **overrides)


def test_failed_job_incident_every_column() -> None:
    out = inc.convert(row(), ctx())
    msg = "Unknown property used in expression: ${foo}"
    assert out.c8_key == str(K + 1)
    assert out.rows == [
        (
            "INCIDENT",
            {
                "INCIDENT_KEY": K + 1,
                "FLOW_NODE_INSTANCE_KEY": FNI_KEY,
                "FLOW_NODE_ID": "serviceTask",
                "PROCESS_INSTANCE_KEY": PI_KEY,
                "ROOT_PROCESS_INSTANCE_KEY": ROOT_KEY,
                "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
                "PROCESS_DEFINITION_KEY": PD_KEY,
                "ERROR_MESSAGE": msg,
                "ERROR_MESSAGE_HASH": java_string_hash(msg),
                "ERROR_TYPE": "UNKNOWN",
                "STATE": "RESOLVED",
                "CREATION_DATE": datetime(2021, 1, 1, 10, tzinfo=UTC),
                "TREE_PATH": f"PI_{PI_KEY}/FNI_{FNI_KEY}",
                "TENANT_ID": "<default>",
                "JOB_KEY": JOB_KEY,
                "PARTITION_ID": 2,
            },
        )
    ]


def test_open_custom_incident_without_message_and_job() -> None:
    out = inc.convert(
        row(INCIDENT_TYPE_="foo", CONFIGURATION_="bar", INCIDENT_MSG_=None, END_TIME_=None, TENANT_ID_="tenant1"),
        ctx(job_key=None),
    )
    main = out.main
    assert (main["STATE"], main["ERROR_MESSAGE"], main["ERROR_TYPE"]) == ("RESOLVED", "C7_NO_MESSAGE", "UNKNOWN")
    assert main["JOB_KEY"] is None and main["TENANT_ID"] == "tenant1"


def test_propagated_parent_incident_has_no_job() -> None:
    out = inc.convert(row(CONFIGURATION_=None, ACTIVITY_ID_="callActivity"), ctx(job_key=None))
    assert out.main["JOB_KEY"] is None


@pytest.mark.parametrize(
    ("incident_type", "message", "error_type"),
    [
        ("failedJob", None, "JOB_NO_RETRIES"),
        ("failedExternalTask", None, "JOB_NO_RETRIES"),
        ("custom", None, "UNKNOWN"),
        ("failedJob", "ENGINE-22001 decision failed", "DECISION_EVALUATION_ERROR"),
        ("failedJob", "The decision result mapper 'x' failed to process '[]'", "DECISION_EVALUATION_ERROR"),
        ("failedJob", "ENGINE-09017 Cannot load class 'foo'", "RESOURCE_NOT_FOUND"),
        ("failedJob", "Unable to find resource at path x", "RESOURCE_NOT_FOUND"),
        ("failedJob", "ENGINE-13043 No subscriptions were found during evaluation", "CONDITION_ERROR"),
        ("failedJob", "process does not declare conditional start event", "CONDITION_ERROR"),
        ("failedJob", "ENGINE-02042 Error 'x' but no error handler was defined", "UNHANDLED_ERROR_EVENT"),
        ("failedJob", "The form with the resource name 'f.form' cannot be found in deployment", "FORM_NOT_FOUND"),
        ("failedJob", "boom", "UNKNOWN"),
    ],
)
def test_error_types(incident_type: str, message: str | None, error_type: str) -> None:
    assert inc.error_type(incident_type, message) == error_type


def test_multi_instance_activity_id_is_sanitized() -> None:
    assert inc.convert(row(ACTIVITY_ID_="task#multiInstanceBody"), ctx()).main["FLOW_NODE_ID"] == "task"


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        ({}, {"process_definition_key": None}, "Missing process definition"),
        ({}, {"process_instance_key": None}, "Missing process instance"),
        ({}, {"root_process_instance_key": None}, "Missing root process instance"),
        ({}, {"flow_node_instance_key": None}, "Missing flow node"),
        (
            {},
            {"flow_node_instance_key": None, "flow_node_ambiguous": True},
            "Flow node cannot be determined. Possible causes: multi-instance or performed process instance modification.",
        ),
        ({}, {"job_key": None}, "Missing job reference"),
        ({"INCIDENT_TYPE_": "failedExternalTask"}, {"job_key": None}, "Missing job reference"),
    ],
)
def test_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        inc.convert(row(**overrides), ctx(**context))
    assert err.value.reason == reason
