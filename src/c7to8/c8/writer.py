"""Write one batch of converted entities into Camunda 8 together with their tracking rows.

One transaction per batch: every C8 row (bulk: COPY on PostgreSQL, executemany elsewhere) and
every tracking row (migrated and skipped) commit together, so a crash leaves either the whole
batch or nothing. When a batch fails because of its data, it is split in halves until the failing
entity is isolated; that entity is recorded as skipped with the database's message, the rest is
kept. When it fails because the database is gone, nothing is marked: the error propagates, and a
rerun continues where the last committed batch ended.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from ..dialects import C8Dialect, for_engine
from ..errors import TargetError
from ..store.tracking import Tracking, TrackRow

log = logging.getLogger("c7to8.writer")

Row = dict[str, Any]


@dataclass
class Outcome:
    """What converting one C7 entity produced: C8 rows per table (in insert order) + its tracking row."""

    track: TrackRow
    rows: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        return self.track.c8_key is None

    def row_count(self) -> int:
        return sum(len(v) for v in self.rows.values())


@dataclass
class WriteResult:
    migrated: int = 0
    skipped: int = 0
    failed: int = 0  # isolated by a database error, recorded as skipped
    c8_rows: int = 0
    failures: list[TrackRow] = field(default_factory=list)


def is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, DisconnectionError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc, OperationalError):
            text = str(exc.orig).lower()
            data_words = ("data too long", "out of range", "incorrect", "truncat", "value too long")
            return not any(w in text for w in data_words)
    return False


class BatchWriter:
    def __init__(
        self,
        engine: Engine,
        tracking: Tracking,
        tables: Mapping[str, Table],
        retry_mode: bool = False,
        dialect: C8Dialect | None = None,
    ) -> None:
        self.engine = engine
        self.tracking = tracking
        self.tables = tables
        self.retry_mode = retry_mode
        self.dialect = dialect or for_engine(engine)

    def write(self, outcomes: Sequence[Outcome], order: Sequence[str]) -> WriteResult:
        """Write outcomes; `order` lists C8 table names parents first (FK order)."""
        result = WriteResult()
        if outcomes:
            self._write(list(outcomes), order, result)
        return result

    def _write(self, outcomes: list[Outcome], order: Sequence[str], result: WriteResult) -> None:
        try:
            with self.engine.begin() as conn:
                self._insert(conn, outcomes, order)
        except DBAPIError as exc:
            if is_connection_error(exc):
                raise TargetError(
                    f"the Camunda 8 database went away while writing ({_first_line(exc)}). "
                    "Everything committed before is kept; run the same command again to continue."
                ) from exc
            if len(outcomes) == 1:
                o = outcomes[0]
                reason = f"Failed to insert into Camunda 8: {_first_line(exc)}"
                failed = replace(o.track, c8_key=None, partition_id=None, reason=reason)
                log.warning("Migration of %s with C7 ID [%s] skipped. %s", o.track.type.display, o.track.c7_id, reason)
                with self.engine.begin() as conn:  # tracking row only: nothing of it reached C8
                    self._insert(conn, [Outcome(failed)], order)
                result.failed += 1
                result.failures.append(failed)
                return
            mid = len(outcomes) // 2
            self._write(outcomes[:mid], order, result)
            self._write(outcomes[mid:], order, result)
            return
        for o in outcomes:
            if o.skipped:
                result.skipped += 1
            else:
                result.migrated += 1
                result.c8_rows += o.row_count()

    def _insert(self, conn: Connection, outcomes: list[Outcome], order: Sequence[str]) -> None:
        by_table: dict[str, list[Row]] = {}
        for o in outcomes:
            if o.skipped:
                continue
            for name, rows in o.rows.items():
                by_table.setdefault(name, []).extend(rows)
        names = [n for n in order if n in by_table] + [n for n in by_table if n not in order]
        for name in names:
            self.dialect.bulk_insert(conn, self.tables[name], by_table[name])
        tracks = [o.track for o in outcomes]
        if self.retry_mode:
            self.tracking.update_retried(conn, tracks)
        else:
            self.tracking.insert(conn, tracks)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0][:500] if text else type(exc).__name__

