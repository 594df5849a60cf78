"""Build and run the Camunda 7 data harness (harness/c7) and keep cached C7 data sets.

Plain helpers, no pytest fixtures:

* :func:`harness_jar` builds ``harness/c7`` once (``mvn -q -B package``) and returns the runnable jar.
* :func:`run_harness` runs it against a JDBC URL and returns the parsed JSON summary.
* :func:`dataset_key` identifies a data set: sha256 over the harness sources and the arguments.
* :func:`postgres_dataset` fills a PostgreSQL database from a cached template database
  ``c7tmpl_<hash12>`` (built once by running the harness into it).
* :func:`mariadb_dataset` fills a MariaDB database from a cached ``mariadb-dump`` file.

Caches live in ``$C7TO8_CACHE_DIR`` (default ``~/.cache/c7to8``): ``jars/``, ``datasets/``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[2]
HARNESS_DIR = ROOT / "harness" / "c7"
DEFAULT_CAMUNDA_VERSION = "7.24.0"
JAVA17_CANDIDATES = (
    "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
    "/usr/lib/jvm/java-17-openjdk/bin/java",
    "/usr/lib/jvm/temurin-17-jdk-amd64/bin/java",
)


class HarnessError(RuntimeError):
    """The harness build or run failed; the message carries the tail of its output."""


# --------------------------------------------------------------------------- paths and keys


def cache_dir() -> Path:
    d = Path(os.environ.get("C7TO8_CACHE_DIR") or "~/.cache/c7to8").expanduser()
    d.mkdir(parents=True, exist_ok=True)
    return d


def harness_sources() -> list[Path]:
    """Every file that influences the jar: pom.xml and everything below src/."""
    files = [HARNESS_DIR / "pom.xml"]
    files += sorted(p for p in (HARNESS_DIR / "src").rglob("*") if p.is_file())
    return files


def _sources_digest() -> str:
    h = hashlib.sha256()
    for p in harness_sources():
        h.update(str(p.relative_to(HARNESS_DIR)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def dataset_key(
    vendor: str = "postgresql",
    scenarios: str = "all",
    instances: int | None = None,
    id_generator: str = "db",
    camunda_version: str = DEFAULT_CAMUNDA_VERSION,
    history_level: str = "full",
) -> str:
    """sha256 over the harness sources and the arguments that shape a data set."""
    args = json.dumps(
        {
            "vendor": vendor,
            "scenarios": scenarios,
            "instances": instances,
            "id_generator": id_generator,
            "camunda_version": camunda_version,
            "history_level": history_level,
        },
        sort_keys=True,
    )
    return hashlib.sha256((_sources_digest() + "\n" + args).encode()).hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Inter-process lock (parallel test workers build a data set only once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _tail(s: str | bytes | None, n: int = 4000) -> str:
    if s is None:
        return ""
    if isinstance(s, bytes):
        s = s.decode("utf-8", errors="replace")
    return s[-n:]


# --------------------------------------------------------------------------- jar


def java17() -> str:
    """A Java 17 executable: $C7TO8_JAVA, the Debian JDK 17, or `java` on PATH."""
    env = os.environ.get("C7TO8_JAVA")
    if env:
        return env
    for c in JAVA17_CANDIDATES:
        if os.access(c, os.X_OK):
            return c
    found = shutil.which("java")
    if not found:
        raise HarnessError("no java executable found (set C7TO8_JAVA)")
    return found


def _java_home(java: str) -> str:
    return str(Path(os.path.realpath(java)).parents[1])


def harness_jar(camunda_version: str = DEFAULT_CAMUNDA_VERSION) -> Path:
    """Build the harness jar (once) and return its path.

    The default version uses ``harness/c7/target/c7-harness.jar`` and skips the build when the jar is
    newer than every harness source. Other versions are built with ``-Dcamunda.version=...`` and the
    jar is kept in ``$C7TO8_CACHE_DIR/jars/`` keyed by version and source digest.
    """
    target = HARNESS_DIR / "target" / "c7-harness.jar"
    stamp = HARNESS_DIR / "target" / "c7-harness.version"
    with _file_lock(cache_dir() / "locks" / "harness-build.lock"):
        if camunda_version == DEFAULT_CAMUNDA_VERSION:
            if _fresh(target) and stamp.exists() and stamp.read_text().strip() == camunda_version:
                return target
            _mvn_package(camunda_version)
            stamp.write_text(camunda_version)
            return target
        cached = cache_dir() / "jars" / f"c7-harness-{camunda_version}-{_sources_digest()[:12]}.jar"
        if cached.exists():
            return cached
        # Build other versions in a scratch copy of the project: harness/c7/target keeps the default
        # version's jar, which another test process may be running right now.
        with tempfile.TemporaryDirectory(prefix="c7harness-build-") as scratch:
            build_dir = Path(scratch) / "c7"
            build_dir.mkdir()
            shutil.copy2(HARNESS_DIR / "pom.xml", build_dir / "pom.xml")
            shutil.copytree(HARNESS_DIR / "src", build_dir / "src")
            _mvn_package(camunda_version, cwd=build_dir)
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".part")
            shutil.copy2(build_dir / "target" / "c7-harness.jar", tmp)
            tmp.replace(cached)
        return cached


def _fresh(jar: Path) -> bool:
    if not jar.exists():
        return False
    built = jar.stat().st_mtime
    return all(p.stat().st_mtime < built for p in harness_sources())


def _mvn_package(camunda_version: str, cwd: Path = HARNESS_DIR) -> None:
    mvn = shutil.which("mvn")
    if not mvn:
        raise HarnessError("Maven (mvn) is not installed")
    env = dict(os.environ)
    env["JAVA_HOME"] = _java_home(java17())
    cmd = [mvn, "-q", "-B", f"-Dcamunda.version={camunda_version}", "package"]
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise HarnessError(f"harness build failed ({' '.join(cmd)}):\n{_tail(r.stdout)}\n{_tail(r.stderr)}")


# --------------------------------------------------------------------------- run


def run_harness(
    jdbc_url: str,
    user: str,
    password: str,
    scenarios: str = "all",
    instances: int | None = None,
    id_generator: str = "db",
    camunda_version: str = DEFAULT_CAMUNDA_VERSION,
    timeout: float = 3600,
    history_level: str = "full",
) -> dict[str, Any]:
    """Run the harness against ``jdbc_url`` and return its JSON summary (raises HarnessError on failure)."""
    jar = harness_jar(camunda_version)
    with tempfile.TemporaryDirectory(prefix="c7harness-") as tmp:
        summary_file = Path(tmp) / "summary.json"
        cmd = [
            java17(),
            "-Xmx1g",
            "-jar",
            str(jar),
            "--jdbc-url",
            jdbc_url,
            "--user",
            user,
            "--password",
            password,
            "--scenarios",
            scenarios,
            "--id-generator",
            id_generator,
            "--history-level",
            history_level,
            "--summary-file",
            str(summary_file),
        ]
        if instances is not None:
            cmd += ["--instances", str(instances)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"harness timed out after {timeout}s:\n{_tail(exc.stderr)}") from exc
        if r.returncode != 0 or not summary_file.exists():
            raise HarnessError(f"harness failed (exit {r.returncode}) on {jdbc_url}:\n{_tail(r.stderr)}")
        summary: dict[str, Any] = json.loads(summary_file.read_text())
        return summary


# --------------------------------------------------------------------------- databases


def _url(u: str | URL) -> URL:
    return make_url(u) if isinstance(u, str) else u


def jdbc_for(url: str | URL, database: str) -> str:
    """JDBC URL of ``database`` on the server of a SQLAlchemy URL (PostgreSQL or MariaDB/MySQL)."""
    u = _url(url)
    if u.drivername.startswith("postgresql"):
        return f"jdbc:postgresql://{u.host}:{u.port or 5432}/{database}"
    if u.drivername.startswith(("mysql", "mariadb")):
        return f"jdbc:mariadb://{u.host}:{u.port or 3306}/{database}"
    raise ValueError(f"unsupported server URL {u.drivername}")


def _harness_args(
    scenarios: str = "all",
    instances: int | None = None,
    id_generator: str = "db",
    camunda_version: str = DEFAULT_CAMUNDA_VERSION,
    history_level: str = "full",
) -> dict[str, Any]:
    return {
        "scenarios": scenarios,
        "instances": instances,
        "id_generator": id_generator,
        "camunda_version": camunda_version,
        "history_level": history_level,
    }


def _datasets_dir() -> Path:
    d = cache_dir() / "datasets"
    d.mkdir(parents=True, exist_ok=True)
    return d


def postgres_dataset(admin_url: str | URL, target_db: str, **harness_args: Any) -> dict[str, Any]:
    """Create PostgreSQL database ``target_db`` holding the harness data set; returns the run summary.

    The first call per data-set key runs the harness into a template database ``c7tmpl_<hash12>``;
    every call then does ``CREATE DATABASE target_db TEMPLATE c7tmpl_<hash12>``.
    """
    args = _harness_args(**harness_args)
    admin = _url(admin_url)
    key = dataset_key("postgresql", **args)
    template = f"c7tmpl_{key[:12]}"
    summary_path = _datasets_dir() / f"{key}.pg.json"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with _file_lock(_datasets_dir() / f"{key}.lock"):
            with engine.connect() as conn:
                exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template}).first()
            if not exists or not summary_path.exists():
                _build_pg_template(engine, admin, template, summary_path, args)
        _create_from_template(engine, target_db, template)
    finally:
        engine.dispose()
    summary: dict[str, Any] = json.loads(summary_path.read_text())
    return summary


def _build_pg_template(engine: Any, admin: URL, template: str, summary_path: Path, args: dict[str, Any]) -> None:
    building = f"{template}_b{uuid.uuid4().hex[:6]}"
    with engine.connect() as conn:
        # a template left by an earlier cache (its summary file gone): unmark it so it can be rebuilt
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template}).first():
            conn.execute(text(f'ALTER DATABASE "{template}" WITH IS_TEMPLATE false'))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{building}"'))
    try:
        summary = run_harness(jdbc_for(admin, building), admin.username or "", admin.password or "", **args)
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{template}"'))
            conn.execute(text(f'ALTER DATABASE "{template}" WITH IS_TEMPLATE true'))
    except BaseException:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)'))
        raise
    _write_summary(summary_path, summary)


def _create_from_template(engine: Any, target_db: str, template: str) -> None:
    last: Exception | None = None
    for attempt in range(20):
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{target_db}" TEMPLATE "{template}"'))
            return
        except Exception as exc:  # "source database ... is being accessed by other users": retry
            if "being accessed by other users" not in str(exc):
                raise
            last = exc
            time.sleep(0.25 * (attempt + 1))
    raise HarnessError(f"could not create {target_db} from template {template}: {last}")


def _mysql_cli_env(u: URL) -> dict[str, str]:
    env = dict(os.environ)
    env["MYSQL_PWD"] = u.password or ""
    return env


def _mysql_conn_args(u: URL) -> list[str]:
    return ["-h", u.host or "127.0.0.1", "-P", str(u.port or 3306), "-u", u.username or "root"]


def _mysql_tool(*names: str) -> str:
    for n in names:
        found = shutil.which(n)
        if found:
            return found
    raise HarnessError(f"none of {names} is installed")


def mariadb_dataset(admin_url: str | URL, target_db: str, **harness_args: Any) -> dict[str, Any]:
    """(Re)create MariaDB database ``target_db`` holding the harness data set; returns the run summary.

    The first call per data-set key runs the harness into a scratch database and keeps a
    ``mariadb-dump`` of it in ``$C7TO8_CACHE_DIR/datasets/<key>.sql``; every call restores that dump.
    """
    args = _harness_args(**harness_args)
    admin = _url(admin_url)
    key = dataset_key("mariadb", **args)
    dump = _datasets_dir() / f"{key}.sql"
    summary_path = _datasets_dir() / f"{key}.mariadb.json"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with _file_lock(_datasets_dir() / f"{key}.lock"):
            if not dump.exists() or not summary_path.exists():
                _build_mariadb_dump(engine, admin, key, dump, summary_path, args)
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{target_db}`"))
            conn.execute(text(f"CREATE DATABASE `{target_db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    finally:
        engine.dispose()
    client = _mysql_tool("mariadb", "mysql")
    with open(dump, "rb") as fh:
        r = subprocess.run(
            [client, *_mysql_conn_args(admin), target_db],
            stdin=fh,
            capture_output=True,
            env=_mysql_cli_env(admin),
            timeout=1800,
        )
    if r.returncode != 0:
        raise HarnessError(f"restoring {dump} into {target_db} failed:\n{_tail(r.stderr)}")
    summary: dict[str, Any] = json.loads(summary_path.read_text())
    return summary


def _build_mariadb_dump(
    engine: Any, admin: URL, key: str, dump: Path, summary_path: Path, args: dict[str, Any]
) -> None:
    scratch = f"c7build_{key[:12]}_{uuid.uuid4().hex[:6]}"
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{scratch}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    try:
        summary = run_harness(jdbc_for(admin, scratch), admin.username or "", admin.password or "", **args)
        tool = _mysql_tool("mariadb-dump", "mysqldump")
        tmp = dump.with_suffix(".part")
        with open(tmp, "wb") as fh:
            r = subprocess.run(
                [tool, *_mysql_conn_args(admin), "--single-transaction", "--skip-dump-date", "--hex-blob", scratch],
                stdout=fh,
                stderr=subprocess.PIPE,
                env=_mysql_cli_env(admin),
                timeout=1800,
            )
        if r.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise HarnessError(f"mariadb-dump of {scratch} failed:\n{_tail(r.stderr)}")
        tmp.replace(dump)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{scratch}`"))
    _write_summary(summary_path, summary)


def _write_summary(path: Path, summary: dict[str, Any]) -> None:
    data = dict(summary)
    data["_harnessSources"] = _sources_digest()
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def prune_stale_datasets(pg_admin_url: str | URL | None = None) -> list[str]:
    """Delete cached data sets built from other harness sources than the current ones.

    Removes ``<key>.sql`` / ``<key>.*.json`` files and, when ``pg_admin_url`` is given, the template
    databases ``c7tmpl_<key12>`` of stale keys (and templates without a summary file). Not called
    automatically: several checkouts may share one cache. Returns what was removed.
    """
    current = _sources_digest()
    removed: list[str] = []
    stale_keys: set[str] = set()
    live_keys: set[str] = set()
    for f in _datasets_dir().glob("*.json"):
        key = f.name.split(".")[0]
        try:
            digest = json.loads(f.read_text()).get("_harnessSources")
        except (OSError, ValueError):
            digest = None
        (live_keys if digest == current else stale_keys).add(key)
    stale_keys -= live_keys
    for f in sorted(_datasets_dir().iterdir()):
        key = f.name.split(".")[0]
        if key in stale_keys or (f.suffix == ".lock" and key not in live_keys):
            f.unlink(missing_ok=True)
            removed.append(str(f))
    if pg_admin_url is not None:
        live_templates = {f"c7tmpl_{k[:12]}" for k in live_keys}
        engine = create_engine(_url(pg_admin_url), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                names = [
                    r[0] for r in conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'c7tmpl%'"))
                ]
                for name in names:
                    if name not in live_templates:
                        conn.execute(text(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false'))
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        removed.append(name)
        finally:
            engine.dispose()
    return removed
