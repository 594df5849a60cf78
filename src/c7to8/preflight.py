"""`c7to8 --history --preflight` (and `--runtime` / `--identity`): what a run would find, without writing.

Checks, in order: the data sources are configured and reachable, the Camunda 7 schema (version,
tables), the Camunda 8 schema (tables, or auto-ddl), the partition source (configured count or the
REST topology), then counts what each entity type would migrate (Camunda 7 entities minus the ones
already tracked), runs the variable value converter over every ACT_HI_VARINST row to list the
values that cannot be converted, and estimates the duration from sampled throughputs (a page of
keyset reads per type, the conversion rate of the variable scan and a rolled-back batch insert).

Nothing is committed anywhere; the only write is that rolled-back probe insert. Exit code 1 when
something blocks a run (a data source cannot be reached, tables are missing, no partition source).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from .c7.source import SUPPORTED_MAX, C7Source, keyset_pages
from .c8.schema import TABLE_NAMES, c8_metadata, existing_c8_tables
from .c8.schema import table as c8_table
from .convert.common import MIGRATION_ORDER, HistoryType, Reason
from .dialects import for_engine
from .errors import C7to8Error, SkipError
from .store.tracking import EntityType, Tracking

if TYPE_CHECKING:
    from .app import App
    from .history import Handler

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "not checked"
EXAMPLES = 50
READ_SAMPLE = 1000
WRITE_PROBE = 1000
# C8 rows written per migrated entity (main row plus side rows such as legacyId variables and tags)
C8_ROWS_PER_ENTITY: dict[HistoryType, float] = {HistoryType.HISTORY_PROCESS_INSTANCE: 3.0,
                                                HistoryType.HISTORY_USER_TASK: 1.5,
                                                HistoryType.HISTORY_DECISION_INSTANCE: 4.0}


@dataclass
class Check:
    name: str
    status: str
    detail: str


@dataclass
class TypeCount:
    type: str
    display: str
    c7_rows: int | None  # None: the C7 table does not exist
    migrated: int = 0
    skipped: int = 0
    read_rows_per_s: float | None = None
    estimate_s: float | None = None

    @property
    def to_migrate(self) -> int:
        return max(0, (self.c7_rows or 0) - self.migrated - self.skipped)


@dataclass
class BadVariable:
    c7_id: str
    name: str
    type: str | None
    process_instance_id: str | None
    reason: str


@dataclass
class PreflightResult:
    checks: list[Check] = field(default_factory=list)
    counts: list[TypeCount] = field(default_factory=list)
    bad_variables: list[BadVariable] = field(default_factory=list)  # the first EXAMPLES
    bad_variable_count: int = 0
    bad_by_reason: dict[str, int] = field(default_factory=dict)
    variables_scanned: int = 0
    convert_rows_per_s: float | None = None
    write_rows_per_s: float | None = None
    estimate_s: float | None = None
    seconds: float = 0.0
    runtime_skips: list[tuple[str, str]] = field(default_factory=list)  # (C7 instance id, official reason)

    @property
    def ok(self) -> bool:
        return not any(c.status == FAIL for c in self.checks)

    def add(self, name: str, status: str, detail: str) -> Check:
        c = Check(name, status, detail)
        self.checks.append(c)
        return c

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "counts": [{**asdict(c), "to_migrate": c.to_migrate} for c in self.counts],
            "variables": {
                "scanned": self.variables_scanned,
                "cannot_convert": self.bad_variable_count,
                "by_reason": self.bad_by_reason,
                "examples": [asdict(v) for v in self.bad_variables],
                "convert_rows_per_s": self.convert_rows_per_s,
            },
            "write_rows_per_s": self.write_rows_per_s,
            "estimate_s": self.estimate_s,
            "runtime_skips": [{"c7_id": i, "reason": r} for i, r in self.runtime_skips],
            "seconds": round(self.seconds, 3),
        }

    def print(self, out: TextIO) -> None:
        from rich.console import Console
        from rich.table import Table

        console = Console(file=out, width=max(120, Console(file=out).width), highlight=False)
        t = Table(title="c7to8 preflight", title_justify="left")
        t.add_column("check")
        t.add_column("result")
        t.add_column("detail", overflow="fold")
        styles = {OK: "green", WARN: "yellow", FAIL: "bold red", SKIPPED: "dim"}
        for c in self.checks:
            t.add_row(c.name, c.status, c.detail, style=styles.get(c.status))
        console.print(t)
        if self.counts:
            ct = Table(title="what would be migrated", title_justify="left")
            for col in ("type", "C7 rows", "already migrated", "already skipped", "to migrate", "read rows/s",
                        "estimate"):
                ct.add_column(col, justify="left" if col == "type" else "right")
            for n in self.counts:
                ct.add_row(n.display, "-" if n.c7_rows is None else f"{n.c7_rows:,}", f"{n.migrated:,}",
                           f"{n.skipped:,}", f"{n.to_migrate:,}",
                           "-" if n.read_rows_per_s is None else f"{n.read_rows_per_s:,.0f}",
                           _duration(n.estimate_s))
            console.print(ct)
        if self.variables_scanned:
            console.print(f"Variables: {self.variables_scanned:,} scanned, {self.bad_variable_count:,} cannot be "
                          "converted" + (f" ({self.convert_rows_per_s:,.0f} conversions/s)"
                                         if self.convert_rows_per_s else ""), markup=False)
        if self.bad_by_reason:
            bt = Table(title="variables that cannot be converted", title_justify="left")
            bt.add_column("C7 id")
            bt.add_column("name")
            bt.add_column("type")
            bt.add_column("process instance")
            bt.add_column("reason", overflow="fold")
            for v in self.bad_variables:
                bt.add_row(v.c7_id, v.name, v.type or "", v.process_instance_id or "", v.reason)
            console.print(bt)
            if self.bad_variable_count > len(self.bad_variables):
                console.print(f"(first {len(self.bad_variables)} of {self.bad_variable_count:,}; --json lists the "
                              "counts by reason)", markup=False)
        if self.estimate_s is not None:
            console.print(f"Estimated duration: about {_duration(self.estimate_s)} (reads, conversion and writes "
                          "measured on samples; per-page lookups add to it)", markup=False)
        if self.ok:
            console.print("[bold green]Nothing blocks the run.[/]")
        else:
            console.print(f"[bold red]Blocked: {sum(1 for c in self.checks if c.status == FAIL)} check(s) failed.[/]")


def _duration(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


# ------------------------------------------------------------------------------------------ the checks


class Preflight:
    def __init__(self, app: App, modes: Sequence[str]) -> None:
        self.app = app
        self.config = app.config
        self.modes = list(modes)
        self.res = PreflightResult()
        self.c7: Engine | None = None
        self.c8: Engine | None = None
        self.source: C7Source | None = None
        self._rest: tuple[bool, str] | None = None

    def run(self) -> PreflightResult:
        started = time.monotonic()
        self.connect()
        if "--history" in self.modes:
            self.history()
        if "--runtime" in self.modes:
            self.runtime()
        if "--identity" in self.modes:
            self.identity()
        self.res.seconds = time.monotonic() - started
        return self.res

    # -------------------------------------------------------------- connections and schemas
    def connect(self) -> None:
        cfg, res = self.config, self.res
        if cfg.c7 is None:
            res.add("Camunda 7 database", FAIL, "camunda.migrator.c7.data-source.jdbc-url is not configured")
        else:
            try:
                self.c7 = self.app.c7
                res.add("Camunda 7 database", OK, f"connected to {cfg.c7.display_url()}")
            except C7to8Error as exc:
                res.add("Camunda 7 database", FAIL, str(exc))
        if self.c7 is not None and cfg.c7 is not None:
            try:
                self.source = C7Source(self.c7, prefix=cfg.c7.table_prefix, schema=cfg.c7.schema)
                info = self.source.schema_info()
                status = OK
                version = info.version
                if not version or not version[:1].isdigit():
                    version = self._schema_log_version() or version
                detail = f"schema version {version or 'unknown'} ({info.dialect})"
                level = self._property("historyLevel")
                if level is not None:
                    names = {"0": "none", "1": "activity", "2": "audit", "3": "full"}
                    detail += f", history level {names.get(level, level)}"
                    if level not in ("3",):
                        status = WARN
                        detail += " (not full: Camunda 7 did not record every history entity, so less is migrated)"
                if not version:
                    status, detail = WARN, detail + ": no schema version recorded; read as the newest"
                elif version[:1].isdigit() and info.version_tuple > SUPPORTED_MAX:
                    status = WARN
                    detail += f": newer than {SUPPORTED_MAX[0]}.{SUPPORTED_MAX[1]}, the newest version c7to8 was " \
                              "tested with"
                res.add("Camunda 7 schema", status, detail)
            except C7to8Error as exc:
                self.source = None
                res.add("Camunda 7 schema", FAIL, str(exc))
        needs_c8_db = "--history" in self.modes
        if cfg.c8 is None:
            if needs_c8_db:
                from .app import NO_C8_DATASOURCE

                res.add("Camunda 8 database", FAIL, NO_C8_DATASOURCE)
        else:
            try:
                self.c8 = self.app.c8
                res.add("Camunda 8 database", OK, f"connected to {cfg.c8.display_url()}")
            except C7to8Error as exc:
                res.add("Camunda 8 database", FAIL, str(exc))
        if self.c8 is not None and cfg.c8 is not None:
            with self.c8.connect() as conn:
                have = existing_c8_tables(conn, cfg.c8.table_prefix)
            missing = [n for n in TABLE_NAMES if n not in have]
            if not missing:
                res.add("Camunda 8 schema", OK, f"all {len(TABLE_NAMES)} tables present")
            elif cfg.c8.auto_ddl:
                res.add("Camunda 8 schema", OK, f"{len(missing)} of {len(TABLE_NAMES)} tables missing; auto-ddl "
                        "will create them")
            elif needs_c8_db:
                shown = ", ".join(cfg.c8.table_prefix + m for m in missing[:8]) + (", …" if len(missing) > 8 else "")
                res.add("Camunda 8 schema", FAIL, f"missing tables {shown}. Start Camunda 8 once against this "
                        "database so it creates its schema, or set camunda.migrator.c8.data-source.auto-ddl: true.")
            tr = Tracking(self.c8, cfg.table_prefix)
            if tr.exists():
                res.add("tracking table", OK, f"{tr.table.name}: {tr.count():,} rows from earlier runs")
            else:
                res.add("tracking table", OK, f"{tr.table.name} does not exist yet; the first run creates it")

    def _property(self, name: str) -> str | None:
        assert self.source is not None and self.c7 is not None
        t = self.source.table("ACT_GE_PROPERTY")
        with self.c7.connect() as conn:
            v = conn.execute(select(t.c.VALUE_).where(t.c.NAME_ == name)).scalar()
        return str(v) if v is not None else None

    def _schema_log_version(self) -> str | None:
        """Engines that create their schema themselves record 'fox' as schema.version; the log has the number."""
        assert self.source is not None and self.c7 is not None
        if not self.source.has("ACT_GE_SCHEMA_LOG"):
            return None
        t = self.source.table("ACT_GE_SCHEMA_LOG")
        with self.c7.connect() as conn:
            versions = [str(v) for (v,) in conn.execute(select(t.c.VERSION_)) if v]
        nums = [v for v in versions if v[:1].isdigit()]
        return max(nums, key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit())) if nums else None

    def rest(self) -> tuple[bool, str]:
        """Is the Camunda 8 REST API reachable? (answer, detail) — asked once."""
        if self._rest is None:
            from .c8.rest import C8Client

            addr = self.config.client.rest_address
            try:
                with C8Client(self.config.client, max_retries=0) as client:
                    ids = client.partition_ids()
                self._rest = (True, f"{addr}: {len(ids)} partition(s) {ids}")
            except C7to8Error as exc:
                self._rest = (False, str(exc)[:400])
            except Exception as exc:  # noqa: BLE001 - any client failure means "not reachable"
                self._rest = (False, f"{addr} cannot be reached: {type(exc).__name__}: {str(exc)[:300]}")
        return self._rest

    # -------------------------------------------------------------- history
    def history(self) -> None:
        cfg, res = self.config, self.res
        if cfg.history.partition_count is not None:
            res.add("partitions", OK, f"offline: camunda.migrator.history.partition-count = "
                    f"{cfg.history.partition_count}")
        else:
            up, detail = self.rest()
            res.add("partitions", OK if up else FAIL, detail if up else detail + ". Configure "
                    "camunda.migrator.history.partition-count for offline mode, or start Camunda 8.")
        if self.source is None or self.c7 is None:
            return
        from .verify import _handlers

        handlers = _handlers(self.source, self.c7)
        tracking = Tracking(self.c8, cfg.table_prefix) if self.c8 is not None else None
        tracked = tracking is not None and tracking.exists()
        for t in MIGRATION_ORDER:
            h = handlers[t]
            if not h.available():
                self.res.counts.append(TypeCount(t.value, t.display, None))
                continue
            tc = TypeCount(t.value, t.display, h.count() or 0)
            if tracked and tracking is not None:
                et = EntityType[t.value]
                tc.migrated = tracking.count(et, skipped=False)
                tc.skipped = tracking.count(et, skipped=True)
            tc.read_rows_per_s = self._read_rate(h) if tc.to_migrate else None
            self.res.counts.append(tc)
        missing = [c.display for c in self.res.counts if c.c7_rows is None]
        core = {"Historic Process Instance", "Historic Process Definition", "Historic Flow Node", "Historic Variable"}
        if core & set(missing):
            res.add("Camunda 7 history tables", FAIL, f"missing for {', '.join(sorted(core & set(missing)))}")
        elif missing:
            res.add("Camunda 7 history tables", OK, f"present (this version has none for {', '.join(missing)})")
        else:
            res.add("Camunda 7 history tables", OK, "present for all 13 entity types")
        self.scan_variables()
        self.write_probe()
        self.estimate()

    def _read_rate(self, h: Handler) -> float | None:
        cols, from_ = h.select_columns()
        t = h.table()
        q = select(*cols).select_from(from_).order_by(t.c.ID_).limit(READ_SAMPLE)
        if h.where is not None:
            q = q.where(h.where(t))
        assert self.c7 is not None
        started = time.monotonic()
        with self.c7.connect() as conn:
            n = len(conn.execute(q).fetchall())
        took = time.monotonic() - started
        return n / took if n and took > 0 else None

    def scan_variables(self) -> None:
        """Run the history value converter over ACT_HI_VARINST (keyset pages), collecting failures."""
        assert self.source is not None and self.c7 is not None
        if not self.source.has("ACT_HI_VARINST"):
            return
        from .c7.values import NO_DOCUMENT_STORE, HistoryValues, c7_variable
        from .variables import DocumentUpload, VariableEntity

        dialect = for_engine(self.c8) if self.c8 is not None else None
        if dialect is None:
            from .dialects import for_name

            dialect = for_name("postgresql")
        values = HistoryValues(self.config, dialect.properties)
        t = self.source.table("ACT_HI_VARINST")
        doc_reachable: bool | None = None
        started = time.monotonic()
        res = self.res
        for page in keyset_pages(self.c7, list(t.columns), t, t.c.CREATE_TIME_, t.c.ID_, 1000):
            data = values.fetch_bytes(self.c7, self.source, page)
            for row in page:
                res.variables_scanned += 1
                reason: str | None = None
                if row.get("CASE_INST_ID_") is not None:
                    reason = Reason.UNSUPPORTED_CMMN_VARIABLES
                elif row.get("BYTEARRAY_ID_") and str(row["BYTEARRAY_ID_"]) not in data:
                    reason = (f"Variable '{row.get('NAME_')}' references ACT_GE_BYTEARRAY row "
                              f"[{row.get('BYTEARRAY_ID_')}], which does not exist")
                else:
                    blob = data.get(str(row.get("BYTEARRAY_ID_"))) if row.get("BYTEARRAY_ID_") else None
                    try:
                        out = values.converter.to_history(
                            c7_variable(row, blob, VariableEntity.HISTORIC_VARIABLE, "NAME_"))
                        if isinstance(out, DocumentUpload):
                            if doc_reachable is None:
                                doc_reachable = self.rest()[0]
                            if not doc_reachable:
                                reason = NO_DOCUMENT_STORE.format(t=out.c7_type)
                    except SkipError as exc:
                        reason = exc.reason
                    except Exception as exc:  # noqa: BLE001 - report every failure, keep scanning
                        reason = f"{type(exc).__name__}: {exc}"
                if reason is not None:
                    res.bad_variable_count += 1
                    res.bad_by_reason[reason] = res.bad_by_reason.get(reason, 0) + 1
                    if len(res.bad_variables) < EXAMPLES:
                        res.bad_variables.append(BadVariable(
                            str(row.get("ID_")), str(row.get("NAME_")), row.get("VAR_TYPE_"),
                            row.get("PROC_INST_ID_"), reason))
        took = time.monotonic() - started
        if res.variables_scanned and took > 0:
            res.convert_rows_per_s = res.variables_scanned / took
        status = OK if res.bad_variable_count == 0 else WARN
        res.add("variable values", status, f"{res.variables_scanned:,} scanned, {res.bad_variable_count:,} cannot "
                "be converted (they will be skipped with the reason shown)")

    def write_probe(self) -> None:
        """Time one batch insert into the C8 VARIABLE table inside a transaction that is rolled back
        (into a session-private temporary copy of it while the Camunda 8 schema does not exist yet)."""
        cfg = self.config
        if self.c8 is None or cfg.c8 is None:
            return
        from sqlalchemy import MetaData, Table

        with self.c8.connect() as conn:
            have = "VARIABLE" in existing_c8_tables(conn, cfg.c8.table_prefix)
        tbl = c8_table(c8_metadata(cfg.c8.table_prefix, for_engine(self.c8).name), "VARIABLE")
        if not have:
            tbl = Table("c7to8_preflight_probe", MetaData(), *(c._copy() for c in tbl.columns),
                        prefixes=["TEMPORARY"])
        rows = [{"VAR_KEY": -(i + 1), "PROCESS_INSTANCE_KEY": -1, "VAR_NAME": "c7to8-preflight",
                 "TYPE": "STRING", "VAR_VALUE": '"preflight probe"', "TENANT_ID": "<default>",
                 "IS_PREVIEW": False, "PARTITION_ID": 1, "SCOPE_KEY": -1}
                for i in range(WRITE_PROBE)]
        with self.c8.connect() as conn:
            try:
                if not have:
                    tbl.create(conn)
                    conn.commit()
                trans = conn.begin()
                try:
                    started = time.monotonic()
                    conn.execute(tbl.insert(), rows)
                    took = time.monotonic() - started
                    self.res.write_rows_per_s = WRITE_PROBE / took if took > 0 else None
                finally:
                    trans.rollback()
                if not have:
                    tbl.drop(conn)
                    conn.commit()
            except SQLAlchemyError as exc:
                self.res.add("write probe", WARN, f"a rolled-back test insert failed: {str(exc).splitlines()[0]}")

    def estimate(self) -> None:
        res = self.res
        total = 0.0
        for c in res.counts:
            n = c.to_migrate
            if not n:
                c.estimate_s = 0.0 if c.c7_rows is not None else None
                continue
            s = n / c.read_rows_per_s if c.read_rows_per_s else 0.0
            if res.write_rows_per_s:
                s += n * C8_ROWS_PER_ENTITY.get(HistoryType(c.type), 1.0) * 2 / res.write_rows_per_s  # + tracking
            if c.type == HistoryType.HISTORY_VARIABLE.value and res.convert_rows_per_s:
                s += n / res.convert_rows_per_s
            c.estimate_s = s
            total += s
        res.estimate_s = total

    # -------------------------------------------------------------- runtime and identity
    def _count(self, table: str, where: Any = None, distinct: str | None = None) -> int | None:
        if self.source is None or not self.source.has(table):
            return None
        t = self.source.table(table)
        q = select(func.count(func.distinct(t.c[distinct])) if distinct else func.count()).select_from(t)
        if where is not None:
            q = q.where(where(t))
        assert self.c7 is not None
        with self.c7.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def _tracked(self, types: Sequence[EntityType]) -> Mapping[EntityType, tuple[int, int]]:
        if self.c8 is None and self.config.c8 is not None:
            return {}
        engine = self.c8 if self.c8 is not None else self.c7
        if engine is None:
            return {}
        tr = Tracking(engine, self.config.table_prefix)
        if not tr.exists():
            return {}
        return {t: (tr.count(t, skipped=False), tr.count(t, skipped=True)) for t in types}

    def runtime(self) -> None:
        n = self._count("ACT_RU_EXECUTION", where=lambda t: t.c.ID_ == t.c.PROC_INST_ID_)
        tracked = self._tracked([EntityType.RUNTIME_PROCESS_INSTANCE])
        m, s = tracked.get(EntityType.RUNTIME_PROCESS_INSTANCE, (0, 0))
        if n is not None:
            self.res.counts.append(TypeCount(EntityType.RUNTIME_PROCESS_INSTANCE.name,
                                             EntityType.RUNTIME_PROCESS_INSTANCE.display, n, m, s))
        up, detail = self.rest()
        self.res.add("Camunda 8 REST API (runtime)", OK if up else FAIL,
                     detail if up else detail + ". Runtime migration starts instances through it.")
        if self.config.deployment_dir:
            self.validate_runtime_locally(self.config.deployment_dir)
        elif not up:
            self.res.add("runtime: C8 process definitions and migrator listeners", SKIPPED,
                         "needs a Camunda 8 server: the deployed models, their start-event execution listeners "
                         f"(job type '{self.config.effective_validation_job_type}') and element ids are checked "
                         "when the run starts")

    def validate_runtime_locally(self, folder: str) -> None:
        """Every runtime validation, without writing, against the C8 models in `c8.deployment-dir`.

        The same rules `--runtime` applies (official messages), with the BPMN files that the run would
        deploy standing in for the Camunda 8 search: lists the instances that would be skipped.
        """
        from pathlib import Path

        from .c7.source import C7Source
        from .c8.bpmn import parse_bpmn
        from .runtime_state import C7Instance, FlowNode, RuntimeReader, active_flow_nodes
        from .runtime_validation import C8Definition, validate_hierarchy

        defs: dict[str, C8Definition] = {}
        root = Path(folder)
        files = sorted(p for p in root.rglob("*.bpmn") if not p.name.startswith(".")) if root.is_dir() else []
        for f in files:
            try:
                model = parse_bpmn(f.read_bytes())
            except Exception as exc:  # noqa: BLE001 - a broken file is a finding, not a crash
                self.res.add(f"runtime: C8 model {f.name}", FAIL, f"cannot be parsed: {exc}")
                continue
            for pid in model.process_ids:
                defs[pid] = C8Definition(pid, 1, f"file:{f.name}", None, model)
        assert self.config.c7 is not None
        reader = RuntimeReader(C7Source(self.app.c7, self.config.c7.table_prefix, self.config.c7.schema))
        tenant_ids = set(self.config.tenant_ids)
        vtype = self.config.effective_validation_job_type
        checked = 0
        skipped: list[tuple[str, str]] = []
        for page in reader.unfinished_roots(None, max(self.config.page_size, 500)):
            for cand in page:
                called: dict[str, str] = {}

                def nodes(pi: C7Instance, called: dict[str, str] = called) -> list[FlowNode]:
                    return active_flow_nodes(pi, reader.model(pi.process_definition_id), called)

                reason = validate_hierarchy(
                    cand.id, reader.hierarchy(cand.id), nodes,
                    lambda pi: reader.model(pi.process_definition_id),
                    lambda pi: defs.get(pi.process_definition_key),
                    tenant_ids=tenant_ids, validation_type=vtype,
                )
                checked += 1
                if reason:
                    skipped.append((cand.id, reason))
        self.res.runtime_skips = skipped
        status = OK if not skipped else WARN
        self.res.add(
            "runtime: validation against the C8 models in c8.deployment-dir", status,
            f"{checked} running root instances checked against {len(defs)} process(es) from {len(files)} file(s); "
            f"{len(skipped)} would be skipped"
            + "".join(f"\n  {pid}: {why}" for pid, why in skipped[:50])
            + (f"\n  ... {len(skipped) - 50} more" if len(skipped) > 50 else ""),
        )

    def identity(self) -> None:
        types = [(EntityType.USER, "ACT_ID_USER"), (EntityType.GROUP, "ACT_ID_GROUP"),
                 (EntityType.TENANT, "ACT_ID_TENANT"), (EntityType.AUTHORIZATION, "ACT_RU_AUTHORIZATION")]
        tracked = self._tracked([t for t, _ in types])
        for et, table in types:
            n = self._count(table)
            m, s = tracked.get(et, (0, 0))
            self.res.counts.append(TypeCount(et.name, et.display, n, m, s))
        up, detail = self.rest()
        self.res.add("Camunda 8 REST API (identity)", OK if up else FAIL,
                     detail if up else detail + ". Identity migration creates users, groups, tenants and "
                     "authorizations through it.")
        if not up:
            self.res.add("identity: existing Camunda 8 users, groups and tenants", SKIPPED,
                         "needs a Camunda 8 server (conflicts are reported per entity during the run)")


def preflight(app: App, modes: Sequence[str]) -> PreflightResult:
    return Preflight(app, modes).run()


def run_preflight(app: App, modes: Sequence[str], as_json: bool = False) -> int:
    try:
        res = preflight(app, modes)
    except SQLAlchemyError as exc:
        raise app.database_error(exc) from exc
    if as_json:
        app.out.write(json.dumps(res.to_dict(), indent=2, default=str) + "\n")
    else:
        res.print(app.out)
    app.out.flush()
    return 0 if res.ok else 1


__all__ = ["Check", "Preflight", "PreflightResult", "preflight", "run_preflight"]
