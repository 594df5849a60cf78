"""Runtime migration decisions on a real Camunda 7 database written by the harness.

No Camunda 8 server can run here, so these tests cover everything up to the REST calls: selection,
the C7 activity tree, every validation rule with its official message (against the harness's C8
models and deliberately broken copies), the activation plan with local variables, and the exact
request bodies. The REST orchestration itself (runtime.py) is not exercised end to end.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from c7to8.c7.source import C7Source
from c7to8.c8.bpmn import BpmnParseError, parse_bpmn
from c7to8.runtime_plan import (
    PENDING,
    Activation,
    activation_plan,
    convert_variables,
    create_instance_body,
    definition_search_body,
    instance_action,
    job_activation_body,
    legacy_id_of_job,
    legacy_instance_search_body,
    modification_body,
    pick_root_instance,
)
from c7to8.runtime_state import C7Instance, RuntimeReader, active_flow_nodes
from c7to8.runtime_validation import C8Definition, validate_hierarchy
from c7to8.store.tracking import EntityType, Tracking, TrackRow
from c7to8.variables import DocumentUpload, VariableConverter
from tests.support import harness
from tests.support.databases import admin_url, drop_database, harness_postgres, root_instance_ids, unique_name
from tests.support.databases import testbed_env as _testbed

ROOT = Path(__file__).resolve().parents[1]
C8_MODELS = ROOT / "harness" / "c8"


@dataclass
class World:
    engine: Engine
    reader: RuntimeReader
    ids: dict[str, str]  # business key -> C7 root process instance id


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with harness_postgres("c7rt") as (_, engine):
        with engine.connect() as conn:
            ids = root_instance_ids(conn)
        yield World(engine, RuntimeReader(C7Source(engine)), ids)


def c8_definitions(folder: Path) -> dict[str, C8Definition]:
    out: dict[str, C8Definition] = {}
    for f in sorted(folder.glob("*.bpmn")):
        model = parse_bpmn(f.read_bytes())
        for pid in model.process_ids:
            out[pid] = C8Definition(pid, 1, "2251799813685249", None, model)
    return out


def validate(w: World, bk: str, folder: Path = C8_MODELS, tenant_ids: tuple[str, ...] = (),
             validation_type: str = "migrator") -> str | None:
    root = w.ids[bk]
    defs = c8_definitions(folder)
    return validate_hierarchy(
        root, w.reader.hierarchy(root),
        lambda pi: active_flow_nodes(pi, w.reader.model(pi.process_definition_id)),
        lambda pi: w.reader.model(pi.process_definition_id),
        lambda pi: defs.get(pi.process_definition_key),
        tenant_ids=set(tenant_ids), validation_type=validation_type,
    )


def plan_of(w: World, pi: C7Instance) -> list[Activation]:
    conv = VariableConverter()
    nodes = active_flow_nodes(pi, w.reader.model(pi.process_definition_id), w.reader.called_instances(pi.executions))
    scoped = w.reader.variables(pi)
    return activation_plan(nodes, {n.instance_id: convert_variables(scoped.local(n), conv) for n in nodes})


def plans(w: World, bk: str) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per running instance of the hierarchy (root first): [(elementId, local variables)]."""
    out = []
    for pi in w.reader.hierarchy(w.ids[bk]):
        out.append([(a.element_id, a.variables) for a in plan_of(w, pi)])
    return out


# --------------------------------------------------------------------------------------------
# Every waiting-instance scenario: validation result and activation plan, exactly
# --------------------------------------------------------------------------------------------
VALID_PLANS: dict[str, list[list[tuple[str, dict[str, Any]]]]] = {
    "lifecycle-active-1": [[("task", {})]],
    "lifecycle-suspended-1": [[("task", {})]],
    "usertasks-assigned-1": [[("assignedTask", {"comment": "please check the figures"})]],
    "usertasks-candidate-1": [[("groupTask", {})]],
    "usertasks-claimed-1": [[("groupTask", {})]],
    "usertasks-form-1": [[("formTask", {})]],
    "servicetasks-1": [[("check", {})]],
    "externaltasks-locked-1": [[("charge", {})]],
    "asyncjobs-pending-1": [[("prepare", {})]],  # asyncBefore transition: no copied process variables
    "asyncjobs-after-1": [[("transform", {})]],
    "timers-waiting-1": [[("delay", {})]],
    "timers-boundary-1": [[("approve", {})]],
    "messages-waiting-1": [[("waitPayment", {})]],
    "signals-waiting-1": [[("waitSignal", {})]],
    "boundary-nudged-1": [[("process", {}), ("followUp", {})]],
    "eventsubprocess-working-1": [[("work", {})]],
    "eventsubprocess-info-1": [[("work", {}), ("provideInfo", {})]],
    "eventsubprocess-aborted-1": [[("handleAbort", {})]],
    "subprocess-inner1-1": [[("inner1", {})]],
    "subprocess-inner2-1": [[("inner2", {})]],
    "subprocess-after-1": [[("after", {})]],
    "gateways-high-1": [[("managerApproval", {})]],
    "gateways-forked-1": [[("checkA", {}), ("checkB", {})]],
    "gateways-joined-1": [[("finalize", {})]],
    "decisions-1": [[("serve", {})]],
    "tenants-none-1": [[("tenantTask", {})]],
    "oplog-modified-1": [[("opTask", {}), ("opTask", {})]],
}


@pytest.mark.parametrize("bk", sorted(VALID_PLANS))
def test_waiting_instances_validate_and_plan(world: World, bk: str) -> None:
    assert validate(world, bk) is None
    assert plans(world, bk) == VALID_PLANS[bk]


def test_call_activity_hierarchy_plan(world: World) -> None:
    root = world.ids["callactivity-active-1"]
    hierarchy = world.reader.hierarchy(root)
    assert [pi.process_definition_key for pi in hierarchy] == ["call_parent", "call_child", "call_grandchild"]
    parent, child, grandchild = hierarchy
    assert validate(world, "callactivity-active-1") is None
    assert plans(world, "callactivity-active-1") == [
        [("callChild", {"legacyId": child.id})],
        [("callGrandchild", {"legacyId": grandchild.id})],
        [("gcTask", {})],
    ]
    # the job phase reads each (child) instance on its own, by the legacyId its job carries
    inst = world.reader.instance(child.id)
    assert inst is not None and inst.super_execution_id is not None
    assert [(a.element_id, a.variables) for a in plan_of(world, inst)] == [("callGrandchild", {"legacyId": grandchild.id})]
    assert validate(world, "callactivity-returned-1") is None
    assert plans(world, "callactivity-returned-1") == [[("parentReview", {})]]


def test_variables_instance_local_and_process_values(world: World) -> None:
    conv = VariableConverter()
    pi = world.reader.hierarchy(world.ids["variables-all-types-1"])[0]
    [activation] = plan_of(world, pi)
    assert activation.element_id == "inspect"
    assert activation.variables["taskNote"] == "check the pdf"
    assert activation.variables["taskAmount"] == 12.5
    assert activation.variables["taskCustomer"]["name"] == "Jane Doe"
    values = convert_variables(world.reader.variables(pi).process_level(), conv)
    assert "taskNote" not in values
    assert values["counter"] == 4
    assert values["retyped"] == 1  # string first, then integer 1
    assert values["emptyString"] == "" and values["nullVar"] is None
    # bytes and file values become documents to upload before the create call
    assert isinstance(values["bytesVar"], DocumentUpload) and isinstance(values["fileVar"], DocumentUpload)


# --------------------------------------------------------------------------------------------
# Skips with the official messages
# --------------------------------------------------------------------------------------------
def test_multi_instance_skips(world: World) -> None:
    msg = "Found multi-instance loop characteristics for flow node with id [%s] in C7 process instance."
    assert validate(world, "multiinstance-review-1") == msg % "review"
    assert validate(world, "multiinstance-sign-1") == msg % "sign"
    nodes = active_flow_nodes(world.reader.hierarchy(world.ids["multiinstance-review-1"])[0],
                              world.reader.model(world.reader.hierarchy(world.ids["multiinstance-review-1"])[0]
                                                 .process_definition_id))
    assert sorted(n.activity_id for n in nodes) == ["review", "review", "review#multiInstanceBody"]


def test_joining_parallel_gateway_skip(world: World) -> None:
    root = world.ids["gateways-joining-1"]
    assert validate(world, "gateways-joining-1") == (
        f"Found active joining parallel gateway with id [join] for process instance [{root}]. "
        "This is currently not supported by the migrator."
    )


def test_message_start_only_model_is_skipped(world: World) -> None:
    assert validate(world, "messagestart-1") == (
        "C8 process definition [id: messagestart, version: 1] should have a None Start Event."
    )


def test_tenants(world: World) -> None:
    assert validate(world, "tenants-tenant1-1") == (
        "Found a process instance with tenant id [tenant1] that is not configured for migration."
    )
    assert validate(world, "tenants-tenant2-1", tenant_ids=("tenant1",)) == (
        "Found a process instance with tenant id [tenant2] that is not configured for migration."
    )
    assert validate(world, "tenants-tenant1-1", tenant_ids=("tenant1", "tenant2")) is None
    assert validate(world, "tenants-none-1", tenant_ids=("tenant1",)) is None


@pytest.fixture
def models(tmp_path: Path) -> Path:
    d = tmp_path / "c8"
    shutil.copytree(C8_MODELS, d)
    return d


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    s = path.read_text()
    assert old in s, old
    path.write_text(s.replace(old, new, count))


LISTENER = '<zeebe:executionListener eventType="end" type="migrator"/>'


def test_missing_definition(world: World, models: Path) -> None:
    (models / "usertasks.bpmn").unlink()
    root = world.ids["usertasks-assigned-1"]
    assert validate(world, "usertasks-assigned-1", models) == (
        f"No C8 deployment found for process ID [usertasks] required for instance with C7 ID [{root}]."
    )
    # the child's id is named when a called process is missing
    (models / "call_grandchild.bpmn").unlink()
    gc = world.reader.hierarchy(world.ids["callactivity-active-1"])[2].id
    assert validate(world, "callactivity-active-1", models) == (
        f"No C8 deployment found for process ID [call_grandchild] required for instance with C7 ID [{gc}]."
    )


def test_missing_element(world: World, models: Path) -> None:
    _edit(models / "usertasks.bpmn", 'id="assignedTask"', 'id="assignedTaskRenamed"')
    assert validate(world, "usertasks-assigned-1", models) == (
        "Flow node with id [assignedTask] doesn't exist in the equivalent deployed C8 model."
    )
    _edit(models / "subprocess.bpmn", 'id="inner2"', 'id="innerTwo"')
    assert validate(world, "subprocess-inner2-1", models) == (
        "Flow node with id [inner2] doesn't exist in the equivalent deployed C8 model."
    )


def test_start_listener_rules(world: World, models: Path) -> None:
    no_listener = ("No execution listener of type '%s' found on start event [start] for C8 process definition "
                   "[id: timers, version: 1]. At least one '%s' listener is required.")
    _edit(models / "timers.bpmn", LISTENER, "")
    assert validate(world, "timers-waiting-1", models) == no_listener % ("migrator", "migrator")
    assert validate(world, "timers-waiting-1", models, validation_type="DISABLED") is None
    _edit(models / "timers.bpmn", '<bpmn:startEvent id="start">',
          '<bpmn:startEvent id="start"><bpmn:extensionElements><zeebe:executionListeners>'
          '<zeebe:executionListener eventType="end" type="foo"/></zeebe:executionListeners></bpmn:extensionElements>')
    assert validate(world, "timers-waiting-1", models) == no_listener % ("migrator", "migrator")
    feel = '=if legacyId != null then "migrator" else "noop"'
    assert validate(world, "timers-waiting-1", models, validation_type=feel) == no_listener % (feel, feel)
    assert validate(world, "timers-waiting-1", models, validation_type="foo") is None
    # a missing listener only inside an embedded subprocess start event does not matter
    assert validate(world, "subprocess-inner1-1", models) is None


def test_none_start_event_only_in_subprocess(world: World, models: Path) -> None:
    path = models / "subprocess.bpmn"
    s = path.read_text()
    m = re.search(r'<bpmn:startEvent id="start">(.*?)</bpmn:startEvent>', s, re.S)
    assert m is not None
    s = s.replace(m.group(0), '<bpmn:startEvent id="start">' + m.group(1) +
                  '<bpmn:messageEventDefinition id="startMsg"/></bpmn:startEvent>')
    path.write_text(s)
    assert validate(world, "subprocess-inner1-1", models) == (
        "C8 process definition [id: subprocess, version: 1] should have a None Start Event."
    )


def test_call_activity_propagation(world: World, models: Path) -> None:
    path = models / "call_child.bpmn"
    _edit(path, "<zeebe:calledElement ", '<zeebe:calledElement propagateAllParentVariables="FALSE" ')
    assert validate(world, "callactivity-active-1", models) == (
        "Found call activity with propagateAllParentVariables=false for flow node with id [callGrandchild] in C8 "
        "process. This is not supported by the migrator unless there is an explicit mapping for the 'legacyId' "
        "variable, as it would lead to orphaned sub-process instances."
    )
    _edit(path, "<zeebe:calledElement ", '<zeebe:ioMapping><zeebe:input source="=legacyId" target="legacyId"/>'
          "</zeebe:ioMapping><zeebe:calledElement ")
    assert validate(world, "callactivity-active-1", models) is None


def test_unparseable_model_aborts() -> None:
    with pytest.raises(BpmnParseError):
        parse_bpmn(b"<not-bpmn/>")
    with pytest.raises(BpmnParseError):
        parse_bpmn(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')


# --------------------------------------------------------------------------------------------
# Request bodies
# --------------------------------------------------------------------------------------------
def test_create_and_search_bodies(world: World) -> None:
    conv = VariableConverter()
    root = world.ids["usertasks-assigned-1"]
    pi = world.reader.hierarchy(root)[0]
    body = create_instance_body(pi, convert_variables(world.reader.variables(pi).process_level(), conv))
    assert body == {
        "processDefinitionId": "usertasks",
        "processDefinitionVersion": -1,
        "tenantId": "<default>",
        "variables": {"requester": "john", "amount": 250, "legacyId": root},
        "businessId": "usertasks-assigned-1",
    }
    assert definition_search_body(pi) == {
        "filter": {"processDefinitionId": "usertasks"},
        "sort": [{"field": "version", "order": "DESC"}],
        "page": {"limit": 1},
    }
    t1 = world.reader.hierarchy(world.ids["tenants-tenant1-1"])[0]
    assert definition_search_body(t1)["filter"] == {"processDefinitionId": "tenants", "tenantId": "tenant1"}
    assert create_instance_body(t1, {})["tenantId"] == "tenant1"
    assert legacy_instance_search_body(pi) == {
        "filter": {"processDefinitionId": "usertasks", "tenantId": "<default>",
                   "variables": [{"name": "legacyId", "value": f'"{root}"'}]},
        "page": {"limit": 10},
    }
    assert pick_root_instance([{"processInstanceKey": "9", "parentProcessInstanceKey": "3"},
                               {"processInstanceKey": "7"}]) == "7"
    assert pick_root_instance([]) is None
    empty = C7Instance("x", "p:1:1", "p", None, "", None)
    assert "businessId" not in create_instance_body(empty, {})


def test_job_and_modification_bodies(world: World) -> None:
    assert job_activation_body("migrator", 100, set()) == {
        "type": "migrator", "maxJobsToActivate": 100, "timeout": 300000, "worker": "default",
        "requestTimeout": 10000, "tenantIds": ["<default>"],
    }
    assert job_activation_body("migrator", 5, {"tenant2", "tenant1"})["tenantIds"] == [
        "<default>", "tenant1", "tenant2"]
    assert legacy_id_of_job({"variables": {"legacyId": "707"}}) == "707"
    assert legacy_id_of_job({"variables": {"other": "legacyId"}}) is None
    root = world.ids["callactivity-active-1"]
    child = world.reader.hierarchy(root)[1].id
    parent = world.reader.hierarchy(root)[0]
    assert modification_body("2251799813685300", plan_of(world, parent)) == {
        "terminateInstructions": [{"elementInstanceKey": "2251799813685300"}],
        "activateInstructions": [{
            "elementId": "callChild", "ancestorElementInstanceKey": "-1",
            "variableInstructions": [{"variables": {"legacyId": child}, "scopeId": "callChild"}],
        }],
    }
    forked = world.reader.hierarchy(world.ids["gateways-forked-1"])[0]
    assert modification_body("1", plan_of(world, forked))["activateInstructions"] == [
        {"elementId": "checkA", "ancestorElementInstanceKey": "-1"},
        {"elementId": "checkB", "ancestorElementInstanceKey": "-1"},
    ]


# --------------------------------------------------------------------------------------------
# Selection: unfinished roots, keyset-paged, resume bound inclusive, dedup via tracking
# --------------------------------------------------------------------------------------------
def test_selection_pages_and_resume(world: World) -> None:
    with world.engine.connect() as conn:
        expected = [(str(i), st) for i, st in conn.execute(text(
            "SELECT ID_, START_TIME_ FROM ACT_HI_PROCINST WHERE END_TIME_ IS NULL AND SUPER_PROCESS_INSTANCE_ID_ "
            "IS NULL ORDER BY START_TIME_, ID_"))]
    got = [(c.id, c.start_time) for page in world.reader.unfinished_roots(None, 7) for c in page]
    assert got == expected
    assert "callactivity-active-1" in {bk for bk, i in world.ids.items() if i in dict(got)}
    assert not {world.ids["lifecycle-completed-1"], world.ids["lifecycle-canceled-1"]} & set(dict(got))
    boundary = expected[10][1]
    resumed = [c.id for page in world.reader.unfinished_roots(boundary, 4) for c in page]
    assert resumed == [i for i, st in expected if st >= boundary]  # inclusive: ties are re-read
    assert resumed[0] == next(i for i, st in expected if st == boundary)
    # dedup: the boundary rows already tracked are the only ones the orchestrator does not start
    tr = Tracking(world.engine, prefix=f"T{unique_name('x')[-6:]}_", save_skip_reason=True)
    tr.ensure_schema()
    try:
        with world.engine.begin() as conn:
            tr.insert(conn, [TrackRow(i, EntityType.RUNTIME_PROCESS_INSTANCE, "1", st + timedelta(0))
                             for i, st in expected[:11]])
        with world.engine.connect() as conn:
            known = tr.tracked(conn, EntityType.RUNTIME_PROCESS_INSTANCE, resumed)
        assert [i for i in resumed if i not in known] == [i for i, _ in expected[11:]]
    finally:
        tr.drop()


def test_instance_actions_follow_the_official_table() -> None:
    reason = "No C8 deployment found ..."
    # MIGRATE
    assert instance_action(False, None, None) == "start-insert"
    assert instance_action(False, None, reason) == "skip-insert"
    assert instance_action(False, ("2251799813685249", None), None) == "refresh"  # migrated: never again
    assert instance_action(False, (None, "old reason"), None) == "refresh"  # skipped: only --retry-skipped
    assert instance_action(False, (None, None), reason) == "refresh"
    # RETRY_SKIPPED
    assert instance_action(True, (None, "old reason"), None) == "start-update"
    assert instance_action(True, (None, "old reason"), reason) == "skip-update"
    # c7to8: a row committed as PENDING before the create call is resolved, in both modes
    assert instance_action(False, (None, PENDING), None) == "resume"
    assert instance_action(True, (None, PENDING), reason) == "resume"


def test_same_decisions_on_mariadb() -> None:
    """The reader is vendor-neutral: the MariaDB copy of the data set gives the same plans and reasons."""
    _testbed()
    name = unique_name("c7rtm")
    harness.mariadb_dataset(admin_url("mariadb"), name)
    engine = create_engine(admin_url("mariadb").set(database=name).update_query_dict({"charset": "utf8mb4"}))
    try:
        with engine.connect() as conn:
            ids = {str(bk): str(i) for i, bk in conn.execute(text(
                "SELECT ID_, BUSINESS_KEY_ FROM ACT_HI_PROCINST WHERE SUPER_PROCESS_INSTANCE_ID_ IS NULL"))}
        w = World(engine, RuntimeReader(C7Source(engine)), ids)
        for bk, want in VALID_PLANS.items():
            assert validate(w, bk) is None, bk
            assert plans(w, bk) == want, bk
        assert validate(w, "multiinstance-review-1") == (
            "Found multi-instance loop characteristics for flow node with id [review] in C7 process instance.")
        assert [len(p) for p in plans(w, "callactivity-active-1")] == [1, 1, 1]
    finally:
        engine.dispose()
        drop_database("mariadb", name)
