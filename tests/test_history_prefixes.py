"""Table prefixes and a schema on the Camunda 8 side: the Camunda 8 tables (`camunda.migrator.c8.data-source.table-prefix`,
Camunda's `camunda.data.secondary-storage.rdbms.prefix`) and the tracking table (`camunda.migrator.table-prefix`).

Both lanes build their SQL from the configured names; a run with prefixes (set-based, two workers) writes
as many rows into the prefixed tables as a run without them, and nothing into unprefixed ones. The same
holds for `camunda.migrator.c8.data-source.schema` (PostgreSQL: the search path of every connection).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text

from tests.history_support import assert_same_table_counts, history_pair, rows, scalar
from tests.support.c8_snapshot import reference_and_second_target

C8_PREFIX = "C8_"
TRACKING_PREFIX = "MIG_"


def test_prefixed_tables_get_the_same_rows(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(pair, "c8pfx") as target:
        config = pair.config(**{
            "camunda.migrator.c8.data-source.jdbc-url": target.url.render_as_string(hide_password=False),
            "camunda.migrator.c8.data-source.table-prefix": C8_PREFIX,
            "camunda.migrator.table-prefix": TRACKING_PREFIX,
            "c7to8.set-based-chunk": 7, "logging.level.root": "INFO"})
        run = pair.run("--history", "--workers", "2", config=config)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "converted set-based" in run.stderr
        reference, prefixed = pair.c8(), create_engine(target.url)
        names = {n.upper() for n in inspect(prefixed).get_table_names()}
        assert "MIGRATION_MAPPING" not in names and "PROCESS_INSTANCE" not in names, names
        assert f"{TRACKING_PREFIX}MIGRATION_MAPPING" in names and f"{C8_PREFIX}PROCESS_INSTANCE" in names, names
        _same_counts(reference, prefixed, C8_PREFIX, f"{TRACKING_PREFIX}MIGRATION_MAPPING")
        # the reconciliation reads the prefixed tables
        check = pair.run("--history", "--verify", "--json", config=config)
        assert check.returncode == 0 and json.loads(check.stdout)["ok"] is True, check.stdout[-3000:]
        # a rerun with the prefixes finds everything tracked
        again = pair.run("--history", config=config)
        assert again.returncode == 0, again.stderr[-3000:]
        assert scalar(prefixed, f"SELECT count(*) FROM {TRACKING_PREFIX}MIGRATION_MAPPING") == scalar(
            reference, "SELECT count(*) FROM MIGRATION_MAPPING")


def _same_counts(reference: Engine, other: Engine, prefix: str = "", tracking: str = "MIGRATION_MAPPING") -> None:
    assert_same_table_counts(reference, other, lambda t: f'"{(prefix + t).lower()}"', at_least=500)
    sql = "SELECT TYPE, C8_KEY IS NULL AS SKIPPED, count(*) AS N FROM {} GROUP BY TYPE, C8_KEY IS NULL"
    assert {(r["TYPE"], r["SKIPPED"], r["N"]) for r in rows(reference, sql.format("MIGRATION_MAPPING"))} == {
        (r["TYPE"], r["SKIPPED"], r["N"]) for r in rows(other, sql.format(tracking))}


def test_c8_schema_holds_every_table(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(pair, "c8sch") as target:
        config = pair.config(**{
            "camunda.migrator.c8.data-source.jdbc-url": target.url.render_as_string(hide_password=False),
            "camunda.migrator.c8.data-source.schema": "camunda8",
            "c7to8.set-based-chunk": 7, "logging.level.root": "INFO"})
        missing = pair.run("--history", config=config)
        assert missing.returncode != 0
        assert "the schema 'camunda8' does not exist" in missing.stderr and "Traceback" not in missing.stderr
        other = create_engine(target.url)
        with other.begin() as conn:
            conn.execute(text("CREATE SCHEMA camunda8"))
        run = pair.run("--history", "--workers", "2", config=config)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "converted set-based" in run.stderr
        assert inspect(other).get_table_names(schema="public") == []
        in_schema = create_engine(target.url.update_query_dict({"options": "-csearch_path=camunda8"}))
        assert "migration_mapping" in inspect(in_schema).get_table_names(schema="camunda8")
        _same_counts(pair.c8(), in_schema)
        check = pair.run("--history", "--verify", "--json", config=config)
        assert check.returncode == 0 and json.loads(check.stdout)["ok"] is True, check.stdout[-3000:]
        listed = pair.run("--history", "--list-migrated", "HISTORY_PROCESS_INSTANCE", config=config)
        assert listed.returncode == 0 and "Migration mappings for [Historic Process Instances]:" in listed.stdout
