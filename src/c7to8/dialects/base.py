"""Shared pieces of the per-database dialect modules.

A :class:`C8Dialect` knows, for one Camunda 8 database vendor,

* the vendor properties Camunda 8.9 uses when it runs its Liquibase changelog
  (``db/vendor-properties/<vendor>.properties``: ``userCharColumn.size``, ``errorMessage.size``,
  ``treePath.size``, ``variableValue.previewSize``, ``charColumn.maxBytes``),
* which SQL type each Liquibase type of the changelog becomes on that vendor,
* how partial ("only active rows") indexes are written there,
* how to load many rows fast (:meth:`C8Dialect.bulk_insert`).

Later additions (upserts, vendor-specific deletes) belong here as further methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeEngine

Row = Mapping[str, Any]
PartialIndexKind = Literal["state_active", "not_null"]


@dataclass(frozen=True)
class VendorProperties:
    """Values of Camunda's ``db/vendor-properties/<vendor>.properties`` relevant to c7to8."""

    vendor_id: str
    user_char_column_size: int
    error_message_size: int
    tree_path_size: int
    variable_value_preview_size: int
    char_column_max_bytes: int | None = None
    #: the changelog hard-codes VARCHAR(8192) for VAR_VALUE; Oracle's modifySql cuts it to 4000
    var_value_column_size: int = 8192


class IntNumeric(sa.types.TypeDecorator[int]):
    """Liquibase ``NUMBER`` (PARTITION_ID): a NUMERIC column that reads back as ``int``."""

    impl = sa.Numeric
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> int | None:
        return None if value is None else int(value)


class C8Dialect:
    """Type mapping and helpers for one vendor. Subclasses override what differs."""

    name: str = "generic"
    #: the SQLAlchemy dialect names (``engine.dialect.name``) this module serves
    sqlalchemy_names: tuple[str, ...] = ()
    properties: VendorProperties = VendorProperties("generic", 400, 4000, 8191, 8191)

    # ---- Liquibase type -> SQLAlchemy type -------------------------------------------------
    def bigint(self) -> TypeEngine[Any]:
        return sa.BigInteger()

    def integer(self) -> TypeEngine[Any]:
        return sa.Integer()

    def smallint(self) -> TypeEngine[Any]:
        return sa.SmallInteger()

    def number(self) -> TypeEngine[Any]:
        """Liquibase ``NUMBER`` without precision (used for PARTITION_ID)."""
        return IntNumeric()

    def double(self) -> TypeEngine[Any]:
        return sa.Double()

    def varchar(self, length: int) -> TypeEngine[Any]:
        return sa.String(length)

    def clob(self) -> TypeEngine[Any]:
        return sa.Text()

    def boolean(self) -> TypeEngine[Any]:
        return sa.Boolean(create_constraint=False)

    def timestamp_tz(self) -> TypeEngine[Any]:
        """Liquibase ``TIMESTAMP WITH TIME ZONE(3)``."""
        return sa.TIMESTAMP(timezone=True)

    def datetime(self) -> TypeEngine[Any]:
        """Liquibase ``DATETIME`` (EXPORTER_POSITION only)."""
        return sa.DateTime()

    def blob(self) -> TypeEngine[Any]:
        return sa.LargeBinary()

    # ---- sizes --------------------------------------------------------------------------
    def user_char(self) -> TypeEngine[Any]:
        return self.varchar(self.properties.user_char_column_size)

    def error_message(self) -> TypeEngine[Any]:
        return self.varchar(self.properties.error_message_size)

    def tree_path(self) -> TypeEngine[Any]:
        return self.varchar(self.properties.tree_path_size)

    def var_value(self) -> TypeEngine[Any]:
        return self.varchar(self.properties.var_value_column_size)

    def fixed_varchar(self, length: int) -> TypeEngine[Any]:
        """A VARCHAR whose size the changelog hard-codes (e.g. 4000, 255, 50)."""
        return self.varchar(length)

    # ---- indexes ------------------------------------------------------------------------
    def partial_index_kwargs(self, kind: PartialIndexKind, column: str) -> dict[str, Any]:
        """Extra ``sa.Index`` kwargs for the changelog's vendor-specific partial indexes.

        ``state_active``: ``WHERE STATE = 'active'`` (PostgreSQL, SQL Server); ``not_null``:
        ``WHERE <col> IS NOT NULL``. Vendors without partial indexes get a plain index.
        """
        return {}

    def partial_index_expression(self, kind: PartialIndexKind, column: str) -> Any:
        """The indexed expression (Oracle uses a function-based index instead of a WHERE)."""
        return column

    # ---- engine and bulk load -----------------------------------------------------------
    def prepare_engine(self, engine: Engine) -> None:
        """Session settings c7to8 needs on this vendor (idempotent). Default: nothing."""

    def refresh_statistics(self, conn: Connection, tables: Sequence[sa.Table]) -> None:
        """Bring the planner statistics of tables just bulk-loaded up to date, so later lookups in
        them are planned for their real size. Default: nothing (the vendor keeps them current)."""

    def bulk_insert(self, conn: Connection, table: sa.Table, rows: Iterable[Row]) -> int:
        """Insert ``rows`` (dicts keyed by column name) into ``table``; returns the row count.

        Default: one executemany. Keys missing from some rows are sent as NULL; columns no row
        mentions are left out so database defaults apply.
        """
        cols, data = normalize_rows(table, rows)
        if not data:
            return 0
        conn.execute(table.insert(), [dict(zip(cols, values, strict=True)) for values in data])
        return len(data)


def normalize_rows(table: sa.Table, rows: Iterable[Row]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Union of the row keys in table column order, and each row as a tuple in that order."""
    materialized: Sequence[Row] = rows if isinstance(rows, Sequence) else list(rows)
    if not materialized:
        return [], []
    first = materialized[0].keys()
    # converters give one shape per table: compare key views (in C) instead of collecting every key
    keys = set(first) if all(r.keys() == first for r in materialized) else set().union(*materialized)
    known = [col.key for col in table.c]
    unknown = keys - set(known)
    if unknown:
        raise KeyError(f"table {table.name} has no column(s) {sorted(unknown)}")
    cols = [k for k in known if k in keys]
    return cols, [tuple(map(r.get, cols)) for r in materialized]
