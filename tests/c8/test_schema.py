"""The Camunda 8.9 schema on real PostgreSQL, MariaDB and SQLite databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, oracle
from sqlalchemy.engine import URL, Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from c7to8 import dialects
from c7to8.c8.schema import (
    TABLE_NAMES,
    TABLES,
    c8_metadata,
    create_c8_schema,
    drop_c8_schema,
    existing_c8_tables,
    table,
)

TZ = dt.timezone(dt.timedelta(hours=2))
START = dt.datetime(2024, 5, 1, 10, 15, 30, 123000, tzinfo=TZ)
END = dt.datetime(2024, 5, 1, 11, 0, 0, 5000, tzinfo=dt.UTC)
TRICKY = 'say "hi"\tthen\nnew line \\ backslash \\N and ünïcödé'
PI_KEY = 2251799813685249  # partition 1 in the top bits
FNI_KEY = 2251799813685251
VAR_KEY = 2251799813685252


def _vendor(url: URL) -> str:
    return {"postgresql": "postgresql", "mysql": "mariadb", "sqlite": "sqlite"}[url.get_backend_name()]


@pytest.fixture
def engine(any_db_url: URL) -> Any:
    eng = sa.create_engine(any_db_url)
    dialects.for_engine(eng).prepare_engine(eng)
    yield eng
    eng.dispose()


def _names_upper(items: list[Any], key: str = "name") -> set[str]:
    return {str(i[key]).upper() for i in items if i.get(key)}


def _pk_columns(eng: Engine, real: str) -> list[str]:
    if eng.dialect.name == "mysql":
        # SQLAlchemy's MySQL reflection misses the PK of tables whose first column is PARTITION_ID
        sql = (
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE()"
            " AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION"
        )
        with eng.connect() as conn:
            return [str(r[0]).upper() for r in conn.exec_driver_sql(sql, (real,))]
    return [c.upper() for c in sa.inspect(eng).get_pk_constraint(real)["constrained_columns"]]


def _index_names(eng: Engine, real: str) -> set[str]:
    if eng.dialect.name == "mysql":  # same reflection gap as above for (PARTITION_ID, ...) indexes
        sql = "SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
        with eng.connect() as conn:
            return {str(r[0]).upper() for r in conn.exec_driver_sql(sql, (real,))}
    return _names_upper(sa.inspect(eng).get_indexes(real))


def _assert_schema(eng: Engine, prefix: str) -> None:
    vendor = dialects.for_engine(eng).name
    insp = sa.inspect(eng)
    present = {n.upper() for n in insp.get_table_names()}
    for spec in TABLES:
        name = prefix + spec.name
        assert name in present, name
        cols = {c["name"].upper(): c for c in insp.get_columns(name.lower() if vendor == "postgresql" else name)}
        assert list(cols) == [c.name for c in spec.columns], name
        real = name.lower() if vendor == "postgresql" else name
        assert _pk_columns(eng, real) == list(spec.pk), name
        for col in spec.columns:
            expected_nullable = col.nullable and col.name not in spec.pk
            assert cols[col.name]["nullable"] == expected_nullable, (name, col.name)
        idx = _index_names(eng, real)
        for ix in spec.indexes:
            assert (prefix + ix.name).upper() in idx, (name, ix.name)
        if vendor != "sqlite":  # SQLite reports unnamed FKs
            fks = insp.get_foreign_keys(real)
            assert _names_upper(fks) == {(prefix + fk.name).upper() for fk in spec.fks}, name
            for fk in fks:
                assert (fk.get("options") or {}).get("ondelete", "").upper() == "CASCADE", name
        else:
            assert len(insp.get_foreign_keys(real)) == len(spec.fks)


@pytest.mark.parametrize("prefix", ["", "C8_"])
def test_create_is_complete_and_idempotent(engine: Engine, prefix: str) -> None:
    created = create_c8_schema(engine, prefix)
    assert created == list(TABLE_NAMES)
    _assert_schema(engine, prefix)
    assert create_c8_schema(engine, prefix) == []  # second run: nothing to do
    _assert_schema(engine, prefix)
    with engine.connect() as conn:
        assert existing_c8_tables(conn, prefix) == set(TABLE_NAMES)
    drop_c8_schema(engine, prefix)
    with engine.connect() as conn:
        assert existing_c8_tables(conn, prefix) == set()


def test_prefixes_do_not_interfere(engine: Engine) -> None:
    create_c8_schema(engine, "C8_")
    assert create_c8_schema(engine, "") == list(TABLE_NAMES)
    drop_c8_schema(engine, "C8_")
    with engine.connect() as conn:
        assert existing_c8_tables(conn, "") == set(TABLE_NAMES)
        assert existing_c8_tables(conn, "C8_") == set()


def test_missing_tables_and_patch_columns_are_added(engine: Engine) -> None:
    create_c8_schema(engine)
    md = c8_metadata("", dialects.for_engine(engine).name)
    with engine.begin() as conn:
        table(md, "SEQUENCE_FLOW").drop(conn)
        # a database from Camunda 8.9.0 (before 8.9.9): no FULL_RESULT column yet
        di = table(md, "DECISION_INSTANCE")
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"ALTER TABLE {di.name} DROP COLUMN FULL_RESULT")
        else:
            conn.exec_driver_sql(f"ALTER TABLE {di.name} DROP COLUMN FULL_RESULT")
    assert create_c8_schema(engine) == ["DECISION_INSTANCE.FULL_RESULT", "SEQUENCE_FLOW"]
    _assert_schema(engine, "")


def _pi_row() -> dict[str, Any]:
    return {
        "PROCESS_INSTANCE_KEY": PI_KEY,
        "ROOT_PROCESS_INSTANCE_KEY": PI_KEY,
        "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
        "PROCESS_DEFINITION_KEY": 2251799813685248,
        "STATE": "COMPLETED",
        "START_DATE": START,
        "END_DATE": END,
        "TENANT_ID": "<default>",
        "PARENT_PROCESS_INSTANCE_KEY": None,
        "PARENT_ELEMENT_INSTANCE_KEY": None,
        "NUM_INCIDENTS": 0,
        "VERSION": 3,
        "PARTITION_ID": 1,
        "TREE_PATH": f"PI_{PI_KEY}",
        "HISTORY_CLEANUP_DATE": None,
        "BUSINESS_ID": None,
    }


def _fni_row() -> dict[str, Any]:
    return {
        "FLOW_NODE_INSTANCE_KEY": FNI_KEY,
        "FLOW_NODE_ID": "approveInvoice",
        "FLOW_NODE_NAME": TRICKY,
        "FLOW_NODE_SCOPE_KEY": PI_KEY,
        "PROCESS_INSTANCE_KEY": PI_KEY,
        "ROOT_PROCESS_INSTANCE_KEY": PI_KEY,
        "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
        "PROCESS_DEFINITION_KEY": 2251799813685248,
        "TYPE": "USER_TASK",
        "STATE": "COMPLETED",
        "START_DATE": START,
        "END_DATE": None,
        "TREE_PATH": f"{PI_KEY}/{FNI_KEY}",
        "TENANT_ID": "<default>",
        "INCIDENT_KEY": None,
        "NUM_SUBPROCESS_INCIDENTS": 0,
        "PARTITION_ID": 1,
    }


def _var_rows() -> list[dict[str, Any]]:
    base = {
        "PROCESS_INSTANCE_KEY": PI_KEY,
        "ROOT_PROCESS_INSTANCE_KEY": PI_KEY,
        "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
        "SCOPE_KEY": PI_KEY,
        "TENANT_ID": "<default>",
        "PARTITION_ID": 1,
    }
    return [
        {
            **base,
            "VAR_KEY": VAR_KEY,
            "VAR_NAME": "comment",
            "TYPE": "STRING",
            "VAR_VALUE": '"' + TRICKY + '"',
            "VAR_FULL_VALUE": None,
            "IS_PREVIEW": False,
        },
        {
            **base,
            "VAR_KEY": VAR_KEY + 1,
            "VAR_NAME": "amount",
            "TYPE": "DOUBLE",
            "VAR_VALUE": "12.5",
            "DOUBLE_VALUE": 12.5,
            "IS_PREVIEW": False,
        },
        # a truncated preview: full value in the CLOB, IS_PREVIEW true; ELEMENT_INSTANCE_KEY absent
        {
            **base,
            "VAR_KEY": VAR_KEY + 2,
            "VAR_NAME": "big",
            "TYPE": "STRING",
            "VAR_VALUE": "x" * 8191,
            "VAR_FULL_VALUE": "x" * 20000 + "\\\t\n",
            "IS_PREVIEW": True,
            "LONG_VALUE": None,
        },
    ]


def test_bulk_insert_round_trip(engine: Engine) -> None:
    create_c8_schema(engine, "C8_")
    d = dialects.for_engine(engine)
    md = c8_metadata("C8_", d.name)
    pi, fni, var = table(md, "PROCESS_INSTANCE"), table(md, "FLOW_NODE_INSTANCE"), table(md, "VARIABLE")
    with engine.begin() as conn:
        assert d.bulk_insert(conn, pi, [_pi_row()]) == 1
        assert d.bulk_insert(conn, fni, iter([_fni_row()])) == 1
        assert d.bulk_insert(conn, var, _var_rows()) == 3
        assert d.bulk_insert(conn, var, []) == 0
    with engine.connect() as conn:
        got = conn.execute(sa.select(pi)).mappings().one()
        for k, v in _pi_row().items():
            assert got[k] == v, k
        assert got["START_DATE"].utcoffset() is not None
        got = conn.execute(sa.select(fni)).mappings().one()
        for k, v in _fni_row().items():
            assert got[k] == v, k
        rows = conn.execute(sa.select(var).order_by(var.c.VAR_KEY)).mappings().all()
        for row, expected in zip(rows, _var_rows(), strict=True):
            for k, v in expected.items():
                assert row[k] == v, k
            assert row["ELEMENT_INSTANCE_KEY"] is None
        assert rows[0]["IS_PREVIEW"] is False and rows[2]["IS_PREVIEW"] is True
        assert rows[1]["LONG_VALUE"] is None and rows[1]["DOUBLE_VALUE"] == 12.5
        assert isinstance(rows[0]["PARTITION_ID"], int) and not isinstance(rows[0]["PARTITION_ID"], Decimal)


def test_bulk_insert_rejects_unknown_columns(engine: Engine) -> None:
    create_c8_schema(engine)
    d = dialects.for_engine(engine)
    t = table(c8_metadata("", d.name), "PROCESS_INSTANCE")
    with engine.begin() as conn, pytest.raises(KeyError, match="NOT_A_COLUMN"):
        d.bulk_insert(conn, t, [{"PROCESS_INSTANCE_KEY": 1, "NOT_A_COLUMN": 2}])


def test_foreign_keys_cascade(engine: Engine) -> None:
    create_c8_schema(engine)
    d = dialects.for_engine(engine)
    md = c8_metadata("", d.name)
    pi, tag = table(md, "PROCESS_INSTANCE"), table(md, "PROCESS_INSTANCE_TAG")
    with engine.begin() as conn:
        d.bulk_insert(conn, pi, [_pi_row()])
        d.bulk_insert(conn, tag, [{"PROCESS_INSTANCE_KEY": PI_KEY, "TAG_VALUE": "c7-legacy"}])
        conn.execute(pi.delete())
        assert conn.execute(sa.select(sa.func.count()).select_from(tag)).scalar_one() == 0
        # BATCH_OPERATION_ITEM.STATE has the changelog default 'ACTIVE'
        bo, boi = table(md, "BATCH_OPERATION"), table(md, "BATCH_OPERATION_ITEM")
        d.bulk_insert(conn, bo, [{"BATCH_OPERATION_KEY": "42", "STATE": "CREATED"}])
        d.bulk_insert(conn, boi, [{"BATCH_OPERATION_KEY": "42", "ITEM_KEY": 7}])
        assert conn.execute(sa.select(boi.c.STATE)).scalar_one() == "ACTIVE"


def test_postgres_names_are_folded_like_liquibase(pg_url: URL) -> None:
    eng = sa.create_engine(pg_url)
    try:
        create_c8_schema(eng, "C8_")
        with eng.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            assert "c8_process_instance" in names
            # Camunda's MyBatis SQL is unquoted upper case: it must find our tables and columns
            conn.exec_driver_sql("SELECT PROCESS_INSTANCE_KEY, TREE_PATH FROM C8_PROCESS_INSTANCE").all()
            idx = {i["name"]: i for i in sa.inspect(conn).get_indexes("c8_process_instance")}
            where = idx["c8_idx_process_instance_state_active"]["dialect_options"]["postgresql_where"]
            assert "active" in where
    finally:
        eng.dispose()


def test_mariadb_types(mariadb_url: URL) -> None:
    eng = sa.create_engine(mariadb_url)
    try:
        create_c8_schema(eng)
        with eng.connect() as conn:
            ddl = conn.exec_driver_sql("SHOW CREATE TABLE VARIABLE").one()[1]
            assert "`IS_PREVIEW` bit(1)" in ddl and "`VAR_FULL_VALUE` longtext" in ddl
            ddl = conn.exec_driver_sql("SHOW CREATE TABLE PROCESS_INSTANCE").one()[1]
            assert "`START_DATE` timestamp(3) NULL DEFAULT NULL" in ddl
    finally:
        eng.dispose()


_OTHER_VENDORS = [("oracle", oracle.dialect()), ("mssql", mssql.dialect())]  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("vendor,dialect", _OTHER_VENDORS)
def test_ddl_compiles_for_other_vendors(vendor: str, dialect: sa.Dialect) -> None:
    md = c8_metadata("C8_", vendor)
    assert len(md.tables) == len(TABLE_NAMES)
    text = ""
    for t in md.sorted_tables:
        text += str(CreateTable(t).compile(dialect=dialect))
        text += "".join(str(CreateIndex(i).compile(dialect=dialect)) for i in t.indexes)
    assert "C8_PROCESS_INSTANCE" in text
    if vendor == "oracle":
        assert "CASE WHEN STATE = 'active' THEN STATE END" in text
        assert "VAR_VALUE VARCHAR2(4000" in text
    else:
        assert "DATETIMEOFFSET(3)" in text and "WHERE STATE = 'active'" in text


def test_registry() -> None:
    assert dialects.for_name("PostgreSQL").name == "postgresql"
    assert dialects.for_name("mysql").properties.vendor_id == "mysql"
    assert dialects.for_name("oracle").properties.variable_value_preview_size == 4000
    assert dialects.for_name("h2").properties.tree_path_size == 8191
    with pytest.raises(KeyError):
        dialects.for_name("db2")
    with pytest.raises(ValueError):
        c8_metadata("bad-prefix", "postgresql")
    assert c8_metadata("", "postgresql") is c8_metadata("", "postgresql")
