"""`c7to8 demo`: the embedded default, on the shipped engine-produced data set, into SQLite."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from c7to8.demo import dataset_path


def test_demo_runs_real_migration_into_sqlite(tmp_path: Path) -> None:
    assert dataset_path().is_file() and dataset_path().stat().st_size > 50_000
    r = subprocess.run([sys.executable, "-m", "c7to8.cli", "demo", "--dir", str(tmp_path), "--no-progress"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Historic Process Instance" in r.stdout and "total" in r.stdout
    c7 = sqlite3.connect(tmp_path / "camunda7.db")
    c8 = sqlite3.connect(tmp_path / "camunda8.db")
    n_pi = c7.execute("SELECT COUNT(*) FROM ACT_HI_PROCINST").fetchone()[0]
    assert n_pi > 100
    assert c8.execute("SELECT COUNT(*) FROM PROCESS_INSTANCE").fetchone()[0] == n_pi
    assert c8.execute("SELECT COUNT(*) FROM MIGRATION_MAPPING WHERE TYPE = 'HISTORY_PROCESS_INSTANCE' "
                      "AND C8_KEY IS NOT NULL").fetchone()[0] == n_pi
    states = dict(c8.execute("SELECT STATE, COUNT(*) FROM PROCESS_INSTANCE GROUP BY STATE").fetchall())
    assert set(states) == {"COMPLETED", "CANCELED"}
    n_vars = c7.execute("SELECT COUNT(*) FROM ACT_HI_VARINST").fetchone()[0]
    tracked = c8.execute("SELECT COUNT(*) FROM MIGRATION_MAPPING WHERE TYPE = 'HISTORY_VARIABLE'").fetchone()[0]
    assert tracked == n_vars
