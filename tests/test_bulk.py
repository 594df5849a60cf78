"""The set-based lane (c7to8.bulk) writes exactly the rows of the row-by-row pipeline.

The reference is a run with `c7to8.set-based: false` over the harness's whole reference data
(every scenario the real Camunda 7 engine played); the run under test converts flow nodes and
variables inside PostgreSQL and leaves the rest to the pipeline. Keys aside, every C8 table and
every tracking row (skip reasons included) must be the same, in UTC and in a zone with daylight
saving time, with one worker and with two, and a rerun must add nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.history_support import history_pair, rows
from tests.support.c8_snapshot import assert_same_rows, reference_and_second_target, snapshot

LANE = re.compile(r"converted set-based inside PostgreSQL \(of the migrated rows\):\n((?:  .+: [\d,]+ of [\d,]+\n)+)")
COUNTS = re.compile(r"  (.+): ([\d,]+) of ([\d,]+)")
PI_SKIPS = re.compile(r"Historic Process Instance: \d+ converted set-based, [1-9]\d* skips recorded set-based")
JOB_SKIPS = re.compile(r"Historic Job: \d+ converted set-based, [1-9]\d* skips recorded set-based")
SQL_SKIPS = re.compile(r"Historic Variable: \d+ converted set-based, [1-9]\d* skips recorded set-based")


def _lane_counts(stdout: str) -> dict[str, tuple[int, int]]:
    """'  Historic Flow Node: 12 of 14' lines of the end-of-run summary -> {type: (set-based, migrated)}."""
    m = LANE.search(stdout)
    assert m is not None, "the summary names no set-based conversion:\n" + stdout[-3000:]
    out = {}
    for line in m.group(1).splitlines():
        c = COUNTS.fullmatch(line)
        assert c is not None, line
        out[c.group(1)] = (int(c.group(2).replace(",", "")), int(c.group(3).replace(",", "")))
    return out


@pytest.mark.parametrize(("zone", "workers", "bench", "reasons", "map_rows"),
                         [("UTC", "1", 0, True, 750_000), ("Europe/Berlin", "2", 0, True, 0),
                          ("UTC", "2", 90, True, 750_000), ("UTC", "1", 90, False, 100)])
def test_set_based_lane_writes_the_rows_of_the_row_by_row_pipeline(tmp_path: Path, zone: str, workers: str,
                                                                   bench: int, reasons: bool, map_rows: int) -> None:
    """`bench`: the harness's bench instances (many alike: Spin JSON and bytes values in every one)
    besides identity data, instead of every scenario. `reasons`: camunda.migrator.save-skip-reason.
    `map_rows`: c7to8.set-based-map-rows; 0: no session maps, 100: full after a few chunks (rows
    found in the maps and rows resolved from the tracking table in one run)."""
    data = {"scenarios": "identity", "instances": bench} if bench else {}
    with history_pair("postgresql", tmp_path, **data) as pair, reference_and_second_target(
            pair, "c8s", reference={"c7to8.set-based": False, "c7to8.time-zone": zone,
                                    "camunda.migrator.save-skip-reason": reasons}) as target:
        config = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url":
                                target.url.render_as_string(hide_password=False),
                                "camunda.migrator.save-skip-reason": reasons,
                                "c7to8.batch-size": 50, "c7to8.time-zone": zone,
                                "c7to8.set-based-chunk": 40, "c7to8.set-based-map-rows": map_rows,
                                "logging.level.root": "INFO"})
        run = pair.run("--history", "--workers", workers, config=config)
        assert run.returncode == 0, run.stderr[-3000:]
        # small chunks: rows wait across chunks. No Camunda 8 REST listens: the document store is
        # found unreachable before the first chunk, so the SQL records the bytes and file values' skips
        assert SQL_SKIPS.search(run.stderr) is not None, run.stderr[-3000:]
        assert "Camunda 8 document store not available" in run.stderr, run.stderr[-3000:]
        # called instances: skipped in SQL until their call activity is there, then migrated in SQL
        assert PI_SKIPS.search(run.stderr) is not None, run.stderr[-3000:]
        # jobs whose activity never started (no flow node): skipped in SQL with the pipeline's reason
        assert JOB_SKIPS.search(run.stderr) is not None, run.stderr[-3000:]
        lane = _lane_counts(run.stdout)
        # the lane did the bulk of each type; what it left went through the pipeline
        assert set(lane) == {"Historic Process Instance", "Historic Flow Node", "Historic User Task",
                             "Historic Variable", "Historic Job", "Historic Decision Instance"}
        for name, (in_sql, migrated) in lane.items():
            # decisions with required decisions or a collect aggregate go row by row (3 of 5 here)
            share = 0.3 if name == "Historic Decision Instance" else 0.5
            assert share * migrated < in_sql <= migrated, (name, in_sql, migrated)
        a, b = snapshot(pair.c8(), target.started), snapshot(create_engine(target.url), target.started)
        assert_same_rows(a, b)
        again = pair.run("--history", config=config)
        assert again.returncode == 0, again.stderr[-3000:]
        assert snapshot(create_engine(target.url), target.started) == b


def test_the_lane_can_be_switched_off(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        run = pair.run("--history", config=pair.config(**{"c7to8.set-based": False}))
        assert run.returncode == 0, run.stderr[-3000:]
        assert LANE.search(run.stdout) is None
        assert "Historic Flow Node" in run.stdout


@pytest.mark.parametrize("ttl", ["P30D", "P6M", "P0D"])
def test_cleanup_ttl_gives_the_same_dates_in_both_lanes(tmp_path: Path, ttl: str) -> None:
    """camunda.migrator.history.auto-cancel.cleanup.ttl: in days (exact in SQL), with months (calendar
    months) and zero: the set-based lane (two workers) writes the cleanup dates of the pipeline."""
    key = "camunda.migrator.history.auto-cancel.cleanup.ttl"
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(
            pair, "c8ttl", reference={"c7to8.set-based": False, key: ttl}) as target:
        config = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url":
                                target.url.render_as_string(hide_password=False),
                                key: ttl, "c7to8.set-based-chunk": 7, "logging.level.root": "INFO"})
        run = pair.run("--history", "--workers", "2", config=config)
        assert run.returncode == 0, run.stderr[-3000:]
        a, b = snapshot(pair.c8(), target.started), snapshot(create_engine(target.url), target.started)
        assert_same_rows(a, b)
        dates = [r for r in a["PROCESS_INSTANCE"] for c, v in r if c == "HISTORY_CLEANUP_DATE" and v != "None"]
        assert dates, "some process instance has a cleanup date"


def test_legacy_id_prefix_in_both_lanes(tmp_path: Path) -> None:
    key = "camunda.migrator.history.legacy-id-prefix"
    with history_pair("postgresql", tmp_path) as pair, reference_and_second_target(
            pair, "c8lp", reference={"c7to8.set-based": False, key: "old-"}) as target:
        config = pair.config(**{"camunda.migrator.c8.data-source.jdbc-url":
                                target.url.render_as_string(hide_password=False),
                                key: "old-", "c7to8.set-based-chunk": 7, "logging.level.root": "INFO"})
        run = pair.run("--history", "--workers", "2", config=config)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "converted set-based" in run.stderr
        second = create_engine(target.url)
        assert_same_rows(snapshot(pair.c8(), target.started), snapshot(second, target.started))
        ids = {r["PROCESS_DEFINITION_ID"] for r in rows(second, "SELECT DISTINCT PROCESS_DEFINITION_ID FROM VARIABLE")}
        assert ids and all(i.startswith("old-") for i in ids), ids
