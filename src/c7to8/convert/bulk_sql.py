"""Set-based conversion: the SQL that turns staged Camunda 7 rows into Camunda 8 rows (PostgreSQL).

Pure text builders, no I/O (the orchestrator is c7to8.bulk). Each statement converts only the rows
whose result is certain to equal what the row-by-row pipeline (c7to8.convert.*) produces: every
reference resolved, no value that needs escaping, cutting, Java formatting or an interceptor. Every
other row stays in the staging table and goes through the row-by-row pipeline, which records its
skip reason exactly as without this lane. Rows equal, keys aside, is what
tests/test_bulk.py checks on the harness's whole reference data.

All statements read the staging table ``c7to8_stage`` and write ``c7to8_conv`` (one row per
convertible staged row: ``rn`` numbers them for key assignment, ``ID_`` is the C7 id); parameters
are psycopg named placeholders (``%(name)s``), always bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .common import DEFAULT_TENANT, HEALING_REASON_PREFIXES, MULTI_INSTANCE_BODY, HistoryType, Reason
from .flow_node import ACTIVITY_TYPES, CANCELED

STAGE = "c7to8_stage"
CONV = "c7to8_conv"
_INT32 = (-(2**31), 2**31 - 1)
_INT16 = (-(2**15), 2**15 - 1)
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal",
                       "GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich", "Greenwich"})


@dataclass(frozen=True)
class Names:
    """Table names (with the configured prefixes) and run settings the SQL depends on."""

    mapping: str  # MIGRATION_MAPPING
    c8: Mapping[str, str]  # C8 table (unprefixed, upper case) -> its name in the database
    zone: str  # c7to8.time-zone
    legacy_prefix: str  # camunda.migrator.history.legacy-id-prefix
    save_reason: bool = True  # camunda.migrator.save-skip-reason: skips recorded by the SQL keep their reason


@dataclass(frozen=True)
class BulkSql:
    """One entity type's set-based conversion."""

    type: HistoryType
    time_column: str  # keyset / key order column
    stage_columns: tuple[str, ...]  # C7 columns copied into the staging table
    prepare: str | None  # CREATE TEMP TABLE c7to8_inst AS ... (the stage's process instances, resolved)
    conv: str  # CREATE TEMP TABLE c7to8_conv AS SELECT ... (rn, ID_, the C8 columns' inputs)
    inserts: tuple[str, ...]  # INSERT INTO target(s) ... SELECT ... FROM c7to8_conv (key = %(base)s + rn)
    track: str  # INSERT INTO mapping ... SELECT ... FROM c7to8_conv
    params: dict[str, Any] = field(default_factory=dict)
    #: staged values computed by the Camunda 7 query (name, PostgreSQL type); c7to8.bulk supplies their SQL
    derived: tuple[tuple[str, str], ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)  # C7 column -> its staging column, if renamed
    id_column: str = "id_"  # the staging column of the tracked C7 id (c7to8_conv.id_ holds that id)
    first_of: str | None = None  # log tables: only the first row (time, ID_) of each value of this C7 column
    partition_of_id: bool = False  # the lane appends c7to8_partition: partition_for(ID_), ID_ staged first
    keys_per_row: int = 1  # keys reserved per converted row (%(base)s + rn, then %(base)s + n + rn, ...)

    def stage_name(self, column: str) -> str:
        return self.aliases.get(column, column.lower())
    repeat: str | None = None  # a row if staged rows wait for one just converted (c7to8_conv, after the DELETE)
    calls: bool = False  # c7to8_conv has CALL_PROC_INST_ID_ (call activities)
    #: c7to8_conv has ``skip``: NULL for a converted row, else the reason the row is certain to be skipped for
    #: (tracked as skipped; the inserts leave it out)
    skips: bool = False
    setup: tuple[str, ...] = ()  # run once on the Camunda 8 connection before the first chunk (pg_temp functions)
    #: after the inserts: (session map, INSERT INTO it what this chunk migrated) (session_maps)
    remember: tuple[str, str] | None = None


def _q(name: str) -> str:
    """An identifier as the database folded it (unquoted names: PostgreSQL lower-cases them)."""
    return name.lower()


#: the tie-break of rows with the same time, by the id's bytes: any fixed order gives the same rows, and
#: this one costs no collation comparisons (the Camunda 7 stream sorts with it too, c7to8.bulk)
BYTE_COLLATION = "C"
BY_BYTES = f'COLLATE "{BYTE_COLLATION}"'


def c8_date(col: str) -> str:
    """to_c8_date in SQL: naive C7 time read in the zone, cut to milliseconds (floor)."""
    return f"(date_trunc('milliseconds', {col}) AT TIME ZONE %(zone)s)"


def zone_stable(col: str, zone: str) -> str:
    """TRUE when no zone transition is within a day of `col` (so PostgreSQL and Python read it alike).

    A naive time in a daylight-saving gap or overlap is resolved by different rules on the two sides;
    those rows are left to the row-by-row pipeline. UTC needs no guard.
    """
    if zone in UTC_ZONES:
        return "TRUE"

    def off(x: str) -> str:
        return f"((({x}) AT TIME ZONE %(zone)s) AT TIME ZONE 'UTC') - ({x})"

    return f"({col} IS NULL OR {off(col + ' - interval ' + chr(39) + '1 day' + chr(39))} = " \
           f"{off(col + ' + interval ' + chr(39) + '1 day' + chr(39))})"


def _stable(names: Names, *columns: str) -> str:
    """zone_stable for each of these staging columns."""
    return " AND ".join(zone_stable(f"s.{c}", names.zone) for c in columns)


def _key(alias: str) -> str:
    """MIGRATION_MAPPING.C8_KEY (text) as a bigint; NULL if it is not a decimal key."""
    return f"(CASE WHEN {alias}.c8_key ~ '^-?[0-9]{{1,19}}$' THEN {alias}.c8_key::bigint END)"


def _tracked(names: Names, t: HistoryType, id_column: str = "id_") -> str:
    """Not tracked yet (a scalar subquery, never turned into a join over the whole tracking table).

    %(fresh)s: the type had no tracking row when its pass began, and the pass streams each C7 row
    once, so no staged row can be tracked: the planner folds the probe away.
    """
    return (f"(%(fresh)s OR (SELECT count(*) FROM {names.mapping} m WHERE m.type = '{t.name}'"
            f" AND m.c7_id = s.{id_column}) = 0)")


def _case(col: str, mapping: Mapping[str, str], default: str, prefix: str, params: dict[str, Any]) -> str:
    parts = []
    for i, (k, v) in enumerate(sorted(mapping.items())):
        params[f"{prefix}k{i}"] = k
        params[f"{prefix}v{i}"] = v
        parts.append(f"WHEN %({prefix}k{i})s THEN %({prefix}v{i})s")
    params[f"{prefix}default"] = default
    return f"(CASE {col} {' '.join(parts)} ELSE %({prefix}default)s END)"


def _common_params(names: Names) -> dict[str, Any]:
    return {"zone": names.zone, "legacy": names.legacy_prefix, "default_tenant": DEFAULT_TENANT, "fresh": False}


def _tenant(col: str) -> str:
    return f"(CASE WHEN {col} IS NULL OR {col} = '' THEN %(default_tenant)s ELSE {col} END)"


def _insert(target: str, columns: Sequence[tuple[str, str]]) -> str:
    return (f"INSERT INTO {target} ({', '.join(_q(c) for c, _ in columns)}) "
            f"SELECT {', '.join(e for _, e in columns)} FROM {CONV}")


def _track(names: Names, t: HistoryType, partition: str = "NULL") -> str:
    """The tracking rows (only a process instance's has a partition)."""
    return (f"INSERT INTO {names.mapping} (c7_id, c8_key, type, create_time, skip_reason, partition_id) "
            f"SELECT id_, (%(base)s + rn)::text, '{t.name}', create_time, NULL, {partition} FROM {CONV}")


#: MIGRATION_MAPPING.SKIP_REASON keeps this many characters (c7to8.store.tracking.MAX_REASON)
REASON_CHARS = 1024


def _track_skips(names: Names, t: HistoryType, params: dict[str, Any], partition: str = "NULL::integer") -> str:
    """The tracking rows of a c7to8_conv with ``skip``: a key for converted rows, the reason (if saved) for
    skipped ones."""
    params["save_reason"] = names.save_reason
    return (f"INSERT INTO {names.mapping} (c7_id, c8_key, type, create_time, skip_reason, partition_id) "
            f"SELECT id_, CASE WHEN skip IS NULL THEN (%(base)s + rn)::text END, '{t.name}', create_time,"
            f" CASE WHEN %(save_reason)s THEN left(skip, {REASON_CHARS}) END,"
            f" CASE WHEN skip IS NULL THEN {partition} END FROM {CONV}")


INST = "c7to8_inst"
PIMAP = "c7to8_pimap"
FNMAP = "c7to8_fnmap"


#: flow-node types the session's flow-node map keeps: those later set-based rows refer to (user tasks,
#: decisions, called instances, nested scopes). Other flow nodes (a service task with local variables)
#: are found in the tracking table, as without the map: the map stays small enough for temp_buffers
MAPPED_FLOW_NODE_TYPES = ("AD_HOC_SUB_PROCESS", "BUSINESS_RULE_TASK", "CALL_ACTIVITY", "MULTI_INSTANCE_BODY",
                          "SUB_PROCESS", "USER_TASK")


def session_maps(names: Names) -> tuple[str, ...]:
    """The session's maps of what this lane migrated (made anew when the lane takes a connection: one
    returned to the pool may still hold an earlier run's).

    c7to8_pimap(c7_id, k, partition_id, end_date, version): the C7 id, the C8 key, partition, END_DATE
    and VERSION of each process instance the lane's own connection migrated in this run (``remember``).
    Later types resolve their instances here by two probes of a small local index instead of four of
    the tracking table and PROCESS_INSTANCE. An instance not in it (migrated row by row, by another
    worker, or by an earlier run) is resolved as before.

    c7to8_fnmap(c7_id, k, flow_node_id): the same for flow nodes of MAPPED_FLOW_NODE_TYPES, probed
    before the tracking table wherever a row refers to a flow node (``_flow_node_key``).
    """
    pi = names.c8["PROCESS_INSTANCE"]
    return (f"DROP TABLE IF EXISTS pg_temp.{PIMAP}",
            f"CREATE TEMP TABLE {PIMAP} AS SELECT NULL::text AS c7_id, process_instance_key AS k,"
            f" partition_id, end_date, version FROM {pi} WITH NO DATA",
            # hash indexes: a probe costs a third less than in a b-tree, and an entry about half the space
            f"CREATE INDEX {PIMAP}_probe ON {PIMAP} USING hash (c7_id)",
            f"DROP TABLE IF EXISTS pg_temp.{FNMAP}",
            f"CREATE TEMP TABLE {FNMAP} (c7_id text NOT NULL, k bigint NOT NULL, flow_node_id text)",
            f"CREATE INDEX {FNMAP}_probe ON {FNMAP} USING hash (c7_id)")


def _remember(only_migrated: bool) -> tuple[str, str]:
    """The chunk's migrated process instances into c7to8_pimap (key: %(base)s + rn, as inserted)."""
    return PIMAP, (f"INSERT INTO {PIMAP} (c7_id, k, partition_id, end_date, version)"
                   f" SELECT id_, %(base)s + rn, partition_id, end_date, version FROM {CONV}"
                   + (" WHERE skip IS NULL" if only_migrated else ""))  # migrated once: in the map once


def _remember_flow_nodes() -> tuple[str, str]:
    """The chunk's flow nodes of MAPPED_FLOW_NODE_TYPES into c7to8_fnmap (every c7to8_conv row is migrated)."""
    return FNMAP, (f"INSERT INTO {FNMAP} (c7_id, k, flow_node_id) SELECT id_, %(base)s + rn, flow_node_id"
                   f" FROM {CONV} WHERE type = ANY(%(mapped_types)s)")


def _instances(names: Names, with_definition: bool = False) -> str:
    """CREATE TEMP TABLE c7to8_inst: each distinct (instance, root[, definition]) of the stage, resolved once.

    pim_key / root_key: the process instance and its root, both migrated and their C8 rows present
    (not deleted); partition_id: the root's partition; pi_end / pi_version: the instance's END_DATE
    and VERSION; with a definition: pd_key, the migrated process definition whose C8 row is present.
    Only index probes per distinct instance (LATERAL and scalar subqueries): no join order for the
    planner to get wrong. Instances whose instance and root this session migrated come from
    c7to8_pimap (session_maps); the others are looked up in the tracking table and PROCESS_INSTANCE,
    where a root instance's own probes serve as its root's.
    """
    pi = names.c8["PROCESS_INSTANCE"]
    keys = ["proc_inst_id_", "root_proc_inst_id_"] + (["proc_def_id_"] if with_definition else [])
    cols = ", ".join(keys)
    pi_t = HistoryType.HISTORY_PROCESS_INSTANCE
    pd_cols = f", {PDEF}.pd_key" if with_definition else ""
    own = "p.root_proc_inst_id_ = p.proc_inst_id_"
    p_cols = ", ".join(f"p.{c}" for c in keys)
    pd_out = ", pd_key" if with_definition else ""
    return (
        f"CREATE TEMP TABLE {INST} ON COMMIT DROP AS WITH"
        + (f" {_process_definitions(names)}," if with_definition else "")
        + f" d AS MATERIALIZED (SELECT row_number() OVER () AS did, * FROM (SELECT DISTINCT {cols} FROM {STAGE}) d),"
        f" h AS MATERIALIZED (SELECT p.did, {p_cols}, i.k AS pim_key, i.end_date AS pi_end,"
        f" i.version AS pi_version, r.k AS root_key, r.partition_id AS root_part{pd_cols} FROM d p"
        f" JOIN LATERAL (SELECT * FROM {PIMAP} i WHERE i.c7_id = p.proc_inst_id_ LIMIT 1) i ON TRUE"
        f" JOIN LATERAL (SELECT * FROM {PIMAP} r WHERE r.c7_id = p.root_proc_inst_id_ LIMIT 1) r ON TRUE"
        + (_join_definitions("p") if with_definition else "")
        + f") SELECT {cols}, pim_key, pi_end, pi_version, root_key, root_part{pd_out}, root_part AS partition_id"
        " FROM h"
        " UNION ALL SELECT q.*,"
        f" COALESCE(q.root_part, (SELECT r.partition_id FROM {pi} r WHERE r.process_instance_key = q.root_key))"
        f" AS partition_id"
        f" FROM (SELECT {p_cols}, i.process_instance_key AS pim_key, i.end_date AS pi_end, i.version AS pi_version,"
        f" CASE WHEN {own} THEN i.process_instance_key ELSE (SELECT r.process_instance_key FROM {pi} r"
        f" WHERE r.process_instance_key = {_lookup(names, pi_t, 'p.root_proc_inst_id_')}) END AS root_key,"
        f" CASE WHEN {own} THEN m.partition_id ELSE (SELECT x.partition_id FROM {names.mapping} x"
        f" WHERE x.type = '{pi_t.name}' AND x.c7_id = p.root_proc_inst_id_) END AS root_part{pd_cols}"
        f" FROM (SELECT * FROM d WHERE NOT EXISTS (SELECT 1 FROM h WHERE h.did = d.did)) p"
        f" JOIN LATERAL (SELECT {_key('x')} AS k, x.partition_id FROM {names.mapping} x"
        f" WHERE x.type = '{pi_t.name}' AND x.c7_id = p.proc_inst_id_ AND x.c8_key IS NOT NULL LIMIT 1) m ON TRUE"
        f" JOIN LATERAL (SELECT i.process_instance_key, i.end_date, i.version FROM {pi} i"
        f" WHERE i.process_instance_key = m.k LIMIT 1) i ON TRUE"  # LIMIT: kept a probe, never a hash join
        + (_join_definitions("p") if with_definition else "")
        + " OFFSET 0) q"  # not flattened: each probe runs once
        " WHERE q.root_key IS NOT NULL"
    )


def _join_instances(with_definition: bool = False) -> str:
    cols = ["proc_inst_id_", "root_proc_inst_id_"] + (["proc_def_id_"] if with_definition else [])
    return f" JOIN {INST} r ON " + " AND ".join(f"r.{c} = s.{c}" for c in cols)


def _lookup(names: Names, t: HistoryType, c7_id: str) -> str:
    """The migrated key of (t, c7_id) from the tracking table, as a scalar subquery (evaluated only when needed)."""
    return (f"(SELECT {_key('x')} FROM {names.mapping} x WHERE x.type = '{t.name}' AND x.c7_id = {c7_id}"
            f" AND x.c8_key IS NOT NULL)")


def _flow_node_key(names: Names, c7_id: str) -> str:
    """The migrated key of the flow node `c7_id`: from the session's c7to8_fnmap, else the tracking table."""
    return (f"COALESCE((SELECT m.k FROM {FNMAP} m WHERE m.c7_id = {c7_id} LIMIT 1),"
            f" {_lookup(names, HistoryType.HISTORY_FLOW_NODE, c7_id)})")


PDEF = "c7to8_pd"


def _resolved_once(names: Names, name: str, column: str, t: HistoryType, table: str, key: str, columns: str,
                   stage: str = STAGE) -> str:
    """A WITH item `name`(c7_id, `columns`): each distinct `column` of `stage` whose definition of type `t`
    is migrated, with that definition's C8 row (present: not deleted). A handful of rows, joined by hash;
    a lookup per row would probe the tracking table and the definition table for every row."""
    return (f"{name} AS MATERIALIZED (SELECT v.c7_id, d.* FROM (SELECT DISTINCT {column} AS c7_id FROM {stage}) v"
            f" JOIN LATERAL (SELECT {columns} FROM {table} d WHERE d.{key} = {_lookup(names, t, 'v.c7_id')}"
            f" LIMIT 1) d ON TRUE)")


def _process_definitions(names: Names, stage: str = STAGE) -> str:
    """c7to8_pd(c7_id, pd_key): the stage's process definitions (_resolved_once)."""
    return _resolved_once(names, PDEF, "proc_def_id_", HistoryType.HISTORY_PROCESS_DEFINITION,
                          names.c8["PROCESS_DEFINITION"], "process_definition_key",
                          "d.process_definition_key AS pd_key", stage)


def _join_definitions(alias: str = "s") -> str:
    return f" LEFT JOIN {PDEF} ON {PDEF}.c7_id = {alias}.proc_def_id_"


# --------------------------------------------------------------------------------------------
# flow nodes (convert/flow_node.py)

FLOW_NODE_STAGE = ("ID_", "PARENT_ACT_INST_ID_", "PROC_DEF_KEY_", "PROC_DEF_ID_", "ROOT_PROC_INST_ID_",
                   "PROC_INST_ID_", "ACT_ID_", "ACT_NAME_", "ACT_TYPE_", "CALL_PROC_INST_ID_", "START_TIME_",
                   "END_TIME_", "ACT_INST_STATE_", "TENANT_ID_")


def flow_node(names: Names, lengths: Mapping[str, int | None]) -> BulkSql:
    """ACT_HI_ACTINST -> FLOW_NODE_INSTANCE for rows whose instance, definition, root and parent are migrated.

    `lengths`: the C8 columns' character limits (None = unlimited); longer values are left to the
    row-by-row pipeline, which reports them.
    """
    t = HistoryType.HISTORY_FLOW_NODE
    params = _common_params(names)
    params["mi"] = MULTI_INSTANCE_BODY
    type_case = _case("s.act_type_", ACTIVITY_TYPES, "UNKNOWN", "at", params)
    fits = _fits({"FLOW_NODE_ID": "replace(s.act_id_, %(mi)s, '')", "FLOW_NODE_NAME": "s.act_name_",
                  "PROCESS_DEFINITION_ID": "%(legacy)s || s.proc_def_key_", "TENANT_ID": _tenant("s.tenant_id_")},
                 lengths)
    conv = (
        f"CREATE TEMP TABLE {CONV} ON COMMIT DROP AS"
        f" SELECT row_number() OVER (ORDER BY s.start_time_, s.id_ {BY_BYTES}) - 1 AS rn, * FROM ("
        f"SELECT s.id_, s.call_proc_inst_id_, {c8_date('s.start_time_')} AS create_time,"
        f" replace(s.act_id_, %(mi)s, '') AS flow_node_id, s.act_name_ AS flow_node_name,"
        f" r.pim_key, r.pd_key, r.root_key, r.partition_id,"
        f" (CASE WHEN s.parent_act_inst_id_ = s.proc_inst_id_ THEN r.pim_key"
        f" ELSE {_flow_node_key(names, 's.parent_act_inst_id_')} END) AS scope_key,"
        f" %(legacy)s || s.proc_def_key_ AS process_definition_id,"
        f" {type_case} AS type,"
        f" CASE WHEN s.end_time_ IS NOT NULL AND s.act_inst_state_ IS DISTINCT FROM {CANCELED}"
        f" THEN 'COMPLETED' ELSE 'TERMINATED' END AS state,"
        f" COALESCE({c8_date('s.end_time_')}, r.pi_end) AS end_date,"
        f" {_tenant('s.tenant_id_')} AS tenant_id, s.start_time_"
        f" FROM {STAGE} s"
        + _join_instances(with_definition=True)
        + " WHERE s.act_id_ IS NOT NULL AND s.proc_def_key_ IS NOT NULL AND s.parent_act_inst_id_ IS NOT NULL"
        f" AND {fits} AND {_stable(names, 'start_time_', 'end_time_')}"
        f" AND {_tracked(names, t)} OFFSET 0) s"  # computed once per row, then filtered
        f" WHERE pd_key IS NOT NULL AND partition_id IS NOT NULL AND scope_key IS NOT NULL"
    )
    key = "%(base)s + rn"
    insert = _insert(names.c8["FLOW_NODE_INSTANCE"], [
        ("FLOW_NODE_INSTANCE_KEY", key),
        ("FLOW_NODE_ID", "flow_node_id"),
        ("FLOW_NODE_NAME", "flow_node_name"),
        ("FLOW_NODE_SCOPE_KEY", "scope_key"),
        ("PROCESS_INSTANCE_KEY", "pim_key"),
        ("ROOT_PROCESS_INSTANCE_KEY", "root_key"),
        ("PROCESS_DEFINITION_ID", "process_definition_id"),
        ("PROCESS_DEFINITION_KEY", "pd_key"),
        ("TYPE", "type"),
        ("STATE", "state"),
        ("START_DATE", "create_time"),
        ("END_DATE", "end_date"),
        ("TREE_PATH", f"pim_key::text || '/' || ({key})::text"),
        ("TENANT_ID", "tenant_id"),
        ("INCIDENT_KEY", "NULL"),
        ("NUM_SUBPROCESS_INCIDENTS", "NULL"),
        ("PARTITION_ID", "partition_id"),
    ])
    params["mapped_types"] = list(MAPPED_FLOW_NODE_TYPES)
    return BulkSql(t, "START_TIME_", FLOW_NODE_STAGE, _instances(names, True), conv, (insert,), _track(names, t),
                   params, repeat=f"SELECT 1 FROM {STAGE} s JOIN {CONV} c ON c.id_ = s.parent_act_inst_id_ LIMIT 1",
                   calls=True, remember=_remember_flow_nodes())


def _fits(exprs: Mapping[str, str], lengths: Mapping[str, int | None]) -> str:
    """Every expression's text fits its C8 column (NULL fits)."""
    conds = [f"COALESCE(char_length({e}), 0) <= {int(n)}" for c, e in exprs.items()
             if (n := lengths.get(c)) is not None]
    return " AND ".join(conds) if conds else "TRUE"


# --------------------------------------------------------------------------------------------
# variables (convert/variable.py + c7to8.variables' built-in transformers of the simple types)

VARIABLE_STAGE = ("ID_", "PROC_INST_ID_", "ROOT_PROC_INST_ID_", "ACT_INST_ID_", "CASE_INST_ID_", "NAME_",
                  "VAR_TYPE_", "PROC_DEF_KEY_", "TENANT_ID_", "LONG_", "DOUBLE_", "TEXT_", "BYTEARRAY_ID_",
                  "CREATE_TIME_")
#: c7to8_text: the serialized value of a JSON kind as text when it is plain ASCII without a backslash
#: (``ascii_text`` on the Camunda 7 side); c7to8_bytes: its ACT_GE_BYTEARRAY row exists with content
VARIABLE_DERIVED = (("c7to8_text", "text"), ("c7to8_bytes", "boolean"))

#: JSON texts longer than this go row by row whatever the preview size (Python's int parser refuses
#: more than 4,300 digits), and so do texts with more than JSON_MAX_OPEN brackets (nesting depth)
JSON_MAX_CHARS = 4000
JSON_MAX_OPEN = 256
JSON_OK = "pg_temp.c7to8_json_ok"
JSON_OK_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {JSON_OK}(t text, canonical boolean) RETURNS boolean LANGUAGE plpgsql AS $f$"
    " DECLARE n bigint;"
    " BEGIN"
    "  PERFORM t::json;"
    "  IF NOT canonical THEN RETURN TRUE; END IF;"
    "  SELECT COALESCE(sum((SELECT count(*) FROM jsonb_object_keys(o))), 0) INTO n"
    "   FROM jsonb_path_query(t::jsonb, 'strict $.** ? (@.type() == \"object\")') o;"
    "  RETURN n = (length(t) - length(replace(t, '\":', ''))) / 2;"
    " EXCEPTION WHEN others THEN RETURN FALSE;"
    " END $f$"
)
"""JSON text -> is it one valid JSON value (and, `canonical`, free of duplicate keys)? Never raises.

Duplicate keys: the text has no backslash and no whitespace (checked before), so every member of
every object shows as exactly one ``":`` and nothing else does; jsonb keeps one key per name.
"""


def ascii_text(col: str) -> str:
    """A bytea as text when every byte is ASCII (1-127) and none is a backslash; else NULL.

    ``encode(..., 'escape')`` writes zero and high bytes as ``\\nnn`` and doubles backslashes: no
    backslash in its output means the bytes were such ASCII, and the output is their text.
    """
    return f"(CASE WHEN strpos(encode({col}, 'escape'), '\\') = 0 THEN encode({col}, 'escape') END)"


def json_exact(col: str, canonical: bool) -> str:
    """The ASCII JSON texts (from ``ascii_text``) whose history value is exactly themselves.

    An object or array, with nothing before or after it, valid JSON (then Python's parser reads the
    same value), at most %(json_max)s characters (never cut for the preview). `canonical` (Spin
    ``json``, which Jackson writes again compactly): also no whitespace, no DEL, no number with a
    fraction, an exponent, a leading zero or ``-0``, no duplicate key. Objects serialized as
    ``application/json`` keep their text as it is stored.
    """
    x = col
    checks = [
        f"{x} IS NOT NULL", f"char_length({x}) <= %(json_max)s", f"{x} ~ '^[[{{]'", f"{x} ~ '[]}}]$'",
        f"char_length({x}) - char_length(translate({x}, '[{{', '')) <= {JSON_MAX_OPEN}",
    ]
    if canonical:
        checks += [f"{x} !~ '[ \t\n\r\x7f]'", f"{x} !~ '[:,[]-?[0-9]+[.eE]'", f"{x} !~ '[:,[]-?0[0-9]'",
                   f"{x} !~ '[:,[]-0[^0-9]'"]
    return (f"(CASE WHEN {' AND '.join(checks)} THEN {JSON_OK}({x}, {'TRUE' if canonical else 'FALSE'})"
            " ELSE FALSE END)")


@dataclass(frozen=True)
class _Kind:
    """How one C7 value type becomes VARIABLE columns, and when that is exact (all SQL over stage row `s`)."""

    type: str
    value: str  # VAR_VALUE: the value's JSON text
    long: str = "NULL"
    double: str = "NULL"
    ok: str = "TRUE"


def double_text(col: str) -> str:
    """java_double of a float8 in [1e-3, 1e7) or zero: PostgreSQL's shortest digits, '.0' added to whole numbers.

    Both sides print the shortest digits that read back as the same double (PostgreSQL 12+ with
    extra_float_digits = 1, Python's repr); in this range Java's layout is plain decimal notation.
    """
    return f"(CASE WHEN strpos({col}::text, '.') > 0 THEN {col}::text ELSE {col}::text || '.0' END)"


def double_exact(col: str) -> str:
    """The doubles `double_text` renders like java_double (NaN and infinities compare false)."""
    return f"({col} = 0 OR (abs({col}) >= 0.001 AND abs({col}) < 10000000))"


#: epoch milliseconds of 1900-01-01 and 2100-01-01 (UTC): dates outside go row by row
DATE_RANGE = (-2208988800000, 4102444800000)


def date_text(col: str) -> str:
    """format_epoch_millis of epoch milliseconds in the zone %(zone)s: yyyy-MM-dd'T'HH:mm:ss.SSS+HHMM.

    The offset is cut to whole minutes toward zero, as Java's SimpleDateFormat and c7to8.variables.dates do.
    """
    instant = f"(timestamptz '1970-01-01 00:00:00+00' + {col} * interval '1 millisecond')"
    return (
        "(SELECT to_char(z.l, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS')"
        " || CASE WHEN z.m < 0 THEN '-' ELSE '+' END"
        " || lpad((abs(z.m) / 60)::text, 2, '0') || lpad(mod(abs(z.m), 60)::text, 2, '0')"
        " FROM (SELECT y.l, trunc(extract(epoch FROM y.l - y.u) / 60)::int AS m"
        f" FROM (SELECT {instant} AT TIME ZONE %(zone)s AS l, {instant} AT TIME ZONE 'UTC' AS u) y) z)"
    )


def _value_kinds(a: str) -> dict[str, _Kind]:
    """C7 serializer name -> its conversion, over the value columns LONG_, DOUBLE_, TEXT_ of alias `a`.

    A string's JSON text is the text in quotes when it has nothing to escape; it must also be at
    most %(max_chars)s characters (never cut by the pipeline).
    """
    long_, double_, text_ = f"{a}.long_", f"{a}.double_", f"{a}.text_"
    return {
        "null": _Kind("'NULL'", "NULL"),
        "boolean": _Kind("'BOOLEAN'", f"(CASE WHEN {long_} = 1 THEN 'true' ELSE 'false' END)",
                         ok=f"{long_} IS NOT NULL"),
        "short": _Kind("'LONG'", f"{long_}::text", long_, ok=f"{long_} BETWEEN {_INT16[0]} AND {_INT16[1]}"),
        "integer": _Kind("'LONG'", f"{long_}::text", long_, ok=f"{long_} BETWEEN {_INT32[0]} AND {_INT32[1]}"),
        "long": _Kind("'LONG'", f"{long_}::text", long_, ok=f"{long_} IS NOT NULL"),  # a bigint is always in range
        "double": _Kind("'DOUBLE'", double_text(double_), double=double_, ok=double_exact(double_)),
        "string": _Kind("'STRING'", f"'\"' || {text_} || '\"'",
                        ok=f"{text_} IS NOT NULL AND {text_} !~ '[\"\\\\\\x01-\\x1f]'"
                           f" AND char_length({text_}) <= %(max_chars)s"),
        "date": _Kind("'STRING'", "'\"' || " + date_text(long_) + " || '\"'",
                      ok=f"{long_} BETWEEN {DATE_RANGE[0]} AND {DATE_RANGE[1]}"),
    }


def _pick(kinds: Mapping[str, _Kind], type_col: str, part: str, default: str = "NULL") -> str:
    """One part of the conversion, chosen by the value's C7 type (`default` for any other type)."""
    return (f"(CASE {type_col} " + " ".join(f"WHEN '{k}' THEN {getattr(v, part)}" for k, v in kinds.items())
            + f" ELSE {default} END)")


def variable_kinds() -> tuple[str, ...]:
    """The C7 serializer names this lane can convert (when their interceptor chain is the built-in one)."""
    return tuple(_value_kinds("s"))


def variable(names: Names, kinds: Iterable[str], preview_size: int, max_bytes: int | None,
             lengths: Mapping[str, int | None], json_kinds: Mapping[str, bool] | None = None,
             skip_kinds: Mapping[str, str] | None = None) -> BulkSql:
    """ACT_HI_VARINST -> VARIABLE for values of migrated instances and scopes.

    - simple values (`kinds`, no byte array). A string is converted here only if its JSON text (the
      text in quotes) is at most half of `preview_size` (and a quarter of `max_bytes`): then the
      pipeline never counts or cuts it;
    - JSON values (`json_kinds`: C7 type -> canonical, see ``json_exact``) from ``c7to8_text``;
    - values certain to be skipped (`skip_kinds`: C7 type -> the reason) with their byte array
      present: tracked as skipped, only for the types in the per-chunk parameter %(skip_now)s (bytes
      and files once the document store is known to be unreachable).
    """
    t = HistoryType.HISTORY_VARIABLE
    params = _common_params(names)
    every = _value_kinds("s")
    usable = {k: every[k] for k in kinds if k in every}
    limit = preview_size // 2
    if max_bytes is not None:
        limit = min(limit, max_bytes // 4)
    params["max_chars"] = max(0, limit - 2)
    json_kinds = dict(json_kinds or {})
    skip_kinds = dict(skip_kinds or {})
    params["json_max"] = min(JSON_MAX_CHARS, preview_size, max_bytes if max_bytes is not None else preview_size)
    params["skip_now"] = []
    params["json_kinds"] = list(json_kinds)
    params["skip_kinds"] = sorted(skip_kinds)
    for k, canonical in json_kinds.items():
        usable[k] = _Kind("'STRING'", "s.c7to8_text", ok=json_exact("s.c7to8_text", canonical))
    for i, (k, reason) in enumerate(sorted(skip_kinds.items())):
        params[f"skip{i}"] = reason
        usable[k] = _Kind("NULL", "NULL", ok="s.c7to8_bytes AND s.var_type_ = ANY(%(skip_now)s)")
    whens = " ".join(f"WHEN '{k}' THEN %(skip{i})s" for i, k in enumerate(sorted(skip_kinds)))
    skip = f"(CASE s.var_type_ {whens} END)" if skip_kinds else "NULL"
    params["kinds"] = list(usable)

    def pick(part: str, default: str = "NULL") -> str:
        return _pick(usable, "s.var_type_", part, default)

    ok = pick("ok", "FALSE")
    simple = ", ".join(f"'{k}'" for k in usable if k not in json_kinds and k not in skip_kinds) or "NULL"
    fits = _fits({"VAR_NAME": "s.name_", "PROCESS_DEFINITION_ID": "%(legacy)s || s.proc_def_key_",
                  "TENANT_ID": _tenant("s.tenant_id_")}, lengths)
    conv = (
        f"CREATE TEMP TABLE {CONV} ON COMMIT DROP AS"
        f" SELECT row_number() OVER (ORDER BY s.create_time_ NULLS FIRST, s.id_ {BY_BYTES}) - 1"
        f" AS rn, * FROM ("
        f"SELECT s.id_, s.create_time_, {c8_date('s.create_time_')} AS create_time, s.name_,"
        f" r.pim_key, r.root_key, r.partition_id,"
        f" (CASE WHEN s.act_inst_id_ = s.proc_inst_id_ THEN r.pim_key ELSE COALESCE("
        f"{_flow_node_key(names, 's.act_inst_id_')},"
        f" {_lookup(names, HistoryType.HISTORY_PROCESS_INSTANCE, 's.act_inst_id_')}) END) AS scope_key,"
        f" %(legacy)s || s.proc_def_key_ AS process_definition_id, {_tenant('s.tenant_id_')} AS tenant_id,"
        f" {pick('type')} AS type, {pick('value')} AS var_value, {pick('long')} AS long_value,"
        f" {pick('double')} AS double_value, {skip} AS skip"
        f" FROM {STAGE} s"
        + _join_instances()
        + " WHERE s.case_inst_id_ IS NULL AND s.var_type_ = ANY(%(kinds)s)"
        f" AND (s.bytearray_id_ IS NULL OR s.var_type_ NOT IN ({simple}))"
        f" AND {ok} AND {fits} AND {_stable(names, 'create_time_')}"
        f" AND {_tracked(names, t)} OFFSET 0) s"
        f" WHERE partition_id IS NOT NULL AND scope_key IS NOT NULL"
    )
    insert = _insert(names.c8["VARIABLE"], [
        ("VAR_KEY", "%(base)s + rn"),
        ("PROCESS_INSTANCE_KEY", "pim_key"),
        ("ROOT_PROCESS_INSTANCE_KEY", "root_key"),
        ("PROCESS_DEFINITION_ID", "process_definition_id"),
        ("SCOPE_KEY", "scope_key"),
        ("TYPE", "type"),
        ("VAR_NAME", "name_"),
        ("DOUBLE_VALUE", "double_value"),
        ("LONG_VALUE", "long_value"),
        ("VAR_VALUE", "var_value"),
        ("VAR_FULL_VALUE", "NULL"),
        ("TENANT_ID", "tenant_id"),
        ("IS_PREVIEW", "FALSE"),
        ("PARTITION_ID", "partition_id"),
        ("ELEMENT_INSTANCE_KEY", "scope_key"),
    ]) + " WHERE skip IS NULL"
    track = _track_skips(names, t, params)
    return BulkSql(t, "CREATE_TIME_", VARIABLE_STAGE, _instances(names), conv, (insert,), track, params,
                   derived=VARIABLE_DERIVED, skips=True, setup=(JSON_OK_FUNCTION,) if json_kinds else ())


# --------------------------------------------------------------------------------------------
# user tasks (convert/user_task.py)

USER_TASK_STAGE = ("ID_", "PROC_DEF_KEY_", "PROC_DEF_ID_", "ROOT_PROC_INST_ID_", "PROC_INST_ID_", "CASE_INST_ID_",
                   "ACT_INST_ID_", "NAME_", "TASK_DEF_KEY_", "ASSIGNEE_", "START_TIME_", "END_TIME_", "DUE_DATE_",
                   "FOLLOW_UP_DATE_", "PRIORITY_", "TENANT_ID_", "TASK_STATE_")
#: per task, from ACT_HI_IDENTITYLINK (type 'candidate'): no link was deleted, the users and groups added
USER_TASK_DERIVED = (("c7to8_links_ok", "boolean"), ("c7to8_users", "text[]"), ("c7to8_groups", "text[]"))


def user_task(names: Names, lengths: Mapping[str, Mapping[str, int | None]], states: Mapping[str, str],
              form_definitions: Sequence[str]) -> BulkSql:
    """ACT_HI_TASKINST -> USER_TASK, CANDIDATE_USER, CANDIDATE_GROUP for tasks of migrated instances and elements.

    Left to the pipeline: tasks of the process definitions in `form_definitions` (their BPMN may link
    a Camunda form), tasks whose candidate links were ever deleted (the pipeline replays them in
    time order), unknown states, texts too long for their columns. `lengths`: per C8 table, its
    columns' character limits.
    """
    t = HistoryType.HISTORY_USER_TASK
    params = _common_params(names)
    params["form_pds"] = list(form_definitions)
    params["states"] = sorted(states)
    state = _case("s.task_state_", states, "", "st", params)
    task = lengths["USER_TASK"]
    fits = " AND ".join([
        _fits({"ELEMENT_ID": "s.task_def_key_", "NAME": "s.name_", "ASSIGNEE": "s.assignee_",
               "PROCESS_DEFINITION_ID": "%(legacy)s || s.proc_def_key_", "TENANT_ID": _tenant("s.tenant_id_")}, task),
        _all_fit("s.c7to8_users", lengths["CANDIDATE_USER"].get("CANDIDATE_USER")),
        _all_fit("s.c7to8_groups", lengths["CANDIDATE_GROUP"].get("CANDIDATE_GROUP")),
    ])
    stable = _stable(names, "start_time_", "end_time_", "due_date_", "follow_up_date_")
    conv = (
        f"CREATE TEMP TABLE {CONV} ON COMMIT DROP AS"
        f" SELECT row_number() OVER (ORDER BY s.start_time_, s.id_ {BY_BYTES}) - 1 AS rn, * FROM ("
        f"SELECT s.id_, s.start_time_, {c8_date('s.start_time_')} AS create_time,"
        f" s.task_def_key_, s.name_, s.assignee_, s.priority_, s.c7to8_users, s.c7to8_groups,"
        f" %(legacy)s || s.proc_def_key_ AS process_definition_id, {_tenant('s.tenant_id_')} AS tenant_id,"
        f" COALESCE({c8_date('s.end_time_')}, r.pi_end) AS completion_date, {state} AS state,"
        f" {c8_date('s.due_date_')} AS due_date, {c8_date('s.follow_up_date_')} AS follow_up_date,"
        f" r.pim_key, r.pd_key, r.root_key, r.partition_id, r.pi_version,"
        f" {_flow_node_key(names, 's.act_inst_id_')} AS element_key"
        f" FROM {STAGE} s"
        + _join_instances(with_definition=True)
        + " WHERE s.case_inst_id_ IS NULL AND s.proc_def_key_ IS NOT NULL AND s.task_state_ = ANY(%(states)s)"
        f" AND s.c7to8_links_ok AND NOT (s.proc_def_id_ = ANY(%(form_pds)s)) AND {fits} AND {stable}"
        f" AND {_tracked(names, t)} OFFSET 0) s"
        f" WHERE pd_key IS NOT NULL AND partition_id IS NOT NULL AND pi_version IS NOT NULL"
        f" AND element_key IS NOT NULL"
    )
    key = "%(base)s + rn"
    inserts = (
        _insert(names.c8["USER_TASK"], [
            ("USER_TASK_KEY", key),
            ("ELEMENT_ID", "task_def_key_"),
            ("NAME", "name_"),
            ("PROCESS_DEFINITION_ID", "process_definition_id"),
            ("CREATION_DATE", "create_time"),
            ("COMPLETION_DATE", "completion_date"),
            ("ASSIGNEE", "assignee_"),
            ("STATE", "state"),
            ("FORM_KEY", "NULL"),
            ("PROCESS_DEFINITION_KEY", "pd_key"),
            ("PROCESS_INSTANCE_KEY", "pim_key"),
            ("ROOT_PROCESS_INSTANCE_KEY", "root_key"),
            ("ELEMENT_INSTANCE_KEY", "element_key"),
            ("TENANT_ID", "tenant_id"),
            ("DUE_DATE", "due_date"),
            ("FOLLOW_UP_DATE", "follow_up_date"),
            ("EXTERNAL_FORM_REFERENCE", "NULL"),
            ("PROCESS_DEFINITION_VERSION", "pi_version"),
            ("CUSTOM_HEADERS", "'{}'"),
            ("PRIORITY", "priority_"),
            ("PARTITION_ID", "partition_id"),
        ]),
        f"INSERT INTO {names.c8['CANDIDATE_USER']} (user_task_key, candidate_user)"
        f" SELECT {key}, u FROM {CONV}, unnest(c7to8_users) AS u",
        f"INSERT INTO {names.c8['CANDIDATE_GROUP']} (user_task_key, candidate_group)"
        f" SELECT {key}, g FROM {CONV}, unnest(c7to8_groups) AS g",
    )
    return BulkSql(t, "START_TIME_", USER_TASK_STAGE, _instances(names, True), conv, inserts, _track(names, t),
                   params, derived=USER_TASK_DERIVED)


def _all_fit(array: str, limit: int | None) -> str:
    """Every text of an array fits a column of `limit` characters (a NULL array fits)."""
    if limit is None:
        return "TRUE"
    return f"NOT EXISTS (SELECT 1 FROM unnest({array}) AS v WHERE char_length(v) > {int(limit)})"


# --------------------------------------------------------------------------------------------
# jobs (convert/job.py): the first log row of each async-continuation job

JOB_STAGE = ("ID_", "JOB_ID_", "JOB_DEF_TYPE_", "JOB_DEF_CONFIGURATION_", "HOSTNAME_", "PROCESS_DEF_KEY_",
             "PROCESS_DEF_ID_", "ROOT_PROC_INST_ID_", "PROCESS_INSTANCE_ID_", "ACT_ID_", "TENANT_ID_", "TIMESTAMP_")
#: per log row: the job's last log time, and how many C7 activity instances its activity has in its instance
JOB_DERIVED = (("c7to8_last", "timestamp without time zone"), ("c7to8_acts", "bigint"))


def job(names: Names, lengths: Mapping[str, int | None], configurations: Sequence[str], worker: str,
        missing: Mapping[str, tuple[str, ...]] | None = None) -> BulkSql:
    """ACT_HI_JOB_LOG (first row per job) -> JOB, when the job's element resolves to exactly one flow node.

    resolveFni in SQL: the instance's C8 flow nodes of that element id are exactly one and the C7
    instance ran that activity at most once. When the instance has no C8 flow node of that element
    at all, the job is recorded as skipped with the reason `missing` gives for its configuration:
    its parts, joined with the process instance key and the element id (``a`` key ``b`` id ``c``),
    or one text. Anything else (ambiguous, a multi-instance body, ...) is left to the pipeline,
    which records the reason. `configurations`: the migrated job kinds; `worker`: the placeholder
    for a job without a host name.
    """
    t = HistoryType.HISTORY_JOB
    params = _common_params(names)
    params.update({"mi": MULTI_INSTANCE_BODY, "mi_suffix": "%" + MULTI_INSTANCE_BODY,
                   "configurations": list(configurations), "worker": worker})
    whens = []
    for i, (configuration, parts) in enumerate(sorted((missing or {}).items())):
        params[f"mc{i}"] = configuration
        for j, part in enumerate(parts):
            params[f"m{i}_{j}"] = part
        text = (f"%(m{i}_0)s" if len(parts) == 1 else
                f"%(m{i}_0)s || r.pim_key::text || %(m{i}_1)s || s.act_id_ || %(m{i}_2)s")
        whens.append(f"WHEN %(mc{i})s THEN {text}")
    fni = names.c8["FLOW_NODE_INSTANCE"]
    no_fn = (f"NOT EXISTS (SELECT 1 FROM {fni} f WHERE f.process_instance_key = r.pim_key"
             f" AND f.flow_node_id = s.act_id_)")
    skip = f"(CASE WHEN {no_fn} THEN (CASE s.job_def_configuration_ {' '.join(whens)} END) END)" if whens \
        else "NULL::text"
    worker_expr = "COALESCE(NULLIF(s.hostname_, ''), %(worker)s)"
    fits = _fits({"ELEMENT_ID": "replace(s.act_id_, %(mi)s, '')", "TYPE": "s.job_def_type_", "WORKER": worker_expr,
                  "PROCESS_DEFINITION_ID": "%(legacy)s || s.process_def_key_", "TENANT_ID": _tenant("s.tenant_id_")},
                 lengths)
    stable = _stable(names, "timestamp_", "c7to8_last")
    conv = (
        f"CREATE TEMP TABLE {CONV} ON COMMIT DROP AS"
        f" SELECT row_number() OVER (ORDER BY s.timestamp_, s.log_id {BY_BYTES}) - 1 AS rn, * FROM ("
        f"SELECT s.job_id_ AS id_, s.id_ AS log_id, s.timestamp_, {c8_date('s.timestamp_')} AS create_time,"
        f" %(legacy)s || s.process_def_key_ AS process_definition_id, replace(s.act_id_, %(mi)s, '') AS element_id,"
        f" {_tenant('s.tenant_id_')} AS tenant_id, s.job_def_type_ AS type, {worker_expr} AS worker,"
        f" COALESCE({c8_date('s.c7to8_last')}, {c8_date('s.timestamp_')}) AS last_update_time,"
        f" r.pim_key, r.pd_key, r.root_key, r.partition_id, COALESCE(s.c7to8_acts, 0) <= 1 AS acts_ok,"
        f" (SELECT max(f.flow_node_instance_key) FROM {fni} f WHERE f.process_instance_key = r.pim_key"
        f" AND f.flow_node_id = s.act_id_ HAVING count(*) = 1) AS element_key, {skip} AS skip"
        f" FROM {STAGE} s"
        + _join_instances(with_definition=True)
        + " WHERE s.job_def_configuration_ = ANY(%(configurations)s) AND s.act_id_ NOT LIKE %(mi_suffix)s"
        f" AND {fits} AND {stable}"
        f" AND {_tracked(names, t, 'job_id_')} OFFSET 0) s"
        f" WHERE pd_key IS NOT NULL AND partition_id IS NOT NULL"
        f" AND ((element_key IS NOT NULL AND acts_ok) OR skip IS NOT NULL)"
    )
    insert = _insert(names.c8["JOB"], [
        ("JOB_KEY", "%(base)s + rn"),
        ("PROCESS_DEFINITION_ID", "process_definition_id"),
        ("PROCESS_DEFINITION_KEY", "pd_key"),
        ("PROCESS_INSTANCE_KEY", "pim_key"),
        ("ROOT_PROCESS_INSTANCE_KEY", "root_key"),
        ("ELEMENT_ID", "element_id"),
        ("ELEMENT_INSTANCE_KEY", "element_key"),
        ("TENANT_ID", "tenant_id"),
        ("TYPE", "type"),
        ("WORKER", "worker"),
        ("STATE", "'COMPLETED'"),
        ("KIND", "'BPMN_ELEMENT'"),
        ("LISTENER_EVENT_TYPE", "'UNSPECIFIED'"),
        ("CUSTOM_HEADERS", "'{}'"),
        ("RETRIES", "0"),
        ("HAS_FAILED_WITH_RETRIES_LEFT", "FALSE"),
        ("IS_DENIED", "FALSE"),
        ("PARTITION_ID", "partition_id"),
        ("CREATION_TIME", "create_time"),
        ("LAST_UPDATE_TIME", "last_update_time"),
    ]) + " WHERE skip IS NULL"
    return BulkSql(t, "TIMESTAMP_", JOB_STAGE, _instances(names, True), conv, (insert,), _track_skips(names, t, params),
                   params, derived=JOB_DERIVED, first_of="JOB_ID_", id_column="job_id_", skips=True,
                   aliases={"PROCESS_INSTANCE_ID_": "proc_inst_id_", "PROCESS_DEF_ID_": "proc_def_id_"})


# --------------------------------------------------------------------------------------------
# decision instances (convert/decision_instance.py): root evaluations without required decisions

DECISION_STAGE = ("ID_", "PROC_DEF_KEY_", "PROC_DEF_ID_", "DEC_DEF_ID_", "DEC_DEF_KEY_", "DEC_REQ_KEY_",
                  "PROC_INST_ID_", "ROOT_PROC_INST_ID_", "ACT_INST_ID_", "EVAL_TIME_", "REMOVAL_TIME_",
                  "COLLECT_VALUE_", "TENANT_ID_")
#: per evaluation: its required-decision evaluations (count), its inputs and outputs (JSON arrays of rows)
DECISION_DERIVED = (("c7to8_children", "bigint"), ("c7to8_in", "json"), ("c7to8_out", "json"))
#: the keys of one input / output row in c7to8_in / c7to8_out, with their types
DECISION_VALUE_FIELDS = (("id_", "text"), ("clause_name_", "text"), ("var_type_", "text"), ("long_", "bigint"),
                         ("double_", "float8"), ("text_", "text"), ("text2_", "text"), ("bytearray_id_", "text"))
DECISION_OUTPUT_FIELDS = (("rule_id_", "text"), ("rule_order_", "integer"), ("clause_id_", "text"))


def _recordset(col: str, output: bool) -> str:
    fields = DECISION_VALUE_FIELDS + (DECISION_OUTPUT_FIELDS if output else ())
    return f"json_to_recordset({col}) AS x({', '.join(f'{n} {t}' for n, t in fields)})"


@dataclass(frozen=True)
class DecisionModels:
    """What the DMN resources say, per C7 decision definition whose DMN was read.

    definitions: (DEC_DEF_ID_, KEY_, C8 decision type or None); rules: (DEC_DEF_ID_, rule id, 1-based
    index) of decision tables.
    """

    definitions: Sequence[tuple[str, str, str | None]] = ()
    rules: Sequence[tuple[str, str, int]] = ()


def decision_instance(names: Names, lengths: Mapping[str, Mapping[str, int | None]], input_kinds: Iterable[str],
                      output_kinds: Iterable[str], models: DecisionModels, char_size: int | None,
                      ttl_hours: int | None, ttl_exact: bool) -> BulkSql:
    """ACT_HI_DECINST root evaluations of migrated instances -> DECISION_INSTANCE, _INPUT, _OUTPUT.

    Converted here: evaluations in a process instance, without required decisions or a collect
    aggregate, whose inputs and outputs are all of `input_kinds` / `output_kinds` (built-in
    conversions only) and short enough never to be cut (`char_size`), of a decision definition in
    `models`. Cleanup date: REMOVAL_TIME_, else the evaluation plus `ttl_hours` (None: no TTL;
    `ttl_exact` False: the TTL has months, left to the pipeline).
    """
    t = HistoryType.HISTORY_DECISION_INSTANCE
    params = _common_params(names)
    params.update({
        "max_chars": 2**31 - 1 if char_size is None else max(0, char_size - 2),
        "char_size": 2**31 - 1 if char_size is None else char_size,
        "dd_ids": [d[0] for d in models.definitions], "dd_keys": [d[1] for d in models.definitions],
        "dd_types": [d[2] for d in models.definitions],
        "rule_dds": [r[0] for r in models.rules], "rule_ids": [r[1] for r in models.rules],
        "rule_ns": [r[2] for r in models.rules],
        "in_kinds": list(input_kinds), "out_kinds": list(output_kinds),
        "ttl_hours": ttl_hours, "ttl_exact": ttl_exact,
    })
    every = _value_kinds("x")
    ins = {k: every[k] for k in params["in_kinds"] if k in every}
    outs = {k: every[k] for k in params["out_kinds"] if k in every}

    def value(kinds: Mapping[str, _Kind]) -> str:  # the value's JSON text ('null' for a null value)
        return f"COALESCE({_pick(kinds, 'x.var_type_', 'value')}, 'null')"

    def convertible(kinds: Mapping[str, _Kind]) -> str:  # a value the SQL converts exactly (length aside)
        return f"x.bytearray_id_ IS NULL AND {_pick(kinds, 'x.var_type_', 'ok', 'FALSE')}"

    def all_ok(col: str, kinds: Mapping[str, _Kind]) -> str:  # the inputs
        ok = f"{convertible(kinds)} AND char_length({value(kinds)}) <= %(char_size)s"
        return f"NOT EXISTS (SELECT 1 FROM {_recordset(col, False)} WHERE NOT ({ok}))"

    # the outputs read once: whether all are convertible (as all_ok: a NULL test is no failure) and the result
    outputs = (f" LEFT JOIN LATERAL (SELECT bool_and(o.ok AND char_length(o.v) <= %(char_size)s) AS ok,"
               f" CASE count(*) WHEN 0 THEN 'null' WHEN 1 THEN min(o.v)"
               f" ELSE '[' || string_agg(o.v, ',' ORDER BY o.rule_order_, o.clause_id_) || ']' END AS result"
               f" FROM (SELECT {value(outs)} AS v, {convertible(outs)} AS ok, x.rule_order_, x.clause_id_"
               f" FROM {_recordset('s.c7to8_out', True)}) o) dout ON TRUE")
    dtype = ("(SELECT d.t FROM unnest(%(dd_ids)s::text[], %(dd_keys)s::text[], %(dd_types)s::text[]) AS d(i, k, t)"
             " WHERE d.i = s.dec_def_id_)")
    known = ("EXISTS (SELECT 1 FROM unnest(%(dd_ids)s::text[], %(dd_keys)s::text[]) AS d(i, k)"
             " WHERE d.i = s.dec_def_id_ AND d.k = s.dec_def_key_)")
    dd_t, fn_t = names.c8["DECISION_DEFINITION"], names.c8["FLOW_NODE_INSTANCE"]
    fits = _fits({"DECISION_DEFINITION_ID": "%(legacy)s || s.dec_def_key_",
                  "PROCESS_DEFINITION_ID": "%(legacy)s || s.proc_def_key_", "TENANT_ID": _tenant("s.tenant_id_")},
                 lengths["DECISION_INSTANCE"])
    stable = _stable(names, "eval_time_", "removal_time_")
    cleanup = (f"COALESCE({c8_date('s.removal_time_')}, {c8_date('s.eval_time_')}"
               f" + %(ttl_hours)s::integer * interval '1 hour')")
    decisions = _resolved_once(names, "c7to8_dd", "dec_def_id_", HistoryType.HISTORY_DECISION_DEFINITION, dd_t,
                               "decision_definition_key", "d.decision_definition_key, d.decision_requirements_key,"
                               " d.decision_requirements_id")
    conv = (
        f"CREATE TEMP TABLE {CONV} ON COMMIT DROP AS WITH {decisions}"
        f" SELECT row_number() OVER (ORDER BY s.eval_time_, s.id_ {BY_BYTES}) - 1 AS rn, * FROM ("
        f"SELECT s.id_, s.eval_time_, {c8_date('s.eval_time_')} AS create_time, s.c7to8_in, s.c7to8_out,"
        f" %(legacy)s || s.proc_def_key_ AS process_definition_id,"
        f" %(legacy)s || s.dec_def_key_ AS decision_definition_id,"
        f" COALESCE(%(legacy)s || s.dec_req_key_, dd.decision_requirements_id) AS decision_requirements_id,"
        f" dd.decision_definition_key AS dd_key, dd.decision_requirements_key AS drd_key,"
        f" fn.flow_node_instance_key AS fn_key, fn.flow_node_id, {dtype} AS type, dout.result,"
        f" {cleanup} AS cleanup_date, {_tenant('s.tenant_id_')} AS tenant_id, s.dec_def_id_,"
        f" r.pim_key, r.pd_key, r.root_key, r.partition_id"
        f" FROM {STAGE} s"
        + _join_instances(with_definition=True)
        + " LEFT JOIN c7to8_dd dd ON dd.c7_id = s.dec_def_id_"
        f" LEFT JOIN LATERAL (SELECT m.k AS flow_node_instance_key, m.flow_node_id FROM {FNMAP} m"
        f" WHERE m.c7_id = s.act_inst_id_ UNION ALL"  # the session's map first; the rest only without a hit
        f" SELECT f.flow_node_instance_key, f.flow_node_id FROM {fn_t} f"
        f" WHERE f.flow_node_instance_key = {_lookup(names, HistoryType.HISTORY_FLOW_NODE, 's.act_inst_id_')}"
        f" LIMIT 1) fn ON TRUE"  # LIMIT: kept a probe per row, never a hash join over the whole table
        + outputs
        + " WHERE s.proc_def_key_ IS NOT NULL AND s.collect_value_ IS NULL AND s.c7to8_children = 0"
        f" AND {known} AND (s.removal_time_ IS NOT NULL OR %(ttl_exact)s) AND {fits} AND {stable}"
        f" AND {all_ok('s.c7to8_in', ins)} AND dout.ok IS NOT FALSE"
        f" AND {_tracked(names, t)} OFFSET 0) s"
        f" WHERE pd_key IS NOT NULL AND partition_id IS NOT NULL AND dd_key IS NOT NULL AND fn_key IS NOT NULL"
        f" AND char_length(result) <= %(char_size)s"
    )
    key = "%(base)s + rn"
    instance_id = f"({key})::text || '-1'"
    # the rules' positions (one per decision and rule id: DecisionModels) joined by hash, not unnested per row
    rule_index = "(CASE WHEN c.type = 'DECISION_TABLE' AND x.rule_id_ <> '' THEN COALESCE(u.n, 1) ELSE 1 END)"
    rules = (" LEFT JOIN unnest(%(rule_dds)s::text[], %(rule_ids)s::text[], %(rule_ns)s::integer[]) AS u(d, i, n)"
             " ON u.d = c.dec_def_id_ AND u.i = x.rule_id_")
    inserts = (
        _insert(names.c8["DECISION_INSTANCE"], [
            ("DECISION_INSTANCE_ID", instance_id),
            ("DECISION_INSTANCE_KEY", key),
            ("PROCESS_INSTANCE_KEY", "pim_key"),
            ("ROOT_PROCESS_INSTANCE_KEY", "root_key"),
            ("PROCESS_DEFINITION_KEY", "pd_key"),
            ("PROCESS_DEFINITION_ID", "process_definition_id"),
            ("DECISION_DEFINITION_KEY", "dd_key"),
            ("DECISION_DEFINITION_ID", "decision_definition_id"),
            ("DECISION_REQUIREMENTS_KEY", "drd_key"),
            ("DECISION_REQUIREMENTS_ID", "decision_requirements_id"),
            ("FLOW_NODE_INSTANCE_KEY", "fn_key"),
            ("FLOW_NODE_ID", "flow_node_id"),
            ("ROOT_DECISION_DEFINITION_KEY", "dd_key"),
            ("TYPE", "type"),
            ("STATE", "'EVALUATED'"),
            ("EVALUATION_DATE", "create_time"),
            ("RESULT", "result"),
            ("EVALUATION_FAILURE", "NULL"),
            ("EVALUATION_FAILURE_MESSAGE", "NULL"),
            ("TENANT_ID", "tenant_id"),
            ("PARTITION_ID", "partition_id"),
            ("HISTORY_CLEANUP_DATE", "cleanup_date"),
            ("FULL_RESULT", "NULL"),
        ]),
        f"INSERT INTO {names.c8['DECISION_INSTANCE_INPUT']}"
        f" (decision_instance_id, input_id, input_name, input_value, full_input_value)"
        f" SELECT {instance_id}, x.id_, x.clause_name_, {value(ins)}, NULL"
        f" FROM {CONV} c, {_recordset('c.c7to8_in', False)}",
        f"INSERT INTO {names.c8['DECISION_INSTANCE_OUTPUT']}"
        f" (decision_instance_id, output_id, output_name, output_value, rule_id, rule_index, full_output_value)"
        f" SELECT {instance_id}, x.id_, x.clause_name_, {value(outs)}, x.rule_id_, {rule_index}, NULL"
        f" FROM {CONV} c CROSS JOIN LATERAL {_recordset('c.c7to8_out', True)}{rules}",
    )
    return BulkSql(t, "EVAL_TIME_", DECISION_STAGE, _instances(names, True), conv, inserts, _track(names, t), params,
                   derived=DECISION_DERIVED)


# --------------------------------------------------------------------------------------------
# process instances (convert/process_instance.py): root instances

PROCESS_STAGE = ("ID_", "PROC_DEF_KEY_", "PROC_DEF_ID_", "ROOT_PROC_INST_ID_", "SUPER_PROCESS_INSTANCE_ID_",
                 "BUSINESS_KEY_", "START_TIME_", "END_TIME_", "REMOVAL_TIME_", "STATE_", "TENANT_ID_")
#: the definition's VERSION_ (from ACT_RE_PROCDEF), a called instance's call-activity instance (ACT_HI_ACTINST.ID_,
#: if exactly one) and the partition c7to8.bulk derives from ID_ (last: appended to each COPY row)
PROCESS_DERIVED = (("c7to8_version", "integer"), ("c7to8_call_fn", "text"), ("c7to8_partition", "integer"))


def _pi_base(names: Names, lengths: Mapping[str, Mapping[str, int | None]], states: Mapping[str, str],
             legacy_tag: str, legacy_variable: str, ttl_hours: int | None, ttl_exact: bool,
             params: dict[str, Any]) -> tuple[str, str]:
    """Shared parts of a process instance's conversion: (select list, row conditions); the caller keeps
    only rows whose definition resolved (``pd_key IS NOT NULL``)."""
    params.update(_common_params(names))
    params.update({"states": sorted(states), "tag": legacy_tag, "legacy_var": legacy_variable,
                   "ttl_hours": ttl_hours, "ttl_exact": ttl_exact, "now": None})
    state = _case("s.state_", states, "", "st", params)
    fits = _fits({"PROCESS_DEFINITION_ID": "%(legacy)s || s.proc_def_key_", "TENANT_ID": _tenant("s.tenant_id_"),
                  "BUSINESS_ID": "s.business_key_"}, lengths["PROCESS_INSTANCE"])
    stable = _stable(names, "start_time_", "end_time_", "removal_time_")
    select_list = (  # FROM the stage s joined to c7to8_pd (_process_definitions)
        f"s.id_, s.start_time_, {c8_date('s.start_time_')} AS create_time,"
        f" %(legacy)s || s.proc_def_key_ AS process_definition_id, {PDEF}.pd_key,"
        f" {state} AS state, COALESCE({c8_date('s.end_time_')}, %(now)s::timestamptz) AS end_date,"
        f" {_tenant('s.tenant_id_')} AS tenant_id, s.c7to8_version AS version,"
        f" s.business_key_, {c8_date('s.removal_time_')} AS removal_date"
    )
    conditions = (
        "s.state_ = ANY(%(states)s) AND s.c7to8_version IS NOT NULL"
        " AND s.id_ !~ '[\"\\\\\\x01-\\x1f]' AND (s.removal_time_ IS NOT NULL OR %(ttl_exact)s)"
        f" AND {fits} AND {stable}"
    )
    return select_list, conditions


def _pi_inserts(names: Names, lengths: Mapping[str, Mapping[str, int | None]], root: str, parent: str,
                parent_element: str, tree_path: str) -> tuple[str, ...]:
    """PROCESS_INSTANCE, the legacyId VARIABLE and the legacy tag of each c7to8_conv row (key: base + rn)."""
    key = "%(base)s + rn"
    columns = [
        ("PROCESS_INSTANCE_KEY", key),
        ("ROOT_PROCESS_INSTANCE_KEY", root),
        ("PROCESS_DEFINITION_ID", "process_definition_id"),
        ("PROCESS_DEFINITION_KEY", "pd_key"),
        ("STATE", "state"),
        ("START_DATE", "create_time"),
        ("END_DATE", "end_date"),
        ("TENANT_ID", "tenant_id"),
        ("PARENT_PROCESS_INSTANCE_KEY", parent),
        ("PARENT_ELEMENT_INSTANCE_KEY", parent_element),
        ("NUM_INCIDENTS", "0"),
        ("VERSION", "version"),
        ("PARTITION_ID", "partition_id"),
        ("TREE_PATH", tree_path),
        ("HISTORY_CLEANUP_DATE", "COALESCE(removal_date, end_date + %(ttl_hours)s::integer * interval '1 hour')"),
    ]
    if "BUSINESS_ID" in lengths["PROCESS_INSTANCE"]:  # a Camunda 8.9 column
        columns.append(("BUSINESS_ID", "business_key_"))
    return (
        _insert(names.c8["PROCESS_INSTANCE"], columns),
        _insert(names.c8["VARIABLE"], [
            ("VAR_KEY", "%(base)s + n + rn"),
            ("PROCESS_INSTANCE_KEY", key),
            ("ROOT_PROCESS_INSTANCE_KEY", root),
            ("PROCESS_DEFINITION_ID", "process_definition_id"),
            ("SCOPE_KEY", key),
            ("TYPE", "'STRING'"),
            ("VAR_NAME", "%(legacy_var)s"),
            ("DOUBLE_VALUE", "NULL"),
            ("LONG_VALUE", "NULL"),
            ("VAR_VALUE", "'\"' || id_ || '\"'"),
            ("VAR_FULL_VALUE", "NULL"),
            ("TENANT_ID", "tenant_id"),
            ("IS_PREVIEW", "FALSE"),
            ("PARTITION_ID", "partition_id"),
            ("ELEMENT_INSTANCE_KEY", key),
        ]),
        f"INSERT INTO {names.c8['PROCESS_INSTANCE_TAG']} (process_instance_key, tag_value) SELECT {key}, %(tag)s"
        f" FROM {CONV}",
    )


def process_instance(names: Names, lengths: Mapping[str, Mapping[str, int | None]], states: Mapping[str, str],
                     legacy_tag: str, legacy_variable: str, ttl_hours: int | None, ttl_exact: bool) -> BulkSql:
    """Root ACT_HI_PROCINST rows -> PROCESS_INSTANCE, its legacyId VARIABLE and its legacy tag.

    Instances still running end now (%(now)s, the moment of the chunk: the row-by-row pipeline takes
    the clock per row). Pre-7.11 rows, unknown states, ids that need escaping in JSON and TTLs with
    months (without REMOVAL_TIME_) are left to the pipeline.

    A called instance cannot be migrated before its call activity (a flow node, a later type): it is
    recorded as skipped for its missing parent flow node where that is certain (definition, parent
    and root migrated, their C8 rows present, the one call-activity instance not migrated); the flow
    nodes' pass migrates it (``called_process_instance``). Called rows wait for a parent converted
    in the same chunk (``repeat``).
    """
    t = HistoryType.HISTORY_PROCESS_INSTANCE
    params: dict[str, Any] = {"skip_called": Reason.MISSING_PARENT_FLOW_NODE}
    select_list, conditions = _pi_base(names, lengths, states, legacy_tag, legacy_variable, ttl_hours, ttl_exact,
                                       params)
    pi = names.c8["PROCESS_INSTANCE"]

    def present(c7_id: str) -> str:  # a scalar subquery: a probe per row (an EXISTS becomes a hash of the table)
        return (f"(SELECT 1 FROM {pi} i WHERE i.process_instance_key ="
                f" {_lookup(names, t, c7_id)} LIMIT 1) IS NOT NULL")

    conv = (
        f"CREATE TEMP TABLE {CONV} ON COMMIT DROP AS WITH {_process_definitions(names)}"
        f" SELECT row_number() OVER (ORDER BY s.start_time_, s.id_ {BY_BYTES}) - 1 AS rn,"
        " count(*) OVER () AS n, * FROM ("
        f"SELECT {select_list}, s.c7to8_partition AS partition_id, NULL::text AS skip"
        f" FROM {STAGE} s{_join_definitions()}"
        f" WHERE s.root_proc_inst_id_ = s.id_ AND s.super_process_instance_id_ IS NULL"
        f" AND s.c7to8_partition IS NOT NULL AND {conditions} AND {_tracked(names, t)}"
        f" UNION ALL SELECT {select_list}, NULL::integer, %(skip_called)s"
        f" FROM {STAGE} s{_join_definitions()}"
        f" WHERE s.super_process_instance_id_ IS NOT NULL AND s.root_proc_inst_id_ <> s.id_"
        f" AND s.c7to8_call_fn IS NOT NULL AND {conditions} AND {_tracked(names, t)}"
        f" AND {present('s.super_process_instance_id_')} AND {present('s.root_proc_inst_id_')}"
        f" AND {_flow_node_key(names, 's.c7to8_call_fn')} IS NULL OFFSET 0) s"
        f" WHERE pd_key IS NOT NULL"
    )
    key = "%(base)s + rn"
    inserts = tuple(f"{i} WHERE skip IS NULL" for i in
                    _pi_inserts(names, lengths, key, "NULL", "NULL", f"'PI_' || ({key})::text"))
    track = _track_skips(names, t, params, "partition_id")
    repeat = (f"SELECT 1 FROM {STAGE} s WHERE s.super_process_instance_id_ IN (SELECT id_ FROM {CONV}"
              f" WHERE skip IS NULL) LIMIT 1")
    return BulkSql(t, "START_TIME_", PROCESS_STAGE, None, conv, inserts, track, params,
                   derived=PROCESS_DERIVED, partition_of_id=True, keys_per_row=2, skips=True, repeat=repeat,
                   remember=_remember(only_migrated=True))


def may_heal_sql(reason: str) -> str:
    """history.may_heal in SQL: a skip a migrated dependency may heal, or whose reason was not saved."""
    starts = " OR ".join(f"left({reason}, {len(p)}) = '{p}'" for p in HEALING_REASON_PREFIXES)
    return f"({reason} IS NULL OR {starts})"


CALLED_STAGE = "c7to8_stage_called"
#: the definition's VERSION_, and the call-activity instance (ACT_HI_ACTINST.ID_) that called it
CALLED_DERIVED = (("c7to8_version", "integer"), ("c7to8_call_fn", "text"))


def called_process_instance(names: Names, lengths: Mapping[str, Mapping[str, int | None]],
                            states: Mapping[str, str], legacy_tag: str, legacy_variable: str, ttl_hours: int | None,
                            ttl_exact: bool) -> BulkSql:
    """Called ACT_HI_PROCINST rows, skipped until their call activity was migrated, staged in
    ``c7to8_stage_called`` -> PROCESS_INSTANCE, legacyId VARIABLE, legacy tag; their skipped tracking
    rows get the key (the automatic retry's RETRY mode).

    Only rows whose parent instance, root instance (with its partition), definition and call-activity
    flow node are all migrated, their C8 rows present; the rest is left to the pipeline.
    """
    t = HistoryType.HISTORY_PROCESS_INSTANCE
    params: dict[str, Any] = {}
    select_list, conditions = _pi_base(names, lengths, states, legacy_tag, legacy_variable, ttl_hours, ttl_exact,
                                       params)
    pi = names.c8["PROCESS_INSTANCE"]

    def migrated(c7_id: str, alias: str) -> str:
        return (f" JOIN LATERAL (SELECT {_key('x')} AS k, x.partition_id FROM {names.mapping} x"
                f" WHERE x.type = '{t.name}' AND x.c7_id = {c7_id} AND x.c8_key IS NOT NULL LIMIT 1) {alias}m ON TRUE"
                f" JOIN LATERAL (SELECT i.process_instance_key, i.tree_path, i.partition_id FROM {pi} i"
                f" WHERE i.process_instance_key = {alias}m.k LIMIT 1) {alias} ON TRUE")

    conv = (
        f"CREATE TEMP TABLE {CONV} ON COMMIT DROP AS WITH {_process_definitions(names, CALLED_STAGE)}"
        f" SELECT row_number() OVER (ORDER BY s.start_time_, s.id_ {BY_BYTES}) - 1 AS rn,"
        " count(*) OVER () AS n, * FROM ("
        f"SELECT {select_list}, p.process_instance_key AS parent_key, p.tree_path AS parent_tree_path,"
        f" r.process_instance_key AS root_key, rm.partition_id,"
        f" {_flow_node_key(names, 's.c7to8_call_fn')} AS parent_element_key"
        f" FROM {CALLED_STAGE} s"
        + migrated("s.super_process_instance_id_", "p") + migrated("s.root_proc_inst_id_", "r")
        + _join_definitions()
        + " WHERE s.super_process_instance_id_ IS NOT NULL AND s.root_proc_inst_id_ <> s.id_"
        f" AND rm.partition_id IS NOT NULL AND {conditions}"
        f" AND (SELECT 1 FROM {names.mapping} m WHERE m.type = '{t.name}' AND m.c7_id = s.id_"
        f" AND m.c8_key IS NULL AND {may_heal_sql('m.skip_reason')}"
        " LIMIT 1) IS NOT NULL OFFSET 0) s"  # a probe per row, as in present()
        f" WHERE pd_key IS NOT NULL AND parent_element_key IS NOT NULL"
    )
    key = "%(base)s + rn"
    tree = (f"(CASE WHEN COALESCE(parent_tree_path, '') <> '' THEN parent_tree_path || '/PI_' || ({key})::text"
            f" ELSE 'PI_' || root_key::text || '/PI_' || ({key})::text END)")
    inserts = _pi_inserts(names, lengths, "root_key", "parent_key", "parent_element_key", tree)
    # each converted row's tracking row, by the primary key (a nested loop: see c7to8.bulk); the conversion
    # took only rows tracked as skipped, in this transaction (a C8_KEY IS NULL test here would steer the
    # planner to that index, which holds every skipped row of every type)
    track = (f"UPDATE {names.mapping} m SET c8_key = (%(base)s + c.rn)::text, skip_reason = NULL,"
             f" partition_id = c.partition_id FROM {CONV} c"
             f" WHERE m.type = '{t.name}' AND m.c7_id = c.id_")
    return BulkSql(t, "START_TIME_", PROCESS_STAGE, None, conv, inserts, track, params, derived=CALLED_DERIVED,
                   keys_per_row=2, remember=_remember(only_migrated=False))
