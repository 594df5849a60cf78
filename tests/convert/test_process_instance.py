from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from c7to8.config import Period
from c7to8.convert import process_instance as pi
from c7to8.convert.common import HistoryType, deleted_in_c8, partition_for
from c7to8.errors import SkipError

from .helpers import BERLIN, NOW, K, settings

PD_KEY = 2251799813685249


def row(**overrides: Any) -> dict[str, Any]:
    """An ACT_HI_PROCINST row as Camunda 7.24 writes it (+ ACT_RE_PROCDEF.VERSION_ joined)."""
    base: dict[str, Any] = {
        "ID_": "a1b2c3d4-0000-11ef-9c1d-0242ac120002",
        "PROC_INST_ID_": "a1b2c3d4-0000-11ef-9c1d-0242ac120002",
        "BUSINESS_KEY_": "order-4711",
        "PROC_DEF_KEY_": "invoice",
        "PROC_DEF_ID_": "invoice:1:9f2e0c1a-0000-11ef-9c1d-0242ac120002",
        "START_TIME_": datetime(2021, 1, 1, 0, 0, 0),
        "END_TIME_": datetime(2021, 1, 2, 0, 0, 0, 250000),
        "REMOVAL_TIME_": None,
        "DURATION_": 86400250,
        "START_USER_ID_": "demo",
        "START_ACT_ID_": "start",
        "END_ACT_ID_": "end",
        "SUPER_PROCESS_INSTANCE_ID_": None,
        "ROOT_PROC_INST_ID_": "a1b2c3d4-0000-11ef-9c1d-0242ac120002",
        "SUPER_CASE_INSTANCE_ID_": None,
        "CASE_INST_ID_": None,
        "DELETE_REASON_": None,
        "TENANT_ID_": None,
        "STATE_": "COMPLETED",
        "RESTARTED_PROC_INST_ID_": None,
        "VERSION_": 1,
    }
    base.update(overrides)
    return base


def ctx(**overrides: Any) -> pi.ProcessInstanceContext:
    base = pi.ProcessInstanceContext(settings=settings(), process_definition_key=PD_KEY)
    return replace(base, **overrides)


def test_completed_root_instance_every_column() -> None:
    out = pi.convert(row(), ctx())
    key = K + 1
    s = settings()
    partition = partition_for(s, "a1b2c3d4-0000-11ef-9c1d-0242ac120002")
    assert out.entity_type is HistoryType.HISTORY_PROCESS_INSTANCE
    assert out.c7_id == "a1b2c3d4-0000-11ef-9c1d-0242ac120002"
    assert out.c8_key == str(key)
    assert out.partition_id == partition
    assert out.main == {
        "PROCESS_INSTANCE_KEY": key,
        "ROOT_PROCESS_INSTANCE_KEY": key,
        "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
        "PROCESS_DEFINITION_KEY": PD_KEY,
        "STATE": "COMPLETED",
        "START_DATE": datetime(2021, 1, 1, tzinfo=UTC),
        "END_DATE": datetime(2021, 1, 2, 0, 0, 0, 250000, tzinfo=UTC),
        "TENANT_ID": "<default>",
        "PARENT_PROCESS_INSTANCE_KEY": None,
        "PARENT_ELEMENT_INSTANCE_KEY": None,
        "NUM_INCIDENTS": 0,
        "VERSION": 1,
        "PARTITION_ID": partition,
        "TREE_PATH": f"PI_{key}",
        "HISTORY_CLEANUP_DATE": datetime(2021, 7, 2, 0, 0, 0, 250000, tzinfo=UTC),
        "BUSINESS_ID": "order-4711",
    }
    assert out.table("VARIABLE") == [
        {
            "VAR_KEY": K + 2,
            "PROCESS_INSTANCE_KEY": key,
            "ROOT_PROCESS_INSTANCE_KEY": key,
            "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
            "SCOPE_KEY": key,
            "TYPE": "STRING",
            "VAR_NAME": "legacyId",
            "DOUBLE_VALUE": None,
            "LONG_VALUE": None,
            "VAR_VALUE": '"a1b2c3d4-0000-11ef-9c1d-0242ac120002"',
            "VAR_FULL_VALUE": None,
            "TENANT_ID": "<default>",
            "IS_PREVIEW": False,
            "PARTITION_ID": partition,
            "ELEMENT_INSTANCE_KEY": key,
        }
    ]
    assert out.table("PROCESS_INSTANCE_TAG") == [{"PROCESS_INSTANCE_KEY": key, "TAG_VALUE": "c7-legacy"}]
    assert [t for t, _ in out.rows] == ["PROCESS_INSTANCE", "VARIABLE", "PROCESS_INSTANCE_TAG"]


@pytest.mark.parametrize("state", ["ACTIVE", "SUSPENDED"])
def test_active_and_suspended_instances_are_auto_canceled(state: str) -> None:
    out = pi.convert(row(STATE_=state, END_TIME_=None), ctx())
    main = out.main
    now_ms = NOW.replace(microsecond=123000)
    assert main["STATE"] == "CANCELED"
    assert main["END_DATE"] == now_ms
    assert main["HISTORY_CLEANUP_DATE"] == datetime(2026, 9, 10, 12, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize("state", ["EXTERNALLY_TERMINATED", "INTERNALLY_TERMINATED"])
def test_terminated_instances_are_canceled_with_their_own_end(state: str) -> None:
    out = pi.convert(row(STATE_=state), ctx())
    assert out.main["STATE"] == "CANCELED"
    assert out.main["END_DATE"] == datetime(2021, 1, 2, 0, 0, 0, 250000, tzinfo=UTC)


def test_removal_time_wins_over_ttl_and_cleanup_disabled() -> None:
    removal = datetime(2022, 5, 1, 8, 30)
    out = pi.convert(row(REMOVAL_TIME_=removal), ctx())
    assert out.main["HISTORY_CLEANUP_DATE"] == datetime(2022, 5, 1, 8, 30, tzinfo=UTC)
    off = pi.convert(row(STATE_="ACTIVE", END_TIME_=None), ctx(settings=settings(ttl=None)))
    assert off.main["HISTORY_CLEANUP_DATE"] is None
    assert off.main["END_DATE"] is not None


def test_p6m_end_of_month_clamping() -> None:
    out = pi.convert(row(END_TIME_=datetime(2025, 8, 31, 23, 0)), ctx())
    assert out.main["HISTORY_CLEANUP_DATE"] == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    p30 = pi.convert(row(END_TIME_=datetime(2025, 8, 31, 23, 0)), ctx(settings=settings(ttl=Period(days=30))))
    assert p30.main["HISTORY_CLEANUP_DATE"] == datetime(2025, 9, 30, 23, 0, tzinfo=UTC)


def test_dates_in_configured_zone() -> None:
    out = pi.convert(row(), ctx(settings=settings(zone=BERLIN)))
    assert out.main["START_DATE"].astimezone(UTC) == datetime(2020, 12, 31, 23, 0, tzinfo=UTC)


def test_tenant_and_custom_prefix() -> None:
    out = pi.convert(row(TENANT_ID_="my-tenant1"), ctx(settings=settings(prefix="acme-legacy-")))
    assert out.main["TENANT_ID"] == "my-tenant1"
    assert out.main["PROCESS_DEFINITION_ID"] == "acme-legacy-invoice"
    assert out.table("VARIABLE")[0]["TENANT_ID"] == "my-tenant1"
    assert out.table("VARIABLE")[0]["PROCESS_DEFINITION_ID"] == "acme-legacy-invoice"
    assert out.table("PROCESS_INSTANCE_TAG")[0]["TAG_VALUE"] == "c7-legacy"  # tag ignores the prefix
    assert pi.convert(row(TENANT_ID_=""), ctx()).main["TENANT_ID"] == "<default>"


def test_three_level_call_hierarchy() -> None:
    root_row = row(ID_="root", PROC_INST_ID_="root", ROOT_PROC_INST_ID_="root")
    root = pi.convert(root_row, ctx())
    root_key, part = root.main["PROCESS_INSTANCE_KEY"], root.partition_id
    child_row = row(ID_="child", PROC_INST_ID_="child", ROOT_PROC_INST_ID_="root", SUPER_PROCESS_INSTANCE_ID_="root")
    child = pi.convert(
        child_row,
        ctx(
            parent_process_instance_key=root_key,
            parent_tree_path=root.main["TREE_PATH"],
            parent_element_instance_key=777,
            root_process_instance_key=root_key,
            root_partition_id=part,
        ),
    )
    child_key = child.main["PROCESS_INSTANCE_KEY"]
    grand = pi.convert(
        row(ID_="grand", PROC_INST_ID_="grand", ROOT_PROC_INST_ID_="root", SUPER_PROCESS_INSTANCE_ID_="child"),
        ctx(
            parent_process_instance_key=child_key,
            parent_tree_path=child.main["TREE_PATH"],
            parent_element_instance_key=888,
            root_process_instance_key=root_key,
            root_partition_id=part,
        ),
    )
    g = grand.main
    assert child.main["TREE_PATH"] == f"PI_{root_key}/PI_{child_key}"
    assert g["TREE_PATH"] == f"PI_{root_key}/PI_{child_key}/PI_{g['PROCESS_INSTANCE_KEY']}"
    assert (g["PARENT_PROCESS_INSTANCE_KEY"], g["PARENT_ELEMENT_INSTANCE_KEY"]) == (child_key, 888)
    assert g["ROOT_PROCESS_INSTANCE_KEY"] == root_key
    assert child.partition_id == grand.partition_id == part
    assert grand.table("VARIABLE")[0]["ROOT_PROCESS_INSTANCE_KEY"] == root_key
    assert grand.table("VARIABLE")[0]["VAR_VALUE"] == '"grand"'


def test_child_root_partition_fallback_when_tracking_row_has_none() -> None:
    out = pi.convert(
        row(ID_="c", ROOT_PROC_INST_ID_="r", SUPER_PROCESS_INSTANCE_ID_="r"),
        ctx(parent_process_instance_key=5, parent_element_instance_key=6, root_process_instance_key=5),
    )
    assert out.main["PARTITION_ID"] == partition_for(settings(), "r")
    assert out.main["TREE_PATH"] == f"PI_5/PI_{K + 1}"


def test_pre_711_instance_without_root_id_is_a_root() -> None:
    out = pi.convert(row(ROOT_PROC_INST_ID_=None), ctx())
    assert out.main["ROOT_PROCESS_INSTANCE_KEY"] == out.main["PROCESS_INSTANCE_KEY"]


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        ({}, {"process_definition_key": None}, "Missing process definition"),
        ({"SUPER_PROCESS_INSTANCE_ID_": "p", "ROOT_PROC_INST_ID_": "p"}, {}, "Missing parent process instance"),
        (
            {"SUPER_PROCESS_INSTANCE_ID_": "p", "ROOT_PROC_INST_ID_": "p"},
            {"parent_process_instance_key": 5},
            "Missing parent flow node",
        ),
        (
            {"SUPER_PROCESS_INSTANCE_ID_": "p", "ROOT_PROC_INST_ID_": "p"},
            {"parent_process_instance_key": 5, "parent_element_instance_key": 6},
            "Missing root process instance",
        ),
        (
            {"SUPER_PROCESS_INSTANCE_ID_": "p", "ROOT_PROC_INST_ID_": None},
            {"parent_process_instance_key": 5, "parent_element_instance_key": 6},
            "Missing root process instance ID. Was the process instance started before Camunda 7.11?",
        ),
        (
            {},
            {"deleted": deleted_in_c8(HistoryType.HISTORY_PROCESS_DEFINITION, 42)},
            "Parent Historic Process Definition with C8 key [42] has been deleted already in C8.",
        ),
        ({"STATE_": "WEIRD"}, {}, "ProcessInstanceTransformer failed for entity type 'HistoricProcessInstanceEntity'"),
        ({"STATE_": None}, {}, "ProcessInstanceTransformer failed for entity type 'HistoricProcessInstanceEntity'"),
        ({"VERSION_": None}, {}, "ProcessInstanceTransformer failed for entity type 'HistoricProcessInstanceEntity'"),
    ],
)
def test_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        pi.convert(row(**overrides), ctx(**context))
    assert err.value.reason == reason


def test_interceptor_failure_wins_over_dependency_checks() -> None:
    with pytest.raises(SkipError) as err:
        pi.convert(row(STATE_="WEIRD"), ctx(process_definition_key=None))
    assert err.value.reason.startswith("ProcessInstanceTransformer failed")
