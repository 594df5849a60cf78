"""C8 key allocation for history rows: unique across everything, never reused after a crash.

Keys look like Zeebe keys of partition 4095 (which no real Zeebe partition uses), as the official
tool's keys do: `(4095 << 51) + n`. The official tool draws `n` at random (no collision check);
c7to8 takes `n` from a counter kept in `<prefix>C7TO8_KEY_SEQUENCE`, reserved in blocks by a
committed UPDATE before any key of the block is used. A crash loses at most the unused rest of a
block; no key is ever handed out twice, by one process or by several workers.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..convert.common import KEY_BASE, KEY_SPACE
from .ddl import create_missing

SEQUENCE_NAME = "history"
RESERVE_ATTEMPTS = 50
#: driver messages of a lock conflict worth another attempt (MariaDB/MySQL, SQLite, PostgreSQL)
_LOCK_CONFLICTS = ("deadlock", "lock wait timeout", "database is locked", "could not serialize")


def _lock_conflict(exc: OperationalError) -> bool:
    return any(m in str(exc.orig or exc).lower() for m in _LOCK_CONFLICTS)


def sequence_table(prefix: str, metadata: MetaData) -> Table:
    return Table(
        f"{prefix}C7TO8_KEY_SEQUENCE",
        metadata,
        Column("NAME", String(64), primary_key=True, quote=False),
        Column("NEXT_VALUE", BigInteger, nullable=False, quote=False),
        quote=False,
    )


class KeyAllocator:
    """Thread-safe; reserves `block` keys per database round trip."""

    def __init__(self, engine: Engine, prefix: str = "", block: int = 10_000) -> None:
        self.engine = engine
        self.block = block
        self.metadata = MetaData()
        self.table = sequence_table(prefix, self.metadata)
        self._lock = threading.Lock()
        self._keys: Iterator[int] = iter(())
        create_missing(engine, [self.table])

    def _reserve(self, n: int) -> tuple[int, int]:
        """[start, start + n) for the caller alone.

        The UPDATE is a compare-and-set on the value read (`NEXT_VALUE = start`): `FOR UPDATE`
        serializes the readers where the database has row locks, and where it has none (SQLite)
        a reservation that lost the race changes no row and reads again. Lock conflicts (a
        deadlock between two first inserts, a busy SQLite file) are retried the same way.
        """
        t = self.table
        for attempt in range(RESERVE_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    row = conn.execute(
                        select(t.c.NEXT_VALUE).where(t.c.NAME == SEQUENCE_NAME).with_for_update()
                    ).first()
                    if row is None:
                        conn.execute(insert(t).values(NAME=SEQUENCE_NAME, NEXT_VALUE=1 + n))
                        return 1, 1 + n
                    start = int(row[0])
                    if start + n >= KEY_SPACE:
                        raise OverflowError("C8 history key space of partition 4095 is exhausted")
                    won = conn.execute(update(t).where(t.c.NAME == SEQUENCE_NAME, t.c.NEXT_VALUE == start)
                                       .values(NEXT_VALUE=start + n)).rowcount
                    if won == 1:
                        return start, start + n
            except IntegrityError:
                pass  # another process created the row first: read again
            except OperationalError as exc:
                if not _lock_conflict(exc):
                    raise
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 - jitter, not security
        raise RuntimeError("could not reserve C8 keys (sequence row contention)")

    def reserve(self, n: int) -> int:
        """The first of `n` consecutive keys reserved for the caller alone (set-based writes)."""
        start, _ = self._reserve(n)
        return KEY_BASE + start

    def next_key(self) -> int:
        # next() of a range iterator is atomic under the GIL: no lock while the block lasts
        value = next(self._keys, None)
        while value is None:
            with self._lock:
                value = next(self._keys, None)
                if value is None:
                    start, end = self._reserve(self.block)
                    self._keys = iter(range(KEY_BASE + start, KEY_BASE + end))
        return value

    __call__ = next_key
