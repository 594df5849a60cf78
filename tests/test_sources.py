"""Camunda 7 sources: schema versions 7.17-7.24, MySQL URLs, schemas and table prefixes, H2.

Every migration here runs the real CLI on data written by the real Camunda 7 engine (the harness
built with -Dcamunda.version=...) and repeats the field-level checks of tests/test_history.py.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.dialects import mssql, oracle

from c7to8.c7 import h2, versions
from c7to8.c7.source import C7Source, keyset_pages, rows_by_ids
from c7to8.config import build_config
from c7to8.errors import SourceError
from tests import test_history as th
from tests.history_support import Pair, history_pair, rows, scalar
from tests.support import databases, harness
from tests.support.c8_snapshot import assert_same_rows, reference_and_second_target, snapshot
from tests.support.databases import admin_url, create_database, drop_database, shared_reference, unique_name

OLD_VERSIONS = ("7.17.0", "7.20.0")  # 7.24.0 (the default) is tests/test_history.py
FIELD_CHECKS: tuple[Callable[[Pair], None], ...] = (
    th.test_process_instances_field_by_field,
    th.test_call_activity_three_levels,
    th.test_flow_nodes_and_user_tasks,
    th.test_variable_values,
    th.test_incidents_decisions_and_audit_log,
)
NO_SKIPS = ("HISTORY_PROCESS_INSTANCE", "HISTORY_FLOW_NODE", "HISTORY_USER_TASK", "HISTORY_PROCESS_DEFINITION",
            "HISTORY_DECISION_DEFINITION", "HISTORY_DECISION_INSTANCE", "HISTORY_FORM_DEFINITION")


def assert_history_matches(pair: Pair) -> None:
    counts = th.reconcile(pair)
    assert counts["HISTORY_PROCESS_INSTANCE"][0] > 50
    for t in NO_SKIPS:
        assert counts[t][2] == 0, f"{t} has skips: {counts[t]}"
    for check in FIELD_CHECKS:
        check(pair)


def migrate(pair: Pair, **config: Any) -> None:
    r = pair.run("--history", config=pair.config(**config))
    assert r.returncode == 0, r.stderr[-3000:]


# --------------------------------------------------------------------------------------------------
# versions 7.17 and 7.20 on PostgreSQL and MariaDB


@pytest.fixture(scope="module", params=[(v, db) for v in OLD_VERSIONS for db in ("postgresql", "mariadb")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def old_version(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    version, vendor = request.param
    with history_pair(vendor, tmp_path_factory.mktemp("ver"), camunda_version=version) as pair:
        assert pair.summary["camundaVersion"] == version
        migrate(pair)
        yield pair


def test_old_version_history_matches_field_by_field(old_version: Pair) -> None:
    assert_history_matches(old_version)


def test_old_version_two_workers_write_the_rows_of_one(old_version: Pair) -> None:
    """Two workers (on PostgreSQL in the set-based lane, tiny chunks) write the rows of one row-by-row
    run; the lane reads only the columns this schema version has (or leaves the type to the pipeline)."""
    started = datetime.now(UTC) - timedelta(seconds=1)
    names = [unique_name("c8vr"), unique_name("c8vs")]
    urls = [create_database("postgresql", n) for n in names]
    try:
        for url, extra, args in ((urls[0], {"c7to8.set-based": False}, ()),
                                 (urls[1], {"c7to8.set-based-chunk": 7}, ("--workers", "2"))):
            r = old_version.run("--history", *args, config=old_version.config(**{
                "camunda.migrator.c8.data-source.jdbc-url": url.render_as_string(hide_password=False), **extra}))
            assert r.returncode == 0, r.stderr[-3000:]
        assert_same_rows(snapshot(create_engine(urls[0]), started), snapshot(create_engine(urls[1]), started),
                         at_least=300)
    finally:
        for n in names:
            drop_database("postgresql", n)


def test_old_version_schema_detected_and_columns_as_documented(old_version: Pair) -> None:
    engine = old_version.c7()
    try:
        info = C7Source(engine).schema_info()
        version = versions.parse_version(old_version.summary["camundaVersion"])
        assert version is not None
        assert info.version == versions.format_version(version) and info.source == "ACT_GE_SCHEMA_LOG"
        insp = inspect(engine)
        for added in versions.ADDED_COLUMNS:
            have = {c["name"].upper() for c in insp.get_columns(_physical(insp, added.table))}
            assert (added.column in have) == (version[:2] >= added.since), f"{added} on {version}"
        # a 7.17-7.21 task row gets TASK_STATE_ derived, the way 7.22+ writes it
        src = C7Source(engine)
        t = src.table("ACT_HI_TASKINST")
        got = [r for page in keyset_pages(engine, list(t.columns), t, t.c.START_TIME_, t.c.ID_, 50) for r in page]
        assert {r["TASK_STATE_"] for r in got} <= {"Completed", "Deleted", "Created"}
        for r in got:
            assert (r["TASK_STATE_"] == "Completed") == (r["DELETE_REASON_"] == "completed")
            assert (r["TASK_STATE_"] == "Created") == (r["END_TIME_"] is None)
        with engine.connect() as conn:
            by_id = rows_by_ids(conn, t, "ID_", [str(got[0]["ID_"])])
        assert by_id[str(got[0]["ID_"])]["TASK_STATE_"] == got[0]["TASK_STATE_"]
    finally:
        engine.dispose()


def _physical(insp: Any, table: str) -> str:
    return str(next(n for n in insp.get_table_names() if n.upper() == table))


def test_fill_task_state_keeps_stored_values() -> None:
    row: dict[str, Any] = {"TASK_STATE_": "Updated", "END_TIME_": None}
    versions.fill_task_state(row)
    assert row["TASK_STATE_"] == "Updated"
    for end, reason, state in ((None, None, "Created"), (1, "completed", "Completed"), (1, "deleted", "Deleted"),
                               (1, "canceled by harness", "Deleted")):
        r: dict[str, Any] = {"END_TIME_": end, "DELETE_REASON_": reason}
        versions.fill_task_state(r)
        assert r["TASK_STATE_"] == state


# --------------------------------------------------------------------------------------------------
# version detection and refusal (tiny SQLite databases holding only the two version tables)


def _version_db(path: Path, schema_log: list[str] | None, prop: str | None = "fox") -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE ACT_GE_PROPERTY (NAME_ varchar(64) PRIMARY KEY, VALUE_ varchar(300), REV_ int)"))
        if prop is not None:
            conn.execute(text("INSERT INTO ACT_GE_PROPERTY VALUES ('schema.version', :v, 1)"), {"v": prop})
        if schema_log is not None:
            conn.execute(text("CREATE TABLE ACT_GE_SCHEMA_LOG (ID_ varchar(64) PRIMARY KEY, TIMESTAMP_ timestamp, "
                              "VERSION_ varchar(255))"))
            for i, v in enumerate(schema_log):
                conn.execute(text("INSERT INTO ACT_GE_SCHEMA_LOG VALUES (:i, CURRENT_TIMESTAMP, :v)"),
                             {"i": str(i * 100), "v": v})
    return engine


@pytest.mark.parametrize(("log", "prop", "expected"), [
    (["7.17.0"], "fox", "7.17.0"),
    (["7.16.0", "7.17.0", "7.18.0", "7.9.0"], "fox", "7.18.0"),  # upgraded: newest entry, numerically
    (["7.24.0", "7.24.3"], "fox", "7.24.3"),  # patch releases of 7.24 are read
    ([], "7.21.0", "7.21.0"),  # empty log: fall back to a numeric schema.version
])
def test_schema_version_is_the_newest_schema_log_entry(tmp_path: Path, log: list[str], prop: str,
                                                       expected: str) -> None:
    engine = _version_db(tmp_path / "v.db", log, prop)
    assert C7Source(engine).schema_info().version == expected


@pytest.mark.parametrize(("log", "prop", "message"), [
    (["7.16.0"], "fox", "7.16.0 is older than 7.17.0"),
    (["7.25.0"], "fox", "7.25.0 is newer than 7.24"),
    (["8.0.0"], "fox", "8.0.0 is newer than 7.24"),
    (None, "fox", "no ACT_GE_SCHEMA_LOG table, so its schema is older than 7.11"),
    ([], "fox", "Cannot tell the Camunda 7 schema version"),
])
def test_unreadable_versions_are_refused_with_a_clear_message(tmp_path: Path, log: list[str] | None, prop: str,
                                                              message: str) -> None:
    engine = _version_db(tmp_path / "v.db", log, prop)
    with pytest.raises(SourceError, match=message):
        C7Source(engine).schema_info()


def test_cli_refuses_an_unknown_version(tmp_path: Path) -> None:
    _version_db(tmp_path / "c7.db", ["7.25.0"]).dispose()
    pair = Pair(create_engine(f"sqlite:///{tmp_path / 'c7.db'}").url, create_engine(f"sqlite:///{tmp_path / 'c8.db'}").url,
                "sqlite", {}, tmp_path)
    r = pair.run("--history")
    assert r.returncode == SourceError.exit_code, r.stderr[-2000:]
    assert "Camunda 7 schema version 7.25.0 is newer than 7.24" in r.stderr


# --------------------------------------------------------------------------------------------------
# MySQL URLs, non-default schemas, table prefixes (7.24 data)


def test_mysql_jdbc_url_reads_mariadb_data(tmp_path: Path) -> None:
    """No MySQL server on the test bed: jdbc:mysql: is exercised against MariaDB (same driver path)."""
    with history_pair("mariadb", tmp_path) as pair:
        u = pair.c7_url
        migrate(pair, **{
            "camunda.migrator.c7.data-source.jdbc-url": f"jdbc:mysql://{u.host}:{u.port}/{u.database}?useSSL=false",
            "camunda.migrator.c7.data-source.username": u.username,
            "camunda.migrator.c7.data-source.password": u.password,
        })
        assert_history_matches(pair)


def _move_to_schema(pair: Pair, schema: str) -> Pair:
    with create_engine(pair.c7_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"ALTER SCHEMA public RENAME TO {schema}"))
        conn.execute(text("CREATE SCHEMA public"))
    return dataclasses.replace(pair, c7_url=pair.c7_url.update_query_dict({"options": f"-csearch_path={schema}"}))


def test_postgres_current_schema_in_jdbc_url(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        moved = _move_to_schema(pair, "camunda7")
        u = pair.c7_url
        migrate(pair, **{
            "camunda.migrator.c7.data-source.jdbc-url":
                f"jdbc:postgresql://{u.host}:{u.port}/{u.database}?currentSchema=camunda7&ssl=false",
            "camunda.migrator.c7.data-source.username": u.username,
            "camunda.migrator.c7.data-source.password": u.password,
        })
        assert_history_matches(moved)


def test_postgres_schema_key(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        moved = _move_to_schema(pair, "engine7")
        migrate(pair, **{"camunda.migrator.c7.data-source.schema": "engine7"})
        th.reconcile(moved)
        th.test_process_instances_field_by_field(moved)
        th.test_variable_values(moved)


def _rename_tables(url: Any, vendor: str, add: str = "", strip: str = "") -> None:
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        for name in inspect(conn).get_table_names():
            if not name.upper().startswith((strip + "ACT_").upper()):
                continue
            new = add + name[len(strip):]
            q = f"ALTER TABLE {name} RENAME TO {new}" if vendor == "postgresql" else f"RENAME TABLE `{name}` TO `{new}`"
            conn.execute(text(q))


@pytest.mark.parametrize("vendor", ["postgresql", "mariadb"])
def test_table_prefix(tmp_path: Path, vendor: str) -> None:
    prefix = "c7_" if vendor == "postgresql" else "CAM_"
    with history_pair(vendor, tmp_path) as pair:
        _rename_tables(pair.c7_url, vendor, add=prefix)
        migrate(pair, **{"camunda.migrator.c7.data-source.table-prefix": prefix})
        _rename_tables(pair.c7_url, vendor, strip=prefix)  # the checks read the C7 tables by their own names
        assert_history_matches(pair)


def test_wrong_prefix_names_the_missing_table(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        r = pair.run("--history", config=pair.config(**{"camunda.migrator.c7.data-source.table-prefix": "NOPE_"}))
        assert r.returncode == SourceError.exit_code
        assert "NOPE_ACT_GE_PROPERTY" in r.stderr


# --------------------------------------------------------------------------------------------------
# H2


def h2_dataset(dest_dir: Path, camunda_version: str = harness.DEFAULT_CAMUNDA_VERSION,
               scenarios: str = "all") -> tuple[Path, dict[str, Any]]:
    """Copy the cached harness H2 file (built once per harness sources, version and scenarios) into dest_dir."""
    import json

    key = harness.dataset_key("h2", scenarios=scenarios, camunda_version=camunda_version)
    cached = harness.cache_dir() / "datasets" / f"{key}.h2"
    with harness._file_lock(harness.cache_dir() / "datasets" / f"{key}.lock"):
        if not (cached / "c7.mv.db").exists() or not (cached / "summary.json").exists():
            building = cached.with_suffix(".building")
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir(parents=True)
            summary = harness.run_harness(f"jdbc:h2:file:{building / 'c7'}", "sa", "sa", scenarios=scenarios,
                                          camunda_version=camunda_version)
            (building / "summary.json").write_text(json.dumps(summary))
            shutil.rmtree(cached, ignore_errors=True)
            building.replace(cached)
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(cached / "c7.mv.db", dest_dir / "c7.mv.db")
    return dest_dir / "c7", json.loads((cached / "summary.json").read_text())


class H2Pair(Pair):
    """A Pair whose C7 side is an H2 file; c7() serves it through c7to8's own H2 bridge."""

    h2_jdbc: str = ""
    engine: Engine | None = None

    def c7(self) -> Engine:
        # one server for all checks (engine.dispose() leaves it running); stopped by close()
        if self.engine is None:
            self.engine = h2.open_h2_engine(self.h2_jdbc, "sa", "sa", "test")
        return self.engine

    def close(self) -> None:
        if self.engine is not None:
            h2.stop(self.engine)
            self.engine = None


def test_h2_file_history_matches_field_by_field(tmp_path: Path) -> None:
    assert h2.find_java() is not None, "a Java runtime is part of the test bed (scripts/testbed installs it)"
    db, summary = h2_dataset(tmp_path / "h2")
    databases.testbed_env()
    c8_name = unique_name("c8h2")
    c8_url = create_database("postgresql", c8_name)
    try:
        pair = H2Pair(admin_url("postgresql"), c8_url, "h2", summary, tmp_path)
        pair.h2_jdbc = f"jdbc:h2:file:{db}"
        migrate(pair, **{
            "camunda.migrator.c7.data-source.jdbc-url": pair.h2_jdbc,
            "camunda.migrator.c7.data-source.username": "sa",
            "camunda.migrator.c7.data-source.password": "sa",
        })
        try:
            assert_history_matches(pair)
            engine = pair.c7()
            assert C7Source(engine).schema_info().version == summary["camundaVersion"]
            serialized = rows(engine, "SELECT b.BYTES_ FROM ACT_HI_VARINST v JOIN ACT_GE_BYTEARRAY b "
                                      "ON b.ID_ = v.BYTEARRAY_ID_ WHERE v.VAR_TYPE_ = 'serializable'")
            assert serialized and all(bytes(r["BYTES_"])[:2] == b"\xac\xed" for r in serialized)  # Java stream magic
        finally:
            pair.close()
    finally:
        drop_database("postgresql", c8_name)


def test_h2_in_memory_url_is_refused() -> None:
    with pytest.raises(SourceError, match="in-memory H2 database"):
        h2.source_jdbc_url("jdbc:h2:mem:camunda", "camunda.migrator.c7.data-source")


def test_h2_without_java_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C7TO8_JAVA", str(tmp_path / "no-java"))
    with pytest.raises(h2.H2Unavailable, match="needs a Java runtime"):
        h2.requirements()
    monkeypatch.delenv("C7TO8_JAVA")
    monkeypatch.setenv("C7TO8_H2_JAR", str(tmp_path / "missing.jar"))
    with pytest.raises(h2.H2Unavailable, match="C7TO8_H2_JAR"):
        h2.requirements()


def test_h2_is_refused_as_camunda8_target() -> None:
    from c7to8.db import open_engine
    from c7to8.errors import NotSupportedYet

    cfg = build_config({"camunda.migrator.c8.data-source.jdbc-url": "jdbc:h2:file:/tmp/x"})
    assert cfg.c8 is not None
    with pytest.raises(NotSupportedYet, match="Camunda 7 source only"):
        open_engine(cfg.c8, "c8")


# --------------------------------------------------------------------------------------------------
# Oracle and SQL Server: the reader's SQL, compiled (no server here)


def _compiled_reader_sql(dialect: Any) -> list[str]:
    from sqlalchemy import Column, DateTime, MetaData, String, Table

    md = MetaData()
    t = Table("ACT_HI_PROCINST", md, Column("ID_", String(64), quote=False), Column("START_TIME_", DateTime, quote=False),
              quote=False)
    captured: list[str] = []

    class Recorder:
        def __init__(self) -> None:
            self.dialect = dialect

        def connect(self) -> Any:
            return self

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *a: Any) -> None:
            return None

        def execute(self, q: Any) -> list[Any]:
            captured.append(str(q.compile(dialect=dialect, compile_kwargs={"literal_binds": False})))
            return []

    from datetime import datetime

    list(keyset_pages(Recorder(), list(t.columns), t, t.c.START_TIME_, t.c.ID_, 100,  # type: ignore[arg-type]
                      since=datetime(2024, 1, 1)))
    return captured


def test_keyset_sql_compiles_for_oracle_and_sql_server() -> None:
    (ora,) = _compiled_reader_sql(oracle.dialect())  # type: ignore[no-untyped-call]
    assert "FETCH FIRST" in ora and "LIMIT" not in ora and "ACT_HI_PROCINST.START_TIME_ >=" in ora
    (ms,) = _compiled_reader_sql(mssql.dialect())  # type: ignore[no-untyped-call]
    assert "TOP" in ms.upper() and "LIMIT" not in ms and "ORDER BY ACT_HI_PROCINST.START_TIME_" in ms


def test_reference_ddl_tables_exist_for_every_vendor() -> None:
    """The tables the reader needs exist with the same columns in every vendor's 7.24 DDL."""
    import re

    ddl = shared_reference("c7-ddl")
    needed = {"ACT_HI_TASKINST": {"TASK_STATE_", "DELETE_REASON_", "END_TIME_"},
              "ACT_HI_PROCINST": {"RESTARTED_PROC_INST_ID_", "ROOT_PROC_INST_ID_"},
              "ACT_GE_SCHEMA_LOG": {"VERSION_"}, "ACT_RE_CAMFORMDEF": {"KEY_", "VERSION_"}}
    for vendor in ("postgres", "mysql", "h2", "oracle", "mssql", "db2"):
        text_ = " ".join(p.read_text() for p in (ddl / vendor).glob("*.sql"))
        for table, cols in needed.items():
            m = re.search(rf"create table {table} \((.*?)\n\)", text_, re.S | re.I)
            assert m, f"{vendor}: {table}"
            body = m.group(1).upper()
            for c in cols:
                assert re.search(rf"\b{c}\s", body), f"{vendor}: {table}.{c}"


def test_schema_and_prefix_with_the_set_based_lane_and_two_workers(tmp_path: Path) -> None:
    """The C7 tables in their own schema and with a prefix, read by two set-based workers (tiny chunks),
    in another time zone and without saved skip reasons: the rows of a plain row-by-row run."""
    shared = {"c7to8.time-zone": "Europe/Berlin", "camunda.migrator.save-skip-reason": False}
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(
            pair, "c8sp", reference={**shared, "c7to8.set-based": False}) as target:
        moved = _move_to_schema(pair, "engine7")
        _rename_tables(moved.c7_url, "postgresql", add="c7_")
        run = pair.run("--history", "--workers", "2", config=pair.config(**{
            **shared,
            "camunda.migrator.c8.data-source.jdbc-url": target.url.render_as_string(hide_password=False),
            "camunda.migrator.c7.data-source.schema": "engine7",
            "camunda.migrator.c7.data-source.table-prefix": "c7_",
            "c7to8.set-based-chunk": 7, "logging.level.root": "INFO"}))
        assert run.returncode == 0, run.stderr[-3000:]
        assert "converted set-based" in run.stderr
        assert_same_rows(snapshot(pair.c8(), target.started), snapshot(create_engine(target.url), target.started))
        assert scalar(create_engine(target.url), "SELECT count(*) FROM MIGRATION_MAPPING WHERE SKIP_REASON IS NOT NULL") == 0
