from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from c7to8.convert import external_task as ext
from c7to8.convert import job
from c7to8.errors import SkipError

from .helpers import K, settings

PI_KEY, PD_KEY, ROOT_KEY, FNI_KEY = 2251799813685300, 2251799813685249, 2251799813685299, 2251799813685310


def job_row(**overrides: Any) -> dict[str, Any]:
    """The earliest ACT_HI_JOB_LOG row of an async-before job (creation log)."""
    base: dict[str, Any] = {
        "ID_": "joblog-1",
        "TIMESTAMP_": datetime(2021, 1, 1, 10, 0, 0),
        "JOB_ID_": "job-1",
        "JOB_DUEDATE_": None,
        "JOB_RETRIES_": 3,
        "JOB_PRIORITY_": 0,
        "JOB_EXCEPTION_MSG_": None,
        "JOB_EXCEPTION_STACK_ID_": None,
        "JOB_STATE_": 0,
        "JOB_DEF_ID_": "jobdef-1",
        "JOB_DEF_TYPE_": "async-continuation",
        "JOB_DEF_CONFIGURATION_": "async-before",
        "ACT_ID_": "asyncUserTaskId",
        "FAILED_ACT_ID_": None,
        "EXECUTION_ID_": "exec-1",
        "ROOT_PROC_INST_ID_": "root-1",
        "PROCESS_INSTANCE_ID_": "pi-1",
        "PROCESS_DEF_ID_": "asyncProcess:1:pd-1",
        "PROCESS_DEF_KEY_": "asyncProcess",
        "DEPLOYMENT_ID_": "dep-1",
        "SEQUENCE_COUNTER_": 1,
        "TENANT_ID_": None,
        "HOSTNAME_": "engine-host-1",
        "REMOVAL_TIME_": None,
        "BATCH_ID_": None,
    }
    base.update(overrides)
    return base


def ctx(**overrides: Any) -> job.JobContext:
    base = job.JobContext(
        settings=settings(),
        process_definition_key=PD_KEY,
        process_instance_key=PI_KEY,
        root_process_instance_key=ROOT_KEY,
        root_partition_id=1,
        element_instance_key=FNI_KEY,
        last_log_time=datetime(2021, 1, 1, 10, 0, 5),
    )
    return replace(base, **overrides)


def test_async_before_job_every_column() -> None:
    out = job.convert(job_row(), ctx())
    assert (out.c7_id, out.c8_key) == ("job-1", str(K + 1))
    assert out.rows == [
        (
            "JOB",
            {
                "JOB_KEY": K + 1,
                "PARTITION_ID": 1,
                "PROCESS_INSTANCE_KEY": PI_KEY,
                "ROOT_PROCESS_INSTANCE_KEY": ROOT_KEY,
                "ELEMENT_INSTANCE_KEY": FNI_KEY,
                "PROCESS_DEFINITION_ID": "c7-legacy-asyncProcess",
                "PROCESS_DEFINITION_KEY": PD_KEY,
                "TENANT_ID": "<default>",
                "TYPE": "async-continuation",
                "WORKER": "engine-host-1",
                "STATE": "COMPLETED",
                "RETRIES": 0,
                "ERROR_MESSAGE": None,
                "ERROR_CODE": None,
                "END_TIME": None,
                "CUSTOM_HEADERS": "{}",
                "KIND": "BPMN_ELEMENT",
                "ELEMENT_ID": "asyncUserTaskId",
                "IS_DENIED": False,
                "DENIED_REASON": None,
                "LISTENER_EVENT_TYPE": "UNSPECIFIED",
                "DEADLINE": None,
                "HAS_FAILED_WITH_RETRIES_LEFT": False,
                "CREATION_TIME": datetime(2021, 1, 1, 10, tzinfo=UTC),
                "LAST_UPDATE_TIME": datetime(2021, 1, 1, 10, 0, 5, tzinfo=UTC),
            },
        )
    ]


def test_null_hostname_tenant_and_multi_instance_element() -> None:
    out = job.convert(job_row(HOSTNAME_=None, TENANT_ID_="tenantId", ACT_ID_="t#multiInstanceBody"), ctx())
    assert (out.main["WORKER"], out.main["TENANT_ID"], out.main["ELEMENT_ID"]) == ("C7_MIGRATED", "tenantId", "t")


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        (
            {"JOB_DEF_CONFIGURATION_": "timer-start-event"},
            {},
            "Only async-before and async-after jobs are supported for migration.",
        ),
        (
            {"JOB_DEF_CONFIGURATION_": None, "JOB_DEF_TYPE_": "batch-seed-job"},
            {},
            "Only async-before and async-after jobs are supported for migration.",
        ),
        ({}, {"process_definition_key": None}, "Missing process definition"),
        ({}, {"process_instance_key": None}, "Missing process instance"),
        ({}, {"root_process_instance_key": None}, "Missing root process instance"),
        ({}, {"element_instance_key": None}, "Missing flow node"),
        (
            {},
            {"element_instance_key": None, "flow_node_ambiguous": True},
            "Flow node cannot be determined. Possible causes: multi-instance or performed process instance modification.",
        ),
        (
            {"JOB_DEF_CONFIGURATION_": "async-after", "ACT_ID_": "startEvent"},
            {"element_instance_key": None},
            f"Parent Historic Flow Node with C8 process instance key [{PI_KEY}] and flow node ID [startEvent] "
            "has been deleted already in C8.",
        ),
    ],
)
def test_job_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        job.convert(job_row(**overrides), ctx(**context))
    assert err.value.reason == reason


def ext_row(**overrides: Any) -> dict[str, Any]:
    """The earliest ACT_HI_EXT_TASK_LOG row of an external task (creation log)."""
    base: dict[str, Any] = {
        "ID_": "extlog-1",
        "TIMESTAMP_": datetime(2021, 1, 1, 10, 0, 0),
        "EXT_TASK_ID_": "ext-1",
        "RETRIES_": None,
        "TOPIC_NAME_": "myTopic",
        "WORKER_ID_": None,
        "PRIORITY_": 0,
        "ERROR_MSG_": None,
        "ERROR_DETAILS_ID_": None,
        "ACT_ID_": "externalTask",
        "ACT_INST_ID_": "externalTask:act-1",
        "EXECUTION_ID_": "exec-1",
        "PROC_INST_ID_": "pi-1",
        "ROOT_PROC_INST_ID_": "root-1",
        "PROC_DEF_ID_": "extProcess:1:pd-1",
        "PROC_DEF_KEY_": "extProcess",
        "TENANT_ID_": None,
        "STATE_": 0,
        "REMOVAL_TIME_": None,
    }
    base.update(overrides)
    return base


def test_external_task_every_column() -> None:
    out = ext.convert(ext_row(), ctx())
    assert (out.entity_type.value, out.c7_id, out.c8_key) == ("HISTORY_EXTERNAL_TASK", "ext-1", str(K + 1))
    main = out.main
    assert main["TYPE"] == "myTopic"
    assert main["WORKER"] == "C7_MIGRATED"
    assert main["ELEMENT_ID"] == "externalTask"
    assert main["PROCESS_DEFINITION_ID"] == "c7-legacy-extProcess"
    assert main["ROOT_PROCESS_INSTANCE_KEY"] == ROOT_KEY
    assert main["CREATION_TIME"] == datetime(2021, 1, 1, 10, tzinfo=UTC)
    assert main["LAST_UPDATE_TIME"] == datetime(2021, 1, 1, 10, 0, 5, tzinfo=UTC)
    assert set(main) == set(job.COLUMNS)
    with pytest.raises(SkipError) as err:
        ext.convert(ext_row(), ctx(element_instance_key=None))
    assert err.value.reason == "Missing flow node"
    with pytest.raises(SkipError) as err:
        ext.convert(ext_row(), ctx(process_instance_key=None))
    assert err.value.reason == "Missing process instance"
