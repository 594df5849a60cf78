"""Shared rules of the history conversion (pure functions, no I/O).

Everything here follows shared/spec/history.md §1; where the official Data Migrator has a quirk
the function does the correct thing and docs/history-mapping.md lists the difference.
"""

from __future__ import annotations

import calendar
import functools
import json
import math
import re
import secrets
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree as ET

from ..config import Period

# --------------------------------------------------------------------------------------------
# constants

DEFAULT_TENANT = "<default>"
DEFAULT_PREFIX = "c7-legacy-"
LEGACY_TAG = "c7-legacy"  # the PI tag stays this constant whatever the prefix is
C7_MIGRATED = "C7_MIGRATED"  # placeholder for NULL values the C8 model requires (worker, entity key)
C7_NO_MESSAGE = "C7_NO_MESSAGE"
MULTI_INSTANCE_BODY = "#multiInstanceBody"
LEGACY_ID_VARIABLE = "legacyId"
DEFAULT_TTL = Period(days=180)  # code default of the official tool (the shipped YAML says P6M)

KEY_PARTITION = 4095
KEY_BASE = KEY_PARTITION << 51
KEY_SPACE = 1 << 51


class HistoryType(StrEnum):
    """TYPE values of MIGRATION_MAPPING for history entities (enum declaration order)."""

    HISTORY_PROCESS_DEFINITION = "HISTORY_PROCESS_DEFINITION"
    HISTORY_PROCESS_INSTANCE = "HISTORY_PROCESS_INSTANCE"
    HISTORY_INCIDENT = "HISTORY_INCIDENT"
    HISTORY_VARIABLE = "HISTORY_VARIABLE"
    HISTORY_USER_TASK = "HISTORY_USER_TASK"
    HISTORY_FLOW_NODE = "HISTORY_FLOW_NODE"
    HISTORY_DECISION_INSTANCE = "HISTORY_DECISION_INSTANCE"
    HISTORY_DECISION_DEFINITION = "HISTORY_DECISION_DEFINITION"
    HISTORY_DECISION_REQUIREMENT = "HISTORY_DECISION_REQUIREMENT"
    HISTORY_AUDIT_LOG = "HISTORY_AUDIT_LOG"
    HISTORY_FORM_DEFINITION = "HISTORY_FORM_DEFINITION"
    HISTORY_JOB = "HISTORY_JOB"
    HISTORY_EXTERNAL_TASK = "HISTORY_EXTERNAL_TASK"

    @property
    def display(self) -> str:
        return DISPLAY_NAMES[self]


DISPLAY_NAMES: dict[HistoryType, str] = {
    HistoryType.HISTORY_PROCESS_DEFINITION: "Historic Process Definition",
    HistoryType.HISTORY_PROCESS_INSTANCE: "Historic Process Instance",
    HistoryType.HISTORY_INCIDENT: "Historic Incident",
    HistoryType.HISTORY_VARIABLE: "Historic Variable",
    HistoryType.HISTORY_USER_TASK: "Historic User Task",
    HistoryType.HISTORY_FLOW_NODE: "Historic Flow Node",
    HistoryType.HISTORY_DECISION_INSTANCE: "Historic Decision Instance",
    HistoryType.HISTORY_DECISION_DEFINITION: "Historic Decision Definition",
    HistoryType.HISTORY_DECISION_REQUIREMENT: "Historic Decision Requirement",
    HistoryType.HISTORY_AUDIT_LOG: "Historic Audit Log",
    HistoryType.HISTORY_FORM_DEFINITION: "Historic Form Definition",
    HistoryType.HISTORY_JOB: "Historic Job",
    HistoryType.HISTORY_EXTERNAL_TASK: "Historic External Task",
}

# Official order of one pass (history.md §1.1).
MIGRATION_ORDER: tuple[HistoryType, ...] = (
    HistoryType.HISTORY_FORM_DEFINITION,
    HistoryType.HISTORY_PROCESS_DEFINITION,
    HistoryType.HISTORY_PROCESS_INSTANCE,
    HistoryType.HISTORY_FLOW_NODE,
    HistoryType.HISTORY_USER_TASK,
    HistoryType.HISTORY_VARIABLE,
    HistoryType.HISTORY_JOB,
    HistoryType.HISTORY_EXTERNAL_TASK,
    HistoryType.HISTORY_INCIDENT,
    HistoryType.HISTORY_DECISION_REQUIREMENT,
    HistoryType.HISTORY_DECISION_DEFINITION,
    HistoryType.HISTORY_DECISION_INSTANCE,
    HistoryType.HISTORY_AUDIT_LOG,
)


class Reason:
    """Official skip reason texts (history.md §1.14)."""

    MISSING_ROOT_PROCESS_INSTANCE = "Missing root process instance"
    MISSING_ROOT_PROCESS_INSTANCE_LEGACY_DATA = (
        "Missing root process instance ID. Was the process instance started before Camunda 7.11?"
    )
    MISSING_PARENT_PROCESS_INSTANCE = "Missing parent process instance"
    MISSING_PROCESS_DEFINITION = "Missing process definition"
    MISSING_PROCESS_INSTANCE = "Missing process instance"
    BELONGS_TO_SKIPPED_TASK = "Belongs to a skipped task"
    MISSING_SCOPE_KEY = "Missing scope key"
    MISSING_FLOW_NODE = "Missing flow node"
    CANNOT_DETERMINE_FLOW_NODE = (
        "Flow node cannot be determined. Possible causes: multi-instance or performed process instance modification."
    )
    MISSING_FORM = "Missing form"
    MISSING_PARENT_FLOW_NODE = "Missing parent flow node"
    MISSING_DECISION_REQUIREMENTS = "Missing decision requirements definition"
    MISSING_DECISION_DEFINITION = "Missing decision definition"
    UNSUPPORTED_SA_TASKS = "C7 standalone user tasks not supported in C8."
    UNSUPPORTED_CMMN_VARIABLES = "C7 CMMN variables not supported in C8."
    UNSUPPORTED_CMMN_TASKS = "C7 CMMN user tasks not supported in C8."
    MISSING_JOB_REFERENCE = "Missing job reference"
    UNSUPPORTED_JOBS = "Only async-before and async-after jobs are supported for migration."
    RESULT_FROM_OUTPUTS = "Failed to construct result JSON from outputs"
    RESULT_FROM_COLLECT_VALUE = "Failed to construct result JSON from collect value"


#: skip reasons starting so are about something missing, which a later migration may supply
#: (history.may_heal; in SQL: bulk_sql.may_heal_sql)
HEALING_REASON_PREFIXES = ("Missing ", "Parent ", Reason.BELONGS_TO_SKIPPED_TASK)


def required_field_null(field: str) -> str:
    return f"Required field [{field}] is null"


def deleted_in_c8(parent: HistoryType, c8_key: object) -> str:
    """`Parent <Display> with C8 key [<k>] has been deleted already in C8.` — for the orchestrator."""
    return f"Parent {parent.display} with C8 key [{c8_key}] has been deleted already in C8."


def deleted_in_c8_associated(parent: HistoryType, process_instance_key: object, flow_node_id: object) -> str:
    return (
        f"Parent {parent.display} with C8 process instance key [{process_instance_key}] "
        f"and flow node ID [{flow_node_id}] has been deleted already in C8."
    )


def interceptor_failed(interceptor_simple_name: str, c7_entity_class: str) -> str:
    return f"{interceptor_simple_name} failed for entity type '{c7_entity_class}'"


# --------------------------------------------------------------------------------------------
# settings shared by every conversion


def random_key() -> int:
    """A key like the official tool's: `(4095 << 51) + r`, r uniform in [0, 2^51)."""
    return KEY_BASE + secrets.randbelow(KEY_SPACE)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConvertSettings:
    """Run-wide settings every conversion context carries.

    prefix      `camunda.migrator.history.legacy-id-prefix` (validated by config)
    ttl         `…auto-cancel.cleanup.ttl`; None when `…cleanup.enabled=false`
    zone        zone in which C7 wrote its naive timestamps (`c7to8.time-zone`)
    partitions  C8 partition ids (configured count or topology)
    next_key    key allocation (store.keys.KeyAllocator in production)
    clock       "now" for auto-canceled instances; called once per entity
    char_column_size  C8 vendor `userCharColumn.size`: when set, decision RESULT / OUTPUT_VALUE /
                INPUT_VALUE longer than this are cut and the full text goes to FULL_RESULT /
                FULL_OUTPUT_VALUE / FULL_INPUT_VALUE (8.9.9+ columns); None = never cut (official)
    """

    prefix: str = DEFAULT_PREFIX
    ttl: Period | None = DEFAULT_TTL
    zone: tzinfo = UTC
    partitions: tuple[int, ...] = (1,)
    next_key: Callable[[], int] = random_key
    clock: Callable[[], datetime] = _utc_now
    char_column_size: int | None = None


# --------------------------------------------------------------------------------------------
# small value rules


def tenant(value: object) -> str:
    """C7 TENANT_ID_ null or "" → `<default>`, else unchanged."""
    if value is None or value == "":
        return DEFAULT_TENANT
    return str(value)


def prefixed(prefix: str, value: object) -> str | None:
    """Legacy-id prefix applied to a definition id; null stays null."""
    if value is None:
        return None
    return f"{prefix}{value}"


def strip_multi_instance(value: object) -> str | None:
    """Activity id without every `#multiInstanceBody`."""
    if value is None:
        return None
    return str(value).replace(MULTI_INSTANCE_BODY, "")


def as_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return int(value)
    return int(str(value).strip())


def as_text(value: object) -> str | None:
    """CLOB / BYTEA / str → str (UTF-8); None stays None."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8")
    return str(value)


def _truncate_ms(dt: datetime) -> datetime:
    return dt.replace(microsecond=(dt.microsecond // 1000) * 1000)


def to_c8_date(value: object, zone: tzinfo) -> datetime | None:
    """C7 timestamp → aware datetime (ms precision) at the same instant.

    C7 writes naive local timestamps; they are read in `zone` (the official tool uses the JVM's
    default zone). Aware values are converted to `zone`; None stays None.
    """
    if value is None:
        return None
    if type(value) is datetime and value.tzinfo is None:  # the common case: one replace()
        us = value.microsecond
        return value.replace(tzinfo=zone, microsecond=us - us % 1000)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    dt = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    return _truncate_ms(dt)


def now(settings: ConvertSettings) -> datetime:
    """Current wall clock in the configured zone, ms precision."""
    return _truncate_ms(settings.clock().astimezone(settings.zone))


def add_months(dt: datetime, months: int) -> datetime:
    """java.time semantics: add total months, clamp the day to the end of the target month."""
    if months == 0:
        return dt
    total = dt.year * 12 + (dt.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return dt.replace(year=year, month=month, day=day)


def add_period(dt: datetime, period: Period) -> datetime:
    """`OffsetDateTime.plus(Period)`: months (with end-of-month clamping) then days, fixed offset."""
    offset = dt.utcoffset()
    fixed = dt.astimezone(timezone(offset)) if offset is not None else dt
    out = add_months(fixed, period.total_months) + timedelta(days=period.days)
    return out.astimezone(dt.tzinfo) if dt.tzinfo is not None else out


def cleanup_date(end: datetime | None, c7_removal_time: object, settings: ConvertSettings) -> datetime | None:
    """HISTORY_CLEANUP_DATE: C7 REMOVAL_TIME_ if set (whatever the TTL), else end + TTL, else None."""
    removal = to_c8_date(c7_removal_time, settings.zone)
    if removal is not None:
        return removal
    if end is None or settings.ttl is None or settings.ttl.is_zero:
        return None
    return add_period(end, settings.ttl)


def partition_for(settings: ConvertSettings, c7_id: object) -> int:
    """Partition of a root process instance / standalone decision / audit log without root.

    The official tool draws it at random; c7to8 derives it from the C7 id (uniform, and stable:
    a retry, a rerun or another worker puts the same hierarchy on the same partition).
    """
    parts = settings.partitions or (1,)
    return parts[zlib.crc32(str(c7_id).encode("utf-8")) % len(parts)]


def java_string_hash(text: str) -> int:
    """java.lang.String#hashCode (UTF-16 code units, 32-bit signed)."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def java_double(value: float) -> str:
    """Java `Double.toString` (shortest repr digits; `1.0E7`, `1.0E-4`, `3.5`, `NaN`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    ds = "".join(str(d) for d in digits).rstrip("0") or "0"
    exp = int(exponent) + len(digits) - 1
    mantissa = ds[0] + "." + (ds[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{exp}"


def java_json(value: Any) -> str:
    """Compact JSON as Jackson writes it (doubles in Java notation)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{java_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(java_json(v) for v in value) + "]"
    raise TypeError(f"not JSON: {value!r}")


_JSON_DECODER = json.JSONDecoder()


def parse_json_prefix(text: str) -> Any:
    """First JSON value of `text`; trailing content is ignored (Jackson's default reader)."""
    value, _ = _JSON_DECODER.raw_decode(text.strip())
    return value


def json_string(text: str) -> str:
    """A JSON string literal, correctly escaped."""
    return json.dumps(text, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# tree paths (history.md §2.3, §2.4, §2.9)


def process_instance_tree_path(
    key: int,
    *,
    is_root: bool,
    parent_tree_path: str | None = None,
    root_key: int | None = None,
) -> str:
    """`PI_<root>/…/PI_<parent>/PI_<key>`: the parent's path plus this instance.

    The official tool writes at most two levels (`PI_<root>/PI_<key>`, even for a grand-child);
    c7to8 extends the parent's C8 TREE_PATH so every level of a call hierarchy is present.
    """
    if is_root:
        return f"PI_{key}"
    if parent_tree_path:
        return f"{parent_tree_path}/PI_{key}"
    if root_key is not None and root_key != key:
        return f"PI_{root_key}/PI_{key}"
    return f"PI_{key}"


def flow_node_tree_path(process_instance_key: int | None, flow_node_instance_key: int | None) -> str | None:
    if process_instance_key is None or flow_node_instance_key is None:
        return None
    return f"{process_instance_key}/{flow_node_instance_key}"


def incident_tree_path(process_instance_key: int | None, flow_node_instance_key: int | None) -> str | None:
    if process_instance_key is None:
        return None
    if flow_node_instance_key is None:
        return f"PI_{process_instance_key}"
    return f"PI_{process_instance_key}/FNI_{flow_node_instance_key}"


# --------------------------------------------------------------------------------------------
# BPMN / DMN model helpers (history.md §2.2, §2.5, §2.10, §2.12)

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


@functools.lru_cache(maxsize=32)
def _parse_xml(xml: str | bytes) -> ET.Element:
    """Parsed once per document (the same BPMN/DMN is asked for every task / decision instance);
    callers only read the tree."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return ET.fromstring(data)


def start_form_ref(bpmn_xml: str | bytes | None, process_key: str) -> str | None:
    """Raw `camunda:formRef` text of the process's start event (None for formKey / no form)."""
    if not bpmn_xml:
        return None
    root = _parse_xml(bpmn_xml)
    for process in root.iter():
        if _local(process.tag) != "process" or process.get("id") != process_key:
            continue
        for child in process:
            if _local(child.tag) == "startEvent":
                ref = child.get(f"{{{CAMUNDA_NS}}}formRef")
                if ref is not None:
                    return ref
    return None


@dataclass(frozen=True)
class FormRef:
    """A user task's Camunda-form link: `camunda:formRef` + binding (`latest` / `deployment` /
    `version`) + version. The orchestrator resolves it to a C7 form definition id (c7FormId)."""

    form_key: str
    binding: str | None
    version: int | None


def user_task_form_ref(bpmn_xml: str | bytes | None, task_definition_key: str | None) -> FormRef | None:
    """The form link of a user task, only when `formRef` and a binding or version are set.

    An expression (`${x}`) is returned literally, so it resolves to no form, as in the official tool.
    A `formRefVersion` that is not an integer yields version None (the official tool aborts).
    """
    if not bpmn_xml or not task_definition_key:
        return None
    root = _parse_xml(bpmn_xml)
    for el in root.iter():
        if el.get("id") != task_definition_key:
            continue
        ref = el.get(f"{{{CAMUNDA_NS}}}formRef")
        binding = el.get(f"{{{CAMUNDA_NS}}}formRefBinding")
        version_text = el.get(f"{{{CAMUNDA_NS}}}formRefVersion")
        if ref is None or (binding is None and version_text is None):
            return None
        try:
            version = int(version_text) if version_text is not None else None
        except ValueError:
            version = None
        return FormRef(ref, binding, version)
    return None


@dataclass(frozen=True)
class DecisionInfo:
    """What the decision-instance conversion needs from the DMN: C8 decision type and rule ids."""

    decision_type: str | None  # DECISION_TABLE / LITERAL_EXPRESSION / None
    rule_ids: tuple[str, ...] = ()

    def rule_index(self, rule_id: object) -> int:
        """1-based position of the rule in the table; 1 when unknown (official behaviour)."""
        if rule_id and self.decision_type == "DECISION_TABLE":
            try:
                return self.rule_ids.index(str(rule_id)) + 1
            except ValueError:
                return 1
        return 1


def decision_key_info(decisions: Mapping[str, DecisionInfo], decision_key: object) -> DecisionInfo:
    """DecisionInfo of a decision key; type None when the DMN has no such decision."""
    return decisions.get(str(decision_key), DecisionInfo(None))


@dataclass(frozen=True)
class DmnInfo:
    definitions_id: str | None
    decisions: Mapping[str, DecisionInfo]


def parse_dmn(dmn_xml: str | bytes) -> DmnInfo:
    root = _parse_xml(dmn_xml)
    decisions: dict[str, DecisionInfo] = {}
    for el in root.iter():
        if _local(el.tag) != "decision":
            continue
        decision_id = el.get("id")
        if not decision_id:
            continue
        kind: str | None = None
        rules: tuple[str, ...] = ()
        for child in el:
            name = _local(child.tag)
            if name == "decisionTable":
                kind = "DECISION_TABLE"
                rules = tuple(r.get("id") or "" for r in child if _local(r.tag) == "rule")
                break
            if name == "literalExpression":
                kind = "LITERAL_EXPRESSION"
                break
        decisions[decision_id] = DecisionInfo(kind if kind else "DECISION_TABLE", rules)
    return DmnInfo(root.get("id"), decisions)


_DECISION_TAG = re.compile(r"<(?:[\w.-]+:)?decision(?=[\s/>])[^>]*>")
_REQUIRED_DECISION_TAG = re.compile(r"<(?:[\w.-]+:)?requiredDecision(?=[\s/>])[^>]*>")
_SHAPE_TAG = re.compile(r"<(?:[\w.-]+:)?DMNShape(?=[\s/>])[^>]*>")
_ID_ATTR = re.compile(r"(?<=\s)id(\s*=\s*)([\"'])(.*?)\2", re.S)
_HREF_ATTR = re.compile(r"(?<=\s)href(\s*=\s*)([\"'])#(.*?)\2", re.S)
_REF_ATTR = re.compile(r"(?<=\s)dmnElementRef(\s*=\s*)([\"'])(.*?)\2", re.S)


def rewrite_dmn(dmn_xml: str, prefix: str) -> str:
    """Prefix decision ids, `requiredDecision` hrefs and `DMNShape` element refs (history.md §2.10).

    Only those attribute values change; the rest of the document is kept byte for byte (the
    official tool re-serializes the whole model). As officially, every DMNShape ref is prefixed,
    also those of inputData / knowledgeSource shapes; DMNEdge is left alone.
    """

    def fix(attr: re.Pattern[str], name: str, hash_: bool) -> Callable[[re.Match[str]], str]:
        def tag(m: re.Match[str]) -> str:
            def value(a: re.Match[str]) -> str:
                v = a.group(3)
                if not v or v.startswith(prefix):
                    return a.group(0)
                return f"{name}{a.group(1)}{a.group(2)}{'#' if hash_ else ''}{prefix}{v}{a.group(2)}"

            return attr.sub(value, m.group(0), count=1)

        return tag

    out = _DECISION_TAG.sub(fix(_ID_ATTR, "id", False), dmn_xml)
    out = _REQUIRED_DECISION_TAG.sub(fix(_HREF_ATTR, "href", True), out)
    return _SHAPE_TAG.sub(fix(_REF_ATTR, "dmnElementRef", False), out)
