"""The application: owns the engines and the tracking table; the CLI calls one method per mode."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from .config import Config
from .db import open_engine
from .errors import C7to8Error, ConfigError, SourceError, TargetError
from .store.tracking import HISTORY_TYPES, IDENTITY_TYPES, EntityType, Tracking

log = logging.getLogger("c7to8")

NO_C8_DATASOURCE = (
    "No C8 datasource configured. Configure 'camunda.migrator.c8.datasource' to allow history migration."
)


class App:
    def __init__(
        self, config: Config, progress: bool = True, workers: int | None = None, out: TextIO | None = None,
        dask: str | None = None,
    ) -> None:
        self.config = config
        self.progress = progress
        self.workers = workers or config.extras.workers
        # --dask / c7to8.distributed.scheduler: history shards run as tasks on this Dask scheduler
        self.dask: str | None = dask or config.extras.dask_scheduler
        self.dask_shards = config.extras.dask_shards  # 0: one shard per Dask worker
        self.out = out or sys.stdout
        self._c7: Engine | None = None
        self._c8: Engine | None = None
        self._tracking: Tracking | None = None
        self.identity_credentials: str | None = None  # --identity-credentials FILE (opt-in)
        # --runtime-concurrency / c7to8.runtime-concurrency: root instances handled at once (runtime)
        self.runtime_concurrency: int = config.extras.runtime_concurrency

    # ------------------------------------------------------------------ resources
    @property
    def c7(self) -> Engine:
        if self._c7 is None:
            if self.config.c7 is None:
                raise ConfigError("camunda.migrator.c7.data-source.jdbc-url", "is required")
            self._c7 = open_engine(self.config.c7, "c7", pool_size=self._pool_size())
        return self._c7

    @property
    def c8(self) -> Engine:
        if self._c8 is None:
            if self.config.c8 is None:
                raise ConfigError("camunda.migrator.c8.data-source", NO_C8_DATASOURCE)
            self._c8 = open_engine(self.config.c8, "c8", pool_size=self._pool_size())
        return self._c8

    def _pool_size(self) -> int:
        """Connections per engine: one per history worker, or one per runtime thread plus the
        selection cursor and the main thread's tracking read (max_overflow doubles it)."""
        runtime = self.runtime_concurrency + 2 if self.runtime_concurrency > 1 else 0
        return max(2, self.workers + 1, runtime)

    @property
    def migrator_engine(self) -> Engine:
        """The tracking table lives in C8 when a C8 data source is configured, else in C7."""
        return self.c8 if self.config.c8 is not None else self.c7

    @property
    def tracking(self) -> Tracking:
        if self._tracking is None:
            t = Tracking(self.migrator_engine, self.config.table_prefix, self.config.save_skip_reason)
            if t.ensure_schema():
                log.info("Created tracking table %s", t.table.name)
            self._tracking = t
        return self._tracking

    def close(self) -> None:
        for e in (self._c7, self._c8):
            if e is not None:
                e.dispose()

    # ------------------------------------------------------------------ modes
    def history(self, mode: str, entity_types: list[str]) -> int:
        if self.config.c8 is None:
            print(f"Error: {NO_C8_DATASOURCE}", file=sys.stderr)
            return 1
        if mode in ("LIST_SKIPPED", "LIST_MIGRATED"):
            types = [EntityType[n] for n in entity_types] if entity_types else list(HISTORY_TYPES)
            self.print_listing(types, skipped=mode == "LIST_SKIPPED")
            return 0
        from .history import HistoryMigrator

        log.info("Migrating history data...")
        migrator: HistoryMigrator | None = None
        try:
            migrator = HistoryMigrator(self, progress=self.progress)
            summary = migrator.run(retry_only=mode == "RETRY_SKIPPED")
        except SQLAlchemyError as exc:
            raise self.database_error(exc) from exc
        finally:
            if migrator is not None:
                migrator.close()
        summary.print(self.out)
        return 0

    def database_error(self, exc: SQLAlchemyError) -> C7to8Error:
        """Turn a lost or failing connection into an error that names the data source."""
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = detail[0][:300] if detail else type(exc).__name__
        for engine, ds, err in ((self._c8, self.config.c8, TargetError), (self._c7, self.config.c7, SourceError)):
            if engine is None or ds is None:
                continue
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except SQLAlchemyError:
                side = "Camunda 8 database" if err is TargetError else "Camunda 7 database"
                return err(
                    f"the {side} ({ds.key}, {ds.display_url()}) went away during the run: {reason}. "
                    "Everything committed before is kept; run the same command again to continue."
                )
        return TargetError(f"database error during the run: {reason}. Committed work is kept; rerun to continue.")

    def runtime(self, mode: str) -> int:
        if mode in ("LIST_SKIPPED", "LIST_MIGRATED"):
            self.print_listing([EntityType.RUNTIME_PROCESS_INSTANCE], skipped=mode == "LIST_SKIPPED")
            return 0
        from .runtime import RuntimeMigrator

        log.info("Migrating runtime data...")
        migrator = RuntimeMigrator(self)
        try:
            summary = migrator.run(retry_only=mode == "RETRY_SKIPPED")
        except SQLAlchemyError as exc:
            raise self.database_error(exc) from exc
        finally:
            migrator.close()
        summary.print(self.out)
        return 0

    def identity(self, mode: str) -> int:
        if mode in ("LIST_SKIPPED", "LIST_MIGRATED"):
            self.print_listing(list(IDENTITY_TYPES), skipped=mode == "LIST_SKIPPED")
            return 0
        from .identity import IdentityMigrator

        log.info("Migrating identity data...")
        migrator = IdentityMigrator(self, credentials_file=self.identity_credentials)
        try:
            summary = migrator.run(retry_only=mode == "RETRY_SKIPPED")
        except SQLAlchemyError as exc:
            raise self.database_error(exc) from exc
        finally:
            migrator.close()
        summary.print(self.out)
        return 0

    # ------------------------------------------------------------------ auto-deploy
    def deploy_resources(self) -> int:
        """Official step 3: deploy every regular, non-hidden file below `c8.deployment-dir`, in one call.

        Runs on every start and in every mode. No directory configured, or no files: no call.
        A configured directory that does not exist is an error. Returns the number of files deployed.
        """
        from pathlib import Path

        d = self.config.deployment_dir
        if not d:
            return 0
        root = Path(d)
        if not root.is_dir():
            raise ConfigError(
                "camunda.migrator.c8.deployment-dir",
                f"directory '{d}' does not exist. Error occurred: shutting down Data Migrator gracefully.",
            )
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        log.debug("Attempting deployment of files %s", [str(p) for p in files])
        if not files:
            log.debug("Successfully deployed all files")
            return 0
        from .c8.rest import C8Client

        try:
            with C8Client(self.config.client) as client:
                client.deploy([(p.name, p.read_bytes()) for p in files])
        except TargetError as exc:
            raise TargetError(f"Failed to deploy C8 resources: {exc}") from exc
        log.debug("Successfully deployed all files")
        return len(files)

    # ------------------------------------------------------------------ listing
    def print_listing(self, types: list[EntityType], skipped: bool) -> None:
        """Official list output: raw lines on stdout, ordered by C7 id."""
        tr = self.tracking
        w = self.out.write
        for t in types:
            n = tr.count(t, skipped=skipped)
            if skipped:
                if n == 0:
                    w(f"No entities of type [{t.display}] were skipped during previous migration\n")
                    continue
                w(f"Previously skipped [{t.display}s]:\n")
                for c7_id, _, _ in tr.iter_rows(t, skipped=True, page_size=max(self.config.page_size, 1000)):
                    w(f"{c7_id}\n")
            else:
                if n == 0:
                    w(f"No entities of type [{t.display}] were migrated\n")
                    continue
                if t in (EntityType.USER, EntityType.GROUP, EntityType.TENANT):
                    w(
                        f"[{t.display}s] keys are not stored as migration metadata, only showing Camunda 7 ids. "
                        f"Migrated [{t.display}s]:\n"
                    )
                    for c7_id, _, _ in tr.iter_rows(t, skipped=False):
                        w(f"{c7_id}\n")
                    continue
                w(f"Migration mappings for [{t.display}s]:\n")
                w("Camunda7-Id Camunda8-Key\n")
                for c7_id, key, _ in tr.iter_rows(t, skipped=False, page_size=max(self.config.page_size, 1000)):
                    w(f"{c7_id} {key}\n")
        self.out.flush()

    # ------------------------------------------------------------------ schema
    def drop_schema(self, force: bool) -> None:
        try:
            tr = self.tracking
        except Exception as exc:  # noqa: BLE001 - nothing to drop if we cannot reach it
            log.warning("Cannot drop the migration schema: %s", exc)
            return
        n = tr.count(skipped=True)
        log.info("[%d] entities were skipped during migration", n)
        if n == 0:
            log.info("Migration was completed without skipped entities, dropping migration schema")
        elif force:
            log.warning(
                "Some entities were skipped during migration but `--force` is enabled, dropping migration schema"
            )
        else:
            log.warning("Some entities were skipped during migration, enable `--force` to drop the migration schema")
            return
        tr.drop()
        self._tracking = None

    # ------------------------------------------------------------------ operator tools
    progress_file: str | None = None  # --progress-file (default: derived from the C8 data source)

    def publish_progress(self) -> None:
        """Let this run's progress reporter write the file the dashboard polls."""
        from .dashboard.progress import progress_path
        from .report import set_progress_file

        set_progress_file(progress_path(self.config, self.progress_file))

    def verify(self, modes: list[str], sample: int | None, as_json: bool, report: str | None) -> int:
        from .verify import run_verify

        return run_verify(self, modes, sample=sample, as_json=as_json, report=report)

    def preflight(self, modes: list[str], as_json: bool) -> int:
        from .preflight import run_preflight

        return run_preflight(self, modes, as_json=as_json)

    def dashboard(self, port: int | None, bind: str | None, token: str | None) -> int:
        from .dashboard.server import serve

        return serve(self, port=port, bind=bind, token=token)
