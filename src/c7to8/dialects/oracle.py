"""Oracle: Camunda vendor id ``oracle`` (types and sizes; not exercised against a live Oracle).

Vendor properties: ``userCharColumn.size=400``, ``charColumn.maxBytes=4000``,
``variableValue.previewSize=4000``, ``treePath.size=4000``. The changelog's ``modifySql`` cuts the
fixed ``VARCHAR(8192)`` columns to ``VARCHAR2(4000)``. The "active state" indexes are
function-based (``CASE WHEN STATE = 'active' THEN STATE END``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import oracle
from sqlalchemy.types import TypeEngine

from c7to8.dialects.base import C8Dialect, PartialIndexKind, VendorProperties


class OracleDialect(C8Dialect):
    name = "oracle"
    sqlalchemy_names = ("oracle",)
    properties = VendorProperties(
        vendor_id="oracle",
        user_char_column_size=400,
        error_message_size=4000,
        tree_path_size=4000,
        variable_value_preview_size=4000,
        char_column_max_bytes=4000,
        var_value_column_size=4000,
    )

    def bigint(self) -> TypeEngine[Any]:
        return oracle.NUMBER(38, 0)  # type: ignore[no-untyped-call]

    def varchar(self, length: int) -> TypeEngine[Any]:
        return oracle.VARCHAR2(length)

    def clob(self) -> TypeEngine[Any]:
        return oracle.CLOB()

    def boolean(self) -> TypeEngine[Any]:
        return oracle.NUMBER(1, 0)  # type: ignore[no-untyped-call]

    def number(self) -> TypeEngine[Any]:
        return oracle.NUMBER()  # type: ignore[no-untyped-call]

    def double(self) -> TypeEngine[Any]:
        return oracle.BINARY_DOUBLE()

    def timestamp_tz(self) -> TypeEngine[Any]:
        return oracle.TIMESTAMP(timezone=True)

    def datetime(self) -> TypeEngine[Any]:
        return oracle.TIMESTAMP()

    def blob(self) -> TypeEngine[Any]:
        return oracle.BLOB()

    def partial_index_expression(self, kind: PartialIndexKind, column: str) -> Any:
        if kind == "state_active":
            return sa.text(f"CASE WHEN {column} = 'active' THEN {column} END")
        return column


DIALECT = OracleDialect()
