"""History shards as tasks on a Dask distributed cluster (``--dask ADDRESS``, ``c7to8.distributed.*``).

The same sharding as ``--workers N``, on machines other than this one:

1. This process (``HistoryMigrator.run``) connects to the scheduler, migrates the definition types
   itself and computes every process-bound type's plan once (``definitions_then_plans``).
2. For each type in the official order it submits one task per shard ``(i, n)`` and waits for all
   of them before the next type starts: that wait is the per-type barrier of ``--workers``.
3. A task (``shard_task``, on a Dask worker) opens its own ``App`` and
   ``HistoryMigrator(shard=(i, n))``, migrates its shard of the type and returns the statistics,
   which are merged into this process's summary (``merge_stats``). Errors come back as text, so
   every error reaches this process whatever its class.
4. The retry loop and the summary run afterwards in this process, unchanged.

Keys come from the Camunda 8 database's block-reserved counter (``KeyAllocator``), so tasks on
different machines never collide; C8 rows and tracking rows commit together per page, so a lost
task leaves whole pages and the rerun continues. See docs/performance.md.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .convert.common import HistoryType
from .errors import C7to8Error
from .history import HistoryError, HistoryMigrator, TypePlan
from .report import ProgressReporter, TypeStats

log = logging.getLogger("c7to8.history")

MISSING = "--dask needs the 'distributed' package: pip install 'c7to8[distributed]'"
LOCAL = re.compile(r"^local(?::(?P<n>\d+))?$")
#: how long to wait for the first worker of a remote scheduler
WORKER_WAIT_S = 60.0
RERUN = "Everything committed is kept; rerun to continue."


@dataclass(frozen=True)
class ShardResult:
    """What one task hands back: its statistics, or its error as text (always picklable)."""

    shard: int
    worker: str
    stats: dict[str, TypeStats] | None
    error: str | None = None
    exit_code: int = HistoryError.exit_code


def shard_task(config: Any, t: HistoryType, plan: TypePlan, shard: tuple[int, int], attempt: str) -> ShardResult:
    """One Dask task: migrate shard ``shard`` of type ``t`` with its own connections."""
    import distributed
    from sqlalchemy.exc import SQLAlchemyError

    from .app import App

    dask: Any = distributed  # untyped
    try:
        worker = str(dask.get_worker().address)
    except ValueError:  # run outside a worker (tests, debugging)
        worker = "(no worker)"
    else:
        # Dask runs a task again when its worker died. That attempt may have committed pages, so the
        # re-run must not trust a "nothing tracked yet" plan: it checks every page against the
        # tracking table instead (the event marks that an attempt started).
        started = dask.Event(attempt)
        if started.is_set():
            plan = TypePlan(plan.since, fresh=False)
        else:
            started.set()
    app = App(config, progress=False)
    m: HistoryMigrator | None = None
    try:
        m = HistoryMigrator(app, progress=False, shard=shard)
        with ProgressReporter(False) as progress:
            m.progress = progress
            m.migrate_type(t, plan)
        return ShardResult(shard[0], worker, dict(m.summary.types))
    except Exception as exc:  # noqa: BLE001 - handed back to the parent, which raises it
        err: C7to8Error
        if isinstance(exc, SQLAlchemyError):
            err = app.database_error(exc)
        elif isinstance(exc, C7to8Error):
            err = exc
        else:
            err = HistoryError(f"{type(exc).__name__}: {exc}")
        return ShardResult(shard[0], worker, None, str(err), err.exit_code)
    finally:
        if m is not None:
            m.close()
        app.close()


def run_distributed(m: HistoryMigrator, address: str, shards: int = 0) -> dict[HistoryType, TypePlan]:
    """Definitions here, then every process-bound type as ``shards`` Dask tasks (0: one per worker); the plans."""
    try:
        import distributed
    except ImportError as exc:
        raise HistoryError(MISSING) from exc
    with _client(distributed, address) as client:
        workers = _wait_for_workers(client, address)
        n = shards or workers
        rest, plans = m.definitions_then_plans()
        run_id = uuid.uuid4().hex[:12]
        log.info("Migrating process-bound history as %d Dask tasks per type on %d worker(s) (%s).",
                 n, workers, address)
        read = [0] * n
        for t in rest:
            plan = plans.get(t)
            if plan is None:
                continue
            for r in _run_type(distributed, client, m, t, plan, n, f"c7to8-{run_id}-{t.name}"):
                assert r.stats is not None
                m.merge_stats(r.stats)
                read[r.shard] += sum(s.read for s in r.stats.values())
    from rich.markup import escape

    m.summary.notes.append(escape(
        f"Dask ({address}): {n} shards per type on {workers} worker(s); "
        f"rows read per shard: {', '.join(f'{x:,}' for x in read)}"))
    return plans


def _run_type(distributed: Any, client: Any, m: HistoryMigrator, t: HistoryType, plan: TypePlan, n: int,
              key: str) -> list[ShardResult]:
    """Submit the n shards of type t, wait for all of them, return their results or raise the first error."""
    futures = {
        client.submit(shard_task, m.config, t, plan, (i, n), f"{key}-{i}-started", key=f"{key}-{i + 1}-of-{n}"): i
        for i in range(n)
    }
    results: list[ShardResult] = []
    errors: dict[int, HistoryError] = {}
    try:
        for fut in distributed.as_completed(list(futures)):
            i = futures[fut]
            where = f"history shard {i + 1} of {n} ({t.display})"
            try:
                r: ShardResult = fut.result()
            except Exception as exc:  # noqa: BLE001 - the task did not return: lost worker, bad install
                hint = (" Install c7to8 on every Dask worker machine." if isinstance(exc, ImportError) else "")
                errors[i] = HistoryError(f"{where} failed on the Dask cluster: {type(exc).__name__}: {exc}.{hint} "
                                         f"{RERUN}")
                continue
            if r.error is not None:
                tail = "" if "to continue" in r.error else f" {RERUN}"
                err = HistoryError(f"{where} failed on Dask worker {r.worker}: {r.error.rstrip('.')}.{tail}")
                err.exit_code = r.exit_code
                errors[i] = err
                continue
            log.info("%s done on %s.", where, r.worker)
            results.append(r)
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:  # interrupted here: do not start shards nobody waits for
            client.cancel(pending)
        for i in range(n):
            try:
                distributed.Event(f"{key}-{i}-started", client).clear()
            except Exception:  # noqa: BLE001 - only bookkeeping on the scheduler
                pass
    if errors:
        raise errors[min(errors)]
    return results


@contextmanager
def _client(distributed: Any, address: str) -> Iterator[Any]:
    """A client of the scheduler at ``address``; ``local[:N]`` starts a local cluster of N processes."""
    cluster = None
    local = LOCAL.match(address)
    if local:
        n = int(local["n"]) if local["n"] else (os.cpu_count() or 1)
        cluster = distributed.LocalCluster(n_workers=n, processes=True, threads_per_worker=1,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    else:
        try:
            client = distributed.Client(address)
        except OSError as exc:
            raise HistoryError(
                f"cannot reach the Dask scheduler at {address}: {exc}. Start it with `dask scheduler` "
                "(and workers with `dask worker ADDRESS`), or check --dask / c7to8.distributed.scheduler."
            ) from exc
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _wait_for_workers(client: Any, address: str) -> int:
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError as exc:
        raise HistoryError(
            f"no Dask worker joined the scheduler at {address} within {WORKER_WAIT_S:.0f} s. Start workers with "
            f"`dask worker {address}` on machines that have c7to8 installed and reach both databases."
        ) from exc
    return len(client.nthreads())
