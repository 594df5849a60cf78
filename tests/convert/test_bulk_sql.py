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

from c7to8.convert.bulk_sql import DATE_RANGE, date_text, double_exact, double_text, may_heal_sql
from c7to8.convert.common import Reason
from c7to8.history import may_heal
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


def _json_payloads() -> list[bytes]:
    """Stored serializations: canonical and not, valid and not, ASCII and not."""
    rnd = random.Random(9)
    fixed = [b'{"a":1}', b"[1,2,3]", b"{}", b"[]", b'{"a":true,"b":false,"c":null}', b'{"a":[],"b":{}}',
             b'{"a":-12}', b'{"a":12345678901234567890123}', b'{"a":"SKU-1","lines":2}', b'[{"k":1},{"k":1}]',
             b'{"a":-0}', b'{"a":01}', b'{"a":1.0}', b'{"a":1.5}', b'{"a":1e5}', b'{"a":1E5}', b'{"a":-0.0}',
             b'{"a": 1}', b' {"a":1}', b'{"a":1} ', b'{"a":1}x', b'{"a":1}{}', b'{"a":1,"a":2}', b'{"a":{"b":1,"b":1}}',
             b'{"a":"x\\"y"}', b'{"u":"\\u00e4"}', '{"a":"\u00e4"}'.encode(), b'{"a":"\x7f"}', b'{"a":"t\tb"}',
             b'{"a":NaN}', b'{"a":Infinity}', b'[' * 300 + b']' * 300, b'[' * 200 + b']' * 200, b'{"a":1,}',
             b'{"a":":"}', b'{"a":"b\\u0000"}', b'{"a":"\x00"}', b'"str"', b"5", b"null", b"", b"{", b'{"a":1e999}',
             b'{"a":[1,-1,0,10,-10]}', b'{"a":"/<>&\'"}', b'[1' + b"0" * 3999 + b"]", b"[" + b"1," * 3000 + b"1]",
             b'{"\xff":1}', b'{"a":"\n"}', b'{"a"\n:1}', b'[true,false,null]', b'{"a":"line\\nbreak"}']

    def value(depth: int) -> object:
        r = rnd.random()
        if depth > 3 or r < 0.35:
            return rnd.choice([rnd.randint(-10**6, 10**6), rnd.randint(-2**70, 2**70), True, False, None,
                               "".join(rnd.choice("abc XYZ-_:,.[]{}0123456789") for _ in range(rnd.randint(0, 8))),
                               round(rnd.uniform(-100, 100), 2), "\u00e9t\u00e9"])
        if r < 0.65:
            return [value(depth + 1) for _ in range(rnd.randint(0, 4))]
        return {rnd.choice(["id", "n", "sku", "a", "b", "x y"]): value(depth + 1) for _ in range(rnd.randint(0, 4))}

    generated = []
    for _ in range(1500):
        doc = {"k": value(0)} if rnd.random() < 0.5 else [value(1)]
        separators = rnd.choice([(",", ":"), (", ", ": "), (",", ": ")])
        generated.append(__import__("json").dumps(doc, separators=separators, ensure_ascii=rnd.random() < 0.5)
                         .encode())
    return fixed + generated


@pytest.mark.parametrize("type_name", ["json", "spin://application/json"])
def test_json_values_are_claimed_only_where_the_pipeline_writes_their_text(
        conn: psycopg.Connection[tuple[object, ...]], type_name: str) -> None:
    from c7to8.convert.bulk_sql import JSON_OK_FUNCTION, ascii_text, json_exact
    from c7to8.errors import SkipError
    from c7to8.variables import C7Variable, VariableConverter
    from c7to8.variables.model import VariableEntity

    canonical = type_name == "json"
    payloads = _json_payloads()
    conn.execute(JSON_OK_FUNCTION)
    rows = conn.execute(
        f"SELECT x, {json_exact('x', canonical)} FROM (SELECT {ascii_text('b')} AS x, i"
        " FROM unnest(%(bs)s::bytea[]) WITH ORDINALITY AS u(b, i)) v ORDER BY i",
        {"bs": payloads, "json_max": 4000}).fetchall()
    converter = VariableConverter()
    claimed = []
    for payload, (text, ok) in zip(payloads, rows, strict=True):
        if not ok:
            continue
        claimed.append(payload)
        var = C7Variable("v", type_name, bytes_value=payload, entity=VariableEntity.HISTORIC_VARIABLE)
        try:
            value = converter.to_history(var)
        except SkipError as exc:
            raise AssertionError(f"claimed, but the pipeline skips {payload!r}: {exc}") from exc
        assert text == payload.decode("ascii")
        assert value.columns == {"TYPE": "STRING", "VAR_VALUE": text, "VAR_FULL_VALUE": None, "LONG_VALUE": None,
                                 "DOUBLE_VALUE": None, "IS_PREVIEW": False}, payload
    # the plain, common shapes are converted in SQL; the rest is left to the pipeline
    assert {b'{"a":1}', b"[1,2,3]", b'{"a":"SKU-1","lines":2}', b'[{"k":1},{"k":1}]'} <= set(claimed)
    assert b'{"a":1}x' not in claimed and b'{"a":NaN}' not in claimed and b"[" * 300 + b"]" * 300 not in claimed
    assert (b'{"a":1,"a":2}' in claimed) is not canonical and (b'{"a": 1}' in claimed) is not canonical
    assert len(claimed) > (300 if canonical else 600)


def test_skip_reasons_are_cut_like_the_tracking_table() -> None:
    from c7to8.convert.bulk_sql import REASON_CHARS
    from c7to8.store.tracking import MAX_REASON

    assert REASON_CHARS == MAX_REASON


def test_may_heal_in_sql_agrees_with_python(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """The called instances healed in SQL are those the automatic retry would retry: every official
    reason, unsaved (NULL) ones, near misses of the prefixes."""
    official = [v for k, v in vars(Reason).items() if k.isupper() and isinstance(v, str)]
    reasons: list[str | None] = [*official,
        None, "", "Missing", "missing flow node", " Missing flow node", "Parent",
        "Parent Historic Flow Node with C8 key 1", "Belongs to a skipped task", "Belongs to a skipped tas", "Variable of type 'bytes' ...", "Parents are gone"]
    for reason in reasons:
        row = conn.execute(f"SELECT {may_heal_sql('r.x')} FROM (SELECT %s::text AS x) r", (reason,)).fetchone()
        assert row is not None and row[0] is may_heal(reason), reason


def test_the_flow_node_map_keeps_types_the_flow_node_conversion_writes() -> None:
    """c7to8_fnmap is filled by the C8 TYPE the flow-node SQL computes: every mapped type must be one of them."""
    from c7to8.convert.bulk_sql import MAPPED_FLOW_NODE_TYPES
    from c7to8.convert.flow_node import ACTIVITY_TYPES

    assert MAPPED_FLOW_NODE_TYPES
    assert set(MAPPED_FLOW_NODE_TYPES) <= set(ACTIVITY_TYPES.values())
    assert {"USER_TASK", "BUSINESS_RULE_TASK", "CALL_ACTIVITY"} <= set(MAPPED_FLOW_NODE_TYPES)
