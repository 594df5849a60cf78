"""Configuration: official keys, relaxed env overrides, JDBC translation, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from c7to8.config import Period, jdbc_to_sqlalchemy, load_config, parse_period
from c7to8.errors import ConfigError

YAML = """
camunda:
  client:
    rest-address: http://127.0.0.1:8080/
    auth:
      method: basic
      username: demo
      password: s3cret-pw
  migrator:
    page-size: 250
    table-prefix: MY_
    save-skip-reason: false
    tenant-ids: tenant1, tenant2
    interceptors:
      - class-name: io.camunda.migration.data.impl.interceptor.ByteArrayVariableValidator
        enabled: false
      - class-name: my.pkg.Custom
        properties: {some-property: 7}
    history:
      partition-count: 3
      legacy-id-prefix: old-
      auto-cancel:
        cleanup:
          ttl: P6M
    c7:
      data-source:
        jdbc-url: jdbc:postgresql://db.example:5433/camunda?currentSchema=c7&sslmode=require
        username: c7user
        password: pa:ss@word
        table-prefix: ENG_
    c8:
      data-source:
        jdbc-url: jdbc:mariadb://127.0.0.1:3306/c8
        username: root
        password: x
        auto-ddl: true
"""


def write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "application.yml"
    p.write_text(text)
    return str(p)


def test_official_keys_are_read(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, YAML), env={})
    assert c.page_size == 250 and c.table_prefix == "MY_" and not c.save_skip_reason
    assert c.tenant_ids == ("tenant1", "tenant2")
    assert c.history.partition_count == 3 and c.history.legacy_id_prefix == "old-"
    assert c.history.cleanup_ttl == Period(months=6)
    assert c.client.rest_address == "http://127.0.0.1:8080" and c.client.auth_method == "basic"
    assert [(i.class_name, i.enabled) for i in c.interceptors] == [
        ("io.camunda.migration.data.impl.interceptor.ByteArrayVariableValidator", False),
        ("my.pkg.Custom", True),
    ]
    assert c.interceptors[1].properties == {"some-property": 7}
    assert c.c7 is not None and c.c8 is not None
    assert c.c7.url.drivername == "postgresql+psycopg" and c.c7.url.host == "db.example"
    assert c.c7.url.port == 5433 and c.c7.url.database == "camunda"
    assert c.c7.url.password == "pa:ss@word" and c.c7.url.query["sslmode"] == "require"
    assert c.c7.url.query["options"] == "-csearch_path=c7"
    assert c.c7.table_prefix == "ENG_"
    assert c.c8.url.drivername == "mysql+pymysql" and c.c8.auto_ddl


def test_env_overrides_with_relaxed_names(tmp_path: Path) -> None:
    env = {"CAMUNDA_MIGRATOR_PAGE_SIZE": "42", "CAMUNDA_MIGRATOR_SAVE_SKIP_REASON": "true",
           "CAMUNDA_MIGRATOR_C7_DATA_SOURCE_JDBC_URL": "jdbc:mysql://h:3307/x",
           "CAMUNDA_CLIENT_REST_ADDRESS": "http://other:9999"}
    c = load_config(write(tmp_path, YAML), env=env)
    assert c.page_size == 42 and c.save_skip_reason
    assert c.c7 is not None and c.c7.url.port == 3307 and c.c7.url.drivername == "mysql+pymysql"
    assert c.client.rest_address == "http://other:9999"


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ("camunda:\n  migrator:\n    page-size: lots\n", "camunda.migrator.page-size"),
        ("camunda:\n  migrator:\n    page-size: 0\n", "camunda.migrator.page-size"),
        ("camunda:\n  migrator:\n    save-skip-reason: maybe\n", "camunda.migrator.save-skip-reason"),
        ("camunda:\n  migrator:\n    history:\n      partition-count: 0\n", "camunda.migrator.history.partition-count"),
        ("camunda:\n  migrator:\n    history:\n      legacy-id-prefix: '9bad'\n",
         "camunda.migrator.history.legacy-id-prefix"),
        ("camunda:\n  migrator:\n    history:\n      auto-cancel:\n        cleanup:\n          ttl: soon\n",
         "camunda.migrator.history.auto-cancel.cleanup.ttl"),
        ("camunda:\n  migrator:\n    identity:\n      skip-groups: true\n", "camunda.migrator.identity.skip-groups"),
        ("camunda:\n  migrator:\n    c7:\n      data-source:\n        jdbc-url: jdbc:foo://x\n",
         "camunda.migrator.c7.data-source.jdbc-url"),
        ("camunda:\n  client:\n    auth:\n      method: kerberos\n", "camunda.client.auth.method"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, snippet: str, key: str) -> None:
    with pytest.raises(ConfigError) as ei:
        load_config(write(tmp_path, snippet), env={})
    assert ei.value.key == key
    assert ei.value.exit_code == 2


def test_partition_count_message_is_official(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Invalid partition count: 0. The property "
                       "'camunda.migrator.history.partition-count' must be at least 1."):
        load_config(write(tmp_path, "camunda:\n  migrator:\n    history:\n      partition-count: 0\n"), env={})


def test_passwords_never_in_repr_or_errors(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, YAML), env={})
    assert "s3cret-pw" not in repr(c)
    assert c.c7 is not None and "pa:ss@word" not in c.c7.display_url()
    with pytest.raises(ConfigError) as ei:
        load_config(write(tmp_path, "camunda:\n  migrator:\n    c7:\n      data-source:\n"
                                    "        jdbc-url: 'jdbc:weird://u:topsecret@h/x?password=topsecret'\n"), env={})
    assert "topsecret" not in str(ei.value)


@pytest.mark.parametrize(
    ("jdbc", "driver", "host", "port", "db"),
    [
        ("jdbc:postgresql://localhost/camunda", "postgresql+psycopg", "localhost", None, "camunda"),
        ("jdbc:mariadb://127.0.0.1:3306/c7", "mysql+pymysql", "127.0.0.1", 3306, "c7"),
        ("jdbc:mysql://h:3306/c7?useSSL=false", "mysql+pymysql", "h", 3306, "c7"),
        ("jdbc:oracle:thin:@ora:1521/XEPDB1", "oracle+oracledb", "ora", 1521, None),
        ("jdbc:sqlserver://sql:1433;databaseName=camunda;encrypt=false", "mssql+pymssql", "sql", 1433, "camunda"),
        ("postgresql+psycopg://u:p@h:1/d", "postgresql+psycopg", "h", 1, "d"),
    ],
)
def test_jdbc_translation(jdbc: str, driver: str, host: str, port: int | None, db: str | None) -> None:
    url = jdbc_to_sqlalchemy(jdbc, "u", "p", "k")
    assert (url.drivername, url.host, url.port, url.database) == (driver, host, port, db)
    assert url.username == "u" and url.password == "p"


def test_h2_url_is_recognised() -> None:
    url = jdbc_to_sqlalchemy("jdbc:h2:./h2/data-migrator-source.db;TRACE_LEVEL_FILE=0", "sa", "", "k")
    assert url.drivername == "h2"


@pytest.mark.parametrize(
    ("text", "period"),
    [("P6M", Period(months=6)), ("P1Y2M3D", Period(1, 2, 3)), ("P90D", Period(days=90)), ("P2W", Period(days=14)),
     ("90d", Period(days=90)), ("P0D", Period())],
)
def test_periods(text: str, period: Period) -> None:
    assert parse_period("k", text) == period


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    c = load_config(None, env={})
    assert c.page_size == 100 and c.job_type == "migrator" and c.history.legacy_id_prefix == "c7-legacy-"
    assert c.history.cleanup_ttl == Period(days=180) and c.c8 is None


def test_runtime_concurrency_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None, env={}).extras.runtime_concurrency == 1  # sequential, like the official tool
    (tmp_path / "application.yml").write_text("c7to8:\n  runtime-concurrency: 8\n")
    assert load_config(None, env={}).extras.runtime_concurrency == 8
    assert load_config(None, env={"C7TO8_RUNTIME_CONCURRENCY": "3"}).extras.runtime_concurrency == 3
    for bad, problem in (("0", "must be at least 1, got 0"), ("65", "must be between 1 and 64, got 65"),
                         ("four", "'four' is not a whole number")):
        with pytest.raises(ConfigError) as ei:
            load_config(None, env={"C7TO8_RUNTIME_CONCURRENCY": bad})
        assert ei.value.key == "c7to8.runtime-concurrency"
        assert str(ei.value) == f"Invalid configuration 'c7to8.runtime-concurrency': {problem}"
        assert "\n" not in str(ei.value)


def test_runtime_concurrency_sizes_the_connection_pools() -> None:
    from c7to8.app import App
    from c7to8.config import build_config

    assert App(build_config({})).runtime_concurrency == 1
    assert App(build_config({}))._pool_size() == 2  # unchanged for sequential runs
    app = App(build_config({"c7to8.runtime-concurrency": "6"}))
    assert app.runtime_concurrency == 6 and app._pool_size() == 8  # a connection per thread + cursor + main


def _c8_schema(tmp_path: Path, url: str, schema: str) -> str:
    return write(tmp_path, f"""
camunda.migrator.c7.data-source.jdbc-url: jdbc:postgresql://h/c7
camunda.migrator.c8.data-source.jdbc-url: {url}
camunda.migrator.c8.data-source.schema: {schema}
""")


def test_c8_schema_becomes_the_search_path_on_postgresql(tmp_path: Path) -> None:
    c = load_config(_c8_schema(tmp_path, "jdbc:postgresql://h/c8?options=-cstatement_timeout%3D0", "camunda8"), env={})
    assert c.c8 is not None and c.c8.schema == "camunda8"
    assert c.c8.url.query["options"] == "-cstatement_timeout=0 -csearch_path=camunda8"
    assert c.c7 is not None and "options" not in c.c7.url.query  # the C7 side qualifies its tables instead


@pytest.mark.parametrize(("url", "schema", "says"), [
    ("jdbc:mariadb://h/c8", "camunda8", "PostgreSQL Camunda 8 database only"),
    ("jdbc:postgresql://h/c8", "x; drop", "not a plain schema name"),
])
def test_c8_schema_refused_where_it_cannot_apply(tmp_path: Path, url: str, schema: str, says: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(_c8_schema(tmp_path, url, f"'{schema}'"), env={})
    assert "camunda.migrator.c8.data-source.schema" in str(e.value) and says in str(e.value)
