"""`--preflight` on real engine data: connections, schemas, counts, unconvertible variables, estimate;
non-zero exit when something blocks a run. Nothing is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.history_support import Pair, history_pair, rows, scalar
from tests.support.databases import unique_name
from tests.test_history import C7_COUNTS


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with history_pair("postgresql", tmp_path_factory.mktemp("preflight")) as p:
        yield p


def preflight(pair: Pair, *args: str, config: Path | None = None) -> tuple[int, dict]:
    r = pair.run(*args, "--preflight", "--json", config=config)
    assert r.stdout.strip(), r.stderr[-3000:]
    return r.returncode, json.loads(r.stdout)


def checks(doc: dict) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["status"], c["detail"]) for c in doc["checks"]}


def test_history_preflight_counts_and_variables(pair: Pair) -> None:
    rc, doc = preflight(pair, "--history")
    assert rc == 0, doc
    c = checks(doc)
    assert c["Camunda 7 database"][0] == "ok"
    assert c["Camunda 7 schema"] == ("ok", "schema version 7.24.0 (postgresql), history level full")
    assert c["Camunda 8 database"][0] == "ok"
    assert c["Camunda 8 schema"][0] == "ok" and "auto-ddl will create them" in c["Camunda 8 schema"][1]
    assert c["partitions"][0] == "ok"
    c7 = pair.c7()
    counts = {x["type"]: x for x in doc["counts"]}
    for t, sql in C7_COUNTS.items():
        n = int(scalar(c7, sql))
        assert counts[t]["c7_rows"] == n == counts[t]["to_migrate"], t
        assert counts[t]["migrated"] == counts[t]["skipped"] == 0
    c7.dispose()
    assert counts["HISTORY_PROCESS_INSTANCE"]["read_rows_per_s"] > 0
    assert doc["estimate_s"] > 0 and doc["write_rows_per_s"] > 0
    # the variable converter ran over every ACT_HI_VARINST row
    v = doc["variables"]
    assert v["scanned"] == counts["HISTORY_VARIABLE"]["c7_rows"]
    bad = {(x["name"], x["type"]) for x in v["examples"]}
    assert ("bytesVar", "bytes") in bad and ("fileVar", "file") in bad  # no document store reachable here
    assert v["cannot_convert"] == sum(v["by_reason"].values()) == len(v["examples"])
    assert all("document store" in r for r in v["by_reason"])
    # nothing was written: no tracking table, no Camunda 8 tables
    c8 = pair.c8()
    assert scalar(c8, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'") == 0
    c8.dispose()
    # the table output
    r = pair.run("--history", "--preflight")
    assert r.returncode == 0 and "Nothing blocks the run." in r.stdout and "bytesVar" in r.stdout


def test_preflight_after_a_run_counts_what_is_left(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as p:
        assert p.run("--history").returncode == 0
        rc, doc = preflight(p, "--history")
        assert rc == 0
        pi = next(x for x in doc["counts"] if x["type"] == "HISTORY_PROCESS_INSTANCE")
        assert pi["migrated"] == pi["c7_rows"] and pi["to_migrate"] == 0
        assert checks(doc)["Camunda 8 schema"][0] == "ok"
        assert "rows from earlier runs" in checks(doc)["tracking table"][1]


def test_preflight_blocks_on_missing_c8_tables(pair: Pair) -> None:
    cfg = pair.config(**{"camunda.migrator.c8.data-source.auto-ddl": False})
    rc, doc = preflight(pair, "--history", config=cfg)
    assert rc == 1 and doc["ok"] is False
    status, detail = checks(doc)["Camunda 8 schema"]
    assert status == "fail" and "PROCESS_INSTANCE" in detail and "auto-ddl: true" in detail


def test_preflight_blocks_when_a_database_cannot_be_reached(pair: Pair) -> None:
    url = pair.c8_url.set(database=unique_name("missing"))
    cfg = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url": url.render_as_string(hide_password=False)})
    rc, doc = preflight(pair, "--history", config=cfg)
    assert rc == 1
    status, detail = checks(doc)["Camunda 8 database"]
    assert status == "fail" and "cannot connect" in detail and "c7to8:c7to8@" not in detail
    assert checks(doc)["Camunda 7 database"][0] == "ok"  # the rest is still checked
    r = pair.run("--history", "--preflight", config=cfg)
    assert r.returncode == 1 and "Blocked" in r.stdout


def test_preflight_blocks_without_partition_source(pair: Pair) -> None:
    cfg = pair.config(**{"camunda.migrator.history.partition-count": None,
                         "camunda.client.rest-address": "http://127.0.0.1:9"})
    rc, doc = preflight(pair, "--history", config=cfg)
    assert rc == 1
    status, detail = checks(doc)["partitions"]
    assert status == "fail" and "partition-count" in detail


def test_runtime_and_identity_preflight_without_camunda8(pair: Pair) -> None:
    cfg = pair.config(**{"camunda.client.rest-address": "http://127.0.0.1:9"})
    rc, doc = preflight(pair, "--runtime", "--identity", config=cfg)
    assert rc == 1  # no Camunda 8 server: runtime and identity migration cannot run
    c = checks(doc)
    assert c["Camunda 8 REST API (runtime)"][0] == "fail"
    assert c["runtime: C8 process definitions and migrator listeners"][0] == "not checked"
    assert c["identity: existing Camunda 8 users, groups and tenants"][0] == "not checked"
    counts = {x["type"]: x for x in doc["counts"]}
    c7 = pair.c7()
    active = scalar(c7, "SELECT COUNT(*) FROM ACT_RU_EXECUTION WHERE ID_ = PROC_INST_ID_")
    users = scalar(c7, "SELECT COUNT(*) FROM ACT_ID_USER")
    c7.dispose()
    assert counts["RUNTIME_PROCESS_INSTANCE"]["c7_rows"] == active
    assert counts["USER"]["c7_rows"] == users


def test_runtime_preflight_validates_against_local_c8_models(pair: Pair, tmp_path: Path) -> None:
    """Every runtime validation runs without writing against the models in c8.deployment-dir."""
    import shutil

    root = Path(__file__).resolve().parents[1]
    models = tmp_path / "resources"
    shutil.copytree(root / "harness" / "c8", models)
    (models / "usertasks.bpmn").unlink()  # a definition missing in C8 -> its instances would be skipped
    cfg = pair.config(**{"camunda.client.rest-address": "http://127.0.0.1:9",
                         "camunda.migrator.c8.deployment-dir": "",
                         "camunda.migrator.tenant-ids": "tenant1, tenant2"})
    env_cfg = cfg.read_text().replace('camunda.migrator.c8.deployment-dir: ""',
                                      f'camunda.migrator.c8.deployment-dir: "{models}"')
    cfg.write_text(env_cfg)
    r = pair.run("--runtime", "--preflight", "--json", config=cfg)
    doc = json.loads(r.stdout)
    c = checks(doc)
    status, detail = c["runtime: validation against the C8 models in c8.deployment-dir"]
    assert status == "warn"
    skips = {s["c7_id"]: s["reason"] for s in doc["runtime_skips"]}
    c7 = pair.c7()
    user_task_roots = {r["ID_"] for r in rows(c7, "SELECT p.ID_ FROM ACT_HI_PROCINST p WHERE p.END_TIME_ IS NULL "
                                                   "AND p.SUPER_PROCESS_INSTANCE_ID_ IS NULL AND p.PROC_DEF_KEY_ = 'usertasks'")}
    assert user_task_roots and user_task_roots <= set(skips)
    for pid in user_task_roots:
        assert "usertasks" in skips[pid] and "C8" in skips[pid]
    # instances of processes whose C8 model is there (with the migrator listener) pass
    n_running = scalar(c7, "SELECT COUNT(*) FROM ACT_HI_PROCINST WHERE END_TIME_ IS NULL AND SUPER_PROCESS_INSTANCE_ID_ IS NULL")
    assert len(skips) < n_running


def test_missing_c8_schema_blocks_with_its_name(pair: Pair) -> None:
    rc, doc = preflight(pair, "--history", config=pair.config(**{"camunda.migrator.c8.data-source.schema": "not_there"}))
    assert rc != 0 and doc["ok"] is False
    status, detail = checks(doc)["Camunda 8 database"]
    assert status == "fail" and "the schema 'not_there' does not exist" in detail, detail
