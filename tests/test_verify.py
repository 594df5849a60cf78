"""`--history --verify` on real engine data: passes after a real migration, fails naming the entity
when a Camunda 8 row is deleted or a variable value is changed behind its back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.history_support import Pair, history_pair, mapping, rows
from tests.support.databases import admin_url, drop_database, unique_name


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with history_pair("postgresql", tmp_path_factory.mktemp("verify")) as pair:
        r = pair.run("--history")
        assert r.returncode == 0, r.stderr[-3000:]
        yield pair


@contextmanager
def c8_copy(pair: Pair) -> Iterator[tuple[Path, object]]:
    """A copy of the migrated C8 database (tracking table included) and a config pointing at it."""
    name = unique_name("c8v")
    admin = create_engine(admin_url("postgresql"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # idle pooled connections of this test process would block the template copy
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                          "AND pid <> pg_backend_pid()"), {"d": pair.c8_url.database})
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pair.c8_url.database}"'))
    admin.dispose()
    url = pair.c8_url.set(database=name)
    cfg = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url": url.render_as_string(hide_password=False)})
    try:
        yield cfg, url
    finally:
        drop_database("postgresql", name)


def verify_json(pair: Pair, *extra: str, config: Path | None = None) -> tuple[int, dict]:
    r = pair.run("--history", "--verify", "--json", *extra, config=config)
    assert r.stdout.strip(), r.stderr[-3000:]
    return r.returncode, json.loads(r.stdout)


def test_verify_passes_after_a_real_migration(migrated: Pair, tmp_path: Path) -> None:
    report = tmp_path / "verify.html"
    r = migrated.run("--history", "--verify", "--sample", "all", "--report", str(report))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "Camunda 8 matches Camunda 7" in r.stdout
    assert "Historic Process Instance" in r.stdout
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>") and "PASSED" in html
    assert "<script" not in html and "http" not in html.split("</style>")[0]  # self-contained, no CDN

    rc, doc = verify_json(migrated, "--sample", "all")
    assert rc == 0 and doc["ok"] is True and doc["problems"] == []
    by_type = {t["type"]: t for t in doc["types"]}
    pi = by_type["HISTORY_PROCESS_INSTANCE"]
    keys = mapping(migrated.c8(), "HISTORY_PROCESS_INSTANCE", migrated=True)
    assert pi["c7_rows"] == pi["migrated"] == pi["c8_present"] == pi["sampled"] == len(keys) > 50
    for t in by_type.values():
        assert t["c7_rows"] == t["migrated"] + t["skipped"]
        assert t["field_diffs"] == [] and t["not_rechecked"] == []
        if t["skipped"]:
            assert sum(t["skip_reasons"].values()) == t["skipped"]  # every skip is explained
    # variables: every migrated value was converted again and compared
    assert by_type["HISTORY_VARIABLE"]["sampled"] == by_type["HISTORY_VARIABLE"]["migrated"]
    # per process definition: C7 = C8 + skipped for every definition
    defs = [d for d in doc["definitions"] if d["type"] == "HISTORY_PROCESS_INSTANCE"]
    assert defs and all(d["ok"] for d in defs)
    assert sum(d["c7_rows"] for d in defs) == pi["c7_rows"]

    # the default random sample is bounded
    rc, doc = verify_json(migrated)
    assert rc == 0
    assert all(t["sampled"] <= 50 for t in doc["types"])


def test_verify_fails_when_a_process_instance_row_is_deleted(migrated: Pair) -> None:
    keys = mapping(migrated.c8(), "HISTORY_PROCESS_INSTANCE", migrated=True)
    c7_id, key = sorted(keys.items())[0]
    with c8_copy(migrated) as (cfg, url):
        eng = create_engine(url)
        with eng.begin() as conn:
            assert conn.execute(text("DELETE FROM PROCESS_INSTANCE WHERE PROCESS_INSTANCE_KEY = :k"),
                                {"k": int(key)}).rowcount == 1
        eng.dispose()
        r = migrated.run("--history", "--verify", config=cfg)
        assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-2000:]
        assert f"Historic Process Instance: 1 migrated entities have no Camunda 8 row: {c7_id} (C8 key {key})" \
            in r.stdout.replace("\n", " ")
        rc, doc = verify_json(migrated, config=cfg)
        assert rc == 1 and doc["ok"] is False
        pi = next(t for t in doc["types"] if t["type"] == "HISTORY_PROCESS_INSTANCE")
        assert pi["missing_in_c8"] == 1 and pi["missing_examples"] == [{"c7_id": c7_id, "c8_key": key}]
        assert pi["c8_present"] == pi["migrated"] - 1
        definition = rows(migrated.c7(), "SELECT PROC_DEF_KEY_ FROM ACT_HI_PROCINST WHERE ID_ = :i", i=c7_id)[0]
        bad_defs = [d for d in doc["definitions"] if not d["ok"]]
        assert [(d["type"], d["definition"]) for d in bad_defs] == [("HISTORY_PROCESS_INSTANCE",
                                                                     definition["PROC_DEF_KEY_"])]


def test_verify_fails_when_a_variable_value_is_changed(migrated: Pair) -> None:
    c8 = migrated.c8()
    keys = mapping(c8, "HISTORY_VARIABLE", migrated=True)
    by_key = {v: k for k, v in keys.items()}
    target = next(r for r in rows(c8, "SELECT VAR_KEY, VAR_NAME, VAR_VALUE FROM VARIABLE WHERE TYPE = 'STRING' "
                                      "AND VAR_NAME <> 'legacyId' ORDER BY VAR_KEY")
                  if str(r["VAR_KEY"]) in by_key)
    c8.dispose()
    c7_id = by_key[str(target["VAR_KEY"])]
    with c8_copy(migrated) as (cfg, url):
        eng = create_engine(url)
        with eng.begin() as conn:
            conn.execute(text("UPDATE VARIABLE SET VAR_VALUE = :v WHERE VAR_KEY = :k"),
                         {"v": '"changed behind its back"', "k": target["VAR_KEY"]})
        eng.dispose()
        rc, doc = verify_json(migrated, "--sample", "all", config=cfg)
        assert rc == 1
        var = next(t for t in doc["types"] if t["type"] == "HISTORY_VARIABLE")
        assert [(d["c7_id"], d["column"], d["actual"]) for d in var["field_diffs"]] == [
            (c7_id, "VAR_VALUE", "'\"changed behind its back\"'")]
        assert var["field_diffs"][0]["expected"] == repr(target["VAR_VALUE"])
        assert any(f"Historic Variable C7 ID [{c7_id}]" in p and "VAR_VALUE" in p for p in doc["problems"])
        others = [t for t in doc["types"] if t["type"] != "HISTORY_VARIABLE"]
        assert all(t["ok"] for t in others)
        r = migrated.run("--history", "--verify", "--sample", "all", config=cfg)
        assert r.returncode == 1 and f"Historic Variable C7 ID [{c7_id}]" in r.stdout


def test_verify_names_c7_entities_that_were_not_migrated(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        r = pair.run("--history", "--verify")  # nothing migrated yet
        assert r.returncode == 1
        assert "were neither migrated nor skipped" in r.stdout.replace("\n", " ")
        assert "does not exist" in r.stdout  # the tracking table


def test_verify_needs_history(migrated: Pair) -> None:
    r = migrated.run("--runtime", "--verify")
    assert r.returncode == 1 and "use it with --history" in r.stderr
