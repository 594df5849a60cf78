from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from c7to8.c8.schema import column_names
from c7to8.convert import interceptors as ic
from c7to8.convert import process_instance as pi
from c7to8.convert.common import MIGRATION_ORDER, HistoryType
from c7to8.errors import SkipError
from c7to8.plugins import InterceptorSpec

from .helpers import settings

PREFIX = "io.camunda.migration.data.impl.interceptor.history.entity."


def pi_row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ID_": "pi-1",
        "PROC_INST_ID_": "pi-1",
        "BUSINESS_KEY_": "bk",
        "PROC_DEF_KEY_": "invoice",
        "PROC_DEF_ID_": "invoice:1:x",
        "START_TIME_": datetime(2021, 1, 1),
        "END_TIME_": datetime(2021, 1, 2),
        "REMOVAL_TIME_": None,
        "SUPER_PROCESS_INSTANCE_ID_": None,
        "ROOT_PROC_INST_ID_": "pi-1",
        "TENANT_ID_": None,
        "STATE_": "COMPLETED",
        "VERSION_": 1,
    }
    base.update(overrides)
    return base


def pi_ctx(**kw: Any) -> pi.ProcessInstanceContext:
    return pi.ProcessInstanceContext(settings=settings(), process_definition_key=7, **kw)


class TenantSuffix(ic.EntityInterceptor):
    types = frozenset({"HistoricProcessInstance"})
    suffix = "-custom"
    calls = 0

    def execute(self, ctx: ic.EntityInterceptorContext) -> None:
        type(self).calls += 1
        ctx.c8["TENANT_ID"] = f"{ctx.c8['TENANT_ID']}{self.suffix}"
        ctx.tags.update({"tag1", "tag2"})


class Universal(ic.EntityInterceptor):
    seen: list[str] = []

    def execute(self, ctx: ic.EntityInterceptorContext) -> None:
        Universal.seen.append(ctx.entity_type.value)


class Boom(ic.EntityInterceptor):
    def execute(self, ctx: ic.EntityInterceptorContext) -> None:
        raise RuntimeError("boom")


class Rejecting(ic.EntityInterceptor):
    def execute(self, ctx: ic.EntityInterceptorContext) -> None:
        raise ic.EntityInterceptorError("Test exception: rejected")


class Preset(ic.EntityInterceptor):
    types = frozenset({"HISTORY_PROCESS_INSTANCE"})

    def preset_parent_properties(self, ctx: ic.EntityInterceptorContext) -> None:
        ctx.c8["PROCESS_INSTANCE_KEY"] = 88888
        ctx.c8["PROCESS_DEFINITION_KEY"] = 12345

    def execute(self, ctx: ic.EntityInterceptorContext) -> None:
        pass


class NullsFlowNodeId(ic.EntityInterceptor):
    types = frozenset({"HISTORY_FLOW_NODE"})

    def execute(self, ctx: ic.EntityInterceptorContext) -> None:
        ctx.c8["FLOW_NODE_ID"] = None


def spec(name: str, enabled: bool = True, **props: Any) -> InterceptorSpec:
    return InterceptorSpec(name, enabled, props)


def test_builtin_chain_has_official_names_and_order() -> None:
    chain = ic.build_entity_chain()
    assert [type(i).__name__ for i in chain] == [
        "ProcessDefinitionTransformer",
        "ProcessInstanceTransformer",
        "FlowNodeTransformer",
        "UserTaskTransformer",
        "VariableTransformer",
        "IncidentTransformer",
        "DecisionRequirementsDefinitionTransformer",
        "DecisionDefinitionTransformer",
        "DecisionInstanceTransformer",
        "AuditLogTransformer",
        "JobTransformer",
        "ExternalTaskTransformer",
        "FormTransformer",
    ]
    assert all(isinstance(i, ic.BuiltinTransformer) and i.official_name.startswith(PREFIX) for i in chain)
    assert tuple(ic.SPECS) == MIGRATION_ORDER


def test_custom_interceptor_changes_a_field_after_the_builtin() -> None:
    TenantSuffix.calls = 0
    chain = ic.build_entity_chain([spec(f"{__name__}.TenantSuffix", suffix="-x")])
    out = ic.convert_entity("HISTORY_PROCESS_INSTANCE", pi_row(), pi_ctx(), chain)
    assert out.main["TENANT_ID"] == "<default>-x"
    assert TenantSuffix.calls == 1
    assert sorted(r["TAG_VALUE"] for r in out.table("PROCESS_INSTANCE_TAG")) == ["c7-legacy", "tag1", "tag2"]
    # the types filter keeps it away from other entity types
    fn_row = {
        "ID_": "a",
        "PARENT_ACT_INST_ID_": "pi-1",
        "PROC_DEF_KEY_": "invoice",
        "PROC_INST_ID_": "pi-1",
        "ROOT_PROC_INST_ID_": "pi-1",
        "ACT_ID_": "start",
        "ACT_TYPE_": "startEvent",
        "ACT_NAME_": None,
        "START_TIME_": datetime(2021, 1, 1),
        "END_TIME_": datetime(2021, 1, 1),
        "TENANT_ID_": None,
    }
    from c7to8.convert.flow_node import FlowNodeContext

    fctx = FlowNodeContext(
        settings=settings(),
        process_instance_key=1,
        process_definition_key=2,
        root_process_instance_key=1,
        root_partition_id=1,
    )
    assert ic.convert_entity(HistoryType.HISTORY_FLOW_NODE, fn_row, fctx, chain).main["TENANT_ID"] == "<default>"
    assert TenantSuffix.calls == 1


def test_disabled_builtin_stops_running() -> None:
    chain = ic.build_entity_chain(
        [spec(PREFIX + "ProcessInstanceTransformer", enabled=False), spec(f"{__name__}.Universal")]
    )
    assert "ProcessInstanceTransformer" not in [type(i).__name__ for i in chain]
    Universal.seen.clear()
    out = ic.convert_entity("HISTORY_PROCESS_INSTANCE", pi_row(STATE_="WEIRD"), pi_ctx(), chain)
    assert out.main["PROCESS_DEFINITION_ID"] is None  # not set without the built-in
    assert out.main["STATE"] is None
    assert Universal.seen == ["HISTORY_PROCESS_INSTANCE"]
    assert out.table("PROCESS_INSTANCE_TAG") == []  # the built-in provides the c7-legacy tag


def test_builtin_disabled_by_simple_name_too() -> None:
    chain = ic.build_entity_chain([spec("FlowNodeTransformer", enabled=False)])
    assert "FlowNodeTransformer" not in [type(i).__name__ for i in chain]


def test_failing_interceptor_gives_official_skip_text() -> None:
    chain = ic.build_entity_chain([spec(f"{__name__}.Boom")])
    with pytest.raises(SkipError) as err:
        ic.convert_entity("HISTORY_PROCESS_INSTANCE", pi_row(), pi_ctx(), chain)
    assert err.value.reason == "Boom failed for entity type 'HistoricProcessInstanceEntity'"
    chain = ic.build_entity_chain([spec(f"{__name__}.Rejecting")])
    with pytest.raises(SkipError) as err:
        ic.convert_entity("HISTORY_PROCESS_INSTANCE", pi_row(), pi_ctx(), chain)
    assert err.value.reason == "Test exception: rejected"


def test_interceptor_failure_wins_over_dependency_check() -> None:
    chain = ic.build_entity_chain([spec(f"{__name__}.Boom")])
    with pytest.raises(SkipError) as err:
        ic.convert_entity("HISTORY_PROCESS_INSTANCE", pi_row(), pi.ProcessInstanceContext(settings=settings()), chain)
    assert err.value.reason.startswith("Boom failed")


def test_preset_parent_properties_win_over_lookups() -> None:
    chain = ic.build_entity_chain([spec(f"{__name__}.Preset")])
    out = ic.convert_entity("HISTORY_PROCESS_INSTANCE", pi_row(), pi.ProcessInstanceContext(settings=settings()), chain)
    assert (out.main["PROCESS_INSTANCE_KEY"], out.main["PROCESS_DEFINITION_KEY"]) == (88888, 12345)


def test_required_field_nulled_by_interceptor() -> None:
    from c7to8.convert.flow_node import FlowNodeContext

    chain = ic.build_entity_chain([spec(f"{__name__}.NullsFlowNodeId")])
    fn_row = {
        "ID_": "a",
        "PARENT_ACT_INST_ID_": "pi-1",
        "PROC_DEF_KEY_": "invoice",
        "PROC_INST_ID_": "pi-1",
        "ROOT_PROC_INST_ID_": "pi-1",
        "ACT_ID_": "start",
        "ACT_TYPE_": "startEvent",
        "ACT_NAME_": None,
        "START_TIME_": datetime(2021, 1, 1),
        "END_TIME_": datetime(2021, 1, 1),
        "TENANT_ID_": None,
    }
    fctx = FlowNodeContext(
        settings=settings(),
        process_instance_key=1,
        process_definition_key=2,
        root_process_instance_key=1,
        root_partition_id=1,
    )
    with pytest.raises(SkipError) as err:
        ic.convert_entity("HISTORY_FLOW_NODE", fn_row, fctx, chain)
    assert err.value.reason == "Required field [flowNodeId] is null"


def test_declared_columns_exist_in_the_c8_schema() -> None:
    from c7to8.convert import decision_instance as di

    for s in ic.SPECS.values():
        assert set(s.columns) <= set(column_names(s.main_table)), s.entity_type
    assert set(di.INPUT_COLUMNS) <= set(column_names("DECISION_INSTANCE_INPUT"))
    assert set(di.OUTPUT_COLUMNS) <= set(column_names("DECISION_INSTANCE_OUTPUT"))
    assert set(pi.VARIABLE_COLUMNS) == set(column_names("VARIABLE"))


def test_spec_descriptions() -> None:
    s = ic.spec_for("HISTORY_PROCESS_INSTANCE")
    assert (s.c7_table, s.c7_id_column, s.c8_key_column, s.create_time_column) == (
        "ACT_HI_PROCINST",
        "ID_",
        "PROCESS_INSTANCE_KEY",
        "START_TIME_",
    )
    assert s.needs[0] == "process_definition"
    assert ic.spec_for(HistoryType.HISTORY_JOB).c7_id_column == "JOB_ID_"
    assert ic.spec_for(HistoryType.HISTORY_AUDIT_LOG).c7_id_column == "OPERATION_ID_"
