"""PostgreSQL: Camunda vendor id ``postgresql``.

Types as Liquibase creates them from the 8.9 changelog: ``TIMESTAMP(3) WITH TIME ZONE``,
``TEXT`` for CLOB, ``BOOLEAN``, ``BYTEA`` for BLOB (the changelog rewrites OID), ``NUMERIC`` for
NUMBER, ``DOUBLE PRECISION``. Partial indexes ``WHERE STATE = 'active'`` / ``WHERE x IS NOT NULL``.

Bulk load uses ``COPY ... FROM STDIN`` through psycopg 3 on the SQLAlchemy connection's own DBAPI
connection, so it joins the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from c7to8.dialects.base import C8Dialect, PartialIndexKind, Row, VendorProperties, normalize_rows


class PostgresDialect(C8Dialect):
    name = "postgresql"
    sqlalchemy_names = ("postgresql",)
    # db/vendor-properties/postgresql.properties
    properties = VendorProperties(
        vendor_id="postgresql",
        user_char_column_size=400,
        error_message_size=4000,
        tree_path_size=8191,
        variable_value_preview_size=8191,
    )

    def double(self) -> TypeEngine[Any]:
        return pg.DOUBLE_PRECISION()

    def clob(self) -> TypeEngine[Any]:
        return pg.TEXT()

    def boolean(self) -> TypeEngine[Any]:
        return pg.BOOLEAN()

    def timestamp_tz(self) -> TypeEngine[Any]:
        return pg.TIMESTAMP(timezone=True, precision=3)

    def datetime(self) -> TypeEngine[Any]:
        return pg.TIMESTAMP(timezone=False)

    def blob(self) -> TypeEngine[Any]:
        return pg.BYTEA()

    def partial_index_kwargs(self, kind: PartialIndexKind, column: str) -> dict[str, Any]:
        return {"postgresql_where": _predicate(kind, column)}

    def bulk_insert(self, conn: Connection, table: sa.Table, rows: Iterable[Row]) -> int:
        cols, data = normalize_rows(table, rows)
        if not data:
            return 0
        copy_rows(conn, table, cols, data)
        return len(data)

    def refresh_statistics(self, conn: Connection, tables: Sequence[sa.Table]) -> None:
        """``ANALYZE`` (samples a fixed number of rows, whatever the size). A table loaded since
        autovacuum last looked still counts as nearly empty, and a lookup of 500 keys through a
        non-unique index is then planned as a scan of the whole table. A table the user does not
        own is skipped by PostgreSQL with a warning."""
        if tables:
            prep = conn.dialect.identifier_preparer
            conn.execute(sa.text("ANALYZE " + ", ".join(prep.format_table(t) for t in tables)))


def copy_rows(conn: Connection, table: sa.Table, cols: Sequence[str], data: Iterable[Sequence[Any]]) -> None:
    """``COPY table (cols) FROM STDIN`` of value tuples, inside the caller's transaction.

    psycopg's own errors are re-raised as SQLAlchemy ``DBAPIError`` subclasses (``IntegrityError``,
    ``DataError``, ``OperationalError`` ...), exactly as ``Connection.execute`` would raise them, so
    callers tell data errors from lost connections the same way for COPY and for INSERT.
    """
    prep = conn.dialect.identifier_preparer
    col_sql = ", ".join(prep.format_column(table.c[c]) for c in cols)
    stmt = f"COPY {prep.format_table(table)} ({col_sql}) FROM STDIN"
    dbapi_conn: Any = conn.connection.dbapi_connection
    try:
        with dbapi_conn.cursor() as cur, cur.copy(stmt) as copy:
            write = copy.write_row
            for values in data:
                write(values)
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(
            stmt, None, exc, psycopg.Error, connection_invalidated=bool(dbapi_conn.closed), dialect=conn.dialect
        ) from exc


def _predicate(kind: PartialIndexKind, column: str) -> sa.TextClause:
    # literal SQL exactly as in the changelog (unquoted column names)
    if kind == "state_active":
        return sa.text(f"{column} = 'active'")
    return sa.text(f"{column} IS NOT NULL")


DIALECT = PostgresDialect()
