"""`c7to8 --history --verify`: compare Camunda 7 with Camunda 8 after a history run.

Per entity type it counts
  * the C7 entities (exactly what the migrator reads: the orchestrator's handlers count them),
  * the tracking rows (migrated = C8_KEY set, skipped = C8_KEY NULL),
  * the migrated keys whose C8 row is actually present (one anti-join per type, in the database),
and per process definition (process instances, flow nodes, user tasks) C7 rows vs C8 rows plus skips.
A random sample of migrated entities is then checked field by field: the C7 row goes through the
same interceptor chain the migration used (built-in transformers of `c7to8.convert`, value
conversion of `c7to8.variables`) and the fields it produces must equal the stored C8 row; parent
keys must be the tracked keys of the C7 parents.

Every difference that a skip (with its reason) does not explain is a problem: exit code 1.
Nothing is written anywhere; queries are set-based or paged, never OFFSET, never "load everything".
"""

from __future__ import annotations

import html
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO, cast
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Engine, String, Table, and_, exists, func, literal_column, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql.elements import ColumnElement

from .c7.source import C7Source, Row
from .c8.schema import c8_metadata, existing_c8_tables
from .c8.schema import table as c8_table
from .config import Config
from .convert import (
    audit_log,
    decision_definition,
    decision_instance,
    decision_requirements,
    flow_node,
    form,
    incident,
    job,
    process_definition,
    process_instance,
    user_task,
    variable,
)
from .convert.base import EntityInterceptorContext, run_chain
from .convert.common import MIGRATION_ORDER, ConvertSettings, HistoryType
from .convert.interceptors import SPECS, build_entity_chain
from .dialects import for_engine
from .errors import SkipError
from .store.tracking import EntityType, Tracking

if TYPE_CHECKING:
    from .app import App
    from .history import Handler

PI = HistoryType.HISTORY_PROCESS_INSTANCE
PD = HistoryType.HISTORY_PROCESS_DEFINITION
FN = HistoryType.HISTORY_FLOW_NODE
UT = HistoryType.HISTORY_USER_TASK
DRD = HistoryType.HISTORY_DECISION_REQUIREMENT
DD = HistoryType.HISTORY_DECISION_DEFINITION

EXAMPLES = 20  # ids named per kind of difference
DEFAULT_SAMPLE = 50

# Fields the built-in transformer of each type derives from the C7 row alone (compared on the sample).
FIELDS: dict[HistoryType, tuple[str, ...]] = {
    HistoryType.HISTORY_FORM_DEFINITION: ("FORM_ID", "TENANT_ID", "VERSION"),
    PD: ("PROCESS_DEFINITION_ID", "NAME", "RESOURCE_NAME", "TENANT_ID", "VERSION", "VERSION_TAG"),
    PI: ("PROCESS_DEFINITION_ID", "STATE", "START_DATE", "TENANT_ID", "VERSION", "BUSINESS_ID"),
    FN: ("FLOW_NODE_ID", "FLOW_NODE_NAME", "PROCESS_DEFINITION_ID", "TYPE", "STATE", "START_DATE", "TENANT_ID"),
    UT: ("ELEMENT_ID", "NAME", "PROCESS_DEFINITION_ID", "CREATION_DATE", "ASSIGNEE", "TENANT_ID", "DUE_DATE",
         "FOLLOW_UP_DATE", "PRIORITY"),
    HistoryType.HISTORY_VARIABLE: ("VAR_NAME", "PROCESS_DEFINITION_ID", "TENANT_ID", *variable.VALUE_COLUMNS),
    HistoryType.HISTORY_JOB: ("TYPE", "WORKER", "PROCESS_DEFINITION_ID", "ELEMENT_ID", "TENANT_ID", "CREATION_TIME"),
    HistoryType.HISTORY_EXTERNAL_TASK: ("TYPE", "WORKER", "PROCESS_DEFINITION_ID", "ELEMENT_ID", "TENANT_ID",
                                        "CREATION_TIME"),
    HistoryType.HISTORY_INCIDENT: ("PROCESS_DEFINITION_ID", "FLOW_NODE_ID", "ERROR_TYPE", "ERROR_MESSAGE",
                                   "CREATION_DATE", "STATE", "TENANT_ID"),
    DRD: ("DECISION_REQUIREMENTS_ID", "NAME", "TENANT_ID", "VERSION", "RESOURCE_NAME"),
    DD: ("DECISION_DEFINITION_ID", "NAME", "TENANT_ID", "VERSION"),
    HistoryType.HISTORY_DECISION_INSTANCE: ("STATE", "EVALUATION_DATE", "PROCESS_DEFINITION_ID",
                                            "DECISION_DEFINITION_ID", "TENANT_ID"),
    HistoryType.HISTORY_AUDIT_LOG: ("ENTITY_TYPE", "OPERATION_TYPE", "ACTOR_ID", "PROCESS_DEFINITION_ID",
                                    "TENANT_ID", "CATEGORY", "ANNOTATION"),
}

# Parent keys: (C8 column, C7 column, parent types tried in order). The C8 value must be the tracked
# key of the C7 parent whenever that parent is tracked as migrated.
_PROC = (("PROCESS_INSTANCE_KEY", "PROC_INST_ID_", (PI,)), ("ROOT_PROCESS_INSTANCE_KEY", "ROOT_PROC_INST_ID_", (PI,)),
         ("PROCESS_DEFINITION_KEY", "PROC_DEF_ID_", (PD,)))
PARENTS: dict[HistoryType, tuple[tuple[str, str, tuple[HistoryType, ...]], ...]] = {
    PI: (("PROCESS_DEFINITION_KEY", "PROC_DEF_ID_", (PD,)),
         ("PARENT_PROCESS_INSTANCE_KEY", "SUPER_PROCESS_INSTANCE_ID_", (PI,)),
         ("ROOT_PROCESS_INSTANCE_KEY", "ROOT_PROC_INST_ID_", (PI,))),
    FN: _PROC,
    UT: (*_PROC, ("ELEMENT_INSTANCE_KEY", "ACT_INST_ID_", (FN,))),
    HistoryType.HISTORY_VARIABLE: (_PROC[0], _PROC[1], ("SCOPE_KEY", "ACT_INST_ID_", (FN, PI))),
    HistoryType.HISTORY_JOB: (("PROCESS_INSTANCE_KEY", "PROCESS_INSTANCE_ID_", (PI,)), _PROC[1],
                              ("PROCESS_DEFINITION_KEY", "PROCESS_DEF_ID_", (PD,))),
    HistoryType.HISTORY_EXTERNAL_TASK: _PROC,
    HistoryType.HISTORY_INCIDENT: _PROC,
    DD: (("DECISION_REQUIREMENTS_KEY", "DEC_REQ_ID_", (DRD,)),),
    HistoryType.HISTORY_DECISION_INSTANCE: (*_PROC, ("DECISION_DEFINITION_KEY", "DEC_DEF_ID_", (DD,)),
                                            ("FLOW_NODE_INSTANCE_KEY", "ACT_INST_ID_", (FN,))),
    HistoryType.HISTORY_AUDIT_LOG: (*_PROC, ("USER_TASK_KEY", "TASK_ID_", (UT,))),
}

# Types checked per process definition: C7 definition-key column -> C8 PROCESS_DEFINITION_ID (prefixed).
PER_DEFINITION: dict[HistoryType, str] = {PI: "PROC_DEF_KEY_", FN: "PROC_DEF_KEY_", UT: "PROC_DEF_KEY_"}

_CONTEXTS: dict[HistoryType, Callable[..., Any]] = {
    HistoryType.HISTORY_FORM_DEFINITION: form.FormContext,
    PD: process_definition.ProcessDefinitionContext,
    PI: process_instance.ProcessInstanceContext,
    FN: flow_node.FlowNodeContext,
    UT: user_task.UserTaskContext,
    HistoryType.HISTORY_VARIABLE: variable.VariableContext,
    HistoryType.HISTORY_JOB: job.JobContext,
    HistoryType.HISTORY_EXTERNAL_TASK: job.JobContext,
    HistoryType.HISTORY_INCIDENT: incident.IncidentContext,
    DRD: decision_requirements.DecisionRequirementsContext,
    DD: decision_definition.DecisionDefinitionContext,
    HistoryType.HISTORY_DECISION_INSTANCE: decision_instance.DecisionInstanceContext,
    HistoryType.HISTORY_AUDIT_LOG: audit_log.AuditLogContext,
}


class _Unchecked:
    """A field value the recheck cannot reproduce offline (document references)."""

    def __repr__(self) -> str:
        return "<not rechecked>"


UNCHECKED = _Unchecked()


# ------------------------------------------------------------------------------------------ results


@dataclass
class FieldDiff:
    c7_id: str
    c8_key: str
    column: str
    expected: str
    actual: str


@dataclass
class TypeResult:
    type: str
    display: str
    c7_rows: int | None = None  # None: the C7 table does not exist
    migrated: int = 0
    skipped: int = 0
    c8_present: int = 0
    missing_in_c8: int = 0
    missing_examples: list[tuple[str, str]] = field(default_factory=list)  # (C7 id, C8 key)
    untracked: int = 0
    untracked_examples: list[str] = field(default_factory=list)
    c7_gone: int = 0  # tracked, but no longer in Camunda 7 (history cleanup after the run)
    c7_gone_examples: list[str] = field(default_factory=list)
    sampled: int = 0
    field_diffs: list[FieldDiff] = field(default_factory=list)
    not_rechecked: list[str] = field(default_factory=list)
    skip_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def tracked(self) -> int:
        return self.migrated + self.skipped

    @property
    def ok(self) -> bool:
        return not (self.missing_in_c8 or self.untracked or self.field_diffs)

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.missing_in_c8:
            ex = ", ".join(f"{c7} (C8 key {k})" for c7, k in self.missing_examples)
            out.append(f"{self.display}: {self.missing_in_c8} migrated entities have no Camunda 8 row: {ex}")
        if self.untracked:
            ex = ", ".join(self.untracked_examples)
            out.append(f"{self.display}: {self.untracked} Camunda 7 entities were neither migrated nor skipped "
                       f"(run --history again): {ex}")
        for d in self.field_diffs:
            out.append(f"{self.display} C7 ID [{d.c7_id}] (C8 key {d.c8_key}): {d.column} is {d.actual}, "
                       f"expected {d.expected}")
        return out


@dataclass
class DefinitionResult:
    type: str
    definition: str  # C7 process definition key
    c7_rows: int
    c8_rows: int
    skipped: int

    @property
    def ok(self) -> bool:
        return self.c7_rows == self.c8_rows + self.skipped


@dataclass
class VerifyResult:
    types: list[TypeResult] = field(default_factory=list)
    definitions: list[DefinitionResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sample_size: int = DEFAULT_SAMPLE
    seconds: float = 0.0
    c7: str = ""
    c8: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.types) and all(d.ok for d in self.definitions)

    def problems(self) -> list[str]:
        out = [p for t in self.types for p in t.problems()]
        for d in self.definitions:
            if not d.ok:
                out.append(f"{DISPLAY[d.type]} of process definition '{d.definition}': C7 {d.c7_rows} rows, "
                           f"C8 {d.c8_rows} rows, {d.skipped} skipped")
        return out

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "ok": self.ok,
            "created": self.created,
            "c7": self.c7,
            "c8": self.c8,
            "sample_size": self.sample_size,
            "seconds": round(self.seconds, 3),
            "types": [],
            "definitions": [],
            "problems": self.problems(),
            "notes": self.notes,
        }
        for t in self.types:
            d = asdict(t)
            d["ok"] = t.ok
            d["tracked"] = t.tracked
            d["missing_examples"] = [{"c7_id": a, "c8_key": b} for a, b in t.missing_examples]
            doc["types"].append(d)
        for df in self.definitions:
            doc["definitions"].append({**asdict(df), "ok": df.ok})
        return doc

    # ------------------------------------------------------------------ output
    def print(self, out: TextIO) -> None:
        from rich.console import Console
        from rich.table import Table as RichTable

        console = Console(file=out, width=max(120, Console(file=out).width), highlight=False)
        table = RichTable(title="c7to8 verify: Camunda 7 vs Camunda 8 (history)", title_justify="left")
        for col in ("type", "C7 rows", "migrated", "skipped", "C8 present", "missing in C8", "not migrated",
                    "gone from C7", "sampled", "field diffs", "result"):
            table.add_column(col, justify="left" if col in ("type", "result") else "right")
        for t in self.types:
            c7 = "-" if t.c7_rows is None else f"{t.c7_rows:,}"
            table.add_row(
                t.display, c7, f"{t.migrated:,}", f"{t.skipped:,}", f"{t.c8_present:,}", f"{t.missing_in_c8:,}",
                f"{t.untracked:,}", f"{t.c7_gone:,}", f"{t.sampled:,}", f"{len(t.field_diffs):,}",
                "ok" if t.ok else "DIFFERENT", style=None if t.ok else "bold red",
            )
        console.print(table)
        if self.definitions:
            dt = RichTable(title="per process definition", title_justify="left")
            for col in ("type", "process definition", "C7 rows", "C8 rows", "skipped", "result"):
                dt.add_column(col, justify="left" if col in ("type", "process definition", "result") else "right")
            for d in self.definitions:
                dt.add_row(DISPLAY[d.type], d.definition, f"{d.c7_rows:,}", f"{d.c8_rows:,}", f"{d.skipped:,}",
                           "ok" if d.ok else "DIFFERENT", style=None if d.ok else "bold red")
            console.print(dt)
        reasons = [(t.display, r, n) for t in self.types for r, n in t.skip_reasons.items()]
        if reasons:
            rt = RichTable(title="skipped (explained) by reason", title_justify="left")
            rt.add_column("type")
            rt.add_column("reason", overflow="fold")
            rt.add_column("count", justify="right")
            for disp, r, n in reasons:
                rt.add_row(disp, r, f"{n:,}")
            console.print(rt)
        for note in self.notes:
            console.print(f"note: {note}", markup=False)
        problems = self.problems()
        if problems:
            console.print(f"[bold red]{len(problems)} unexplained difference(s):[/]")
            for p in problems[:200]:
                console.print(f"  - {p}", markup=False)
        else:
            console.print("[bold green]Camunda 8 matches Camunda 7: every difference is an explained skip.[/]")

    def html(self) -> str:
        return render_html(self)


DISPLAY = {t.name: t.display for t in EntityType}


# ------------------------------------------------------------------------------------------ the check


class _HandlerHost:
    """The two attributes the orchestrator's handlers read (`source`, `c7`), nothing else."""

    def __init__(self, source: C7Source, c7: Engine) -> None:
        self.source = source
        self.c7 = c7
        self.shard = None  # no sharding: every row


def _handlers(source: C7Source, c7: Engine) -> dict[HistoryType, Handler]:
    from .history import HANDLERS

    host = cast(Any, _HandlerHost(source, c7))
    return {t: HANDLERS[t](host) for t in MIGRATION_ORDER}


class Verifier:
    def __init__(self, config: Config, c7: Engine, c8: Engine, sample: int | None = DEFAULT_SAMPLE,
                 seed: int | None = None) -> None:
        assert config.c7 is not None and config.c8 is not None
        self.config = config
        self.c7 = c7
        self.c8 = c8
        self.sample = sample  # None = every migrated entity
        self.rng = random.Random(seed)
        self.source = C7Source(c7, prefix=config.c7.table_prefix, schema=config.c7.schema)
        self.tracking = Tracking(c8, config.table_prefix, config.save_skip_reason)
        self.dialect = for_engine(c8)
        prefix = config.c8.table_prefix
        self.c8_prefix = prefix
        self.md = c8_metadata(prefix, self.dialect.name)
        with c8.connect() as conn:
            self.c8_have = existing_c8_tables(conn, prefix)
        self.settings = ConvertSettings(
            prefix=config.history.legacy_id_prefix,
            ttl=None,
            zone=ZoneInfo(config.extras.time_zone),
            partitions=(1,),
            next_key=lambda: 0,
            char_column_size=self.dialect.properties.user_char_column_size,
        )
        self.chain = build_entity_chain(config.interceptors)
        from .c7.values import HistoryValues

        self.values = HistoryValues(config, self.dialect.properties)

    def run(self) -> VerifyResult:
        started = time.monotonic()
        assert self.config.c7 is not None and self.config.c8 is not None
        result = VerifyResult(sample_size=self.sample if self.sample is not None else -1,
                              c7=self.config.c7.display_url(), c8=self.config.c8.display_url())
        self.source.schema_info()
        if not self.tracking.exists():
            result.notes.append(f"the tracking table {self.tracking.table.name} does not exist: nothing was migrated "
                                "into this Camunda 8 database yet")
        handlers = _handlers(self.source, self.c7)
        for t in MIGRATION_ORDER:
            h = handlers[t]
            if not h.available():
                result.types.append(TypeResult(t.value, t.display))
                continue
            result.types.append(self.check_type(t, h, result))
        if self.tracking.exists():
            for t in PER_DEFINITION:
                if handlers[t].available():
                    result.definitions.extend(self.per_definition(t, handlers[t]))
        result.seconds = time.monotonic() - started
        return result

    # -------------------------------------------------------------- counts
    def check_type(self, t: HistoryType, h: Handler, result: VerifyResult) -> TypeResult:
        et = EntityType[t.value]
        r = TypeResult(t.value, t.display)
        r.c7_rows = h.count() or 0
        if not self.tracking.exists():
            r.untracked = r.c7_rows
            r.untracked_examples = [i for i, _ in zip(self._c7_ids(h), range(EXAMPLES), strict=False)]
            return r
        r.migrated = self.tracking.count(et, skipped=False)
        r.skipped = self.tracking.count(et, skipped=True)
        if r.skipped:
            r.skip_reasons = {("(no reason recorded: save-skip-reason is off)" if k == "None" else k): v
                              for k, v in self.tracking.skip_reasons(et).items()}
        spec = SPECS[t]
        main = spec.main_table
        if main not in self.c8_have:
            result.notes.append(f"{t.display}: Camunda 8 table {self.c8_prefix}{main} does not exist")
            r.missing_in_c8 = r.migrated
            return r
        r.missing_in_c8, r.missing_examples = self._missing_in_c8(et, c8_table(self.md, main), spec.c8_key_column)
        r.c8_present = r.migrated - r.missing_in_c8
        if r.c7_rows != r.tracked:
            self._id_diff(h, et, r)
        if r.migrated:
            self._sample(t, h, et, r, c8_table(self.md, main), spec.c8_key_column)
        return r

    def _missing_in_c8(self, et: EntityType, tbl: Table, key_col: str) -> tuple[int, list[tuple[str, str]]]:
        """Migrated tracking rows whose C8 key has no row in the type's main C8 table (anti-join)."""
        m = self.tracking.table
        col = tbl.c[key_col]
        key: ColumnElement[Any] = m.c.C8_KEY if isinstance(col.type, String) else sql_cast(m.c.C8_KEY, BigInteger)
        cond = and_(m.c["TYPE"] == et.name, m.c.C8_KEY.is_not(None), ~exists().where(col == key))
        with self.c8.connect() as conn:
            n = int(conn.execute(select(func.count()).select_from(m).where(cond)).scalar() or 0)
            examples: list[tuple[str, str]] = []
            if n:
                q = select(m.c.C7_ID, m.c.C8_KEY).where(cond).order_by(m.c.C7_ID).limit(EXAMPLES)
                examples = [(str(a), str(b)) for a, b in conn.execute(q)]
        return n, examples

    def _c7_ids(self, h: Handler, page: int = 1000) -> Iterator[str]:
        """Every C7 entity id of a type, sorted, keyset-paged."""
        t = h.table()
        col = t.c[h.entity_column]
        last: str | None = None
        while True:
            q = select(col).distinct().where(col.is_not(None))
            if h.where is not None:
                q = q.where(h.where(t))
            if last is not None:
                q = q.where(col > last)
            q = q.order_by(col).limit(page)
            with self.c7.connect() as conn:
                ids = [str(v) for (v,) in conn.execute(q)]
            yield from ids
            if len(ids) < page:
                return
            last = ids[-1]

    def _id_diff(self, h: Handler, et: EntityType, r: TypeResult) -> None:
        """Counts differ: find the C7 ids nobody tracked and the tracked ids C7 no longer has."""
        batch: list[str] = []

        def flush() -> None:
            with self.c8.connect() as conn:
                known = self.tracking.tracked(conn, et, batch)
            for i in batch:
                if i not in known:
                    r.untracked += 1
                    if len(r.untracked_examples) < EXAMPLES:
                        r.untracked_examples.append(i)
            batch.clear()

        for c7_id in self._c7_ids(h):
            batch.append(c7_id)
            if len(batch) >= 1000:
                flush()
        if batch:
            flush()
        t = h.table()
        col = t.c[h.entity_column]
        for skipped in (False, True):
            ids: list[str] = []
            for c7_id, _, _ in self.tracking.iter_rows(et, skipped=skipped, page_size=1000):
                ids.append(c7_id)
                if len(ids) >= 1000:
                    self._gone(ids, col, r)
            if ids:
                self._gone(ids, col, r)

    def _gone(self, ids: list[str], col: Any, r: TypeResult) -> None:
        with self.c7.connect() as conn:
            have = {str(v) for (v,) in conn.execute(select(col).distinct().where(col.in_(ids)))}
        for i in ids:
            if i not in have:
                r.c7_gone += 1
                if len(r.c7_gone_examples) < EXAMPLES:
                    r.c7_gone_examples.append(i)
        ids.clear()

    # -------------------------------------------------------------- per process definition
    def per_definition(self, t: HistoryType, h: Handler) -> list[DefinitionResult]:
        spec = SPECS[t]
        c7t = h.table()
        c7_col = c7t.c[PER_DEFINITION[t]]
        if spec.main_table not in self.c8_have:
            return []
        c8t = c8_table(self.md, spec.main_table)
        prefix = self.settings.prefix
        with self.c7.connect() as conn:
            c7_counts = {str(k): int(n) for k, n in conn.execute(select(c7_col, func.count()).group_by(c7_col))}
        c8_col = c8t.c.PROCESS_DEFINITION_ID
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.c8.connect() as conn:
            c8_counts: dict[str, int] = {}
            for k, n in conn.execute(select(c8_col, func.count()).where(c8_col.like(like, escape="\\"))
                                     .group_by(c8_col)):
                c8_counts[str(k)[len(prefix):]] = int(n)
        skipped: dict[str, int] = {}
        ids: list[str] = []
        et = EntityType[t.value]

        def flush() -> None:
            with self.c7.connect() as conn:
                q = (select(c7_col, func.count()).where(c7t.c[h.entity_column].in_(ids)).group_by(c7_col))
                for k, n in conn.execute(q):
                    skipped[str(k)] = skipped.get(str(k), 0) + int(n)
            ids.clear()

        for c7_id, _, _ in self.tracking.iter_rows(et, skipped=True, page_size=1000):
            ids.append(c7_id)
            if len(ids) >= 1000:
                flush()
        if ids:
            flush()
        out = []
        for d in sorted(set(c7_counts) | set(c8_counts)):
            out.append(DefinitionResult(t.value, d, c7_counts.get(d, 0), c8_counts.get(d, 0), skipped.get(d, 0)))
        return out

    # -------------------------------------------------------------- field checks
    def _sample_rows(self, et: EntityType) -> list[tuple[str, str]]:
        m = self.tracking.table
        cond = and_(m.c["TYPE"] == et.name, m.c.C8_KEY.is_not(None))
        q = select(m.c.C7_ID, m.c.C8_KEY).where(cond)
        if self.sample is not None:
            q = q.order_by(_random_order(self.c8)).limit(self.sample)
        with self.c8.connect() as conn:
            return [(str(a), str(b)) for a, b in conn.execute(q)]

    def _sample(self, t: HistoryType, h: Handler, et: EntityType, r: TypeResult, tbl: Table, key_col: str) -> None:
        for chunk in _chunks(self._sample_rows(et), 500):
            self._check_chunk(t, h, r, tbl, key_col, chunk)

    def _check_chunk(self, t: HistoryType, h: Handler, r: TypeResult, tbl: Table, key_col: str,
                     chunk: Sequence[tuple[str, str]]) -> None:
        col = tbl.c[key_col]
        as_str = isinstance(col.type, String)
        keys = [k if as_str else int(k) for _, k in chunk if as_str or k.lstrip("-").isdigit()]
        with self.c8.connect() as conn:
            c8_rows = {str(row[key_col]): row for row in (dict(x._mapping) for x in conn.execute(
                select(tbl).where(col.in_(keys))))}
        c7_rows = {str(row[h.entity_column]): row for row in h.by_ids([c7 for c7, _ in chunk])}
        parents = self._parent_keys(t, list(c7_rows.values()))
        extra = self._context_extras(t, list(c7_rows.values()))
        for c7_id, key in chunk:
            c8row = c8_rows.get(key)
            c7row = c7_rows.get(c7_id)
            if c8row is None or c7row is None:
                continue  # counted as missing in C8 / gone from C7 above
            r.sampled += 1
            expected = self._expected(t, c7row, extra(c7row))
            if isinstance(expected, str):
                r.not_rechecked.append(f"{c7_id}: {expected}")
                continue
            for column in FIELDS.get(t, ()):
                if column not in c8row or column not in expected or expected[column] is UNCHECKED:
                    continue
                if not _same(expected[column], c8row[column]):
                    r.field_diffs.append(FieldDiff(c7_id, key, column, _show(expected[column]),
                                                   _show(c8row[column])))
            for c8_col, c7_col, ptypes in PARENTS.get(t, ()):
                parent_id = c7row.get(c7_col)
                if parent_id is None or c8_col not in c8row:
                    continue
                want = next((parents[(pt, str(parent_id))] for pt in ptypes if (pt, str(parent_id)) in parents),
                            None)
                if want is None:
                    continue
                have = c8row[c8_col]
                if have is None or int(have) != want:
                    r.field_diffs.append(FieldDiff(c7_id, key, c8_col, f"{want} (key of C7 {c7_col} {parent_id})",
                                                   _show(have)))

    def _parent_keys(self, t: HistoryType, rows: Sequence[Row]) -> dict[tuple[HistoryType, str], int]:
        wants: dict[HistoryType, set[str]] = {}
        for _, c7_col, ptypes in PARENTS.get(t, ()):
            ids = {str(r[c7_col]) for r in rows if r.get(c7_col) is not None}
            for pt in ptypes:
                wants.setdefault(pt, set()).update(ids)
        out: dict[tuple[HistoryType, str], int] = {}
        with self.c8.connect() as conn:
            for pt, ids in wants.items():
                for c7, (k, _) in self.tracking.keys_and_partitions(conn, EntityType[pt.value], sorted(ids)).items():
                    out[(pt, c7)] = k
        return out

    def _context_extras(self, t: HistoryType, rows: Sequence[Row]) -> Callable[[Row], dict[str, Any]]:
        """What a type's transformer reads from its context beyond the row (resources, values)."""
        if t in (PD, HistoryType.HISTORY_FORM_DEFINITION, DRD, DD):
            resources = self._resources(rows)
            name = {PD: "bpmn_xml", DRD: "dmn_xml", DD: "dmn_xml", HistoryType.HISTORY_FORM_DEFINITION: "schema"}[t]

            def res(row: Row) -> dict[str, Any]:
                data = resources.get((row.get("DEPLOYMENT_ID_"), row.get("RESOURCE_NAME_")))
                if name == "schema":
                    return {name: data.decode("utf-8") if data is not None else None}
                return {name: data}

            return res
        if t is HistoryType.HISTORY_VARIABLE:
            data = self.values.fetch_bytes(self.c7, self.source, rows)
            return lambda row: {"value_columns": self._value_columns(data.get(str(row.get("BYTEARRAY_ID_"))))}
        return lambda row: {}

    def _value_columns(self, data: bytes | None) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
        from .c7.values import c7_variable
        from .variables import DocumentUpload, VariableEntity

        def columns(row: Mapping[str, Any]) -> Mapping[str, Any]:
            converted = self.values.converter.to_history(
                c7_variable(row, data, VariableEntity.HISTORIC_VARIABLE, "NAME_"))
            if isinstance(converted, DocumentUpload):  # the stored value is a document reference
                return dict.fromkeys(variable.VALUE_COLUMNS, UNCHECKED)
            return converted.columns

        return columns

    def _resources(self, rows: Sequence[Row]) -> dict[tuple[Any, Any], bytes]:
        if not self.source.has("ACT_GE_BYTEARRAY"):
            return {}
        ba = self.source.table("ACT_GE_BYTEARRAY")
        pairs = {(r.get("DEPLOYMENT_ID_"), r.get("RESOURCE_NAME_")) for r in rows if r.get("DEPLOYMENT_ID_")}
        deps = sorted({str(p[0]) for p in pairs})
        out: dict[tuple[Any, Any], bytes] = {}
        with self.c7.connect() as conn:
            for i in range(0, len(deps), 500):
                q = select(ba.c.DEPLOYMENT_ID_, ba.c.NAME_, ba.c.BYTES_).where(ba.c.DEPLOYMENT_ID_.in_(deps[i:i + 500]))
                for dep, name, data in conn.execute(q):
                    if (dep, name) in pairs and data is not None:
                        out[(dep, name)] = bytes(data)
        return out

    def _expected(self, t: HistoryType, row: Row, extra: dict[str, Any]) -> dict[str, Any] | str:
        """The C8 fields the configured interceptor chain derives from this C7 row (or why not)."""
        spec = SPECS[t]
        try:
            ctx = _CONTEXTS[t](settings=self.settings, **extra)
            ictx = EntityInterceptorContext(spec.entity_type, row, dict.fromkeys(spec.columns), ctx)
            ictx.extra["chain"] = self.chain
            run_chain(spec, ictx, self.chain)
        except SkipError as exc:
            return f"converting it again now skips it: {exc.reason}"
        except Exception as exc:  # noqa: BLE001 - report, do not abort the verification
            return f"converting it again fails: {type(exc).__name__}: {exc}"
        return ictx.c8


# ------------------------------------------------------------------------------------------ helpers


def _chunks(items: Sequence[tuple[str, str]], n: int) -> Iterator[Sequence[tuple[str, str]]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _random_order(engine: Engine) -> Any:
    name = engine.dialect.name
    if name in ("mysql", "mariadb"):
        return func.rand()
    if name == "oracle":
        return literal_column("DBMS_RANDOM.VALUE")
    if name == "mssql":
        return func.newid()
    return func.random()


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, datetime):
        v = v.replace(tzinfo=UTC) if v.tzinfo is None else v
        v = v.astimezone(UTC)
        return v.replace(microsecond=(v.microsecond // 1000) * 1000)
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("utf-8", errors="replace")
    return v


def _same(expected: Any, actual: Any) -> bool:
    a, b = _norm(expected), _norm(actual)
    if isinstance(a, float) or isinstance(b, float):
        try:
            return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def _show(v: Any) -> str:
    v = _norm(v)
    if isinstance(v, datetime):
        return v.isoformat(timespec="milliseconds")
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 200 else text[:200] + "…"


def verify(config: Config, c7: Engine, c8: Engine, sample: int | None = DEFAULT_SAMPLE,
           seed: int | None = None) -> VerifyResult:
    return Verifier(config, c7, c8, sample=sample, seed=seed).run()


# ------------------------------------------------------------------------------------------ HTML report

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#1d2330}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d5dd;padding:.3em .6em;text-align:right}
th{background:#f2f4f7}td.l,th.l{text-align:left}tr.bad td{background:#fde8e8;color:#8a1c1c}
.ok{color:#17733a;font-weight:600}.bad{color:#b42318;font-weight:600}code{font-size:.95em}
ul.p li{margin:.2em 0}
"""


def render_html(res: VerifyResult) -> str:
    e = html.escape
    status = '<span class="ok">PASSED</span>' if res.ok else '<span class="bad">FAILED</span>'
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<title>c7to8 verify report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>c7to8 verify report: {status}</h1>",
        f"<p>Camunda 7: <code>{e(res.c7)}</code><br>Camunda 8: <code>{e(res.c8)}</code><br>",
        f"created {e(res.created)}, {res.seconds:.1f} s, sample of "
        f"{'every' if res.sample_size < 0 else res.sample_size} migrated entities per type</p>",
        "<h2>Per entity type</h2><table><tr>",
    ]
    heads = ("type", "C7 rows", "migrated", "skipped", "C8 present", "missing in C8", "not migrated",
             "gone from C7", "sampled", "field diffs", "result")
    parts.append("".join(f'<th class="{"l" if h in ("type", "result") else ""}">{h}</th>' for h in heads))
    parts.append("</tr>")
    for t in res.types:
        cells = [
            "-" if t.c7_rows is None else f"{t.c7_rows:,}", f"{t.migrated:,}", f"{t.skipped:,}",
            f"{t.c8_present:,}", f"{t.missing_in_c8:,}", f"{t.untracked:,}", f"{t.c7_gone:,}", f"{t.sampled:,}",
            f"{len(t.field_diffs):,}",
        ]
        cls = "" if t.ok else ' class="bad"'
        parts.append(f'<tr{cls}><td class="l">{e(t.display)}</td>' + "".join(f"<td>{c}</td>" for c in cells)
                     + f'<td class="l">{"ok" if t.ok else "DIFFERENT"}</td></tr>')
    parts.append("</table>")
    if res.definitions:
        parts.append("<h2>Per process definition</h2><table><tr><th class=l>type</th><th class=l>process definition"
                     "</th><th>C7 rows</th><th>C8 rows</th><th>skipped</th><th class=l>result</th></tr>")
        for d in res.definitions:
            cls = "" if d.ok else ' class="bad"'
            parts.append(f'<tr{cls}><td class="l">{e(DISPLAY[d.type])}</td><td class="l">{e(d.definition)}</td>'
                         f"<td>{d.c7_rows:,}</td><td>{d.c8_rows:,}</td><td>{d.skipped:,}</td>"
                         f'<td class="l">{"ok" if d.ok else "DIFFERENT"}</td></tr>')
        parts.append("</table>")
    reasons = [(t.display, r, n) for t in res.types for r, n in t.skip_reasons.items()]
    if reasons:
        parts.append("<h2>Skipped (explained), by reason</h2><table><tr><th class=l>type</th><th class=l>reason</th>"
                     "<th>count</th></tr>")
        for disp, r, n in reasons:
            parts.append(f'<tr><td class="l">{e(disp)}</td><td class="l">{e(r)}</td><td>{n:,}</td></tr>')
        parts.append("</table>")
    problems = res.problems()
    parts.append(f"<h2>Unexplained differences ({len(problems)})</h2>")
    if problems:
        parts.append('<ul class="p">' + "".join(f"<li>{e(p)}</li>" for p in problems) + "</ul>")
    else:
        parts.append("<p class=ok>None: every difference is an explained skip.</p>")
    if res.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in res.notes) + "</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)


def to_json(res: VerifyResult) -> str:
    return json.dumps(res.to_dict(), indent=2, default=str)


def run_verify(app: App, modes: Sequence[str], sample: int | None = DEFAULT_SAMPLE, as_json: bool = False,
               report: str | None = None) -> int:
    """`--verify`: print the comparison (table or JSON), write the HTML report; 0 = no unexplained difference."""
    from pathlib import Path

    from sqlalchemy.exc import SQLAlchemyError

    from .app import NO_C8_DATASOURCE
    from .errors import UsageError

    if "--history" not in modes:
        raise UsageError("--verify compares history data: use it with --history (c7to8 --history --verify).")
    if app.config.c8 is None:
        print(f"Error: {NO_C8_DATASOURCE}", file=sys.stderr)
        return 1
    try:
        res = verify(app.config, app.c7, app.c8, sample=sample)
    except SQLAlchemyError as exc:
        raise app.database_error(exc) from exc
    for m in modes:
        if m != "--history":
            res.notes.append(f"{m}: --verify checks history data only; {m} data was not compared.")
    if report:
        path = Path(report)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(res.html(), encoding="utf-8")
    if as_json:
        app.out.write(to_json(res) + "\n")
    else:
        res.print(app.out)
        if report:
            app.out.write(f"HTML report: {report}\n")
    app.out.flush()
    return 0 if res.ok else 1
