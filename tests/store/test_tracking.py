"""Tracking table and key allocator on real databases."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, datetime

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL

from c7to8.store.keys import KEY_BASE, KeyAllocator
from c7to8.store.tracking import EntityType, Tracking, TrackRow

T = EntityType.HISTORY_PROCESS_INSTANCE


def test_schema_has_official_shape(any_db_url: URL) -> None:
    eng = create_engine(any_db_url)
    tr = Tracking(eng, prefix="MY_")
    assert tr.ensure_schema() is True
    assert tr.ensure_schema() is False
    insp = inspect(eng)
    names = {n.upper() for n in insp.get_table_names()}
    assert "MY_MIGRATION_MAPPING" in names
    real = next(n for n in insp.get_table_names() if n.upper() == "MY_MIGRATION_MAPPING")
    cols = {c["name"].upper() for c in insp.get_columns(real)}
    assert cols == {"C7_ID", "C8_KEY", "TYPE", "CREATE_TIME", "SKIP_REASON", "PARTITION_ID"}
    pk = insp.get_pk_constraint(real)
    assert [c.upper() for c in pk["constrained_columns"]] == ["C7_ID", "TYPE"]
    assert any(i["name"].upper() == "MY_IDX_MIGRATION_MAPPING_C8_KEY" for i in insp.get_indexes(real))
    eng.dispose()


def test_insert_retry_list_and_drop(any_db_url: URL) -> None:
    eng = create_engine(any_db_url)
    tr = Tracking(eng, save_skip_reason=True)
    tr.ensure_schema()
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    with eng.begin() as conn:
        tr.insert(conn, [
            TrackRow("b", T, "9221120237041090561", now, partition_id=2),
            TrackRow("a", T, None, now, reason="Missing process definition"),
            TrackRow("c", T, None, now, reason="x" * 5000),
        ])
    assert tr.count(T) == 3 and tr.count(T, skipped=True) == 2 and tr.count(skipped=False) == 1
    assert [r[0] for r in tr.iter_rows(T, skipped=True, page_size=1)] == ["a", "c"]
    assert tr.skip_reasons(T)["Missing process definition"] == 1
    v = EntityType.HISTORY_VARIABLE
    with eng.begin() as conn:
        tr.insert(conn, [TrackRow("z", v, None, now, reason="r"), TrackRow("y", v, "9221120237041090562", now),
                         TrackRow("0", v, None, now)])
    # the given type order first, C7_ID within a type; migrated rows and other types left out
    assert list(tr.iter_skipped([v, T])) == [(v, "0", None), (v, "z", "r"), (T, "a", "Missing process definition"),
                                             (T, "c", "x" * 1024)]
    assert [r[1] for r in tr.iter_skipped([T])] == ["a", "c"] and list(tr.iter_skipped([])) == []
    # every type's skipped rows by reason in one query (an unsaved reason is None), or one type's
    assert tr.skip_counts() == {T.name: {"Missing process definition": 1, "x" * 1024: 1},
                                v.name: {"r": 1, None: 1}}
    assert tr.skip_counts(v) == {v.name: {"r": 1, None: 1}}
    with eng.begin() as conn:
        conn.execute(tr.table.delete().where(tr.table.c["TYPE"] == v.name))
    with eng.connect() as conn:
        assert tr.tracked(conn, T, ["a", "b", "zz"]) == {"a": None, "b": "9221120237041090561"}
        assert tr.keys_and_partitions(conn, T, ["a", "b"]) == {"b": (9221120237041090561, 2)}
    with eng.begin() as conn:
        tr.update_retried(conn, [TrackRow("a", T, "9221120237041090999", now, partition_id=1),
                                 TrackRow("c", T, None, now, reason="still")])
    assert tr.count(T, skipped=True) == 1
    rows = {r[0]: r for r in tr.iter_rows(T, skipped=False)}
    assert rows["a"][1] == "9221120237041090999" and rows["a"][2] is None
    assert list(tr.iter_rows(T, skipped=True)) == [("c", None, "still")]
    latest = tr.latest_create_time(T)
    assert latest is not None and latest.replace(tzinfo=UTC) == now.replace(tzinfo=UTC)
    tr.drop()
    assert not tr.exists()
    eng.dispose()


def _grab(url: str, n: int, q: mp.Queue[list[int]]) -> None:
    alloc = KeyAllocator(create_engine(url), block=7)
    q.put([alloc.next_key() for _ in range(n)])


def test_key_allocator_unique_across_processes_and_restarts(any_db_url: URL) -> None:
    """Several processes reserve blocks at once (on SQLite, which has no row locks, a lost update
    once gave two workers the same block)."""
    url = any_db_url.render_as_string(hide_password=False)
    ctx = mp.get_context("spawn")
    q: mp.Queue[list[int]] = ctx.Queue()
    procs = [ctx.Process(target=_grab, args=(url, 400, q)) for _ in range(4)]
    for p in procs:
        p.start()
    keys = [k for _ in procs for k in q.get(timeout=120)]
    for p in procs:
        p.join(30)
    # a "restarted" allocator continues after every reserved block: no reuse
    keys += [KeyAllocator(create_engine(any_db_url), block=7).next_key() for _ in range(3)]
    assert len(keys) == len(set(keys)) == 1603
    assert all(KEY_BASE < k < KEY_BASE + (1 << 51) for k in keys)
