"""The tracking table `<prefix>MIGRATION_MAPPING`, with the official name, columns and TYPE values.

It is the only truth about what happened: C8_KEY NULL means skipped. Reads are set-based (one
query per page of ids), writes are one COPY (PostgreSQL) or executemany inside the caller's
transaction, so the C8 rows and their tracking rows commit together.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    bindparam,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from ..convert.common import DISPLAY_NAMES, HistoryType
from ..dialects import one_of
from .ddl import create_missing, existing_tables


class EntityType(enum.Enum):
    """`IdKeyMapper.TYPE`: stored verbatim in the TYPE column; declaration order matters for listing.

    History members carry the display names of `convert.common.DISPLAY_NAMES` (one source)."""

    HISTORY_PROCESS_DEFINITION = DISPLAY_NAMES[HistoryType.HISTORY_PROCESS_DEFINITION]
    HISTORY_PROCESS_INSTANCE = DISPLAY_NAMES[HistoryType.HISTORY_PROCESS_INSTANCE]
    HISTORY_INCIDENT = DISPLAY_NAMES[HistoryType.HISTORY_INCIDENT]
    HISTORY_VARIABLE = DISPLAY_NAMES[HistoryType.HISTORY_VARIABLE]
    HISTORY_USER_TASK = DISPLAY_NAMES[HistoryType.HISTORY_USER_TASK]
    HISTORY_FLOW_NODE = DISPLAY_NAMES[HistoryType.HISTORY_FLOW_NODE]
    HISTORY_DECISION_INSTANCE = DISPLAY_NAMES[HistoryType.HISTORY_DECISION_INSTANCE]
    HISTORY_DECISION_DEFINITION = DISPLAY_NAMES[HistoryType.HISTORY_DECISION_DEFINITION]
    HISTORY_DECISION_REQUIREMENT = DISPLAY_NAMES[HistoryType.HISTORY_DECISION_REQUIREMENT]
    HISTORY_AUDIT_LOG = DISPLAY_NAMES[HistoryType.HISTORY_AUDIT_LOG]
    HISTORY_FORM_DEFINITION = DISPLAY_NAMES[HistoryType.HISTORY_FORM_DEFINITION]
    HISTORY_JOB = DISPLAY_NAMES[HistoryType.HISTORY_JOB]
    HISTORY_EXTERNAL_TASK = DISPLAY_NAMES[HistoryType.HISTORY_EXTERNAL_TASK]
    RUNTIME_PROCESS_INSTANCE = "Process Instance"
    USER = "User"
    GROUP = "Group"
    TENANT = "Tenant"
    AUTHORIZATION = "Authorization"

    @property
    def display(self) -> str:
        return self.value

    @property
    def is_history(self) -> bool:
        return self.name.startswith("HISTORY_")


HISTORY_TYPES: tuple[EntityType, ...] = tuple(t for t in EntityType if t.is_history)
IDENTITY_TYPES: tuple[EntityType, ...] = (
    EntityType.USER,
    EntityType.GROUP,
    EntityType.TENANT,
    EntityType.AUTHORIZATION,
)


def mapping_table(prefix: str = "", metadata: MetaData | None = None) -> Table:
    md = metadata if metadata is not None else MetaData()
    name = f"{prefix}MIGRATION_MAPPING"
    return Table(
        name,
        md,
        Column("C7_ID", String(64), nullable=False, quote=False),
        Column("C8_KEY", String(255), quote=False),
        Column("TYPE", String(255), nullable=False, quote=False),
        Column("CREATE_TIME", DateTime(timezone=True), quote=False),
        Column("SKIP_REASON", String(1024), quote=False),
        Column("PARTITION_ID", Integer, quote=False),
        PrimaryKeyConstraint("C7_ID", "TYPE", name=f"{prefix}PK_MIGRATION_MAPPING"),
        Index(f"{prefix}IDX_MIGRATION_MAPPING_C8_KEY", "C8_KEY"),
        quote=False,
    )


@dataclass(frozen=True)
class TrackRow:
    """One tracking row to write. `c8_key` None = skipped (with `reason`)."""

    c7_id: str
    type: EntityType
    c8_key: str | None
    create_time: datetime | None
    reason: str | None = None
    partition_id: int | None = None


MAX_REASON = 1024
_INSERT_COLUMNS = ("C7_ID", "C8_KEY", "TYPE", "CREATE_TIME", "SKIP_REASON", "PARTITION_ID")


class Tracking:
    """Access to `<prefix>MIGRATION_MAPPING` on the migrator data source."""

    def __init__(self, engine: Engine, prefix: str = "", save_skip_reason: bool = False) -> None:
        self.engine = engine
        self.prefix = prefix
        self.save_skip_reason = save_skip_reason
        self.metadata = MetaData()
        self.table = mapping_table(prefix, self.metadata)

    # ---------------------------------------------------------------- schema
    def exists(self) -> bool:
        return self.table.name.upper() in existing_tables(self.engine)

    def ensure_schema(self) -> bool:
        """Create the table when missing. Returns True if it was created."""
        return bool(create_missing(self.engine, [self.table]))

    def drop(self) -> None:
        """`--drop-schema`: drop the table and the migrator's Liquibase rows if present."""
        have = existing_tables(self.engine)
        with self.engine.begin() as conn:
            if self.table.name.upper() in have:
                self.table.drop(conn)
            changelog = f"{self.prefix}DATABASECHANGELOG"
            if changelog.upper() in have:
                conn.execute(
                    text(f"DELETE FROM {changelog} WHERE FILENAME LIKE :p"), {"p": "db/changelog/migrator/%"}
                )

    # ---------------------------------------------------------------- reads
    def tracked(self, conn: Connection, type_: EntityType, c7_ids: Sequence[str]) -> dict[str, str | None]:
        """C7 id -> C8 key (None = skipped) for the ids that have a row."""
        if not c7_ids:
            return {}
        t = self.table
        out: dict[str, str | None] = {}
        for chunk in _chunks(list(dict.fromkeys(c7_ids)), 1000):
            rows = conn.execute(
                select(t.c.C7_ID, t.c.C8_KEY).where(
                    and_(t.c["TYPE"] == type_.name, one_of(t.c.C7_ID, chunk, conn.dialect.name))
                )
            )
            out.update({r[0]: r[1] for r in rows})
        return out

    def skipped(self, conn: Connection, type_: EntityType, c7_ids: Sequence[str]) -> dict[str, str | None]:
        """C7 id -> skip reason for the given ids that are tracked as skipped."""
        t = self.table
        out: dict[str, str | None] = {}
        for chunk in _chunks([i for i in dict.fromkeys(c7_ids) if i], 1000):
            # found by their ids (the primary key); "skipped" is tested here, not in SQL: an index on
            # C8_KEY would hand over every skipped row of every type, each time
            rows = conn.execute(
                select(t.c.C7_ID, t.c.C8_KEY, t.c.SKIP_REASON).where(
                    and_(t.c["TYPE"] == type_.name, one_of(t.c.C7_ID, chunk, conn.dialect.name))
                )
            )
            out.update({r[0]: r[2] for r in rows if r[1] is None})
        return out

    def keys_and_partitions(
        self, conn: Connection, type_: EntityType, c7_ids: Iterable[str]
    ) -> dict[str, tuple[int, int | None]]:
        """C7 id -> (C8 key, partition) for migrated ids only (audit-log string keys are excluded)."""
        ids = [i for i in dict.fromkeys(c7_ids) if i]
        if not ids:
            return {}
        t = self.table
        out: dict[str, tuple[int, int | None]] = {}
        for chunk in _chunks(ids, 1000):
            rows = conn.execute(
                select(t.c.C7_ID, t.c.C8_KEY, t.c.PARTITION_ID).where(
                    and_(
                        t.c["TYPE"] == type_.name,
                        one_of(t.c.C7_ID, chunk, conn.dialect.name),
                        t.c.C8_KEY.is_not(None),
                    )
                )
            )
            for c7, key, part in rows:
                if key is not None and key.lstrip("-").isdigit():
                    out[c7] = (int(key), part)
        return out

    def has_any(self, type_: EntityType) -> bool:
        """Whether any row of this type exists (migrated or skipped)."""
        t = self.table
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.C7_ID).where(t.c["TYPE"] == type_.name).limit(1)).first() is not None

    def latest_create_time(self, type_: EntityType) -> datetime | None:
        t = self.table
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(t.c.CREATE_TIME)).where(t.c["TYPE"] == type_.name)).scalar()

    def count(self, type_: EntityType | None = None, skipped: bool | None = None) -> int:
        t = self.table
        q = select(func.count()).select_from(t)
        if type_ is not None:
            q = q.where(t.c["TYPE"] == type_.name)
        if skipped is True:
            q = q.where(t.c.C8_KEY.is_(None))
        elif skipped is False:
            q = q.where(t.c.C8_KEY.is_not(None))
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def iter_rows(
        self, type_: EntityType, skipped: bool, page_size: int = 1000
    ) -> Iterator[tuple[str, str | None, str | None]]:
        """(C7_ID, C8_KEY, SKIP_REASON) ordered by C7_ID, keyset-paged (never OFFSET)."""
        t = self.table
        last: str | None = None
        cond = t.c.C8_KEY.is_(None) if skipped else t.c.C8_KEY.is_not(None)
        while True:
            q = select(t.c.C7_ID, t.c.C8_KEY, t.c.SKIP_REASON).where(and_(t.c["TYPE"] == type_.name, cond))
            if last is not None:
                q = q.where(last < t.c.C7_ID)
            q = q.order_by(t.c.C7_ID).limit(page_size)
            with self.engine.connect() as conn:
                page = [(r[0], r[1], r[2]) for r in conn.execute(q)]
            if not page:
                return
            yield from page
            last = page[-1][0]
            if len(page) < page_size:
                return

    def iter_skipped(self, types: Sequence[EntityType]) -> Iterator[tuple[EntityType, str, str | None]]:
        """Every skipped row of `types` as (type, C7_ID, SKIP_REASON): type by type in the given order,
        by C7_ID within a type. One streamed query (not a keyset scan per type over all its rows)."""
        t = self.table
        by_name = {ty.name: ty for ty in types}
        if not by_name:
            return
        order = case({name: i for i, name in enumerate(by_name)}, value=t.c["TYPE"])
        q = (select(t.c["TYPE"], t.c.C7_ID, t.c.SKIP_REASON)
             .where(t.c.C8_KEY.is_(None), t.c["TYPE"].in_(list(by_name)))
             .order_by(order, t.c.C7_ID))
        with self.engine.connect() as conn:
            for r in conn.execution_options(stream_results=True, yield_per=5000).execute(q):
                yield by_name[r[0]], r[1], r[2]

    def skip_counts(self, type_: EntityType | None = None) -> dict[str, dict[str | None, int]]:
        """TYPE -> SKIP_REASON (None: not saved) -> count of the skipped rows, in one query (all types,
        or one)."""
        t = self.table
        q = (select(t.c["TYPE"], t.c.SKIP_REASON, func.count()).where(t.c.C8_KEY.is_(None))
             .group_by(t.c["TYPE"], t.c.SKIP_REASON))
        if type_ is not None:
            q = q.where(t.c["TYPE"] == type_.name)
        out: dict[str, dict[str | None, int]] = {}
        with self.engine.connect() as conn:
            for type_name, reason, n in conn.execute(q):
                out.setdefault(str(type_name), {})[reason] = int(n)
        return out

    def skip_reasons(self, type_: EntityType | None = None) -> dict[str, int]:
        """Skip reason -> count, over one type or all (only meaningful with save-skip-reason; an unsaved
        reason is the text "None")."""
        out: Counter[str] = Counter()
        for reasons in self.skip_counts(type_).values():
            for reason, n in reasons.items():
                out[str(reason)] += n
        return dict(out)

    # ---------------------------------------------------------------- writes
    def insert(self, conn: Connection, rows: Sequence[TrackRow]) -> None:
        """MIGRATE mode: migrated and skipped rows in one statement (COPY on PostgreSQL, else executemany)."""
        if not rows:
            return
        values = [
            (r.c7_id, r.c8_key, r.type.name, r.create_time, self._reason(r),
             r.partition_id if r.c8_key is not None else None)
            for r in rows
        ]
        if conn.dialect.name == "postgresql":
            from ..dialects.postgresql import copy_rows

            copy_rows(conn, self.table, _INSERT_COLUMNS, values)
            return
        conn.execute(self.table.insert(), [dict(zip(_INSERT_COLUMNS, v, strict=True)) for v in values])

    def update_retried(self, conn: Connection, rows: Sequence[TrackRow]) -> None:
        """RETRY mode: migrated rows get their key (reason cleared); still-skipped rows a new reason."""
        t = self.table
        done = [r for r in rows if r.c8_key is not None]
        if done:
            conn.execute(
                update(t)
                .where(and_(bindparam("b_id") == t.c.C7_ID, bindparam("b_type") == t.c["TYPE"]))
                .values(C8_KEY=bindparam("b_key"), SKIP_REASON=None, PARTITION_ID=bindparam("b_part")),
                [
                    {"b_id": r.c7_id, "b_type": r.type.name, "b_key": r.c8_key, "b_part": r.partition_id}
                    for r in done
                ],
            )
        still = [r for r in rows if r.c8_key is None]
        if still and self.save_skip_reason:
            conn.execute(
                update(t)
                .where(and_(bindparam("b_id") == t.c.C7_ID, bindparam("b_type") == t.c["TYPE"]))
                .values(SKIP_REASON=bindparam("b_reason")),
                [{"b_id": r.c7_id, "b_type": r.type.name, "b_reason": self._reason(r)} for r in still],
            )

    def _reason(self, r: TrackRow) -> str | None:
        if r.c8_key is not None or not self.save_skip_reason or r.reason is None:
            return None
        return r.reason[:MAX_REASON]


def _chunks(items: list[str], n: int) -> Iterator[list[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]
