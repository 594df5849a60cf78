"""Interceptors configured in application.yml change what the real CLI writes; disabled built-ins stop."""

from __future__ import annotations

import json
from pathlib import Path

from c7to8.config import build_config
from c7to8.variables import C7Variable, VariableConverter
from c7to8.variables.interceptors import build_variable_interceptors
from c7to8.variables.model import VariableSettings
from tests.history_support import history_pair, mapping, rows


def test_custom_interceptors_and_disabled_builtin_in_history(tmp_path: Path) -> None:
    with history_pair("postgresql", tmp_path) as pair:
        cfg = pair.workdir / "application.yml"
        cfg.write_text(pair.config().read_text() + """
camunda:
  migrator:
    interceptors:
      - class-name: tests.sample_plugins.ShoutingAssignee
        properties: {suffix: "!"}
      - class-name: tests.sample_plugins.TaggedStrings
        properties: {prefix: "c7:"}
      - class-name: io.camunda.migration.data.impl.interceptor.history.entity.IncidentTransformer
        enabled: false
""")
        root = str(Path(__file__).resolve().parents[1])
        r = pair.run("--history", config=cfg, env={"C7TO8_PLUGIN_PATH": root})
        assert r.returncode == 0, r.stderr[-3000:]
        c7, c8 = pair.c7(), pair.c8()
        # entity interceptor: after the built-in transformer, with its configured property
        assignees = {r["ASSIGNEE"] for r in rows(c8, "SELECT ASSIGNEE FROM USER_TASK WHERE ASSIGNEE IS NOT NULL")}
        assert assignees and all(a.endswith("!") and a[:-1] == a[:-1].upper() for a in assignees)
        # variable interceptor: string values carry the prefix
        keys = mapping(c8, "HISTORY_VARIABLE", migrated=True)
        src = rows(c7, "SELECT ID_, TEXT_ FROM ACT_HI_VARINST WHERE VAR_TYPE_ = 'string' AND TEXT_ IS NOT NULL "
                       "ORDER BY ID_ LIMIT 5")
        for s in src:
            v = rows(c8, "SELECT VAR_VALUE, VAR_FULL_VALUE FROM VARIABLE WHERE VAR_KEY = :k", k=int(keys[s["ID_"]]))[0]
            assert json.loads(v["VAR_FULL_VALUE"] or v["VAR_VALUE"]) == "c7:" + s["TEXT_"]
        # the disabled built-in incident transformer really did not run: what only it sets stays empty
        incidents = rows(c8, "SELECT STATE, ERROR_MESSAGE, FLOW_NODE_ID FROM INCIDENT")
        assert incidents
        assert all(r["STATE"] is None and r["ERROR_MESSAGE"] is None and r["FLOW_NODE_ID"] is None for r in incidents)


def test_variable_interceptor_from_yaml_applies_in_runtime_mode_too(tmp_path: Path) -> None:
    config = build_config({"camunda.migrator.interceptors": [
        {"class-name": "tests.sample_plugins.TaggedStrings", "properties": {"prefix": "rt:"}}]})
    conv = VariableConverter(VariableSettings.from_config(config), build_variable_interceptors(config.interceptors))
    value = conv.to_runtime(C7Variable(name="x", type_name="string", text="hello"))
    assert getattr(value, "value", None) == "rt:hello"
