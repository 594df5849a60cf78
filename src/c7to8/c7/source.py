"""Reading Camunda 7: table reflection with prefix, schema version, keyset-paged scans.

Pages are ordered by (time column, ID_) and continue strictly after the last row seen, so no row
is read twice and none is missed, whatever the page size (never OFFSET). Rows whose time column
is NULL are read first, ordered by ID_ alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, and_, func, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from ..errors import SourceError

Row = dict[str, Any]

SUPPORTED_MIN = (7, 17)
SUPPORTED_MAX = (7, 24)


@dataclass(frozen=True)
class SchemaInfo:
    version: str | None  # e.g. "7.24.0"; None when ACT_GE_PROPERTY has no schema.version
    dialect: str

    @property
    def version_tuple(self) -> tuple[int, int]:
        if not self.version:
            return SUPPORTED_MAX
        m = re.match(r"(\d+)\.(\d+)", self.version)
        return (int(m.group(1)), int(m.group(2))) if m else SUPPORTED_MAX


class C7Source:
    """Table access for one Camunda 7 database (any vendor), honouring a table prefix."""

    def __init__(self, engine: Engine, prefix: str = "", schema: str | None = None) -> None:
        self.engine = engine
        self.prefix = prefix
        self.schema = schema
        self.metadata = MetaData(schema=schema)
        self._tables: dict[str, Table | None] = {}
        self._names = self._physical_names()

    def _physical_names(self) -> dict[str, str]:
        from sqlalchemy import inspect

        try:
            names = inspect(self.engine).get_table_names(schema=self.schema)
        except SQLAlchemyError as exc:
            raise SourceError(f"cannot list the tables of the Camunda 7 database: {exc}") from exc
        return {n.upper(): n for n in names}

    def has(self, name: str) -> bool:
        return f"{self.prefix}{name}".upper() in self._names

    def table(self, name: str) -> Table:
        """Reflect `<prefix><name>` (case-insensitively); SourceError if it does not exist."""
        t = self.opt_table(name)
        if t is None:
            raise SourceError(
                f"Camunda 7 table {self.prefix}{name} not found. Check camunda.migrator.c7.data-source "
                "(database, schema and table-prefix)."
            )
        return t

    def opt_table(self, name: str) -> Table | None:
        if name in self._tables:
            return self._tables[name]
        physical = self._names.get(f"{self.prefix}{name}".upper())
        t: Table | None = None
        if physical is not None:
            try:
                reflected = Table(physical, MetaData(schema=self.schema), autoload_with=self.engine)
            except NoSuchTableError:
                reflected = None
            if reflected is not None:
                # Re-declare unquoted with upper-case names: rows are keyed like the C7 DDL
                # (ID_, START_TIME_) on every vendor, and the columns that exist are exactly the
                # ones this C7 version has.
                t = Table(
                    physical.upper(),
                    self.metadata,
                    *(Column(c.name.upper(), c.type, quote=False) for c in reflected.columns),
                    quote=False,
                )
        self._tables[name] = t
        return t

    def schema_info(self) -> SchemaInfo:
        if not self.has("ACT_GE_PROPERTY"):
            raise SourceError(
                f"ENGINE-03057 There are no Camunda tables in the database "
                f"(looked for {self.prefix}ACT_GE_PROPERTY). Check camunda.migrator.c7.data-source."
            )
        t = self.table("ACT_GE_PROPERTY")
        with self.engine.connect() as conn:
            v = conn.execute(select(t.c.VALUE_).where(t.c.NAME_ == "schema.version")).scalar()
        info = SchemaInfo(version=str(v) if v else None, dialect=self.engine.dialect.name)
        if info.version_tuple < SUPPORTED_MIN:
            raise SourceError(
                f"Camunda 7 schema version {info.version} is older than 7.17, which c7to8 cannot read. "
                "Upgrade the Camunda 7 database to 7.17 or newer first."
            )
        return info

    def count(self, table: Table, where: ColumnElement[bool] | None = None) -> int:
        q = select(func.count()).select_from(table)
        if where is not None:
            q = q.where(where)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)


@dataclass
class Cursor:
    """Where a keyset scan stands: phase 0 = NULL-time rows (by id), phase 1 = (time, id)."""

    phase: int = 0
    time: datetime | None = None
    id: str | None = None


def keyset_pages(
    conn_source: Engine,
    select_cols: Sequence[Any],
    from_: Any,
    time_col: Any,
    id_col: Any,
    page_size: int,
    where: ColumnElement[bool] | None = None,
    since: datetime | None = None,
    time_nullable: bool = True,
) -> Iterator[list[Row]]:
    """Yield pages of rows (dicts keyed by column label) in (time, id) order.

    `since` starts at that time inclusive (`>=`): a resume from the tracking table's newest
    CREATE_TIME re-reads the boundary rows (deduplicated by the caller) and never misses one.
    """
    cur = Cursor(phase=0 if (time_nullable and since is None) else 1)
    while True:
        conds: list[ColumnElement[bool]] = [] if where is None else [where]
        if cur.phase == 0:
            conds.append(time_col.is_(None))
            if cur.id is not None:
                conds.append(id_col > cur.id)
            order = [id_col]
        else:
            conds.append(time_col.is_not(None))
            if cur.time is not None:
                conds.append(or_(time_col > cur.time, and_(time_col == cur.time, id_col > cur.id)))
            elif since is not None:
                conds.append(time_col >= since)
            order = [time_col, id_col]
        q = select(*select_cols).select_from(from_).where(and_(*conds)).order_by(*order).limit(page_size)
        with conn_source.connect() as conn:
            page = [dict(r._mapping) for r in conn.execute(q)]
        if page:
            yield page
            last = page[-1]
            cur.id = last[id_col.key]
            if cur.phase == 1:
                cur.time = last[time_col.key]
        if len(page) < page_size:
            if cur.phase == 0:
                cur = Cursor(phase=1)
                continue
            return


def fetch_bytes(conn: Connection, bytearray_table: Table, ids: Sequence[str]) -> dict[str, bytes | None]:
    """ACT_GE_BYTEARRAY.BYTES_ for the given ids, one IN query per 500 ids."""
    out: dict[str, bytes | None] = {}
    uniq = [i for i in dict.fromkeys(ids) if i]
    t = bytearray_table
    for i in range(0, len(uniq), 500):
        chunk = uniq[i : i + 500]
        for rid, data in conn.execute(select(t.c.ID_, t.c.BYTES_).where(t.c.ID_.in_(chunk))):
            out[rid] = bytes(data) if data is not None else None
    return out


def rows_by_ids(conn: Connection, table: Table, id_col: str, ids: Sequence[str]) -> dict[str, Row]:
    out: dict[str, Row] = {}
    uniq = [i for i in dict.fromkeys(ids) if i]
    col = table.c[id_col]
    for i in range(0, len(uniq), 500):
        for r in conn.execute(select(table).where(col.in_(uniq[i : i + 500]))):
            m = dict(r._mapping)
            out[m[id_col]] = m
    return out


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
