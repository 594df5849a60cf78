"""History migrated in rounds while Camunda 7 keeps running: a round, then the real engine plays more
scenarios on the same database (new deployments, instances, tasks, variables, jobs, decisions), then
another round (two workers). Each round picks up exactly what is new (create-time cursor, history.md §4.4), and the
result equals one migration of the final Camunda 7 database (keys aside).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.history_support import assert_accounted_for, history_pair, tracking
from tests.support import harness
from tests.support.c8_snapshot import assert_same_rows, snapshot
from tests.support.databases import create_database, drop_database, unique_name

#: the first round's data set, and what the engine adds before the second (disjoint: no scenario of the
#: second touches an instance of the first, e.g. by a signal or message broadcast)
FIRST = "lifecycle,usertasks,variables,decisions,tenants"
SECOND = "callactivity,asyncjobs,gateways,multiinstance,subprocess,boundary"


@pytest.mark.parametrize("vendor", ["postgresql", "mariadb"])
def test_rounds_pick_up_only_what_is_new_and_equal_one_migration(vendor: str, tmp_path: Path) -> None:
    with history_pair(vendor, tmp_path, scenarios=FIRST) as pair:
        started = datetime.now(UTC) - timedelta(seconds=1)
        first = pair.run("--history")
        assert first.returncode == 0, first.stderr[-3000:]
        c7, c8 = pair.c7(), pair.c8()
        after_first = tracking(c8)
        assert_accounted_for(c7, c8)

        # the engine goes on: more deployments and instances in the same Camunda 7 database
        url = pair.c7_url
        harness.run_harness(harness.jdbc_for(url, str(url.database)), url.username or "", url.password or "",
                            scenarios=SECOND)
        processes = "SELECT count(*) FROM ACT_HI_PROCINST"
        with c7.connect() as conn:
            assert conn.exec_driver_sql(processes).scalar() > sum(
                1 for _ in after_first.get("HISTORY_PROCESS_INSTANCE", {}))

        second = pair.run("--history", "--workers", "2", config=pair.config(**{"logging.level.root": "INFO"}))
        assert second.returncode == 0, second.stderr[-3000:]
        after_second = assert_accounted_for(c7, c8)
        # the first round's rows are untouched, and every type gained rows
        for type_, by_id in after_first.items():
            assert {i: after_second[type_][i] for i in by_id} == by_id, type_
        grew = {t for t in after_second if len(after_second[t]) > len(after_first.get(t, {}))}
        assert {"HISTORY_PROCESS_DEFINITION", "HISTORY_PROCESS_INSTANCE", "HISTORY_FLOW_NODE", "HISTORY_USER_TASK",
                "HISTORY_VARIABLE", "HISTORY_JOB"} <= grew, grew

        # one migration of the final Camunda 7 database writes the same rows
        name = unique_name("c8once")
        once_url = create_database("postgresql", name)
        try:
            once = pair.run("--history", config=pair.config(**{
                "camunda.migrator.c8.data-source.jdbc-url": once_url.render_as_string(hide_password=False)}))
            assert once.returncode == 0, once.stderr[-3000:]
            # times from the first run on are the migration's own clock in either database
            assert_same_rows(snapshot(c8, started), snapshot(create_engine(once_url), started), at_least=300)
        finally:
            drop_database("postgresql", name)
