"""`--workers 2` writes the same Camunda 8 rows and tracking rows as one worker (keys aside)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from tests.history_support import history_pair, scalar
from tests.support.c8_snapshot import assert_same_rows, reference_and_second_target, snapshot

#: how often c7to8 (not autovacuum) analyzed a table
ANALYZED = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :t AND schemaname = current_schema()"


def test_two_workers_write_the_same_rows_as_one(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(pair, "c8w") as target:
        two = pair.run("--history", "--workers", "2", config=target.config)
        assert two.returncode == 0, two.stderr[-3000:]
        # a worker's warnings reach this process's log, naming the worker (they were lost before)
        assert "WARNING --- [c7to8-worker-" in two.stderr and "document store not available" in two.stderr
        a, b = snapshot(pair.c8(), target.started), snapshot(create_engine(target.url), target.started)
        assert_same_rows(a, b)
        # both workers did work: the tracking rows of process instances span both shards
        assert sum(1 for k in b["MIGRATION_MAPPING"] if k[1] == "HISTORY_PROCESS_INSTANCE") > 10
        # the flow nodes' planner statistics were refreshed once, by one shard, for the later lookups
        second = create_engine(target.url)
        assert scalar(second, ANALYZED, t="flow_node_instance") == 1
        assert scalar(second, ANALYZED, t="user_task") == 0  # the others are left to autovacuum
        # a rerun with two workers adds nothing
        again = pair.run("--history", "--workers", "2", config=target.config)
        assert again.returncode == 0, again.stderr[-3000:]
        assert snapshot(create_engine(target.url), target.started) == b


def test_two_workers_on_a_mariadb_source_write_the_same_rows_as_one(tmp_path: Path) -> None:
    # row by row (the set-based lane needs PostgreSQL on both sides); shards by MariaDB's own hash
    with history_pair("mariadb", tmp_path) as pair, reference_and_second_target(pair, "c8wm") as target:
        two = pair.run("--history", "--workers", "2", config=target.config)
        assert two.returncode == 0, two.stderr[-3000:]
        assert_same_rows(snapshot(pair.c8(), target.started), snapshot(create_engine(target.url), target.started))


def test_retry_skipped_with_two_workers_heals_what_was_skipped(tmp_path: Path) -> None:
    """A first run (two workers) that skips Java-serialized variables the official way, then
    `--retry-skipped --workers 2` with them decoded (the default): the rows of one plain run."""
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(pair, "c8wr") as target:
        official = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url":
                                  target.url.render_as_string(hide_password=False),
                                  "c7to8.variables.java-objects": "official"})
        first = pair.run("--history", "--workers", "2", config=official)
        assert first.returncode == 0, first.stderr[-3000:]
        second = create_engine(target.url)
        skipped = scalar(second, "SELECT count(*) FROM MIGRATION_MAPPING WHERE TYPE = 'HISTORY_VARIABLE'"
                                 " AND C8_KEY IS NULL AND SKIP_REASON LIKE '%java-serialized%'")
        assert skipped > 0
        retry = pair.run("--history", "--retry-skipped", "--workers", "2", config=target.config)
        assert retry.returncode == 0, retry.stderr[-3000:]
        assert_same_rows(snapshot(pair.c8(), target.started), snapshot(second, target.started))
