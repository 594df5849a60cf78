"""History of a Camunda 7 engine with UUID ids (`StrongUuidGenerator`, the default of Camunda Run and of
the Spring Boot starter) instead of the database id blocks: every scenario plus `zoo`, played by the real
engine. Every row is accounted for, and both lanes (the set-based one with two workers) write the same rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.history_support import assert_accounted_for, history_pair, rows
from tests.support.c8_snapshot import reference_and_second_target, set_based_matches_reference

SCENARIOS = "all,zoo"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_uuid_ids_on_postgresql_every_row_accounted_for_and_lanes_agree(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path, scenarios=SCENARIOS, id_generator="uuid") as pair, \
            reference_and_second_target(pair, "c8uu", reference={"c7to8.set-based": False}) as target:
        c7 = pair.c7()
        ids = [r["ID_"] for r in rows(c7, "SELECT ID_ FROM ACT_HI_PROCINST")]
        assert len(ids) > 50 and all(UUID.fullmatch(i) for i in ids)
        tracked = assert_accounted_for(c7, pair.c8())
        migrated = {t: sum(1 for key, _ in by_id.values() if key is not None) for t, by_id in tracked.items()}
        for t in ("HISTORY_PROCESS_INSTANCE", "HISTORY_FLOW_NODE", "HISTORY_USER_TASK", "HISTORY_VARIABLE",
                  "HISTORY_INCIDENT", "HISTORY_JOB", "HISTORY_AUDIT_LOG"):
            assert migrated.get(t, 0) > 0, (t, migrated)
        second = set_based_matches_reference(pair, target, at_least=300)
        assert_accounted_for(c7, second)


def test_uuid_ids_on_mariadb_every_row_accounted_for(tmp_path: Path) -> None:
    with history_pair("mariadb", tmp_path, scenarios=SCENARIOS, id_generator="uuid") as pair:
        run = pair.run("--history", "--workers", "2")
        assert run.returncode == 0, run.stderr[-3000:]
        tracked = assert_accounted_for(pair.c7(), pair.c8())
        assert sum(1 for key, _ in tracked["HISTORY_PROCESS_INSTANCE"].values() if key is not None) > 50
