"""`--workers 2` writes the same Camunda 8 rows and tracking rows as one worker (keys aside)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from tests.history_support import history_pair
from tests.support.c8_snapshot import assert_same_rows, snapshot
from tests.support.databases import create_database, drop_database, unique_name


def test_two_workers_write_the_same_rows_as_one(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        started = datetime.now(UTC) - timedelta(seconds=1)
        one = pair.run("--history", config=pair.config(**{"c7to8.batch-size": 50}))
        assert one.returncode == 0, one.stderr[-3000:]
        other_name = unique_name("c8w")
        other = create_database("postgresql", other_name)
        try:
            cfg = pair.config(**{
                "camunda.migrator.c8.data-source.jdbc-url": other.render_as_string(hide_password=False),
                "c7to8.batch-size": 50,
            })
            two = pair.run("--history", "--workers", "2", config=cfg)
            assert two.returncode == 0, two.stderr[-3000:]
            a, b = snapshot(pair.c8(), started), snapshot(create_engine(other), started)
            assert_same_rows(a, b)
            # both workers did work: the tracking rows of process instances span both shards
            assert sum(1 for k in b["MIGRATION_MAPPING"] if k[1] == "HISTORY_PROCESS_INSTANCE") > 10
            # a rerun with two workers adds nothing
            again = pair.run("--history", "--workers", "2", config=cfg)
            assert again.returncode == 0, again.stderr[-3000:]
            assert snapshot(create_engine(other), started) == b
        finally:
            drop_database("postgresql", other_name)
