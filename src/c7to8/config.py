"""Typed configuration: the official `application.yml` keys, plus c7to8's own under `c7to8.*`.

Sources, later ones win: built-in defaults < YAML file (`--config PATH`, else `./application.yml`,
else `./configuration/application.yml` like the official distribution) < environment variables with
Spring's relaxed names (`camunda.migrator.page-size` <- `CAMUNDA_MIGRATOR_PAGE_SIZE`).

Every bad value raises `ConfigError` naming the key. Passwords are kept in `Secret` so they never
reach a log line, an error message or a repr.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import yaml
from sqlalchemy.engine import URL, make_url

from .errors import ConfigError
from .plugins import InterceptorSpec, parse_interceptor_specs

DEFAULT_CONFIG_LOCATIONS = ("application.yml", "configuration/application.yml")


class Secret:
    """A string that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value or ""

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('****')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Period:
    """An ISO-8601 date period (java.time.Period): years, months, days."""

    years: int = 0
    months: int = 0
    days: int = 0

    @property
    def is_zero(self) -> bool:
        return self.years == 0 and self.months == 0 and self.days == 0

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months


_PERIOD_RE = re.compile(r"^([-+]?)P(?:([-+]?\d+)Y)?(?:([-+]?\d+)M)?(?:([-+]?\d+)W)?(?:([-+]?\d+)D)?$", re.I)
_SIMPLE_PERIOD_RE = re.compile(r"^([-+]?\d+)\s*([dwmy])$", re.I)


def parse_period(key: str, value: object) -> Period:
    """Parse `P6M`, `P1Y2M3D`, `P90D`, `P2W` or Spring's simple `90d` / `6m` / `1y`."""
    text = str(value).strip()
    m = _SIMPLE_PERIOD_RE.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        return {
            "d": Period(days=n),
            "w": Period(days=7 * n),
            "m": Period(months=n),
            "y": Period(years=n),
        }[unit]
    m = _PERIOD_RE.match(text)
    if not m or text.upper() == "P":
        raise ConfigError(key, f"'{text}' is not an ISO-8601 period such as P6M, P90D or P1Y2M3D")
    sign = -1 if m.group(1) == "-" else 1
    y, mo, w, d = (int(g) if g else 0 for g in m.groups()[1:])
    return Period(sign * y, sign * mo, sign * (d + 7 * w))


@dataclass(frozen=True)
class DataSourceConfig:
    """`camunda.migrator.c7.data-source` / `camunda.migrator.c8.data-source`."""

    key: str  # e.g. "camunda.migrator.c7.data-source" (for messages)
    url: URL
    jdbc_url: str | None = None
    table_prefix: str = ""
    auto_ddl: bool = False
    vendor: str | None = None
    schema: str | None = None

    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)


@dataclass(frozen=True)
class ClientConfig:
    """`camunda.client.*` (Camunda 8 REST client)."""

    mode: str = "self-managed"
    rest_address: str = "http://localhost:8080"
    grpc_address: str = "http://localhost:26500"
    auth_method: str = "none"
    username: str | None = None
    password: Secret = field(default_factory=lambda: Secret(None))
    client_id: str | None = None
    client_secret: Secret = field(default_factory=lambda: Secret(None))
    token_url: str | None = None
    audience: str | None = None
    scope: str | None = None
    request_timeout_s: float = 30.0
    ca_certificate_path: str | None = None


@dataclass(frozen=True)
class HistoryConfig:
    partition_count: int | None = None
    legacy_id_prefix: str = "c7-legacy-"
    cleanup_enabled: bool = True
    cleanup_ttl: Period = Period(days=180)


@dataclass(frozen=True)
class IdentityConfig:
    skip_users: bool = False
    skip_groups: bool = False
    sync_timeout_ms: int = 3000
    sync_poll_interval_ms: int = 250


@dataclass(frozen=True)
class ExtrasConfig:
    """c7to8's own settings (`c7to8.*`), beyond the official tool."""

    time_zone: str = "UTC"  # zone in which C7 stored its naive timestamps
    batch_size: int = 2000  # rows per write transaction (history)
    workers: int = 1
    runtime_concurrency: int = 1  # runtime: root instances handled at the same time (1 = sequential)
    dask_scheduler: str | None = None  # c7to8.distributed.scheduler: tcp://HOST:PORT or local[:N]
    dask_shards: int = 0  # c7to8.distributed.shards: shards per type, 0 = one per Dask worker
    documents: str = "upload"  # bytes/file variables: upload to C8 document store | official (skip)
    java_objects: str = "decode"  # Java-serialized objects: decode to JSON | official (skip)
    log_format: str = "text"
    set_based: bool = True  # c7to8.set-based: flow nodes and variables converted inside PostgreSQL (c7to8.bulk)
    set_based_chunk: int = 25_000  # c7to8.set-based-chunk: C7 rows staged and converted per transaction
    #: c7to8.set-based-map-rows: rows the lane's session keeps per map of what it migrated (bulk_sql.session_maps)
    set_based_map_rows: int = 750_000


@dataclass(frozen=True)
class Config:
    page_size: int = 100
    job_type: str = "migrator"
    validation_job_type: str | None = None
    tenant_ids: tuple[str, ...] = ()
    save_skip_reason: bool = True  # official default is false; see docs/differences.md
    auto_ddl: bool = False
    table_prefix: str = ""
    deployment_dir: str | None = None
    interceptors: tuple[InterceptorSpec, ...] = ()
    c7: DataSourceConfig | None = None
    c8: DataSourceConfig | None = None
    client: ClientConfig = field(default_factory=ClientConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    extras: ExtrasConfig = field(default_factory=ExtrasConfig)
    log_level: str = "WARN"
    log_file: str | None = None
    source: str | None = None  # the file it was read from

    @property
    def effective_validation_job_type(self) -> str:
        return self.validation_job_type or self.job_type


# --------------------------------------------------------------------------------------------
# JDBC URL translation
# --------------------------------------------------------------------------------------------

_JDBC_HOST_DB = re.compile(r"^//(?P<host>[^/:;?]+)(?::(?P<port>\d+))?(?:/(?P<db>[^?;]*))?(?:[?;](?P<q>.*))?$")


def jdbc_to_sqlalchemy(jdbc_url: str, username: str | None, password: str | None, key: str) -> URL:
    """Translate a JDBC URL (postgresql, mariadb, mysql, h2, oracle, sqlserver, sqlite) to SQLAlchemy."""
    if not jdbc_url.startswith("jdbc:"):
        try:
            url = make_url(jdbc_url)
        except Exception as exc:  # noqa: BLE001 - sqlalchemy raises ArgumentError and others
            raise ConfigError(key, f"'{_mask(jdbc_url)}' is neither a JDBC URL nor a SQLAlchemy URL") from exc
        if username and not url.username:
            url = url.set(username=username)
        if password and not url.password:
            url = url.set(password=password)
        return url
    rest = jdbc_url[len("jdbc:") :]
    scheme, _, tail = rest.partition(":")
    scheme = scheme.lower()
    if scheme in ("postgresql", "mariadb", "mysql"):
        m = _JDBC_HOST_DB.match(tail)
        if not m:
            raise ConfigError(key, f"cannot read host and database from '{_mask(jdbc_url)}'")
        drivername = {"postgresql": "postgresql+psycopg", "mariadb": "mysql+pymysql", "mysql": "mysql+pymysql"}[
            scheme
        ]
        query = dict(parse_qsl(m.group("q") or "", keep_blank_values=True))
        user = username or query.pop("user", None)
        pw = password or query.pop("password", None)
        query.pop("user", None)
        query.pop("password", None)
        pg_keep = {"sslmode", "sslrootcert", "sslcert", "sslkey", "options", "application_name", "connect_timeout"}
        my_keep = {"charset"}
        keep = pg_keep if scheme == "postgresql" else my_keep
        query = {k: v for k, v in query.items() if k in keep}
        if scheme == "postgresql" and "currentSchema" in (m.group("q") or ""):
            schema = dict(parse_qsl(m.group("q") or "")).get("currentSchema")
            if schema:
                query["options"] = f"-csearch_path={schema}"
        if scheme != "postgresql":
            query.setdefault("charset", "utf8mb4")
        return URL.create(
            drivername,
            username=user,
            password=pw,
            host=m.group("host"),
            port=int(m.group("port")) if m.group("port") else None,
            database=unquote(m.group("db") or "") or None,
            query=query,
        )
    if scheme == "sqlite":
        return URL.create("sqlite", database=tail or None)
    if scheme == "h2":
        # Served through H2's PostgreSQL-protocol server by c7to8.c7.h2 when a JDK is present.
        return URL.create("h2", database=tail, username=username, password=password)
    if scheme == "oracle":
        # jdbc:oracle:thin:@host:port/service  or  jdbc:oracle:thin:@host:port:SID
        m2 = re.match(r"^thin:@(?://)?(?P<host>[^:/]+)(?::(?P<port>\d+))?(?P<sep>[/:])(?P<name>[^?]+)", tail)
        if not m2:
            raise ConfigError(key, f"cannot read host and service from '{_mask(jdbc_url)}'")
        q = {"service_name": m2.group("name")} if m2.group("sep") == "/" else {}
        return URL.create(
            "oracle+oracledb",
            username=username,
            password=password,
            host=m2.group("host"),
            port=int(m2.group("port") or 1521),
            database=None if q else m2.group("name"),
            query=q,
        )
    if scheme == "sqlserver":
        # jdbc:sqlserver://host:port;databaseName=db;encrypt=false
        m3 = re.match(r"^//(?P<host>[^:;\\]+)(?::(?P<port>\d+))?(?P<props>;.*)?$", tail)
        if not m3:
            raise ConfigError(key, f"cannot read host from '{_mask(jdbc_url)}'")
        props = dict(
            p.split("=", 1) for p in (m3.group("props") or "").split(";") if "=" in p
        )
        db = props.get("databaseName") or props.get("database")
        return URL.create(
            "mssql+pymssql",
            username=username,
            password=password,
            host=m3.group("host"),
            port=int(m3.group("port") or 1433),
            database=db,
        )
    raise ConfigError(
        key, f"unsupported JDBC URL scheme 'jdbc:{scheme}'; use postgresql, mariadb, mysql, h2, oracle or sqlserver"
    )


def _mask(url: str) -> str:
    """Hide passwords inside a URL string (user:pw@ and password= forms)."""
    url = re.sub(r"(//[^:/@]+:)[^@]*@", r"\1****@", url)
    return re.sub(r"(?i)(password=)[^&;]*", r"\1****", url)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _flatten(prefix: str, node: object, out: dict[str, object]) -> None:
    if isinstance(node, Mapping):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if key == "camunda.migrator.interceptors":
                out[key] = v
            elif isinstance(v, Mapping) and not _is_leaf_mapping(key):
                _flatten(key, v, out)
            else:
                out[key] = v
    else:
        out[prefix] = node


def _is_leaf_mapping(key: str) -> bool:
    return key.endswith(".properties")


def _canon(key: str) -> str:
    """Relaxed binding: `camunda.migrator.pageSize` == `camunda.migrator.page-size`; dotted yaml keys too."""
    parts = []
    for part in key.split("."):
        part = re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", part).lower().replace("_", "-")
        parts.append(part)
    return ".".join(parts)


def _env_name(key: str) -> str:
    return re.sub(r"[.\-\[\]]", "_", key).replace("__", "_").upper()


# Every scalar key that is read, with its env-var name derived by Spring's rules.
KNOWN_KEYS: tuple[str, ...] = (
    "camunda.migrator.page-size",
    "camunda.migrator.job-type",
    "camunda.migrator.validation-job-type",
    "camunda.migrator.tenant-ids",
    "camunda.migrator.save-skip-reason",
    "camunda.migrator.auto-ddl",
    "camunda.migrator.table-prefix",
    "camunda.migrator.data-source",
    "camunda.migrator.database-vendor",
    "camunda.migrator.c8.deployment-dir",
    "camunda.migrator.history.partition-count",
    "camunda.migrator.history.legacy-id-prefix",
    "camunda.migrator.history.auto-cancel.cleanup.enabled",
    "camunda.migrator.history.auto-cancel.cleanup.ttl",
    "camunda.migrator.identity.skip-users",
    "camunda.migrator.identity.skip-groups",
    "camunda.migrator.identity.sync.timeout",
    "camunda.migrator.identity.sync.poll-interval",
    *(
        f"camunda.migrator.{side}.data-source.{k}"
        for side in ("c7", "c8")
        for k in (
            "jdbc-url",
            "url",
            "username",
            "password",
            "driver-class-name",
            "table-prefix",
            "auto-ddl",
            "vendor",
            "schema",
        )
    ),
    "camunda.client.mode",
    "camunda.client.rest-address",
    "camunda.client.grpc-address",
    "camunda.client.request-timeout",
    "camunda.client.request-timeout-offset",
    "camunda.client.ca-certificate-path",
    "camunda.client.auth.method",
    "camunda.client.auth.username",
    "camunda.client.auth.password",
    "camunda.client.auth.client-id",
    "camunda.client.auth.client-secret",
    "camunda.client.auth.token-url",
    "camunda.client.auth.audience",
    "camunda.client.auth.scope",
    "logging.level.root",
    "logging.level.io.camunda.migration.data",
    "logging.file.name",
    "c7to8.time-zone",
    "c7to8.batch-size",
    "c7to8.workers",
    "c7to8.runtime-concurrency",
    "c7to8.distributed.scheduler",
    "c7to8.distributed.shards",
    "c7to8.variables.documents",
    "c7to8.variables.java-objects",
    "c7to8.log-format",
    "c7to8.set-based",
    "c7to8.set-based-chunk",
    "c7to8.set-based-map-rows",
)


def find_config_file(explicit: str | None) -> Path | None:
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError("--config", f"file '{explicit}' does not exist")
        return p
    env = os.environ.get("C7TO8_CONFIG")
    if env:
        return find_config_file(env)
    for cand in DEFAULT_CONFIG_LOCATIONS:
        if Path(cand).is_file():
            return Path(cand)
    return None


def load_config(path: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the YAML file (if any), apply environment overrides, validate, return `Config`."""
    env = os.environ if env is None else env
    file = find_config_file(path)
    raw: dict[str, object] = {}
    if file is not None:
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(str(file), f"is not valid YAML: {exc}") from exc
        if not isinstance(doc, Mapping):
            raise ConfigError(str(file), "must contain a YAML mapping at the top level")
        flat: dict[str, object] = {}
        _flatten("", doc, flat)
        raw = {_canon(k): v for k, v in flat.items()}
    for key in KNOWN_KEYS:
        name = _env_name(key)
        if name in env:
            raw[key] = env[name]
    return build_config(raw, source=str(file) if file else None)


def build_config(raw: Mapping[str, object], source: str | None = None) -> Config:
    g = _Getter(raw)
    page_size = g.integer("camunda.migrator.page-size", 100, minimum=1)
    tenant_ids = g.str_list("camunda.migrator.tenant-ids")
    prefix = (g.text("camunda.migrator.history.legacy-id-prefix") or None)
    if "camunda.migrator.history.legacy-id-prefix" in raw:
        prefix = validate_legacy_prefix(raw["camunda.migrator.history.legacy-id-prefix"])
    partition_count = g.opt_int("camunda.migrator.history.partition-count")
    if partition_count is not None and partition_count < 1:
        raise ConfigError(
            "camunda.migrator.history.partition-count",
            f"Invalid partition count: {partition_count}. The property "
            "'camunda.migrator.history.partition-count' must be at least 1.",
        )
    ttl_raw = raw.get("camunda.migrator.history.auto-cancel.cleanup.ttl")
    ttl = parse_period("camunda.migrator.history.auto-cancel.cleanup.ttl", ttl_raw) if ttl_raw else Period(days=180)
    identity = IdentityConfig(
        skip_users=g.flag("camunda.migrator.identity.skip-users", False),
        skip_groups=g.flag("camunda.migrator.identity.skip-groups", False),
        sync_timeout_ms=g.integer("camunda.migrator.identity.sync.timeout", 3000, minimum=0),
        sync_poll_interval_ms=g.integer("camunda.migrator.identity.sync.poll-interval", 250, minimum=1),
    )
    if identity.skip_groups and not identity.skip_users:
        raise ConfigError(
            "camunda.migrator.identity.skip-groups",
            "Invalid property combination: skip-groups cannot be enabled if skip-users is disabled",
        )
    auth_method = (g.text("camunda.client.auth.method") or "").lower()
    if not auth_method:
        auth_method = "basic" if g.text("camunda.client.auth.username") else (
            "oidc" if g.text("camunda.client.auth.client-id") else "none"
        )
    if auth_method not in ("none", "basic", "oidc"):
        raise ConfigError("camunda.client.auth.method", f"'{auth_method}' must be one of basic, oidc, none")
    timeout = raw.get("camunda.client.request-timeout")
    client = ClientConfig(
        mode=g.text("camunda.client.mode") or "self-managed",
        rest_address=(g.text("camunda.client.rest-address") or "http://localhost:8080").rstrip("/"),
        grpc_address=g.text("camunda.client.grpc-address") or "http://localhost:26500",
        auth_method=auth_method,
        username=g.text("camunda.client.auth.username"),
        password=Secret(g.text("camunda.client.auth.password")),
        client_id=g.text("camunda.client.auth.client-id"),
        client_secret=Secret(g.text("camunda.client.auth.client-secret")),
        token_url=g.text("camunda.client.auth.token-url"),
        audience=g.text("camunda.client.auth.audience"),
        scope=g.text("camunda.client.auth.scope"),
        request_timeout_s=parse_duration_s("camunda.client.request-timeout", timeout) if timeout else 30.0,
        ca_certificate_path=g.text("camunda.client.ca-certificate-path"),
    )
    extras = ExtrasConfig(
        time_zone=_validate_zone(g.text("c7to8.time-zone") or "UTC"),
        batch_size=g.integer("c7to8.batch-size", 2000, minimum=1),
        workers=g.integer("c7to8.workers", 1, minimum=1),
        runtime_concurrency=check_runtime_concurrency(
            "c7to8.runtime-concurrency", g.integer("c7to8.runtime-concurrency", 1, minimum=1)),
        dask_scheduler=_dask_scheduler(g),
        dask_shards=g.integer("c7to8.distributed.shards", 0, minimum=0),
        documents=g.choice("c7to8.variables.documents", ("upload", "official"), "upload"),
        java_objects=g.choice("c7to8.variables.java-objects", ("decode", "official"), "decode"),
        log_format=g.choice("c7to8.log-format", ("text", "json"), "text"),
        set_based=g.flag("c7to8.set-based", True),
        set_based_chunk=g.integer("c7to8.set-based-chunk", 25_000, minimum=1),
        set_based_map_rows=g.integer("c7to8.set-based-map-rows", 750_000, minimum=0),
    )
    return Config(
        page_size=page_size,
        job_type=g.text("camunda.migrator.job-type") or "migrator",
        validation_job_type=g.text("camunda.migrator.validation-job-type"),
        tenant_ids=tuple(tenant_ids),
        save_skip_reason=g.flag("camunda.migrator.save-skip-reason", True),
        auto_ddl=g.flag("camunda.migrator.auto-ddl", False),
        table_prefix=(g.text("camunda.migrator.table-prefix") or "").strip(),
        deployment_dir=g.text("camunda.migrator.c8.deployment-dir"),
        interceptors=tuple(parse_interceptor_specs(raw.get("camunda.migrator.interceptors"))),
        c7=_data_source(g, "c7"),
        c8=_data_source(g, "c8"),
        client=client,
        history=HistoryConfig(
            partition_count=partition_count,
            legacy_id_prefix=prefix or "c7-legacy-",
            cleanup_enabled=g.flag("camunda.migrator.history.auto-cancel.cleanup.enabled", True),
            cleanup_ttl=ttl,
        ),
        identity=identity,
        extras=extras,
        log_level=(g.text("logging.level.io.camunda.migration.data") or g.text("logging.level.root") or "WARN").upper(),
        log_file=g.text("logging.file.name"),
        source=source,
    )


def validate_legacy_prefix(value: object) -> str:
    key = "camunda.migrator.history.legacy-id-prefix"
    text = "" if value is None else str(value)
    if not text.strip():
        raise ConfigError(
            key,
            "Invalid property camunda.migrator.history.legacy-id-prefix: the prefix must not be blank. "
            "Remove the property to use the default 'c7-legacy-', or configure a non-blank value.",
        )
    if len(text) > 100:
        raise ConfigError(
            key,
            f"Invalid property camunda.migrator.history.legacy-id-prefix '{text}': "
            "the prefix must not exceed 100 characters.",
        )
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9._-]*", text):
        raise ConfigError(
            key,
            f"Invalid property camunda.migrator.history.legacy-id-prefix '{text}': the prefix must start with "
            "a letter or underscore and may only contain letters, digits, '.', '-' and '_'.",
        )
    return text


def parse_duration_s(key: str, value: object) -> float:
    """ISO-8601 duration (`PT10S`), Spring simple form (`10s`, `500ms`) or plain milliseconds."""
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text) / 1000.0
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)", text, re.I)
    if m:
        return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2).lower()]
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", text, re.I)
    if m and any(m.groups()):
        h, mi, s = m.groups()
        return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)
    raise ConfigError(key, f"'{text}' is not a duration such as PT10S or 10s")


_DASK_PROTOCOLS = ("tcp", "tls", "ws", "wss", "inproc", "ucx")
_DASK_ADDRESS = re.compile(r"^(?:[a-z]+://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::\d+)?(?:/\S*)?$")
_DASK_LOCAL = re.compile(r"^local(?::(?P<n>\d+))?$")


def dask_address_problem(value: str) -> str | None:
    """Why `value` is not a Dask scheduler address (tcp://HOST:PORT, HOST:PORT, local[:N]); None if it is."""
    local = _DASK_LOCAL.match(value)
    if local:
        if local["n"] is not None and int(local["n"]) < 1:
            return f"'{value}': a local cluster needs at least 1 worker (local:N, N >= 1)"
        return None
    use = "use tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786, or local[:N] for a local cluster of N processes"
    if "://" in value and value.split("://", 1)[0] not in _DASK_PROTOCOLS:
        return f"'{value}' has an unknown protocol ({use})"
    if not _DASK_ADDRESS.match(value):
        return f"'{value}' is not a Dask scheduler address ({use})"
    return None


def _dask_scheduler(g: _Getter) -> str | None:
    key = "c7to8.distributed.scheduler"
    value = (g.text(key) or "").strip()
    if not value:
        return None
    problem = dask_address_problem(value)
    if problem:
        raise ConfigError(key, problem)
    if g.integer("c7to8.workers", 1) > 1:
        raise ConfigError(key, "cannot be combined with c7to8.workers > 1: Dask runs the shards "
                               "(set their number with c7to8.distributed.shards)")
    return value


MAX_RUNTIME_CONCURRENCY = 64


def check_runtime_concurrency(key: str, value: int) -> int:
    """`c7to8.runtime-concurrency` / `--runtime-concurrency`: 1..64 (a thread and a connection each)."""
    if not 1 <= value <= MAX_RUNTIME_CONCURRENCY:
        raise ConfigError(key, f"must be between 1 and {MAX_RUNTIME_CONCURRENCY}, got {value}")
    return value


def _validate_zone(zone: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("c7to8.time-zone", f"'{zone}' is not a known time zone (e.g. UTC, Europe/Berlin)") from exc
    return zone


VENDORS = ("h2", "postgresql", "oracle", "mariadb", "mysql", "mssql", "sqlite", "db2")


def _data_source(g: _Getter, side: str) -> DataSourceConfig | None:
    base = f"camunda.migrator.{side}.data-source"
    jdbc = g.text(f"{base}.jdbc-url") or g.text(f"{base}.url")
    if not jdbc:
        if side == "c7" and any(k.startswith(base + ".") for k in g.raw):
            raise ConfigError(f"{base}.jdbc-url", "is required")
        return None
    username = g.text(f"{base}.username")
    password = g.text(f"{base}.password")
    url = jdbc_to_sqlalchemy(jdbc, username, password, f"{base}.jdbc-url")
    vendor = g.text(f"{base}.vendor")
    if vendor and vendor.lower() not in VENDORS:
        raise ConfigError(f"{base}.vendor", f"Invalid databaseIdOverride '{vendor}', must be one of {list(VENDORS)}")
    schema = g.text(f"{base}.schema")
    if side == "c8" and schema:
        url = _with_search_path(url, schema, f"{base}.schema")
    return DataSourceConfig(
        key=base,
        url=url,
        jdbc_url=_mask(jdbc) if jdbc.startswith("jdbc:") else None,
        table_prefix=(g.text(f"{base}.table-prefix") or "").strip(),
        auto_ddl=g.flag(f"{base}.auto-ddl", False),
        vendor=vendor.lower() if vendor else None,
        schema=schema,
    )


def _with_search_path(url: URL, schema: str, key: str) -> URL:
    """The Camunda 8 side's schema: PostgreSQL's search path of every connection, so the Camunda 8
    tables, the tracking table and the set-based lane's statements all resolve there."""
    if not url.drivername.startswith("postgresql"):
        raise ConfigError(key, "is supported for a PostgreSQL Camunda 8 database only; on other databases name "
                               "the database (or the user's default schema) in the jdbc-url")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", schema):
        raise ConfigError(key, f"'{schema}' is not a plain schema name (letters, digits, _ and $)")
    options = str(url.query.get("options") or "")
    return url.update_query_dict({"options": f"{options} -csearch_path={schema}".strip()})


class _Getter:
    def __init__(self, raw: Mapping[str, object]) -> None:
        self.raw = raw

    def text(self, key: str) -> str | None:
        v = self.raw.get(key)
        if v is None:
            return None
        if isinstance(v, Mapping | list):
            raise ConfigError(key, "must be a single value")
        s = f"{v}"
        return s if s != "" else None

    def flag(self, key: str, default: bool) -> bool:
        v = self.raw.get(key)
        if v is None or v == "":
            return default
        if isinstance(v, bool):
            return v
        s = f"{v}".strip().lower()
        if s in ("true", "yes", "on", "1"):
            return True
        if s in ("false", "no", "off", "0"):
            return False
        raise ConfigError(key, f"'{v}' is not a boolean (true/false)")

    def opt_int(self, key: str) -> int | None:
        v = self.raw.get(key)
        if v is None or v == "":
            return None
        if isinstance(v, bool):
            raise ConfigError(key, f"'{v}' is not a whole number")
        try:
            return int(f"{v}".strip())
        except ValueError as exc:
            raise ConfigError(key, f"'{v}' is not a whole number") from exc

    def integer(self, key: str, default: int, minimum: int | None = None) -> int:
        v = self.opt_int(key)
        if v is None:
            return default
        if minimum is not None and v < minimum:
            raise ConfigError(key, f"must be at least {minimum}, got {v}")
        return v

    def str_list(self, key: str) -> list[str]:
        v = self.raw.get(key)
        if v is None or v == "":
            return []
        items: list[Any] = list(v) if isinstance(v, list | tuple) else f"{v}".split(",")
        return [f"{i}".strip() for i in items if f"{i}".strip()]

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        v = (self.text(key) or default).strip().lower()
        if v not in allowed:
            raise ConfigError(key, f"'{v}' must be one of {', '.join(allowed)}")
        return v
