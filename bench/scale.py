"""Scale a harness-built Camunda 7 history to N process instances by cloning rows in SQL.

Clone ``k`` of a row gets ``<id>~<k>`` in its own id and in every column that refers to
instance-scoped data (process/activity/task/job/variable/decision/byte-array ids), so references
stay consistent inside each clone; definitions, deployments and job definitions are shared.
One ``INSERT ... SELECT ... CROSS JOIN generate_series`` per table, reading only the base rows
(ids without ``~``). A final partial clone covers the first ``r`` root instances when N is not a
multiple of the base size.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

MARK = "~"

#: columns that hold ids of instance-scoped rows (lower case, as PostgreSQL folds them)
SUFFIXED = frozenset({
    "id_", "proc_inst_id_", "root_proc_inst_id_", "execution_id_", "parent_act_inst_id_", "task_id_",
    "call_proc_inst_id_", "act_inst_id_", "super_process_instance_id_", "bytearray_id_", "job_id_",
    "job_exception_stack_id_", "process_instance_id_", "cause_incident_id_", "root_cause_incident_id_",
    "configuration_", "history_configuration_", "root_dec_inst_id_", "dec_inst_id_", "operation_id_",
    "var_inst_id_", "ext_task_id_", "error_details_id_", "external_task_id_", "parent_task_id_",
    "restarted_proc_inst_id_",
})

#: history tables cloned, with the filter selecting their instance-bound base rows
TABLES: dict[str, str] = {
    "act_hi_procinst": "TRUE",
    "act_hi_actinst": "TRUE",
    "act_hi_taskinst": "proc_inst_id_ IS NOT NULL",
    "act_hi_varinst": "proc_inst_id_ IS NOT NULL",
    "act_hi_job_log": "process_instance_id_ IS NOT NULL",
    "act_hi_incident": "proc_inst_id_ IS NOT NULL",
    "act_hi_decinst": "TRUE",
    "act_hi_dec_in": "TRUE",
    "act_hi_dec_out": "TRUE",
    "act_hi_identitylink": "task_id_ IS NOT NULL OR root_proc_inst_id_ IS NOT NULL",
    "act_hi_op_log": "root_proc_inst_id_ IS NOT NULL OR proc_inst_id_ IS NOT NULL",
    "act_hi_ext_task_log": "TRUE",
    "act_ge_bytearray": (
        "deployment_id_ IS NULL AND id_ IN ("
        "SELECT bytearray_id_ FROM act_hi_varinst UNION SELECT job_exception_stack_id_ FROM act_hi_job_log "
        "UNION SELECT bytearray_id_ FROM act_hi_dec_in UNION SELECT bytearray_id_ FROM act_hi_dec_out "
        "UNION SELECT error_details_id_ FROM act_hi_ext_task_log)"
    ),
}


@dataclass
class ScaleResult:
    base_roots: int
    copies: int  # full copies including the base
    partial: int  # root instances in the final partial clone
    rows: dict[str, int]


def _columns(conn: Connection, table: str) -> list[str]:
    q = text("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
             "AND table_name = :t ORDER BY ordinal_position")
    return [str(r[0]) for r in conn.execute(q, {"t": table})]


def _select_list(cols: list[str], k_expr: str) -> str:
    out = []
    for c in cols:
        if c in SUFFIXED:
            out.append(f"CASE WHEN {c} IS NULL THEN NULL ELSE {c} || '{MARK}' || {k_expr} END")
        else:
            out.append(c)
    return ", ".join(out)


def scale(conn: Connection, instances: int) -> ScaleResult:
    """Clone the base data of `conn`'s database until it holds `instances` root process instances."""
    base_roots = int(conn.execute(text(
        "SELECT count(*) FROM act_hi_procinst WHERE id_ = root_proc_inst_id_ OR root_proc_inst_id_ IS NULL"
    )).scalar() or 0)
    if base_roots == 0:
        raise RuntimeError("the base data set has no process instances")
    copies, partial = divmod(instances, base_roots)
    if copies == 0:
        raise RuntimeError(f"N={instances} is smaller than the base data set ({base_roots} root instances)")
    if partial:
        conn.execute(text(
            "CREATE TEMP TABLE bench_partial_roots AS SELECT id_ FROM act_hi_procinst "
            "WHERE id_ = root_proc_inst_id_ ORDER BY id_ LIMIT :n"), {"n": partial})
    # every table first copies its base rows into a temp table, so the byte-array filter (which
    # reads the history tables) and all clones see only the base rows
    for table, cond in TABLES.items():
        conn.execute(text(f"CREATE TEMP TABLE base_{table} AS SELECT * FROM {table} "
                          f"WHERE position('{MARK}' in id_) = 0 AND ({cond})"))
    rows: dict[str, int] = {}
    for table in TABLES:
        cols = _columns(conn, table)
        col_list = ", ".join(cols)
        if copies > 1:
            conn.execute(text(
                f"INSERT INTO {table} ({col_list}) SELECT {_select_list(cols, 'k::text')} "
                f"FROM base_{table} CROSS JOIN generate_series(1, {copies - 1}) AS k"))
        if partial:
            root_col = "root_proc_inst_id_" if "root_proc_inst_id_" in cols else None
            if root_col is not None:
                conn.execute(text(
                    f"INSERT INTO {table} ({col_list}) SELECT {_select_list(cols, repr(str(copies)))} "
                    f"FROM base_{table} WHERE {root_col} IN (SELECT id_ FROM bench_partial_roots)"))
        rows[table] = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    return ScaleResult(base_roots, copies, partial, rows)
