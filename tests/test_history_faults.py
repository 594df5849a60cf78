"""History migration under faults: SIGKILL mid-run, bad C7 data, C8 rows deleted, C8 database gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.history_support import Pair, history_pair, mapping, rows, scalar
from tests.support.databases import admin_url
from tests.test_history import reconcile

SMALL_BATCHES = {"c7to8.batch-size": 15}


def tracked(pair: Pair) -> int:
    try:
        return int(scalar(pair.c8(), "SELECT COUNT(*) FROM MIGRATION_MAPPING"))
    except Exception:  # noqa: BLE001 - the table may not exist yet
        return 0


def assert_no_duplicates(pair: Pair) -> None:
    c8 = pair.c8()
    for type_, table, key in (
        ("HISTORY_PROCESS_INSTANCE", "PROCESS_INSTANCE", "PROCESS_INSTANCE_KEY"),
        ("HISTORY_FLOW_NODE", "FLOW_NODE_INSTANCE", "FLOW_NODE_INSTANCE_KEY"),
        ("HISTORY_USER_TASK", "USER_TASK", "USER_TASK_KEY"),
        ("HISTORY_INCIDENT", "INCIDENT", "INCIDENT_KEY"),
        ("HISTORY_PROCESS_DEFINITION", "PROCESS_DEFINITION", "PROCESS_DEFINITION_KEY"),
    ):
        migrated = mapping(c8, type_, migrated=True)
        c8_keys = [str(r["K"]) for r in rows(c8, f"SELECT {key} AS K FROM {table}")]
        assert len(c8_keys) == len(set(c8_keys))
        # exactly one C8 row per migrated entity, and no C8 row without a tracking row
        assert sorted(c8_keys) == sorted(migrated.values()), type_
    n_pi = len(mapping(c8, "HISTORY_PROCESS_INSTANCE", migrated=True))
    n_var = len(mapping(c8, "HISTORY_VARIABLE", migrated=True))
    assert scalar(c8, "SELECT COUNT(*) FROM VARIABLE") == n_var + n_pi  # + one legacyId per instance


def start(pair: Pair, config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "c7to8.cli", "--history", "--config", str(config), "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(pair.workdir),
    )


def test_sigkill_at_several_points_then_rerun(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        config = pair.config(**SMALL_BATCHES)
        kills = 0
        for threshold in (40, 250, 600):
            proc = start(pair, config)
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                if tracked(pair) >= threshold:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                    break
                time.sleep(0.02)
            proc.wait(60)
        assert kills >= 2, "the migration finished before it could be killed: thresholds too high"
        r = pair.run("--history", config=config)
        assert r.returncode == 0, r.stderr[-3000:]
        reconcile(pair)
        assert_no_duplicates(pair)
        # same outcome as an uninterrupted run: nothing of a hierarchy is lost
        assert len(mapping(pair.c8(), "HISTORY_PROCESS_INSTANCE", migrated=False)) == 0
        assert len(mapping(pair.c8(), "HISTORY_FLOW_NODE", migrated=False)) == 0


def test_bad_input_is_skipped_with_reasons_and_rerun_finishes(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        c7 = create_engine(pair.c7_url)
        with c7.begin() as conn:
            # a dangling parent: the child of a call activity whose parent row is gone
            child = conn.execute(text(
                "SELECT ID_, SUPER_PROCESS_INSTANCE_ID_ FROM ACT_HI_PROCINST WHERE SUPER_PROCESS_INSTANCE_ID_ IS NOT NULL "
                "AND ROOT_PROC_INST_ID_ = SUPER_PROCESS_INSTANCE_ID_ ORDER BY ID_ LIMIT 1")).one()
            conn.execute(text("UPDATE ACT_HI_PROCINST SET SUPER_PROCESS_INSTANCE_ID_ = 'gone-parent', "
                              "ROOT_PROC_INST_ID_ = 'gone-parent' WHERE ID_ = :i"), {"i": child.id_})
            # corrupt Java-serialization bytes
            ser = conn.execute(text("SELECT ID_, BYTEARRAY_ID_, NAME_ FROM ACT_HI_VARINST WHERE VAR_TYPE_ = 'serializable' "
                                    "ORDER BY ID_ LIMIT 1")).one()
            conn.execute(text("UPDATE ACT_GE_BYTEARRAY SET BYTES_ = :b WHERE ID_ = :i"),
                         {"b": b"\xac\xed\x00\x05sr\x00\x10com.example.Fooo\x00\x00\x00garbage", "i": ser.bytearray_id_})
            # an unknown variable type
            unk = conn.execute(text("SELECT ID_ FROM ACT_HI_VARINST WHERE VAR_TYPE_ = 'string' ORDER BY ID_ LIMIT 1")).one()
            conn.execute(text("UPDATE ACT_HI_VARINST SET VAR_TYPE_ = 'myCustomType' WHERE ID_ = :i"), {"i": unk.id_})
            # a variable pointing at a byte array row that does not exist
            dang = conn.execute(text("SELECT ID_ FROM ACT_HI_VARINST WHERE VAR_TYPE_ = 'string' AND ID_ <> :u "
                                     "ORDER BY ID_ LIMIT 1"), {"u": unk.id_}).one()
            conn.execute(text("UPDATE ACT_HI_VARINST SET VAR_TYPE_ = 'bytes', BYTEARRAY_ID_ = 'no-such-bytes' "
                              "WHERE ID_ = :i"), {"i": dang.id_})
        r = pair.run("--history")
        assert r.returncode == 0, r.stderr[-3000:]
        reconcile(pair)
        c8 = pair.c8()
        reasons = {r["C7_ID"]: r["SKIP_REASON"] for r in rows(c8, "SELECT C7_ID, SKIP_REASON FROM MIGRATION_MAPPING "
                                                                 "WHERE C8_KEY IS NULL")}
        assert reasons[child.id_] in ("Missing root process instance", "Missing parent process instance")
        assert "com.example.Fooo" in reasons[ser.id_] and "offset" in reasons[ser.id_]
        assert "myCustomType" in reasons[unk.id_]
        assert "no-such-bytes" in reasons[dang.id_]
        # the rest of the same hierarchy pages is kept
        assert len(mapping(c8, "HISTORY_PROCESS_INSTANCE", migrated=True)) > 50
        # --list-skipped shows them, a rerun changes nothing, --retry-skipped keeps them skipped
        out = pair.run("--history", "--list-skipped", "HISTORY_VARIABLE").stdout.splitlines()
        assert out[0] == "Previously skipped [Historic Variables]:" and ser.id_ in out and unk.id_ in out
        assert pair.run("--history").returncode == 0
        assert pair.run("--history", "--retry-skipped").returncode == 0
        reconcile(pair)
        # fix the data in C7 and retry: the variable migrates
        with c7.begin() as conn:
            conn.execute(text("UPDATE ACT_HI_VARINST SET VAR_TYPE_ = 'string' WHERE ID_ = :i"), {"i": unk.id_})
        assert pair.run("--history", "--retry-skipped").returncode == 0
        assert unk.id_ in mapping(c8, "HISTORY_VARIABLE", migrated=True)


def test_definition_deleted_in_c8(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        assert pair.run("--history").returncode == 0
        c8 = pair.c8()
        c7 = pair.c7()
        pd = rows(c7, "SELECT PROC_DEF_ID_, COUNT(*) AS N FROM ACT_HI_PROCINST WHERE SUPER_PROCESS_INSTANCE_ID_ IS NULL "
                      "GROUP BY PROC_DEF_ID_ ORDER BY 2 DESC, 1 LIMIT 1")[0]
        pd_key = mapping(c8, "HISTORY_PROCESS_DEFINITION")[pd["PROC_DEF_ID_"]]
        pis = [r["ID_"] for r in rows(c7, "SELECT ID_ FROM ACT_HI_PROCINST WHERE PROC_DEF_ID_ = :d", d=pd["PROC_DEF_ID_"])]
        with c8.begin() as conn:
            # Camunda 8's history cleanup removed the definition; its instances are not migrated yet
            # (their tracking rows are removed behind the resume point: the rerun must notice the gap)
            conn.execute(text("DELETE FROM PROCESS_DEFINITION WHERE PROCESS_DEFINITION_KEY = :k"), {"k": int(pd_key)})
            conn.execute(text("DELETE FROM PROCESS_INSTANCE WHERE PROCESS_DEFINITION_KEY = :k"), {"k": int(pd_key)})
            for pi in pis:
                conn.execute(text("DELETE FROM MIGRATION_MAPPING WHERE TYPE = 'HISTORY_PROCESS_INSTANCE' AND C7_ID = :i"),
                             {"i": pi})
        assert pair.run("--history").returncode == 0
        reasons = {r["C7_ID"]: r["SKIP_REASON"] for r in rows(c8, "SELECT C7_ID, SKIP_REASON FROM MIGRATION_MAPPING "
                                                                 "WHERE TYPE = 'HISTORY_PROCESS_INSTANCE' AND C8_KEY IS NULL")}
        expected = f"Parent Historic Process Definition with C8 key [{pd_key}] has been deleted already in C8."
        assert pis and all(reasons[pi] == expected for pi in pis)


def _database_goes_away(pair: Pair, config: Path, side: str) -> None:
    """Take one database away once 150 rows are tracked: the run fails with c7to8's own error naming it
    (no traceback); with the database back, the same command finishes without duplicates."""
    name = (pair.c7_url if side == "c7" else pair.c8_url).database
    admin = create_engine(admin_url("postgresql"), isolation_level="AUTOCOMMIT")
    proc = start(pair, config)
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and tracked(pair) < 150 and time.monotonic() < deadline:
            time.sleep(0.02)
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                         {"d": name})
        _, err = proc.communicate(timeout=300)
        assert proc.returncode not in (0, None), "the run must fail when its database disappears"
        assert "Traceback" not in err, err[-3000:]
        which = "Camunda 7" if side == "c7" else "Camunda 8"
        assert f"{which} database" in err or f"{side}.data-source" in err, err[-2000:]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert tracked(pair) > 0
    r = pair.run("--history", config=config)
    assert r.returncode == 0, r.stderr[-3000:]
    reconcile(pair)
    assert_no_duplicates(pair)


def test_c8_database_goes_away_mid_run(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        _database_goes_away(pair, pair.config(**SMALL_BATCHES), "c8")


def test_wrong_credentials_give_a_clear_error(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        bad = pair.c7_url.set(password="wrong-password-xyz")
        cfg = pair.config(**{"camunda.migrator.c7.data-source.jdbc-url": bad.render_as_string(hide_password=False)})
        r = pair.run("--history", config=cfg)
        assert r.returncode == 4
        assert "camunda.migrator.c7.data-source" in r.stderr and "wrong-password-xyz" not in r.stderr + r.stdout
        assert "Traceback" not in r.stderr


@pytest.mark.parametrize("vendor", ["postgresql"])
def test_offline_partition_count_required_when_rest_unreachable(tmp_path: Path, vendor: str) -> None:
    with history_pair(vendor, tmp_path) as pair:
        cfg = pair.config(**{"camunda.migrator.history.partition-count": "",
                             "camunda.client.rest-address": "http://127.0.0.1:9"})
        r = pair.run("--history", config=cfg, env={"PYTHONWARNINGS": "ignore"})
        assert r.returncode != 0
        assert ("Camunda REST API cannot be reached to query for the topology. If you want to continue in offline mode, "
                "please configure a partition count with the following config property: "
                "camunda.migrator.history.partition-count") in r.stderr
        assert os.path.exists(pair.workdir)


@pytest.mark.parametrize("side", ["c7", "c8"])
def test_a_database_goes_away_under_two_set_based_workers(tmp_path: Path, side: str) -> None:
    """Either database fails while both workers stream through the set-based lane (tiny chunks)."""
    with history_pair("postgresql", tmp_path) as pair:
        _database_goes_away(pair, pair.config(**{"c7to8.set-based-chunk": 5, "c7to8.workers": 2}), side)
