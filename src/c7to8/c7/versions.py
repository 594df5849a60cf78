"""What each Camunda 7 schema version (7.17 to 7.24) has, and how rows of older versions are evened out.

The version of a Camunda 7 database is the highest version in ``ACT_GE_SCHEMA_LOG.VERSION_``: the
engine writes ``('0', now, '<version>')`` when it creates the schema and every upgrade script adds
a row. ``ACT_GE_PROPERTY.schema.version`` is no help: the create scripts of every 7.x release set
it to ``fox`` and the upgrade scripts never change it (verified on databases created by the real
7.17.0, 7.20.0 and 7.24.0 engines).

Columns were only ever *added* between 7.17 and 7.24 (the engine's upgrade scripts
``<vendor>_engine_7.x_to_7.y.sql``); no table was added or dropped. The reader reflects the
columns a database really has, so a column a version lacks is simply absent from the rows. The one
column the history conversion needs a value for is ``ACT_HI_TASKINST.TASK_STATE_`` (7.22+), which
is derived for older rows here (:func:`fill_task_state`); the others are not read by c7to8.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

Version = tuple[int, int, int]

SUPPORTED_MIN: Version = (7, 17, 0)
SUPPORTED_MAX_MINOR: tuple[int, int] = (7, 24)  # any 7.24.x patch is accepted


@dataclass(frozen=True)
class AddedColumn:
    since: tuple[int, int]  # first minor version whose schema has it
    table: str
    column: str
    read_by_c7to8: bool  # whether the history/runtime conversion reads it


# From the engine's upgrade scripts 7.17_to_7.18 ... 7.23_to_7.24 (identical column lists on every
# vendor), checked against databases created by the real 7.17.0, 7.20.0 and 7.24.0 engines.
ADDED_COLUMNS: tuple[AddedColumn, ...] = (
    AddedColumn((7, 18), "ACT_RU_TASK", "LAST_UPDATED_", False),
    AddedColumn((7, 18), "ACT_RU_BATCH", "START_TIME_", False),
    AddedColumn((7, 18), "ACT_RU_BATCH", "EXEC_START_TIME_", False),
    AddedColumn((7, 18), "ACT_HI_BATCH", "EXEC_START_TIME_", False),
    AddedColumn((7, 21), "ACT_RU_EXT_TASK", "CREATE_TIME_", False),
    AddedColumn((7, 21), "ACT_RU_JOB", "ROOT_PROC_INST_ID_", False),
    AddedColumn((7, 22), "ACT_RU_TASK", "TASK_STATE_", False),
    AddedColumn((7, 22), "ACT_HI_TASKINST", "TASK_STATE_", True),
    AddedColumn((7, 22), "ACT_RU_JOB", "BATCH_ID_", False),
    AddedColumn((7, 22), "ACT_HI_JOB_LOG", "BATCH_ID_", False),
    AddedColumn((7, 22), "ACT_HI_PROCINST", "RESTARTED_PROC_INST_ID_", False),
    AddedColumn((7, 23), "ACT_HI_COMMENT", "REV_", False),
    AddedColumn((7, 23), "ACT_RU_EXECUTION", "PROC_DEF_KEY_", False),
)


def parse_version(text: object) -> Version | None:
    """``"7.17.0"`` -> (7, 17, 0); ``"7.20.3-ee"`` -> (7, 20, 3); ``"fox"`` or None -> None."""
    if text is None:
        return None
    m = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def newest(versions: Iterable[object]) -> Version | None:
    parsed = [v for v in (parse_version(x) for x in versions) if v is not None]
    return max(parsed) if parsed else None


def format_version(v: Version) -> str:
    return ".".join(str(p) for p in v)


def is_supported(v: Version) -> bool:
    return SUPPORTED_MIN <= v and v[:2] <= SUPPORTED_MAX_MINOR


def missing_columns(v: Version) -> dict[str, set[str]]:
    """Columns of the 7.24 schema that a database of version `v` does not have, by table."""
    out: dict[str, set[str]] = {}
    for c in ADDED_COLUMNS:
        if v[:2] < c.since:
            out.setdefault(c.table, set()).add(c.column)
    return out


# ------------------------------------------------------------------------------------------------
# row fillers: give rows of older schemas the values that newer ones store


RowFiller = Callable[[MutableMapping[str, Any]], None]

TASK_DELETE_REASON_COMPLETED = "completed"  # TaskEntity.DELETE_REASON_COMPLETED before 7.22


def fill_task_state(row: MutableMapping[str, Any]) -> None:
    """ACT_HI_TASKINST.TASK_STATE_ (7.22+) for rows written before 7.22 (column missing or NULL).

    Before 7.22 the engine recorded how a task ended only in DELETE_REASON_: ``completed`` for a
    completed task, ``deleted`` or the cancellation reason otherwise, NULL while it was open. The
    7.22+ engine writes Completed / Deleted / Created (or Updated) for the same three cases.
    """
    if row.get("TASK_STATE_") is not None:
        return
    if row.get("END_TIME_") is None:
        row["TASK_STATE_"] = "Created"
    elif row.get("DELETE_REASON_") == TASK_DELETE_REASON_COMPLETED:
        row["TASK_STATE_"] = "Completed"
    else:
        row["TASK_STATE_"] = "Deleted"


ROW_FILLERS: Mapping[str, RowFiller] = {
    "ACT_HI_TASKINST": fill_task_state,
}


def filler_for(table: str) -> RowFiller | None:
    """The row filler of a C7 table (name without prefix, any case), if it has one."""
    return ROW_FILLERS.get(table.upper())
