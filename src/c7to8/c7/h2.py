"""Read a Camunda 7 H2 database through H2's own PostgreSQL-protocol server.

Python has no H2 driver, so c7to8 starts ``org.h2.tools.Server -pg`` from the H2 jar as a child
process on 127.0.0.1 (a free port, only local connections, ``-ifExists``) and talks to it with
psycopg. It is stopped by :func:`stop`, when the engine is garbage-collected, and at the latest when c7to8
exits.

H2's PG server always opens databases with ``DATABASE_TO_LOWER=TRUE`` and ``MODE=PostgreSQL``, so
it cannot open a database the engine created with H2's defaults (it fails with ``Schema "PUBLIC"
not found``). c7to8 therefore serves a small *bridge* database in a private temporary directory:
one read-only ``LINKED TABLE`` per table of the Camunda 7 database, which H2 reads through its
own JDBC driver inside the server process (the Camunda 7 file is opened read-only), each served
through a view with lower-case names. The views cast BLOBs (``ACT_GE_BYTEARRAY.BYTES_``) to
VARBINARY, because the PG server sends BLOBs as text (bytes that are not UTF-8 would be lost).

Other quirks handled here: ``show standard_conforming_strings`` is not understood (SQLAlchemy asks
it when connecting), binary-format parameters are not understood (psycopg's ``ClientCursor``
sends literals), pg_catalog reflection does not work (tables and columns are read from
INFORMATION_SCHEMA, see :func:`table_names` and :func:`columns`), and unquoted names are folded to
lower case (the bridge's views have lower-case table and column names, like PostgreSQL).

Needs a Java runtime (``$C7TO8_JAVA``, ``$JAVA_HOME/bin/java`` or ``java`` on PATH) and the H2 jar
(``$C7TO8_H2_JAR``, else ``~/.m2/repository/com/h2database/h2/2.3.232/h2-2.3.232.jar``, fetched with
``mvn dependency:get`` when Maven is installed). Use the H2 version that wrote the file: H2 2.x
cannot open 1.4 files.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.types import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    NullType,
    String,
    Text,
    TypeEngine,
)

from ..errors import NotSupportedYet, SourceError

log = logging.getLogger("c7to8.h2")

H2_VERSION = "2.3.232"
H2_ARTIFACT = f"com.h2database:h2:{H2_VERSION}"
BRIDGE_DB = "c7to8bridge"
LINK_SCHEMA = "c7to8_links"
START_TIMEOUT_S = 60.0


class H2Unavailable(NotSupportedYet):
    """Java or the H2 jar is missing, so an H2 database cannot be read."""


# ------------------------------------------------------------------------------------------------
# Java and the H2 jar


def find_java() -> str | None:
    env = os.environ.get("C7TO8_JAVA")
    if env:
        return env if os.access(env, os.X_OK) else None
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def m2_repository() -> Path:
    return Path(os.environ.get("C7TO8_M2_REPOSITORY") or "~/.m2/repository").expanduser()


def find_h2_jar(fetch: bool = True) -> Path | None:
    """The H2 jar: $C7TO8_H2_JAR, else the local Maven repository (fetched by Maven if missing)."""
    env = os.environ.get("C7TO8_H2_JAR")
    if env:
        return Path(env) if Path(env).is_file() else None
    jar = m2_repository() / "com" / "h2database" / "h2" / H2_VERSION / f"h2-{H2_VERSION}.jar"
    if jar.is_file():
        return jar
    mvn = shutil.which("mvn")
    if fetch and mvn:
        log.info("Fetching %s with Maven", H2_ARTIFACT)
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [mvn, "-q", "-B", "dependency:get", f"-Dartifact={H2_ARTIFACT}", "-Dtransitive=false"],
                capture_output=True, timeout=600, check=False,
            )
    return jar if jar.is_file() else None


def requirements(key: str = "camunda.migrator.c7.data-source") -> tuple[str, Path]:
    """(java, h2 jar), or H2Unavailable saying what to install."""
    java = find_java()
    if java is None:
        raise H2Unavailable(
            f"{key}.jdbc-url: reading an H2 database needs a Java runtime (11 or newer) to run H2's "
            "PostgreSQL-protocol server, and none was found. Install a JDK/JRE, or set JAVA_HOME or C7TO8_JAVA."
        )
    jar = find_h2_jar()
    if jar is None:
        raise H2Unavailable(
            f"{key}.jdbc-url: reading an H2 database needs the H2 jar ({H2_ARTIFACT}), which is not in "
            f"{m2_repository()} and could not be fetched with Maven. Download h2-{H2_VERSION}.jar and set "
            "C7TO8_H2_JAR to its path."
        )
    return java, jar


# ------------------------------------------------------------------------------------------------
# URL handling


def jdbc_url_of(url: URL) -> str:
    """The H2 JDBC URL kept in a `h2` SQLAlchemy URL (config.jdbc_to_sqlalchemy puts the tail in database)."""
    tail = url.database or ""
    return tail if tail.startswith("jdbc:h2:") else f"jdbc:h2:{tail}"


def source_jdbc_url(jdbc: str, key: str) -> str:
    """Validate an H2 JDBC URL and make it read-only for the linked tables."""
    tail = jdbc[len("jdbc:h2:"):]
    if tail.lower().startswith("mem:"):
        raise SourceError(
            f"{key}.jdbc-url: an in-memory H2 database (jdbc:h2:mem:) lives inside the Camunda 7 process "
            "and cannot be read from outside. Use a file database (jdbc:h2:file:/path/db) or H2's TCP server."
        )
    if not tail:
        raise SourceError(f"{key}.jdbc-url: '{jdbc}' names no H2 database")
    opts = {p.split("=", 1)[0].strip().upper() for p in tail.split(";")[1:] if p}
    if "ACCESS_MODE_DATA" not in opts and not tail.lower().startswith(("tcp:", "ssl:")):
        jdbc += ";ACCESS_MODE_DATA=r"
    if "IFEXISTS" not in opts:
        jdbc += ";IFEXISTS=TRUE"
    return jdbc


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------------------
# the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class H2Server:
    """One running H2 PG server serving a bridge database onto one Camunda 7 H2 database."""

    java: str
    jar: Path
    workdir: Path
    port: int
    password: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> URL:
        return URL.create(
            "postgresql+psycopg",
            username="c7to8",
            password=self.password,
            host="127.0.0.1",
            port=self.port,
            database=BRIDGE_DB,
            query={"sslmode": "disable", "gssencmode": "disable"},
        )

    @classmethod
    def start(cls, java: str, jar: Path) -> H2Server:
        workdir = Path(tempfile.mkdtemp(prefix="c7to8-h2-"))
        os.chmod(workdir, 0o700)
        password = secrets.token_urlsafe(18)
        server = cls(java, jar, workdir, 0, password)
        try:
            server._create_bridge()
            last = ""
            for _ in range(3):
                server.port = free_port()
                last = server._launch()
                if server.process is not None:
                    break
            if server.process is None:
                raise SourceError(f"could not start H2's PostgreSQL server: {last}")
        except BaseException:
            server.stop()
            raise
        return server

    def _create_bridge(self) -> None:
        script = self.workdir / "init.sql"
        script.write_text("SELECT 1;\n")
        url = (f"jdbc:h2:file:{self.workdir / BRIDGE_DB};MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;"
               "DEFAULT_NULL_ORDERING=HIGH")
        r = subprocess.run(
            [self.java, "-cp", str(self.jar), "org.h2.tools.RunScript", "-url", url, "-user", "c7to8",
             "-password", self.password, "-script", str(script)],
            capture_output=True, text=True, timeout=120, check=False,
        )
        if r.returncode != 0:
            raise SourceError(f"could not prepare H2 ({self.jar}): {(r.stderr or r.stdout).strip()[-1000:]}")

    def _launch(self) -> str:
        cmd = [self.java, "-cp", str(self.jar), "org.h2.tools.Server", "-pg", "-pgPort", str(self.port),
               "-baseDir", str(self.workdir), "-ifExists"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        out = b""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                out += proc.stdout.read() if proc.stdout else b""
                return out.decode(errors="replace").strip()[-1000:]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    self.process = proc
                    threading.Thread(target=_drain, args=(proc,), daemon=True).start()
                    log.info("H2 PostgreSQL server started on 127.0.0.1:%d (pid %d)", self.port, proc.pid)
                    return ""
            except OSError:
                time.sleep(0.1)
        proc.kill()
        proc.wait()
        return f"no answer on port {self.port} after {START_TIMEOUT_S:.0f}s"

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.info("H2 PostgreSQL server stopped")
        shutil.rmtree(self.workdir, ignore_errors=True)


def _drain(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdout is not None:
        for line in proc.stdout:
            log.debug("h2: %s", line.decode(errors="replace").rstrip())


def link_source(engine: Engine, source_jdbc: str, user: str, password: str) -> int:
    """Create the bridge; returns the number of tables served.

    Per C7 table: a read-only linked table in schema c7to8_links, and a view of the same name as
    the table (lower case, in `public` or the lower-cased schema) whose columns are lower case too,
    BLOBs cast to VARBINARY. The bridge so looks like a PostgreSQL Camunda 7 database: unquoted
    SQL (`SELECT ID_ FROM ACT_HI_PROCINST`) works, and INFORMATION_SCHEMA lists the tables.
    """
    link_args = f"'org.h2.Driver', {_sql_str(source_jdbc)}, {_sql_str(user)}, {_sql_str(password)}"
    listing = (
        "(SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.ORDINAL_POSITION "
        "FROM INFORMATION_SCHEMA.COLUMNS c JOIN INFORMATION_SCHEMA.TABLES t "
        "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
        "WHERE t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_SCHEMA <> 'INFORMATION_SCHEMA')"
    )
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {LINK_SCHEMA}"))
        try:
            conn.execute(text(f"CREATE LINKED TABLE {LINK_SCHEMA}.source_columns({link_args}, {_sql_str(listing)}) "
                              "READONLY"))
            cols = conn.execute(text(
                f'SELECT "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE" FROM {LINK_SCHEMA}.source_columns '
                'ORDER BY "TABLE_SCHEMA", "TABLE_NAME", "ORDINAL_POSITION"')).all()
        except Exception as exc:
            raise SourceError(f"H2 cannot open the Camunda 7 database: {_h2_reason(exc)}") from exc
        tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, dtype in cols:
            tables.setdefault((str(schema), str(table)), []).append((str(column), str(dtype)))
        for n, ((schema, table), columns) in enumerate(sorted(tables.items())):
            target_schema = "public" if schema == "PUBLIC" else _ident(schema.lower())
            if target_schema != "public":
                conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {target_schema}"))
            link = f"{LINK_SCHEMA}.t{n}"
            conn.execute(text(f"CREATE LINKED TABLE {link}({link_args}, {_sql_str(schema)}, {_sql_str(table)}) "
                              "READONLY"))
            select = ", ".join(
                (f"CAST({_ident(c)} AS VARBINARY)" if dtype.upper() == "BINARY LARGE OBJECT" else _ident(c))
                + f" AS {_ident(c.lower())}"
                for c, dtype in columns
            )
            conn.execute(text(f"CREATE VIEW {target_schema}.{_ident(table.lower())} AS SELECT {select} FROM {link}"))
    return len(tables)


def _h2_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


# ------------------------------------------------------------------------------------------------
# engines


_SERVERS: weakref.WeakKeyDictionary[Engine, H2Server] = weakref.WeakKeyDictionary()
_ALL: list[H2Server] = []


def is_h2(engine: Engine) -> bool:
    return engine in _SERVERS


def _stop_all() -> None:
    while _ALL:
        _ALL.pop().stop()


atexit.register(_stop_all)


def open_h2_engine(jdbc: str, user: str | None, password: str | None, key: str, pool_size: int = 5) -> Engine:
    """Start an H2 PG server onto the database of `jdbc` and return an engine reading it."""
    java, jar = requirements(key)
    source = source_jdbc_url(jdbc, key)
    server = H2Server.start(java, jar)
    _ALL.append(server)
    try:
        engine = _engine(server, pool_size)
        n = link_source(engine, source, user or "sa", password or "")
    except BaseException:
        _ALL.remove(server)
        server.stop()
        raise
    log.info("H2 database %s served with %d tables", jdbc.split(";")[0], n)
    _SERVERS[engine] = server
    # engine.dispose() only empties the pool (the engine stays usable), so the server lives until
    # stop() is called, the engine is garbage-collected, or c7to8 exits.
    weakref.finalize(engine, _forget, server)
    return engine


def _forget(server: H2Server) -> None:
    if server in _ALL:
        _ALL.remove(server)
    server.stop()


def stop(engine: Engine) -> None:
    """Dispose an H2 engine and stop its server now."""
    server = _SERVERS.pop(engine, None)
    engine.dispose()
    if server is not None:
        _forget(server)


def _engine(server: H2Server, pool_size: int) -> Engine:
    import psycopg

    engine = create_engine(
        server.url,
        future=True,
        use_native_hstore=False,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"cursor_factory": psycopg.ClientCursor, "prepare_threshold": None},
    )
    dialect: Any = engine.dialect

    def _no_backslash_query(_: Any) -> None:  # H2 does not know `show standard_conforming_strings`
        dialect._backslash_escapes = False

    dialect._set_backslash_escapes = _no_backslash_query
    return engine


# ------------------------------------------------------------------------------------------------
# reflection (pg_catalog is not usable through H2's PG server)


_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "CHARACTER VARYING": String,
    "CHARACTER": String,
    "VARCHAR": String,
    "CHARACTER LARGE OBJECT": Text,
    "INTEGER": Integer,
    "SMALLINT": Integer,
    "TINYINT": Integer,
    "BIGINT": BigInteger,
    "BOOLEAN": Boolean,
    "DOUBLE PRECISION": Float,
    "REAL": Float,
    "NUMERIC": Float,
    "DECIMAL": Float,
    "TIMESTAMP": DateTime,
    "TIMESTAMP WITH TIME ZONE": DateTime,
    "BINARY VARYING": LargeBinary,
    "BINARY LARGE OBJECT": LargeBinary,
}


def table_names(engine: Engine, schema: str | None) -> list[str]:
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": (schema or "public").lower()},
        )]


def columns(engine: Engine, schema: str | None, table: str) -> list[tuple[str, TypeEngine[Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT column_name, data_type FROM information_schema.columns "
                 "WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position"),
            {"s": (schema or "public").lower(), "t": table},
        ).all()
    return [(str(name), _TYPES.get(str(dtype).upper(), NullType)()) for name, dtype in rows]
