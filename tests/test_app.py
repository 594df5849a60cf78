"""CLI modes end to end on the shipped engine-produced data set in SQLite (fast path, no server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from c7to8.c7.dataset import import_dataset
from c7to8.demo import dataset_path


@pytest.fixture(scope="module")
def c7_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("c7") / "c7.db"
    eng = create_engine(f"sqlite:///{path}")
    import_dataset(dataset_path(), eng)
    eng.dispose()
    return path


def write_config(tmp: Path, c7: Path, extra: str = "") -> Path:
    cfg = tmp / "application.yml"
    cfg.write_text(f"""
camunda:
  migrator:
    save-skip-reason: true
    history:
      partition-count: 1
    c7:
      data-source:
        jdbc-url: "jdbc:sqlite:{c7}"
    c8:
      data-source:
        jdbc-url: "jdbc:sqlite:{tmp / 'c8.db'}"
        auto-ddl: true
{extra}""")
    return cfg


def cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "c7to8.cli", *args, "--config", str(cfg), "--no-progress"],
                          capture_output=True, text=True, timeout=600, cwd=str(cfg.parent))


def tables(path: Path) -> set[str]:
    eng = create_engine(f"sqlite:///{path}")
    try:
        return {t.upper() for t in inspect(eng).get_table_names()}
    finally:
        eng.dispose()


def test_drop_schema_keeps_table_when_skips_exist_and_force_drops_it(tmp_path: Path, c7_sqlite: Path) -> None:
    cfg = write_config(tmp_path, c7_sqlite)
    r = cli(cfg, "--history", "--drop-schema")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Some entities were skipped during migration, enable `--force` to drop the migration schema" in r.stderr
    assert "MIGRATION_MAPPING" in tables(tmp_path / "c8.db")
    r = cli(cfg, "--history", "--list-migrated", "--drop-schema", "--force")
    assert r.returncode == 0
    assert "Migration mappings for [Historic Process Instances]:" in r.stdout
    assert "`--force` is enabled, dropping migration schema" in r.stderr
    assert "MIGRATION_MAPPING" not in tables(tmp_path / "c8.db")
    assert "PROCESS_INSTANCE" in tables(tmp_path / "c8.db")  # Camunda 8 data is never dropped


def test_runtime_and_identity_listings_read_the_tracking_table(tmp_path: Path, c7_sqlite: Path) -> None:
    cfg = write_config(tmp_path, c7_sqlite)
    r = cli(cfg, "--runtime", "--list-skipped")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["No entities of type [Process Instance] were skipped during previous migration"]
    r = cli(cfg, "--identity", "--list-migrated")
    assert r.stdout.splitlines() == [
        "No entities of type [User] were migrated", "No entities of type [Group] were migrated",
        "No entities of type [Tenant] were migrated", "No entities of type [Authorization] were migrated"]


def test_history_then_listing_order_follows_command_line(tmp_path: Path, c7_sqlite: Path) -> None:
    cfg = write_config(tmp_path, c7_sqlite, extra="    table-prefix: MY_\n")
    assert cli(cfg, "--history").returncode == 0
    assert "MY_MIGRATION_MAPPING" in tables(tmp_path / "c8.db")
    r = cli(cfg, "--history", "--list-skipped")
    lines = r.stdout.splitlines()
    headers = [ln for ln in lines if ln.startswith(("Previously skipped", "No entities"))]
    assert len(headers) == 13
    assert headers[0] == "No entities of type [Historic Process Definition] were skipped during previous migration"
    assert "Previously skipped [Historic Variables]:" in headers
    assert headers[-1] == "No entities of type [Historic External Task] were skipped during previous migration"


def test_c7_schema_missing_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    create_engine(f"sqlite:///{empty}").connect().close()
    cfg = write_config(tmp_path, empty)
    r = cli(cfg, "--history")
    assert r.returncode == 4
    assert "There are no Camunda tables in the database" in r.stderr and "Traceback" not in r.stderr


def test_deployment_dir_missing_is_an_error_and_hidden_or_empty_means_no_call(tmp_path: Path, c7_sqlite: Path) -> None:
    cfg = write_config(tmp_path, c7_sqlite)
    env_missing = {"CAMUNDA_MIGRATOR_C8_DEPLOYMENT_DIR": str(tmp_path / "nope"),
                   "CAMUNDA_CLIENT_REST_ADDRESS": "http://127.0.0.1:9"}
    r = subprocess.run([sys.executable, "-m", "c7to8.cli", "--history", "--list-skipped", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=120, env={**os.environ, **env_missing})
    assert r.returncode == 2 and "deployment-dir" in r.stderr and "shutting down Data Migrator gracefully" in r.stderr
    res = tmp_path / "resources"
    (res / ".hidden").mkdir(parents=True)
    (res / ".gitkeep").write_text("")
    env_empty = {**env_missing, "CAMUNDA_MIGRATOR_C8_DEPLOYMENT_DIR": str(res)}
    r = subprocess.run([sys.executable, "-m", "c7to8.cli", "--history", "--list-skipped", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=120, env={**os.environ, **env_empty})
    assert r.returncode == 0, r.stderr  # only hidden files: no deployment call to the unreachable server
    (res / "order.bpmn").write_text("<definitions/>")
    r = subprocess.run([sys.executable, "-m", "c7to8.cli", "--history", "--list-skipped", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=300, env={**os.environ, **env_empty})
    assert r.returncode != 0 and "Failed to deploy C8 resources" in r.stderr
