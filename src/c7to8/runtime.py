"""Runtime migration orchestrator (`--runtime`): recreate running C7 process instances in C8.

Instance phase: select unfinished C7 root instances (or the skipped rows on `--retry-skipped`),
validate the whole call hierarchy (`runtime_validation`), start a C8 instance with the process
variables and `legacyId`, record it. Job phase: activate `migrator` jobs and modify each parked C8
instance so the C7 active elements become active, with their local variables (`runtime_plan`).

Every decision is a pure, tested function; the REST calls here follow the 8.9 OpenAPI and the
official call sequence but were never run against a live Camunda 8 by c7to8's test suite.

Crash safety beyond the official tool: before a C8 instance is created, its tracking row is
committed with the marker `PENDING`; the C8 key replaces the marker right after creation. A run that
finds a PENDING row first looks in C8 for a root instance carrying `legacyId` = the C7 id and records
that key instead of creating a second instance (see docs/runtime.md).

Concurrency (`--runtime-concurrency N`, `c7to8.runtime-concurrency`, default 1): up to N root
instances are handled at the same time by `runtime_pool.InstancePool`, and the migrator jobs of one
activation batch likewise. Tracking rows of a MIGRATE run are inserted in (START_TIME_, ID_) order
(`Turn`), so resuming at the newest CREATE_TIME never passes over an instance. With N = 1 every
instance and job is handled inline, one after the other, as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select, update

from .c7.source import C7Source
from .c7.values import NO_DOCUMENT_STORE
from .c8.bpmn import parse_bpmn
from .c8.rest import C8Client, RestError
from .errors import SkipError, TargetError
from .report import Summary, TypeStats
from .runtime_plan import (
    PENDING,
    activation_plan,
    convert_variables,
    create_instance_body,
    definition_search_body,
    instance_action,
    job_activation_body,
    legacy_id_of_job,
    legacy_instance_search_body,
    modification_body,
    pick_root_instance,
)
from .runtime_pool import InstancePool, Turn
from .runtime_state import C7Instance, FlowNode, RuntimeReader, active_flow_nodes
from .runtime_validation import C8Definition, validate_hierarchy
from .store.tracking import EntityType, TrackRow
from .variables import DocumentUpload, VariableConverter

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger("io.camunda.migration.data.RuntimeMigrator")
vlog = logging.getLogger("io.camunda.migration.data.impl.RuntimeValidator")

RT = EntityType.RUNTIME_PROCESS_INSTANCE


@dataclass
class _Row:
    c8_key: str | None
    reason: str | None


class RuntimeMigrator:
    def __init__(self, app: App, client: C8Client | None = None) -> None:
        self.app = app
        self.config = app.config
        self.tracking = app.tracking
        prefix = self.config.c7.table_prefix if self.config.c7 else ""
        self.src = C7Source(app.c7, prefix)
        self.reader = RuntimeReader(self.src)
        self.concurrency = max(1, int(getattr(app, "runtime_concurrency", 1) or 1))
        self.client = client or C8Client(self.config.client, concurrency=self.concurrency)
        self.converter = VariableConverter.from_config(self.config)
        self.validation_type = self.config.effective_validation_job_type
        self.tenant_ids = set(self.config.tenant_ids)
        self._c8_defs: dict[tuple[str, str | None], C8Definition | None] = {}
        self._defs_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.summary = Summary("Runtime migration")
        self.stats = self.summary.stats(RT.display)

    def _add(self, stats: TypeStats, counter: str) -> None:
        """Count one event (thread-safe)."""
        with self._stats_lock:
            setattr(stats, counter, getattr(stats, counter) + 1)

    # ------------------------------------------------------------------ run
    def run(self, retry_only: bool = False) -> Summary:
        if self.concurrency > 1:
            log.info("Runtime migration handles up to %d instances at a time", self.concurrency)
        if retry_only:
            self._retry_phase()
        else:
            self._migrate_phase()
        self._job_phase()
        self.summary.finish()
        return self.summary

    def _migrate_phase(self) -> None:
        log.info("Fetching process instances to migrate")
        latest = self.tracking.latest_create_time(RT)
        log.debug("Latest create time: %s", latest)
        pending = self._oldest_pending()
        if pending is not None and latest is not None and pending < latest:
            # a concurrent run that stopped can leave PENDING rows just below the newest row:
            # start there, so they are read again and resolved (the rows in between are known)
            log.info("Resuming at the oldest interrupted instance (%s) instead of %s", pending, latest)
            latest = pending
        since = _naive(latest, self.config.extras.time_zone)
        # ordered: tracking rows are inserted in candidate order (a resume never passes over one)
        with InstancePool(self.concurrency, ordered=True) as pool:
            for page in self.reader.unfinished_roots(since, max(self.config.page_size, 1)):
                with self.tracking.engine.connect() as conn:
                    rows = self._rows(conn, [c.id for c in page])
                for cand in page:
                    self._add(self.stats, "read")
                    pool.submit(partial(self._handle, cand.id, self._aware(cand.start_time), rows.get(cand.id),
                                        False))

    def _retry_phase(self) -> None:
        # Collect the ids first: rows leave the skipped set while we work (keyset on C7_ID).
        ids = [c7 for c7, _, _ in self.tracking.iter_rows(RT, skipped=True, page_size=max(self.config.page_size, 1))]
        with InstancePool(self.concurrency) as pool:  # rows exist already: no insert order to keep
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                with self.tracking.engine.connect() as conn:
                    rows = self._rows(conn, chunk)
                times = self.reader.start_times(chunk)
                for c7_id in chunk:
                    self._add(self.stats, "read")
                    pool.submit(partial(self._handle, c7_id, self._aware(times.get(c7_id)), rows.get(c7_id), True))

    def _oldest_pending(self) -> datetime | None:
        """CREATE_TIME of the oldest row still carrying the PENDING marker (None: there is none)."""
        t = self.tracking.table
        with self.tracking.engine.connect() as conn:
            value: datetime | None = conn.execute(
                select(func.min(t.c.CREATE_TIME)).where(
                    and_(t.c["TYPE"] == RT.name, t.c.C8_KEY.is_(None), t.c.SKIP_REASON == PENDING))
            ).scalar()
        return value

    def _aware(self, ts: datetime | None) -> datetime | None:
        from .convert.common import to_c8_date
        from .variables.model import parse_zone

        return to_c8_date(ts, parse_zone(self.config.extras.time_zone))

    def _rows(self, conn: Any, ids: list[str]) -> dict[str, _Row]:
        t = self.tracking.table
        out: dict[str, _Row] = {}
        for i in range(0, len(ids), 500):
            for c7, key, reason in conn.execute(
                t.select().with_only_columns(t.c.C7_ID, t.c.C8_KEY, t.c.SKIP_REASON)
                .where(and_(t.c["TYPE"] == RT.name, t.c.C7_ID.in_(ids[i:i + 500])))
            ):
                out[str(c7)] = _Row(key, reason)
        return out

    # ------------------------------------------------------------------ one root instance
    def _handle(self, c7_id: str, create_time: datetime | None, row: _Row | None, retry: bool,
                turn: Turn | None = None) -> None:
        """One root instance. `turn` (concurrent MIGRATE runs) orders the insert of its tracking row."""
        if row is not None and row.c8_key is not None and not retry:
            self._add(self.stats, "already")
        hierarchy = self.reader.hierarchy(c7_id)
        root = next((p for p in hierarchy if p.id == c7_id), None)
        state = (row.c8_key, row.reason) if row is not None else None
        if instance_action(retry, state, None) == "resume" and root is not None:
            found = self._find_existing(root)
            if found is not None:
                log.info("Recorded C8 process instance [%s] created for C7 ID [%s] by an interrupted run", found, c7_id)
                self._set_key(c7_id, found)
                self._add(self.stats, "migrated")
                return
        vlog.debug("Validate C7 process instance by ID: %s", c7_id)
        reason = self.validate(c7_id, hierarchy)
        if reason is not None:
            log.warning("Skipping process instance with C7 ID [%s]: %s", c7_id, reason)
        action = instance_action(retry, state, reason)
        if action == "refresh":
            # known (migrated or skipped): no C8 call; only the reason is refreshed (official).
            if self.tracking.save_skip_reason and row is not None and row.c8_key is None:
                self._update_reason(c7_id, reason)
            return
        if action == "resume" and reason is not None:
            action = "skip-update"
        if action in ("skip-insert", "skip-update"):
            assert reason is not None
            self._add(self.stats, "skipped")
            self._record_skip(c7_id, create_time, reason, exists=action == "skip-update", turn=turn)
            return
        log.debug("Starting new C8 process instance with C7 ID: [%s]", c7_id)
        if root is None:
            log.warning("Process instance with C7 ID %s doesn't exist anymore. "
                        "Has it been completed or cancelled in the meantime?", c7_id)
            return
        try:
            variables = self._process_variables(root)
        except SkipError as exc:
            log.info("Skipping process instance with C7 ID [%s]: %s Enable DEBUG level to print the stacktrace.",
                     c7_id, exc.reason)
            self._add(self.stats, "skipped")
            self._record_skip(c7_id, create_time, exc.reason, exists=row is not None, turn=turn)
            return
        if row is None:
            self._insert_pending(c7_id, create_time, turn)
        else:
            self._mark_pending(c7_id)
        try:
            key = self.client.create_process_instance(create_instance_body(root, variables))
        except RestError as exc:
            log.error("Creating process instance failed for bpmnProcessId: %s", root.process_definition_key)
            raise TargetError(f"Creating process instance failed for bpmnProcessId: "
                              f"{root.process_definition_key}: {exc}") from exc
        self._set_key(c7_id, key)
        log.debug("Started C8 process instance with processInstanceKey: [%s]", key)
        self._add(self.stats, "migrated")

    def validate(self, root_id: str, hierarchy: list[C7Instance]) -> str | None:
        called: dict[str, str] = {}

        def nodes(pi: C7Instance) -> list[FlowNode]:
            vlog.debug("Collecting active descendant activity instances for C7 ID [%s]", pi.id)
            got = active_flow_nodes(pi, self.reader.model(pi.process_definition_id), called)
            vlog.debug("Found %d active activity instances to validate", len(got))
            return got

        return validate_hierarchy(
            root_id, hierarchy, nodes,
            lambda pi: self.reader.model(pi.process_definition_id),
            self._c8_definition,
            tenant_ids=self.tenant_ids, validation_type=self.validation_type,
        )

    def _c8_definition(self, pi: C7Instance) -> C8Definition | None:
        with self._defs_lock:  # threads needing the same definition wait for one lookup
            return self._c8_definition_locked(pi)

    def _c8_definition_locked(self, pi: C7Instance) -> C8Definition | None:
        k = (pi.process_definition_key, pi.tenant)
        if k in self._c8_defs:
            return self._c8_defs[k]
        try:
            item = self.client.search_first("process-definitions", definition_search_body(pi),
                                            what=f"processDefinitionId {pi.process_definition_key}")
            if item is None:
                self._c8_defs[k] = None
                return None
            key = str(item["processDefinitionKey"])
            xml = self.client.process_definition_xml(key)
        except RestError as exc:
            raise TargetError(f"Process definition search failed for processDefinitionId: "
                              f"{pi.process_definition_key}: {exc}") from exc
        d = C8Definition(str(item["processDefinitionId"]), int(item.get("version") or 0), key,
                         item.get("tenantId"), parse_bpmn(xml))
        self._c8_defs[k] = d
        return d

    def _process_variables(self, root: C7Instance) -> dict[str, Any]:
        scoped = self.reader.variables(root)
        # every variable is converted (a bad local one skips the instance, like the official tool)
        for scope, vs in scoped.by_scope.items():
            if scope != root.id:
                convert_variables(vs, self.converter)
        values = convert_variables(scoped.process_level(), self.converter)
        return self._resolve_documents(values, skip=True)

    def _resolve_documents(self, values: Mapping[str, Any], skip: bool) -> dict[str, Any]:
        out = dict(values)
        for name, v in values.items():
            if isinstance(v, DocumentUpload):
                try:
                    ref = self.client.upload_document(v.file_name, v.content, v.content_type, v.metadata(),
                                                      what=f"variable '{name}'")
                except RestError as exc:
                    if skip:
                        raise SkipError(NO_DOCUMENT_STORE.format(t=v.c7_type)) from exc
                    raise
                out[name] = self.converter.runtime_from_document(v, ref).value
        return out

    def _find_existing(self, root: C7Instance) -> str | None:
        try:
            return pick_root_instance(self.client.search_items("process-instances", legacy_instance_search_body(root)))
        except RestError as exc:
            raise TargetError(f"Cannot check Camunda 8 for an instance of C7 ID {root.id}: {exc}") from exc

    # ------------------------------------------------------------------ tracking writes
    def _record_skip(self, c7_id: str, create_time: datetime | None, reason: str, exists: bool,
                     turn: Turn | None = None) -> None:
        if exists:
            with self.tracking.engine.begin() as conn:
                self.tracking.update_retried(conn, [TrackRow(c7_id, RT, None, create_time, reason)])
            return
        with _in_order(turn), self.tracking.engine.begin() as conn:
            self.tracking.insert(conn, [TrackRow(c7_id, RT, None, create_time, reason)])

    def _update_reason(self, c7_id: str, reason: str | None) -> None:
        t = self.tracking.table
        with self.tracking.engine.begin() as conn:
            conn.execute(update(t).where(and_(t.c.C7_ID == c7_id, t.c["TYPE"] == RT.name))
                         .values(SKIP_REASON=(reason[:1024] if reason else None)))

    def _insert_pending(self, c7_id: str, create_time: datetime | None, turn: Turn | None = None) -> None:
        with _in_order(turn), self.tracking.engine.begin() as conn:
            conn.execute(self.tracking.table.insert(), [{
                "C7_ID": c7_id, "C8_KEY": None, "TYPE": RT.name, "CREATE_TIME": create_time,
                "SKIP_REASON": PENDING, "PARTITION_ID": None,
            }])

    def _mark_pending(self, c7_id: str) -> None:
        t = self.tracking.table
        with self.tracking.engine.begin() as conn:
            conn.execute(update(t).where(and_(t.c.C7_ID == c7_id, t.c["TYPE"] == RT.name, t.c.C8_KEY.is_(None)))
                         .values(SKIP_REASON=PENDING))

    def _set_key(self, c7_id: str, key: str) -> None:
        t = self.tracking.table
        with self.tracking.engine.begin() as conn:
            conn.execute(update(t).where(and_(t.c.C7_ID == c7_id, t.c["TYPE"] == RT.name))
                         .values(C8_KEY=key, SKIP_REASON=None))

    # ------------------------------------------------------------------ job phase
    def _job_phase(self) -> None:
        log.info("Activating migrator jobs")
        body = job_activation_body(self.config.job_type, max(self.config.page_size, 1), self.tenant_ids)
        jobs_stats = self.summary.stats("Migrator jobs")
        # the jobs of one activation batch are independent (one parked instance each): with N > 1
        # they are modified in parallel; the next activation waits for the whole batch
        with InstancePool(self.concurrency, name="c7to8-jobs") as pool:
            while True:
                try:
                    jobs = self.client.activate_jobs(body)
                except RestError as exc:
                    raise TargetError(f"Failed to activate jobs for type: {self.config.job_type}: {exc}") from exc
                log.debug("Migrator jobs found: %d", len(jobs))
                if not jobs:
                    return
                for job in jobs:
                    self._add(jobs_stats, "read")
                    pool.submit(partial(self._activate_counted, job, jobs_stats))
                pool.drain()

    def _activate_counted(self, job: Mapping[str, Any], stats: TypeStats, turn: Turn | None = None) -> None:
        if self._activate(job):
            self._add(stats, "migrated")

    def _activate(self, job: Mapping[str, Any]) -> bool:
        pkey = str(job.get("processInstanceKey"))
        c7_id = legacy_id_of_job(job)
        if c7_id is None:
            log.info("Process instance with key [%s] was externally started, skipping migrator job activation.", pkey)
            return False
        pi = self.reader.instance(c7_id)
        if pi is None:
            # official: NullPointerException, run abort. c7to8 leaves the job locked and goes on.
            log.warning("C7 process instance %s of C8 instance [%s] has ended; its migrator job is left alone",
                        c7_id, pkey)
            return False
        model = self.reader.model(pi.process_definition_id)
        log.debug("Collecting active descendant activity instances for activityId [%s]", pi.process_definition_id)
        nodes = active_flow_nodes(pi, model, self.reader.called_instances(pi.executions))
        log.debug("Found %d active activity instances to activate", len(nodes))
        scoped = self.reader.variables(pi)
        try:
            locals_ = {n.instance_id: self._resolve_documents(convert_variables(scoped.local(n), self.converter),
                                                              skip=False) for n in nodes}
        except (SkipError, RestError) as exc:
            raise TargetError(f"Failed to convert local variables of C7 instance {c7_id}: {exc}") from exc
        plan = activation_plan(nodes, locals_)
        try:
            self.client.modify_process_instance(pkey, modification_body(str(job["elementInstanceKey"]), plan))
        except RestError as exc:
            log.error("Failed to modify process instance with activation for key: %s", pkey)
            raise TargetError(f"Failed to modify process instance with activation for key: {pkey}: {exc}") from exc
        return True

    def close(self) -> None:
        self.client.close()


def _in_order(turn: Turn | None) -> AbstractContextManager[object]:
    """The block runs after every earlier instance passed its tracking insert (concurrent MIGRATE)."""
    return turn if turn is not None else nullcontext()


def _naive(ts: datetime | None, zone: str) -> datetime | None:
    """Tracking CREATE_TIME (aware) -> the naive C7 clock used in ACT_HI_PROCINST."""
    if ts is None or ts.tzinfo is None:
        return ts
    from .variables.model import parse_zone

    return ts.astimezone(parse_zone(zone)).replace(tzinfo=None)
