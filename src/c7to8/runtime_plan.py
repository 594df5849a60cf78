"""Runtime migration: the C8 activation plan and every REST request body, as pure functions.

Bodies follow the Camunda 8.9 OpenAPI (`/v2/process-definitions/search`, `/v2/process-instances`,
`/v2/process-instances/search`, `/v2/jobs/activation`, `/v2/process-instances/{key}/modification`)
and the official call sequence (runtime.md §8-§9).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .runtime_state import C7Instance, FlowNode
from .runtime_validation import LEGACY_ID
from .variables import C7Variable, DocumentUpload, RuntimeValue, VariableConverter

DEFAULT_TENANT = "<default>"
JOB_TIMEOUT_MS = 300_000
JOB_REQUEST_TIMEOUT_MS = 10_000
JOB_WORKER = "default"


# ---------------------------------------------------------------------------------------- values
def convert_variables(variables: Iterable[C7Variable], converter: VariableConverter) -> dict[str, Any]:
    """name -> C8 value (or a `DocumentUpload` still to be uploaded). Raises SkipError on the first
    variable that cannot be converted. Later values of the same name win (official map put)."""
    out: dict[str, Any] = {}
    for var in variables:
        result = converter.to_runtime(var)
        if isinstance(result, DocumentUpload):
            out[var.name] = result
        else:
            assert isinstance(result, RuntimeValue)
            out[var.name] = result.value
    return out


def pending_documents(values: Mapping[str, Any]) -> list[DocumentUpload]:
    return [v for v in values.values() if isinstance(v, DocumentUpload)]


# ---------------------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class Activation:
    """One C8 activate instruction: the element and its local variables."""

    element_id: str
    variables: dict[str, Any] = field(default_factory=dict)
    c7_instance_id: str = ""  # the C7 activity/transition instance it recreates (for logs)


def activation_plan(nodes: Sequence[FlowNode], locals_by_instance: Mapping[str, Mapping[str, Any]]) -> list[Activation]:
    """One activation per active C7 flow node. Call activities get a local `legacyId` = the called
    C7 instance (it overrides a C7 local variable of that name)."""
    plan = []
    for node in nodes:
        local = dict(locals_by_instance.get(node.instance_id, {}))
        if node.sub_process_instance_id is not None:
            local[LEGACY_ID] = node.sub_process_instance_id
        plan.append(Activation(node.activity_id, local, node.instance_id))
    return plan


# ---------------------------------------------------------------------------------------- bodies
def tenant_of(pi: C7Instance) -> str:
    return pi.tenant or DEFAULT_TENANT


def definition_search_body(pi: C7Instance) -> dict[str, Any]:
    """Latest C8 definition of the C7 key (tenant filter only when the C7 instance has a tenant)."""
    flt: dict[str, Any] = {"processDefinitionId": pi.process_definition_key}
    if pi.tenant:
        flt["tenantId"] = pi.tenant
    return {"filter": flt, "sort": [{"field": "version", "order": "DESC"}], "page": {"limit": 1}}


def create_instance_body(pi: C7Instance, variables: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /v2/process-instances`: latest version, tenant, process variables + legacyId, businessId."""
    vs = dict(variables)
    vs[LEGACY_ID] = pi.id
    body: dict[str, Any] = {
        "processDefinitionId": pi.process_definition_key,
        "processDefinitionVersion": -1,
        "tenantId": tenant_of(pi),
        "variables": vs,
    }
    if pi.business_key:  # C8 BusinessId has minLength 1: an empty C7 key is left out
        body["businessId"] = pi.business_key
    return body


def legacy_instance_search_body(pi: C7Instance) -> dict[str, Any]:
    """`POST /v2/process-instances/search`: a root C8 instance already started for this C7 instance."""
    return {
        "filter": {
            "processDefinitionId": pi.process_definition_key,
            "tenantId": tenant_of(pi),
            "variables": [{"name": LEGACY_ID, "value": json.dumps(pi.id)}],
        },
        "page": {"limit": 10},
    }


def pick_root_instance(items: Iterable[Mapping[str, Any]]) -> str | None:
    """The key of a root C8 instance (no parent) among search results, or None."""
    keys = sorted(str(i["processInstanceKey"]) for i in items if not i.get("parentProcessInstanceKey"))
    return keys[0] if keys else None


def job_activation_body(job_type: str, page_size: int, tenant_ids: Collection[str]) -> dict[str, Any]:
    tenants = sorted(set(tenant_ids) | {DEFAULT_TENANT}) if tenant_ids else [DEFAULT_TENANT]
    return {
        "type": job_type,
        "maxJobsToActivate": page_size,
        "timeout": JOB_TIMEOUT_MS,
        "worker": JOB_WORKER,
        "requestTimeout": JOB_REQUEST_TIMEOUT_MS,
        "tenantIds": tenants,
    }


def legacy_id_of_job(job: Mapping[str, Any]) -> str | None:
    """The C7 instance id a migrator job stands for, or None for an externally started instance.
    (Official: substring test on the variables JSON; c7to8 tests the key.)"""
    variables = job.get("variables") or {}
    value = variables.get(LEGACY_ID) if isinstance(variables, Mapping) else None
    return value if isinstance(value, str) and value else None


def modification_body(start_element_instance_key: str, plan: Sequence[Activation]) -> dict[str, Any]:
    """Terminate the start event (removes the migrator job) and activate every C7 leaf."""
    activate: list[dict[str, Any]] = []
    for a in plan:
        instr: dict[str, Any] = {"elementId": a.element_id, "ancestorElementInstanceKey": "-1"}
        if a.variables:
            instr["variableInstructions"] = [{"variables": dict(a.variables), "scopeId": a.element_id}]
        activate.append(instr)
    return {
        "terminateInstructions": [{"elementInstanceKey": str(start_element_instance_key)}],
        "activateInstructions": activate,
    }


# ---------------------------------------------------------------------------------------- decisions
PENDING = "c7to8: creating the Camunda 8 instance; the next run resolves this row (no duplicate is created)"
"""SKIP_REASON marker committed before a C8 instance is created (C8_KEY still NULL)."""


def instance_action(retry: bool, row: tuple[str | None, str | None] | None, reason: str | None) -> str:
    """What to do with one C7 root instance (runtime.md §5, plus c7to8's PENDING resume).

    `row` is its tracking row (C8_KEY, SKIP_REASON) or None; `reason` the validation result.
    Returns one of:
      "resume"         a PENDING row: look for the C8 instance first, create it only if absent
      "refresh"        MIGRATE, already tracked: no C8 call, only the skip reason is refreshed
      "skip-insert"    record a new skip            "skip-update"   update the skip reason (retry)
      "start-insert"   create, new tracking row     "start-update"  create, existing (skipped) row
    """
    pending = row is not None and row[0] is None and row[1] == PENDING
    if pending:
        return "resume"
    if row is not None and not retry:
        return "refresh"
    if reason is not None:
        return "skip-update" if row is not None else "skip-insert"
    return "start-update" if row is not None else "start-insert"
