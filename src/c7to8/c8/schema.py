"""The Camunda 8.9 RDBMS secondary-storage schema, in SQLAlchemy Core.

Transcribed (not copied) from the Liquibase changelog of ``camunda/camunda``
(``db/rdbms-schema/.../changesets/8.9.0.xml``, ``8.9.9.xml``, ``8.9.14.xml``) and the vendor
properties; see ``docs/c8-schema.md`` for provenance and what could not be confirmed.

Naming: every table, index, primary-key and foreign-key name is ``<prefix><NAME>`` and is emitted
**unquoted**, exactly like Liquibase does. PostgreSQL therefore folds it to lower case
(``process_instance``), Oracle/H2 to upper case, MariaDB/MySQL keep it as written. Python code
always uses the upper-case names: ``table(md, "PROCESS_INSTANCE").c.PROCESS_INSTANCE_KEY``.

API::

    md = c8_metadata(prefix="", vendor="postgresql")   # cached per (prefix, vendor)
    t = table(md, "PROCESS_INSTANCE")
    create_c8_schema(engine, prefix="")                 # idempotent
    drop_c8_schema(engine, prefix="")                   # tests
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import quoted_name
from sqlalchemy.types import TypeEngine

from c7to8 import dialects
from c7to8.dialects.base import C8Dialect, PartialIndexKind

__all__ = [
    "C8_SCHEMA_VERSION",
    "TABLE_NAMES",
    "c8_metadata",
    "create_c8_schema",
    "drop_c8_schema",
    "existing_c8_tables",
    "table",
]

#: the Camunda version whose schema this module creates
C8_SCHEMA_VERSION = "8.9.14"

# Column kinds: "key" BIGINT, "uc" VARCHAR(userCharColumnSize), "err" VARCHAR(errorMessageSize),
# "tree" VARCHAR(treePathSize), "vv" VARCHAR(8192) (Oracle 4000), "clob", "ts" TIMESTAMP WITH TIME
# ZONE(3), "dt" DATETIME, "num" NUMBER, "small" SMALLINT, "int" INT, "dbl" DOUBLE, "bool" BOOLEAN,
# "blob" BLOB, or an int n for a fixed VARCHAR(n).
Kind = str | int
Source = Literal["8.9.0", "8.9.9", "8.9.14", "8.9.0*"]


@dataclass(frozen=True)
class Col:
    name: str
    kind: Kind
    nullable: bool = True
    default: str | None = None
    #: changelog file that adds the column; "8.9.0*" = released 8.9.0 per other evidence (docs)
    source: Source = "8.9.0"


@dataclass(frozen=True)
class Idx:
    name: str
    columns: tuple[str, ...]
    partial: PartialIndexKind | None = None
    source: Source = "8.9.0"


@dataclass(frozen=True)
class Fk:
    column: str
    name: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Col, ...]
    pk: tuple[str, ...] = ()
    fks: tuple[Fk, ...] = ()
    indexes: tuple[Idx, ...] = field(default_factory=tuple)


def _c(spec: str) -> tuple[Col, ...]:
    """Parse ``"NAME kind, NAME kind!, ..."`` (``!`` = NOT NULL) into columns."""
    out: list[Col] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, kind = part.split()
        nullable = not kind.endswith("!")
        kind = kind.rstrip("!")
        out.append(Col(name, int(kind) if kind.isdigit() else kind, nullable))
    return tuple(out)


def _i(name: str, *columns: str, partial: PartialIndexKind | None = None, source: Source = "8.9.0") -> Idx:
    return Idx(name, columns, partial, source)


def _rpi(prefix: str) -> tuple[Idx, Idx]:
    return (_i(f"{prefix}_PI_KEY", "PROCESS_INSTANCE_KEY"), _i(f"{prefix}_RPI_KEY", "ROOT_PROCESS_INSTANCE_KEY"))


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "EXPORTER_POSITION",
        _c("PARTITION_ID num, EXPORTER 200, LAST_EXPORTED_POSITION key, CREATED dt, LAST_UPDATED dt"),
        pk=("PARTITION_ID",),
    ),
    TableSpec(
        "PROCESS_DEFINITION",
        _c(
            "PROCESS_DEFINITION_KEY key, PROCESS_DEFINITION_ID uc, NAME uc, RESOURCE_NAME uc, BPMN_XML clob,"
            " TENANT_ID uc, VERSION small, VERSION_TAG uc, FORM_ID uc"
        )
        + (Col("STATE", 20, source="8.9.14"),),
        pk=("PROCESS_DEFINITION_KEY",),
        indexes=(_i("IDX_PROCESS_DEFINITION_ID", "PROCESS_DEFINITION_ID"),),
    ),
    TableSpec(
        "PROCESS_INSTANCE",
        _c(
            "PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key, PROCESS_DEFINITION_ID uc,"
            " PROCESS_DEFINITION_KEY key, STATE 20, START_DATE ts, END_DATE ts, TENANT_ID uc,"
            " PARENT_PROCESS_INSTANCE_KEY key, PARENT_ELEMENT_INSTANCE_KEY key, NUM_INCIDENTS small,"
            " VERSION small, PARTITION_ID num, TREE_PATH tree, HISTORY_CLEANUP_DATE ts"
        )
        + (Col("BUSINESS_ID", "uc", source="8.9.0*"),),
        pk=("PROCESS_INSTANCE_KEY",),
        indexes=(
            _i("IDX_PROCESS_INSTANCE_HIST", "PARTITION_ID", "HISTORY_CLEANUP_DATE"),
            _i("IDX_PROCESS_INSTANCE_PD_KEY", "PROCESS_DEFINITION_KEY"),
            _i("IDX_ROOT_PROCESS_INSTANCE_KEY", "ROOT_PROCESS_INSTANCE_KEY"),
            _i("IDX_PROCESS_INSTANCE_STATE_ACTIVE", "STATE", partial="state_active"),
            _i("IDX_PROCESS_INSTANCE_START_DATE", "START_DATE"),
        ),
    ),
    TableSpec(
        "PROCESS_INSTANCE_TAG",
        _c("PROCESS_INSTANCE_KEY key, TAG_VALUE uc"),
        pk=("PROCESS_INSTANCE_KEY", "TAG_VALUE"),
        fks=(
            Fk(
                "PROCESS_INSTANCE_KEY",
                "FK_PROCESS_INSTANCE_TAG_PROCESS_INSTANCE",
                "PROCESS_INSTANCE",
                "PROCESS_INSTANCE_KEY",
            ),
        ),
        indexes=(_i("IDX_PROCESS_INSTANCE_TAG_KEY", "PROCESS_INSTANCE_KEY"),),
    ),
    TableSpec(
        "VARIABLE",
        _c(
            "VAR_KEY key, PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key, PROCESS_DEFINITION_ID uc,"
            " SCOPE_KEY key, TYPE 255, VAR_NAME uc, DOUBLE_VALUE dbl, LONG_VALUE key, VAR_VALUE vv,"
            " VAR_FULL_VALUE clob, TENANT_ID uc, IS_PREVIEW bool, PARTITION_ID num, ELEMENT_INSTANCE_KEY key"
        ),
        pk=("VAR_KEY",),
        indexes=(
            _i("IDX_VARIABLE_PROCESS_INSTANCE_KEY", "PROCESS_INSTANCE_KEY"),
            _i("IDX_VARIABLE_ROOT_PROCESS_INSTANCE_KEY", "ROOT_PROCESS_INSTANCE_KEY"),
            _i("IDX_VARIABLE_TENANT_ID", "TENANT_ID"),
            _i("IDX_VARIABLE_NAME", "VAR_NAME"),
        ),
    ),
    TableSpec(
        "FLOW_NODE_INSTANCE",
        _c(
            "FLOW_NODE_INSTANCE_KEY key, FLOW_NODE_ID uc, FLOW_NODE_NAME uc, FLOW_NODE_SCOPE_KEY key,"
            " PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key, PROCESS_DEFINITION_ID uc,"
            " PROCESS_DEFINITION_KEY key, TYPE 100, STATE 20, START_DATE ts, END_DATE ts, TREE_PATH tree,"
            " TENANT_ID uc, INCIDENT_KEY key, NUM_SUBPROCESS_INCIDENTS small, PARTITION_ID num"
        ),
        pk=("FLOW_NODE_INSTANCE_KEY",),
        indexes=(
            _i("IDX_FLOW_NODE_INSTANCE_PI_KEY", "PROCESS_INSTANCE_KEY"),
            _i("IDX_FLOW_NODE_INSTANCE_RPI_KEY", "ROOT_PROCESS_INSTANCE_KEY"),
            _i("IDX_FNI_STATE_ACTIVE", "STATE", partial="state_active"),
        ),
    ),
    TableSpec(
        "USER_TASK",
        _c(
            "USER_TASK_KEY key, ELEMENT_ID uc, NAME uc, PROCESS_DEFINITION_ID uc, CREATION_DATE ts,"
            " COMPLETION_DATE ts, ASSIGNEE uc, STATE 20, FORM_KEY key, PROCESS_DEFINITION_KEY key,"
            " PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key, ELEMENT_INSTANCE_KEY key, TENANT_ID uc,"
            " DUE_DATE ts, FOLLOW_UP_DATE ts, EXTERNAL_FORM_REFERENCE uc, PROCESS_DEFINITION_VERSION small,"
            " CUSTOM_HEADERS clob, PRIORITY int, PARTITION_ID num"
        ),
        pk=("USER_TASK_KEY",),
        indexes=(*_rpi("IDX_USER_TASK"), _i("IDX_USER_TASK_FNI_KEY", "ELEMENT_INSTANCE_KEY")),
    ),
    TableSpec(
        "CANDIDATE_USER",
        _c("USER_TASK_KEY key, CANDIDATE_USER uc"),
        fks=(Fk("USER_TASK_KEY", "FK_CANDIDATE_USER_USER_TASK", "USER_TASK", "USER_TASK_KEY"),),
        indexes=(_i("IDX_CANDIDATE_USER_USER_TASK_KEY", "USER_TASK_KEY"),),
    ),
    TableSpec(
        "CANDIDATE_GROUP",
        _c("USER_TASK_KEY key, CANDIDATE_GROUP uc"),
        fks=(Fk("USER_TASK_KEY", "FK_CANDIDATE_GROUP_USER_TASK", "USER_TASK", "USER_TASK_KEY"),),
        indexes=(_i("IDX_CANDIDATE_GROUP_USER_TASK_KEY", "USER_TASK_KEY"),),
    ),
    TableSpec(
        "USER_TASK_TAG",
        _c("USER_TASK_KEY key, TAG_VALUE uc"),
        pk=("USER_TASK_KEY", "TAG_VALUE"),
        fks=(Fk("USER_TASK_KEY", "FK_USER_TASK_TAG_USER_TASK", "USER_TASK", "USER_TASK_KEY"),),
        indexes=(_i("IDX_USER_TASK_TAG_USER_TASK_KEY", "USER_TASK_KEY"),),
    ),
    TableSpec(
        "INCIDENT",
        _c(
            "INCIDENT_KEY key, FLOW_NODE_INSTANCE_KEY key, FLOW_NODE_ID uc, PROCESS_INSTANCE_KEY key,"
            " ROOT_PROCESS_INSTANCE_KEY key, PROCESS_DEFINITION_ID uc, PROCESS_DEFINITION_KEY key,"
            " ERROR_MESSAGE err, ERROR_MESSAGE_HASH int, ERROR_TYPE 100, STATE 20, CREATION_DATE ts,"
            " TREE_PATH tree, TENANT_ID uc, JOB_KEY key, PARTITION_ID num"
        ),
        pk=("INCIDENT_KEY",),
        indexes=(*_rpi("IDX_INCIDENT"), _i("IDX_INCIDENT_STATE_ACTIVE", "STATE", partial="state_active")),
    ),
    TableSpec(
        "DECISION_DEFINITION",
        _c(
            "DECISION_DEFINITION_KEY key, DECISION_DEFINITION_ID 255, NAME uc, TENANT_ID uc, VERSION small,"
            " DECISION_REQUIREMENTS_KEY key, DECISION_REQUIREMENTS_ID 255, DECISION_REQUIREMENTS_NAME 255,"
            " DECISION_REQUIREMENTS_VERSION small"
        ),
        pk=("DECISION_DEFINITION_KEY",),
        indexes=(_i("IDX_DECISION_DEFINITION_ID", "DECISION_DEFINITION_ID"),),
    ),
    TableSpec(
        "DECISION_REQUIREMENTS",
        _c(
            "DECISION_REQUIREMENTS_KEY key, DECISION_REQUIREMENTS_ID uc, NAME uc, TENANT_ID uc, VERSION small,"
            " RESOURCE_NAME uc, XML clob"
        ),
        pk=("DECISION_REQUIREMENTS_KEY",),
        indexes=(_i("IDX_DECISION_REQUIREMENTS_ID", "DECISION_REQUIREMENTS_ID"),),
    ),
    TableSpec(
        "DECISION_INSTANCE",
        _c(
            "DECISION_INSTANCE_ID uc, DECISION_INSTANCE_KEY key, PROCESS_INSTANCE_KEY key,"
            " ROOT_PROCESS_INSTANCE_KEY key, PROCESS_DEFINITION_ID uc, PROCESS_DEFINITION_KEY key,"
            " DECISION_DEFINITION_ID uc, DECISION_DEFINITION_KEY key, DECISION_REQUIREMENTS_ID uc,"
            " DECISION_REQUIREMENTS_KEY key, FLOW_NODE_ID uc, FLOW_NODE_INSTANCE_KEY key,"
            " ROOT_DECISION_DEFINITION_KEY key, EVALUATION_DATE ts, TYPE 255, STATE 255, RESULT uc,"
            " EVALUATION_FAILURE uc, EVALUATION_FAILURE_MESSAGE 4000, TENANT_ID uc, PARTITION_ID num,"
            " HISTORY_CLEANUP_DATE ts"
        )
        + (Col("FULL_RESULT", "clob", source="8.9.9"),),
        pk=("DECISION_INSTANCE_ID",),
        indexes=(
            *_rpi("IDX_DECISION_INSTANCE"),
            _i("IDX_DECISION_INSTANCE_KEY", "DECISION_INSTANCE_KEY"),
            _i("IDX_DECISION_INSTANCE_DD_KEY", "DECISION_DEFINITION_KEY"),
            _i("IDX_DECISION_INSTANCE_FNI_KEY", "FLOW_NODE_INSTANCE_KEY"),
            _i("IDX_DECISION_INSTANCE_HIST", "PARTITION_ID", "HISTORY_CLEANUP_DATE"),
        ),
    ),
    TableSpec(
        "DECISION_INSTANCE_INPUT",
        _c("DECISION_INSTANCE_ID uc, INPUT_ID uc, INPUT_NAME uc, INPUT_VALUE uc")
        + (Col("FULL_INPUT_VALUE", "clob", source="8.9.9"),),
        fks=(Fk("DECISION_INSTANCE_ID", "FK_DEC_INST_INPUT_DEC_INST", "DECISION_INSTANCE", "DECISION_INSTANCE_ID"),),
        indexes=(_i("IDX_DECISION_INSTANCE_INPUT_INSTANCE_ID", "DECISION_INSTANCE_ID"),),
    ),
    TableSpec(
        "DECISION_INSTANCE_OUTPUT",
        _c("DECISION_INSTANCE_ID uc, OUTPUT_ID uc, RULE_INDEX small, OUTPUT_NAME uc, OUTPUT_VALUE uc, RULE_ID uc")
        + (Col("FULL_OUTPUT_VALUE", "clob", source="8.9.9"),),
        fks=(Fk("DECISION_INSTANCE_ID", "FK_DEC_INST_OUTPUT_DEC_INST", "DECISION_INSTANCE", "DECISION_INSTANCE_ID"),),
        indexes=(_i("IDX_DECISION_INSTANCE_OUTPUT_INSTANCE_ID", "DECISION_INSTANCE_ID"),),
    ),
    TableSpec(
        "USER_",
        _c("USERNAME uc, USER_KEY key, NAME uc, EMAIL uc, PASSWORD uc"),
        pk=("USERNAME",),
        indexes=(_i("IDX_USER_USER_KEY", "USER_KEY"),),
    ),
    TableSpec(
        "FORM",
        _c("FORM_KEY key, FORM_ID uc, TENANT_ID uc, SCHEMA_XML clob, VERSION key, IS_DELETED bool"),
        pk=("FORM_KEY",),
        indexes=(_i("IDX_FORM_ID", "FORM_ID"), _i("IDX_FORM_TENANT_ID", "TENANT_ID")),
    ),
    TableSpec(
        "TENANT",
        _c("TENANT_ID uc, TENANT_KEY key, NAME uc, DESCRIPTION uc"),
        pk=("TENANT_ID",),
        indexes=(_i("IDX_TENANT_TENANT_KEY", "TENANT_KEY"),),
    ),
    TableSpec(
        "TENANT_MEMBER",
        _c("TENANT_ID uc, ENTITY_ID uc, ENTITY_TYPE 255"),
        indexes=(
            _i("idx_tenant_member_tenant_id", "TENANT_ID"),
            _i("idx_tenant_member_entity_id", "ENTITY_ID"),
        ),
    ),
    TableSpec(
        "ROLES",
        _c("ROLE_ID uc, ROLE_KEY key, NAME uc, DESCRIPTION uc"),
        pk=("ROLE_ID",),
        indexes=(_i("IDX_ROLE_ROLE_KEY", "ROLE_KEY"),),
    ),
    TableSpec(
        "ROLE_MEMBER",
        _c("ROLE_ID uc, ENTITY_ID uc, ENTITY_TYPE 255"),
        indexes=(_i("idx_role_member_role_id", "ROLE_ID"), _i("idx_role_member_entity_id", "ENTITY_ID")),
    ),
    TableSpec(
        "GROUP_",
        _c("GROUP_ID uc, GROUP_KEY key, NAME uc, DESCRIPTION uc"),
        pk=("GROUP_ID",),
        indexes=(_i("IDX_GROUP_GROUP_KEY", "GROUP_KEY"),),
    ),
    TableSpec(
        "GROUP_MEMBER",
        _c("GROUP_ID uc, ENTITY_ID uc, ENTITY_TYPE 255"),
        indexes=(_i("idx_group_member_group_id", "GROUP_ID"), _i("idx_group_member_entity_id", "ENTITY_ID")),
    ),
    TableSpec(
        "AUTHORIZATIONS",  # no PK in Camunda (too many columns)
        _c(
            "AUTHORIZATION_KEY key, OWNER_ID uc, OWNER_TYPE 255, RESOURCE_TYPE 255, RESOURCE_MATCHER small,"
            " RESOURCE_ID uc, RESOURCE_PROPERTY_NAME uc, PERMISSION_TYPE 255"
        ),
        indexes=(
            _i("IDX_AUTHORIZATIONS_AUTHORIZATION_KEY", "AUTHORIZATION_KEY"),
            _i("IDX_AUTHORIZATIONS_OWNER_ID", "OWNER_ID"),
            _i("IDX_AUTHORIZATIONS_OWNER_TYPE", "OWNER_TYPE"),
            _i("IDX_AUTHORIZATIONS_RESOURCE_TYPE", "RESOURCE_TYPE"),
        ),
    ),
    TableSpec(
        "BATCH_OPERATION",
        _c(
            "BATCH_OPERATION_KEY 255!, STATE 255, OPERATION_TYPE 255, START_DATE ts, END_DATE ts,"
            " OPERATIONS_TOTAL_COUNT int, OPERATIONS_FAILED_COUNT int, OPERATIONS_COMPLETED_COUNT int,"
            " HISTORY_CLEANUP_DATE ts, ACTOR_TYPE 50, ACTOR_ID uc"
        ),
        pk=("BATCH_OPERATION_KEY",),
    ),
    TableSpec(
        "BATCH_OPERATION_ITEM",
        _c(
            "BATCH_OPERATION_KEY 255!, ITEM_KEY key!, PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key,"
            " PROCESSED_DATE ts, ERROR_MESSAGE err"
        )
        + (Col("STATE", 20, default="ACTIVE"),),
        pk=("BATCH_OPERATION_KEY", "ITEM_KEY"),
        fks=(
            Fk(
                "BATCH_OPERATION_KEY",
                "FK_BATCH_OPERATION_ITEM_BATCH_OPERATION",
                "BATCH_OPERATION",
                "BATCH_OPERATION_KEY",
            ),
        ),
        indexes=_rpi("IDX_BATCH_OPERATION_ITEM"),
    ),
    TableSpec(
        "BATCH_OPERATION_ERROR",
        _c("BATCH_OPERATION_KEY 255, PARTITION_ID num, TYPE 255, MESSAGE err"),
        fks=(
            Fk(
                "BATCH_OPERATION_KEY",
                "FK_BATCH_OPERATION_ERROR_BATCH_OPERATION",
                "BATCH_OPERATION",
                "BATCH_OPERATION_KEY",
            ),
        ),
        indexes=(_i("IDX_BATCH_OPERATION_ERROR_KEY", "BATCH_OPERATION_KEY", "PARTITION_ID"),),
    ),
    TableSpec(
        "JOB",
        _c(
            "JOB_KEY key, PROCESS_DEFINITION_ID uc, PROCESS_DEFINITION_KEY key, PROCESS_INSTANCE_KEY key,"
            " ROOT_PROCESS_INSTANCE_KEY key, ELEMENT_ID uc, ELEMENT_INSTANCE_KEY key, TENANT_ID uc, TYPE 255,"
            " WORKER uc, STATE 20, KIND 50, LISTENER_EVENT_TYPE 50, ERROR_MESSAGE err, ERROR_CODE 255,"
            " DEADLINE ts, END_TIME ts, CUSTOM_HEADERS clob, RETRIES small, HAS_FAILED_WITH_RETRIES_LEFT bool,"
            " IS_DENIED bool, DENIED_REASON uc, PARTITION_ID num, CREATION_TIME ts, LAST_UPDATE_TIME ts"
        ),
        pk=("JOB_KEY",),
        indexes=(*_rpi("IDX_JOB"), _i("IDX_JOB_FNI_KEY", "ELEMENT_INSTANCE_KEY")),
    ),
    TableSpec(
        "SEQUENCE_FLOW",
        _c(
            "FLOW_NODE_ID uc, PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key, PROCESS_DEFINITION_KEY key,"
            " PROCESS_DEFINITION_ID uc, TENANT_ID uc, PARTITION_ID num"
        ),
        pk=("FLOW_NODE_ID", "PROCESS_INSTANCE_KEY"),
        indexes=(
            _i("IDX_SEQUENCE_FLOW_PROCESS_INSTANCE_KEY", "PROCESS_INSTANCE_KEY"),
            _i("IDX_SEQUENCE_FLOW_ROOT_PROCESS_INSTANCE_KEY", "ROOT_PROCESS_INSTANCE_KEY"),
        ),
    ),
    TableSpec(
        "USAGE_METRIC",
        _c(
            "USAGE_METRIC_KEY key, TENANT_ID uc, START_TIME ts, END_TIME ts, EVENT_TYPE int, EVENT_VALUE key,"
            " PARTITION_ID num"
        ),
        pk=("USAGE_METRIC_KEY", "TENANT_ID"),
        indexes=(_i("IDX_USAGE_METRIC_END_TIME", "END_TIME"),),
    ),
    TableSpec(
        "USAGE_METRIC_TU",
        _c("USAGE_METRIC_KEY key, TENANT_ID uc, START_TIME ts, END_TIME ts, ASSIGNEE_HASH key, PARTITION_ID num"),
        pk=("USAGE_METRIC_KEY", "TENANT_ID", "ASSIGNEE_HASH"),
        indexes=(_i("IDX_USAGE_METRIC_TU_END_TIME", "END_TIME"),),
    ),
    TableSpec(
        "MAPPING_RULES",
        _c("MAPPING_RULE_ID uc, MAPPING_RULE_KEY key, CLAIM_NAME uc, CLAIM_VALUE uc, NAME uc"),
        pk=("MAPPING_RULE_ID",),
        indexes=(_i("IDX_MAPPING_RULES_MAPPING_RULE_KEY", "MAPPING_RULE_KEY"),),
    ),
    TableSpec(
        "MESSAGE_SUBSCRIPTION",
        _c(
            "MESSAGE_SUBSCRIPTION_KEY key, PROCESS_DEFINITION_ID uc, PROCESS_DEFINITION_KEY key,"
            " PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key, FLOW_NODE_ID uc, FLOW_NODE_INSTANCE_KEY key,"
            " MESSAGE_SUBSCRIPTION_STATE 20, DATE_TIME ts, MESSAGE_NAME uc, CORRELATION_KEY uc, TENANT_ID uc,"
            " PARTITION_ID num"
        ),
        pk=("MESSAGE_SUBSCRIPTION_KEY",),
        indexes=(*_rpi("IDX_MESSAGE_SUBSCRIPTION"), _i("IDX_MESSAGE_SUBSCRIPTION_FNI_KEY", "FLOW_NODE_INSTANCE_KEY")),
    ),
    TableSpec(
        "CORRELATED_MESSAGE_SUBSCRIPTION",
        _c(
            "CORRELATION_KEY uc, CORRELATION_TIME ts, FLOW_NODE_ID uc, FLOW_NODE_INSTANCE_KEY key, MESSAGE_KEY key,"
            " MESSAGE_NAME uc, PARTITION_ID num, PROCESS_DEFINITION_ID uc, PROCESS_DEFINITION_KEY key,"
            " PROCESS_INSTANCE_KEY key, ROOT_PROCESS_INSTANCE_KEY key, SUBSCRIPTION_KEY key,"
            " SUBSCRIPTION_TYPE 255, TENANT_ID uc"
        ),
        pk=("MESSAGE_KEY", "SUBSCRIPTION_KEY"),
        indexes=(
            *_rpi("IDX_CORRELATED_MESSAGE_SUBSCRIPTION"),
            _i("IDX_CORRELATED_MESSAGE_SUBSCRIPTION_FNI_KEY", "FLOW_NODE_INSTANCE_KEY"),
        ),
    ),
    TableSpec(
        "CLUSTER_VARIABLE",
        _c(
            "CLUSTER_VARIABLE_ID uc, VAR_NAME uc, TYPE 255, DOUBLE_VALUE dbl, LONG_VALUE key, VAR_VALUE vv,"
            " VAR_FULL_VALUE clob, IS_PREVIEW bool, TENANT_ID uc, SCOPE 255"
        ),
        pk=("CLUSTER_VARIABLE_ID",),
        indexes=(_i("IDX_CLUSTER_VARIABLE_TENANT_ID", "TENANT_ID"), _i("IDX_CLUSTER_VARIABLE_SCOPE", "SCOPE")),
    ),
    TableSpec(
        "AUDIT_LOG",
        _c(
            "AUDIT_LOG_KEY uc!, ENTITY_KEY uc, ENTITY_TYPE 50, OPERATION_TYPE 50, ENTITY_VERSION int,"
            " ENTITY_VALUE_TYPE small, ENTITY_OPERATION_INTENT small, BATCH_OPERATION_KEY key,"
            " BATCH_OPERATION_TYPE 50, TIMESTAMP ts!, ACTOR_TYPE 50, ACTOR_ID uc, TENANT_ID uc, TENANT_SCOPE 50,"
            " RESULT 50, ANNOTATION 4000, CATEGORY 50, PROCESS_DEFINITION_ID uc, DECISION_REQUIREMENTS_ID uc,"
            " DECISION_DEFINITION_ID uc, PROCESS_DEFINITION_KEY key, PROCESS_INSTANCE_KEY key,"
            " ROOT_PROCESS_INSTANCE_KEY key, ELEMENT_INSTANCE_KEY key, JOB_KEY key, USER_TASK_KEY key,"
            " DECISION_REQUIREMENTS_KEY key, DECISION_DEFINITION_KEY key, DECISION_EVALUATION_KEY key,"
            " DEPLOYMENT_KEY key, FORM_KEY key, RESOURCE_KEY key, RELATED_ENTITY_TYPE 50, RELATED_ENTITY_KEY uc,"
            " ENTITY_DESCRIPTION uc, PARTITION_ID num, HISTORY_CLEANUP_DATE ts"
        )
        + (Col("AGENT_ELEMENT_ID", "uc", source="8.9.0*"),),
        pk=("AUDIT_LOG_KEY",),
        indexes=(
            _i("IDX_AUDIT_LOG_HIST", "PARTITION_ID", "HISTORY_CLEANUP_DATE"),
            *_rpi("IDX_AUDIT_LOG"),
            # IDX_AUDIT_LOG_CATEGORY is created and later dropped again by the changelog
            _i("IDX_AUDIT_LOG_PROC_DEF_ID", "PROCESS_DEFINITION_ID"),
            _i("IDX_AUDIT_LOG_CAT_PROC_DEF_ID", "CATEGORY", "PROCESS_DEFINITION_ID"),
            _i("IDX_AUDIT_LOG_TIMESTAMP", "TIMESTAMP"),
            _i("IDX_AUDIT_LOG_ACTOR_ID", "ACTOR_ID", partial="not_null", source="8.9.0*"),
        ),
    ),
    TableSpec(
        "HISTORY_DELETION",
        _c("RESOURCE_KEY key!, BATCH_OPERATION_KEY key!, RESOURCE_TYPE 50!, PARTITION_ID num!"),
        pk=("RESOURCE_KEY", "BATCH_OPERATION_KEY"),
    ),
    TableSpec(
        "WEB_SESSION",
        _c(
            "SESSION_ID 255, CREATION_TIME key, LAST_ACCESSED_TIME key, MAX_INACTIVE_INTERVAL_IN_SECONDS key,"
            " ATTRIBUTES blob"
        ),
        pk=("SESSION_ID",),
    ),
    TableSpec(
        "JOB_METRICS_BATCH",
        _c(
            "JOB_METRICS_BATCH_KEY 255, START_TIME ts, END_TIME ts, INCOMPLETE_BATCH bool, TENANT_ID uc,"
            " FAILED_COUNT int, LAST_FAILED_AT ts, COMPLETED_COUNT int, LAST_COMPLETED_AT ts, CREATED_COUNT int,"
            " LAST_CREATED_AT ts, JOB_TYPE uc, WORKER uc"
        ),
        pk=("JOB_METRICS_BATCH_KEY",),
        indexes=(
            _i("IDX_JOB_METRICS_BATCH_TENANT_TIME", "TENANT_ID", "START_TIME", "END_TIME"),
            _i("IDX_JOB_METRICS_BATCH_END_TIME", "END_TIME"),
            _i("IDX_JOB_METRICS_BATCH_JOB_TYPE", "JOB_TYPE"),
        ),
    ),
)

#: upper-case table names without prefix, in creation order
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)
_SPECS = {t.name: t for t in TABLES}

_PREFIX_RE = re.compile(r"^[A-Za-z0-9_]*$")


def _type_for(d: C8Dialect, kind: Kind) -> TypeEngine[Any]:
    if isinstance(kind, int):
        return d.fixed_varchar(kind)
    factories = {
        "key": d.bigint,
        "uc": d.user_char,
        "err": d.error_message,
        "tree": d.tree_path,
        "vv": d.var_value,
        "clob": d.clob,
        "ts": d.timestamp_tz,
        "dt": d.datetime,
        "num": d.number,
        "small": d.smallint,
        "int": d.integer,
        "dbl": d.double,
        "bool": d.boolean,
        "blob": d.blob,
    }
    return factories[kind]()


def _q(name: str) -> quoted_name:
    """An identifier SQLAlchemy emits unquoted (as Liquibase does)."""
    return quoted_name(name, False)


def _build(md: sa.MetaData, prefix: str, d: C8Dialect) -> None:
    for spec in TABLES:
        cols: list[Any] = []
        for col in spec.columns:
            kw: dict[str, Any] = {}
            if col.default is not None:
                kw["server_default"] = sa.text(f"'{col.default}'")
            cols.append(
                sa.Column(
                    _q(col.name),
                    _type_for(d, col.kind),
                    key=col.name,
                    autoincrement=False,
                    nullable=col.nullable and col.name not in spec.pk,
                    **kw,
                )
            )
        indexes = [_index(prefix, ix, d) for ix in spec.indexes]
        t = sa.Table(_q(prefix + spec.name), md, *cols, *indexes, quote=False, info={"c8_name": spec.name})
        if spec.pk:
            t.append_constraint(sa.PrimaryKeyConstraint(*spec.pk, name=_q(f"PK_{prefix}{spec.name}")))
        for fk in spec.fks:
            ref = md.tables[prefix + fk.ref_table]
            t.append_constraint(
                sa.ForeignKeyConstraint(
                    [fk.column], [ref.c[fk.ref_column]], name=_q(prefix + fk.name), ondelete="CASCADE"
                )
            )


def _index(prefix: str, ix: Idx, d: C8Dialect) -> sa.Index:
    if ix.partial is None:
        return sa.Index(_q(prefix + ix.name), *ix.columns)
    column = ix.columns[0]
    return sa.Index(
        _q(prefix + ix.name),
        d.partial_index_expression(ix.partial, column),
        **d.partial_index_kwargs(ix.partial, column),
    )


@cache
def _metadata(prefix: str, vendor: str) -> sa.MetaData:
    md = sa.MetaData(info={"c8_prefix": prefix, "c8_vendor": vendor})
    _build(md, prefix, dialects.for_name(vendor))
    return md


def c8_metadata(prefix: str = "", vendor: str = "postgresql") -> sa.MetaData:
    """MetaData with every Camunda 8.9 table for ``vendor`` (Camunda vendor id or ``sqlite``).

    Cached per (prefix, vendor): treat the result as read-only.
    """
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"invalid table prefix {prefix!r}: only letters, digits and '_' are allowed")
    return _metadata(prefix, dialects.for_name(vendor).name)


def table(md: sa.MetaData, name: str) -> sa.Table:
    """The table ``name`` (upper case, without prefix) of a :func:`c8_metadata` result."""
    prefix = str(md.info.get("c8_prefix", ""))
    try:
        return md.tables[prefix + name.upper()]
    except KeyError:
        raise KeyError(f"no Camunda 8 table '{name}' (known: {', '.join(TABLE_NAMES)})") from None


def _metadata_for(bind: Engine | Connection, prefix: str) -> tuple[sa.MetaData, C8Dialect]:
    d = dialects.for_engine(bind)
    return c8_metadata(prefix, d.name), d


def _actual_names(conn: Connection, prefix: str) -> dict[str, str]:
    """Upper-case Camunda table name (without prefix) -> name as stored in the database."""
    stored = {n.upper(): n for n in sa.inspect(conn).get_table_names()}
    return {n: stored[(prefix + n).upper()] for n in TABLE_NAMES if (prefix + n).upper() in stored}


def existing_c8_tables(conn: Connection, prefix: str = "") -> set[str]:
    """Upper-case names (without prefix) of the Camunda 8 tables present in the database."""
    return set(_actual_names(conn, prefix))


def create_c8_schema(engine: Engine, prefix: str = "") -> list[str]:
    """Create every missing Camunda 8.9 table with its keys and indexes; returns what was created.

    Existing tables are left alone, except that the patch-level columns of 8.9.9/8.9.14
    (``DECISION_INSTANCE.FULL_RESULT``, ``DECISION_INSTANCE_INPUT.FULL_INPUT_VALUE``,
    ``DECISION_INSTANCE_OUTPUT.FULL_OUTPUT_VALUE``, ``PROCESS_DEFINITION.STATE``) are added when
    missing, as Camunda's own guarded change sets would. Returns entries like ``"PROCESS_INSTANCE"``
    and ``"DECISION_INSTANCE.FULL_RESULT"``.
    """
    md, d = _metadata_for(engine, prefix)
    d.prepare_engine(engine)
    created: list[str] = []
    with engine.begin() as conn:
        existing = _actual_names(conn, prefix)
        insp = sa.inspect(conn)
        prep = conn.dialect.identifier_preparer
        for name in TABLE_NAMES:
            t = table(md, name)
            if name not in existing:
                t.create(conn, checkfirst=False)
                created.append(name)
                continue
            have = {c["name"].upper() for c in insp.get_columns(existing[name])}
            for col in _SPECS[name].columns:
                if col.source in ("8.9.9", "8.9.14") and col.name not in have:
                    ddl = sa.schema.CreateColumn(t.c[col.name]).compile(dialect=conn.dialect)
                    conn.exec_driver_sql(f"ALTER TABLE {prep.format_table(t)} ADD {ddl}")
                    created.append(f"{name}.{col.name}")
    return created


def drop_c8_schema(engine: Engine, prefix: str = "") -> None:
    """Drop every Camunda 8 table of this prefix that exists (children first). For tests."""
    md, _ = _metadata_for(engine, prefix)
    with engine.begin() as conn:
        existing = existing_c8_tables(conn, prefix)
        for t in reversed(md.sorted_tables):
            if str(t.info.get("c8_name")) in existing:
                t.drop(conn, checkfirst=False)


def column_names(name: str) -> Sequence[str]:
    """Column names of a table in changelog order (after the patch change sets)."""
    return tuple(c.name for c in _SPECS[name.upper()].columns)
