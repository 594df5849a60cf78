"""The value expressions of the set-based lane, evaluated by a real PostgreSQL, equal the Python conversion.

c7to8.convert.bulk_sql renders doubles and dates in SQL; the row-by-row pipeline renders them with
c7to8.variables.jsontext.java_double and c7to8.variables.dates.format_epoch_millis. Here both see
the same many values (random ones, powers of ten, range edges, daylight-saving transitions, zones
with offsets in seconds), and the SQL must give the same text exactly where it claims to be exact.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy.engine import URL

from c7to8.convert.bulk_sql import DATE_RANGE, date_text, double_exact, double_text
from c7to8.variables.dates import format_epoch_millis
from c7to8.variables.jsontext import java_double


@pytest.fixture
def conn(pg_url: URL) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(pg_url.set(drivername="postgresql").render_as_string(hide_password=False)) as c:
        c.execute("SET extra_float_digits = 1")
        yield c


def _doubles() -> list[float]:
    rnd = random.Random(8)
    values = [0.0, -0.0, 0.001, -0.001, 0.0009999999999999998, 9999999.999999998, 1e7, -1e7, 1e-3 * (1 + 2**-52),
              1.0, 0.1, 0.2, 0.30000000000000004, 100.0, 1234567.0, 2.5, 123.456, 5e-324, 1.7976931348623157e308,
              math.nan, math.inf, -math.inf, 1 / 3, 2 / 3, 9007199254740993.0]
    values += [10.0 ** e * m for e in range(-5, 9) for m in (1.0, 1.5, 9.999, 3.14159)]
    values += [rnd.uniform(-1e7, 1e7) for _ in range(3000)]
    values += [rnd.uniform(-10, 10) for _ in range(3000)]
    values += [round(rnd.uniform(0, 10_000), rnd.randint(0, 4)) for _ in range(3000)]
    values += [struct.unpack("<d", rnd.randbytes(8))[0] for _ in range(3000)]  # any bit pattern
    return values


def test_doubles_render_like_java_double_where_claimed(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    values = _doubles()
    rows = conn.execute(
        f"SELECT x, {double_exact('x')}, {double_text('x')} FROM unnest(%s::float8[]) WITH ORDINALITY AS u(x, i)"
        " ORDER BY i", (values,)).fetchall()
    claimed = 0
    for value, (x, exact, text) in zip(values, rows, strict=True):
        assert (math.isnan(value) and math.isnan(x)) or x == value  # exact transport  # type: ignore[arg-type]
        if exact:
            claimed += 1
            assert text == java_double(value), value
            assert math.isfinite(value) and (value == 0 or 1e-3 <= abs(value) < 1e7)
    assert claimed > 9000  # the common range is converted in SQL


ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Amsterdam",
         "America/St_Johns", "Pacific/Chatham", "Africa/Monrovia", "Etc/GMT+5")


def _millis() -> list[int]:
    rnd = random.Random(7)
    lo, hi = DATE_RANGE
    values = [lo, hi, 0, -1, 1, 999, -999, 1_700_000_000_123, -2_208_988_800_001, 4_102_444_800_001]
    values += [rnd.randint(lo, hi) for _ in range(3000)]
    values += [rnd.randint(-1_000_000_000_000, 2_000_000_000_000) for _ in range(1000)]
    # around the transitions of these zones, every 15 minutes of a day, ms jitter
    for year in (1916, 1937, 1945, 1977, 2011, 2021, 2024, 2037, 2070):
        for month, day in ((3, 25), (3, 31), (4, 7), (9, 30), (10, 27), (11, 3)):
            base = int(__import__("datetime").datetime(year, month, day, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)
            values += [base + k * 900_000 + rnd.randint(0, 999) for k in range(-48, 48, 3)]
    return values


@pytest.mark.parametrize("zone", ZONES)
def test_dates_render_like_format_epoch_millis(conn: psycopg.Connection[tuple[object, ...]], zone: str) -> None:
    values = _millis()
    rows = conn.execute(
        f"SELECT x BETWEEN {DATE_RANGE[0]} AND {DATE_RANGE[1]}, {date_text('x')}"
        " FROM unnest(%(xs)s::bigint[]) WITH ORDINALITY AS u(x, i) ORDER BY i", {"xs": values, "zone": zone}).fetchall()
    tz = ZoneInfo(zone)
    inside = 0
    for value, (in_range, text) in zip(values, rows, strict=True):
        if in_range:
            inside += 1
            assert text == format_epoch_millis(value, tz), (zone, value)
    assert inside > 3000
