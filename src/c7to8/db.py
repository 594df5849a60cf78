"""Engine creation for the C7 source and the C8 target, with errors a user can act on."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, OperationalError

from .config import DataSourceConfig
from .errors import C7to8Error, NotSupportedYet, SourceError, TargetError


def open_engine(ds: DataSourceConfig, role: str, pool_size: int = 5) -> Engine:
    """Create and test a SQLAlchemy engine. `role` is "c7" or "c8" (chooses the error type)."""
    err: type[C7to8Error] = SourceError if role == "c7" else TargetError
    url = ds.url
    if url.drivername == "h2":
        if role != "c7":
            raise NotSupportedYet(
                f"{ds.key}.jdbc-url: H2 is supported as the Camunda 7 source only; c7to8 cannot write Camunda 8 "
                "data into H2. Use PostgreSQL, MariaDB/MySQL, Oracle or SQL Server for Camunda 8."
            )
        from .c7 import h2

        return h2.open_h2_engine(h2.jdbc_url_of(url), url.username, url.password, ds.key, pool_size=pool_size)
    kwargs: dict[str, object] = {"future": True}
    if url.drivername.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 60}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError as exc:
        raise err(f"{ds.key}: no Python driver for '{url.drivername}' is installed ({exc})") from exc
    except ModuleNotFoundError as exc:
        raise err(f"{ds.key}: the Python driver for '{url.drivername}' is missing: pip install {exc.name}") from exc
    missing = False  # the Camunda 8 schema is the search path (config._with_search_path): it must exist
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if role == "c8" and ds.schema and engine.dialect.name == "postgresql":
                missing = conn.execute(text("SELECT current_schema()")).scalar() is None
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise err(f"cannot connect to {ds.key} ({ds.display_url()}): {reason}") from exc
    if missing:
        engine.dispose()
        raise err(f"{ds.key}.schema: the schema '{ds.schema}' does not exist in the Camunda 8 database "
                  f"({ds.display_url()}); create it, or leave the key out to use the default schema")
    return engine
