"""Camunda 7 runtime state for runtime migration: executions, active flow nodes, variable scopes.

Pure functions (`active_flow_nodes`, `attribute_variable`) rebuild what the official tool gets from
the C7 engine API (`getActivityInstance`, the variable query's activity-instance id) from the
ACT_RU_EXECUTION / ACT_RU_VARIABLE rows; `RuntimeReader` reads those rows (plus the deployed C7
BPMN XML) from a Camunda 7 database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from .c7.source import C7Source, Row, fetch_bytes, keyset_pages
from .c7.values import c7_variable
from .c8.bpmn import BpmnModel, parse_bpmn
from .variables import C7Variable
from .variables.model import VariableEntity

MI_BODY_SUFFIX = "#multiInstanceBody"
SCOPE_TYPES_ACTIVATED = {"transaction", "adHocSubProcess"}
"""Scope types that the official tree walk adds as flow nodes (besides leaves and MI bodies)."""


def _flag(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "t", "true", "y")
    return bool(v)


@dataclass(frozen=True)
class Execution:
    """One ACT_RU_EXECUTION row (the columns runtime migration needs)."""

    id: str
    proc_inst_id: str
    parent_id: str | None = None
    super_exec: str | None = None
    root_proc_inst_id: str | None = None
    act_id: str | None = None
    act_inst_id: str | None = None
    is_active: bool = True
    is_concurrent: bool = False
    is_scope: bool = True
    is_event_scope: bool = False
    proc_def_id: str | None = None
    business_key: str | None = None
    tenant_id: str | None = None

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> Execution:
        def s(k: str) -> str | None:
            v = r.get(k)
            return None if v is None else str(v)

        return cls(
            id=str(r["ID_"]),
            proc_inst_id=str(r["PROC_INST_ID_"]),
            parent_id=s("PARENT_ID_") or None,
            super_exec=s("SUPER_EXEC_") or None,
            root_proc_inst_id=s("ROOT_PROC_INST_ID_") or None,
            act_id=s("ACT_ID_") or None,
            act_inst_id=s("ACT_INST_ID_") or None,
            is_active=_flag(r.get("IS_ACTIVE_")),
            is_concurrent=_flag(r.get("IS_CONCURRENT_")),
            is_scope=_flag(r.get("IS_SCOPE_")),
            is_event_scope=_flag(r.get("IS_EVENT_SCOPE_")),
            proc_def_id=s("PROC_DEF_ID_"),
            business_key=s("BUSINESS_KEY_"),
            tenant_id=s("TENANT_ID_") or None,
        )


@dataclass(frozen=True)
class FlowNode:
    """An active C7 element to activate in C8 (`C7Utils.getActiveActivityIdsById` entry)."""

    instance_id: str  # activity-instance id, or the execution id for a transition instance
    activity_id: str
    kind: str  # "activity" | "transition" | "scope"
    execution_id: str | None = None
    sub_process_instance_id: str | None = None  # the called C7 instance (call activities)


@dataclass
class C7Instance:
    """One running C7 process instance (root or called) with its executions."""

    id: str
    process_definition_id: str
    process_definition_key: str
    tenant_id: str | None
    business_key: str | None
    super_execution_id: str | None
    executions: list[Execution] = field(default_factory=list)

    @property
    def tenant(self) -> str | None:
        return self.tenant_id or None


def active_flow_nodes(
    pi: C7Instance, model: BpmnModel | None, called: Mapping[str, str] | None = None
) -> list[FlowNode]:
    """The active flow nodes of one C7 process instance, ordered by execution id like C7 orders leaves.

    * Leaves of the non-event-scope execution tree that have an activity: with ACT_INST_ID_ an
      activity instance, without one a transition instance (asyncBefore/asyncAfter) keyed by the
      execution id. Inactive leaves without an activity instance (finished parallel multi-instance
      children) are not waiting anywhere and are left out.
    * Enclosing scopes of those leaves whose C7 type is multi-instance body, transaction or ad-hoc
      sub-process (embedded and event sub-processes are never activated themselves, only their
      leaves; C8 creates the scope).
    `called` maps an execution id to the C7 process instance it called (SUPER_EXEC_).
    """
    called = called or {}
    execs = [e for e in pi.executions if not e.is_event_scope]
    by_id = {e.id: e for e in execs}
    has_child = {e.parent_id for e in execs if e.parent_id}
    leaves = sorted((e for e in execs if e.id not in has_child), key=lambda e: _id_key(e.id))
    out: list[FlowNode] = []
    seen: set[str] = set()
    for leaf in leaves:
        if leaf.act_id is None:
            continue
        if leaf.act_inst_id is not None:
            node = FlowNode(leaf.act_inst_id, leaf.act_id, "activity", leaf.id, called.get(leaf.id))
        elif not leaf.is_active:
            continue
        else:
            node = FlowNode(leaf.id, leaf.act_id, "transition", leaf.id, called.get(leaf.id))
        if node.instance_id not in seen:
            seen.add(node.instance_id)
            out.append(node)
        if model is None:
            continue
        chain = _execution_chain(leaf, by_id)
        scopes: list[tuple[str, str]] = []
        el = model.get(leaf.act_id)
        if el is not None and el.multi_instance:
            scopes.append((leaf.act_id + MI_BODY_SUFFIX, "mi"))
        for sc in model.flow_scopes(leaf.act_id):
            if sc.multi_instance:
                scopes.append((sc.id + MI_BODY_SUFFIX, "mi"))
            if sc.type in SCOPE_TYPES_ACTIVATED:
                scopes.append((sc.id, sc.type))
        for scope_id, _ in scopes:
            inst = next(
                (x.act_inst_id for x in chain if x.act_inst_id and x.act_inst_id.startswith(scope_id + ":")),
                f"{scope_id}@{leaf.id}",
            )
            if inst not in seen:
                seen.add(inst)
                out.append(FlowNode(inst, scope_id, "scope", None, None))
    return out


def _execution_chain(leaf: Execution, by_id: Mapping[str, Execution]) -> list[Execution]:
    out = [leaf]
    cur = leaf
    while cur.parent_id and cur.parent_id in by_id:
        cur = by_id[cur.parent_id]
        out.append(cur)
    return out


def _id_key(v: str) -> tuple[int, int | str]:
    """C7 orders leaves by id (string); numeric ids from the DB id generator sort numerically here
    only for readability of results -- the order has no effect on what is migrated."""
    return (0, int(v)) if v.isdigit() else (1, v)


def attribute_variable(var_row: Mapping[str, Any], executions: Mapping[str, Execution]) -> str | None:
    """The activity-instance id C7's variable query attributes a runtime variable to (variables.md §2)."""
    exec_id = var_row.get("EXECUTION_ID_")
    ex = executions.get(str(exec_id)) if exec_id is not None else None
    if var_row.get("TASK_ID_") is not None and ex is not None:
        return ex.act_inst_id
    if var_row.get("CASE_EXECUTION_ID_") is not None:
        return str(var_row["CASE_EXECUTION_ID_"])
    if ex is None:
        return None
    concurrent_local = _flag(var_row.get("IS_CONCURRENT_LOCAL_"))
    if ex.parent_id is None and not concurrent_local:
        return ex.id
    if ex.is_scope and ex.parent_id is not None and not concurrent_local:
        parent = executions.get(ex.parent_id)
        return parent.act_inst_id if parent is not None else None
    return ex.act_inst_id


@dataclass
class ScopedVariables:
    """C7 runtime variables of one process instance, grouped by attributed activity-instance id."""

    process_instance_id: str
    by_scope: dict[str, list[C7Variable]]

    def process_level(self) -> list[C7Variable]:
        return self.by_scope.get(self.process_instance_id, [])

    def local(self, node: FlowNode) -> list[C7Variable]:
        if node.kind == "transition" and node.instance_id == self.process_instance_id:
            # c7to8: a top-level async transition shares its id with the process instance; its
            # "local" variables would be copies of the process variables (official quirk), so none.
            return []
        return self.by_scope.get(node.instance_id, [])

    def all(self) -> list[C7Variable]:
        return [v for vs in self.by_scope.values() for v in vs]


def group_variables(
    pi_id: str, rows: Sequence[Mapping[str, Any]], executions: Iterable[Execution], data: Mapping[str, bytes]
) -> ScopedVariables:
    by_exec = {e.id: e for e in executions}
    out: dict[str, list[C7Variable]] = {}
    for r in sorted(rows, key=lambda r: str(r["ID_"])):
        scope = attribute_variable(r, by_exec)
        if scope is None:
            continue
        b = data.get(str(r["BYTEARRAY_ID_"])) if r.get("BYTEARRAY_ID_") else None
        out.setdefault(scope, []).append(c7_variable(r, b, VariableEntity.RUNTIME_VARIABLE, "NAME_"))
    return ScopedVariables(pi_id, out)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RootCandidate:
    id: str
    start_time: datetime | None


class RuntimeReader:
    """Reads C7 runtime state (keyset-paged, set-based)."""

    def __init__(self, src: C7Source) -> None:
        self.src = src
        self.engine = src.engine
        self._models: dict[str, BpmnModel | None] = {}

    # -------------------------------------------------------------- selection (runtime.md §4.1)
    def unfinished_roots(self, since: datetime | None, page_size: int) -> Iterator[list[RootCandidate]]:
        """Unfinished root instances from ACT_HI_PROCINST ordered by (START_TIME_, ID_); `since` inclusive."""
        t = self.src.table("ACT_HI_PROCINST")
        where = and_(t.c.END_TIME_.is_(None), t.c.SUPER_PROCESS_INSTANCE_ID_.is_(None))
        for page in keyset_pages(
            self.engine, [t.c.ID_, t.c.START_TIME_], t, t.c.START_TIME_, t.c.ID_, page_size,
            where=where, since=since,
        ):
            yield [RootCandidate(str(r["ID_"]), r["START_TIME_"]) for r in page]

    def start_times(self, ids: Sequence[str]) -> dict[str, datetime | None]:
        t = self.src.table("ACT_HI_PROCINST")
        out: dict[str, datetime | None] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                for rid, st in conn.execute(select(t.c.ID_, t.c.START_TIME_).where(t.c.ID_.in_(ids[i:i + 500]))):
                    out[str(rid)] = st
        return out

    # -------------------------------------------------------------- hierarchy
    def hierarchy(self, root_id: str) -> list[C7Instance]:
        """Root + every running called instance (ROOT_PROC_INST_ID_ = root), ordered by id."""
        ex = self.src.table("ACT_RU_EXECUTION")
        pd = self.src.table("ACT_RE_PROCDEF")
        with self.engine.connect() as conn:
            pis = [
                dict(r._mapping)
                for r in conn.execute(
                    select(ex, pd.c.KEY_.label("PD_KEY_"))
                    .select_from(ex.outerjoin(pd, pd.c.ID_ == ex.c.PROC_DEF_ID_))
                    .where(and_(ex.c.ROOT_PROC_INST_ID_ == root_id, ex.c.ID_ == ex.c.PROC_INST_ID_))
                    .order_by(ex.c.ID_)
                )
            ]
            ids = [str(p["ID_"]) for p in pis]
            rows: list[Row] = []
            for i in range(0, len(ids), 500):
                rows.extend(dict(r._mapping) for r in conn.execute(
                    select(ex).where(ex.c.PROC_INST_ID_.in_(ids[i:i + 500])).order_by(ex.c.ID_)))
        return build_instances(pis, rows)

    def instance(self, pi_id: str) -> C7Instance | None:
        """One running process instance (root or child) with its executions, or None if it ended."""
        ex = self.src.table("ACT_RU_EXECUTION")
        pd = self.src.table("ACT_RE_PROCDEF")
        with self.engine.connect() as conn:
            pis = [
                dict(r._mapping)
                for r in conn.execute(
                    select(ex, pd.c.KEY_.label("PD_KEY_"))
                    .select_from(ex.outerjoin(pd, pd.c.ID_ == ex.c.PROC_DEF_ID_))
                    .where(and_(ex.c.ID_ == pi_id, ex.c.PROC_INST_ID_ == pi_id))
                )
            ]
            rows = [dict(r._mapping) for r in conn.execute(select(ex).where(ex.c.PROC_INST_ID_ == pi_id))]
        got = build_instances(pis, rows)
        return got[0] if got else None

    def called_instances(self, executions: Sequence[Execution]) -> dict[str, str]:
        """Execution id -> id of the C7 process instance it called (SUPER_EXEC_)."""
        ex = self.src.table("ACT_RU_EXECUTION")
        ids = [e.id for e in executions]
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                for rid, sup in conn.execute(
                    select(ex.c.ID_, ex.c.SUPER_EXEC_).where(
                        and_(ex.c.SUPER_EXEC_.in_(ids[i:i + 500]), ex.c.ID_ == ex.c.PROC_INST_ID_))
                ):
                    out[str(sup)] = str(rid)
        return out

    # -------------------------------------------------------------- models
    def model(self, process_definition_id: str) -> BpmnModel | None:
        """The deployed C7 BPMN model of a process definition (cached)."""
        if process_definition_id in self._models:
            return self._models[process_definition_id]
        pd = self.src.table("ACT_RE_PROCDEF")
        ba = self.src.table("ACT_GE_BYTEARRAY")
        with self.engine.connect() as conn:
            data = conn.execute(
                select(ba.c.BYTES_)
                .select_from(pd.join(ba, and_(ba.c.DEPLOYMENT_ID_ == pd.c.DEPLOYMENT_ID_,
                                              ba.c.NAME_ == pd.c.RESOURCE_NAME_)))
                .where(pd.c.ID_ == process_definition_id)
            ).scalar()
        model = parse_bpmn(bytes(data)) if data is not None else None
        self._models[process_definition_id] = model
        return model

    # -------------------------------------------------------------- variables
    def variables(self, pi: C7Instance) -> ScopedVariables:
        """All ACT_RU_VARIABLE rows of one process instance, attributed to scopes."""
        v = self.src.table("ACT_RU_VARIABLE")
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(v).where(v.c.PROC_INST_ID_ == pi.id).order_by(v.c.ID_))]
            ids = [str(r["BYTEARRAY_ID_"]) for r in rows if r.get("BYTEARRAY_ID_")]
            data = {k: b for k, b in fetch_bytes(conn, self.src.table("ACT_GE_BYTEARRAY"), ids).items()
                    if b is not None} if ids else {}
        return group_variables(pi.id, rows, pi.executions, data)


def build_instances(pi_rows: Sequence[Mapping[str, Any]], exec_rows: Sequence[Mapping[str, Any]]) -> list[C7Instance]:
    by_pi: dict[str, list[Execution]] = {}
    for r in exec_rows:
        e = Execution.from_row(r)
        by_pi.setdefault(e.proc_inst_id, []).append(e)
    out = []
    for p in pi_rows:
        pid = str(p["ID_"])
        pdid = str(p["PROC_DEF_ID_"])
        key = p.get("PD_KEY_") or pdid.split(":", 1)[0]
        out.append(
            C7Instance(
                id=pid,
                process_definition_id=pdid,
                process_definition_key=str(key),
                tenant_id=(str(p["TENANT_ID_"]) if p.get("TENANT_ID_") else None),
                business_key=(str(p["BUSINESS_KEY_"]) if p.get("BUSINESS_KEY_") is not None else None),
                super_execution_id=(str(p["SUPER_EXEC_"]) if p.get("SUPER_EXEC_") else None),
                executions=by_pi.get(pid, []),
            )
        )
    return out
