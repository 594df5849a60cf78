"""Reading Camunda 7: table reflection with prefix, schema version, keyset-paged scans.

Pages are ordered by (time column, ID_) and continue strictly after the last row seen, so no row
is read twice and none is missed, whatever the page size (never OFFSET). Rows whose time column
is NULL are read first, ordered by ID_ alone. On PostgreSQL the same pages come from one ordered
query per phase streamed through a server-side cursor (one sort instead of one per page).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.util import find_tables

from ..errors import SourceError
from . import h2, versions

Row = dict[str, Any]

SUPPORTED_MIN = versions.SUPPORTED_MIN[:2]
SUPPORTED_MAX = versions.SUPPORTED_MAX_MINOR
FILLER_INFO_KEY = "c7to8.row_filler"


@dataclass(frozen=True)
class SchemaInfo:
    version: str | None  # e.g. "7.24.0" (newest ACT_GE_SCHEMA_LOG entry)
    dialect: str
    source: str = "ACT_GE_SCHEMA_LOG"  # where the version was read

    @property
    def version_tuple(self) -> tuple[int, int]:
        v = versions.parse_version(self.version)
        return v[:2] if v else SUPPORTED_MAX

    @property
    def missing_columns(self) -> dict[str, set[str]]:
        """7.24 columns this database does not have (by table), from versions.ADDED_COLUMNS."""
        v = versions.parse_version(self.version)
        return versions.missing_columns(v) if v else {}


class C7Source:
    """Table access for one Camunda 7 database (any vendor), honouring a table prefix."""

    def __init__(self, engine: Engine, prefix: str = "", schema: str | None = None) -> None:
        self.engine = engine
        self.prefix = prefix
        self.schema = schema
        self.metadata = MetaData(schema=schema)
        self._tables: dict[str, Table | None] = {}
        self._tables_lock = threading.Lock()  # runtime migration reads from several threads
        self._names = self._physical_names()

    def _physical_names(self) -> dict[str, str]:
        from sqlalchemy import inspect

        try:
            if self.is_h2:
                names = h2.table_names(self.engine, self.schema)
            else:
                names = inspect(self.engine).get_table_names(schema=self.schema)
        except SQLAlchemyError as exc:
            raise SourceError(f"cannot list the tables of the Camunda 7 database: {exc}") from exc
        return {n.upper(): n for n in names}

    @property
    def is_h2(self) -> bool:
        return h2.is_h2(self.engine)

    @functools.cached_property
    def vendor(self) -> str:
        """The SQL dialect to write for (`h2` for H2 behind its PostgreSQL server, which has no arrays)."""
        return "h2" if self.is_h2 else self.engine.dialect.name

    def physical_name(self, name: str) -> str | None:
        """`<prefix><name>` as the database spells it (None if there is no such table)."""
        return self._names.get(f"{self.prefix}{name}".upper())

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
        with self._tables_lock:  # one reflection per table: a second Table() of a name would fail
            if name in self._tables:
                return self._tables[name]
            return self._reflect(name)

    def _reflect(self, name: str) -> Table | None:
        physical = self._names.get(f"{self.prefix}{name}".upper())
        t: Table | None = None
        if physical is not None:
            cols = self._reflect_columns(physical)
            if cols:
                # Re-declare unquoted with upper-case names: rows are keyed like the C7 DDL
                # (ID_, START_TIME_) on every vendor, and the columns that exist are exactly the
                # ones this C7 version has.
                t = Table(
                    physical.upper(),
                    self.metadata,
                    *(Column(n.upper(), typ, quote=False) for n, typ in cols),
                    quote=False,
                )
                filler = versions.filler_for(name)
                if filler is not None:
                    t.info[FILLER_INFO_KEY] = filler
        self._tables[name] = t
        return t

    def _reflect_columns(self, physical: str) -> list[tuple[str, Any]]:
        if self.is_h2:
            return h2.columns(self.engine, self.schema, physical)
        try:
            reflected = Table(physical, MetaData(schema=self.schema), autoload_with=self.engine)
        except NoSuchTableError:
            return []
        return [(c.name, c.type) for c in reflected.columns]

    def fill(self, name: str, rows: Sequence[Row]) -> Sequence[Row]:
        """Even out rows of `name` (C7 table without prefix) read from an older schema, in place.

        keyset_pages and rows_by_ids do this already for the tables they read; code that reads a
        table with its own SELECT calls this (ACT_HI_TASKINST.TASK_STATE_ before 7.22).
        """
        filler = versions.filler_for(name)
        if filler is not None:
            for r in rows:
                filler(r)
        return rows

    def schema_info(self) -> SchemaInfo:
        """The Camunda 7 schema version, or SourceError when c7to8 cannot read this database.

        The version is the newest entry of ACT_GE_SCHEMA_LOG (written by the create script and by
        every upgrade script since 7.11). ACT_GE_PROPERTY's schema.version is only a fallback: the
        engine sets it to "fox" and never updates it.
        """
        if not self.has("ACT_GE_PROPERTY"):
            raise SourceError(
                f"ENGINE-03057 There are no Camunda tables in the database "
                f"(looked for {self.prefix}ACT_GE_PROPERTY). Check camunda.migrator.c7.data-source."
            )
        prop = self.table("ACT_GE_PROPERTY")
        log_t = self.opt_table("ACT_GE_SCHEMA_LOG")
        with self.engine.connect() as conn:
            logged = [r[0] for r in conn.execute(select(log_t.c.VERSION_))] if log_t is not None else []
            declared = conn.execute(select(prop.c.VALUE_).where(prop.c.NAME_ == "schema.version")).scalar()
        v = versions.newest(logged)
        source = "ACT_GE_SCHEMA_LOG"
        if v is None:
            v, source = versions.parse_version(declared), "ACT_GE_PROPERTY schema.version"
        low = versions.format_version(versions.SUPPORTED_MIN)
        high = "{}.{}".format(*versions.SUPPORTED_MAX_MINOR)
        if v is None:
            if log_t is None:
                raise SourceError(
                    f"The Camunda 7 database has no {self.prefix}ACT_GE_SCHEMA_LOG table, so its schema is older "
                    f"than 7.11; c7to8 reads Camunda 7 schemas {low} to {high}. Upgrade the Camunda 7 database "
                    f"(the engine's upgrade scripts) to {low} or newer first."
                )
            raise SourceError(
                f"Cannot tell the Camunda 7 schema version: {self.prefix}ACT_GE_SCHEMA_LOG has no version entry and "
                f"schema.version in {self.prefix}ACT_GE_PROPERTY is {declared!r}. c7to8 reads Camunda 7 schemas "
                f"{low} to {high}; check that camunda.migrator.c7.data-source points at a complete Camunda 7 database."
            )
        found = versions.format_version(v)
        if v < versions.SUPPORTED_MIN:
            raise SourceError(
                f"Camunda 7 schema version {found} is older than {low}, which c7to8 cannot read "
                f"(it reads {low} to {high}). Upgrade the Camunda 7 database to {low} or newer first."
            )
        if not versions.is_supported(v):
            raise SourceError(
                f"Camunda 7 schema version {found} is newer than {high}, the newest schema this c7to8 release "
                f"knows (it reads {low} to {high}); its tables may have changed. Use a c7to8 release that "
                "supports it."
            )
        return SchemaInfo(version=found, dialect=self.engine.dialect.name, source=source)

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
    fillers = _fillers(from_)
    if conn_source.dialect.name == "postgresql" and not h2.is_h2(conn_source):  # H2's PG server: no portals
        for page in _streamed_pages(conn_source, select_cols, from_, time_col, id_col, page_size, where, since,
                                    time_nullable):
            for filler in fillers:
                for r in page:
                    filler(r)
            yield page
        return
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
        for filler in fillers:
            for r in page:
                filler(r)
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


def _streamed_pages(
    conn_source: Engine,
    select_cols: Sequence[Any],
    from_: Any,
    time_col: Any,
    id_col: Any,
    page_size: int,
    where: ColumnElement[bool] | None,
    since: datetime | None,
    time_nullable: bool,
) -> Iterator[list[Row]]:
    """The pages of :func:`keyset_pages` from one ordered query per phase on a server-side cursor.

    Same rows, same order, same page size; but the database sorts (or walks an index) once per
    phase instead of once per page: Camunda 7 has no index on e.g. ACT_HI_VARINST.CREATE_TIME_, so
    a LIMIT page would re-scan and re-sort the whole table each time (quadratic in its size).
    """
    phases = [0, 1] if (time_nullable and since is None) else [1]
    for phase in phases:
        conds: list[ColumnElement[bool]] = [] if where is None else [where]
        if phase == 0:
            conds.append(time_col.is_(None))
            order = [id_col]
        else:
            conds.append(time_col.is_not(None))
            if since is not None:
                conds.append(time_col >= since)
            order = [time_col, id_col]
        q = select(*select_cols).select_from(from_).where(and_(*conds)).order_by(*order)
        keys = list(q.selected_columns.keys())
        with conn_source.connect() as conn:
            # straight to the driver's named (server-side) cursor: psycopg already returns the Python
            # values the reflected types give; SQLAlchemy's per-row Result machinery is not needed
            compiled = q.compile(dialect=conn.dialect)
            params = compiled.construct_params()
            dbapi: Any = conn.connection.dbapi_connection
            with dbapi.cursor(name=f"c7to8_pages_{phase}") as cur:
                cur.itersize = page_size
                cur.execute(str(compiled), params)
                while part := cur.fetchmany(page_size):
                    yield [dict(zip(keys, r, strict=True)) for r in part]
            dbapi.rollback()  # ends the read transaction the named cursor ran in


def fetch_bytes(conn: Connection, bytearray_table: Table, ids: Sequence[str],
                vendor: str = "") -> dict[str, bytes | None]:
    """ACT_GE_BYTEARRAY.BYTES_ for the given ids, one query per 500 ids (`= ANY` on PostgreSQL)."""
    from ..dialects import one_of

    out: dict[str, bytes | None] = {}
    uniq = [i for i in dict.fromkeys(ids) if i]
    t = bytearray_table
    for i in range(0, len(uniq), 500):
        chunk = uniq[i : i + 500]
        for rid, data in conn.execute(select(t.c.ID_, t.c.BYTES_).where(one_of(t.c.ID_, chunk, vendor))):
            out[rid] = bytes(data) if data is not None else None
    return out


def rows_by_ids(conn: Connection, table: Table, id_col: str, ids: Sequence[str]) -> dict[str, Row]:
    out: dict[str, Row] = {}
    uniq = [i for i in dict.fromkeys(ids) if i]
    col = table.c[id_col]
    fillers = _fillers(table)
    for i in range(0, len(uniq), 500):
        for r in conn.execute(select(table).where(col.in_(uniq[i : i + 500]))):
            m = dict(r._mapping)
            for filler in fillers:
                filler(m)
            out[m[id_col]] = m
    return out


def _fillers(from_: Any) -> list[versions.RowFiller]:
    """Row fillers (versions.ROW_FILLERS) of the C7 tables a FROM clause reads."""
    out: list[versions.RowFiller] = []
    for t in find_tables(from_, include_joins=False, include_aliases=True):
        filler = t.info.get(FILLER_INFO_KEY) if isinstance(t, Table) else None
        if filler is not None and filler not in out:
            out.append(filler)
    return out
