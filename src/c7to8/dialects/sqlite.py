"""SQLite: not a Camunda 8 vendor; used by c7to8's embedded demo and tests only.

Sizes follow PostgreSQL. Timestamps are stored as ISO-8601 text normalized to UTC with an explicit
offset (``2024-05-01 10:15:30.123+00:00``), so text order is time order and the zone survives.
Foreign keys are only enforced when the connection enables ``PRAGMA foreign_keys``
(:meth:`SqliteDialect.prepare_engine` does that).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeEngine

from c7to8.dialects.base import C8Dialect, VendorProperties

_PREPARED_FLAG = "_c7to8_sqlite_fk"


class IsoTimestamp(sa.types.TypeDecorator[dt.datetime]):
    """Aware datetimes as UTC ISO text with millisecond precision."""

    impl = sa.String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime for a TIMESTAMP WITH TIME ZONE column; pass an aware one")
        u = value.astimezone(dt.UTC)
        return u.strftime("%Y-%m-%d %H:%M:%S.") + f"{u.microsecond // 1000:03d}+00:00"

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return dt.datetime.fromisoformat(str(value))


class SqliteDialect(C8Dialect):
    name = "sqlite"
    sqlalchemy_names = ("sqlite",)
    properties = VendorProperties(
        vendor_id="sqlite",
        user_char_column_size=400,
        error_message_size=4000,
        tree_path_size=8191,
        variable_value_preview_size=8191,
    )

    def timestamp_tz(self) -> TypeEngine[Any]:
        return IsoTimestamp()

    def prepare_engine(self, engine: Engine) -> None:
        if getattr(engine, _PREPARED_FLAG, False):
            return

        @event.listens_for(engine, "connect")
        def _fk(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            try:
                cur.execute("PRAGMA foreign_keys = ON")
            finally:
                cur.close()

        setattr(engine, _PREPARED_FLAG, True)


DIALECT = SqliteDialect()
