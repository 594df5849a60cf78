"""Every Camunda 8 table and the tracking table as comparable rows, with keys replaced.

Two runs that migrate the same Camunda 7 data (one process, `--workers N`, `--dask ...`) allocate
different keys; `snapshot` replaces each key by the C7 id it was assigned to, so the runs compare
row by row (`diff` names the columns that differ).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, inspect, text

from c7to8.store.keys import KEY_BASE
from tests.history_support import Pair, rows
from tests.support.databases import create_database, drop_database, unique_name

KEY_TEXT = re.compile(r"-?\d{18,}")
IGNORED = {"MIGRATION_MAPPING", "C7TO8_KEY_SEQUENCE"}


def _key_names(c8: Engine) -> dict[int, str]:
    """C8 key -> 'TYPE:C7_ID' for every tracked entity (the stable name of a key across runs)."""
    out: dict[int, str] = {}
    for r in rows(c8, "SELECT C7_ID, TYPE, C8_KEY FROM MIGRATION_MAPPING WHERE C8_KEY IS NOT NULL"):
        if str(r["C8_KEY"]).lstrip("-").isdigit():
            out[int(r["C8_KEY"])] = f"{r['TYPE']}:{r['C7_ID']}"
    return out


def _normalize(value: Any, names: dict[int, str], run_started: datetime) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, datetime) and value.tzinfo is not None and value >= run_started:
        return "<time of the run>"  # e.g. END_DATE of what was still active: the migration's own clock
    if isinstance(value, int) and value >= KEY_BASE:
        return names.get(value, "<key>")
    if isinstance(value, str):
        return KEY_TEXT.sub(lambda m: names.get(int(m.group()), "<key>"), value)
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return value


def snapshot(c8: Engine, run_started: datetime) -> dict[str, Counter[tuple[Any, ...]]]:
    names = _key_names(c8)
    out: dict[str, Counter[tuple[Any, ...]]] = {}
    for table in sorted(inspect(c8).get_table_names()):
        if table.upper() in IGNORED:
            continue
        with c8.connect() as conn:
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            cols = list(result.keys())
            out[table.upper()] = Counter(
                tuple((c.upper(), repr(_normalize(v, names, run_started))) for c, v in zip(cols, r, strict=True)) for r in result
            )
    out["MIGRATION_MAPPING"] = Counter(
        (r["C7_ID"], r["TYPE"], r["C8_KEY"] is None, r["SKIP_REASON"], r["PARTITION_ID"], str(r["CREATE_TIME"]))
        for r in rows(c8, "SELECT * FROM MIGRATION_MAPPING")
    )
    return out


def diff(a: Counter[tuple[Any, ...]], b: Counter[tuple[Any, ...]]) -> str:
    """The columns that differ between rows of the same first column (the entity's key name)."""
    left = {r[0]: dict(r) for r in a - b}
    right = {r[0]: dict(r) for r in b - a}
    lines = [f"{len(left)} rows differ"]
    for k in list(left)[:5]:
        other = right.get(k, {})
        lines.append(f"{k}: " + ", ".join(f"{c}: {v} vs {other.get(c)}" for c, v in left[k].items()
                                          if other.get(c) != v))
    return "\n".join(lines)


def assert_same_rows(a: dict[str, Counter[tuple[Any, ...]]], b: dict[str, Counter[tuple[Any, ...]]],
                     at_least: int = 1000) -> None:
    """Both snapshots hold the same tables with the same rows (at least `at_least` distinct ones)."""
    assert sum(len(c) for c in a.values()) >= at_least
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], f"{table}: {diff(a[table], b[table])}"


@dataclass
class SecondTarget:
    """A finished one-process reference run in the pair's C8 database, and an empty second one."""

    started: datetime
    url: URL
    config: Path  # the pair's application.yml pointed at the second database (same batch size)


@contextmanager
def reference_and_second_target(pair: Pair, tag: str, batch_size: int = 50,
                                reference: dict[str, Any] | None = None) -> Iterator[SecondTarget]:
    """Run `--history` in one process into the pair's C8 database (with the `reference` settings),
    then yield an empty second C8 database (dropped afterwards) for the run under test to be compared
    with `snapshot`."""
    started = datetime.now(UTC) - timedelta(seconds=1)
    one = pair.run("--history", config=pair.config(**{"c7to8.batch-size": batch_size, **(reference or {})}))
    assert one.returncode == 0, one.stderr[-3000:]
    name = unique_name(tag)
    url = create_database("postgresql", name)
    try:
        yield SecondTarget(started, url, pair.config(**{
            "camunda.migrator.c8.data-source.jdbc-url": url.render_as_string(hide_password=False),
            "c7to8.batch-size": batch_size,
        }))
    finally:
        drop_database("postgresql", name)


def set_based_matches_reference(pair: Pair, target: SecondTarget, at_least: int) -> Engine:
    """Run `--history` with the set-based lane, two workers and chunks of 7 rows into the second
    target; assert it wrote the same rows as the row-by-row reference. Returns the second database."""
    config = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url": target.url.render_as_string(hide_password=False),
                            "c7to8.set-based-chunk": 7, "logging.level.root": "INFO"})
    run = pair.run("--history", "--workers", "2", config=config)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "converted set-based" in run.stderr
    second = create_engine(target.url)
    assert_same_rows(snapshot(pair.c8(), target.started), snapshot(second, target.started), at_least=at_least)
    return second
