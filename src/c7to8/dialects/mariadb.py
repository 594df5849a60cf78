"""MariaDB and MySQL: Camunda vendor ids ``mariadb`` / ``mysql`` (same properties and types).

What Liquibase makes of the 8.9 changelog here: ``TIMESTAMP(3)`` for
``TIMESTAMP WITH TIME ZONE(3)`` (the changelog's ``modifySql``), ``LONGTEXT`` for CLOB, ``BIT(1)``
for BOOLEAN, ``LONGBLOB`` for BLOB, ``DECIMAL`` for NUMBER, ``DATETIME`` for DATETIME.
No partial indexes (plain ones instead).

``TIMESTAMP`` stores UTC and converts from/to the *session* time zone. c7to8 therefore pins the
session to UTC (:meth:`MariaDbDialect.prepare_engine`, also done by :meth:`bulk_insert`) and its
timestamp type converts aware datetimes to naive UTC on write and back to aware UTC on read.
``TIMESTAMP`` only holds 1970-01-01 00:00:01 .. 2038-01-19 03:14:07 UTC (a MariaDB/MySQL limit
Camunda inherits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeEngine

from c7to8.dialects.base import C8Dialect, Row, VendorProperties

_PREPARED_FLAG = "_c7to8_utc_session"


class UtcTimestamp(sa.types.TypeDecorator[dt.datetime]):
    """``TIMESTAMP(3)`` used with a UTC session: aware in, aware (UTC) out."""

    impl = mysql.TIMESTAMP
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(fsp=3)

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value  # type: ignore[no-any-return]


class BitBoolean(sa.types.TypeDecorator[bool]):
    """Liquibase BOOLEAN on MySQL/MariaDB is ``BIT(1)``; read back as ``bool``."""

    impl = mysql.BIT
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(1)

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return None if value is None else (1 if value else 0)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> bool | None:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray):
            return any(value)
        return bool(value)


class MariaDbDialect(C8Dialect):
    name = "mariadb"
    sqlalchemy_names: tuple[str, ...] = ("mariadb", "mysql")
    # db/vendor-properties/mariadb.properties (mysql.properties has the same sizes)
    properties = VendorProperties(
        vendor_id="mariadb",
        user_char_column_size=400,
        error_message_size=4000,
        tree_path_size=8191,
        variable_value_preview_size=8191,
    )

    def double(self) -> TypeEngine[Any]:
        return mysql.DOUBLE()

    def clob(self) -> TypeEngine[Any]:
        return mysql.LONGTEXT()

    def boolean(self) -> TypeEngine[Any]:
        return BitBoolean()

    def timestamp_tz(self) -> TypeEngine[Any]:
        return UtcTimestamp()

    def datetime(self) -> TypeEngine[Any]:
        return mysql.DATETIME()

    def blob(self) -> TypeEngine[Any]:
        return mysql.LONGBLOB()

    def prepare_engine(self, engine: Engine) -> None:
        if getattr(engine, _PREPARED_FLAG, False):
            return

        @event.listens_for(engine, "connect")
        def _utc(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            try:
                cur.execute("SET time_zone = '+00:00'")
            finally:
                cur.close()

        setattr(engine, _PREPARED_FLAG, True)

    def bulk_insert(self, conn: Connection, table: sa.Table, rows: Iterable[Row]) -> int:
        # connections pooled before prepare_engine() ran would still have the server's zone
        conn.exec_driver_sql("SET time_zone = '+00:00'")
        return super().bulk_insert(conn, table, rows)


class MySqlDialect(MariaDbDialect):
    name = "mysql"
    sqlalchemy_names = ()
    properties = VendorProperties(
        vendor_id="mysql",
        user_char_column_size=400,
        error_message_size=4000,
        tree_path_size=8191,
        variable_value_preview_size=8191,
    )


DIALECT = MariaDbDialect()
MYSQL_DIALECT = MySqlDialect()
