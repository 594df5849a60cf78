"""Runtime validation (official `RuntimeValidator`): pure functions over C7 state and C8 models.

Every rule returns the official skip reason (exact text) or None. `validate_hierarchy` applies them
in the official order to the root instance and every running called instance; the first failure
is the reason the root instance is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from .c8.bpmn import BpmnModel
from .runtime_state import MI_BODY_SUFFIX, C7Instance, FlowNode

DISABLED = "DISABLED"

TENANT_NOT_CONFIGURED = "Found a process instance with tenant id [%s] that is not configured for migration."
NO_DEPLOYMENT = "No C8 deployment found for process ID [%s] required for instance with C7 ID [%s]."
NO_DEPLOYMENT_TENANT = (
    "No C8 deployment found for process ID [%s] and tenant [%s] required for instance with C7 ID [%s]."
)
NO_NONE_START_EVENT = "C8 process definition [id: %s, version: %d] should have a None Start Event."
NO_LISTENER = (
    "No execution listener of type '%s' found on start event [%s] for C8 process definition "
    "[id: %s, version: %d]. At least one '%s' listener is required."
)
MULTI_INSTANCE = "Found multi-instance loop characteristics for flow node with id [%s] in C7 process instance."
JOINING_GATEWAY = (
    "Found active joining parallel gateway with id [%s] for process instance [%s]. "
    "This is currently not supported by the migrator."
)
ELEMENT_MISSING = "Flow node with id [%s] doesn't exist in the equivalent deployed C8 model."
CALL_ACTIVITY_PROPAGATION = (
    "Found call activity with propagateAllParentVariables=false for flow node with id [%s] in C8 process. "
    "This is not supported by the migrator unless there is an explicit mapping for the 'legacyId' variable, "
    "as it would lead to orphaned sub-process instances."
)
LEGACY_ID = "legacyId"


@dataclass(frozen=True)
class C8Definition:
    """The latest C8 process definition found for a C7 instance (search result + parsed XML)."""

    process_definition_id: str
    version: int
    key: str
    tenant_id: str | None
    model: BpmnModel


def check_tenant(pi: C7Instance, tenant_ids: Collection[str]) -> str | None:
    if pi.tenant and pi.tenant not in tenant_ids:
        return TENANT_NOT_CONFIGURED % pi.tenant
    return None


def no_deployment_reason(pi: C7Instance) -> str:
    if pi.tenant:
        return NO_DEPLOYMENT_TENANT % (pi.process_definition_key, pi.tenant, pi.id)
    return NO_DEPLOYMENT % (pi.process_definition_key, pi.id)


def check_none_start_event(c8: C8Definition) -> str | None:
    if any(not e.event_definitions for e in c8.model.process_start_events()):
        return None
    return NO_NONE_START_EVENT % (c8.process_definition_id, c8.version)


def check_start_listeners(c8: C8Definition, validation_type: str) -> str | None:
    """Every process-level start event needs a zeebe:executionListener whose `type` equals the
    validation type exactly (eventType not checked); `DISABLED` turns the check off."""
    if validation_type == DISABLED:
        return None
    for se in c8.model.process_start_events():
        if not any(lst.type == validation_type for lst in se.listeners):
            return NO_LISTENER % (validation_type, se.id, c8.process_definition_id, c8.version, validation_type)
    return None


def check_flow_node(node: FlowNode, c7_model: BpmnModel | None, c8_model: BpmnModel, root_id: str) -> str | None:
    activity_id = node.activity_id
    c7_el = c7_model.get(activity_id) if c7_model is not None else None
    if activity_id.endswith(MI_BODY_SUFFIX) or (c7_el is not None and c7_el.multi_instance):
        return MULTI_INSTANCE % activity_id.removesuffix(MI_BODY_SUFFIX)
    if c7_el is not None and c7_el.type == "parallelGateway":
        return JOINING_GATEWAY % (activity_id, root_id)
    c8_el = c8_model.get(activity_id)
    if c8_el is None:
        return ELEMENT_MISSING % activity_id
    if c8_el.type == "callActivity":
        for called in c8_el.called_elements:
            if (called.get("propagateAllParentVariables") or "").lower() == "false" and (
                LEGACY_ID not in c8_el.io_input_targets
            ):
                return CALL_ACTIVITY_PROPAGATION % activity_id
    return None


def validate_instance(
    pi: C7Instance,
    nodes: Sequence[FlowNode],
    c7_model: BpmnModel | None,
    c8: C8Definition | None,
    *,
    tenant_ids: Collection[str],
    validation_type: str,
    root_id: str,
) -> str | None:
    """All checks for one C7 process instance in the official order; the first failure wins.
    `c8` None means the C8 search found no definition."""
    reason = check_tenant(pi, tenant_ids)
    if reason:
        return reason
    if c8 is None:
        return no_deployment_reason(pi)
    reason = check_none_start_event(c8) or check_start_listeners(c8, validation_type)
    if reason:
        return reason
    for node in nodes:
        reason = check_flow_node(node, c7_model, c8.model, root_id)
        if reason:
            return reason
    return None


def validate_hierarchy(
    root_id: str,
    instances: Sequence[C7Instance],
    nodes_of: Callable[[C7Instance], Sequence[FlowNode]],
    c7_model_of: Callable[[C7Instance], BpmnModel | None],
    c8_of: Callable[[C7Instance], C8Definition | None],
    *,
    tenant_ids: Collection[str],
    validation_type: str,
) -> str | None:
    """Validate the root and every running called instance (ordered by id); first failure wins.

    The lookups are callables so the orchestrator can fetch lazily (C8 search only after the tenant
    check passed) and tests can pass real data directly."""
    for pi in instances:
        if check_tenant(pi, tenant_ids):
            return check_tenant(pi, tenant_ids)
        c8 = c8_of(pi)
        reason = validate_instance(
            pi, nodes_of(pi), c7_model_of(pi), c8,
            tenant_ids=tenant_ids, validation_type=validation_type, root_id=root_id,
        )
        if reason:
            return reason
    return None
