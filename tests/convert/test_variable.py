from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from c7to8.convert import variable as var
from c7to8.errors import SkipError

from .helpers import K, settings

PI_KEY, ROOT_KEY, SCOPE_KEY = 2251799813685300, 2251799813685299, 2251799813685310


def row(**overrides: Any) -> dict[str, Any]:
    """An ACT_HI_VARINST row as Camunda 7.24 writes it (a string variable)."""
    base: dict[str, Any] = {
        "ID_": "var-1",
        "PROC_DEF_KEY_": "invoice",
        "PROC_DEF_ID_": "invoice:1:pd-1",
        "ROOT_PROC_INST_ID_": "root-1",
        "PROC_INST_ID_": "pi-1",
        "EXECUTION_ID_": "pi-1",
        "ACT_INST_ID_": "pi-1",
        "CASE_DEF_KEY_": None,
        "CASE_DEF_ID_": None,
        "CASE_INST_ID_": None,
        "CASE_EXECUTION_ID_": None,
        "TASK_ID_": None,
        "NAME_": "amount",
        "VAR_TYPE_": "string",
        "CREATE_TIME_": datetime(2021, 1, 1, 10, 0, 0),
        "REV_": 1,
        "BYTEARRAY_ID_": None,
        "DOUBLE_": None,
        "LONG_": None,
        "TEXT_": "myStringVar",
        "TEXT2_": None,
        "TENANT_ID_": None,
        "STATE_": "CREATED",
        "REMOVAL_TIME_": None,
    }
    base.update(overrides)
    return base


def fake_values(c7: Mapping[str, Any]) -> Mapping[str, Any]:
    """Stand-in for c7to8.variables (history flavour)."""
    if c7["VAR_TYPE_"] == "bytes":
        raise SkipError("Variable of type 'byte[]' is unsupported in C8.")
    if c7["VAR_TYPE_"] == "long":
        return {"TYPE": "LONG", "VAR_VALUE": str(c7["LONG_"]), "LONG_VALUE": c7["LONG_"]}
    return {
        "TYPE": "STRING",
        "VAR_VALUE": f'"{c7["TEXT_"]}"',
        "VAR_FULL_VALUE": None,
        "LONG_VALUE": None,
        "DOUBLE_VALUE": None,
        "IS_PREVIEW": False,
    }


def ctx(**overrides: Any) -> var.VariableContext:
    base = var.VariableContext(
        settings=settings(),
        process_instance_key=PI_KEY,
        root_process_instance_key=ROOT_KEY,
        root_partition_id=3,
        scope_key=PI_KEY,
        value_columns=fake_values,
    )
    return replace(base, **overrides)


def test_process_variable_every_column() -> None:
    out = var.convert(row(), ctx())
    assert out.c8_key == str(K + 1)
    assert out.rows == [
        (
            "VARIABLE",
            {
                "VAR_KEY": K + 1,
                "PROCESS_INSTANCE_KEY": PI_KEY,
                "ROOT_PROCESS_INSTANCE_KEY": ROOT_KEY,
                "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
                "SCOPE_KEY": PI_KEY,
                "TYPE": "STRING",
                "VAR_NAME": "amount",
                "DOUBLE_VALUE": None,
                "LONG_VALUE": None,
                "VAR_VALUE": '"myStringVar"',
                "VAR_FULL_VALUE": None,
                "TENANT_ID": "<default>",
                "IS_PREVIEW": False,
                "PARTITION_ID": 3,
                "ELEMENT_INSTANCE_KEY": PI_KEY,
            },
        )
    ]


def test_local_variable_scope_tenant_and_value_defaults() -> None:
    out = var.convert(
        row(ACT_INST_ID_="task:1", TASK_ID_="t1", TENANT_ID_="tenantA", VAR_TYPE_="long", LONG_=42),
        ctx(scope_key=SCOPE_KEY),
    )
    main = out.main
    assert (main["SCOPE_KEY"], main["ELEMENT_INSTANCE_KEY"]) == (SCOPE_KEY, SCOPE_KEY)
    assert main["TENANT_ID"] == "tenantA"
    assert (main["TYPE"], main["VAR_VALUE"], main["LONG_VALUE"], main["IS_PREVIEW"]) == ("LONG", "42", 42, False)


@pytest.mark.parametrize(
    ("overrides", "context", "reason"),
    [
        ({"CASE_INST_ID_": "case-1", "PROC_INST_ID_": None}, {}, "C7 CMMN variables not supported in C8."),
        ({}, {"process_instance_key": None}, "Missing process instance"),
        ({"PROC_INST_ID_": None}, {}, "Missing process instance"),
        ({"TASK_ID_": "t1"}, {"scope_key": None}, "Belongs to a skipped task"),
        ({}, {"scope_key": None}, "Missing scope key"),
        ({}, {"root_process_instance_key": None}, "Missing root process instance"),
        ({"VAR_TYPE_": "bytes"}, {}, "Variable of type 'byte[]' is unsupported in C8."),
        ({}, {"value_columns": None}, "VariableTransformer failed for entity type 'HistoricVariableInstanceEntity'"),
    ],
)
def test_skip_reasons(overrides: dict[str, Any], context: dict[str, Any], reason: str) -> None:
    with pytest.raises(SkipError) as err:
        var.convert(row(**overrides), ctx(**context))
    assert err.value.reason == reason
