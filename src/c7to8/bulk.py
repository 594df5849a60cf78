"""The set-based lane of the history migration (Camunda 7 and Camunda 8 both on PostgreSQL).

For root process instances, flow nodes, variables, user tasks, jobs and decision instances, rows
are not converted one by one in Python. The Camunda 7 rows of a type (this worker's shard, from
the resume point; for jobs the first log row of each job; with values the C7 query derives, such
as a task's candidate users or a decision's inputs and outputs) are streamed
once with ``COPY (SELECT ...) TO STDOUT``; every chunk of them is copied as-is into a temporary
staging table on the Camunda 8 database, and one ``INSERT ... SELECT`` per target table converts
all of it inside the server (c7to8.convert.bulk_sql), tracking rows included, in one transaction
with keys from a reserved block. Python only passes bytes along.

Only rows whose result is certain to be what the row-by-row pipeline would write are converted
this way; the rest of each chunk (a missing or deleted reference, a value that needs escaping or
cutting, a custom interceptor's type, ...) goes through the row-by-row pipeline right after, which
records skips with their reasons and heals what it can, as it always does. A statement that fails
(a value the database refuses) sends its whole chunk the row-by-row way.

The lane is used when: both data sources are PostgreSQL through psycopg with the same client
encoding, ``c7to8.set-based`` is true (the default), and the type's entity interceptor chain is
its built-in transformer alone (for variables: per C7 value type, its built-in transformer alone).
"""

from __future__ import annotations

import logging
import select as _select
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import (
    ARRAY,
    Text,
    and_,
    any_,
    bindparam,
    case,
    distinct,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.exc import OperationalError

from .c7.values import NO_DOCUMENT_STORE
from .convert import bulk_sql, job, process_instance, user_task
from .convert.bulk_sql import CONV, STAGE, BulkSql, Names
from .convert.common import (
    C7_MIGRATED,
    LEGACY_ID_VARIABLE,
    LEGACY_TAG,
    HistoryType,
    Reason,
    deleted_in_c8_associated,
    now,
    parse_dmn,
    partition_for,
)
from .convert.interceptors import chain_for_spec
from .variables import interceptors as vi
from .variables.model import VariableEntity

if TYPE_CHECKING:
    from .history import Handler, HistoryMigrator, TypePlan, WaitingRoom

log = logging.getLogger(__name__)

FN = HistoryType.HISTORY_FLOW_NODE
VAR = HistoryType.HISTORY_VARIABLE
UT = HistoryType.HISTORY_USER_TASK
JOB = HistoryType.HISTORY_JOB
DI = HistoryType.HISTORY_DECISION_INSTANCE
PI = HistoryType.HISTORY_PROCESS_INSTANCE
STAGES = {PI: bulk_sql.PROCESS_STAGE, FN: bulk_sql.FLOW_NODE_STAGE, VAR: bulk_sql.VARIABLE_STAGE,
          UT: bulk_sql.USER_TASK_STAGE, JOB: bulk_sql.JOB_STAGE, DI: bulk_sql.DECISION_STAGE}
OBJECT_JSON = "spin://application/json"  # the C7 serializer of objects in JSON format
MAX_DECISION_DEFINITIONS = 10_000  # DMN facts passed as statement parameters
#: the lane's session: staging tables and the two maps (at most c7to8.set-based-map-rows rows each, about
#: 110 bytes a row with its index); allocated as used. Past it, PostgreSQL evicts pages to temporary files
TEMP_BUFFERS = "256MB"
#: the Camunda 7 reading transaction: exact dates and floats in the COPY text; no parallel workers
#: (the lane's own workers keep the cores busy; the sort's helpers only add CPU for their hand-over)
SOURCE_SETTINGS = ("SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 3;"
                   " SET LOCAL max_parallel_workers_per_gather = 0")


class BulkLane:
    """Decides per type whether the set-based lane applies, and runs it."""

    def __init__(self, m: HistoryMigrator) -> None:
        self.m = m
        self.chunk = m.config.extras.set_based_chunk
        self.map_rows = m.config.extras.set_based_map_rows
        self._sql: dict[HistoryType, BulkSql | None] = {}
        self._called: BulkSql | None = None  # called process instances, once their call activity is migrated
        self._types: dict[str, dict[str, str]] = {}  # C7 table -> its columns' types (staging tables)
        #: the lane's own Camunda 8 connection, kept from pass to pass: its session holds the maps
        self._held: Any = None
        self._mapped: Counter[str] = Counter()  # rows put into each session map on _held (at most about map_rows)
        self.off = self._off_reason()
        self.skipped_in_sql = 0  # of the type being migrated: skips the SQL recorded (reason certain)
        if self.off is not None:
            log.info("Set-based lane not used: %s", self.off)

    def _off_reason(self) -> str | None:
        m = self.m
        if not m.config.extras.set_based:
            return "c7to8.set-based is false"
        for side, engine in (("Camunda 7", m.c7), ("Camunda 8", m.c8)):
            if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
                return f"the {side} data source is not PostgreSQL through psycopg"
        if m.source.is_h2:
            return "the Camunda 7 source is H2"
        return None

    # ------------------------------------------------------------------ eligibility
    def sql_for(self, t: HistoryType) -> BulkSql | None:
        if self.off is not None or t not in STAGES:
            return None
        if t not in self._sql:
            self._sql[t] = self._build(t)
        return self._sql[t]

    def _build(self, t: HistoryType) -> BulkSql | None:
        m = self.m
        h = m.handlers[t]
        chain = chain_for_spec(m.chain, h.spec)
        if len(chain) != 1 or type(chain[0]) is not h.spec.transformer:
            log.info("%s: custom entity interceptors are configured; converted row by row", t.display)
            return None
        stage = STAGES[t]
        table = h.table()
        missing = [c for c in stage if c not in table.c]
        if missing:
            log.info("%s: Camunda 7 table has no %s; converted row by row", t.display, ", ".join(missing))
            return None
        names = self._names()
        lengths = {name: {c.name.upper(): getattr(c.type, "length", None) for c in m.c8_tables[name].columns}
                   for name in h.spec.c8_tables if name in m.c8_tables}
        if t is FN:
            return bulk_sql.flow_node(names, lengths["FLOW_NODE_INSTANCE"])
        if t is UT:
            return bulk_sql.user_task(names, lengths, user_task.STATES, self._form_definitions())
        if t is JOB:
            parts = tuple(deleted_in_c8_associated(FN, "\0", "\1").replace("\1", "\0").split("\0"))
            return bulk_sql.job(names, lengths["JOB"], (job.ASYNC_BEFORE, job.ASYNC_AFTER), C7_MIGRATED,
                                {job.ASYNC_BEFORE: (Reason.MISSING_FLOW_NODE,), job.ASYNC_AFTER: parts})
        ttl = m.settings.ttl
        hours = None if ttl is None or ttl.is_zero else 24 * ttl.days  # exact when the TTL has no months
        exact = ttl is None or ttl.is_zero or ttl.total_months == 0
        if t is PI:
            self._called = bulk_sql.called_process_instance(names, lengths, process_instance.STATES, LEGACY_TAG,
                                                            LEGACY_ID_VARIABLE, hours, exact)
            return bulk_sql.process_instance(names, lengths, process_instance.STATES, LEGACY_TAG, LEGACY_ID_VARIABLE,
                                             hours, exact)
        if t is DI:
            models = self._decision_models()
            if models is None:
                return None
            return bulk_sql.decision_instance(
                names, lengths, self._kinds(VariableEntity.DECISION_INPUT), self._kinds(VariableEntity.DECISION_OUTPUT),
                models, m.settings.char_column_size, hours, exact)
        kinds = self._kinds(VariableEntity.HISTORIC_VARIABLE)
        if not kinds:
            return None
        s = m.values.converter.settings
        json_kinds, skip_kinds = self._json_and_skip_kinds()
        return bulk_sql.variable(names, kinds, s.history_preview_size, s.history_max_bytes, lengths["VARIABLE"],
                                 json_kinds, skip_kinds)

    def _names(self) -> Names:
        m = self.m
        return Names(
            mapping=m.tracking.table.name,
            c8={k: v.name for k, v in m.c8_tables.items()},
            zone=m.config.extras.time_zone,
            legacy_prefix=m.settings.prefix,
            save_reason=m.tracking.save_skip_reason,
        )

    def _json_and_skip_kinds(self) -> tuple[dict[str, bool], dict[str, str]]:
        """C7 value types of historic variables whose built-in chain the SQL mirrors beyond the simple ones.

        JSON (type -> canonical): Spin ``json`` (Jackson writes it again: only canonical texts) and
        objects serialized as ``application/json`` (their text kept). Skips (type -> reason): bytes
        and files need the document store; once it is found unreachable they are skipped.
        """
        converter = self.m.values.converter
        entity = VariableEntity.HISTORIC_VARIABLE
        json_kinds: dict[str, bool] = {}
        if converter.builtin_chain(entity, "json") == (vi.SpinJsonVariableTransformer,):
            json_kinds["json"] = True
        chain = converter.builtin_chain(entity, OBJECT_JSON)
        others = {vi.ObjectJavaVariableValidator, vi.ObjectXmlVariableTransformer}  # they leave JSON objects alone
        if chain is not None and vi.ObjectJsonVariableTransformer in chain and set(chain) - others == {
                vi.ObjectJsonVariableTransformer}:
            json_kinds[OBJECT_JSON] = False
        skip_kinds: dict[str, str] = {}
        if not converter.settings.official_bytes_behaviour:
            for kind, validator in (("bytes", vi.ByteArrayVariableValidator), ("file", vi.FileVariableValidator)):
                if converter.builtin_chain(entity, kind) == (validator,):
                    skip_kinds[kind] = NO_DOCUMENT_STORE.format(t=kind)
        return json_kinds, skip_kinds

    def _kinds(self, entity: VariableEntity) -> list[str]:
        """The value types the SQL converts for this kind of C7 variable (their chain is the built-in one)."""
        converter = self.m.values.converter
        kinds = [k for k in bulk_sql.variable_kinds() if converter.plain_builtin(entity, k)]
        if (self.m.c8.dialect.server_version_info or (0,)) < (12,):
            kinds = [k for k in kinds if k != "double"]  # shortest float output needs PostgreSQL 12
        return kinds

    def _decision_models(self) -> bulk_sql.DecisionModels | None:
        """Decision type and rule order of every C7 decision definition, from its DMN (None: too many to hold)."""
        dd = self.m.source.table("ACT_RE_DECISION_DEF")
        q = select(dd.c.ID_, dd.c.KEY_, dd.c.DEPLOYMENT_ID_, dd.c.RESOURCE_NAME_).limit(MAX_DECISION_DEFINITIONS + 1)
        with self.m.c7.connect() as c7:
            rows = [dict(r._mapping) for r in c7.execute(q)]
        if len(rows) > MAX_DECISION_DEFINITIONS:
            log.info("Historic Decision Instance: more than %d decision definitions; converted row by row",
                     MAX_DECISION_DEFINITIONS)
            return None
        resources = self.m.handlers[DI].resources(rows)  # the pipeline's fetch: one query per 500 deployments
        definitions: list[tuple[str, str, str | None]] = []
        rules: list[tuple[str, str, int]] = []
        parsed: dict[tuple[Any, Any], Any] = {}
        for r in rows:
            where = (r["DEPLOYMENT_ID_"], r["RESOURCE_NAME_"])
            if where not in parsed:
                xml = resources.get(where)
                try:
                    parsed[where] = parse_dmn(xml).decisions if xml else {}
                except Exception:  # noqa: BLE001 - as the pipeline: an unreadable DMN only loses rule indices
                    parsed[where] = {}
            dd_id, key = str(r["ID_"]), str(r["KEY_"])
            info = parsed[where].get(key)
            definitions.append((dd_id, key, info.decision_type if info is not None else None))
            if info is not None and info.decision_type == "DECISION_TABLE":
                seen: set[str] = set()
                for i, rule in enumerate(info.rule_ids):
                    if rule not in seen:  # the first position, as list.index
                        seen.add(rule)
                        rules.append((dd_id, rule, i + 1))
        return bulk_sql.DecisionModels(definitions, rules)

    def _form_definitions(self) -> list[str]:
        """C7 process definitions whose BPMN may link a Camunda form (mentions formRef), if any form is deployed."""
        src = self.m.source
        cam = src.opt_table("ACT_RE_CAMFORMDEF")
        if cam is None:
            return []
        with self.m.c7.connect() as c7:
            if c7.execute(select(cam.c.ID_).limit(1)).first() is None:
                return []
            pd, ba = src.table("ACT_RE_PROCDEF"), src.table("ACT_GE_BYTEARRAY")
            q = (select(pd.c.ID_).join(ba, and_(ba.c.DEPLOYMENT_ID_ == pd.c.DEPLOYMENT_ID_,
                                                ba.c.NAME_ == pd.c.RESOURCE_NAME_))
                 .where(func.encode(ba.c.BYTES_, "escape").like("%formRef%")).distinct())
            return [str(r[0]) for r in c7.execute(q)]

    def _derived(self, h: Handler, table: Any) -> list[Any]:
        """The staged values the Camunda 7 query computes (BulkSql.derived), as labelled expressions.

        `table`: the C7 table, or the subquery of its first log rows (columns by their C7 names).
        """
        if h.type is JOB:
            log_ = h.table().alias("c7to8_l")
            act = self.m.source.table("ACT_HI_ACTINST")
            # all log rows of a job share its process instance (indexed; the job id is not)
            last = select(func.max(log_.c.TIMESTAMP_)).where(
                log_.c.PROCESS_INSTANCE_ID_ == table.c.PROCESS_INSTANCE_ID_, log_.c.JOB_ID_ == table.c.JOB_ID_)
            acts = select(func.count()).select_from(act).where(
                act.c.PROC_INST_ID_ == table.c.PROCESS_INSTANCE_ID_, act.c.ACT_ID_ == table.c.ACT_ID_)
            return [last.scalar_subquery().label("c7to8_last"), acts.scalar_subquery().label("c7to8_acts")]
        if h.type is DI:
            return self._decision_derived(table)
        if h.type is VAR:
            return self._variable_derived(table)
        if h.type is PI:  # c7to8_partition is appended by _stream
            return self._process_derived(table)
        if h.type is not UT:
            return []
        il = self.m.source.opt_table("ACT_HI_IDENTITYLINK")
        if il is None:
            return [true().label("c7to8_links_ok"), null().label("c7to8_users"), null().label("c7to8_groups")]
        candidate = and_(il.c.TASK_ID_ == table.c.ID_, il.c.TYPE_ == "candidate")
        added = func.lower(func.coalesce(il.c.OPERATION_TYPE_, "add")) == "add"

        def ids(col: Any) -> Any:
            return select(func.array_agg(distinct(col))).where(candidate, added, col.is_not(None)).scalar_subquery()

        deleted = exists().where(candidate, func.lower(il.c.OPERATION_TYPE_) == "delete")
        return [not_(deleted).label("c7to8_links_ok"), ids(il.c.USER_ID_).label("c7to8_users"),
                ids(il.c.GROUP_ID_).label("c7to8_groups")]

    # ------------------------------------------------------------------ running
    def _connection(self) -> Any:
        """The lane's Camunda 8 connection (raw, pooled), the same from pass to pass, so that the
        process instances and flow nodes it migrated stay in its session's maps (bulk_sql.session_maps)."""
        raw = self._held
        if raw is not None:
            if _broken(raw):
                raw.invalidate()
                raw = None
            elif raw.driver_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                raw.driver_connection.rollback()
        if raw is None:
            raw = self.m.c8.raw_connection()
            try:
                conn: Any = raw.driver_connection
                try:  # the staging tables and the maps live in local buffers; 8 MB (the default) spills
                    with conn.cursor() as cur:
                        cur.execute(f"SET temp_buffers = '{TEMP_BUFFERS}'")
                    conn.commit()
                except psycopg.errors.InvalidParameterValue:  # temporary tables used before: keep what it has
                    conn.rollback()
                with conn.cursor() as cur:
                    for statement in bulk_sql.session_maps(self._names()):
                        cur.execute(statement)
                conn.commit()
                self._mapped = Counter()
            except BaseException:
                _release(raw)
                raise
            self._held = raw
        return raw

    @contextmanager
    def _connections(self) -> Iterator[tuple[Any, Any]]:
        """(Camunda 7, Camunda 8) raw connections for a pass or a healing: a pooled one to read, the
        lane's held one to write. Afterwards the first goes back to the pool; the second stays held
        unless it broke (the next use then opens another)."""
        src_raw = self.m.c7.raw_connection()
        dst_raw = None
        try:
            dst_raw = self._connection()
            yield src_raw, dst_raw
        finally:
            if dst_raw is not None and _broken(dst_raw):
                self._held = None
                dst_raw.invalidate()
            _release(src_raw)

    def close(self) -> None:
        """Drop the session's maps and give the held connection back to the pool."""
        if self._held is None:
            return
        raw, self._held = self._held, None
        driver: Any = raw.driver_connection
        try:
            if not _broken(raw):
                driver.rollback()
                with driver.cursor() as cur:
                    cur.execute(f"DROP TABLE IF EXISTS pg_temp.{bulk_sql.PIMAP}, pg_temp.{bulk_sql.FNMAP}")
                driver.commit()
        except psycopg.Error:
            log.debug("dropping the session maps failed; the connection is discarded", exc_info=True)
            raw.invalidate()
            return
        _release(raw)

    def migrate(self, h: Handler, sql: BulkSql, plan: TypePlan, stats: Any, waiting: WaitingRoom) -> None:
        m = self.m
        started = time.monotonic()
        before, by_rows = stats.set_based, 0
        self.skipped_in_sql = 0
        with self._connections() as (src_raw, dst_raw):
            src: Any = src_raw.driver_connection
            dst: Any = dst_raw.driver_connection
            if src.info.encoding != dst.info.encoding:
                log.info("%s: client encodings differ (%s, %s); converted row by row", h.type.display,
                         src.info.encoding, dst.info.encoding)
                self._sql[h.type] = None
            else:
                try:
                    if sql.params.get("skip_kinds"):  # an unreachable store: its values skipped in SQL at once
                        m.values.probe_document_store()
                    self._create_stage(src, dst, h, sql)
                    for chunk in self._stream(src, h, sql, plan):
                        by_rows += self._convert_chunk(dst, h, sql, chunk, stats, waiting, plan.fresh)
                        stats.seconds = time.monotonic() - started
                        m.progress.advance(h.type.display, len(chunk), stats.rate)
                    with dst.cursor() as cur:
                        cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
                        if sql.remember is not None:  # the later passes probe it: statistics, or seq scans
                            cur.execute(f"ANALYZE {sql.remember[0]}")
                    dst.commit()
                except psycopg.Error as exc:  # a lost connection: reported like any other database error
                    raise OperationalError(f"set-based {h.type.display}", None, exc) from exc
                log.info("%s: %d converted set-based, %d skips recorded set-based, %d row by row, in %.1f s",
                         h.type.display, stats.set_based - before, self.skipped_in_sql, by_rows,
                         time.monotonic() - started)
        if self._sql[h.type] is None:
            m.row_by_row(h, plan, stats, waiting, started)

    def _variable_derived(self, table: Any) -> list[Any]:
        """c7to8_text (JSON kinds: the byte array as ASCII text) and c7to8_bytes (skip kinds: content present)."""
        sql = self._sql.get(VAR)
        json_kinds = list(sql.params.get("json_kinds", [])) if sql is not None else []
        skip_kinds = list(sql.params.get("skip_kinds", [])) if sql is not None else []
        ba = self.m.source.opt_table("ACT_GE_BYTEARRAY")
        if ba is None or not (json_kinds or skip_kinds):
            return [null().label("c7to8_text"), false().label("c7to8_bytes")]
        b = ba.alias("c7to8_b")
        col = f"c7to8_b.{pg_dialect.dialect().identifier_preparer.quote(b.c.BYTES_.name)}"  # type: ignore[no-untyped-call]
        text_ = (select(literal_column(bulk_sql.ascii_text(col)))
                 .where(b.c.ID_ == table.c.BYTEARRAY_ID_, func.octet_length(b.c.BYTES_) <= bulk_sql.JSON_MAX_CHARS)
                 .scalar_subquery())
        present = exists().where(b.c.ID_ == table.c.BYTEARRAY_ID_, b.c.BYTES_.is_not(None))

        def of(kinds: list[str]) -> Any:
            return or_(*[table.c.VAR_TYPE_ == k for k in kinds]) if kinds else false()

        return [case((of(json_kinds), text_), else_=null()).label("c7to8_text"),
                and_(of(skip_kinds), present).label("c7to8_bytes")]

    # ------------------------------------------------------------------ called process instances
    def heal_called(self, ids: list[str]) -> set[str]:
        """Migrate, inside PostgreSQL, these called process instances (skipped, their call activity
        now migrated); returns the ids migrated. The rest is for the row-by-row retry."""
        if self.sql_for(PI) is None or self._called is None or not ids:
            return set()
        m, sql = self.m, self._called
        h = m.handlers[PI]
        stats = m.summary.stats(PI.display)
        t = h.table()
        q = (select(*[t.c[c].label(sql.stage_name(c)) for c in sql.stage_columns], *self._process_derived(t))
             .where(t.c.ID_ == any_(bindparam("ids", ids, type_=ARRAY(Text)))))
        compiled = q.compile(dialect=pg_dialect.psycopg.dialect())  # type: ignore[no-untyped-call]
        with self._connections() as (src_raw, dst_raw):  # between two transactions of the flow nodes' pass
            src: Any = src_raw.driver_connection
            dst: Any = dst_raw.driver_connection
            if src.info.encoding != dst.info.encoding:
                return set()
            rows: list[bytes] = []
            try:
                with src.cursor() as cur:
                    cur.execute(SOURCE_SETTINGS)
                rows.extend(copy_out(src, f"COPY ({compiled}) TO STDOUT", compiled.params))
                src.rollback()
            except psycopg.Error as exc:
                raise OperationalError("reading called process instances", None, exc) from exc
            defs = self._stage_defs(src, h, sql)
            with dst.cursor() as cur:
                try:
                    cur.execute("SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL enable_nestloop = off;"
                                " SET LOCAL enable_mergejoin = off; SET LOCAL jit = off")
                    cur.execute(f"DROP TABLE IF EXISTS {bulk_sql.CALLED_STAGE}")
                    cur.execute(f"CREATE TEMP TABLE {bulk_sql.CALLED_STAGE} ({defs}) ON COMMIT DROP")
                    with cur.copy(f"COPY {bulk_sql.CALLED_STAGE} ({_stage_list(sql)}) FROM STDIN") as copy:
                        copy.write(b"".join(rows))
                    params = {**sql.params, "now": now(m.settings)}
                    cur.execute(sql.conv, params)
                    n = cur.rowcount
                    if n <= 0:
                        dst.rollback()
                        return set()
                    cur.execute("SET LOCAL enable_nestloop = on")  # the tracking rows: a probe per row
                    written = self._write(cur, sql, params, n)
                    cur.execute(f"SELECT id_ FROM {CONV}")
                    done = {str(r[0]) for r in cur.fetchall()}
                    dst.commit()
                except psycopg.Error as exc:
                    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) or dst.closed:
                        raise OperationalError("set-based called process instances", None, exc) from exc
                    dst.rollback()
                    log.warning("%s: set-based conversion of %d called instances failed (%s); converting them"
                                " row by row", PI.display, len(ids), str(exc).strip().splitlines()[0])
                    return set()
        stats.migrated += len(done)
        stats.healed += len(done)
        stats.set_based += len(done)
        stats.c8_rows += written
        return done

    def _write(self, cur: Any, sql: BulkSql, params: dict[str, Any], n: int) -> int:
        """The inserts and the tracking rows of c7to8_conv's n rows, keys from a block reserved now; C8 rows written."""
        params = {**params, "base": self.m.keys.reserve(n * sql.keys_per_row)}
        written = 0
        for insert in sql.inserts:
            cur.execute(insert, params)
            written += max(cur.rowcount, 0)
        cur.execute(sql.track, params)
        if sql.remember is not None and self._mapped[sql.remember[0]] < self.map_rows:
            cur.execute(sql.remember[1], params)  # a bounded map: past map_rows, rows resolve as without it
            self._mapped[sql.remember[0]] += max(cur.rowcount, 0)
        return written

    def _process_derived(self, table: Any) -> list[Any]:
        """c7to8_version (ACT_RE_PROCDEF.VERSION_) and c7to8_call_fn: the call-activity instance of a
        called instance (in its super instance, indexed), if there is exactly one."""
        pd = self.m.source.table("ACT_RE_PROCDEF")
        act = self.m.source.table("ACT_HI_ACTINST").alias("c7to8_a")
        version = select(pd.c.VERSION_).where(pd.c.ID_ == table.c.PROC_DEF_ID_).scalar_subquery()
        call = (select(case((func.count() == 1, func.max(act.c.ID_)), else_=null()))
                .where(act.c.PROC_INST_ID_ == table.c.SUPER_PROCESS_INSTANCE_ID_,
                       act.c.CALL_PROC_INST_ID_ == table.c.ID_)
                .scalar_subquery())
        called = table.c.SUPER_PROCESS_INSTANCE_ID_.is_not(None)
        return [version.label("c7to8_version"), case((called, call), else_=null()).label("c7to8_call_fn")]

    def _stage_defs(self, src: Any, h: Handler, sql: BulkSql) -> str:
        """The staging table's column definitions: the C7 table's own column types (read once per
        table), then the derived values."""
        types = self._types.get(h.base_table)
        if types is None:
            with src.cursor() as cur:
                cur.execute(
                    "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                    " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relname = %s AND n.nspname = COALESCE(%s, current_schema())"
                    " AND a.attnum > 0 AND NOT a.attisdropped",
                    (self.m.source.physical_name(h.base_table), self.m.source.schema))
                types = self._types[h.base_table] = {str(n).upper(): str(tp) for n, tp in cur.fetchall()}
            src.rollback()
        return ", ".join([f"{sql.stage_name(c)} {types[c]}" for c in sql.stage_columns]
                         + [f"{name} {tp}" for name, tp in sql.derived])

    def _decision_derived(self, table: Any) -> list[Any]:
        """Required-decision evaluations of a root evaluation (count), its inputs and outputs as JSON arrays."""
        src = self.m.source
        child = self.m.handlers[DI].table().alias("c7to8_c")
        children = select(func.count()).select_from(child).where(child.c.ROOT_DEC_INST_ID_ == table.c.ID_)
        out: list[Any] = [children.scalar_subquery().label("c7to8_children")]
        for name, c7_name, output in (("c7to8_in", "ACT_HI_DEC_IN", False), ("c7to8_out", "ACT_HI_DEC_OUT", True)):
            values = src.opt_table(c7_name)
            if values is None:
                out.append(null().label(name))
                continue
            fields = bulk_sql.DECISION_VALUE_FIELDS + (bulk_sql.DECISION_OUTPUT_FIELDS if output else ())
            pairs: list[Any] = []
            for f, _ in fields:
                pairs += [literal(f), values.c[f.upper()]]
            agg = select(func.json_agg(func.json_build_object(*pairs))).where(values.c.DEC_INST_ID_ == table.c.ID_)
            out.append(agg.scalar_subquery().label(name))
        return out

    def _create_stage(self, src: Any, dst: Any, h: Handler, sql: BulkSql) -> None:
        """The staging table, with the C7 table's own column types."""
        defs = self._stage_defs(src, h, sql)
        with dst.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cur.execute(f"CREATE TEMP TABLE {STAGE} ({defs})")
            for statement in sql.setup:
                cur.execute(statement)
        dst.commit()

    def _stream(self, src: Any, h: Handler, sql: BulkSql, plan: TypePlan) -> Iterator[list[bytes]]:
        """This shard's C7 rows from the resume point, in (time, id) order, as COPY text rows, in chunks."""
        t = h.table()
        tc, idc = t.c[sql.time_column], t.c["ID_"]
        conds = []
        shard, _ = h.shard_filter()  # PostgreSQL: always an SQL condition
        if shard is not None:
            conds.append(shard)
        if h.where is not None:
            conds.append(h.where(t))
        if plan.since is not None:
            conds.append(tc >= plan.since.astimezone(self.m.settings.zone).replace(tzinfo=None))
        order = (tc.asc().nulls_first(), idc)  # a log's first row: as the row-by-row pages pick it

        def stream_order(x: Any) -> tuple[Any, Any]:
            # ties on the time broken by the id's bytes: the same rows, without the collation's comparisons
            # (a shard's sort is most of the stream's cost; strcoll or ICU make it 15-50 % dearer)
            return x.c[sql.time_column].asc().nulls_first(), x.c.ID_.collate(bulk_sql.BYTE_COLLATION)

        if sql.first_of is None:
            q = select(*[t.c[c].label(sql.stage_name(c)) for c in sql.stage_columns], *self._derived(h, t))
            if conds:
                q = q.where(and_(*conds))
            q = q.order_by(*stream_order(t))
        else:  # the first row of each entity, as the row-by-row pages deduplicate from the same resume point
            first = func.row_number().over(partition_by=t.c[sql.first_of], order_by=order).label("c7to8_first")
            inner = select(*[t.c[c] for c in sql.stage_columns], first)
            if conds:
                inner = inner.where(and_(*conds))
            sub = inner.subquery("c7to8_f")
            q = (select(*[sub.c[c].label(sql.stage_name(c)) for c in sql.stage_columns], *self._derived(h, sub))
                 .where(sub.c.c7to8_first == 1)
                 .order_by(*stream_order(sub)))
        compiled = q.compile(dialect=pg_dialect.psycopg.dialect())  # type: ignore[no-untyped-call]
        statement = f"COPY ({compiled}) TO STDOUT"
        with src.cursor() as cur:
            cur.execute(SOURCE_SETTINGS)
        chunk: list[bytes] = []
        with_partition = self._partitioner(src, sql)
        for row in copy_out(src, statement, compiled.params):
            chunk.append(row if with_partition is None else with_partition(row))
            if len(chunk) >= self.chunk:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        src.rollback()

    def _partitioner(self, src: Any, sql: BulkSql) -> Callable[[bytes], bytes] | None:
        """Appends c7to8_partition to a COPY text row: partition_for(ID_), ID_ being its first field.

        NULL (the row then goes row by row) for an id with a COPY escape or a non-UTF-8 connection.
        """
        if not sql.partition_of_id:
            return None
        settings, utf8 = self.m.settings, src.info.encoding == "utf-8"

        def add(row: bytes) -> bytes:
            raw = row[:row.index(b"\t")]
            part = str(partition_for(settings, raw.decode())).encode() if utf8 and b"\\" not in raw else b"\\N"
            return row[:-1] + b"\t" + part + b"\n"

        return add

    def _convert_chunk(self, dst: Any, h: Handler, sql: BulkSql, chunk: list[bytes], stats: Any,
                       waiting: WaitingRoom, fresh: bool) -> int:
        """Stage, convert what SQL can, hand the rest to the row-by-row pipeline; returns how many went there.

        `fresh`: nothing of the type was tracked when its pass began (TypePlan.fresh).
        """
        m = self.m
        with dst.cursor() as cur:
            cur.execute("SET LOCAL DateStyle = 'ISO, YMD'")
            with cur.copy(f"COPY {STAGE} ({_stage_list(sql)}) FROM STDIN") as copy:
                copy.write(b"".join(chunk))
            dst.commit()
            stats.read += len(chunk)
            staged = len(chunk)  # rows still in the staging table
            while True:
                skipped = 0
                try:
                    # temporary tables without statistics: joins among them are hashed, lookups in the
                    # big tables are index probes (scalar subqueries); JIT costs more than it saves here
                    cur.execute("SET LOCAL enable_nestloop = off; SET LOCAL enable_mergejoin = off;"
                                " SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL extra_float_digits = 1")
                    if sql.prepare is not None:
                        cur.execute(sql.prepare, sql.params)
                    chunk_params = {**sql.params, "fresh": fresh}
                    if "now" in sql.params:
                        chunk_params["now"] = now(m.settings)
                    if "skip_now" in sql.params and m.values.document_store_failed:
                        chunk_params["skip_now"] = list(sql.params["skip_kinds"])
                    cur.execute(sql.conv, chunk_params)
                    n = cur.rowcount
                    if n <= 0:
                        dst.commit()
                        break
                    written = self._write(cur, sql, chunk_params, n)
                    remaining = staged - n  # counted once the transaction commits
                    if remaining > 0:
                        cur.execute(f"DELETE FROM {STAGE} s USING {CONV} c WHERE s.{sql.id_column} = c.id_")
                    else:  # every staged row converted or skipped: nothing left to wait or to go row by row
                        cur.execute(f"TRUNCATE {STAGE}")
                    if sql.skips:
                        cur.execute(f"SELECT count(*) FROM {CONV} WHERE skip IS NOT NULL")
                        skipped = int(cur.fetchone()[0])
                    converted = n - skipped
                    # the converted ids, when something may wait for them; else the call activities only
                    wanted = ["skip IS NULL"] if sql.skips else []
                    if not waiting.rows:
                        wanted.append("call_proc_inst_id_ IS NOT NULL" if sql.calls else "FALSE")
                    cur.execute(f"SELECT id_{', call_proc_inst_id_' if sql.calls else ''} FROM {CONV}"
                                + (f" WHERE {' AND '.join(wanted)}" if wanted else ""))
                    done = cur.fetchall()
                    again = False
                    if sql.repeat is not None and remaining > 0:
                        cur.execute(sql.repeat)
                        again = cur.fetchone() is not None
                    dst.commit()
                    staged = remaining
                except psycopg.Error as exc:
                    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) or dst.closed:
                        raise  # the connection, not the rows
                    dst.rollback()  # a refused statement: these rows go row by row
                    log.warning("%s: set-based conversion of %d rows failed (%s); converting them row by row",
                                h.type.display, len(chunk), str(exc).strip().splitlines()[0])
                    break
                stats.migrated += converted
                stats.set_based += converted
                stats.skipped += skipped
                self.skipped_in_sql += skipped
                stats.c8_rows += written
                # what waited for these rows (and the instances their call activities call) is migrated now
                called = False
                if done:
                    ids = [str(r[0]) for r in done]
                    rows = [{h.spec.c7_id_column: i, "CALL_PROC_INST_ID_": r[1] if sql.calls else None}
                            for i, r in zip(ids, done, strict=True)]
                    called = m.heal(h, rows, dict.fromkeys(ids, None), waiting)
                if staged <= 0 or not (again or called):
                    break
            rest: list[Any] = []
            if staged > 0:
                # log types: the rows left are first rows, fetched again by their own (indexed) ID_
                cur.execute(f"SELECT s.id_, EXISTS (SELECT 1 FROM {m.tracking.table.name} t WHERE t.type = %s"
                            f" AND t.c7_id = s.{sql.id_column}) FROM {STAGE} s", (h.type.name,))
                rest = cur.fetchall()
                cur.execute(f"TRUNCATE {STAGE}")
                dst.commit()
        left = [str(i) for i, tracked in rest if not tracked]
        stats.already += len(rest) - len(left)
        if left:
            m.row_by_row_ids(h, left, stats, waiting, "ID_" if sql.first_of else None)
        return len(left)


def copy_out(conn: Any, statement: str, params: Mapping[str, Any]) -> Iterator[bytes]:
    """The rows of ``COPY (...) TO STDOUT`` on a psycopg connection, one COPY text line each.

    Read straight from libpq: psycopg's ``Copy.read`` costs about a microsecond of Python per row
    (a generator and a wait per message), this loop about half of that. The statement is bound on
    the client (COPY takes no parameters). Errors are psycopg's. Left early (the consumer stopped,
    an error, an interrupt), the connection is in the middle of the COPY and is closed.
    """
    pg = conn.pgconn
    encoding = conn.info.encoding
    query = psycopg.ClientCursor(conn).mogrify(statement, params)
    complete = False

    def result() -> Any:
        while True:
            pg.consume_input()
            if not pg.is_busy():
                return pg.get_result()
            _select.select([pg.socket], [], [])

    def last(res: Any, expected: Any, missing: str) -> None:
        """Read the results left (the connection is then free again); raise unless `res` is `expected`."""
        nonlocal complete
        while result() is not None:
            pass
        complete = True
        if res is None:
            raise psycopg.OperationalError(missing)
        if res.status != expected:
            raise psycopg.errors.error_from_result(res, encoding=encoding)

    try:
        pg.send_query(query.encode(encoding))
        while pg.flush():  # a non-blocking connection: the rest of the query when the socket takes it
            _select.select([], [pg.socket], [])
        first = result()
        if first is None or first.status != psycopg.pq.ExecStatus.COPY_OUT:
            last(first, psycopg.pq.ExecStatus.COPY_OUT, "no result for the COPY")
        get = pg.get_copy_data
        while True:
            n, data = get(1)
            if n > 0:
                yield bytes(data)
            elif n == 0:  # nothing buffered: wait for the server
                _select.select([pg.socket], [], [])
                pg.consume_input()
            else:
                break
        last(result(), psycopg.pq.ExecStatus.COMMAND_OK, "the COPY ended without a result")
    finally:
        if not complete:
            conn.close()


def _stage_list(sql: BulkSql) -> str:
    """The staging table's columns, in COPY order: the C7 columns, then the derived values."""
    return ", ".join([sql.stage_name(c) for c in sql.stage_columns] + [name for name, _ in sql.derived])


def _broken(raw: Any) -> bool:
    """A raw pooled connection whose driver connection is gone, closed or broken."""
    driver: Any = raw.driver_connection
    return driver is None or bool(driver.closed) or bool(driver.broken)


def _release(*raws: Any) -> None:
    """Raw pooled connections back to the pool; a broken one is dropped (its reset would fail and be logged)."""
    for raw in raws:
        if _broken(raw):
            raw.invalidate()
        else:
            raw.close()
