"""SQL Server: Camunda vendor id ``mssql`` (types and sizes; not exercised against a live server).

The changelog rewrites ``datetime2`` to ``DATETIMEOFFSET`` for ``TIMESTAMP WITH TIME ZONE(3)``;
BOOLEAN is ``BIT``, CLOB ``NVARCHAR(MAX)``, BLOB ``VARBINARY(MAX)``. Filtered indexes
``WHERE STATE = 'active'`` / ``WHERE x IS NOT NULL`` as on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.types import TypeEngine

from c7to8.dialects.base import C8Dialect, PartialIndexKind, VendorProperties


class MsSqlDialect(C8Dialect):
    name = "mssql"
    sqlalchemy_names = ("mssql",)
    properties = VendorProperties(
        vendor_id="mssql",
        user_char_column_size=400,
        error_message_size=4000,
        tree_path_size=8191,
        variable_value_preview_size=8191,
    )

    def varchar(self, length: int) -> TypeEngine[Any]:
        # Liquibase turns VARCHAR(n > 8000) into VARCHAR(MAX) on SQL Server (VARCHAR(8192), treePath)
        return mssql.VARCHAR(None if length > 8000 else length)

    def double(self) -> TypeEngine[Any]:
        return mssql.FLOAT(53)

    def clob(self) -> TypeEngine[Any]:
        return mssql.NVARCHAR(None)

    def boolean(self) -> TypeEngine[Any]:
        return mssql.BIT()

    def timestamp_tz(self) -> TypeEngine[Any]:
        return mssql.DATETIMEOFFSET(precision=3)  # type: ignore[no-untyped-call]

    def datetime(self) -> TypeEngine[Any]:
        return mssql.DATETIME2()  # type: ignore[no-untyped-call]

    def blob(self) -> TypeEngine[Any]:
        return mssql.VARBINARY(None)  # type: ignore[no-untyped-call]

    def partial_index_kwargs(self, kind: PartialIndexKind, column: str) -> dict[str, Any]:
        pred = f"{column} = 'active'" if kind == "state_active" else f"{column} IS NOT NULL"
        return {"mssql_where": sa.text(pred)}


DIALECT = MsSqlDialect()
