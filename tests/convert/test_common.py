from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from c7to8.config import Period
from c7to8.convert.common import (
    ConvertSettings,
    add_period,
    cleanup_date,
    decision_key_info,
    flow_node_tree_path,
    incident_tree_path,
    java_double,
    java_json,
    java_string_hash,
    parse_dmn,
    parse_json_prefix,
    partition_for,
    prefixed,
    process_instance_tree_path,
    random_key,
    rewrite_dmn,
    start_form_ref,
    strip_multi_instance,
    tenant,
    to_c8_date,
    user_task_form_ref,
)

from .helpers import BERLIN, settings


def test_tenant_and_prefix() -> None:
    assert tenant(None) == "<default>"
    assert tenant("") == "<default>"
    assert tenant("tenantA") == "tenantA"
    assert prefixed("c7-legacy-", "invoice") == "c7-legacy-invoice"
    assert prefixed("acme-", None) is None
    assert strip_multi_instance("task#multiInstanceBody") == "task"
    assert strip_multi_instance(None) is None


def test_random_key_range() -> None:
    for _ in range(100):
        assert 9221120237041090560 <= random_key() <= 9223372036854775807


def test_dates_read_in_configured_zone_with_ms_precision() -> None:
    naive = datetime(2021, 1, 1, 1, 0, 0, 123456)
    berlin = to_c8_date(naive, BERLIN)
    assert berlin is not None
    assert berlin.utcoffset() == timedelta(hours=1)
    assert berlin.astimezone(UTC) == datetime(2021, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert to_c8_date(naive, UTC) == datetime(2021, 1, 1, 1, 0, 0, 123000, tzinfo=UTC)
    aware = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
    assert to_c8_date(aware, BERLIN) == aware  # same instant, zone changed
    assert to_c8_date("2021-01-01 01:00:00", UTC) == datetime(2021, 1, 1, 1, tzinfo=UTC)
    assert to_c8_date(None, UTC) is None


@pytest.mark.parametrize(
    ("end", "period", "expected"),
    [
        # P6M with end-of-month clamping
        (datetime(2025, 8, 31, 10, 0, tzinfo=UTC), Period(months=6), datetime(2026, 2, 28, 10, 0, tzinfo=UTC)),
        (datetime(2023, 8, 31, 10, 0, tzinfo=UTC), Period(months=6), datetime(2024, 2, 29, 10, 0, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), Period(months=6), datetime(2025, 9, 30, tzinfo=UTC)),
        (datetime(2025, 1, 15, tzinfo=UTC), Period(days=180), datetime(2025, 7, 14, tzinfo=UTC)),
        # months first (clamped), then days — like java.time.Period
        (datetime(2024, 1, 31, tzinfo=UTC), Period(years=1, months=1, days=1), datetime(2025, 3, 1, tzinfo=UTC)),
        (datetime(2025, 11, 30, tzinfo=UTC), Period(months=3), datetime(2026, 2, 28, tzinfo=UTC)),
    ],
)
def test_add_period(end: datetime, period: Period, expected: datetime) -> None:
    assert add_period(end, period) == expected


def test_add_period_keeps_the_offset_across_dst() -> None:
    # OffsetDateTime semantics: the offset of the end date is kept (+01:00 in January)
    end = datetime(2025, 1, 10, 12, 0, tzinfo=BERLIN)
    out = add_period(end, Period(months=6))
    assert out.astimezone(timezone(timedelta(hours=1))).replace(tzinfo=None) == datetime(2025, 7, 10, 12, 0)


def test_cleanup_date_rules() -> None:
    s = settings(ttl=Period(months=6))
    end = datetime(2025, 8, 31, 10, 0, tzinfo=UTC)
    assert cleanup_date(end, None, s) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    removal = datetime(2030, 1, 1, 0, 0)
    assert cleanup_date(end, removal, s) == datetime(2030, 1, 1, tzinfo=UTC)
    # removal time wins even when cleanup is disabled
    assert cleanup_date(end, removal, settings(ttl=None)) == datetime(2030, 1, 1, tzinfo=UTC)
    assert cleanup_date(end, None, settings(ttl=None)) is None
    assert cleanup_date(end, None, settings(ttl=Period())) is None
    assert ConvertSettings().ttl == Period(days=180)


def test_partition_is_stable_and_in_range() -> None:
    s = settings(partitions=(1, 2, 3))
    seen = {partition_for(s, f"pi-{i}") for i in range(200)}
    assert seen == {1, 2, 3}
    assert partition_for(s, "abc") == partition_for(s, "abc")


def test_java_helpers() -> None:
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("") == 0
    assert java_string_hash("C7_NO_MESSAGE") == java_string_hash("C7_NO_MESSAGE")
    assert java_double(3.0) == "3.0"
    assert java_double(3.5) == "3.5"
    assert java_double(0.001) == "0.001"
    assert java_double(1.0e7) == "1.0E7"
    assert java_double(1.0e-4) == "1.0E-4"
    assert java_double(123456789.0) == "1.23456789E8"
    assert java_double(-2.5e-5) == "-2.5E-5"
    assert java_double(float("nan")) == "NaN"
    assert java_json([1, "not B", True, None, 1.5, {"a": 1}]) == '[1,"not B",true,null,1.5,{"a":1}]'
    assert parse_json_prefix('"B"xyz') == "B"
    assert parse_json_prefix("42 trailing") == 42


def test_tree_paths_cover_every_level() -> None:
    root = process_instance_tree_path(10, is_root=True)
    child = process_instance_tree_path(20, is_root=False, parent_tree_path=root, root_key=10)
    grandchild = process_instance_tree_path(30, is_root=False, parent_tree_path=child, root_key=10)
    assert (root, child, grandchild) == ("PI_10", "PI_10/PI_20", "PI_10/PI_20/PI_30")
    assert process_instance_tree_path(30, is_root=False, root_key=10) == "PI_10/PI_30"
    assert flow_node_tree_path(10, 11) == "10/11"
    assert incident_tree_path(10, 11) == "PI_10/FNI_11"
    assert incident_tree_path(10, None) == "PI_10"


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
    xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="dish" name="Dish" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="Dish" name="Dish">
    <informationRequirement id="ir1"><requiredDecision href="#Season" /></informationRequirement>
    <informationRequirement id="ir2"><requiredDecision href="#c7-legacy-GuestCount" /></informationRequirement>
    <decisionTable id="dt1" hitPolicy="UNIQUE">
      <input id="in1"><inputExpression typeRef="string"><text>season</text></inputExpression></input>
      <output id="out1" name="dish" typeRef="string" />
      <rule id="r1"><inputEntry id="e1"><text>"Winter"</text></inputEntry><outputEntry id="o1"><text>"Roastbeef"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>"Summer"</text></inputEntry><outputEntry id="o2"><text>"Salad"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="Season" name="Season"><literalExpression id="le1"><text>"Winter"</text></literalExpression></decision>
  <decision id="c7-legacy-GuestCount" name="Guest Count"><decisionTable id="dt3"><output id="o3" typeRef="integer" /></decisionTable></decision>
  <inputData id="temperature" name="Temperature" />
  <dmndi:DMNDI><dmndi:DMNDiagram id="d1">
    <dmndi:DMNShape id="s1" dmnElementRef="Dish"><dc:Bounds height="80" width="180" x="150" y="80" /></dmndi:DMNShape>
    <dmndi:DMNShape id="s2" dmnElementRef="temperature"><dc:Bounds height="45" width="125" x="150" y="300" /></dmndi:DMNShape>
    <dmndi:DMNEdge id="e1" dmnElementRef="ir1" />
  </dmndi:DMNDiagram></dmndi:DMNDI>
</definitions>
"""


def test_rewrite_dmn_prefixes_decisions_hrefs_and_shapes_only() -> None:
    out = rewrite_dmn(DMN, "c7-legacy-")
    assert '<decision id="c7-legacy-Dish" name="Dish">' in out
    assert '<decision id="c7-legacy-Season" name="Season">' in out
    assert '<decision id="c7-legacy-GuestCount"' in out  # not prefixed twice
    assert 'href="#c7-legacy-Season"' in out
    assert 'href="#c7-legacy-GuestCount"' in out
    assert 'dmnElementRef="c7-legacy-Dish"' in out
    assert 'dmnElementRef="c7-legacy-temperature"' in out  # all shapes, as officially
    assert '<dmndi:DMNEdge id="e1" dmnElementRef="ir1" />' in out  # edges untouched
    assert '<decisionTable id="dt1"' in out and '<inputData id="temperature"' in out
    assert 'id="dish" name="Dish"' in out  # definitions id untouched
    assert rewrite_dmn(out, "c7-legacy-") == out  # idempotent


def test_parse_dmn_types_and_rules() -> None:
    info = parse_dmn(DMN)
    assert info.definitions_id == "dish"
    assert info.decisions["Dish"].decision_type == "DECISION_TABLE"
    assert info.decisions["Dish"].rule_ids == ("r1", "r2")
    assert info.decisions["Dish"].rule_index("r2") == 2
    assert info.decisions["Dish"].rule_index("unknown") == 1
    assert info.decisions["Dish"].rule_index(None) == 1
    assert info.decisions["Season"].decision_type == "LITERAL_EXPRESSION"
    assert info.decisions["Season"].rule_index("r1") == 1
    assert decision_key_info(info.decisions, "nope").decision_type is None


BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d">
  <bpmn:process id="invoice" isExecutable="true">
    <bpmn:startEvent id="start" camunda:formRef="start-form" camunda:formRefBinding="latest" />
    <bpmn:userTask id="approve" camunda:formRef="approve-form" camunda:formRefBinding="version" camunda:formRefVersion="2" />
    <bpmn:userTask id="review" camunda:formRef="review-form" />
    <bpmn:userTask id="embedded" camunda:formKey="embedded:app:forms/x.html" />
    <bpmn:userTask id="expr" camunda:formRef="${formKey}" camunda:formRefBinding="latest" />
  </bpmn:process>
  <bpmn:process id="other"><bpmn:startEvent id="s2" camunda:formKey="x" /></bpmn:process>
</bpmn:definitions>
"""


def test_bpmn_form_references() -> None:
    assert start_form_ref(BPMN, "invoice") == "start-form"
    assert start_form_ref(BPMN, "other") is None
    assert start_form_ref(None, "invoice") is None
    ref = user_task_form_ref(BPMN, "approve")
    assert ref is not None and (ref.form_key, ref.binding, ref.version) == ("approve-form", "version", 2)
    assert user_task_form_ref(BPMN, "review") is None  # formRef without binding/version
    assert user_task_form_ref(BPMN, "embedded") is None
    expr = user_task_form_ref(BPMN, "expr")
    assert expr is not None and expr.form_key == "${formKey}"
    assert user_task_form_ref(BPMN, "missing") is None
