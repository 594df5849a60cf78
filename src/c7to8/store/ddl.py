"""Create tables that are missing, robust to case folding and to concurrent creators.

Tables and columns are declared unquoted (`quote=False`) like Liquibase creates them, so on
PostgreSQL they fold to lower case and on other vendors keep upper case; existence is therefore
checked case-insensitively, and a lost creation race ("already exists") is not an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, Table, inspect
from sqlalchemy.exc import DBAPIError


def existing_tables(engine: Engine, schema: str | None = None) -> set[str]:
    return {n.upper() for n in inspect(engine).get_table_names(schema=schema)}


def create_missing(engine: Engine, tables: Iterable[Table]) -> list[str]:
    """Create each table (with its indexes) unless it exists. Returns the names created."""
    created: list[str] = []
    have = existing_tables(engine)
    for t in tables:
        if t.name.upper() in have:
            continue
        try:
            with engine.begin() as conn:
                t.create(conn, checkfirst=False)
            created.append(t.name)
        except DBAPIError as exc:
            if t.name.upper() in existing_tables(engine):
                continue  # another process created it meanwhile
            raise exc
    return created
