"""End-to-end history benchmark: ``python -m bench.run --instances N``.

1. C7 data: the real Camunda 7.24 engine (harness scenario ``bench``) builds a base data set of
   ``--base`` root instances (cached template database of ``tests.support.harness``); it is cloned in
   SQL to N root instances (``bench.scale``) and kept as the template database ``c7bench_<key>_<N>``.
2. ``c7to8 --history`` (the real CLI, a subprocess) migrates a fresh copy into an empty C8 database.
   Wall time, peak RSS (``wait4`` of the child, plus a /proc sampler summing the whole process tree)
   and the CLI's own per-type summary are recorded.
3. The physical limit: PostgreSQL loads the very same final C8 rows and tracking rows into empty
   ``LIKE ... INCLUDING ALL`` copies of the tables (``INSERT INTO copy SELECT * FROM table``), timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import harness  # noqa: E402

from bench.scale import scale  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"


# ----------------------------------------------------------------------------- databases


def admin_url(arg: str | None) -> URL:
    if arg:
        return make_url(arg)
    env = os.environ.get("C7TO8_PG_ADMIN_URL")
    if env:
        return make_url(env)
    from tests.support.databases import admin_url as testbed_admin

    return testbed_admin("postgresql")


def _admin(admin: URL) -> Any:
    return create_engine(admin, isolation_level="AUTOCOMMIT")


def db_exists(admin: URL, name: str) -> bool:
    eng = _admin(admin)
    try:
        with eng.connect() as c:
            return c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
    finally:
        eng.dispose()


def run_sql(admin: URL, sql: str) -> None:
    eng = _admin(admin)
    try:
        with eng.connect() as c:
            c.execute(text(sql))
    finally:
        eng.dispose()


def c7_template(admin: URL, instances: int, base: int, log: Any) -> tuple[str, dict[str, Any]]:
    """The cached C7 template database holding N root instances of the bench mix."""
    key = harness.dataset_key("postgresql", scenarios="bench", instances=base)[:10]
    name = f"c7bench_{key}_{instances}"
    meta_path = harness.cache_dir() / "datasets" / f"{name}.json"
    if db_exists(admin, name) and meta_path.exists():
        log(f"C7 template {name} (cached)")
        return name, json.loads(meta_path.read_text())
    building = f"{name}_b"
    run_sql(admin, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    if db_exists(admin, name):  # left by an earlier cache: a template must be unmarked before it can go
        run_sql(admin, f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
    run_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    t0 = time.monotonic()
    log(f"building the base data set with the Camunda 7 engine ({base} instances; cached after the first time)")
    harness.postgres_dataset(admin, building, scenarios="bench", instances=base)
    t1 = time.monotonic()
    log(f"cloning to {instances:,} root instances in SQL")
    eng = create_engine(admin.set(database=building))
    try:
        with eng.begin() as conn:
            res = scale(conn, instances)
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        eng.dispose()
    run_sql(admin, f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    run_sql(admin, f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true')
    meta = {"base_roots": res.base_roots, "copies": res.copies, "partial": res.partial, "c7_rows": res.rows,
            "engine_seconds": round(t1 - t0, 1), "clone_seconds": round(time.monotonic() - t1, 1)}
    meta_path.write_text(json.dumps(meta, indent=1))
    log(f"C7 template {name}: {sum(res.rows.values()):,} rows ({meta['clone_seconds']} s to clone)")
    return name, meta


# ----------------------------------------------------------------------------- running the CLI


@dataclass
class ChildStats:
    wall: float
    returncode: int
    maxrss_kb: int  # wait4 ru_maxrss of the child (max over it and its waited-for children)
    tree_peak_kb: int  # /proc sampler: peak of the summed RSS of the child and its descendants
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # wait4 user + system time of the child and its waited-for children (workers)
    machine_cpu_seconds: float = 0.0  # busy CPU time of the whole machine meanwhile (/proc/stat)


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot (/proc/stat's cpu line: user, nice, system,
    irq, softirq; not idle, iowait, or steal, the time the hypervisor gave to others).

    Differences of it measure the work done, whichever process did it: on this otherwise idle
    machine, PostgreSQL's and c7to8's. Steadier than wall time on a VM whose speed varies."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    busy = sum(fields[:7]) - fields[3] - fields[4]  # user nice system idle iowait irq softirq (not steal)
    return busy / os.sysconf("SC_CLK_TCK")


def _tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            with open(f"/proc/{d}/statm") as f:
                pages = int(f.read().split()[1])
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
        rss[int(d)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, ()))
    return total


def run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> ChildStats:
    out_path, err_path = cwd / "cli.stdout", cwd / "cli.stderr"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t0, busy0 = time.monotonic(), machine_busy_seconds()
        p = subprocess.Popen(args, cwd=str(cwd), env=env, stdout=out, stderr=err)
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_rss_kb(p.pid))
                stop.wait(0.1)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall, busy = time.monotonic() - t0, machine_busy_seconds() - busy0
        stop.set()
        th.join()
        p.returncode = os.waitstatus_to_exitcode(status)
    return ChildStats(wall, p.returncode, int(ru.ru_maxrss), peak, out_path.read_text(), err_path.read_text(),
                      ru.ru_utime + ru.ru_stime, busy)


SUMMARY_LINE = re.compile(r"^\W*(Historic [A-Za-z ]+?|total)\s*[│|┃]\s*(.+?)\s*[│|┃]?\s*$")


def parse_summary(stdout: str) -> dict[str, dict[str, float]]:
    """The CLI's summary table: type -> read, migrated, skipped, failed, already, c8_rows, seconds, rate."""
    names = ("read", "migrated", "skipped", "failed", "already", "c8_rows", "seconds", "rate")
    out: dict[str, dict[str, float]] = {}
    for line in stdout.splitlines():
        m = SUMMARY_LINE.match(line)
        if not m:
            continue
        cells = [c.strip().replace(",", "") for c in re.split(r"[│|┃]", m.group(2))]
        try:
            values = [float(c) for c in cells[: len(names)]]
        except ValueError:
            continue
        if len(values) == len(names):
            out[m.group(1).strip()] = dict(zip(names, values, strict=True))
    return out


# ----------------------------------------------------------------------------- the physical limit


def _loaded_tables(c: Any) -> list[str]:
    """The tables of the C8 database the run wrote rows into (not the bench's own copies)."""
    return [str(r[0]) for r in c.execute(text(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND n_live_tup > 0"
        " AND relname NOT LIKE 'bench\\_%' ORDER BY relname"))]


def _empty_copy(c: Any, table: str, prefix: str) -> str:
    """A new empty copy of `table` with its indexes (LIKE ... INCLUDING ALL); its name."""
    copy = f"{prefix}{table}"[:63]
    c.execute(text(f'DROP TABLE IF EXISTS "{copy}"'))
    c.execute(text(f'CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING ALL)'))
    return copy


def wal_position(admin: URL) -> int:
    """The server's current WAL write position, in bytes (the whole cluster: C7, C8 and anything else)."""
    eng = _admin(admin)
    try:
        with eng.connect() as c:
            return int(c.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")).scalar() or 0)
    finally:
        eng.dispose()


def physical_limit(c8_url: URL) -> tuple[float, dict[str, tuple[int, float]], float]:
    """Seconds PostgreSQL needs to load the final C8 and tracking rows into empty indexed copies; the
    per-table figures; the machine's busy CPU seconds meanwhile."""
    eng = create_engine(c8_url)
    per: dict[str, tuple[int, float]] = {}
    cpu = 0.0
    try:
        with eng.connect() as c:
            counts = {t: int(c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0) for t in _loaded_tables(c)}
        for t, n in counts.items():
            if n == 0:
                continue
            with eng.begin() as c:
                copy = _empty_copy(c, t, "bench_copy_")
            t0, busy0 = time.monotonic(), machine_busy_seconds()
            with eng.begin() as c:
                c.execute(text(f'INSERT INTO "{copy}" SELECT * FROM "{t}"'))
            per[t] = (n, time.monotonic() - t0)
            cpu += machine_busy_seconds() - busy0
            with eng.begin() as c:
                c.execute(text(f'DROP TABLE "{copy}"'))
    finally:
        eng.dispose()
    return sum(s for _, s in per.values()), per, cpu


def physical_limit_split(c8_url: URL, connections: int) -> tuple[float, float]:
    """The same load split over `connections` concurrent connections (table by table, each connection
    taking the heap pages whose number modulo `connections` is its own): wall and busy CPU seconds.

    Not the target's reference (that is one connection), but the machine's own answer to "how much
    do concurrent writers of the same tables gain here".
    """
    eng = create_engine(c8_url, pool_size=connections + 1)
    try:
        with eng.begin() as c:
            copies = {t: _empty_copy(c, t, "bench_split_") for t in _loaded_tables(c)}

        def load(k: int) -> None:
            with eng.begin() as c:
                for t, copy in copies.items():
                    c.execute(text(f'INSERT INTO "{copy}" SELECT * FROM "{t}"'
                                   f" WHERE ((ctid::text::point)[0])::bigint % {connections} = {k}"))

        threads = [threading.Thread(target=load, args=(k,)) for k in range(connections)]
        t0, busy0 = time.monotonic(), machine_busy_seconds()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall, cpu = time.monotonic() - t0, machine_busy_seconds() - busy0
        with eng.begin() as c:
            for copy in copies.values():
                c.execute(text(f'DROP TABLE "{copy}"'))
    finally:
        eng.dispose()
    return wall, cpu


# ----------------------------------------------------------------------------- main


@dataclass
class Result:
    instances: int
    workers: int
    batch_size: int | None
    c7_template: str
    c7_rows: dict[str, int]
    process_instances: int
    wall_seconds: float
    returncode: int
    peak_rss_mb: float
    tree_peak_rss_mb: float
    c8_rows_total: int
    tracking_rows: int
    db_load_seconds: float
    ratio_to_db_load: float
    instances_per_s: float
    process_instances_per_s: float
    c7_rows_per_s: float
    c8_rows_per_s: float
    per_type: dict[str, dict[str, float]] = field(default_factory=dict)
    #: busy CPU seconds of the machine during the CLI run (PostgreSQL + c7to8), of which the CLI's own
    #: processes; the machine's during the plain load
    cpu_seconds: float = 0.0
    cli_cpu_seconds: float = 0.0
    db_load_cpu_seconds: float = 0.0
    db_load_per_table: dict[str, tuple[int, float]] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    dask: str | None = None  # --dask: the scheduler address, or local:N
    #: --split-load N: the plain load over N concurrent connections (wall, busy CPU seconds)
    split_load: dict[str, float] = field(default_factory=dict)
    #: WAL the server wrote during the CLI run, and during the plain load (MB)
    wal_mb: float = 0.0
    db_load_wal_mb: float = 0.0


def machine(admin: URL) -> dict[str, Any]:
    eng = _admin(admin)
    try:
        with eng.connect() as c:
            pg = str(c.execute(text("SHOW server_version")).scalar())
    finally:
        eng.dispose()
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem_kb / 1024 / 1024, 1), "postgresql": pg,
            "python": platform.python_version(), "kernel": platform.release()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--instances", "-n", type=int, default=10_000, help="root process instances (default 10000)")
    ap.add_argument("--base", type=int, default=500, help="instances run through the real engine (default 500)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--dask", default=None, metavar="local:N|ADDRESS",
                    help="run the history shards on Dask: local:N starts a local cluster of N worker processes "
                         "inside the CLI, tcp://HOST:PORT uses a running scheduler (passed on as c7to8 --dask)")
    ap.add_argument("--batch-size", type=int, default=None, help="c7to8.batch-size (default: c7to8's default)")
    ap.add_argument("--row-by-row", action="store_true",
                    help="c7to8.set-based: false (every row converted in Python; for comparison)")
    ap.add_argument("--admin-url", default=None, help="PostgreSQL superuser URL (default: the test bed)")
    ap.add_argument("--profile", choices=("pyinstrument", "py-spy"), default=None,
                    help="profile the CLI run (writes bench/results/profile-N.*)")
    ap.add_argument("--split-load", type=int, default=0, metavar="N",
                    help="also time the plain load over N concurrent connections (what N writers gain here)")
    ap.add_argument("--keep", action="store_true", help="keep the C7 and C8 databases of this run")
    ap.add_argument("--json", type=Path, default=None, help="also write the result as JSON to this file")
    ns = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    admin = admin_url(ns.admin_url)
    base = min(ns.base, ns.instances)
    template, meta = c7_template(admin, ns.instances, base, log)
    tag = f"{os.getpid()}"
    c7_db, c8_db = f"bench_c7_{tag}", f"bench_c8_{tag}"
    run_sql(admin, f'CREATE DATABASE "{c7_db}" TEMPLATE "{template}"')
    run_sql(admin, f'CREATE DATABASE "{c8_db}"')
    c7_url, c8_url = admin.set(database=c7_db), admin.set(database=c8_db)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    how = f"w{ns.workers}" if not ns.dask else "dask-" + re.sub(r"[^A-Za-z0-9]+", "_", ns.dask)
    work = RESULTS_DIR / f"run-{ns.instances}-{how}{'-row-by-row' if ns.row_by_row else ''}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        cfg = {
            "camunda.migrator.c7.data-source.jdbc-url": c7_url.render_as_string(hide_password=False),
            "camunda.migrator.c8.data-source.jdbc-url": c8_url.render_as_string(hide_password=False),
            "camunda.migrator.c8.data-source.auto-ddl": True,
            "camunda.migrator.history.partition-count": 1,
            "logging.level.root": "WARN",
        }
        if ns.batch_size:
            cfg["c7to8.batch-size"] = ns.batch_size
        if ns.row_by_row:
            cfg["c7to8.set-based"] = False
        cfg_path = work / "application.yml"
        cfg_path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in cfg.items()))
        cli = ["-m", "c7to8.cli", "--history", "--config", str(cfg_path), "--no-progress"]
        if ns.workers > 1:
            cli += ["--workers", str(ns.workers)]
        if ns.dask:
            cli += ["--dask", ns.dask]
        if ns.profile == "pyinstrument":
            args = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o",
                    str(work / f"profile-{ns.instances}.txt"), *cli]
        elif ns.profile == "py-spy":
            args = ["py-spy", "record", "--subprocesses", "-r", "50", "-f", "speedscope", "-o",
                    str(work / f"profile-{ns.instances}.speedscope.json"), "--", sys.executable, *cli]
        else:
            args = [sys.executable, *cli]
        env = dict(os.environ, COLUMNS="200", TERM="dumb", NO_COLOR="1")
        log(f"running c7to8 --history ({ns.instances:,} root instances, workers={ns.workers}, dask={ns.dask})")
        wal0 = wal_position(admin)
        st = run_cli(args, work, env)
        wal_mb = (wal_position(admin) - wal0) / 2**20
        if st.returncode != 0:
            log(f"c7to8 exited with {st.returncode}:\n{st.stderr[-3000:]}\n{st.stdout[-3000:]}")
            raise SystemExit(f"[bench] the migration failed (exit {st.returncode}); no figures recorded")
        per_type = parse_summary(st.stdout)
        eng = create_engine(c8_url)
        with eng.connect() as c:
            tables = [str(r[0]) for r in c.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))]
            counts = {t: int(c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0) for t in tables}
        eng.dispose()
        tracking = counts.get("migration_mapping", 0)
        c8_total = sum(n for t, n in counts.items() if t not in ("migration_mapping", "c7to8_key_sequence"))
        log("timing PostgreSQL's own load of the same rows")
        wal0 = wal_position(admin)
        db_load, per_table, db_load_cpu = physical_limit(c8_url)
        db_load_wal_mb = (wal_position(admin) - wal0) / 2**20
        split: dict[str, float] = {}
        if ns.split_load > 1:
            log(f"timing the same load over {ns.split_load} connections")
            split_wall, split_cpu = physical_limit_split(c8_url, ns.split_load)
            split = {"connections": ns.split_load, "seconds": round(split_wall, 2), "cpu_seconds": round(split_cpu, 1)}
        c7_rows = {t: n for t, n in meta["c7_rows"].items()}
        pis = c7_rows.get("act_hi_procinst", 0)
        c7_read = int(per_type.get("total", {}).get("read", 0))
        res = Result(
            instances=ns.instances, workers=ns.workers, batch_size=ns.batch_size, c7_template=template,
            c7_rows=c7_rows, process_instances=pis, wall_seconds=round(st.wall, 2), returncode=st.returncode,
            peak_rss_mb=round(st.maxrss_kb / 1024, 1), tree_peak_rss_mb=round(st.tree_peak_kb / 1024, 1),
            c8_rows_total=c8_total, tracking_rows=tracking, db_load_seconds=round(db_load, 2),
            ratio_to_db_load=round(st.wall / db_load, 2) if db_load else 0.0,
            instances_per_s=round(ns.instances / st.wall, 1), process_instances_per_s=round(pis / st.wall, 1),
            c7_rows_per_s=round(c7_read / st.wall, 1), c8_rows_per_s=round((c8_total + tracking) / st.wall, 1),
            per_type=per_type, db_load_per_table={k: (n, round(s, 3)) for k, (n, s) in per_table.items()},
            cpu_seconds=round(st.machine_cpu_seconds, 1), cli_cpu_seconds=round(st.cpu_seconds, 1),
            db_load_cpu_seconds=round(db_load_cpu, 1),
            machine=machine(admin), command="python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
            dask=ns.dask, split_load=split, wal_mb=round(wal_mb, 1), db_load_wal_mb=round(db_load_wal_mb, 1),
        )
        report(res)
        out = ns.json or work / "result.json"
        out.write_text(json.dumps(asdict(res), indent=1, default=str))
        log(f"result written to {out}")
        return 0 if st.returncode == 0 else 1
    finally:
        if not ns.keep:
            run_sql(admin, f'DROP DATABASE IF EXISTS "{c7_db}" WITH (FORCE)')
            run_sql(admin, f'DROP DATABASE IF EXISTS "{c8_db}" WITH (FORCE)')


def report(r: Result) -> None:
    p = print
    p(f"\nc7to8 --history: {r.instances:,} root instances ({r.process_instances:,} process instances), "
      f"workers={r.workers}, dask={r.dask or 'no'}, batch-size={r.batch_size or 'default'}")
    p(f"{'entity type':32} {'C7 read':>10} {'C8 rows':>10} {'seconds':>9} {'rows/s':>10}")
    for name, s in r.per_type.items():
        if name == "total":
            continue
        rate = s["read"] / s["seconds"] if s["seconds"] else 0.0
        p(f"{name:32} {int(s['read']):>10,} {int(s['c8_rows']):>10,} {s['seconds']:>9.2f} {rate:>10,.0f}")
    tot = r.per_type.get("total", {})
    p(f"{'total (CLI summary)':32} {int(tot.get('read', 0)):>10,} {int(tot.get('c8_rows', 0)):>10,} "
      f"{tot.get('seconds', 0):>9.2f}")
    p(f"\nwall (whole CLI process)      {r.wall_seconds:,.2f} s")
    p(f"instances/s (root | all PI)   {r.instances_per_s:,.0f} | {r.process_instances_per_s:,.0f}")
    p(f"C7 rows read/s                {r.c7_rows_per_s:,.0f}")
    p(f"C8+tracking rows written/s    {r.c8_rows_per_s:,.0f}  ({r.c8_rows_total:,} C8 + {r.tracking_rows:,} tracking)")
    p(f"peak RSS                      {r.peak_rss_mb:,.0f} MB (wait4 max) | {r.tree_peak_rss_mb:,.0f} MB "
      "(sum over process tree)")
    p(f"PostgreSQL's own load         {r.db_load_seconds:,.2f} s  -> ratio {r.ratio_to_db_load:.2f}x")
    if r.cpu_seconds:
        p(f"CPU seconds (whole machine)   {r.cpu_seconds:,.1f} (c7to8 processes {r.cli_cpu_seconds:,.1f}, the rest "
          f"mostly PostgreSQL {r.cpu_seconds - r.cli_cpu_seconds:,.1f}); plain load {r.db_load_cpu_seconds:,.1f}")
    if r.wal_mb:
        p(f"WAL written                   {r.wal_mb:,.0f} MB; plain load {r.db_load_wal_mb:,.0f} MB")
    if r.split_load:
        p(f"the same load, {int(r.split_load['connections'])} connections {r.split_load['seconds']:,.2f} s "
          f"({r.db_load_seconds / r.split_load['seconds']:.2f}x faster than one; "
          f"{r.split_load['cpu_seconds']:,.1f} CPU seconds)")


if __name__ == "__main__":
    raise SystemExit(main())
