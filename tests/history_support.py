"""Helpers for history tests: harness data sets, running the real CLI, reading both sides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL

from tests.support import harness
from tests.support.databases import admin_url, create_database, drop_database, testbed_env, unique_name

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Pair:
    """A C7 database holding a harness data set and an empty C8 database."""

    c7_url: URL
    c8_url: URL
    c7_vendor: str
    summary: dict[str, Any]
    workdir: Path

    def c7(self) -> Engine:
        return create_engine(self.c7_url)

    def c8(self) -> Engine:
        return create_engine(self.c8_url)

    def config(self, **extra: Any) -> Path:
        lines = {
            "camunda.migrator.c7.data-source.jdbc-url": self.c7_url.render_as_string(hide_password=False),
            "camunda.migrator.c8.data-source.jdbc-url": self.c8_url.render_as_string(hide_password=False),
            "camunda.migrator.c8.data-source.auto-ddl": True,
            "camunda.migrator.history.partition-count": 2,
            "camunda.migrator.save-skip-reason": True,
            "logging.level.root": "WARN",
        }
        lines.update({k.replace("__", "."): v for k, v in extra.items()})
        path = self.workdir / f"application-{unique_name('cfg')}.yml"
        # flat dotted keys are valid for our loader (Spring accepts them too)
        path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in lines.items()))
        return path

    def run(self, *args: str, config: Path | None = None, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        cfg = config or self.config()
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "c7to8.cli", *args, "--config", str(cfg), "--no-progress"],
            capture_output=True, text=True, timeout=timeout, cwd=str(self.workdir), env=e,
        )


@contextmanager
def history_pair(c7_vendor: str, tmp_path: Path, **harness_args: Any) -> Iterator[Pair]:
    testbed_env()
    c7_name, c8_name = unique_name("c7h"), unique_name("c8h")
    if c7_vendor == "postgresql":
        summary = harness.postgres_dataset(admin_url("postgresql"), c7_name, **harness_args)
        c7_url = admin_url("postgresql").set(database=c7_name)
    else:
        summary = harness.mariadb_dataset(admin_url("mariadb"), c7_name, **harness_args)
        c7_url = admin_url("mariadb").set(database=c7_name).update_query_dict({"charset": "utf8mb4"})
    c8_url = create_database("postgresql", c8_name)
    try:
        yield Pair(c7_url, c8_url, c7_vendor, summary, tmp_path)
    finally:
        drop_database(c7_vendor, c7_name)
        drop_database("postgresql", c8_name)


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [{k.upper(): v for k, v in r._mapping.items()} for r in conn.execute(text(sql), params)]


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def mapping(c8: Engine, type_: str, migrated: bool | None = None) -> dict[str, str | None]:
    cond = "" if migrated is None else (" AND C8_KEY IS NOT NULL" if migrated else " AND C8_KEY IS NULL")
    return {r["C7_ID"]: r["C8_KEY"] for r in rows(c8, f"SELECT C7_ID, C8_KEY FROM MIGRATION_MAPPING WHERE TYPE = :t{cond}",
                                               t=type_)}


def utc(value: datetime | None) -> datetime | None:
    """C7 naive timestamps are written in UTC by the harness (TZ=UTC JVM); compare as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: tracking type -> the C7 ids it must account for
C7_IDS = {
    "HISTORY_PROCESS_DEFINITION": "SELECT ID_ FROM ACT_RE_PROCDEF",
    "HISTORY_PROCESS_INSTANCE": "SELECT ID_ FROM ACT_HI_PROCINST",
    "HISTORY_FLOW_NODE": "SELECT ID_ FROM ACT_HI_ACTINST",
    "HISTORY_USER_TASK": "SELECT ID_ FROM ACT_HI_TASKINST",
    "HISTORY_VARIABLE": "SELECT ID_ FROM ACT_HI_VARINST",
    "HISTORY_INCIDENT": "SELECT ID_ FROM ACT_HI_INCIDENT",
    "HISTORY_JOB": "SELECT DISTINCT JOB_ID_ AS ID_ FROM ACT_HI_JOB_LOG",
    "HISTORY_AUDIT_LOG": "SELECT DISTINCT OPERATION_ID_ AS ID_ FROM ACT_HI_OP_LOG",
}


def tracking(c8: Engine) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """Tracking type -> C7 id -> (C8 key, skip reason)."""
    out: dict[str, dict[str, tuple[str | None, str | None]]] = {}
    for r in rows(c8, "SELECT TYPE, C7_ID, C8_KEY, SKIP_REASON FROM MIGRATION_MAPPING"):
        out.setdefault(r["TYPE"], {})[r["C7_ID"]] = (r["C8_KEY"], r["SKIP_REASON"])
    return out


def assert_accounted_for(c7: Engine, c8: Engine) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """Every C7 history row of the C7_IDS types has exactly one tracking row: migrated, or skipped with a
    reason. Returns the tracking rows (``tracking``)."""
    tracked = tracking(c8)
    for type_, sql in C7_IDS.items():
        ids = {str(r["ID_"]) for r in rows(c7, sql)}
        got = tracked.get(type_, {})
        assert set(got) == ids, (type_, ids ^ set(got))
        for c7_id, (key, reason) in got.items():
            assert (key is None) is not (reason is None), (type_, c7_id, key, reason)  # migrated xor a reason
    return tracked


def skip_reasons(tracked: dict[str, dict[str, tuple[str | None, str | None]]]) -> dict[str, dict[str, str | None]]:
    """Tracking type -> C7 id -> skip reason (None: migrated); keys differ between runs, outcomes do not."""
    return {t: {i: reason for i, (_, reason) in by_id.items()} for t, by_id in tracked.items()}


def assert_same_table_counts(reference: Engine, other: Engine, other_table: Callable[[str], str], at_least: int) -> None:
    """Every Camunda 8 table of `reference` (tracking and key tables aside) has as many rows in `other`,
    where it is called `other_table(<upper-case name>)` (quoted as that database needs)."""
    compared = 0
    for table in inspect(reference).get_table_names():
        upper = table.upper()
        if upper in ("MIGRATION_MAPPING", "C7TO8_KEY_SEQUENCE"):
            continue
        n = scalar(reference, f'SELECT count(*) FROM "{table}"')
        assert scalar(other, f"SELECT count(*) FROM {other_table(upper)}") == n, table
        compared += n
    assert compared > at_least
