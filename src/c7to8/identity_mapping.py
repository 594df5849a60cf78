"""The C7 -> C8 authorization mapping, as data (identity.md §6), plus the pure mapping function.

Everything a reviewer needs to check is in the tables at the top of this module:

* `C7_RESOURCES`: C7 resource type int -> (enum name, display name used in messages)
* `C7_PERMISSIONS`: permission enums (name -> bit value) and, for the generic enum, the resources
  each permission applies to
* `RESOURCE_MAPPING`: per supported C7 resource the C8 resource type, whether specific resource
  ids are allowed, how ids map, and C7 permission -> C8 permissions (`ALL` = every permission the
  target C8 version supports for that resource type)
* `C8_ALL_PERMISSIONS`: "every permission" per C8 resource type and C8 version

`map_authorization` applies the official checks in order and returns either the C8
authorizations to create or the official skip reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .c8.rest import Unreachable

# ---------------------------------------------------------------------------------------------
# C7 resources (org.camunda.bpm.engine.authorization.Resources); display names are C7's, incl. typos
# ---------------------------------------------------------------------------------------------
C7_RESOURCES: dict[int, tuple[str, str]] = {
    0: ("APPLICATION", "Application"),
    1: ("USER", "User"),
    2: ("GROUP", "Group"),
    3: ("GROUP_MEMBERSHIP", "Group membership"),
    4: ("AUTHORIZATION", "Authorization"),
    5: ("FILTER", "Filter"),
    6: ("PROCESS_DEFINITION", "ProcessDefinition"),
    7: ("TASK", "Task"),
    8: ("PROCESS_INSTANCE", "ProcessInstance"),
    9: ("DEPLOYMENT", "Deployment"),
    10: ("DECISION_DEFINITION", "DecisionDefinition"),
    11: ("TENANT", "Tenant"),
    12: ("TENANT_MEMBERSHIP", "TenantMembership"),
    13: ("BATCH", "Batch"),
    14: ("DECISION_REQUIREMENTS_DEFINITION", "DecisionRequirementsDefinition"),
    15: ("REPORT", "Report"),
    16: ("DASHBOARD", "Dashboard"),
    17: ("OPERATION_LOG_CATEGORY", "OperationLogCatgeory"),
    18: ("OPTIMIZE", "Optimize"),
    19: ("HISTORIC_TASK", "HistoricTask"),
    20: ("HISTORIC_PROCESS_INSTANCE", "HistoricProcessInstance"),
    21: ("SYSTEM", "System"),
}

AUTH_GLOBAL, AUTH_GRANT, AUTH_REVOKE = 0, 1, 2
ALL_BITS = 2147483647

# ---------------------------------------------------------------------------------------------
# C7 permission enums: (name, value) in declaration order (NONE and ALL handled separately)
# ---------------------------------------------------------------------------------------------
GENERIC_PERMISSIONS: tuple[tuple[str, int, frozenset[str]], ...] = (
    # name, value, resources it applies to
    ("READ", 2, frozenset({
        "AUTHORIZATION", "BATCH", "DASHBOARD", "DECISION_DEFINITION", "DECISION_REQUIREMENTS_DEFINITION",
        "DEPLOYMENT", "FILTER", "GROUP", "PROCESS_DEFINITION", "PROCESS_INSTANCE", "REPORT", "TASK", "TENANT",
        "USER"})),
    ("UPDATE", 4, frozenset({
        "AUTHORIZATION", "BATCH", "DASHBOARD", "DECISION_DEFINITION", "FILTER", "GROUP", "PROCESS_DEFINITION",
        "PROCESS_INSTANCE", "REPORT", "TASK", "TENANT", "USER"})),
    ("CREATE", 8, frozenset({
        "AUTHORIZATION", "BATCH", "DASHBOARD", "DEPLOYMENT", "FILTER", "GROUP", "GROUP_MEMBERSHIP",
        "PROCESS_INSTANCE", "REPORT", "TASK", "TENANT", "TENANT_MEMBERSHIP", "USER"})),
    ("DELETE", 16, frozenset({
        "AUTHORIZATION", "BATCH", "DASHBOARD", "DEPLOYMENT", "FILTER", "GROUP", "GROUP_MEMBERSHIP",
        "PROCESS_DEFINITION", "PROCESS_INSTANCE", "REPORT", "TASK", "TENANT", "TENANT_MEMBERSHIP", "USER"})),
    ("ACCESS", 32, frozenset({"APPLICATION"})),
    ("READ_TASK", 64, frozenset({"PROCESS_DEFINITION"})),
    ("UPDATE_TASK", 128, frozenset({"PROCESS_DEFINITION"})),
    ("CREATE_INSTANCE", 256, frozenset({"DECISION_DEFINITION", "PROCESS_DEFINITION"})),
    ("READ_INSTANCE", 512, frozenset({"PROCESS_DEFINITION"})),
    ("UPDATE_INSTANCE", 1024, frozenset({"PROCESS_DEFINITION"})),
    ("DELETE_INSTANCE", 2048, frozenset({"PROCESS_DEFINITION"})),
    ("READ_HISTORY", 4096, frozenset({"BATCH", "DECISION_DEFINITION", "PROCESS_DEFINITION", "TASK"})),
    ("DELETE_HISTORY", 8192, frozenset({"BATCH", "DECISION_DEFINITION", "PROCESS_DEFINITION"})),
    ("TASK_WORK", 16384, frozenset({"PROCESS_DEFINITION", "TASK"})),
    ("TASK_ASSIGN", 32768, frozenset({"PROCESS_DEFINITION", "TASK"})),
    ("MIGRATE_INSTANCE", 65536, frozenset({"PROCESS_DEFINITION"})),
)

BATCH_PERMISSIONS: tuple[tuple[str, int], ...] = (
    ("READ", 2), ("UPDATE", 4), ("CREATE", 8), ("DELETE", 16),
    ("CREATE_BATCH_MIGRATE_PROCESS_INSTANCES", 32), ("CREATE_BATCH_MODIFY_PROCESS_INSTANCES", 64),
    ("CREATE_BATCH_RESTART_PROCESS_INSTANCES", 128), ("CREATE_BATCH_DELETE_RUNNING_PROCESS_INSTANCES", 256),
    ("CREATE_BATCH_DELETE_FINISHED_PROCESS_INSTANCES", 512), ("CREATE_BATCH_DELETE_DECISION_INSTANCES", 1024),
    ("CREATE_BATCH_SET_JOB_RETRIES", 2048), ("READ_HISTORY", 4096), ("DELETE_HISTORY", 8192),
    ("CREATE_BATCH_SET_EXTERNAL_TASK_RETRIES", 16384), ("CREATE_BATCH_UPDATE_PROCESS_INSTANCES_SUSPEND", 32768),
    ("CREATE_BATCH_SET_REMOVAL_TIME", 65536), ("CREATE_BATCH_SET_VARIABLES", 131072),
    ("CREATE_BATCH_CORRELATE_MESSAGE", 262144),
)
SYSTEM_PERMISSIONS: tuple[tuple[str, int], ...] = (("READ", 2), ("SET", 4), ("DELETE", 8))
PROCESS_DEFINITION_PERMISSIONS: tuple[tuple[str, int], ...] = (
    ("READ", 2), ("UPDATE", 4), ("DELETE", 16), ("RETRY_JOB", 32), ("READ_TASK", 64), ("UPDATE_TASK", 128),
    ("CREATE_INSTANCE", 256), ("READ_INSTANCE", 512), ("UPDATE_INSTANCE", 1024), ("DELETE_INSTANCE", 2048),
    ("READ_HISTORY", 4096), ("DELETE_HISTORY", 8192), ("TASK_WORK", 16384), ("TASK_ASSIGN", 32768),
    ("MIGRATE_INSTANCE", 65536), ("SUSPEND_INSTANCE", 131072), ("UPDATE_INSTANCE_VARIABLE", 262144),
    ("UPDATE_TASK_VARIABLE", 524288), ("SUSPEND", 1048576), ("READ_INSTANCE_VARIABLE", 2097152),
    ("READ_HISTORY_VARIABLE", 4194304), ("READ_TASK_VARIABLE", 8388608), ("UPDATE_HISTORY", 16777216),
)
SPECIFIC_PERMISSIONS: dict[str, tuple[tuple[str, int], ...]] = {
    "BATCH": BATCH_PERMISSIONS,
    "SYSTEM": SYSTEM_PERMISSIONS,
    "PROCESS_DEFINITION": PROCESS_DEFINITION_PERMISSIONS,
}

# ---------------------------------------------------------------------------------------------
# C8: every permission per resource type ("ALL"), per target version
# ---------------------------------------------------------------------------------------------
_ALL_8_10: dict[str, tuple[str, ...]] = {
    "COMPONENT": ("ACCESS",),
    "AUTHORIZATION": ("CREATE", "DELETE", "READ", "UPDATE"),
    "GROUP": ("CREATE", "DELETE", "READ", "UPDATE"),
    "TENANT": ("CREATE", "DELETE", "READ", "UPDATE"),
    "USER": ("CREATE", "DELETE", "READ", "UPDATE"),
    "SYSTEM": ("READ", "READ_JOB_METRIC", "READ_USAGE_METRIC", "UPDATE"),
    "BATCH": (
        "CREATE", "CREATE_BATCH_OPERATION_CANCEL_PROCESS_INSTANCE", "CREATE_BATCH_OPERATION_DELETE_DECISION_DEFINITION",
        "CREATE_BATCH_OPERATION_DELETE_DECISION_INSTANCE", "CREATE_BATCH_OPERATION_DELETE_PROCESS_DEFINITION",
        "CREATE_BATCH_OPERATION_DELETE_PROCESS_INSTANCE", "CREATE_BATCH_OPERATION_MIGRATE_PROCESS_INSTANCE",
        "CREATE_BATCH_OPERATION_MODIFY_PROCESS_INSTANCE", "CREATE_BATCH_OPERATION_RESOLVE_INCIDENT",
        "CREATE_BATCH_OPERATION_SUSPEND_PROCESS_INSTANCE", "CREATE_BATCH_OPERATION_UPDATE_JOB", "READ", "UPDATE",
    ),
    "DECISION_DEFINITION": (
        "CREATE_DECISION_INSTANCE", "DELETE_DECISION_INSTANCE", "READ_DECISION_DEFINITION", "READ_DECISION_INSTANCE",
    ),
    "DECISION_REQUIREMENTS_DEFINITION": ("READ",),
    "PROCESS_DEFINITION": (
        "CANCEL_PROCESS_INSTANCE", "CLAIM_USER_TASK", "COMPLETE_USER_TASK", "CREATE_PROCESS_INSTANCE",
        "DELETE_PROCESS_INSTANCE", "MODIFY_PROCESS_INSTANCE", "READ_PROCESS_DEFINITION", "READ_PROCESS_INSTANCE",
        "READ_USER_TASK", "SUSPEND_PROCESS_INSTANCE", "UPDATE_PROCESS_INSTANCE", "UPDATE_USER_TASK",
    ),
    "RESOURCE": ("CREATE", "DELETE_DRD", "DELETE_FORM", "DELETE_PROCESS", "DELETE_RESOURCE", "READ"),
}
_NOT_IN_8_9 = {  # permission names the 8.9 REST API (PermissionTypeEnum) does not know
    "CREATE_BATCH_OPERATION_SUSPEND_PROCESS_INSTANCE", "CREATE_BATCH_OPERATION_UPDATE_JOB", "SUSPEND_PROCESS_INSTANCE",
}
C8_ALL_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "8.10": _ALL_8_10,
    "8.9": {r: tuple(p for p in ps if p not in _NOT_IN_8_9) for r, ps in _ALL_8_10.items()},
}
DEFAULT_C8_VERSION = "8.9"

ALL = "ALL"  # in RESOURCE_MAPPING permission targets: every permission of the C8 resource type


# ---------------------------------------------------------------------------------------------
# The mapping table (identity.md §6.3)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceRule:
    c8_resource: str
    explicit_ids: bool
    id_mapping: str  # "identity" | "application" | "definition" | "deployment"
    permissions: Mapping[str, tuple[str, ...]]  # C7 permission -> C8 permissions ("ALL" = every one)


_CRUD = {"ALL": (ALL,), "READ": ("READ",), "UPDATE": ("UPDATE",), "CREATE": ("CREATE",), "DELETE": ("DELETE",)}

RESOURCE_MAPPING: dict[str, ResourceRule] = {
    "APPLICATION": ResourceRule("COMPONENT", True, "application", {"ALL": (ALL,), "ACCESS": (ALL,)}),
    "AUTHORIZATION": ResourceRule("AUTHORIZATION", False, "identity", _CRUD),
    "GROUP": ResourceRule("GROUP", True, "identity", _CRUD),
    "GROUP_MEMBERSHIP": ResourceRule("GROUP", True, "identity", {"ALL": ("UPDATE",)}),
    "SYSTEM": ResourceRule("SYSTEM", False, "identity", {"ALL": (ALL,), "READ": ("READ", "READ_USAGE_METRIC")}),
    "BATCH": ResourceRule("BATCH", False, "identity", {
        "ALL": (ALL,), "READ": ("READ",), "UPDATE": ("UPDATE",), "CREATE": ("CREATE",),
        "CREATE_BATCH_MIGRATE_PROCESS_INSTANCES": ("CREATE_BATCH_OPERATION_MIGRATE_PROCESS_INSTANCE",),
        "CREATE_BATCH_MODIFY_PROCESS_INSTANCES": ("CREATE_BATCH_OPERATION_MODIFY_PROCESS_INSTANCE",),
        "CREATE_BATCH_DELETE_RUNNING_PROCESS_INSTANCES": (
            "CREATE_BATCH_OPERATION_CANCEL_PROCESS_INSTANCE", "CREATE_BATCH_OPERATION_DELETE_PROCESS_INSTANCE"),
        "CREATE_BATCH_DELETE_FINISHED_PROCESS_INSTANCES": ("CREATE_BATCH_OPERATION_DELETE_PROCESS_INSTANCE",),
        "CREATE_BATCH_DELETE_DECISION_INSTANCES": ("CREATE_BATCH_OPERATION_DELETE_DECISION_INSTANCE",),
    }),
    "TENANT": ResourceRule("TENANT", True, "identity", _CRUD),
    "TENANT_MEMBERSHIP": ResourceRule("TENANT", True, "identity", {"ALL": ("UPDATE",)}),
    "USER": ResourceRule("USER", True, "identity", _CRUD),
    "DECISION_DEFINITION": ResourceRule("DECISION_DEFINITION", True, "definition", {
        "ALL": (ALL,), "READ": ("READ_DECISION_DEFINITION", "READ_DECISION_INSTANCE"),
        "CREATE_INSTANCE": ("CREATE_DECISION_INSTANCE",),
    }),
    "DECISION_REQUIREMENTS_DEFINITION": ResourceRule(
        "DECISION_REQUIREMENTS_DEFINITION", True, "identity", {"ALL": (ALL,), "READ": (ALL,)}),
    "PROCESS_DEFINITION": ResourceRule("PROCESS_DEFINITION", True, "definition", {
        "ALL": (ALL,), "READ": ("READ_PROCESS_DEFINITION",), "CREATE_INSTANCE": ("CREATE_PROCESS_INSTANCE",),
        "READ_INSTANCE": ("READ_PROCESS_INSTANCE",), "UPDATE_INSTANCE": ("UPDATE_PROCESS_INSTANCE",),
        "DELETE_INSTANCE": ("DELETE_PROCESS_INSTANCE",), "READ_TASK": ("READ_USER_TASK",),
        "UPDATE_TASK": ("UPDATE_USER_TASK",),
    }),
    "DEPLOYMENT": ResourceRule("RESOURCE", True, "deployment", {
        "ALL": (ALL,), "READ": ("READ",), "CREATE": ("CREATE",),
        "DELETE": ("DELETE_RESOURCE", "DELETE_PROCESS", "DELETE_DRD", "DELETE_FORM"),
    }),
}
"""C7 resources missing here (FILTER, TASK, PROCESS_INSTANCE, REPORT, DASHBOARD, OPERATION_LOG_CATEGORY,
OPTIMIZE, HISTORIC_TASK, HISTORIC_PROCESS_INSTANCE) are skipped as unsupported."""

APPLICATION_IDS: dict[str, str] = {"*": "*", "cockpit": "operate", "tasklist": "tasklist", "admin": "admin"}

# ---------------------------------------------------------------------------------------------
# Official skip reasons
# ---------------------------------------------------------------------------------------------
GLOBAL_REVOKE = "GLOBAL and REVOKE authorization types are not supported"
RESOURCE_UNSUPPORTED = "Resource type [%s] is not supported"
PERMISSION_UNSUPPORTED = "Permission type [%s] is not supported for resource type [%s]"
SPECIFIC_ID_UNSUPPORTED = "Specific resource ID [%s] is not supported for resource type [%s], only wildcard is allowed"
OWNER_MISSING = "User or group does not exist in C8"
RESOURCE_ID_UNSUPPORTED = "Resource ID [%s] is not supported for resource type [%s]"
UNEXPECTED = "Unexpected error occurred while mapping authorization [%s]: %s"


# ---------------------------------------------------------------------------------------------
# Decoding and mapping (pure)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class C7Authorization:
    id: str
    type: int
    user_id: str | None
    group_id: str | None
    resource_type: int
    resource_id: str | None
    perms: int

    @property
    def owner_type(self) -> str:
        return "USER" if (self.user_id or "").strip() else "GROUP"

    @property
    def owner_id(self) -> str:
        return (self.user_id if self.owner_type == "USER" else self.group_id) or ""

    @property
    def resource_name(self) -> str:
        """C7 display name, or the number for a resource type C7 does not know (custom plugins)."""
        r = C7_RESOURCES.get(self.resource_type)
        return r[1] if r else str(self.resource_type)


def decode_permissions(resource: str, perms: int) -> list[str]:
    """C7 permission names present in PERMS_ for a resource, in enum declaration order.
    `["ALL"]` when all 31 bits are set; `NONE` is never returned."""
    if perms & ALL_BITS == ALL_BITS:
        return [ALL]
    specific = SPECIFIC_PERMISSIONS.get(resource)
    if specific is not None:
        return [n for n, v in specific if perms & v == v]
    return [n for n, v, applies in GENERIC_PERMISSIONS if resource in applies and perms & v == v]


@dataclass(frozen=True)
class MappedAuthorization:
    owner_id: str
    owner_type: str
    resource_type: str
    resource_ids: tuple[str, ...]
    permission_types: tuple[str, ...]

    def payloads(self) -> list[dict[str, object]]:
        """One `POST /v2/authorizations` body per resource id."""
        return [
            {
                "ownerId": self.owner_id,
                "ownerType": self.owner_type,
                "resourceId": rid,
                "resourceType": self.resource_type,
                "permissionTypes": list(self.permission_types),
            }
            for rid in self.resource_ids
        ]


@dataclass(frozen=True)
class AuthorizationSkip:
    reason: str


def c8_permissions(rule: ResourceRule, c7_permissions: Sequence[str], c8_version: str) -> tuple[str, ...]:
    all_perms = C8_ALL_PERMISSIONS[c8_version][rule.c8_resource]
    out: set[str] = set()
    for p in c7_permissions:
        for target in rule.permissions[p]:
            out.update(all_perms if target == ALL else (target,))
    return tuple(sorted(out))


def map_resource_ids(rule: ResourceRule, resource_id: str, prefix: str,
                     deployment_keys: Callable[[str], Sequence[str]]) -> tuple[str, ...]:
    if rule.id_mapping == "application":
        mapped = APPLICATION_IDS.get(resource_id)
        return (mapped,) if mapped else ()
    if rule.id_mapping == "identity" or resource_id == "*":
        return (resource_id,)
    keys = [resource_id] if rule.id_mapping == "definition" else list(deployment_keys(resource_id))
    out: list[str] = []
    for k in keys:
        for rid in (k, prefix + k):
            if rid not in out:
                out.append(rid)
    return tuple(out)


def map_authorization(
    auth: C7Authorization,
    owner_exists: Callable[[C7Authorization], bool],
    deployment_keys: Callable[[str], Sequence[str]],
    *,
    prefix: str = "c7-legacy-",
    c8_version: str = DEFAULT_C8_VERSION,
) -> MappedAuthorization | AuthorizationSkip:
    """The official checks in order (identity.md §6.2); the first failure is the skip reason.
    `owner_exists` and `deployment_keys` are the only lookups (C8 REST / C7 DB)."""
    if auth.type != AUTH_GRANT:
        return AuthorizationSkip(GLOBAL_REVOKE)
    resource = C7_RESOURCES.get(auth.resource_type)
    rule = RESOURCE_MAPPING.get(resource[0]) if resource else None
    if resource is None or rule is None:
        return AuthorizationSkip(RESOURCE_UNSUPPORTED % auth.resource_name)
    name = resource[1]
    c7_perms = decode_permissions(resource[0], auth.perms)
    for p in c7_perms:
        if p not in rule.permissions:
            return AuthorizationSkip(PERMISSION_UNSUPPORTED % (p, name))
    resource_id = auth.resource_id or ""
    if resource_id != "*" and not rule.explicit_ids:
        return AuthorizationSkip(SPECIFIC_ID_UNSUPPORTED % (resource_id, name))
    try:
        if not auth.owner_id.strip() or not owner_exists(auth):
            return AuthorizationSkip(OWNER_MISSING)
        ids = map_resource_ids(rule, resource_id, prefix, deployment_keys)
    except Unreachable:
        raise  # Camunda 8 offline aborts the run (official)
    except Exception as exc:  # noqa: BLE001 - official: any error while mapping becomes the skip reason
        return AuthorizationSkip(UNEXPECTED % (auth.id, exc))
    if not ids:
        return AuthorizationSkip(RESOURCE_ID_UNSUPPORTED % (resource_id, name))
    return MappedAuthorization(auth.owner_id, auth.owner_type, rule.c8_resource, ids,
                               c8_permissions(rule, c7_perms, c8_version))
