"""History migration of Camunda 7 databases kept at a history level below `full`.

The engine's own default level is `audit`: its history has instances, activities, tasks and variables,
but no incidents, job logs, decision evaluations, operation log or identity links. `activity` keeps no
variables either. Both are common in production. The real Camunda 7.24 engine plays every scenario at
that level; the migration must account for every row there is, write the same rows in both lanes, and
treat the missing kinds of history as simply absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.history_support import assert_accounted_for, history_pair, rows, scalar, skip_reasons
from tests.support.c8_snapshot import reference_and_second_target, set_based_matches_reference

SCENARIOS = "all,zoo"
#: ACT_GE_PROPERTY historyLevel of each level
LEVEL_IDS = {"activity": 1, "audit": 2}
#: C7 history tables only `full` writes
FULL_ONLY = ("ACT_HI_INCIDENT", "ACT_HI_JOB_LOG", "ACT_HI_OP_LOG", "ACT_HI_DECINST", "ACT_HI_IDENTITYLINK",
             "ACT_HI_EXT_TASK_LOG")


@pytest.mark.parametrize("level", ["audit", "activity"])
def test_lower_history_level_every_row_accounted_for_and_lanes_agree(level: str, tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path, scenarios=SCENARIOS, history_level=level) as pair, \
            reference_and_second_target(pair, "c8lv", reference={"c7to8.set-based": False}) as target:
        c7, c8 = pair.c7(), pair.c8()
        assert pair.summary["historyLevel"] == level
        assert int(scalar(c7, "SELECT VALUE_ FROM ACT_GE_PROPERTY WHERE NAME_ = 'historyLevel'")) == LEVEL_IDS[level]
        for table in FULL_ONLY + (("ACT_HI_VARINST",) if level == "activity" else ()):
            assert scalar(c7, f"SELECT count(*) FROM {table}") == 0, table
        if level == "audit":  # (at `activity` the loop above found none)
            assert scalar(c7, "SELECT count(*) FROM ACT_HI_VARINST") > 100

        tracked = assert_accounted_for(c7, c8)
        # the kept history arrives: every instance, activity and task but what Camunda 8 has no place for
        reasons = {t: {reason for _, reason in by_id.values() if reason is not None} for t, by_id in tracked.items()}
        assert reasons.get("HISTORY_PROCESS_INSTANCE", set()) <= {"Missing process definition"}, reasons
        assert reasons.get("HISTORY_FLOW_NODE", set()) <= {"Missing process instance"}, reasons
        assert reasons.get("HISTORY_USER_TASK", set()) <= {
            "Missing process instance", "C7 standalone user tasks not supported in C8.",
            "C7 CMMN user tasks not supported in C8."}, reasons
        migrated = {t: sum(1 for key, _ in by_id.values() if key is not None) for t, by_id in tracked.items()}
        assert migrated["HISTORY_PROCESS_INSTANCE"] > 50 and migrated["HISTORY_FLOW_NODE"] > 300, migrated
        assert migrated["HISTORY_USER_TASK"] > 20, migrated
        assert scalar(c8, "SELECT count(*) FROM PROCESS_INSTANCE") == migrated["HISTORY_PROCESS_INSTANCE"]
        assert scalar(c8, "SELECT count(*) FROM FLOW_NODE_INSTANCE") == migrated["HISTORY_FLOW_NODE"]
        # no identity links in history: no candidates, but the tasks themselves are there
        assert scalar(c8, "SELECT count(*) FROM CANDIDATE_GROUP") == 0
        assert scalar(c8, "SELECT count(*) FROM USER_TASK") == migrated["HISTORY_USER_TASK"]
        # each migrated instance carries its legacy id variable; the C7 variables come on top (audit only)
        variables = scalar(c8, "SELECT count(*) FROM VARIABLE")
        assert variables == migrated["HISTORY_PROCESS_INSTANCE"] + migrated.get("HISTORY_VARIABLE", 0)
        assert (migrated.get("HISTORY_VARIABLE", 0) > 100) is (level == "audit"), migrated
        for table in ("INCIDENT", "JOB", "DECISION_INSTANCE", "AUDIT_LOG"):
            assert scalar(c8, f"SELECT count(*) FROM {table}") == 0, table
        ended = rows(c8, "SELECT count(*) AS n FROM PROCESS_INSTANCE WHERE STATE = 'COMPLETED'")[0]["N"]
        assert ended > 0

        # the set-based lane, two workers, tiny chunks: the same rows
        second = set_based_matches_reference(pair, target, at_least=300)
        assert skip_reasons(assert_accounted_for(c7, second)) == skip_reasons(tracked)


def test_audit_level_on_mariadb_every_row_accounted_for(tmp_path: Path) -> None:
    with history_pair("mariadb", tmp_path, scenarios=SCENARIOS, history_level="audit") as pair:
        c7 = pair.c7()
        assert pair.summary["historyLevel"] == "audit"
        assert scalar(c7, "SELECT count(*) FROM ACT_HI_OP_LOG") == 0
        run = pair.run("--history")
        assert run.returncode == 0, run.stderr[-3000:]
        tracked = assert_accounted_for(c7, pair.c8())
        migrated = {t: sum(1 for key, _ in by_id.values() if key is not None) for t, by_id in tracked.items()}
        assert migrated["HISTORY_PROCESS_INSTANCE"] > 50 and migrated["HISTORY_VARIABLE"] > 100, migrated
        assert scalar(pair.c8(), "SELECT count(*) FROM FLOW_NODE_INSTANCE") == migrated["HISTORY_FLOW_NODE"]
