from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from c7to8.convert import decision_instance as di
from c7to8.convert.common import parse_dmn, partition_for
from c7to8.errors import SkipError

from .helpers import K, settings
from .test_common import DMN

PI_KEY, PD_KEY, ROOT_KEY, FNI_KEY, DD_KEY, DRD_KEY = 300, 249, 299, 310, 400, 500
DECISIONS = parse_dmn(DMN).decisions


def value_text(c7: Mapping[str, Any]) -> str:
    """Stand-in for c7to8.variables: history value text of an ACT_HI_DEC_IN/OUT row."""
    if c7.get("VAR_TYPE_") == "bytes":
        raise SkipError("Variable of type 'byte[]' is unsupported in C8.")
    if c7.get("VAR_TYPE_") == "integer":
        return str(c7["LONG_"])
    return json.dumps(c7["TEXT_"])


def row(**overrides: Any) -> dict[str, Any]:
    """A root ACT_HI_DECINST row (business rule task evaluating the Dish decision)."""
    base: dict[str, Any] = {
        "ID_": "decinst-1",
        "DEC_DEF_ID_": "Dish:1:dd-1",
        "DEC_DEF_KEY_": "Dish",
        "DEC_DEF_NAME_": "Dish",
        "PROC_DEF_KEY_": "dishProcess",
        "PROC_DEF_ID_": "dishProcess:1:pd-1",
        "PROC_INST_ID_": "pi-1",
        "CASE_DEF_KEY_": None,
        "CASE_DEF_ID_": None,
        "CASE_INST_ID_": None,
        "ACT_INST_ID_": "ruleTask:act-1",
        "ACT_ID_": "ruleTask",
        "EVAL_TIME_": datetime(2025, 8, 31, 9, 0, 0),
        "REMOVAL_TIME_": None,
        "COLLECT_VALUE_": None,
        "USER_ID_": None,
        "ROOT_DEC_INST_ID_": None,
        "ROOT_PROC_INST_ID_": "root-1",
        "DEC_REQ_ID_": "dish:1:drd-1",
        "DEC_REQ_KEY_": "dish",
        "TENANT_ID_": None,
    }
    base.update(overrides)
    return base


def dec_in(id_: str, clause: str, text: str) -> dict[str, Any]:
    return {
        "ID_": id_,
        "DEC_INST_ID_": "decinst-1",
        "CLAUSE_ID_": clause,
        "CLAUSE_NAME_": clause,
        "VAR_TYPE_": "string",
        "TEXT_": text,
        "LONG_": None,
    }


def dec_out(id_: str, clause: str, rule: str | None, text: str, order: int = 1) -> dict[str, Any]:
    return {
        "ID_": id_,
        "DEC_INST_ID_": "decinst-1",
        "CLAUSE_ID_": clause,
        "CLAUSE_NAME_": clause,
        "RULE_ID_": rule,
        "RULE_ORDER_": order,
        "VAR_NAME_": clause,
        "VAR_TYPE_": "string",
        "TEXT_": text,
        "LONG_": None,
    }


def ctx(**overrides: Any) -> di.DecisionInstanceContext:
    base = di.DecisionInstanceContext(
        settings=settings(),
        decision_definition_key=DD_KEY,
        decision_requirements_key=DRD_KEY,
        decision_requirements_id="c7-legacy-dish",
        process_definition_key=PD_KEY,
        process_instance_key=PI_KEY,
        root_process_instance_key=ROOT_KEY,
        root_partition_id=2,
        flow_node_instance_key=FNI_KEY,
        flow_node_id="ruleTask",
        dmn=DECISIONS,
        inputs=[dec_in("in-1", "season", "Winter")],
        outputs=[dec_out("out-1", "dish", "r2", "Salad")],
        value_string=value_text,
    )
    return replace(base, **overrides)


def test_process_decision_instance_every_column() -> None:
    out = di.convert(row(), ctx())
    key = K + 1
    assert (out.c7_id, out.c8_key) == ("decinst-1", str(key))
    assert out.main == {
        "DECISION_INSTANCE_ID": f"{key}-1",
        "DECISION_INSTANCE_KEY": key,
        "PROCESS_INSTANCE_KEY": PI_KEY,
        "ROOT_PROCESS_INSTANCE_KEY": ROOT_KEY,
        "PROCESS_DEFINITION_KEY": PD_KEY,
        "PROCESS_DEFINITION_ID": "c7-legacy-dishProcess",
        "DECISION_DEFINITION_KEY": DD_KEY,
        "DECISION_DEFINITION_ID": "c7-legacy-Dish",
        "DECISION_REQUIREMENTS_KEY": DRD_KEY,
        "DECISION_REQUIREMENTS_ID": "c7-legacy-dish",
        "FLOW_NODE_INSTANCE_KEY": FNI_KEY,
        "FLOW_NODE_ID": "ruleTask",
        "ROOT_DECISION_DEFINITION_KEY": DD_KEY,
        "TYPE": "DECISION_TABLE",
        "STATE": "EVALUATED",
        "EVALUATION_DATE": datetime(2025, 8, 31, 9, tzinfo=UTC),
        "RESULT": '"Salad"',
        "EVALUATION_FAILURE": None,
        "EVALUATION_FAILURE_MESSAGE": None,
        "TENANT_ID": "<default>",
        "PARTITION_ID": 2,
        "HISTORY_CLEANUP_DATE": datetime(2026, 2, 28, 9, tzinfo=UTC),
        "FULL_RESULT": None,
    }
    assert out.table("DECISION_INSTANCE_INPUT") == [
        {
            "DECISION_INSTANCE_ID": f"{key}-1",
            "INPUT_ID": "in-1",
            "INPUT_NAME": "season",
            "INPUT_VALUE": '"Winter"',
            "FULL_INPUT_VALUE": None,
        }
    ]
    assert out.table("DECISION_INSTANCE_OUTPUT") == [
        {
            "DECISION_INSTANCE_ID": f"{key}-1",
            "OUTPUT_ID": "out-1",
            "OUTPUT_NAME": "dish",
            "OUTPUT_VALUE": '"Salad"',
            "RULE_ID": "r2",
            "RULE_INDEX": 2,
            "FULL_OUTPUT_VALUE": None,
        }
    ]


def test_standalone_decision_with_children_and_ids() -> None:
    children = [
        di.ChildDecision(
            row(
                ID_="child-a",
                DEC_DEF_ID_="Season:1:dd-2",
                DEC_DEF_KEY_="Season",
                ROOT_DEC_INST_ID_="decinst-1",
                PROC_DEF_KEY_=None,
                PROC_DEF_ID_=None,
                PROC_INST_ID_=None,
                ACT_INST_ID_=None,
                ROOT_PROC_INST_ID_=None,
            ),
            inputs=[],
            outputs=[dec_out("out-a", "season", None, "Winter")],
            decision_definition_key=401,
        ),
        di.ChildDecision(
            row(
                ID_="child-b",
                DEC_DEF_ID_="GuestCount:1:dd-3",
                DEC_DEF_KEY_="c7-legacy-GuestCount",
                ROOT_DEC_INST_ID_="decinst-1",
                PROC_DEF_KEY_=None,
            ),
            outputs=[{**dec_out("out-b", "guestCount", "unknown-rule", "", 1), "VAR_TYPE_": "integer", "LONG_": 5}],
            decision_definition_key=402,
        ),
    ]
    root = row(
        PROC_DEF_KEY_=None,
        PROC_DEF_ID_=None,
        PROC_INST_ID_=None,
        ACT_INST_ID_=None,
        ROOT_PROC_INST_ID_=None,
        DEC_REQ_ID_=None,
        DEC_REQ_KEY_=None,
        TENANT_ID_="aTenantId",
    )
    out = di.convert(
        root,
        ctx(
            children=children,
            process_definition_key=None,
            process_instance_key=None,
            root_process_instance_key=None,
            flow_node_instance_key=None,
            flow_node_id=None,
        ),
    )
    key = K + 1
    instances = out.table("DECISION_INSTANCE")
    assert [i["DECISION_INSTANCE_ID"] for i in instances] == [f"{key}-2", f"{key}-3", f"{key}-1"]
    assert {i["DECISION_INSTANCE_KEY"] for i in instances} == {key}
    assert [i["DECISION_DEFINITION_KEY"] for i in instances] == [401, 402, DD_KEY]
    assert [i["TYPE"] for i in instances] == ["LITERAL_EXPRESSION", "DECISION_TABLE", "DECISION_TABLE"]
    part = partition_for(settings(), "decinst-1")
    for inst in instances:
        assert inst["PARTITION_ID"] == part
        assert inst["ROOT_DECISION_DEFINITION_KEY"] == DD_KEY
        assert inst["PROCESS_INSTANCE_KEY"] is None and inst["PROCESS_DEFINITION_ID"] is None
        assert inst["HISTORY_CLEANUP_DATE"] == datetime(2026, 2, 28, 9, tzinfo=UTC)
        # standalone: the synthetic DRD id of the definition instead of the official NULL
        assert inst["DECISION_REQUIREMENTS_ID"] == "c7-legacy-dish"
    assert out.main["DECISION_INSTANCE_ID"] == f"{key}-1"
    assert out.main["TENANT_ID"] == "aTenantId"
    outputs = out.table("DECISION_INSTANCE_OUTPUT")
    assert [(o["DECISION_INSTANCE_ID"], o["OUTPUT_VALUE"], o["RULE_INDEX"]) for o in outputs] == [
        (f"{key}-2", '"Winter"', 1),
        (f"{key}-3", "5", 1),
        (f"{key}-1", '"Salad"', 2),
    ]
    tables = [t for t, _ in out.rows]
    assert tables == [
        "DECISION_INSTANCE",
        "DECISION_INSTANCE_OUTPUT",
        "DECISION_INSTANCE",
        "DECISION_INSTANCE_OUTPUT",
        "DECISION_INSTANCE",
        "DECISION_INSTANCE_INPUT",
        "DECISION_INSTANCE_OUTPUT",
    ]


@pytest.mark.parametrize(
    ("collect", "outputs", "result"),
    [
        (3.0, [], "3"),
        (3.5, [], "3.5"),
        (None, [], "null"),
        (None, ['"A"'], '"A"'),
        (None, ["true"], "true"),
        (None, ['{"a": 1}'], '{"a":1}'),
        (None, ["1", '"not B"', "true"], '[1,"not B",true]'),
        (None, ['"firstRule"', '"secondRule"'], '["firstRule","secondRule"]'),
        (None, ['"B" trailing'], '"B"'),
        (None, ["1.0E7"], "1.0E7"),
    ],
)
def test_result_json(collect: float | None, outputs: list[str], result: str) -> None:
    assert di.decision_result(collect, outputs) == result


def test_result_cut_with_full_value_when_column_size_known() -> None:
    long_text = "x" * 50
    out = di.convert(
        row(), ctx(settings=settings(char_column_size=10), outputs=[dec_out("o", "dish", "r1", long_text)])
    )
    assert out.main["RESULT"] == json.dumps(long_text)[:10]
    assert out.main["FULL_RESULT"] == json.dumps(long_text)
    o = out.table("DECISION_INSTANCE_OUTPUT")[0]
    assert (o["OUTPUT_VALUE"], o["FULL_OUTPUT_VALUE"]) == (json.dumps(long_text)[:10], json.dumps(long_text))


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        ({}, {"decision_definition_key": None}, "Missing decision definition"),
        ({}, {"process_definition_key": None}, "Missing process definition"),
        ({}, {"process_instance_key": None}, "Missing process instance"),
        ({}, {"root_process_instance_key": None}, "Missing root process instance"),
        ({}, {"flow_node_instance_key": None}, "Missing flow node"),
        (
            {},
            {"outputs": [dec_out("o", "dish", "r1", "x")], "value_string": lambda _r: "not json"},
            "Failed to construct result JSON from outputs",
        ),
        (
            {},
            {"outputs": [{**dec_out("o", "d", "r1", "x"), "VAR_TYPE_": "bytes"}]},
            "Variable of type 'byte[]' is unsupported in C8.",
        ),
        (
            {},
            {"children": [di.ChildDecision(row(ID_="c"), decision_definition_key=None)]},
            "Missing decision definition",
        ),
    ],
)
def test_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        di.convert(row(**overrides), ctx(**context))
    assert err.value.reason == reason
