"""History migration of the harness's `zoo` scenario: element types and engine features the other
scenarios do not touch (see harness/README.md), played by the real Camunda 7.24 engine.

Every C7 history row gets exactly one tracking row (migrated, or skipped with a reason), the set-based
lane with two workers writes the same rows as the row-by-row pipeline, and awkward values arrive exactly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

from tests.history_support import assert_accounted_for, history_pair, rows, tracking
from tests.support import databases
from tests.support.c8_snapshot import (
    assert_same_rows,
    reference_and_second_target,
    set_based_matches_reference,
    snapshot,
)
from tests.support.databases import admin_url, create_database, drop_database, unique_name
from tests.test_sources import H2Pair, h2_dataset

#: the harness data set of every test here (one template, built once)
SCENARIOS = "zoo,identity"


def _check(c7: Engine, c8: Engine) -> None:
    tracked = assert_accounted_for(c7, c8)

    def skipped(type_: str, sql: str, **params: Any) -> set[str | None]:
        return {tracked[type_][str(r["ID_"])][1] for r in rows(c7, sql, **params)}

    # a completed instance whose deployment was deleted afterwards: skipped, and what belongs to it
    gone = "SELECT ID_ FROM ACT_HI_PROCINST WHERE PROC_DEF_KEY_ = 'zooGone'"
    assert skipped("HISTORY_PROCESS_INSTANCE", gone) == {"Missing process definition"}
    assert skipped("HISTORY_FLOW_NODE", "SELECT ID_ FROM ACT_HI_ACTINST WHERE PROC_DEF_KEY_ = 'zooGone'") == {
        "Missing process instance"}
    # standalone and CMMN tasks and CMMN variables: not in Camunda 8
    assert skipped("HISTORY_USER_TASK", "SELECT ID_ FROM ACT_HI_TASKINST WHERE PROC_INST_ID_ IS NULL"
                   " AND CASE_INST_ID_ IS NULL") == {"C7 standalone user tasks not supported in C8."}
    assert skipped("HISTORY_USER_TASK", "SELECT ID_ FROM ACT_HI_TASKINST WHERE CASE_INST_ID_ IS NOT NULL") == {
        "C7 CMMN user tasks not supported in C8."}
    assert skipped("HISTORY_VARIABLE", "SELECT ID_ FROM ACT_HI_VARINST WHERE CASE_INST_ID_ IS NOT NULL") == {
        "C7 CMMN variables not supported in C8."}
    # every other process instance is there: migrated to version 2, restarted, started by signal and timer
    others = "SELECT ID_ FROM ACT_HI_PROCINST WHERE PROC_DEF_KEY_ <> 'zooGone'"
    assert skipped("HISTORY_PROCESS_INSTANCE", others) == {None}
    assert skipped("HISTORY_FLOW_NODE", "SELECT ID_ FROM ACT_HI_ACTINST WHERE PROC_DEF_KEY_ <> 'zooGone'") == {None}
    assert skipped("HISTORY_INCIDENT", "SELECT ID_ FROM ACT_HI_INCIDENT") == {None}  # a custom incident type
    migrated = rows(c8, "SELECT p.VERSION FROM PROCESS_INSTANCE p JOIN MIGRATION_MAPPING m"
                        " ON m.C8_KEY = CAST(p.PROCESS_INSTANCE_KEY AS VARCHAR)"
                        " WHERE m.TYPE = 'HISTORY_PROCESS_INSTANCE' AND m.C7_ID = :id",
                    id=rows(c7, "SELECT ID_ FROM ACT_HI_PROCINST WHERE BUSINESS_KEY_ = 'zoo-migrated-1'")[0]["ID_"])
    assert [r["VERSION"] for r in migrated] == [2]
    types = {r["TYPE"] for r in rows(c8, "SELECT DISTINCT TYPE FROM FLOW_NODE_INSTANCE")}
    assert {"SCRIPT_TASK", "MANUAL_TASK", "SEND_TASK", "RECEIVE_TASK", "TASK", "INCLUSIVE_GATEWAY",
            "EVENT_BASED_GATEWAY", "INTERMEDIATE_THROW_EVENT", "INTERMEDIATE_CATCH_EVENT", "BOUNDARY_EVENT",
            "SUB_PROCESS", "END_EVENT"} <= types, types
    assert "UNKNOWN" not in types
    values = {r["VAR_NAME"]: r for r in rows(c8, "SELECT VAR_NAME, VAR_VALUE, VAR_FULL_VALUE, IS_PREVIEW FROM VARIABLE")}
    texts = {r["NAME_"]: r["TEXT_"] for r in rows(c7, "SELECT NAME_, TEXT_ FROM ACT_HI_VARINST"
                                                       " WHERE NAME_ IN ('escapes', 'emoji')")}
    assert texts["escapes"] == "line1\nline2\ttab\\back\r\nend"
    assert texts["emoji"] in ("zebra \U0001f993 \u00e9\u00e8", "snowman \u2603 \u00e9\u00e8")  # utf8mb3: no emoji
    for name in texts:
        assert json.loads(values[name]["VAR_VALUE"]) == texts[name]
    assert values["n" * 255]["VAR_VALUE"] == '"a name of 255 characters"'
    assert values["minLong"]["VAR_VALUE"] == str(-(2**63))
    assert float(values["maxDouble"]["VAR_VALUE"]) == 1.7976931348623157e308
    assert values["farDate"]["VAR_VALUE"].startswith('"9999-12-31T')
    big = values["bigText"]
    assert (big["VAR_FULL_VALUE"] or big["VAR_VALUE"]) == '"' + "z" * 3999 + '"'


def test_zoo_on_postgresql_every_row_accounted_for_and_lanes_agree(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path, scenarios=SCENARIOS) as pair, reference_and_second_target(
            pair, "c8z", reference={"c7to8.set-based": False}) as target:
        _check(pair.c7(), pair.c8())
        second = set_based_matches_reference(pair, target, at_least=150)
        _check(pair.c7(), second)


def test_zoo_on_mariadb_every_row_accounted_for(tmp_path: Path) -> None:
    with history_pair("mariadb", tmp_path, scenarios=SCENARIOS) as pair:
        run = pair.run("--history")
        assert run.returncode == 0, run.stderr[-3000:]
        _check(pair.c7(), pair.c8())


def test_zoo_rerun_adds_nothing(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path, scenarios=SCENARIOS) as pair:
        first = pair.run("--history")
        assert first.returncode == 0, first.stderr[-3000:]
        before = tracking(pair.c8())
        again = pair.run("--history")
        assert again.returncode == 0, again.stderr[-3000:]
        assert tracking(pair.c8()) == before


def test_zoo_on_h2_every_row_accounted_for(tmp_path: Path) -> None:
    db, summary = h2_dataset(tmp_path / "h2", scenarios=SCENARIOS)
    databases.testbed_env()  # imported as a module: pytest would collect a test_* name as a test
    c8_name = unique_name("c8zh2")
    c8_url = create_database("postgresql", c8_name)
    try:
        pair = H2Pair(admin_url("postgresql"), c8_url, "h2", summary, tmp_path)
        pair.h2_jdbc = f"jdbc:h2:file:{db}"
        first_started = datetime.now(UTC) - timedelta(seconds=1)
        run = pair.run("--history", config=pair.config(**{
            "camunda.migrator.c7.data-source.jdbc-url": pair.h2_jdbc,
            "camunda.migrator.c7.data-source.username": "sa",
            "camunda.migrator.c7.data-source.password": "sa",
        }))
        assert run.returncode == 0, run.stderr[-3000:]
        try:
            _check(pair.c7(), pair.c8())
        finally:
            pair.close()
        # two workers (each with its own H2 bridge on the same file; shards chosen in Python) write the same rows
        second_name = unique_name("c8zh2w")
        second_url = create_database("postgresql", second_name)
        try:
            started = datetime.now(UTC) - timedelta(seconds=1)
            two = pair.run("--history", "--workers", "2", config=pair.config(**{
                "camunda.migrator.c7.data-source.jdbc-url": pair.h2_jdbc,
                "camunda.migrator.c7.data-source.username": "sa",
                "camunda.migrator.c7.data-source.password": "sa",
                "camunda.migrator.c8.data-source.jdbc-url": second_url.render_as_string(hide_password=False),
            }))
            assert two.returncode == 0, two.stderr[-3000:]
            assert_same_rows(snapshot(pair.c8(), first_started), snapshot(create_engine(second_url), started),
                             at_least=150)
        finally:
            drop_database("postgresql", second_name)
    finally:
        drop_database("postgresql", c8_name)
