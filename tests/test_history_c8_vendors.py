"""Camunda 8 on MariaDB (Camunda 8.9 supports MariaDB and MySQL as secondary storage) and on SQLite
(the embedded demo's): a history migration of every scenario plus `zoo` from PostgreSQL writes as many
rows per table, and the same migrated and skipped entities, as one into PostgreSQL; a rerun adds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine

from tests.history_support import (
    assert_accounted_for,
    assert_same_table_counts,
    history_pair,
    rows,
    skip_reasons,
    tracking,
)
from tests.support.databases import create_database, drop_database, unique_name

SCENARIOS = "all,zoo"


@pytest.mark.parametrize("target", ["mariadb", "sqlite"])
def test_history_into_another_vendor_matches_postgresql(tmp_path: Path, target: str) -> None:
    with history_pair("postgresql", tmp_path, scenarios=SCENARIOS) as pair:
        ref = pair.run("--history")
        assert ref.returncode == 0, ref.stderr[-3000:]
        name = unique_name("c8m")
        if target == "mariadb":
            url = create_database("mariadb", name).update_query_dict({"charset": "utf8mb4"})
        else:
            url = URL.create("sqlite", database=str(tmp_path / f"{name}.db"))
        try:
            config = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url": url.render_as_string(hide_password=False),
                                    "logging.level.root": "INFO"})
            run = pair.run("--history", "--workers", "2", config=config)
            assert run.returncode == 0, run.stderr[-3000:]
            assert "Set-based lane not used" in run.stderr  # row by row: the lane needs PostgreSQL on both sides
            other, pg = create_engine(url), pair.c8()
            tracked = assert_accounted_for(pair.c7(), other)
            reference = tracking(pg)

            assert skip_reasons(tracked) == skip_reasons(reference)
            assert_same_table_counts(pg, other, (lambda t: f'"{t}"') if target == "sqlite" else (lambda t: f"`{t}`"),
                                     at_least=1000)
            # values arrive alike: the variables' JSON texts
            sql = "SELECT VAR_NAME, VAR_VALUE FROM VARIABLE WHERE VAR_NAME IN ('escapes', 'emoji', 'bigText', 'maxDouble')"
            values = sorted((r["VAR_NAME"], r["VAR_VALUE"]) for r in rows(other, sql))
            assert len(values) >= 4 and values == sorted((r["VAR_NAME"], r["VAR_VALUE"]) for r in rows(pg, sql))
            again = pair.run("--history", config=config)
            assert again.returncode == 0, again.stderr[-3000:]
            assert tracking(other) == tracked
        finally:
            if target == "mariadb":
                drop_database("mariadb", name)
