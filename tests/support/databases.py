"""Uniquely named real databases on the test bed's PostgreSQL and MariaDB (and SQLite files)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, Connection, make_url

ROOT = Path(__file__).resolve().parents[2]


@cache
def testbed_env() -> dict[str, str]:
    """Start (idempotently) PostgreSQL and MariaDB with scripts/testbed and return its environment."""
    r = subprocess.run([str(ROOT / "scripts" / "testbed"), "up"], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"scripts/testbed up failed:\n{r.stderr[-3000:]}")
    env_file = Path(r.stdout.strip().splitlines()[-1])
    env: dict[str, str] = {}
    for line in env_file.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    os.environ.update(env)
    return env


def admin_url(vendor: str) -> URL:
    env = testbed_env()
    return make_url(env["C7TO8_PG_ADMIN_URL"] if vendor == "postgresql" else env["C7TO8_MARIADB_ADMIN_URL"])


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def create_database(vendor: str, name: str, template: str | None = None) -> URL:
    admin = admin_url(vendor)
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            if vendor == "postgresql":
                tmpl = f' TEMPLATE "{template}"' if template else ""
                conn.execute(text(f'CREATE DATABASE "{name}"{tmpl}'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    finally:
        eng.dispose()
    url = admin.set(database=name)
    if vendor != "postgresql":
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def drop_database(vendor: str, name: str) -> None:
    eng = create_engine(admin_url(vendor), isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            if vendor == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        eng.dispose()


@contextmanager
def temp_database(vendor: str, tmp_dir: Path | None = None, template: str | None = None) -> Iterator[URL]:
    """A fresh database, dropped afterwards. vendor: postgresql | mariadb | sqlite."""
    if vendor == "sqlite":
        base = tmp_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        path = base / f"{unique_name('sqlite')}.db"
        try:
            yield URL.create("sqlite", database=str(path))
        finally:
            path.unlink(missing_ok=True)
        return
    name = unique_name("c7to8t")
    url = create_database(vendor, name, template=template)
    try:
        yield url
    finally:
        drop_database(vendor, name)


def jdbc_url(url: URL) -> str:
    """JDBC URL of a test database (for the Java harness)."""
    if url.drivername.startswith("postgresql"):
        return f"jdbc:postgresql://{url.host}:{url.port}/{url.database}"
    return f"jdbc:mariadb://{url.host}:{url.port}/{url.database}"


def shared_reference(*parts: str) -> Path:
    """A file or folder of the project's shared reference material (official DDL, OpenAPI files).

    Looked up in $C7TO8_SHARED_DIR, then `../shared` beside the repository, then /work/shared. It is
    not part of the repository; a test that needs it fails, saying where it looked, when none of
    these exists (never a silent skip).
    """
    import pytest

    env = os.environ.get("C7TO8_SHARED_DIR")
    roots = [Path(env)] if env else []
    roots += [Path(__file__).resolve().parents[3] / "shared", Path("/work/shared")]
    for root in roots:
        candidate = root.joinpath("reference", *parts)
        if candidate.exists():
            return candidate
    pytest.fail(f"shared reference {'/'.join(parts)} not found under {', '.join(map(str, roots))}; "
                "set C7TO8_SHARED_DIR to the folder that holds reference/")


@contextmanager
def harness_postgres(tag: str, **harness_args: object) -> Iterator[tuple[str, Engine]]:
    """A fresh PostgreSQL copy of the harness data set (real Camunda 7 engine): its name and an engine;
    dropped afterwards."""
    from tests.support import harness

    testbed_env()
    name = unique_name(tag)
    harness.postgres_dataset(admin_url("postgresql"), name, **harness_args)
    engine = create_engine(admin_url("postgresql").set(database=name))
    try:
        yield name, engine
    finally:
        engine.dispose()
        drop_database("postgresql", name)


def root_instance_ids(conn: Connection) -> dict[str, str]:
    """Business key -> C7 id of every root process instance of a harness data set."""
    return {str(bk): str(i) for i, bk in conn.execute(text(
        "SELECT ID_, BUSINESS_KEY_ FROM ACT_HI_PROCINST WHERE SUPER_PROCESS_INSTANCE_ID_ IS NULL"))}
