"""`--runtime --runtime-concurrency N` end to end: real Camunda 7 data, the Camunda 8 PROTOCOL STUB.

The Camunda 7 side is real: a PostgreSQL copy of the harness data set written by the Camunda 7
engine (tests/support/harness.py), read by the real runtime migrator through the real CLI. The
Camunda 8 side is `tests/support/c8_protocol_stub.py`: a small HTTP server on 127.0.0.1 that
answers the REST calls runtime migration makes, shaped after the 8.9 OpenAPI. It is NOT Camunda 8
and these tests are NOT a verification against Camunda 8 (none could run where c7to8 is built).
They test c7to8's side: bounded concurrency, 429/503 back-off, per-instance bookkeeping (tracking
rows, PENDING resume, reruns) and that N > 1 decides exactly what N = 1 decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, select, text, update

from c7to8.cli import main
from c7to8.runtime_plan import PENDING
from c7to8.store.tracking import EntityType, Tracking
from tests.support import harness
from tests.support.c8_protocol_stub import C8ProtocolStub, Reject, http_date
from tests.support.databases import admin_url, drop_database, harness_postgres, root_instance_ids, unique_name
from tests.support.databases import testbed_env as _testbed
from tests.test_runtime import VALID_PLANS

RT = EntityType.RUNTIME_PROCESS_INSTANCE
ALSO_MIGRATED = {"callactivity-active-1", "callactivity-returned-1", "variables-all-types-1"}
SKIPPED = {  # every unfinished root of the data set that is not migrated, with its reason
    "multiinstance-review-1": "Found multi-instance loop characteristics for flow node with id [review]",
    "multiinstance-sign-1": "Found multi-instance loop characteristics for flow node with id [sign]",
    "gateways-joining-1": "Found active joining parallel gateway with id [join]",
    "messagestart-1": "should have a None Start Event.",
    "tenants-tenant1-1": "Found a process instance with tenant id [tenant1] that is not configured",
    "tenants-tenant2-1": "Found a process instance with tenant id [tenant2] that is not configured",
}


@dataclass
class C7Copy:
    name: str
    engine: Engine
    ids: dict[str, str]  # business key -> C7 root id
    candidates: list[str]  # unfinished roots in the migrator's order (START_TIME_, ID_)

    def tracking(self) -> dict[str, tuple[str | None, str | None]]:
        t = Tracking(self.engine).table
        with self.engine.connect() as conn:
            return {str(c7): (key, reason) for c7, key, reason in conn.execute(
                select(t.c.C7_ID, t.c.C8_KEY, t.c.SKIP_REASON).where(t.c["TYPE"] == RT.name))}


@pytest.fixture
def c7() -> Iterator[C7Copy]:
    with harness_postgres("c7rtc") as (name, engine):
        with engine.connect() as conn:
            ids = root_instance_ids(conn)
            candidates = [str(i) for (i,) in conn.execute(text(
                "SELECT ID_ FROM ACT_HI_PROCINST WHERE END_TIME_ IS NULL AND SUPER_PROCESS_INSTANCE_ID_ IS NULL "
                "ORDER BY START_TIME_, ID_"))]
        yield C7Copy(name, engine, ids, candidates)


def run_cli(tmp_path: Path, c7: C7Copy, stub: C8ProtocolStub, *extra: str) -> int:
    env = _testbed()
    cfg = tmp_path / f"application-{c7.name}.yml"
    cfg.write_text(yaml.safe_dump({
        "camunda": {
            "migrator": {
                "page-size": 7,  # several selection pages
                "c7": {"data-source": {"jdbc-url": f"{env['C7TO8_PG_JDBC_BASE']}/{c7.name}",
                                       "username": env["C7TO8_DB_USER"], "password": env["C7TO8_DB_PASSWORD"]}},
            },
            "client": {"rest-address": stub.url},
        },
        "logging": {"level": {"root": "ERROR"}},
    }))
    return main(["--runtime", *extra, "--config", str(cfg), "--no-progress",
                 "--progress-file", str(tmp_path / "progress.json")])


def expected_migrated(c7: C7Copy) -> set[str]:
    """Every unfinished root but the SKIPPED ones (tests/test_runtime.py validates them one by one)."""
    got = set(c7.candidates) - {c7.ids[bk] for bk in SKIPPED}
    assert {c7.ids[bk] for bk in set(VALID_PLANS) | ALSO_MIGRATED} <= got
    return got


def check_complete(c7: C7Copy, stub: C8ProtocolStub) -> dict[str, tuple[str | None, str | None]]:
    """Every eligible instance created exactly once and tracked with its key; skips with reasons."""
    rows = c7.tracking()
    migrated = {i for i, (key, _) in rows.items() if key is not None}
    assert migrated == expected_migrated(c7)
    assert set(rows) == set(c7.candidates)  # every unfinished root has a row, nothing else
    assert dict(stub.created) == {i: 1 for i in migrated}  # exactly once each
    by_legacy = {inst.variables["legacyId"]: key for key, inst in stub.instances.items() if inst.parent_key is None}
    assert {i: rows[i][0] for i in migrated} == by_legacy
    for bk, reason in SKIPPED.items():
        key, got = rows[c7.ids[bk]]
        assert key is None and got is not None and reason in got, (bk, got)
    assert all(reason != PENDING for _, reason in rows.values())
    # job phase: each created instance (and each child a call activity started) was modified once
    assert {k: len(v) for k, v in stub.modifications.items()} == {k: 1 for k in stub.instances}
    children = [i for i in stub.instances.values() if i.parent_key is not None]
    assert len(children) == 2  # call_parent -> call_child -> call_grandchild
    return rows


def rejects() -> dict[int, Reject]:
    return {2: Reject(429, "1"), 3: Reject(429, http_date(1)), 9: Reject(503, "0"), 15: Reject(429, None)}


def test_concurrent_run_creates_each_instance_once_and_matches_sequential(
        tmp_path: Path, c7: C7Copy, capsys: pytest.CaptureFixture[str]) -> None:
    stub = C8ProtocolStub(create_delay_s=0.05, rejects=rejects())
    with stub.running():
        assert run_cli(tmp_path, c7, stub, "--runtime-concurrency", "4") == 0
        rows = check_complete(c7, stub)
        assert 1 < stub.max_in_flight <= 4
        # the refused requests were retried: their instances exist, once
        assert len(stub.rejected) == 4 and {s for _, _, s in stub.rejected} == {429, 503}
        assert all(stub.created[legacy] == 1 for _, legacy, _ in stub.rejected)
        concurrent_counts = _summary_counts(capsys.readouterr().out)
        # rerun: nothing new is created, nothing changes
        before = (stub.create_requests, dict(stub.created), len(stub.instances))
        assert run_cli(tmp_path, c7, stub, "--runtime-concurrency", "4") == 0
        assert (stub.create_requests, dict(stub.created), len(stub.instances)) == before
        assert c7.tracking() == rows
        rerun = _summary_counts(capsys.readouterr().out)
        assert rerun["Process Instance"][1:3] == ["0", "0"] and rerun["Migrator jobs"][0] == "0"
        concurrent_bodies = _creation_view(stub)

    # the same data, sequentially (the official behaviour): the same decisions and the same requests
    _testbed()
    seq_name = unique_name("c7rts")
    harness.postgres_dataset(admin_url("postgresql"), seq_name)
    seq_engine = create_engine(admin_url("postgresql").set(database=seq_name))
    try:
        seq = C7Copy(seq_name, seq_engine, c7.ids, c7.candidates)
        seq_stub = C8ProtocolStub(create_delay_s=0.0, rejects=rejects())
        with seq_stub.running():
            assert run_cli(tmp_path, seq, seq_stub) == 0
            assert _summary_counts(capsys.readouterr().out) == concurrent_counts  # thread-safe counters
            seq_rows = check_complete(seq, seq_stub)
            assert seq_stub.max_in_flight == 1
            # sequential creation order is the selection order
            assert [i.variables["legacyId"] for i in seq_stub.instances.values() if i.parent_key is None] == [
                i for i in c7.candidates if seq_rows[i][0] is not None]
        assert {i: (k is None, r) for i, (k, r) in seq_rows.items()} == {
            i: (k is None, r) for i, (k, r) in rows.items()}
        assert _creation_view(seq_stub) == concurrent_bodies
    finally:
        seq_engine.dispose()
        drop_database("postgresql", seq_name)


def _summary_counts(out: str) -> dict[str, list[str]]:
    """The summary table's read/migrated/skipped/failed/already columns per type (times left out)."""
    counts = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if cells[0] in ("Process Instance", "Migrator jobs"):
            counts[cells[0]] = cells[1:6]
    assert set(counts) == {"Process Instance", "Migrator jobs"}, out
    return counts


def _creation_view(stub: C8ProtocolStub) -> dict[str, Any]:
    """What was created (variables and modifications), keyed by C7 id; C8 keys left out."""
    out: dict[str, Any] = {}
    for key, inst in stub.instances.items():
        mods = stub.modifications.get(key, [])
        acts = [(a["elementId"], sorted((a.get("variableInstructions") or [{}])[0].get("variables", {})))
                for m in mods for a in m["activateInstructions"]]
        variables = {k: v for k, v in inst.variables.items() if not (isinstance(v, dict) and "documentId" in v)}
        out[inst.variables["legacyId"]] = (inst.process_definition_id, inst.parent_key is None, variables, acts)
    return out


def test_failure_mid_run_leaves_a_prefix_and_the_rerun_completes(tmp_path: Path, c7: C7Copy,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    eligible = [i for i in c7.candidates if i in expected_migrated(c7)]
    broken = eligible[len(eligible) // 2]
    stub = C8ProtocolStub(create_delay_s=0.03, fail_create_for={broken})
    with stub.running():
        assert run_cli(tmp_path, c7, stub, "--runtime-concurrency", "4") != 0
        err = capsys.readouterr().err
        assert "Creating process instance failed" in err and "HTTP 400" in err
        rows = c7.tracking()
        # tracking rows were inserted in selection order: a prefix, so resuming at the newest
        # CREATE_TIME (inclusive) cannot pass over an instance
        assert list(rows) and set(rows) == set(c7.candidates[:len(rows)])
        assert rows[broken] == (None, PENDING)  # committed before the create call that failed
        assert broken not in stub.created
        assert all(n == 1 for n in stub.created.values())
        # simulate a crash between a create call and its key update on another instance
        done = next(i for i in c7.candidates if i in stub.created)
        t = Tracking(c7.engine).table
        with c7.engine.begin() as conn:
            conn.execute(update(t).where(t.c.C7_ID == done).values(C8_KEY=None, SKIP_REASON=PENDING))
        stub.fail_create_for.clear()
        assert run_cli(tmp_path, c7, stub, "--runtime-concurrency", "4") == 0
        check_complete(c7, stub)  # the PENDING rows were resolved: found in C8, or created once
        assert stub.created[done] == 1 and stub.created[broken] == 1
