"""Shared fixtures-as-functions for the conversion tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from c7to8.config import Period
from c7to8.convert.common import KEY_BASE, ConvertSettings

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 10, 12, 0, 0, 123456, tzinfo=UTC)
K = KEY_BASE  # keys handed out by settings(): K+1, K+2, ...
P6M = Period(months=6)


def settings(
    *,
    prefix: str = "c7-legacy-",
    ttl: Period | None = P6M,
    zone: object = UTC,
    partitions: tuple[int, ...] = (1, 2, 3),
    char_column_size: int | None = None,
) -> ConvertSettings:
    counter = itertools.count(K + 1)
    return ConvertSettings(
        prefix=prefix,
        ttl=ttl,
        zone=zone,  # type: ignore[arg-type]
        partitions=partitions,
        next_key=lambda: next(counter),
        clock=lambda: NOW,
        char_column_size=char_column_size,
    )
