"""Portable snapshots of a Camunda 7 database: every ``ACT_*`` table to a gzipped JSON-lines file and back.

File layout (UTF-8 JSON, one value per line, gzip-compressed):

* line 1, the header::

    {"format": "c7to8-dataset", "version": 1, "source_dialect": "postgresql",
     "exported_at": "2024-...Z", "tables": ["ACT_GE_BYTEARRAY", ...]}

* for every table a table line followed by its rows, each row a JSON array in column order::

    {"table": "ACT_HI_PROCINST", "columns": [{"name": "ID_", "type": "varchar(64)", "nullable": false}, ...],
     "primary_key": ["ID_"], "rows": 17}
    ["4711", "lifecycle:1:4", ...]

Table and column names are written in upper case (the Camunda spelling) whatever the source folds
them to. Portable column types: ``int``, ``bigint``, ``float``, ``text``, ``varchar(n)``, ``timestamp``,
``bytes``, ``bool``. Values: bytes as base64 strings, timestamps as ISO-8601 strings without zone
(C7 stores local wall-clock times), everything else as plain JSON.

:func:`import_dataset` recreates the tables in any SQLAlchemy database (SQLite included): on
PostgreSQL the names are created in lower case (unquoted, as Camunda's own DDL does), elsewhere in
upper case. An optional ``prefix`` is put in front of every table name.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine

FORMAT = "c7to8-dataset"
VERSION = 1
BATCH_SIZE = 1000

_VARCHAR = re.compile(r"^varchar\((\d+)\)$")


@dataclass
class ColumnSpec:
    name: str
    type: str
    nullable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "nullable": self.nullable}


@dataclass
class TableSpec:
    name: str
    columns: list[ColumnSpec]
    primary_key: list[str] = field(default_factory=list)
    rows: int = 0


@dataclass
class DatasetInfo:
    """What :func:`export_dataset` / :func:`import_dataset` handled: table name -> row count."""

    path: Path
    source_dialect: str
    row_counts: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


# --------------------------------------------------------------------------- types


def portable_type(type_: sa.types.TypeEngine[Any]) -> str:
    """Map a reflected SQLAlchemy column type to one of the portable type names."""
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.BigInteger):
        return "bigint"
    if isinstance(type_, sa.Integer):  # Integer, SmallInteger, MySQL TINYINT/INTEGER
        return "int"
    if isinstance(type_, sa.Float | sa.Double):
        return "float"
    if isinstance(type_, sa.Numeric):
        # Oracle NUMBER(19)/(10), MSSQL NUMERIC(19,0) hold integers; anything with a scale is a float
        scale = type_.scale or 0
        if scale == 0:
            precision = type_.precision
            return "int" if precision is not None and precision <= 9 else "bigint"
        return "float"
    if isinstance(type_, sa.DateTime | sa.Date | sa.TIMESTAMP):
        return "timestamp"
    if isinstance(type_, sa.LargeBinary | sa.BINARY | sa.VARBINARY):
        return "bytes"
    if isinstance(type_, sa.String):
        # Text/CLOB (no length) become text; VARCHAR(n)/NVARCHAR(n) keep their length
        length = type_.length
        if isinstance(type_, sa.Text) or length is None:
            return "text"
        return f"varchar({length})"
    name = type(type_).__name__.upper()
    if "BLOB" in name or "BINARY" in name or "BYTEA" in name or "RAW" in name:
        return "bytes"
    if "TIME" in name or "DATE" in name:
        return "timestamp"
    if "INT" in name:
        return "bigint"
    if "BIT" in name or "BOOL" in name:
        return "bool"
    return "text"


def sqlalchemy_type(portable: str) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type used when a portable column type is recreated."""
    if portable == "int":
        return sa.Integer()
    if portable == "bigint":
        return sa.BigInteger()
    if portable == "float":
        return sa.Double()
    if portable == "bool":
        return sa.Boolean(create_constraint=False)
    if portable == "timestamp":
        return sa.DateTime().with_variant(mysql.DATETIME(fsp=3), "mysql", "mariadb")
    if portable == "bytes":
        return sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
    if portable == "text":
        return sa.Text()
    m = _VARCHAR.match(portable)
    if m:
        length = int(m.group(1))
        string = sa.String(length)
        # MySQL/MariaDB rows are limited to 64 KB of VARCHAR: long strings go to TEXT there
        return string.with_variant(sa.Text(), "mysql", "mariadb") if length > 1000 else string
    raise ValueError(f"unknown portable column type '{portable}'")


# --------------------------------------------------------------------------- values


def _encode(value: Any, portable: str) -> Any:
    if value is None:
        return None
    if portable == "bytes":
        if isinstance(value, memoryview):
            value = value.tobytes()
        if isinstance(value, str):  # some drivers hand out text for binary columns
            value = value.encode("utf-8")
        return base64.b64encode(bytes(value)).decode("ascii")
    if portable == "timestamp":
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return value.isoformat()
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day).isoformat()
        return str(value)
    if portable in ("int", "bigint"):
        return int(value)
    if portable == "float":
        return float(value)
    if portable == "bool":
        return bool(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return value


def _decode(value: Any, portable: str) -> Any:
    if value is None:
        return None
    if portable == "bytes":
        return base64.b64decode(value)
    if portable == "timestamp":
        return dt.datetime.fromisoformat(value)
    if portable == "bool":
        return bool(value)
    return value


# --------------------------------------------------------------------------- export


def _c7_tables(conn: Connection) -> list[str]:
    names = sa.inspect(conn).get_table_names()
    return sorted((n for n in names if n.upper().startswith("ACT_")), key=str.upper)


def _table_spec(conn: Connection, name: str) -> tuple[TableSpec, sa.Table]:
    insp = sa.inspect(conn)
    reflected = insp.get_columns(name)
    columns = [
        ColumnSpec(str(c["name"]).upper(), portable_type(c["type"]), bool(c.get("nullable", True))) for c in reflected
    ]
    pk = [str(c).upper() for c in (insp.get_pk_constraint(name).get("constrained_columns") or [])]
    table = sa.Table(name, sa.MetaData(), *(sa.Column(str(c["name"])) for c in reflected))
    return TableSpec(name.upper(), columns, pk), table


def export_dataset(engine: Engine | Connection, path: str | Path) -> DatasetInfo:
    """Dump every ``ACT_*`` table of a Camunda 7 database to a gzipped JSON-lines file at ``path``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            dialect = _export(conn, out, counts)
    else:
        dialect = _export(engine, out, counts)
    return DatasetInfo(out, dialect, counts)


def _export(conn: Connection, out: Path, counts: dict[str, int]) -> str:
    tables = _c7_tables(conn)
    specs = [_table_spec(conn, t) for t in tables]
    tmp = out.with_name(out.name + ".part")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as fh:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "source_dialect": conn.dialect.name,
            "exported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "tables": [s.name for s, _ in specs],
        }
        _line(fh, header)
        for spec, table in specs:
            order = _order_by(table, spec)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            spec.rows = len(rows)
            _line(
                fh,
                {
                    "table": spec.name,
                    "columns": [c.to_json() for c in spec.columns],
                    "primary_key": spec.primary_key,
                    "rows": spec.rows,
                },
            )
            types = [c.type for c in spec.columns]
            for row in rows:
                _line(fh, [_encode(v, t) for v, t in zip(row, types, strict=True)])
            counts[spec.name] = spec.rows
    tmp.replace(out)
    return conn.dialect.name


def _order_by(table: sa.Table, spec: TableSpec) -> list[sa.ColumnElement[Any]]:
    """Deterministic row order: primary key, else ID_, else nothing."""
    by_upper = {c.name.upper(): c for c in table.columns}
    keys = spec.primary_key or (["ID_"] if "ID_" in by_upper else [])
    return [by_upper[k] for k in keys if k in by_upper]


def _line(fh: IO[str], obj: Any) -> None:
    fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
    fh.write("\n")


# --------------------------------------------------------------------------- import


def read_dataset(path: str | Path) -> Iterator[tuple[TableSpec, Iterator[list[Any]]]]:
    """Stream a dataset file: yields each table's spec and an iterator over its decoded rows.

    Each row iterator must be consumed before the next table is requested.
    """
    with gzip.open(Path(path), "rt", encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        if header.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file")
        if int(header.get("version", 0)) > VERSION:
            raise ValueError(f"{path}: dataset version {header['version']} is newer than supported ({VERSION})")
        while True:
            line = fh.readline()
            if not line:
                return
            meta = json.loads(line)
            spec = TableSpec(
                meta["table"],
                [ColumnSpec(c["name"], c["type"], bool(c.get("nullable", True))) for c in meta["columns"]],
                list(meta.get("primary_key") or []),
                int(meta["rows"]),
            )
            yield spec, _rows(fh, spec)


def _rows(fh: IO[str], spec: TableSpec) -> Iterator[list[Any]]:
    types = [c.type for c in spec.columns]
    for _ in range(spec.rows):
        raw = json.loads(fh.readline())
        yield [_decode(v, t) for v, t in zip(raw, types, strict=True)]


def dataset_header(path: str | Path) -> dict[str, Any]:
    """The header line of a dataset file."""
    with gzip.open(Path(path), "rt", encoding="utf-8") as fh:
        header: dict[str, Any] = json.loads(fh.readline())
        return header


def _names_for(dialect_name: str, prefix: str, table: str, columns: Sequence[str]) -> tuple[str, list[str]]:
    if dialect_name == "postgresql":
        return (prefix + table).lower(), [c.lower() for c in columns]
    return prefix + table, list(columns)


def _build_table(meta: sa.MetaData, spec: TableSpec, dialect_name: str, prefix: str) -> sa.Table:
    names = [c.name for c in spec.columns]
    pk = spec.primary_key or (["ID_"] if "ID_" in names else [])
    table_name, col_names = _names_for(dialect_name, prefix, spec.name, names)
    cols = []
    for col, col_name in zip(spec.columns, col_names, strict=True):
        is_pk = col.name in pk
        cols.append(
            sa.Column(
                col_name,
                sqlalchemy_type(col.type),
                primary_key=is_pk,
                nullable=not is_pk and col.nullable,
                autoincrement=False,
            )
        )
    return sa.Table(table_name, meta, *cols)


def import_dataset(path: str | Path, engine: Engine | Connection, prefix: str = "") -> DatasetInfo:
    """Recreate the tables of a dataset file in ``engine`` (dropping same-named tables) and load all rows."""
    header = dataset_header(path)
    counts: dict[str, int] = {}
    if isinstance(engine, Engine):
        with engine.begin() as conn:
            _import(Path(path), conn, prefix, counts)
    else:
        _import(Path(path), engine, prefix, counts)
    return DatasetInfo(Path(path), str(header.get("source_dialect", "")), counts)


def _import(path: Path, conn: Connection, prefix: str, counts: dict[str, int]) -> None:
    dialect_name = conn.dialect.name
    meta = sa.MetaData()
    for spec, rows in read_dataset(path):
        table = _build_table(meta, spec, dialect_name, prefix)
        table.drop(conn, checkfirst=True)
        table.create(conn)
        keys = [c.name for c in table.columns]
        batch: list[dict[str, Any]] = []
        n = 0
        for row in rows:
            batch.append(dict(zip(keys, row, strict=True)))
            if len(batch) >= BATCH_SIZE:
                conn.execute(table.insert(), batch)
                n += len(batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            n += len(batch)
        counts[spec.name] = n
