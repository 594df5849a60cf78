"""The C7 harness leaves exactly the data its scenarios promise, on PostgreSQL and MariaDB.

Numbers below were derived from the scenarios (see harness/README.md) and confirmed on both databases.
Data sets come from the cached templates/dumps of tests/support/harness.py; every test database is
uniquely named and dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine

from c7to8.c7.dataset import dataset_header, export_dataset, import_dataset
from tests.harness.counting import family_counts, total_counts
from tests.support.databases import admin_url, drop_database, unique_name
from tests.support.databases import testbed_env as _testbed_env
from tests.support.harness import ROOT, mariadb_dataset, postgres_dataset

pytestmark = pytest.mark.slow

VENDORS = ("postgresql", "mariadb")

EXPECTED_BY_FAMILY: dict[str, dict[str, int]] = {
    "ACT_HI_PROCINST": {
        "asyncjobs": 6,
        "boundary": 4,
        "call_child": 3,
        "call_grandchild": 3,
        "call_parent": 3,
        "decisions": 2,
        "eventsubprocess": 3,
        "externaltasks": 6,
        "gateways": 5,
        "lifecycle": 6,
        "messages": 3,
        "messagestart": 1,
        "multiinstance": 3,
        "oplog": 4,
        "servicetasks": 3,
        "signals": 2,
        "subprocess": 4,
        "tenants": 4,
        "timers": 4,
        "usertasks": 5,
        "variables": 2,
    },
    "ACT_HI_ACTINST": {
        "asyncjobs": 21,
        "boundary": 16,
        "call_child": 8,
        "call_grandchild": 8,
        "call_parent": 9,
        "decisions": 7,
        "eventsubprocess": 12,
        "externaltasks": 15,
        "gateways": 39,
        "lifecycle": 14,
        "messages": 9,
        "messagestart": 2,
        "multiinstance": 21,
        "oplog": 10,
        "servicetasks": 13,
        "signals": 5,
        "subprocess": 24,
        "tenants": 9,
        "timers": 14,
        "usertasks": 17,
        "variables": 5,
    },
    "ACT_HI_TASKINST": {
        "asyncjobs": 2,
        "boundary": 5,
        "call_grandchild": 3,
        "call_parent": 2,
        "decisions": 2,
        "eventsubprocess": 5,
        "externaltasks": 2,
        "gateways": 12,
        "lifecycle": 6,
        "messages": 2,
        "messagestart": 1,
        "multiinstance": 12,
        "oplog": 5,
        "servicetasks": 3,
        "signals": 1,
        "subprocess": 9,
        "tenants": 4,
        "timers": 4,
        "usertasks": 11,
        "variables": 2,
    },
    "ACT_HI_VARINST": {
        "asyncjobs": 6,
        "boundary": 8,
        "call_child": 8,
        "call_grandchild": 8,
        "call_parent": 8,
        "decisions": 6,
        "eventsubprocess": 3,
        "externaltasks": 8,
        "gateways": 5,
        "lifecycle": 12,
        "messages": 5,
        "messagestart": 1,
        "multiinstance": 38,
        "oplog": 9,
        "servicetasks": 15,
        "signals": 3,
        "subprocess": 4,
        "tenants": 4,
        "timers": 4,
        "usertasks": 13,
        "variables": 39,
    },
    "ACT_HI_INCIDENT": {"asyncjobs": 2, "externaltasks": 2},
    "ACT_HI_DECINST": {"beverages": 1, "dish": 4, "dishChoice": 1},
    "ACT_HI_JOB_LOG": {"asyncjobs": 33, "timers": 12},
    "ACT_HI_OP_LOG": {"-": 3, "asyncjobs": 2, "externaltasks": 1, "lifecycle": 2, "oplog": 22, "usertasks": 13},
    "ACT_RU_EXECUTION": {
        "asyncjobs": 5,
        "boundary": 7,
        "call_child": 2,
        "call_grandchild": 1,
        "call_parent": 3,
        "decisions": 1,
        "eventsubprocess": 7,
        "externaltasks": 9,
        "gateways": 8,
        "lifecycle": 3,
        "messages": 3,
        "messagestart": 1,
        "multiinstance": 7,
        "oplog": 4,
        "servicetasks": 2,
        "signals": 3,
        "subprocess": 5,
        "tenants": 3,
        "timers": 5,
        "usertasks": 4,
        "variables": 1,
    },
    "ACT_RU_TASK": {
        "asyncjobs": 1,
        "boundary": 4,
        "call_grandchild": 1,
        "call_parent": 1,
        "decisions": 1,
        "eventsubprocess": 4,
        "externaltasks": 1,
        "gateways": 5,
        "lifecycle": 3,
        "messages": 1,
        "messagestart": 1,
        "multiinstance": 3,
        "oplog": 3,
        "servicetasks": 2,
        "signals": 1,
        "subprocess": 3,
        "tenants": 3,
        "timers": 2,
        "usertasks": 4,
        "variables": 1,
    },
    "ACT_RU_JOB": {"asyncjobs": 4, "timers": 2},
    "ACT_RU_INCIDENT": {"asyncjobs": 1, "externaltasks": 1},
    "ACT_RU_EXT_TASK": {"externaltasks": 4},
    "ACT_RU_VARIABLE": {
        "asyncjobs": 5,
        "boundary": 6,
        "call_child": 2,
        "call_grandchild": 2,
        "call_parent": 5,
        "decisions": 3,
        "eventsubprocess": 3,
        "externaltasks": 6,
        "gateways": 4,
        "lifecycle": 6,
        "messages": 3,
        "messagestart": 1,
        "multiinstance": 15,
        "oplog": 5,
        "servicetasks": 10,
        "signals": 3,
        "subprocess": 3,
        "tenants": 3,
        "timers": 3,
        "usertasks": 9,
        "variables": 34,
    },
    "ACT_RE_PROCDEF": {
        "asyncjobs": 1,
        "boundary": 1,
        "call_child": 1,
        "call_grandchild": 1,
        "call_parent": 1,
        "decisions": 1,
        "eventsubprocess": 1,
        "externaltasks": 1,
        "gateways": 1,
        "lifecycle": 1,
        "messages": 1,
        "messagestart": 1,
        "multiinstance": 1,
        "oplog": 1,
        "servicetasks": 1,
        "signals": 1,
        "subprocess": 1,
        "tenants": 3,
        "timers": 1,
        "usertasks": 1,
        "variables": 1,
    },
}
EXPECTED_TOTALS = {
    "ACT_ID_USER": 5,
    "ACT_ID_GROUP": 5,
    "ACT_ID_MEMBERSHIP": 7,
    "ACT_ID_TENANT": 2,
    "ACT_ID_TENANT_MEMBER": 5,
    "ACT_RU_AUTHORIZATION": 34,
}

# C7 history state of a root instance per summary state
HISTORY_STATE = {
    "completed": "COMPLETED",
    "canceled": "EXTERNALLY_TERMINATED",
    "suspended": "SUSPENDED",
    "active": "ACTIVE",
    "incident": "ACTIVE",
}

ALL_VAR_TYPES = {
    "string",
    "integer",
    "long",
    "short",
    "double",
    "boolean",
    "date",
    "bytes",
    "null",
    "file",
    "serializable",
    "spin://application/json",
    "spin://application/xml",
    "json",
    "xml",
}


def _dataset(vendor: str, name: str, **args: Any) -> tuple[URL, dict[str, Any]]:
    _testbed_env()
    admin = admin_url(vendor)
    fill = postgres_dataset if vendor == "postgresql" else mariadb_dataset
    summary = fill(admin, name, **args)
    url = admin.set(database=name)
    if vendor != "postgresql":
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url, summary


@pytest.fixture(scope="module", params=VENDORS)
def harness_db(request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine, dict[str, Any]]]:
    vendor: str = request.param
    name = unique_name("c7h")
    try:
        url, summary = _dataset(vendor, name)
        engine = create_engine(url)
        try:
            yield vendor, engine, summary
        finally:
            engine.dispose()
    finally:
        drop_database(vendor, name)


def test_counts_per_family(harness_db: tuple[str, Engine, dict[str, Any]]) -> None:
    _, engine, _ = harness_db
    with engine.connect() as conn:
        counts = family_counts(conn)
    for table, expected in EXPECTED_BY_FAMILY.items():
        assert counts[table] == expected, table


def test_identity_totals(harness_db: tuple[str, Engine, dict[str, Any]]) -> None:
    _, engine, summary = harness_db
    with engine.connect() as conn:
        assert total_counts(conn) == EXPECTED_TOTALS
        by_type = dict(conn.execute(text("SELECT TYPE_, COUNT(*) FROM ACT_RU_AUTHORIZATION GROUP BY TYPE_")).all())
        resources = {r for (r,) in conn.execute(text("SELECT DISTINCT RESOURCE_TYPE_ FROM ACT_RU_AUTHORIZATION"))}
    assert {int(k): int(v) for k, v in by_type.items()} == {0: 2, 1: 30, 2: 2}  # GLOBAL, GRANT, REVOKE
    assert len(resources) == 19
    assert summary["scenarios"]["identity"]["identity"]["authorizations"] == 34


def test_summary_matches_database(harness_db: tuple[str, Engine, dict[str, Any]]) -> None:
    _, engine, summary = harness_db
    scenarios = summary["scenarios"]
    assert "bench" not in scenarios
    assert set(scenarios) == {
        "lifecycle",
        "usertasks",
        "servicetasks",
        "externaltasks",
        "asyncjobs",
        "timers",
        "messages",
        "signals",
        "boundary",
        "eventsubprocess",
        "subprocess",
        "callactivity",
        "gateways",
        "multiinstance",
        "decisions",
        "variables",
        "tenants",
        "oplog",
        "identity",
    }
    instances = [i for sc in scenarios.values() for i in sc["instances"]]
    assert len(instances) == 70  # root instances; 6 call-activity children are not listed
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ID_, BUSINESS_KEY_, STATE_, SUPER_PROCESS_INSTANCE_ID_ FROM ACT_HI_PROCINST"))
        by_id = {r[0]: r for r in rows}
    for scenario, result in scenarios.items():
        for inst in result["instances"]:
            row = by_id[inst["id"]]
            assert inst["businessKey"].startswith(scenario)
            assert row[1] == inst["businessKey"]
            assert row[3] is None  # the summary lists root instances
            assert row[2] == HISTORY_STATE[inst["state"]], inst["businessKey"]
    states = Counter(i["state"] for i in instances)
    assert states == {"active": 48, "completed": 17, "incident": 2, "canceled": 2, "suspended": 1}
    assert scenarios["decisions"]["standaloneEvaluations"] == {
        "dish(Winter,6)": "Roastbeef",
        "dish(Spring,3)": "Steak",
        "beverages(Winter,children)": ["Bordeaux", "Apple Juice", "Water"],
    }


def test_variables_tenants_and_removal_times(harness_db: tuple[str, Engine, dict[str, Any]]) -> None:
    _, engine, _ = harness_db
    with engine.connect() as conn:
        types = {
            t: int(n)
            for t, n in conn.execute(
                text(
                    "SELECT VAR_TYPE_, COUNT(*) FROM ACT_HI_VARINST WHERE PROC_DEF_KEY_ = 'variables' GROUP BY VAR_TYPE_"
                )
            )
        }
        assert set(types) == ALL_VAR_TYPES
        assert types["serializable"] == 8  # six shapes + ArrayList + LinkedHashMap
        assert types["spin://application/json"] == 4
        # the same variable updated several times: one instance row, one detail row per update
        details = conn.execute(
            text(
                "SELECT COUNT(*) FROM ACT_HI_DETAIL d JOIN ACT_HI_VARINST v ON v.ID_ = d.VAR_INST_ID_ "
                "WHERE v.NAME_ = 'counter' AND v.PROC_DEF_KEY_ = 'variables'"
            )
        ).scalar_one()
        assert details == 4 + 2
        locals_ = conn.execute(text("SELECT COUNT(*) FROM ACT_RU_VARIABLE WHERE TASK_ID_ IS NOT NULL")).scalar_one()
        assert locals_ == 4  # comment (usertasks), taskNote/taskAmount/taskCustomer (variables)
        tenants = dict(
            conn.execute(
                text("SELECT COALESCE(TENANT_ID_, '-'), COUNT(*) FROM ACT_HI_PROCINST GROUP BY TENANT_ID_")
            ).all()
        )
        assert {k: int(v) for k, v in tenants.items()} == {"tenant1": 2, "tenant2": 1, "-": 73}
        removal = conn.execute(
            text(
                "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_HI_PROCINST WHERE REMOVAL_TIME_ IS NOT NULL GROUP BY PROC_DEF_KEY_"
            )
        ).all()
        assert {k: int(v) for k, v in removal} == {
            "lifecycle": 3,
            "usertasks": 1,
            "call_parent": 1,
            "call_child": 1,
            "call_grandchild": 1,
        }
        act_removal = conn.execute(text("SELECT COUNT(*) FROM ACT_HI_ACTINST WHERE REMOVAL_TIME_ IS NOT NULL")).scalar()
        assert act_removal and act_removal > 0
        forms = conn.execute(text("SELECT KEY_, VERSION_ FROM ACT_RE_CAMFORMDEF")).all()
        assert [(k, int(v)) for k, v in forms] == [("approvalForm", 1)]


# --------------------------------------------------------------------------- bench + uuid ids


def _bench_expected(n: int) -> dict[str, dict[str, int]]:
    """Counts of the bench family for n instances (10-instance cycle, see Harness.bench)."""
    kinds = Counter(i % 10 for i in range(n))
    completed = kinds[0] + kinds[1] + kinds[2]
    children = completed + kinds[8]
    active = sum(kinds[k] for k in (3, 4, 5, 6, 7, 8))
    return {
        "ACT_HI_PROCINST": {"bench": n, "bench_child": children},
        "ACT_HI_ACTINST": {
            "bench": 7 * completed + 4 * sum(kinds[k] for k in (3, 4, 5, 6, 7, 9)) + 6 * kinds[8],
            "bench_child": 3 * completed + 2 * kinds[8],
        },
        "ACT_HI_TASKINST": {"bench": n, "bench_child": children},
        "ACT_HI_VARINST": {"bench": 13 * n + kinds[6], "bench_child": children},
        "ACT_HI_INCIDENT": {"bench": kinds[7]} if kinds[7] else {},
        "ACT_HI_DECINST": {"bench_discount": n},
        "ACT_HI_JOB_LOG": {"bench": 2 * children + kinds[6] + 2 * kinds[7]},
        "ACT_HI_OP_LOG": {"-": 3, "bench": kinds[5]},
        "ACT_RU_EXECUTION": {"bench": active + kinds[8], "bench_child": kinds[8]},
        "ACT_RU_TASK": {"bench": kinds[3] + kinds[4] + kinds[5], "bench_child": kinds[8]},
        "ACT_RU_JOB": {"bench": kinds[6] + kinds[7]},
        "ACT_RU_INCIDENT": {"bench": kinds[7]} if kinds[7] else {},
        "ACT_RU_EXT_TASK": {},
        "ACT_RU_VARIABLE": {"bench": 13 * active + kinds[6], "bench_child": kinds[8]},
        "ACT_RE_PROCDEF": {"bench": 1, "bench_child": 1},
    }


def test_bench_with_uuid_ids() -> None:
    n = 23
    name = unique_name("c7b")
    try:
        url, summary = _dataset("postgresql", name, scenarios="identity", instances=n, id_generator="uuid")
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert family_counts(conn) == _bench_expected(n)
                assert total_counts(conn) == {**EXPECTED_TOTALS, "ACT_RU_AUTHORIZATION": 33}  # no usertasks deployment
                ids = [r[0] for r in conn.execute(text("SELECT ID_ FROM ACT_HI_PROCINST"))]
        finally:
            engine.dispose()
    finally:
        drop_database("postgresql", name)
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", i) for i in ids)
    bench = summary["scenarios"]["bench"]["bench"]
    assert bench["instances"] == n
    assert sum(bench["states"].values()) == n
    assert summary["idGenerator"] == "uuid"


# --------------------------------------------------------------------------- export / import


@pytest.mark.parametrize("vendor", VENDORS)
def test_dataset_roundtrip_sqlite(vendor: str, tmp_path: Path) -> None:
    name = unique_name("c7x")
    try:
        url, _ = _dataset(vendor, name)
        source = create_engine(url)
        try:
            info = export_dataset(source, tmp_path / "c7.jsonl.gz")
            with source.connect() as conn:
                source_counts = {
                    t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in info.row_counts
                }
                start_times = dict(conn.execute(text("SELECT ID_, START_TIME_ FROM ACT_HI_PROCINST")).all())
        finally:
            source.dispose()
    finally:
        drop_database(vendor, name)

    assert len(info.row_counts) >= 45 and all(t.startswith("ACT_") for t in info.row_counts)
    assert info.row_counts == source_counts
    header = dataset_header(info.path)
    assert header["source_dialect"] in ("postgresql", "mysql", "mariadb")

    target = create_engine(f"sqlite:///{tmp_path / 'c7.db'}")
    try:
        loaded = import_dataset(info.path, target)
        assert loaded.row_counts == info.row_counts
        with target.connect() as conn:
            for table, n in info.row_counts.items():
                assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == n, table
            by_name = {
                name: conn.execute(
                    text(
                        "SELECT b.BYTES_ FROM ACT_HI_VARINST v JOIN ACT_GE_BYTEARRAY b ON b.ID_ = v.BYTEARRAY_ID_ "
                        "WHERE v.NAME_ = :n AND v.PROC_DEF_KEY_ = 'variables'"
                    ),
                    {"n": name},
                ).scalar_one()
                for name in ("bytesVar", "fileVar", "spinJson", "javaSimple")
            }
            imported_times = dict(conn.execute(text("SELECT ID_, START_TIME_ FROM ACT_HI_PROCINST")).all())
            date_var = conn.execute(
                text(
                    "SELECT LONG_ FROM ACT_HI_VARINST WHERE NAME_ = 'dateVar' AND PROC_DEF_KEY_ = 'variables' "
                    "AND TEXT_ IS NULL ORDER BY LONG_ LIMIT 1"
                )
            ).scalar_one()
            pk = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ACT_HI_PROCINST'")).scalar_one()
        # a second import replaces the tables (no duplicate rows)
        again = import_dataset(info.path, target)
        assert again.row_counts == info.row_counts
        with target.connect() as conn:
            assert (
                conn.execute(text("SELECT COUNT(*) FROM ACT_HI_PROCINST")).scalar_one()
                == info.row_counts["ACT_HI_PROCINST"]
            )
    finally:
        target.dispose()

    assert by_name["bytesVar"] == bytes([0, 1, 2, 127, 128, 255])
    assert by_name["fileVar"].startswith(b"%PDF-1.4") and by_name["fileVar"].rstrip().endswith(b"%%EOF")
    assert by_name["spinJson"].startswith(b'{"order"')
    assert by_name["javaSimple"][:2] == b"\xac\xed"  # Java serialization stream magic
    assert date_var == int(dt.datetime(2024, 3, 15, 10, 30, tzinfo=dt.UTC).timestamp() * 1000)
    assert "PRIMARY KEY" in pk.upper()
    assert len(imported_times) == 76
    for pid, ts in start_times.items():
        got = imported_times[pid]
        got = dt.datetime.fromisoformat(got) if isinstance(got, str) else got
        assert got == ts, pid


def test_prefix_import(tmp_path: Path) -> None:
    name = unique_name("c7p")
    try:
        url, _ = _dataset("postgresql", name)
        source = create_engine(url)
        try:
            info = export_dataset(source, tmp_path / "c7.jsonl.gz")
        finally:
            source.dispose()
    finally:
        drop_database("postgresql", name)
    target = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        import_dataset(info.path, target, prefix="SRC_")
        with target.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM SRC_ACT_ID_USER")).scalar_one() == 5
            assert (
                conn.execute(text("SELECT VALUE_ FROM SRC_ACT_GE_PROPERTY WHERE NAME_ = 'historyLevel'")).scalar()
                == "3"
            )
    finally:
        target.dispose()


# --------------------------------------------------------------------------- C8 models

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ZEEBE = "{http://camunda.org/schema/zeebe/1.0}"
FLOW_TAGS = {
    "startEvent",
    "endEvent",
    "userTask",
    "serviceTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "parallelGateway",
    "intermediateCatchEvent",
    "boundaryEvent",
    "sequenceFlow",
}


def _flow_ids(process: ET.Element) -> set[str]:
    return {el.attrib["id"] for el in process.iter() if el.tag.removeprefix(BPMN) in FLOW_TAGS}


def test_c8_models_mirror_c7_models() -> None:
    c7_dir = ROOT / "harness" / "c7" / "src" / "main" / "resources" / "scenarios"
    c8_dir = ROOT / "harness" / "c8"
    c7_files = sorted(p.name for p in c7_dir.glob("*.bpmn"))
    assert c7_files == sorted(p.name for p in c8_dir.glob("*.bpmn"))
    assert len(c7_files) == 25
    for fname in c7_files:
        c7 = {p.attrib["id"]: p for p in ET.parse(c7_dir / fname).getroot().iter(f"{BPMN}process")}
        c8 = {p.attrib["id"]: p for p in ET.parse(c8_dir / fname).getroot().iter(f"{BPMN}process")}
        assert c7.keys() == c8.keys(), fname
        for pid, proc in c8.items():
            assert _flow_ids(proc) == _flow_ids(c7[pid]), (fname, pid)
            for start in proc.findall(f"{BPMN}startEvent"):  # process-level start events only
                listeners = start.findall(f"{BPMN}extensionElements/{ZEEBE}executionListeners/{ZEEBE}executionListener")
                assert any(
                    li.attrib.get("type") == "migrator" and li.attrib.get("eventType") == "end" for li in listeners
                ), (fname, start.attrib["id"])
            for task in proc.iter(f"{BPMN}serviceTask"):
                assert task.find(f"{BPMN}extensionElements/{ZEEBE}taskDefinition") is not None, (fname, task.attrib)
            for task in proc.iter(f"{BPMN}userTask"):
                assert task.find(f"{BPMN}extensionElements/{ZEEBE}userTask") is not None, (fname, task.attrib)
