"""`--dask ADDRESS`: the history shards as tasks on a Dask cluster write the same rows as one process."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from distributed import LocalCluster
from sqlalchemy import create_engine

from c7to8.cli import USAGE, parse_args
from c7to8.config import load_config
from c7to8.distributed import MISSING, run_distributed
from c7to8.errors import ConfigError, UsageError
from c7to8.history import HistoryError
from tests.history_support import history_pair
from tests.support.c8_snapshot import assert_same_rows, reference_and_second_target, snapshot
from tests.test_cli import run_cli

PER_SHARD = re.compile(r"rows read per shard: (.+)$", re.MULTILINE)


@contextmanager
def local_cluster(**worker_env: str) -> Iterator[str]:
    """A local Dask cluster of 2 worker processes (1 thread each); yields the scheduler address."""
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                           env=worker_env or None)
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def test_dask_shards_write_the_same_rows_as_one_process(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(pair, "c8d") as target:
        started, other, cfg = target.started, target.url, target.config
        # a task that fails (its worker may not write) stops the run with the shard named;
        # the definitions the parent committed are kept and the next run continues from them
        with local_cluster(PGOPTIONS="-c default_transaction_read_only=on") as address:
            failed = pair.run("--history", "--dask", address, config=cfg)
        assert failed.returncode == 5, failed.stdout[-2000:] + failed.stderr[-3000:]
        assert re.search(r"Error: history shard [12] of 2 \(Historic Process Instance\) failed on Dask worker tcp://",
                         failed.stderr), failed.stderr[-3000:]
        assert "read-only transaction" in failed.stderr and "rerun to continue" in failed.stderr

        with local_cluster() as address:
            two = pair.run("--history", "--dask", address, config=cfg)
            assert two.returncode == 0, two.stderr[-3000:]
            a, b = snapshot(pair.c8(), started), snapshot(create_engine(other), started)
            assert_same_rows(a, b)
            # the summary adds up although the called instances were healed by flow-node tasks
            checked = 0
            for line in two.stdout.splitlines():
                cells = [c.strip().replace(",", "") for c in line.split("│")[1:-1]]
                if len(cells) >= 6 and cells[0].startswith("Historic ") and cells[1].isdigit():
                    read, migrated, skipped, failed, already = map(int, cells[1:6])
                    assert read == migrated + skipped + failed + already, line
                    checked += 1
            assert checked >= 8, two.stdout[-3000:]
            # both shards did work
            found = PER_SHARD.search(two.stdout)
            assert found, two.stdout[-3000:]
            per_shard = [int(x.replace(",", "")) for x in found.group(1).strip().split(", ")]
            assert len(per_shard) == 2 and min(per_shard) > 100, per_shard
            # a rerun on the cluster adds nothing
            again = pair.run("--history", "--dask", address, config=cfg)
            assert again.returncode == 0, again.stderr[-3000:]
            assert snapshot(create_engine(other), started) == b


# ------------------------------------------------------------------------------ flag and keys


def test_dask_flag_parses() -> None:
    assert parse_args(["--history", "--dask", "tcp://10.0.0.5:8786"]).dask == "tcp://10.0.0.5:8786"
    assert parse_args(["--history", "--dask=local:2", "--workers", "1"]).dask == "local:2"
    assert parse_args(["--history"]).dask is None
    assert "--dask ADDRESS" in USAGE


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--runtime", "--dask", "tcp://10.0.0.5:8786"], "--dask can only be used with --history."),
        (["--dask", "local"], "--dask can only be used with --history."),
        (["--history", "--dask", "local:2", "--workers", "2"], "--dask and --workers N > 1 cannot be combined"),
        (["--history", "--dask", "http://10.0.0.5:8786"], "Invalid value for --dask: 'http://10.0.0.5:8786' has an unknown protocol"),
        (["--history", "--dask", "local:0"], "Invalid value for --dask: 'local:0': a local cluster needs at least 1 worker"),
    ],
)
def test_dask_flag_rules(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_args(argv)


def test_dask_flag_outside_history_is_a_usage_error_on_the_command_line() -> None:
    r = run_cli("--runtime", "--dask", "tcp://10.0.0.5:8786")
    assert r.returncode == 1
    assert "Error: --dask can only be used with --history." in r.stderr.splitlines()
    assert "Usage: " in r.stdout


def test_dask_flag_with_configured_workers_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "application.yml"
    cfg.write_text("c7to8:\n  workers: 2\n")
    r = run_cli("--history", "--dask", "local:2", "--config", str(cfg))
    assert r.returncode == 1
    assert "--dask cannot be combined with c7to8.workers > 1" in r.stderr


def test_distributed_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "application.yml"
    cfg.write_text("c7to8:\n  distributed:\n    scheduler: tcp://10.0.0.5:8786\n    shards: 8\n")
    extras = load_config(str(cfg), env={}).extras
    assert (extras.dask_scheduler, extras.dask_shards) == ("tcp://10.0.0.5:8786", 8)
    extras = load_config(str(cfg), env={"C7TO8_DISTRIBUTED_SCHEDULER": "local:3"}).extras
    assert extras.dask_scheduler == "local:3"
    defaults = load_config(str(tmp_path / "application.yml"), env={"C7TO8_DISTRIBUTED_SCHEDULER": ""}).extras
    assert defaults.dask_scheduler is None
    cfg.write_text("c7to8:\n  batch-size: 10\n")
    assert (load_config(str(cfg), env={}).extras.dask_scheduler, load_config(str(cfg), env={}).extras.dask_shards) \
        == (None, 0)


@pytest.mark.parametrize(
    ("yaml", "key", "problem"),
    [
        ("c7to8:\n  distributed:\n    scheduler: 'http://x:1'\n", "c7to8.distributed.scheduler", "unknown protocol"),
        ("c7to8:\n  distributed:\n    scheduler: 'two words'\n", "c7to8.distributed.scheduler",
         "is not a Dask scheduler address"),
        ("c7to8:\n  distributed:\n    shards: -1\n", "c7to8.distributed.shards", "must be at least 0"),
        ("c7to8:\n  workers: 2\n  distributed:\n    scheduler: local\n", "c7to8.distributed.scheduler",
         "cannot be combined with c7to8.workers > 1"),
    ],
)
def test_distributed_keys_are_validated(tmp_path: Path, yaml: str, key: str, problem: str) -> None:
    cfg = tmp_path / "application.yml"
    cfg.write_text(yaml)
    with pytest.raises(ConfigError) as err:
        load_config(str(cfg), env={})
    assert err.value.key == key and problem in str(err.value)
    assert "\n" not in str(err.value)


def test_without_the_distributed_package_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(HistoryError) as err:
        run_distributed(cast(Any, None), "local:1")
    assert str(err.value) == MISSING == "--dask needs the 'distributed' package: pip install 'c7to8[distributed]'"
