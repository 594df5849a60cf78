"""Row counts of a harness database, per scenario family (process definition key) and in total."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

# table -> SQL returning (family, count); family NULL becomes "-"
PER_KEY: dict[str, str] = {
    "ACT_HI_PROCINST": "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_HI_PROCINST GROUP BY PROC_DEF_KEY_",
    "ACT_HI_ACTINST": "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_HI_ACTINST GROUP BY PROC_DEF_KEY_",
    "ACT_HI_TASKINST": "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_HI_TASKINST GROUP BY PROC_DEF_KEY_",
    "ACT_HI_VARINST": "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_HI_VARINST GROUP BY PROC_DEF_KEY_",
    "ACT_HI_INCIDENT": "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_HI_INCIDENT GROUP BY PROC_DEF_KEY_",
    "ACT_HI_DECINST": "SELECT DEC_DEF_KEY_, COUNT(*) FROM ACT_HI_DECINST GROUP BY DEC_DEF_KEY_",
    "ACT_HI_JOB_LOG": "SELECT PROCESS_DEF_KEY_, COUNT(*) FROM ACT_HI_JOB_LOG GROUP BY PROCESS_DEF_KEY_",
    "ACT_HI_OP_LOG": "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_HI_OP_LOG GROUP BY PROC_DEF_KEY_",
    "ACT_RU_EXECUTION": (
        "SELECT d.KEY_, COUNT(*) FROM ACT_RU_EXECUTION e JOIN ACT_RE_PROCDEF d ON d.ID_ = e.PROC_DEF_ID_ GROUP BY d.KEY_"
    ),
    "ACT_RU_TASK": (
        "SELECT d.KEY_, COUNT(*) FROM ACT_RU_TASK t JOIN ACT_RE_PROCDEF d ON d.ID_ = t.PROC_DEF_ID_ GROUP BY d.KEY_"
    ),
    "ACT_RU_JOB": "SELECT PROCESS_DEF_KEY_, COUNT(*) FROM ACT_RU_JOB GROUP BY PROCESS_DEF_KEY_",
    "ACT_RU_INCIDENT": (
        "SELECT d.KEY_, COUNT(*) FROM ACT_RU_INCIDENT i JOIN ACT_RE_PROCDEF d ON d.ID_ = i.PROC_DEF_ID_ GROUP BY d.KEY_"
    ),
    "ACT_RU_EXT_TASK": "SELECT PROC_DEF_KEY_, COUNT(*) FROM ACT_RU_EXT_TASK GROUP BY PROC_DEF_KEY_",
    "ACT_RU_VARIABLE": (
        "SELECT d.KEY_, COUNT(*) FROM ACT_RU_VARIABLE v JOIN ACT_RE_PROCDEF d ON d.ID_ = v.PROC_DEF_ID_ GROUP BY d.KEY_"
    ),
    "ACT_RE_PROCDEF": "SELECT KEY_, COUNT(*) FROM ACT_RE_PROCDEF GROUP BY KEY_",
}

TOTALS: tuple[str, ...] = (
    "ACT_ID_USER",
    "ACT_ID_GROUP",
    "ACT_ID_MEMBERSHIP",
    "ACT_ID_TENANT",
    "ACT_ID_TENANT_MEMBER",
    "ACT_RU_AUTHORIZATION",
)


def family_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """{table: {family: rows}} for the per-key tables; zero-count families are absent."""
    out: dict[str, dict[str, int]] = {}
    for table, sql in PER_KEY.items():
        out[table] = {(k if k is not None else "-"): int(n) for k, n in conn.execute(text(sql)).all()}
    return out


def total_counts(conn: Connection) -> dict[str, int]:
    return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TOTALS}
