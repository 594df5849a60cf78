"""History migration orchestrator: entity types in the official order, passes and retries.

Per entity type and page (dlt-style stages):
  extract  keyset pages of C7 rows (`c7.source.keyset_pages`), never OFFSET;
  resolve  what the page needs from earlier types, one query per lookup per page (tracking table,
           C8 rows, C7 side tables) plus an overlay of what this page converted already, so a
           child that follows its parent in the same page finds it;
  convert  pure functions (`c7to8.convert`), interceptors included;
  load     one transaction per page: C8 rows and tracking rows (`c8.writer.BatchWriter`).
After the MIGRATE pass the retry loop re-runs every type over skipped rows while the skipped count
keeps falling (children skipped before their parents heal within one run).

Throughput: a reader thread fetches page n+1 while page n is resolved, converted and written
(bounded queue); a type with no tracking rows at its start skips the per-page "already tracked?"
query. With ``--workers N`` (``c7to8.workers``) definitions are migrated first by this process,
then N processes each migrate the process-bound types for one shard of ROOT process instance ids
(a hierarchy stays in one worker), type by type behind a barrier; the retry loop runs afterwards
in this process. With ``--dask ADDRESS`` the same shards run as tasks on a Dask cluster
(``c7to8.distributed``). See docs/performance.md.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Table, and_, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from .c7.source import C7Source, Row, keyset_pages
from .c8.schema import c8_metadata, create_c8_schema, existing_c8_tables
from .c8.writer import BatchWriter, Outcome
from .convert import (
    audit_log,
    decision_definition,
    decision_instance,
    decision_requirements,
    external_task,
    flow_node,
    form,
    incident,
    job,
    process_definition,
    process_instance,
    user_task,
    variable,
)
from .convert.base import EntitySpec, run_pipeline
from .convert.common import (
    HEALING_REASON_PREFIXES,
    MIGRATION_ORDER,
    ConvertSettings,
    HistoryType,
    Reason,
    deleted_in_c8,
    parse_dmn,
    to_c8_date,
    user_task_form_ref,
)
from .convert.interceptors import build_entity_chain, chain_for_spec
from .dialects import for_engine, one_of
from .errors import C7to8Error, SkipError, TargetError
from .logs import pool_errors_on_one_line, warn_each
from .report import ProgressReporter, Summary, TypeStats
from .store.keys import KeyAllocator
from .store.tracking import EntityType, TrackRow

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger("c7to8.history")

PI = HistoryType.HISTORY_PROCESS_INSTANCE
PD = HistoryType.HISTORY_PROCESS_DEFINITION
FN = HistoryType.HISTORY_FLOW_NODE
UT = HistoryType.HISTORY_USER_TASK
FORM = HistoryType.HISTORY_FORM_DEFINITION
DRD = HistoryType.HISTORY_DECISION_REQUIREMENT
DD = HistoryType.HISTORY_DECISION_DEFINITION
JOB = HistoryType.HISTORY_JOB
EXT = HistoryType.HISTORY_EXTERNAL_TASK


class HistoryError(C7to8Error):
    exit_code = 5


#: migrated first, by one process, when several workers run (no process instance to shard by)
DEFINITION_TYPES = (FORM, PD, DRD, DD)
#: after the pass of the type: C8 tables whose planner statistics are refreshed, because later passes
#: look them up by a non-unique key (incidents, jobs and external tasks: flow nodes by process
#: instance key). Freshly loaded and not yet analyzed, such a table is planned as nearly empty, and a
#: lookup of 500 keys becomes a scan of the whole table.
REFRESH_STATISTICS: dict[HistoryType, tuple[str, ...]] = {FN: ("FLOW_NODE_INSTANCE",)}


@dataclass(frozen=True)
class TypePlan:
    """How one type's MIGRATE pass starts: resume point, and whether nothing of it is tracked yet."""

    since: datetime | None
    fresh: bool


def read_ahead(pages: Iterator[list[Row]], depth: int = 2) -> Iterator[list[Row]]:
    """Yield the pages of `pages`, reading up to `depth` pages ahead in a background thread.

    Only Camunda 7 reads happen in the thread, so page n+1 is fetched while page n is converted and
    written; an error of the reader is raised here, in the caller's thread.
    """
    q: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[int, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not put((0, page)):
                    return
            put((1, None))
        except BaseException as exc:  # noqa: BLE001 - handed over to the consumer
            put((2, exc))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    th = threading.Thread(target=produce, name="c7to8-reader", daemon=True)
    th.start()
    try:
        while True:
            kind, item = q.get()
            if kind == 0:
                yield item
            elif kind == 2:
                raise item
            else:
                return
    finally:
        stop.set()
        th.join(timeout=60)


#: entity types that later entities look up (their keys are worth caching across pages)
REFERENCED_TYPES = frozenset({PD, PI, FN, UT, DRD, DD, FORM, JOB, EXT})
#: the columns of a referenced entity's C8 row that the contexts of later entities read
ROW_FIELDS: dict[HistoryType, tuple[str, ...]] = {
    PI: ("ROOT_PROCESS_INSTANCE_KEY", "PARTITION_ID", "TREE_PATH", "END_DATE", "VERSION"),
    FN: ("FLOW_NODE_ID",),
    UT: ("ELEMENT_INSTANCE_KEY",),
    DD: ("DECISION_REQUIREMENTS_KEY", "DECISION_REQUIREMENTS_ID"),
    DRD: ("NAME", "VERSION"),
}


def slim_row(t: HistoryType, row: Mapping[str, Any]) -> dict[str, Any]:
    return {f: row.get(f) for f in ROW_FIELDS.get(t, ())}


def _et(t: HistoryType) -> EntityType:
    return EntityType[t.value]


class _FromWorker(logging.Handler):
    """A worker's log record, handled here by the logger of its name (this process's handlers,
    levels and filters), its thread shown as the worker process."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.processName and record.processName != "MainProcess":
            record.threadName = record.processName
        logging.getLogger(record.name).handle(record)


class _BrokenBarrier(HistoryError):
    """A worker stopped because another one failed (the other one's error is reported)."""


def _worker_main(config: Any, workers: int, shard: tuple[int, int], work: Any, barrier: Any, results: Any,
                 records: Any, levels: dict[str, int]) -> None:
    """One history worker process: its shard of every process-bound type, in order, behind a barrier.

    Started before the parent migrates the definitions, so that its interpreter start, imports and
    set-up overlap that work; it then waits for (types, plans) on `work` (None: the parent failed).
    """
    from logging.handlers import QueueHandler

    from .app import App

    root = logging.getLogger()
    root.handlers.clear()
    root.addHandler(QueueHandler(records))
    pool_errors_on_one_line(QueueHandler(records))
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    app = App(config, progress=False, workers=workers)
    m: HistoryMigrator | None = None
    try:
        m = HistoryMigrator(app, progress=False, shard=shard)
        todo = _from_parent(work)
        if todo is None:
            return
        types, plans = todo
        with ProgressReporter(False) as progress:
            m.progress = progress
            for t in types:
                if t in plans:
                    m.migrate_type(t, plans[t])
                barrier.wait()
        results.put((shard[0], dict(m.summary.types), None))
    except threading.BrokenBarrierError:
        results.put((shard[0], None, _BrokenBarrier("another history worker failed")))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        barrier.abort()
        err: BaseException = exc
        if isinstance(exc, SQLAlchemyError):
            err = app.database_error(exc)
        elif not isinstance(exc, C7to8Error):
            err = HistoryError(f"history worker {shard[0] + 1} failed: {type(exc).__name__}: {exc}")
        results.put((shard[0], None, err))
    finally:
        if m is not None:
            m.close()
        app.close()


def _from_parent(work: Any) -> Any:
    """The next item the parent process puts on `work`; None if the parent is gone."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    while True:
        try:
            return work.get(timeout=1.0)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return None


# ------------------------------------------------------------------------------------------
# per-page lookups


@dataclass(slots=True)
class Known:
    """A C8 entity known to this page: its key, partition and the columns of its main C8 row that
    later entities read (ROW_FIELDS; kept small, the run-wide cache holds many)."""

    key: int
    partition: int | None = None
    row: Mapping[str, Any] | None = None


@dataclass
class Page:
    """Prefetched lookups of one page, plus the overlay of what the page itself produced."""

    known: dict[tuple[HistoryType, str], Known] = field(default_factory=dict)
    deleted: set[tuple[HistoryType, str]] = field(default_factory=set)  # tracked, but C8 row gone
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, t: HistoryType, c7_id: object) -> Known | None:
        if c7_id is None:
            return None
        return self.known.get((t, str(c7_id)))

    def key(self, t: HistoryType, c7_id: object) -> int | None:
        k = self.get(t, c7_id)
        return k.key if k else None


class KnownCache:
    """C8 keys (and main rows) found or written earlier in this run, shared by later pages.

    Consecutive pages refer to the same parents (the flow nodes, variables and tasks of one process
    instance are close in time), so most lookups are answered here instead of by a query. Only
    entities known to be migrated are kept (a miss always asks the database). Per entity type, two
    generations of at most `size` entries each bound the memory (a flood of one type never evicts
    another); an entry used again moves to the young generation.
    """

    #: process instances carry the most row columns: fewer of them
    SIZES: ClassVar[dict[HistoryType, int]] = {HistoryType.HISTORY_PROCESS_INSTANCE: 20_000}

    def __init__(self, size: int = 30_000) -> None:
        self.default_size = size
        self.young: dict[HistoryType, dict[str, Known]] = {}
        self.old: dict[HistoryType, dict[str, Known]] = {}

    def get(self, t: HistoryType, c7_id: str) -> Known | None:
        young = self.young.get(t)
        hit = young.get(c7_id) if young is not None else None
        if hit is None:
            old = self.old.get(t)
            hit = old.pop(c7_id, None) if old is not None else None
            if hit is not None:
                self.put(t, c7_id, hit)
        return hit

    def put(self, t: HistoryType, c7_id: str, known: Known) -> None:
        young = self.young.get(t)
        if young is None:
            young = self.young[t] = {}
        elif len(young) >= self.SIZES.get(t, self.default_size):
            self.old[t] = young
            young = self.young[t] = {}
        young[c7_id] = known

    def discard(self, t: HistoryType, c7_id: str) -> None:
        self.young.get(t, {}).pop(c7_id, None)
        self.old.get(t, {}).pop(c7_id, None)


class WaitingRoom:
    """Skipped rows of the current pass waiting for an entity of this run to be migrated (bounded)."""

    def __init__(self, cap: int = 10_000) -> None:
        self.cap = cap
        self.rows: dict[str, Row] = {}
        self.by_dep: dict[tuple[HistoryType, str], list[str]] = {}

    def wait(self, dep: tuple[HistoryType, str], c7_id: str, row: Row) -> None:
        if len(self.rows) < self.cap and c7_id not in self.rows:  # beyond: the automatic retry heals
            self.rows[c7_id] = row
            self.by_dep.setdefault(dep, []).append(c7_id)

    def drop(self, c7_id: str) -> None:
        self.rows.pop(c7_id, None)

    def ready(self, deps: Sequence[tuple[HistoryType, str]]) -> list[Row]:
        out = []
        for dep in deps:
            for c7_id in self.by_dep.pop(dep, ()):
                row = self.rows.pop(c7_id, None)
                if row is not None:
                    out.append(row)
        return out


class HistoryMigrator:
    def __init__(self, app: App, progress: bool = True, shard: tuple[int, int] | None = None) -> None:
        cfg = app.config
        assert cfg.c7 is not None and cfg.c8 is not None
        self.app = app
        self.shard = shard  # (index, count): this process migrates one shard of the root instances
        self.config = cfg
        self.progress_enabled = progress
        self.c7 = app.c7
        self.c8 = app.c8
        self.tracking = app.tracking
        self.source = C7Source(self.c7, prefix=cfg.c7.table_prefix, schema=cfg.c7.schema)
        self.schema_info = self.source.schema_info()
        self.dialect = for_engine(self.c8)
        prefix = cfg.c8.table_prefix
        if cfg.c8.auto_ddl:
            created = create_c8_schema(self.c8, prefix)
            if created:
                log.info("Created %d Camunda 8 tables with prefix '%s'", len(created), prefix)
        with self.c8.connect() as conn:
            have = existing_c8_tables(conn, prefix)
        missing = [n for n in ("PROCESS_INSTANCE", "FLOW_NODE_INSTANCE", "VARIABLE") if n not in have]
        if missing:
            raise TargetError(
                f"the Camunda 8 database has no tables {', '.join(prefix + m for m in missing)}. Start Camunda 8 "
                "once against it so it creates its schema, or set camunda.migrator.c8.data-source.auto-ddl: true."
            )
        md = c8_metadata(prefix, self.dialect.name)
        self.c8_tables: dict[str, Table] = {t.name[len(prefix):].upper() if prefix else t.name.upper(): t
                                            for t in md.tables.values()}
        self.keys = KeyAllocator(self.c8, prefix=cfg.table_prefix)
        self.settings = ConvertSettings(
            prefix=cfg.history.legacy_id_prefix,
            ttl=cfg.history.cleanup_ttl if cfg.history.cleanup_enabled and not cfg.history.cleanup_ttl.is_zero
            else None,
            zone=ZoneInfo(cfg.extras.time_zone),
            partitions=tuple(self._partitions()),
            next_key=self.keys.next_key,
            char_column_size=self.dialect.properties.user_char_column_size,
        )
        self.chain = build_entity_chain(cfg.interceptors)
        from .c7.values import HistoryValues

        self.values = HistoryValues(cfg, self.dialect.properties)
        self.batch = cfg.extras.batch_size
        self.bpmn_cache: dict[tuple[str, str], bytes | None] = {}  # user-task form links: BPMN per resource
        self._column_names: dict[str, frozenset[str]] = {}
        self.known_cache = KnownCache()
        self.summary = Summary("c7to8 history migration")
        #: per type: rows migrated per type (this run) when its last attempt began; None: unknown
        #: (skips from an earlier run), so the automatic retry must look at its skipped rows
        self._attempts: dict[HistoryType, dict[HistoryType, int] | None] = {}
        self.handlers: dict[HistoryType, Handler] = {t: Handler.for_type(self, t) for t in MIGRATION_ORDER}
        from .bulk import BulkLane

        self.bulk = BulkLane(self)

    def close(self) -> None:
        """Give back what the migrator holds beyond a pass (the set-based lane's connection)."""
        self.bulk.close()

    # ------------------------------------------------------------------ partitions
    def _partitions(self) -> list[int]:
        n = self.config.history.partition_count
        if n is not None:
            ids = list(range(1, n + 1))
            log.info("Using configured partition count: %d (partition IDs: %s)", n, ids)
            return ids
        from .c8.rest import C8Client, Unreachable

        try:
            with C8Client(self.config.client, max_retries=2) as client:
                ids = client.partition_ids()
        except Unreachable as exc:
            raise HistoryError(
                "Camunda REST API cannot be reached to query for the topology. If you want to continue in offline "
                "mode, please configure a partition count with the following config property: "
                "camunda.migrator.history.partition-count"
            ) from exc
        if not ids:
            raise HistoryError(
                "No Zeebe partitions available from topology. Ensure the Camunda cluster is properly configured "
                "and running, or configure 'camunda.migrator.history.partition-count' for offline mode."
            )
        log.info("Fetched %d Zeebe partition(s) from topology: %s", len(ids), ids)
        return ids

    # ------------------------------------------------------------------ run
    def run(self, retry_only: bool = False) -> Summary:
        log.info("Using Camunda 7 legacy definition ID prefix '%s' for history migration.", self.settings.prefix)
        with ProgressReporter(self.progress_enabled) as progress:
            self.progress = progress
            if not retry_only:
                if self.app.dask is not None and self.shard is None:
                    from .distributed import run_distributed

                    self._shards_ran(run_distributed(self, self.app.dask, self.app.dask_shards))
                elif self.app.workers > 1 and self.shard is None:
                    self._shards_ran(self._run_workers(self.app.workers))
                else:
                    for t in MIGRATION_ORDER:
                        self.migrate_type(t)
                prev = None
                def skipped(counts: Mapping[str, Mapping[str | None, int]]) -> int:
                    return sum(n for reasons in counts.values() for n in reasons.values())

                skips = self.tracking.skip_counts()  # one query per round, not two per type
                cur = skipped(skips)
                rounds = 0
                while cur > 0 and (prev is None or cur < prev):
                    prev = cur
                    rounds += 1
                    tried = False
                    for t in MIGRATION_ORDER:
                        # once a retry of this round wrote rows, the snapshot may be stale: ask again
                        tried = self.retry_type(t, dependency_only=True, skips=None if tried else skips) or tried
                    if tried:  # else nothing changed: the loop ends
                        skips = self.tracking.skip_counts()
                        cur = skipped(skips)
                if rounds:
                    self.summary.notes.append(f"automatic retry: {rounds} pass(es)")
            else:
                for t in MIGRATION_ORDER:
                    self.retry_type(t)
        by_et = {_et(t): t for t in MIGRATION_ORDER}
        reasons: dict[HistoryType, Counter[str]] = {t: Counter() for t in MIGRATION_ORDER}

        def lines() -> Iterator[tuple[str, str, str]]:
            for et, c7_id, reason in self.tracking.iter_skipped(list(by_et)):
                t = by_et[et]
                reasons[t][str(reason)] += 1
                yield t.display, c7_id, reason or ""

        warn_each(log, "Migration of %s with C7 ID [%s] skipped. %s", lines())
        for t in MIGRATION_ORDER:
            for text, n in sorted(reasons[t].items(), key=lambda kv: -kv[1]):
                self.summary.reasons.append((t.display, text if text != "None" else "(reason not saved)", n))
        self.summary.finish()
        return self.summary

    def plan(self, t: HistoryType) -> TypePlan | None:
        h = self.handlers[t]
        if not h.available():
            return None
        since = self.safe_watermark(h)
        return TypePlan(since, fresh=since is None and not self.tracking.has_any(_et(t)))

    def migrate_type(self, t: HistoryType, plan: TypePlan | None = None) -> None:
        h = self.handlers[t]
        if not h.available():
            return
        log.info("Migrating %ss.", t.display)
        stats = self.summary.stats(t.display)
        if plan is None:
            plan = self.plan(t)
            assert plan is not None
        self.progress.start(t.display, h.count() if self.shard is None else None)
        self._attempts[t] = self._moved() if plan.fresh else None
        started = time.monotonic()
        h.dedup_reset = False
        waiting = WaitingRoom()
        migrated = stats.migrated
        lane = self.bulk.sql_for(t)
        if lane is not None:
            self.bulk.migrate(h, lane, plan, stats, waiting)
        else:
            self.row_by_row(h, plan, stats, waiting, started)
        if stats.migrated > migrated:
            self._refresh_statistics(t)
        self.progress.done(t.display)

    def _refresh_statistics(self, t: HistoryType) -> None:
        """After a pass that wrote rows: fresh planner statistics for the C8 tables later passes look
        up by a non-unique key (REFRESH_STATISTICS). One shard does it for all. A failure costs only
        speed, so it is logged and the run goes on."""
        names = REFRESH_STATISTICS.get(t, ())
        tables = [self.c8_tables[n] for n in names if n in self.c8_tables]
        if not tables or (self.shard is not None and self.shard[0] != 0):
            return
        try:
            with self.c8.begin() as conn:
                self.dialect.refresh_statistics(conn, tables)
        except SQLAlchemyError as exc:
            log.warning("Could not refresh the planner statistics of %s (%s); later lookups in it may be slower",
                        ", ".join(tb.name for tb in tables), str(exc).strip().splitlines()[0])

    def row_by_row(self, h: Handler, plan: TypePlan, stats: TypeStats, waiting: WaitingRoom, started: float) -> None:
        """Read, convert and write the type page by page in Python."""
        t = h.type
        writer = self._writer()
        for rows in read_ahead(h.pages(plan.since, self.batch)):
            if plan.fresh and not h.dedup_reset:
                # nothing of this type was tracked when the pass began and the keyset scan reads each
                # entity once: no row of the page can be tracked already
                fresh = rows
            else:
                ids = [str(r[h.spec.c7_id_column]) for r in rows]
                with self.c8.connect() as conn:
                    tracked = self.tracking.tracked(conn, _et(t), ids)
                fresh = [r for r in rows if str(r[h.spec.c7_id_column]) not in tracked]
            stats.read += len(rows)
            stats.already += len(rows) - len(fresh)
            done = self._process(h, fresh, writer, stats)
            self.heal(h, fresh, done, waiting)
            stats.seconds = time.monotonic() - started
            self.progress.advance(t.display, len(rows), stats.rate)

    def row_by_row_ids(self, h: Handler, ids: Sequence[str], stats: TypeStats, waiting: WaitingRoom,
                       column: str | None = None) -> None:
        """The rows the set-based lane left (untracked C7 ids of `column`): the row-by-row pipeline, skips recorded."""
        writer = self._writer()
        for i in range(0, len(ids), self.batch):
            rows = h.by_ids(ids[i : i + self.batch], column)
            done = self._process(h, rows, writer, stats)
            self.heal(h, rows, done, waiting)

    # ------------------------------------------------------------------ workers
    def definitions_then_plans(self) -> tuple[list[HistoryType], dict[HistoryType, TypePlan]]:
        """Migrate the definition types here; return the process-bound types and their plans.

        The plans are computed once, before any shard writes, so every shard (worker process or
        Dask task) starts from the same view. Types whose C7 tables are missing have no plan.
        """
        rest = [t for t in MIGRATION_ORDER if t not in DEFINITION_TYPES]
        for t in MIGRATION_ORDER:
            if t in DEFINITION_TYPES:
                self.migrate_type(t)
        return rest, {t: p for t in rest if (p := self.plan(t)) is not None}

    def _moved(self) -> dict[HistoryType, int]:
        """Rows migrated so far in this run, per type."""
        return {t: self.summary.stats(t.display).migrated for t in MIGRATION_ORDER}

    def _shards_ran(self, plans: Mapping[HistoryType, TypePlan]) -> None:
        """After the shards' pass (type by type behind a barrier): what each type's pass could see.

        When a type's pass began, every earlier type was complete; of itself and the later types
        nothing is known (-1: any migrated row of theirs may heal its skips).
        """
        moved = self._moved()
        for t, plan in plans.items():
            before = MIGRATION_ORDER[:MIGRATION_ORDER.index(t)]
            self._attempts[t] = {d: moved[d] if d in before else -1 for d in MIGRATION_ORDER} if plan.fresh else None

    def _may_have_healed(self, t: HistoryType, reasons: Iterable[str | None] | None = None) -> bool:
        """Can a dependency-only retry of t migrate anything?

        Only if a row of a type its skips wait for was migrated after its last attempt began (or
        that is unknown: skips of an earlier run, a reason not saved or not understood).
        `reasons`: the skip reasons of t's skipped rows, if known (else they are read).
        """
        seen = self._attempts.get(t)
        if seen is None:
            return True
        moved = self._moved()
        if reasons is None:
            reasons = self.tracking.skip_counts(_et(t)).get(_et(t).name, {})
        for reason in reasons:
            if not may_heal(reason):
                continue
            deps = waits_on(reason) if reason is not None else None  # not saved: unknown
            if deps is None or any(moved[d] > seen.get(d, -1) for d in deps):
                return True
        return False

    def merge_stats(self, stats: Mapping[str, TypeStats]) -> None:
        """Add one shard's per-type statistics to this summary (time: the slowest shard)."""
        for name, st in stats.items():
            mine = self.summary.stats(name)
            for f in ("read", "migrated", "skipped", "failed", "already", "c8_rows", "healed", "set_based"):
                setattr(mine, f, getattr(mine, f) + getattr(st, f))
            mine.seconds = max(mine.seconds, st.seconds)

    def _run_workers(self, n: int) -> dict[HistoryType, TypePlan]:
        """Definitions here, then n processes over the ROOT-instance shards, type by type; returns the plans."""
        import multiprocessing
        from logging.handlers import QueueListener

        ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited connections
        barrier = ctx.Barrier(n)
        work: Any = ctx.Queue()  # (types, plans) once the definitions are migrated, one per worker
        results: Any = ctx.Queue()
        records: Any = ctx.Queue()
        root = logging.getLogger()
        listener = QueueListener(records, _FromWorker())
        levels = {name: lg.level for name, lg in logging.root.manager.loggerDict.items()
                  if isinstance(lg, logging.Logger) and lg.level != logging.NOTSET}
        levels[""] = root.level
        procs = [
            ctx.Process(target=_worker_main, name=f"c7to8-worker-{i}",
                        args=(self.config, self.app.workers, (i, n), work, barrier, results, records, levels))
            for i in range(n)
        ]
        listener.start()
        error: BaseException | None = None
        plans: dict[HistoryType, TypePlan] = {}
        try:
            for proc in procs:  # first: their start-up overlaps the definitions
                proc.start()
            try:
                rest, plans = self.definitions_then_plans()
            except BaseException:
                for _ in procs:
                    work.put(None)
                raise
            log.info("Migrating process-bound history with %d workers.", n)
            for _ in procs:
                work.put((rest, plans))
            pending = n
            while pending:
                try:
                    _, stats, exc = results.get(timeout=1.0)
                except queue.Empty:
                    if any(not proc.is_alive() and proc.exitcode not in (0, None) for proc in procs) \
                            and results.empty():
                        dead = [proc for proc in procs if proc.exitcode not in (0, None)]
                        error = error or HistoryError(
                            f"history worker {dead[0].name} ended unexpectedly (exit code {dead[0].exitcode}). "
                            "Everything committed before is kept; run the same command again to continue.")
                        break
                    continue
                pending -= 1
                if exc is not None:
                    if error is None or isinstance(error, _BrokenBarrier):
                        error = exc
                    continue
                self.merge_stats(stats)
        finally:
            for proc in procs:
                proc.join(timeout=5 if error is not None else None)
                if proc.is_alive():
                    proc.terminate()
                    proc.join()
            listener.stop()
        if error is not None:
            raise error
        return plans

    def safe_watermark(self, h: Handler) -> datetime | None:
        """The newest tracked CREATE_TIME, if nothing below it is missing; else None (full scan).

        Resuming from the watermark is only a speed-up: it is used when the C7 entities older than it
        (or with no time) are exactly as many as the tracked ones, so a gap (rows deleted from the
        tracking table, a shard that ran behind) never hides an entity. Duplicates at the boundary
        are filtered against the tracking table.
        """
        et = _et(h.type)
        since = self.tracking.latest_create_time(et)
        if since is None:
            return None
        naive = since.astimezone(self.settings.zone).replace(tzinfo=None) if since.tzinfo else since
        c7_before = h.count_before(naive)
        t = self.tracking.table
        with self.c8.connect() as conn:
            tracked_before = conn.execute(
                select(func.count()).select_from(t).where(
                    and_(t.c["TYPE"] == et.name, (t.c.CREATE_TIME < since) | t.c.CREATE_TIME.is_(None))
                )
            ).scalar()
        if c7_before != tracked_before:
            log.info("%s: %s C7 rows before the resume point but %s tracked; scanning everything",
                     h.type.display, c7_before, tracked_before)
            return None
        return since

    def retry_type(self, t: HistoryType, dependency_only: bool = False,
                   skips: Mapping[str, Mapping[str | None, int]] | None = None) -> bool:
        """One RETRY pass over the skipped rows of type t.

        `dependency_only` (the automatic loop inside one run): only rows whose reason says something
        was missing are retried; a reason about the row itself (unsupported type, conversion error)
        cannot change within a run, so re-reading it would only cost time. `--retry-skipped` retries
        every skipped row. `skips`: TYPE -> skip reason -> count of the skipped rows, if known and
        current (else they are read). Returns whether rows were retried (and so may have changed).
        """
        h = self.handlers[t]
        if not h.available():
            return False
        et = _et(t)
        reasons = skips.get(et.name, {}) if skips is not None else None
        if (sum(reasons.values()) if reasons is not None else self.tracking.count(et, skipped=True)) == 0:
            return False
        if dependency_only and not self._may_have_healed(t, reasons):
            log.info("Not retrying %ss: nothing their skips wait for was migrated since.", t.display)
            return False
        self._attempts[t] = self._moved()
        log.info("Retrying %ss.", t.display)
        stats = self.summary.stats(t.display)
        started = time.monotonic()
        writer = self._retry_writer()
        ids = [c7 for c7, _, reason in self.tracking.iter_rows(et, skipped=True, page_size=self.batch)
               if not dependency_only or may_heal(reason)]
        if not ids:
            return False
        for i in range(0, len(ids), self.batch):
            chunk = ids[i : i + self.batch]
            rows = h.by_ids(chunk)
            found = {str(r[h.spec.c7_id_column]) for r in rows}
            self._process(h, rows, writer, stats, retry=True)
            gone = [c for c in chunk if c not in found]
            if gone:
                log.debug("%d skipped %s rows no longer exist in Camunda 7", len(gone), t.display)
        stats.seconds += time.monotonic() - started
        return True

    def heal(self, h: Handler, rows: Sequence[Row], done: Mapping[str, str | None], waiting: WaitingRoom) -> bool:
        """Migrate, right away, what was skipped only because something of this pass was not there yet.

        The official order skips an entity whose parent comes later and leaves it to the automatic
        retry after all types, and with it everything that belongs to it, type after type:
        - a flow node or process instance whose parent of the same type is later in the time order
          (same start time, page boundary);
        - a called process instance: it needs its parent's call-activity flow node, and all process
          instances come before all flow nodes; then every flow node of it.
        Such rows wait here (bounded) for what they miss. As soon as a page of flow nodes is written,
        the children of its call activities are migrated; as soon as a parent is migrated, what
        waited for it is. Both in RETRY mode, exactly as the automatic retry would; what still fails is
        left to it. The end result is the same, without a second pass over whole hierarchies.

        Returns True if called process instances were migrated (the set-based lane then converts
        again: staged rows of theirs can now find their instance).
        """
        id_col = h.spec.c7_id_column
        called = False
        if h.type is not FN and not waiting.rows and all(reason is None for reason in done.values()):
            return called  # nothing waits, nothing will: all migrated, no call activities
        while rows:
            for r in rows:
                c7_id = str(r[id_col])
                reason = done.get(c7_id)
                dep = h.waits_for(r, reason) if reason is not None else None
                if dep is not None:
                    waiting.wait(dep, c7_id, r)
            migrated = [c7 for c7, reason in done.items() if reason is None]
            for c7 in migrated:
                waiting.drop(c7)
            ready = waiting.ready([(h.type, c7) for c7 in migrated])
            if h.type is FN:
                healed = self._heal_called(rows, done)
                called = called or bool(healed)
                ready += waiting.ready([(PI, c7) for c7 in healed])
            if not ready:
                break
            rows = ready
            done = self._process(h, ready, self._retry_writer(), self.summary.stats(h.type.display), retry=True)
        return called

    def _heal_called(self, rows: Sequence[Row], done: Mapping[str, str | None]) -> set[str]:
        """Retry the skipped process instances called by the call activities migrated in `rows`."""
        children = [str(r["CALL_PROC_INST_ID_"]) for r in rows
                    if r.get("CALL_PROC_INST_ID_") and str(r["ID_"]) in done and done[str(r["ID_"])] is None]
        if not children:
            return set()
        # set-based first, where certain: it takes only children tracked as skipped for a reason that
        # may heal (may_heal, in SQL), so the tracking table is read here only for what it left
        in_sql = self.bulk.heal_called(children)
        left = [c for c in children if c not in in_sql]
        if not left:
            return in_sql
        with self.c8.connect() as conn:
            rest = [c for c, reason in self.tracking.skipped(conn, _et(PI), left).items() if may_heal(reason)]
        if not rest:
            return in_sql
        pi_h = self.handlers[PI]
        healed = self._process(pi_h, pi_h.by_ids(rest), self._retry_writer(), self.summary.stats(PI.display),
                               retry=True)
        return in_sql | {c for c, reason in healed.items() if reason is None}

    def _writer(self, retry: bool = False) -> BatchWriter:
        return BatchWriter(self.c8, self.tracking, self.c8_tables, retry_mode=retry, dialect=self.dialect)

    def _retry_writer(self) -> BatchWriter:
        return self._writer(retry=True)

    def _process(
        self, h: Handler, rows: Sequence[Row], writer: BatchWriter, stats: Any, retry: bool = False
    ) -> dict[str, str | None]:
        """Convert and write one page; returns C7 id -> None (migrated) or the skip reason."""
        if not rows:
            return {}
        page = h.prefetch(rows)
        outcomes: list[Outcome] = []
        t = h.type
        referenced = t in REFERENCED_TYPES
        # per page, not per row: the type's spec, its filtered interceptor chain, names
        spec = h.spec
        chain = chain_for_spec(self.chain, spec)
        et = _et(t)
        id_col, time_col, zone = spec.c7_id_column, spec.create_time_column, self.settings.zone
        context, fit = h.context, self._fit
        debug = log.isEnabledFor(logging.DEBUG)
        for row in rows:
            c7_id = str(row[id_col])
            create_time = to_c8_date(row.get(time_col), zone)
            try:
                out = run_pipeline(spec, row, context(row, page), chain)
            except SkipError as skip:
                if debug:
                    log.debug("Migration of %s with C7 ID [%s] skipped. %s", t.display, c7_id, skip.reason)
                outcomes.append(Outcome(TrackRow(c7_id, et, None, create_time, reason=skip.reason)))
                continue
            rows_by_table: dict[str, list[dict[str, Any]]] = {}
            for table, c8row in out.rows:
                rows_by_table.setdefault(table, []).append(fit(table, c8row))
            outcomes.append(
                Outcome(TrackRow(c7_id, et, out.c8_key, create_time, partition_id=out.partition_id), rows_by_table)
            )
            if referenced and out.c8_key.lstrip("-").isdigit():
                page.known[(t, c7_id)] = Known(int(out.c8_key), out.partition_id, slim_row(t, out.main))
        result = writer.write(outcomes, h.spec.c8_tables)
        failed = {f.c7_id: f.reason for f in result.failures}
        if referenced:  # others: nothing looks them up, caching them would only evict
            self._remember(t, page, outcomes, set(failed))
        if retry:
            # a skip that stays a skip was already counted in an earlier pass of this run
            stats.migrated += result.migrated
            stats.healed += result.migrated + result.failed
            stats.failed += result.failed
        else:
            stats.migrated += result.migrated
            stats.skipped += result.skipped
            stats.failed += result.failed
        stats.c8_rows += result.c8_rows
        return {o.track.c7_id: failed.get(o.track.c7_id, (o.track.reason or "skipped") if o.skipped else None)
                for o in outcomes}

    def _remember(self, t: HistoryType, page: Page, outcomes: Sequence[Outcome], failed: set[str]) -> None:
        """Put the entities this page migrated into the run's cache (not those the database refused)."""
        cache = self.known_cache
        for o in outcomes:
            c7_id = o.track.c7_id
            if not o.skipped and c7_id not in failed:
                hit = page.known.get((t, c7_id))
                if hit is not None:
                    cache.put(t, c7_id, hit)

    def _fit(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Drop keys the target table does not have (patch-release columns)."""
        names = self._column_names.get(table)
        if names is None:
            names = self._column_names[table] = frozenset(self.c8_tables[table].c.keys())
        if names.issuperset(row):
            return row
        return {k: v for k, v in row.items() if k in names}

    # ------------------------------------------------------------------ shared lookups
    def prefetch_tracked(self, conn: Connection, page: Page, wants: Mapping[HistoryType, set[str]]) -> None:
        cache = self.known_cache
        for t, ids in wants.items():
            missing = []
            for i in ids:
                if not i or (t, i) in page.known:
                    continue
                hit = cache.get(t, i)
                if hit is None:
                    missing.append(i)
                else:
                    page.known[(t, i)] = hit
            if not missing:
                continue
            for c7_id, (key, part) in self.tracking.keys_and_partitions(conn, _et(t), sorted(missing)).items():
                page.known[(t, c7_id)] = known = Known(key, part)
                cache.put(t, c7_id, known)

    def prefetch_c8_rows(
        self, conn: Connection, page: Page, t: HistoryType, table: str, key_col: str, required: bool = True
    ) -> None:
        """Read the C8 rows of tracked entities of type t; a tracked key whose row is gone is 'deleted'."""
        known = {k.key: (c7, k) for (tt, c7), k in page.known.items() if tt is t and k.row is None}
        if not known:
            return
        tbl = self.c8_tables[table]
        found: dict[int, dict[str, Any]] = {}
        keys = list(known)
        # only the key and the columns later contexts read (ROW_FIELDS), not the whole row
        cols = [tbl.c[key_col], *[tbl.c[f] for f in ROW_FIELDS.get(t, ()) if f in tbl.c and f != key_col]]
        for i in range(0, len(keys), 1000):
            for r in conn.execute(select(*cols).where(one_of(tbl.c[key_col], keys[i : i + 1000], conn.dialect.name))):
                m = dict(r._mapping)
                found[int(m[key_col])] = m
        for key, (c7, k) in known.items():
            if key in found:
                k.row = slim_row(t, found[key])
            elif required:
                page.deleted.add((t, c7))
                page.known.pop((t, c7), None)
                self.known_cache.discard(t, c7)
                page.extra.setdefault("deleted_keys", {})[(t, c7)] = key


# ------------------------------------------------------------------------------------------
# per-type handlers


class Handler:
    """Reads one entity type from C7 and builds its conversion contexts."""

    type: HistoryType
    spec: EntitySpec
    base_table: str
    time_column: str
    entity_column: str = "ID_"  # tracking id column of the base table
    log_table: bool = False  # one entity per first log row (jobs, external tasks, audit log)
    where: Callable[[Table], Any] | None = None
    def waits_for(self, row: Row, reason: str) -> tuple[HistoryType, str] | None:
        """The entity of the current pass whose migration can heal this skip (see HistoryMigrator._heal)."""
        return None

    #: the first non-NULL of these columns decides a row's worker shard (its ROOT process instance)
    shard_columns: tuple[str, ...] = ("ROOT_PROC_INST_ID_", "PROC_INST_ID_", "ID_")

    def __init__(self, m: HistoryMigrator) -> None:
        self.m = m
        self.src = m.source
        self.dedup_reset = False  # a log type's in-memory dedup set was emptied during this pass

    def shard_key(self) -> Any:
        t = self.table()
        cols = [t.c[c] for c in self.shard_columns if c in t.c]
        return cols[0] if len(cols) == 1 else func.coalesce(*cols)

    def shard_filter(self) -> tuple[Any, Callable[[Row], bool] | None]:
        """(SQL condition, Python predicate) selecting this worker's shard; (None, None) without shards."""
        if self.m.shard is None:
            return None, None
        index, count = self.m.shard
        vendor = self.m.source.vendor  # `h2` behind its PostgreSQL server: no hashtext there
        key = self.shard_key()
        if vendor == "postgresql":
            return (func.hashtext(key) + literal(2**31, BigInteger)) % count == index, None
        if vendor in ("mysql", "mariadb"):
            return func.crc32(key) % count == index, None
        t = self.table()
        names = [c for c in self.shard_columns if c in t.c]

        def mine(row: Row) -> bool:
            value = next((row[c] for c in names if row.get(c) is not None), "")
            return zlib.crc32(str(value).encode("utf-8")) % count == index

        return None, mine

    @staticmethod
    def for_type(m: HistoryMigrator, t: HistoryType) -> Handler:
        return HANDLERS[t](m)

    # ------------------------------------------------------------- reading
    def available(self) -> bool:
        return self.src.has(self.base_table)

    def table(self) -> Table:
        return self.src.table(self.base_table)

    def select_columns(self) -> tuple[list[Any], Any]:
        t = self.table()
        return list(t.columns), t

    def count(self) -> int | None:
        t = self.table()
        if self.log_table:
            q = select(func.count(func.distinct(t.c[self.entity_column])))
        else:
            q = select(func.count()).select_from(t)
        if self.where is not None:
            q = q.where(self.where(t))
        with self.m.c7.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def time_col(self) -> Any:
        return self.table().c[self.time_column]

    def count_before(self, naive_since: datetime) -> int:
        """C7 entities whose time is before `naive_since` or NULL (log types: by first log row)."""
        cols, from_ = self.select_columns()
        t = self.table()
        tc = self.time_col()
        cond = (tc < naive_since) | tc.is_(None)
        counted = func.count(func.distinct(t.c[self.entity_column])) if self.log_table else func.count()
        q = select(counted).select_from(from_).where(cond)
        if self.where is not None:
            q = q.where(self.where(t))
        with self.m.c7.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def pages(self, since: datetime | None, size: int) -> Iterator[list[Row]]:
        cols, from_ = self.select_columns()
        t = self.table()
        where = self.where(t) if self.where is not None else None
        shard_sql, shard_py = self.shard_filter()
        if shard_sql is not None:
            where = shard_sql if where is None else and_(where, shard_sql)
        naive_since = since.astimezone(self.m.settings.zone).replace(tzinfo=None) if since else None
        seen: set[str] = set()
        for page in keyset_pages(
            self.m.c7, cols, from_, t.c[self.time_column], t.c["ID_"], size, where=where, since=naive_since
        ):
            if shard_py is not None:
                page = [r for r in page if shard_py(r)]
            if self.log_table:
                out = []
                for r in page:
                    eid = r.get(self.entity_column)
                    if eid is None or eid in seen:
                        continue
                    seen.add(eid)
                    out.append(r)
                if len(seen) > 500_000:
                    seen.clear()  # bounded memory; later duplicates are caught by the tracking table
                    self.dedup_reset = True
                page = out
            if page:
                yield page

    def by_ids(self, ids: Sequence[str], column: str | None = None) -> list[Row]:
        """The rows of these C7 ids (log types: the first row of each entity), in time order.

        `column`: the C7 column the ids are of (default: the entity's id column). The set-based lane
        passes log rows' own ID_, which is indexed where a job's or task's id is not.
        """
        cols, from_ = self.select_columns()
        t = self.table()
        col = t.c[column or self.entity_column]
        q = select(*cols).select_from(from_).where(one_of(col, list(ids), self.src.vendor))
        if self.where is not None:
            q = q.where(self.where(t))
        q = q.order_by(t.c[self.time_column], t.c["ID_"])
        out: list[Row] = []
        seen: set[str] = set()
        with self.m.c7.connect() as conn:
            result = conn.execute(q)
            keys = list(result.keys())
            for r in result:
                d = dict(zip(keys, r, strict=True))
                if d[self.entity_column] in seen:
                    continue
                seen.add(d[self.entity_column])
                out.append(d)
        return list(self.src.fill(self.base_table, out))

    # ------------------------------------------------------------- lookups
    def prefetch(self, rows: Sequence[Row]) -> Page:
        page = Page()
        with self.m.c8.connect() as conn:
            self.prefetch_into(conn, page, rows)
        return page

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        return None

    def context(self, row: Row, page: Page) -> Any:
        raise NotImplementedError

    # helpers shared by process-bound types
    def _pi_wants(self, rows: Sequence[Row], pi_col: str = "PROC_INST_ID_",
                  root_col: str = "ROOT_PROC_INST_ID_") -> set[str]:
        return {str(r[c]) for r in rows for c in (pi_col, root_col) if r.get(c)}

    def _prefetch_pi(self, conn: Connection, page: Page, ids: set[str]) -> None:
        self.m.prefetch_tracked(conn, page, {PI: ids})
        self.m.prefetch_c8_rows(conn, page, PI, "PROCESS_INSTANCE", "PROCESS_INSTANCE_KEY")

    def _prefetch_pd(self, conn: Connection, page: Page, ids: set[str]) -> None:
        self.m.prefetch_tracked(conn, page, {PD: ids})
        self.m.prefetch_c8_rows(conn, page, PD, "PROCESS_DEFINITION", "PROCESS_DEFINITION_KEY")

    def _deleted(self, page: Page, *pairs: tuple[HistoryType, object]) -> str | None:
        for t, c7 in pairs:
            if c7 is not None and (t, str(c7)) in page.deleted:
                key = page.extra.get("deleted_keys", {}).get((t, str(c7)), "?")
                return deleted_in_c8(t, key)
        return None

    def _root(self, page: Page, row: Row, root_col: str = "ROOT_PROC_INST_ID_",
              pi_col: str = "PROC_INST_ID_") -> tuple[int | None, int | None]:
        root = page.get(PI, row.get(root_col))
        if root is not None:
            return root.key, root.partition if root.partition is not None else _row_partition(root.row)
        pi = page.get(PI, row.get(pi_col))
        if pi is not None and pi.row is not None:  # pre-7.11 data: ask the C8 row
            return pi.row.get("ROOT_PROCESS_INSTANCE_KEY"), pi.row.get("PARTITION_ID")
        return None, None

    def resources(self, conn_rows: Sequence[Row]) -> dict[tuple[str, str], bytes]:
        """Bytes of DEPLOYMENT_ID_ + RESOURCE_NAME_ for definitions/forms (one query per 500 deployments)."""
        ba = self.src.table("ACT_GE_BYTEARRAY")
        pairs = {(r["DEPLOYMENT_ID_"], r["RESOURCE_NAME_"]) for r in conn_rows if r.get("DEPLOYMENT_ID_")}
        deps = sorted({p[0] for p in pairs})
        out: dict[tuple[str, str], bytes] = {}
        with self.m.c7.connect() as c7:
            for i in range(0, len(deps), 500):
                q = select(ba.c.DEPLOYMENT_ID_, ba.c.NAME_, ba.c.BYTES_).where(ba.c.DEPLOYMENT_ID_.in_(deps[i:i + 500]))
                for dep, name, data in c7.execute(q):
                    if (dep, name) in pairs and data is not None:
                        out[(dep, name)] = bytes(data)
        return out


def may_heal(reason: str | None) -> bool:
    """Can a later pass of the same run migrate an entity skipped for this reason?

    Yes when something it depends on was missing (the dependency may have been migrated since);
    no for reasons about the entity itself. Unknown (not saved) reasons are retried.
    """
    if reason is None:
        return True
    return reason.startswith(HEALING_REASON_PREFIXES)


#: skip reason -> the types whose newly migrated rows may heal it
_WAITS_ON: dict[str, frozenset[HistoryType]] = {
    Reason.MISSING_ROOT_PROCESS_INSTANCE: frozenset({PI}),
    Reason.MISSING_PARENT_PROCESS_INSTANCE: frozenset({PI}),
    Reason.MISSING_PROCESS_INSTANCE: frozenset({PI}),
    Reason.MISSING_PROCESS_DEFINITION: frozenset({HistoryType.HISTORY_PROCESS_DEFINITION}),
    Reason.BELONGS_TO_SKIPPED_TASK: frozenset({HistoryType.HISTORY_USER_TASK}),
    Reason.MISSING_SCOPE_KEY: frozenset({PI, FN}),
    Reason.MISSING_FLOW_NODE: frozenset({FN}),
    Reason.MISSING_PARENT_FLOW_NODE: frozenset({FN}),
    Reason.MISSING_FORM: frozenset({HistoryType.HISTORY_FORM_DEFINITION}),
    Reason.MISSING_DECISION_REQUIREMENTS: frozenset({HistoryType.HISTORY_DECISION_REQUIREMENT}),
    Reason.MISSING_DECISION_DEFINITION: frozenset({HistoryType.HISTORY_DECISION_DEFINITION}),
    Reason.MISSING_JOB_REFERENCE: frozenset({HistoryType.HISTORY_JOB}),
}


def waits_on(reason: str) -> frozenset[HistoryType] | None:
    """The types whose newly migrated rows may heal a skip for `reason`; None if not known."""
    types = _WAITS_ON.get(reason)
    if types is not None:
        return types
    if reason.startswith("Parent "):  # deleted_in_c8: "Parent <display> with C8 ..."
        for t in MIGRATION_ORDER:
            if reason.startswith(f"Parent {t.display} with "):
                return frozenset({t})
    return None


def _row_partition(row: Mapping[str, Any] | None) -> int | None:
    if row is None:
        return None
    v = row.get("PARTITION_ID")
    return int(v) if v is not None else None


def _deploy_join(h: Handler) -> tuple[list[Any], Any]:
    t = h.table()
    dep = h.src.table("ACT_RE_DEPLOYMENT")
    cols = [*t.columns, dep.c.DEPLOY_TIME_]
    return cols, t.outerjoin(dep, t.c.DEPLOYMENT_ID_ == dep.c.ID_)


class _DefinitionHandler(Handler):
    time_column = "DEPLOY_TIME_"

    def time_col(self) -> Any:
        return self.src.table("ACT_RE_DEPLOYMENT").c.DEPLOY_TIME_

    def select_columns(self) -> tuple[list[Any], Any]:
        return _deploy_join(self)

    def pages(self, since: datetime | None, size: int) -> Iterator[list[Row]]:
        cols, from_ = self.select_columns()
        dep = self.src.table("ACT_RE_DEPLOYMENT")
        t = self.table()
        naive = since.astimezone(self.m.settings.zone).replace(tzinfo=None) if since else None
        yield from keyset_pages(self.m.c7, cols, from_, dep.c.DEPLOY_TIME_, t.c.ID_, size, since=naive)

    def by_ids(self, ids: Sequence[str], column: str | None = None) -> list[Row]:  # definitions: always ID_
        cols, from_ = self.select_columns()
        t = self.table()
        with self.m.c7.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(*cols).select_from(from_).where(t.c.ID_.in_(ids)))]

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        page.extra["resources"] = self.resources(rows)

    def resource(self, row: Row, page: Page) -> bytes | None:
        res: dict[tuple[str, str], bytes] = page.extra.get("resources", {})
        return res.get((row.get("DEPLOYMENT_ID_"), row.get("RESOURCE_NAME_")))  # type: ignore[arg-type]


class FormHandler(_DefinitionHandler):
    type = FORM
    spec = form.SPEC
    base_table = "ACT_RE_CAMFORMDEF"

    def context(self, row: Row, page: Page) -> Any:
        data = self.resource(row, page)
        return form.FormContext(settings=self.m.settings, schema=data.decode("utf-8") if data else None)


class ProcessDefinitionHandler(_DefinitionHandler):
    type = PD
    spec = process_definition.SPEC
    base_table = "ACT_RE_PROCDEF"

    def context(self, row: Row, page: Page) -> Any:
        return process_definition.ProcessDefinitionContext(settings=self.m.settings,
                                                           bpmn_xml=self.resource(row, page))


class DecisionRequirementsHandler(_DefinitionHandler):
    type = DRD
    spec = decision_requirements.SPEC
    base_table = "ACT_RE_DECISION_REQ_DEF"

    def context(self, row: Row, page: Page) -> Any:
        return decision_requirements.DecisionRequirementsContext(settings=self.m.settings,
                                                                 dmn_xml=self.resource(row, page))


class DecisionDefinitionHandler(_DefinitionHandler):
    type = DD
    spec = decision_definition.SPEC
    base_table = "ACT_RE_DECISION_DEF"

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        page.extra["resources"] = self.resources(rows)
        self.m.prefetch_tracked(conn, page, {DRD: {str(r["DEC_REQ_ID_"]) for r in rows if r.get("DEC_REQ_ID_")}})
        self.m.prefetch_c8_rows(conn, page, DRD, "DECISION_REQUIREMENTS", "DECISION_REQUIREMENTS_KEY")

    def context(self, row: Row, page: Page) -> Any:
        drd = page.get(DRD, row.get("DEC_REQ_ID_"))
        drow = drd.row if drd else None
        return decision_definition.DecisionDefinitionContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (DRD, row.get("DEC_REQ_ID_"))),
            decision_requirements_key=drd.key if drd else None,
            decision_requirements_name=drow.get("NAME") if drow else None,
            decision_requirements_version=drow.get("VERSION") if drow else None,
            dmn_xml=self.resource(row, page),
        )


class ProcessInstanceHandler(Handler):
    type = PI
    spec = process_instance.SPEC
    base_table = "ACT_HI_PROCINST"
    time_column = "START_TIME_"

    def waits_for(self, row: Row, reason: str) -> tuple[HistoryType, str] | None:
        sup = row.get("SUPER_PROCESS_INSTANCE_ID_")
        return (PI, str(sup)) if sup and reason == Reason.MISSING_PARENT_PROCESS_INSTANCE else None
    shard_columns = ("ROOT_PROC_INST_ID_", "ID_")

    def select_columns(self) -> tuple[list[Any], Any]:
        t = self.table()
        pd = self.src.table("ACT_RE_PROCDEF")
        return [*t.columns, pd.c.VERSION_], t.outerjoin(pd, t.c.PROC_DEF_ID_ == pd.c.ID_)

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        supers = {str(r["SUPER_PROCESS_INSTANCE_ID_"]) for r in rows if r.get("SUPER_PROCESS_INSTANCE_ID_")}
        roots = {str(r["ROOT_PROC_INST_ID_"]) for r in rows if r.get("ROOT_PROC_INST_ID_")}
        self._prefetch_pi(conn, page, supers | roots)
        self._prefetch_pd(conn, page, {str(r["PROC_DEF_ID_"]) for r in rows if r.get("PROC_DEF_ID_")})
        # the call-activity flow node of each child: ACT_HI_ACTINST(PROC_INST_ID_=super, CALL_PROC_INST_ID_=id)
        children = [r for r in rows if r.get("SUPER_PROCESS_INSTANCE_ID_")]
        if children:
            act = self.src.table("ACT_HI_ACTINST")
            vendor = self.src.vendor
            calls: dict[str, str] = {}
            with self.m.c7.connect() as c7:
                for i in range(0, len(children), 500):
                    part = children[i:i + 500]
                    # CALL_PROC_INST_ID_ has no index; the call activity is in the super instance (indexed)
                    q = select(act.c.CALL_PROC_INST_ID_, act.c.ID_).where(
                        one_of(act.c.PROC_INST_ID_, sorted({str(r["SUPER_PROCESS_INSTANCE_ID_"]) for r in part}),
                               vendor),
                        one_of(act.c.CALL_PROC_INST_ID_, [str(r["ID_"]) for r in part], vendor))
                    calls.update({str(a): str(b) for a, b in c7.execute(q)})
            page.extra["calls"] = calls
            self.m.prefetch_tracked(conn, page, {FN: set(calls.values())})

    def context(self, row: Row, page: Page) -> Any:
        sup = row.get("SUPER_PROCESS_INSTANCE_ID_")
        parent = page.get(PI, sup)
        root_key, root_part = (None, None)
        if row.get("ROOT_PROC_INST_ID_") and row.get("ROOT_PROC_INST_ID_") != row.get("ID_"):
            root_key, root_part = self._root(page, row, pi_col="SUPER_PROCESS_INSTANCE_ID_")
        call_fn = page.extra.get("calls", {}).get(str(row["ID_"]))
        return process_instance.ProcessInstanceContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (PD, row.get("PROC_DEF_ID_")), (PI, sup), (PI, row.get("ROOT_PROC_INST_ID_"))),
            process_definition_key=page.key(PD, row.get("PROC_DEF_ID_")),
            parent_process_instance_key=parent.key if parent else None,
            parent_tree_path=(parent.row or {}).get("TREE_PATH") if parent else None,
            parent_element_instance_key=page.key(FN, call_fn),
            root_process_instance_key=root_key,
            root_partition_id=root_part,
        )


class FlowNodeHandler(Handler):
    type = FN
    spec = flow_node.SPEC
    base_table = "ACT_HI_ACTINST"
    time_column = "START_TIME_"

    def waits_for(self, row: Row, reason: str) -> tuple[HistoryType, str] | None:
        if reason == Reason.MISSING_PROCESS_INSTANCE and row.get("PROC_INST_ID_"):
            return PI, str(row["PROC_INST_ID_"])
        parent = row.get("PARENT_ACT_INST_ID_")
        if reason == Reason.MISSING_PARENT_FLOW_NODE and parent and parent != row.get("PROC_INST_ID_"):
            return FN, str(parent)
        return None

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        self._prefetch_pi(conn, page, self._pi_wants(rows))
        self._prefetch_pd(conn, page, {str(r["PROC_DEF_ID_"]) for r in rows if r.get("PROC_DEF_ID_")})
        self.m.prefetch_tracked(conn, page, {FN: {str(r["PARENT_ACT_INST_ID_"]) for r in rows
                                                  if r.get("PARENT_ACT_INST_ID_")}})

    def context(self, row: Row, page: Page) -> Any:
        pi = page.get(PI, row.get("PROC_INST_ID_"))
        root_key, root_part = self._root(page, row)
        return flow_node.FlowNodeContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (PI, row.get("PROC_INST_ID_")), (PD, row.get("PROC_DEF_ID_"))),
            process_instance_key=pi.key if pi else None,
            process_instance_end_date=(pi.row or {}).get("END_DATE") if pi else None,
            process_definition_key=page.key(PD, row.get("PROC_DEF_ID_")),
            root_process_instance_key=root_key,
            root_partition_id=root_part,
            parent_flow_node_instance_key=page.key(FN, row.get("PARENT_ACT_INST_ID_")),
        )


class UserTaskHandler(Handler):
    type = UT
    spec = user_task.SPEC
    base_table = "ACT_HI_TASKINST"
    time_column = "START_TIME_"

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        self._prefetch_pi(conn, page, self._pi_wants(rows))
        self._prefetch_pd(conn, page, {str(r["PROC_DEF_ID_"]) for r in rows if r.get("PROC_DEF_ID_")})
        self.m.prefetch_tracked(conn, page, {FN: {str(r["ACT_INST_ID_"]) for r in rows if r.get("ACT_INST_ID_")}})
        ids = [str(r["ID_"]) for r in rows]
        links: dict[str, list[Row]] = {}
        forms: dict[str, Any] = {}
        with self.m.c7.connect() as c7:
            il = self.src.opt_table("ACT_HI_IDENTITYLINK")
            if il is not None:
                for i in range(0, len(ids), 500):
                    q = (select(il).where(and_(il.c.TASK_ID_.in_(ids[i:i + 500]), il.c.TYPE_ == "candidate"))
                         .order_by(il.c.TIMESTAMP_))
                    for r in c7.execute(q):
                        d = dict(r._mapping)
                        links.setdefault(str(d["TASK_ID_"]), []).append(d)
            forms = self._form_ids(c7, rows)
        page.extra["links"] = links
        page.extra["forms"] = forms
        self.m.prefetch_tracked(conn, page, {FORM: {v for v in forms.values() if v}})

    def _form_ids(self, c7: Connection, rows: Sequence[Row]) -> dict[str, str | None]:
        """Task id -> C7 form definition id, from the task's camunda:formRef in its BPMN."""
        pdt = self.src.table("ACT_RE_PROCDEF")
        cam = self.src.opt_table("ACT_RE_CAMFORMDEF")
        if cam is None:
            return {}
        pd_ids = sorted({str(r["PROC_DEF_ID_"]) for r in rows if r.get("PROC_DEF_ID_")})
        if not pd_ids:
            return {}
        pds = {str(r.ID_): dict(r._mapping) for r in c7.execute(select(pdt).where(pdt.c.ID_.in_(pd_ids)))}
        cache = self.m.bpmn_cache
        ba = self.src.table("ACT_GE_BYTEARRAY")
        out: dict[str, str | None] = {}
        for r in rows:
            pd = pds.get(str(r.get("PROC_DEF_ID_")))
            if not pd:
                continue
            ck = (pd["DEPLOYMENT_ID_"], pd["RESOURCE_NAME_"])
            if ck not in cache:
                if len(cache) > 256:
                    cache.clear()
                data = c7.execute(select(ba.c.BYTES_).where(and_(ba.c.DEPLOYMENT_ID_ == ck[0], ba.c.NAME_ == ck[1])))
                cache[ck] = data.scalar()
            ref = user_task_form_ref(cache[ck], r.get("TASK_DEF_KEY_"))
            if ref is None:
                continue
            q = select(cam.c.ID_, cam.c.VERSION_, cam.c.DEPLOYMENT_ID_).where(cam.c.KEY_ == ref.form_key)
            if r.get("TENANT_ID_"):
                q = q.where(cam.c.TENANT_ID_ == r["TENANT_ID_"])
            cands = [dict(x._mapping) for x in c7.execute(q)]
            if ref.binding == "deployment":
                cands = [c for c in cands if c["DEPLOYMENT_ID_"] == pd["DEPLOYMENT_ID_"]]
            elif ref.binding == "version" or ref.version is not None:
                cands = [c for c in cands if c["VERSION_"] == ref.version]
            best = max(cands, key=lambda c: c["VERSION_"] or 0) if cands else None
            out[str(r["ID_"])] = str(best["ID_"]) if best else None
        return out

    def context(self, row: Row, page: Page) -> Any:
        pi = page.get(PI, row.get("PROC_INST_ID_"))
        root_key, root_part = self._root(page, row)
        c7_form = page.extra.get("forms", {}).get(str(row["ID_"]))
        return user_task.UserTaskContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (PI, row.get("PROC_INST_ID_")), (PD, row.get("PROC_DEF_ID_"))),
            c7_form_id=c7_form,
            form_key=page.key(FORM, c7_form),
            process_instance_key=pi.key if pi else None,
            process_instance_end_date=(pi.row or {}).get("END_DATE") if pi else None,
            process_definition_version=(pi.row or {}).get("VERSION") if pi else None,
            root_process_instance_key=root_key,
            root_partition_id=root_part,
            element_instance_key=page.key(FN, row.get("ACT_INST_ID_")),
            process_definition_key=page.key(PD, row.get("PROC_DEF_ID_")),
            candidate_links=tuple(page.extra.get("links", {}).get(str(row["ID_"]), ())),
        )


class VariableHandler(Handler):
    type = HistoryType.HISTORY_VARIABLE
    spec = variable.SPEC
    base_table = "ACT_HI_VARINST"
    time_column = "CREATE_TIME_"

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        self._prefetch_pi(conn, page, self._pi_wants(rows))
        # the scope is the process instance itself (ACT_INST_ID_ = PROC_INST_ID_) or a flow node
        scopes = {str(a) for r in rows if (a := r.get("ACT_INST_ID_")) and a != r.get("PROC_INST_ID_")}
        self.m.prefetch_tracked(conn, page, {FN: scopes})
        self.m.prefetch_tracked(conn, page, {PI: {s for s in scopes if (FN, s) not in page.known}})
        page.extra["bytes"] = self.m.values.fetch_bytes(self.m.c7, self.src, rows)

    def context(self, row: Row, page: Page) -> Any:
        pi = page.get(PI, row.get("PROC_INST_ID_"))
        root_key, root_part = self._root(page, row)
        scope = page.key(FN, row.get("ACT_INST_ID_")) or page.key(PI, row.get("ACT_INST_ID_"))
        data = page.extra.get("bytes", {}).get(row.get("BYTEARRAY_ID_"))
        return variable.VariableContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (PI, row.get("PROC_INST_ID_"))),
            process_instance_key=pi.key if pi else None,
            root_process_instance_key=root_key,
            root_partition_id=root_part,
            scope_key=scope,
            value_columns=self.m.values.value_columns_fn(data),
        )


class _LogHandler(Handler):
    time_column = "TIMESTAMP_"
    log_table = True
    pi_col = "PROCESS_INSTANCE_ID_"  # ACT_HI_JOB_LOG spelling
    pd_col = "PROCESS_DEF_ID_"

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        self._prefetch_pi(conn, page, self._pi_wants(rows, self.pi_col, "ROOT_PROC_INST_ID_"))
        self._prefetch_pd(conn, page, {str(r[self.pd_col]) for r in rows if r.get(self.pd_col)})
        t = self.table()
        ent, pi_col, vendor = t.c[self.entity_column], t.c[self.pi_col], self.src.vendor
        last: dict[str, Any] = {}
        with self.m.c7.connect() as c7:
            for i in range(0, len(rows), 500):
                part = rows[i:i + 500]
                # the job / task id has no index; all log rows of one entity share its process instance
                # (indexed), or have none
                with_pi = [r for r in part if r.get(self.pi_col)]
                conds = []
                if with_pi:
                    conds.append(and_(one_of(pi_col, sorted({str(r[self.pi_col]) for r in with_pi}), vendor),
                                      one_of(ent, [str(r[self.entity_column]) for r in with_pi], vendor)))
                if len(with_pi) < len(part):
                    conds.append(and_(pi_col.is_(None), one_of(
                        ent, [str(r[self.entity_column]) for r in part if not r.get(self.pi_col)], vendor)))
                q = select(ent, func.max(t.c.TIMESTAMP_)).where(or_(*conds)).group_by(ent)
                last.update({str(a): b for a, b in c7.execute(q)})
        page.extra["last"] = last
        resolve_fni(self.m, conn, page, rows, "ACT_ID_", self.pi_col)

    def context(self, row: Row, page: Page) -> Any:
        pi = page.get(PI, row.get(self.pi_col))
        root_key, root_part = self._root(page, row, pi_col=self.pi_col)
        fni, ambiguous = page.extra.get("fni", {}).get((row.get("ACT_ID_"), row.get(self.pi_col)), (None, False))
        return job.JobContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (PI, row.get(self.pi_col)), (PD, row.get(self.pd_col))),
            process_definition_key=page.key(PD, row.get(self.pd_col)),
            process_instance_key=pi.key if pi else None,
            root_process_instance_key=root_key,
            root_partition_id=root_part,
            element_instance_key=fni,
            flow_node_ambiguous=ambiguous,
            last_log_time=page.extra.get("last", {}).get(str(row[self.entity_column])),
        )


class JobHandler(_LogHandler):
    type = JOB
    spec = job.SPEC
    base_table = "ACT_HI_JOB_LOG"
    entity_column = "JOB_ID_"
    shard_columns = ("ROOT_PROC_INST_ID_", "PROCESS_INSTANCE_ID_", "JOB_ID_")


class ExternalTaskHandler(_LogHandler):
    type = EXT
    spec = external_task.SPEC
    base_table = "ACT_HI_EXT_TASK_LOG"
    entity_column = "EXT_TASK_ID_"
    shard_columns = ("ROOT_PROC_INST_ID_", "PROC_INST_ID_", "EXT_TASK_ID_")
    pi_col = "PROC_INST_ID_"  # ACT_HI_EXT_TASK_LOG spelling
    pd_col = "PROC_DEF_ID_"


def resolve_fni(m: HistoryMigrator, conn: Connection, page: Page, rows: Sequence[Row], act_col: str,
                pi_col: str) -> None:
    """history.md §1.13 resolveFni for every (activity id, process instance) of the page, in batch."""
    pairs = {(r.get(act_col), r.get(pi_col)) for r in rows if r.get(act_col) and r.get(pi_col)}
    out: dict[tuple[Any, Any], tuple[int | None, bool]] = {}
    fni_tbl = m.c8_tables["FLOW_NODE_INSTANCE"]
    act = m.source.table("ACT_HI_ACTINST")
    by_pi: dict[int, set[str]] = {}
    for a, p in pairs:
        if str(a).endswith("#multiInstanceBody"):
            out[(a, p)] = (None, True)
            continue
        k = page.key(PI, p)
        if k is None:
            out[(a, p)] = (None, False)
        else:
            by_pi.setdefault(k, set()).add(str(a))
    c8_hits: dict[tuple[int, str], list[int]] = {}
    keys = list(by_pi)
    elements = sorted({e for es in by_pi.values() for e in es})  # a handful: the page's activity ids
    for i in range(0, len(keys), 500):
        q = select(fni_tbl.c.PROCESS_INSTANCE_KEY, fni_tbl.c.FLOW_NODE_ID, fni_tbl.c.FLOW_NODE_INSTANCE_KEY).where(
            one_of(fni_tbl.c.PROCESS_INSTANCE_KEY, keys[i:i + 500], conn.dialect.name),
            fni_tbl.c.FLOW_NODE_ID.in_(elements))
        for pk, fid, fk in conn.execute(q):
            if fid in by_pi.get(int(pk), ()):
                c8_hits.setdefault((int(pk), fid), []).append(int(fk))
    c7_counts: dict[tuple[str, str], int] = {}
    pis = sorted({str(p) for a, p in pairs})
    with m.c7.connect() as c7:
        for i in range(0, len(pis), 500):
            q = (select(act.c.ACT_ID_, act.c.PROC_INST_ID_, func.count())
                 .where(act.c.PROC_INST_ID_.in_(pis[i:i + 500])).group_by(act.c.ACT_ID_, act.c.PROC_INST_ID_))
            c7_counts.update({(str(a), str(p)): int(n) for a, p, n in c7.execute(q)})
    for a, p in pairs:
        if (a, p) in out:
            continue
        k = page.key(PI, p)
        hits = c8_hits.get((k, str(a)), []) if k is not None else []
        if not hits:
            out[(a, p)] = (None, False)
        elif c7_counts.get((str(a), str(p)), 0) > 1:
            out[(a, p)] = (None, True)
        elif len(hits) == 1:
            out[(a, p)] = (hits[0], False)
        else:
            out[(a, p)] = (None, False)
    page.extra["fni"] = out


class IncidentHandler(Handler):
    type = HistoryType.HISTORY_INCIDENT
    spec = incident.SPEC
    base_table = "ACT_HI_INCIDENT"
    time_column = "CREATE_TIME_"

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        self._prefetch_pi(conn, page, self._pi_wants(rows))
        self._prefetch_pd(conn, page, {str(r["PROC_DEF_ID_"]) for r in rows if r.get("PROC_DEF_ID_")})
        cfgs = {str(r["CONFIGURATION_"]) for r in rows if r.get("CONFIGURATION_")}
        self.m.prefetch_tracked(conn, page, {JOB: cfgs, EXT: cfgs})
        resolve_fni(self.m, conn, page, rows, "ACTIVITY_ID_", "PROC_INST_ID_")

    def context(self, row: Row, page: Page) -> Any:
        pi = page.get(PI, row.get("PROC_INST_ID_"))
        root_key, root_part = self._root(page, row)
        fni, ambiguous = page.extra.get("fni", {}).get((row.get("ACTIVITY_ID_"), row.get("PROC_INST_ID_")),
                                                       (None, False))
        cfg = row.get("CONFIGURATION_")
        itype = row.get("INCIDENT_TYPE_")
        job_key = page.key(EXT, cfg) if itype == "failedExternalTask" else page.key(JOB, cfg)
        return incident.IncidentContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (PI, row.get("PROC_INST_ID_")), (PD, row.get("PROC_DEF_ID_"))),
            process_instance_key=pi.key if pi else None,
            process_definition_key=page.key(PD, row.get("PROC_DEF_ID_")),
            flow_node_instance_key=fni,
            flow_node_ambiguous=ambiguous,
            root_process_instance_key=root_key,
            root_partition_id=root_part,
            job_key=job_key,
        )


class DecisionInstanceHandler(Handler):
    type = HistoryType.HISTORY_DECISION_INSTANCE
    spec = decision_instance.SPEC
    base_table = "ACT_HI_DECINST"
    time_column = "EVAL_TIME_"

    @staticmethod
    def _root_only(t: Table) -> Any:
        return t.c.ROOT_DEC_INST_ID_.is_(None)

    where = _root_only

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        ids = [str(r["ID_"]) for r in rows]
        dec = self.table()
        din, dout = self.src.opt_table("ACT_HI_DEC_IN"), self.src.opt_table("ACT_HI_DEC_OUT")
        children: dict[str, list[Row]] = {}
        with self.m.c7.connect() as c7:
            for i in range(0, len(ids), 500):
                q = select(dec).where(dec.c.ROOT_DEC_INST_ID_.in_(ids[i:i + 500])).order_by(dec.c.EVAL_TIME_, dec.c.ID_)
                for r in c7.execute(q):
                    d = dict(r._mapping)
                    children.setdefault(str(d["ROOT_DEC_INST_ID_"]), []).append(d)
            all_ids = ids + [str(c["ID_"]) for cs in children.values() for c in cs]
            ins: dict[str, list[Row]] = {}
            outs: dict[str, list[Row]] = {}
            for tbl, target, order in ((din, ins, ("CLAUSE_ID_",)), (dout, outs, ("RULE_ORDER_", "CLAUSE_ID_"))):
                if tbl is None:
                    continue
                for i in range(0, len(all_ids), 500):
                    q = select(tbl).where(tbl.c.DEC_INST_ID_.in_(all_ids[i:i + 500]))
                    q = q.order_by(*(tbl.c[c] for c in order))
                    for r in c7.execute(q):
                        d = dict(r._mapping)
                        target.setdefault(str(d["DEC_INST_ID_"]), []).append(d)
            rows_all = list(rows) + [c for cs in children.values() for c in cs]
            page.extra["bytes"] = self.m.values.fetch_bytes(self.m.c7, self.src, [*ins.values(), *outs.values()],
                                                             flatten=True)
            # DMN of each decision definition (for rule indices / decision types)
            dd = self.src.table("ACT_RE_DECISION_DEF")
            dd_ids = sorted({str(r["DEC_DEF_ID_"]) for r in rows_all if r.get("DEC_DEF_ID_")})
            defs = {str(r.ID_): dict(r._mapping) for r in c7.execute(select(dd).where(dd.c.ID_.in_(dd_ids)))} \
                if dd_ids else {}
        page.extra.update(children=children, ins=ins, outs=outs, defs=defs)
        page.extra["resources"] = self.resources(list(defs.values()))
        self.m.prefetch_tracked(conn, page, {DD: set(dd_ids) if dd_ids else set()})
        self.m.prefetch_c8_rows(conn, page, DD, "DECISION_DEFINITION", "DECISION_DEFINITION_KEY")
        self._prefetch_pi(conn, page, self._pi_wants(rows))
        self._prefetch_pd(conn, page, {str(r["PROC_DEF_ID_"]) for r in rows if r.get("PROC_DEF_ID_")})
        self.m.prefetch_tracked(conn, page, {FN: {str(r["ACT_INST_ID_"]) for r in rows if r.get("ACT_INST_ID_")}})
        self.m.prefetch_c8_rows(conn, page, FN, "FLOW_NODE_INSTANCE", "FLOW_NODE_INSTANCE_KEY", required=False)

    def context(self, row: Row, page: Page) -> Any:
        defs: dict[str, Row] = page.extra.get("defs", {})
        res: dict[tuple[str, str], bytes] = page.extra.get("resources", {})
        d = defs.get(str(row.get("DEC_DEF_ID_")))
        dmn = None
        if d is not None:
            xml = res.get((d.get("DEPLOYMENT_ID_"), d.get("RESOURCE_NAME_")))  # type: ignore[arg-type]
            if xml:
                try:
                    dmn = parse_dmn(xml).decisions
                except Exception:  # noqa: BLE001 - an unreadable DMN only loses rule indices
                    dmn = None
        dd = page.get(DD, row.get("DEC_DEF_ID_"))
        fn = page.get(FN, row.get("ACT_INST_ID_"))
        pi = page.get(PI, row.get("PROC_INST_ID_"))
        root_key, root_part = self._root(page, row)
        bytes_map = page.extra.get("bytes", {})
        kids = [
            decision_instance.ChildDecision(
                c, tuple(page.extra["ins"].get(str(c["ID_"]), ())), tuple(page.extra["outs"].get(str(c["ID_"]), ())),
                page.key(DD, c.get("DEC_DEF_ID_")),
            )
            for c in page.extra.get("children", {}).get(str(row["ID_"]), [])
        ]
        return decision_instance.DecisionInstanceContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (DD, row.get("DEC_DEF_ID_")), (PI, row.get("PROC_INST_ID_"))),
            decision_definition_key=dd.key if dd else None,
            decision_requirements_key=(dd.row or {}).get("DECISION_REQUIREMENTS_KEY") if dd else None,
            decision_requirements_id=(dd.row or {}).get("DECISION_REQUIREMENTS_ID") if dd else None,
            process_definition_key=page.key(PD, row.get("PROC_DEF_ID_")),
            process_instance_key=pi.key if pi else None,
            root_process_instance_key=root_key,
            root_partition_id=root_part,
            flow_node_instance_key=fn.key if fn else None,
            flow_node_id=(fn.row or {}).get("FLOW_NODE_ID") if fn else None,
            dmn=dmn or {},
            inputs=tuple(page.extra["ins"].get(str(row["ID_"]), ())),
            outputs=tuple(page.extra["outs"].get(str(row["ID_"]), ())),
            children=tuple(kids),
            value_string=self.m.values.value_string_fn(bytes_map),
        )


class AuditLogHandler(Handler):
    type = HistoryType.HISTORY_AUDIT_LOG
    spec = audit_log.SPEC
    base_table = "ACT_HI_OP_LOG"
    time_column = "TIMESTAMP_"
    entity_column = "OPERATION_ID_"
    log_table = True
    # all log rows of one operation must meet in one worker (one entity per operation); the types
    # it refers to are complete before it starts (workers pass a barrier after each type)
    shard_columns = ("OPERATION_ID_", "ID_")

    def prefetch_into(self, conn: Connection, page: Page, rows: Sequence[Row]) -> None:
        self._prefetch_pi(conn, page, self._pi_wants(rows))
        self._prefetch_pd(conn, page, {str(r["PROC_DEF_ID_"]) for r in rows if r.get("PROC_DEF_ID_")})
        tasks = {str(r["TASK_ID_"]) for r in rows if r.get("TASK_ID_")}
        self.m.prefetch_tracked(conn, page, {UT: tasks})
        self.m.prefetch_c8_rows(conn, page, UT, "USER_TASK", "USER_TASK_KEY", required=False)
        jobs = {str(r["JOB_ID_"]) for r in rows if r.get("JOB_ID_")}
        self.m.prefetch_tracked(conn, page, {JOB: jobs, EXT: jobs})

    def context(self, row: Row, page: Page) -> Any:
        pi = page.get(PI, row.get("PROC_INST_ID_"))
        root_key, root_part = self._root(page, row)
        ut = page.get(UT, row.get("TASK_ID_"))
        return audit_log.AuditLogContext(
            settings=self.m.settings,
            deleted=self._deleted(page, (PI, row.get("PROC_INST_ID_"))),
            process_instance_key=pi.key if pi else None,
            root_process_instance_key=root_key,
            root_partition_id=root_part,
            process_definition_key=page.key(PD, row.get("PROC_DEF_ID_")),
            user_task_key=ut.key if ut else None,
            element_instance_key=(ut.row or {}).get("ELEMENT_INSTANCE_KEY") if ut else None,
            job_key=page.key(JOB, row.get("JOB_ID_")) or page.key(EXT, row.get("JOB_ID_")),
        )


HANDLERS: dict[HistoryType, type[Handler]] = {
    FORM: FormHandler,
    PD: ProcessDefinitionHandler,
    PI: ProcessInstanceHandler,
    FN: FlowNodeHandler,
    UT: UserTaskHandler,
    HistoryType.HISTORY_VARIABLE: VariableHandler,
    JOB: JobHandler,
    EXT: ExternalTaskHandler,
    HistoryType.HISTORY_INCIDENT: IncidentHandler,
    DRD: DecisionRequirementsHandler,
    DD: DecisionDefinitionHandler,
    HistoryType.HISTORY_DECISION_INSTANCE: DecisionInstanceHandler,
    HistoryType.HISTORY_AUDIT_LOG: AuditLogHandler,
}
