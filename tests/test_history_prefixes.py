"""Table prefixes on the Camunda 8 side: the Camunda 8 tables (`camunda.migrator.c8.data-source.table-prefix`,
Camunda's `camunda.data.secondary-storage.rdbms.prefix`) and the tracking table (`camunda.migrator.table-prefix`).

Both lanes build their SQL from the configured names; a run with prefixes (set-based, two workers) writes
as many rows into the prefixed tables as a run without them, and nothing into unprefixed ones.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from tests.history_support import history_pair, rows, scalar
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
        compared = 0
        for table in inspect(reference).get_table_names():
            upper = table.upper()
            if upper in ("MIGRATION_MAPPING", "C7TO8_KEY_SEQUENCE"):
                continue
            n = scalar(reference, f'SELECT count(*) FROM "{table}"')
            other = f"{C8_PREFIX}{upper}".lower()
            assert scalar(prefixed, f'SELECT count(*) FROM "{other}"') == n, table
            compared += n
        assert compared > 500
        sql = "SELECT TYPE, C8_KEY IS NULL AS SKIPPED, count(*) AS N FROM {} GROUP BY TYPE, C8_KEY IS NULL"
        assert {(r["TYPE"], r["SKIPPED"], r["N"]) for r in rows(reference, sql.format("MIGRATION_MAPPING"))} == {
            (r["TYPE"], r["SKIPPED"], r["N"]) for r in rows(prefixed, sql.format(f"{TRACKING_PREFIX}MIGRATION_MAPPING"))}
        # a rerun with the prefixes finds everything tracked
        again = pair.run("--history", config=config)
        assert again.returncode == 0, again.stderr[-3000:]
        assert scalar(prefixed, f"SELECT count(*) FROM {TRACKING_PREFIX}MIGRATION_MAPPING") == scalar(
            reference, "SELECT count(*) FROM MIGRATION_MAPPING")
