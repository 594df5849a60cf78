"""`c7to8 demo`: a real engine-produced Camunda 7 data set -> SQLite -> history migration -> summary.

Needs no server and no Java: the data set was written by the real Camunda 7.24 engine (the
project's harness) and exported with `c7to8.c7.dataset`; it ships inside the package.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from importlib import resources
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL

DATASET = "demo-c7.jsonl.gz"


def dataset_path() -> Path:
    return Path(str(resources.files("c7to8") / "data" / DATASET))


def run_demo(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="c7to8 demo", description=__doc__)
    p.add_argument("--dir", help="folder for the two SQLite files (default: a temporary folder)")
    p.add_argument("--no-progress", action="store_true")
    ns = p.parse_args(argv)

    from .app import App
    from .c7.dataset import import_dataset
    from .config import DataSourceConfig, build_config
    from .logs import setup_logging

    src = dataset_path()
    if not src.is_file():
        print(f"Error: the demo data set {src} is missing from this installation.", file=sys.stderr)
        return 4
    workdir = Path(ns.dir) if ns.dir else Path(tempfile.mkdtemp(prefix="c7to8-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    c7_file, c8_file = workdir / "camunda7.db", workdir / "camunda8.db"
    for f in (c7_file, c8_file):
        f.unlink(missing_ok=True)
    c7_url = URL.create("sqlite", database=str(c7_file))
    c8_url = URL.create("sqlite", database=str(c8_file))

    print(f"c7to8 demo: loading the Camunda 7 data set into {c7_file}")
    eng = create_engine(c7_url)
    counts = import_dataset(src, eng).row_counts
    eng.dispose()
    total = sum(counts.values())
    print(f"  {total} rows in {len(counts)} ACT_* tables "
          f"({counts.get('ACT_HI_PROCINST', 0)} process instances, {counts.get('ACT_HI_VARINST', 0)} variables)")

    config = build_config(
        {
            "camunda.migrator.history.partition-count": 1,
            "camunda.migrator.c7.data-source.jdbc-url": c7_url.render_as_string(),
            "camunda.migrator.c8.data-source.jdbc-url": c8_url.render_as_string(),
            "camunda.migrator.c8.data-source.auto-ddl": True,
            "camunda.migrator.save-skip-reason": True,
            "logging.level.root": "ERROR",
        },
        source="demo",
    )
    assert isinstance(config.c8, DataSourceConfig)
    setup_logging(config)
    print(f"c7to8 demo: migrating history into the Camunda 8 schema in {c8_file}")
    app = App(config, progress=not ns.no_progress)
    try:
        rc = app.history("MIGRATE", [])
    finally:
        app.close()
    print(f"\nDone. Inspect the result with: sqlite3 {c8_file} 'select * from PROCESS_INSTANCE limit 5'")
    return rc
