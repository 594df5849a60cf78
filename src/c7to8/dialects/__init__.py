"""Per-database knowledge for the Camunda 8 side: types, vendor sizes, bulk load.

``for_engine(engine)`` / ``for_name("postgresql")`` return a :class:`C8Dialect`. Names are the
Camunda vendor ids (``postgresql``, ``mariadb``, ``mysql``, ``h2``, ``oracle``, ``mssql``) plus
``sqlite`` for the embedded demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection, Engine

from c7to8.dialects import h2, mariadb, mssql, oracle, postgresql, sqlite
from c7to8.dialects.base import C8Dialect, VendorProperties

_REGISTRY: dict[str, C8Dialect] = {
    d.name: d
    for d in (
        postgresql.DIALECT,
        mariadb.DIALECT,
        mariadb.MYSQL_DIALECT,
        sqlite.DIALECT,
        h2.DIALECT,
        oracle.DIALECT,
        mssql.DIALECT,
    )
}

__all__ = ["C8Dialect", "VendorProperties", "for_engine", "for_name", "names", "one_of"]


def names() -> list[str]:
    return sorted(_REGISTRY)


def for_name(name: str) -> C8Dialect:
    """The dialect for a Camunda vendor id (case-insensitive); ``KeyError`` if unknown."""
    key = name.strip().lower()
    if key == "postgres":
        key = "postgresql"
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown database vendor '{name}'; known: {', '.join(names())}") from None


def for_engine(engine: Engine | Connection) -> C8Dialect:
    """The dialect for a SQLAlchemy engine or connection (MariaDB vs MySQL told apart)."""
    d = engine.dialect
    if d.name in ("mysql", "mariadb"):
        return _REGISTRY["mariadb" if getattr(d, "is_mariadb", False) else "mysql"]
    for dialect in _REGISTRY.values():
        if d.name in dialect.sqlalchemy_names:
            return dialect
    raise KeyError(f"no c7to8 dialect for SQLAlchemy dialect '{d.name}'")


def one_of(col: Any, values: Sequence[Any], dialect_name: str) -> Any:
    """`col IN (values)`; on PostgreSQL `col = ANY(:array)`: one bound parameter instead of
    hundreds, so the driver neither parses nor plans a new statement per list length."""
    if dialect_name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return col == any_(bindparam(None, list(values), type_=ARRAY(col.type)))
    return col.in_(list(values))
