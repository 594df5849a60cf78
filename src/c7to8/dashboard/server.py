"""The dashboard's HTTP server: stdlib only, read-only (GET/HEAD), loopback by default.

Endpoints (JSON unless noted; every one needs the token when a token is set):
  /                       the page (HTML, inline script and style under a nonce CSP, no CDN)
  /api/summary            per TYPE: migrated and skipped counts (one GROUP BY)
  /api/reasons?type=T     skip reasons of a type, grouped, most frequent first
  /api/mappings?type=T&status=migrated|skipped&q=TEXT&after=C7ID&limit=N
                          C7 id -> C8 key (and reason), keyset-paged by C7_ID (never OFFSET);
                          q matches a C7 id prefix or an exact C8 key
  /api/progress           the progress file of a running (or the last) migration
  /healthz                "ok" (text)
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, and_, func, or_, select

from ..errors import UsageError
from ..store.tracking import EntityType, Tracking
from .page import render_page
from .progress import progress_path, read_progress

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger("c7to8.dashboard")

DEFAULT_PORT = 8097
MAX_LIMIT = 500
TYPE_NAMES = {t.name for t in EntityType}


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class DashboardData:
    """Read-only queries on the tracking table, each bounded (GROUP BY or a keyset page)."""

    def __init__(self, engine: Engine, prefix: str, progress_file: Path) -> None:
        self.tracking = Tracking(engine, prefix)
        self.progress_file = progress_file

    def summary(self) -> dict[str, Any]:
        rows: dict[str, dict[str, Any]] = {}
        if self.tracking.exists():
            t = self.tracking.table
            q = select(t.c["TYPE"], func.count(), func.count(t.c.C8_KEY)).group_by(t.c["TYPE"])
            with self.tracking.engine.connect() as conn:
                for typ, total, migrated in conn.execute(q):
                    rows[str(typ)] = {"migrated": int(migrated), "skipped": int(total) - int(migrated)}
        types = []
        for et in EntityType:
            r = rows.get(et.name, {"migrated": 0, "skipped": 0})
            types.append({"type": et.name, "display": et.display, "history": et.is_history, **r})
        return {
            "tracking_table": self.tracking.table.name,
            "exists": bool(rows) or self.tracking.exists(),
            "types": types,
            "migrated": sum(r["migrated"] for r in rows.values()),
            "skipped": sum(r["skipped"] for r in rows.values()),
        }

    def reasons(self, type_: str | None) -> list[dict[str, Any]]:
        if not self.tracking.exists():
            return []
        et = EntityType[type_] if type_ else None
        pairs = sorted(self.tracking.skip_reasons(et).items(), key=lambda p: (-p[1], p[0]))
        return [{"reason": None if r == "None" else r, "count": n} for r, n in pairs[:200]]

    def mappings(self, type_: str, skipped: bool, q: str, after: str | None, limit: int) -> dict[str, Any]:
        if not self.tracking.exists():
            return {"rows": [], "next": None}
        t = self.tracking.table
        conds = [t.c["TYPE"] == type_, t.c.C8_KEY.is_(None) if skipped else t.c.C8_KEY.is_not(None)]
        if q:
            like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds.append(or_(t.c.C7_ID.like(like, escape="\\"), t.c.C8_KEY == q))
        if after is not None:
            conds.append(t.c.C7_ID > after)
        stmt = (select(t.c.C7_ID, t.c.C8_KEY, t.c.SKIP_REASON, t.c.CREATE_TIME).where(and_(*conds))
                .order_by(t.c.C7_ID).limit(limit + 1))
        with self.tracking.engine.connect() as conn:
            page = [
                {"c7_id": a, "c8_key": b, "reason": c, "create_time": d.isoformat() if d is not None else None}
                for a, b, c, d in conn.execute(stmt)
            ]
        nxt = page[limit - 1]["c7_id"] if len(page) > limit else None
        return {"rows": page[:limit], "next": nxt}

    def progress(self) -> dict[str, Any]:
        return read_progress(self.progress_file)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    data: DashboardData
    token: str | None
    allowed_hosts: set[str] | None


class Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "c7to8-dashboard"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    # ------------------------------------------------------------- plumbing
    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, doc: Any, status: int = 200) -> None:
        self._send(status, json.dumps(doc, default=str).encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json({"error": message}, status)

    def _authorized(self, params: dict[str, list[str]]) -> bool:
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("X-C7to8-Token") or (params.get("token") or [""])[0]
        return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))

    def _host_ok(self) -> bool:
        allowed = self.server.allowed_hosts
        return allowed is None or (self.headers.get("Host") or "").lower() in allowed

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "the dashboard is read-only")

    do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        params = parse_qs(url.query)
        if not self._host_ok():
            self._error(HTTPStatus.FORBIDDEN, "unexpected Host header")
            return
        if url.path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
            return
        if url.path == "/healthz":
            self._send(200, b"ok", "text/plain; charset=utf-8")
            return
        if not self._authorized(params):
            self._error(HTTPStatus.UNAUTHORIZED, "a valid token is required (?token=… or X-C7to8-Token)")
            return
        routes: dict[str, Callable[[dict[str, list[str]]], None]] = {
            "/": self._page,
            "/index.html": self._page,
            "/api/summary": lambda p: self._json(self.server.data.summary()),
            "/api/reasons": self._reasons,
            "/api/mappings": self._mappings,
            "/api/progress": lambda p: self._json(self.server.data.progress()),
        }
        route = routes.get(url.path)
        if route is None:
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        try:
            route(params)
        except ValueError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except Exception as exc:  # noqa: BLE001 - a failing query must not kill the server
            log.warning("dashboard request %s failed: %s", url.path, exc)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")

    # ------------------------------------------------------------- routes
    def _page(self, params: dict[str, list[str]]) -> None:
        nonce = secrets.token_urlsafe(16)
        csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
               "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        body = render_page(nonce).encode("utf-8")
        self._send(200, body, "text/html; charset=utf-8", {"Content-Security-Policy": csp})

    @staticmethod
    def _type(params: dict[str, list[str]], required: bool = True) -> str | None:
        t = (params.get("type") or [""])[0]
        if not t and not required:
            return None
        if t not in TYPE_NAMES:
            raise ValueError(f"unknown type '{t}'")
        return t

    def _reasons(self, params: dict[str, list[str]]) -> None:
        self._json(self.server.data.reasons(self._type(params, required=False)))

    def _mappings(self, params: dict[str, list[str]]) -> None:
        t = self._type(params)
        assert t is not None
        status = (params.get("status") or ["migrated"])[0]
        if status not in ("migrated", "skipped"):
            raise ValueError("status must be migrated or skipped")
        q = (params.get("q") or [""])[0].strip()[:255]
        after_list = params.get("after")
        after = after_list[0] if after_list else None
        raw_limit = (params.get("limit") or ["50"])[0]
        if not raw_limit.isdigit():
            raise ValueError("limit must be a whole number")
        limit = max(1, min(MAX_LIMIT, int(raw_limit)))
        self._json(self.server.data.mappings(t, status == "skipped", q, after, limit))


def make_server(data: DashboardData, bind: str = "127.0.0.1", port: int = DEFAULT_PORT,
                token: str | None = None) -> _Server:
    server = _Server((bind, port), Handler)
    server.data = data
    server.token = token
    actual = server.server_address[1]
    if is_loopback(bind):
        names = {"127.0.0.1", "localhost", "[::1]", bind if ":" not in bind else f"[{bind}]"}
        server.allowed_hosts = {f"{n}:{actual}" for n in names} | names
    else:
        server.allowed_hosts = None  # reachable under any name; the token protects it
    return server


def serve(app: App, port: int | None = None, bind: str | None = None, token: str | None = None,
          ready: Callable[[_Server], None] | None = None, stop: threading.Event | None = None) -> int:
    """Run the dashboard until interrupted. Returns the exit code."""
    bind = bind or "127.0.0.1"
    if token is None and not is_loopback(bind):
        token = secrets.token_urlsafe(18)
        generated = True
    else:
        generated = False
    if token is not None and len(token) < 8:
        raise UsageError("--token must have at least 8 characters.")
    if app.config.c8 is None and app.config.c7 is None:
        raise UsageError("--dashboard needs camunda.migrator.c8.data-source (or c7) to read the tracking table.")
    data = DashboardData(app.migrator_engine, app.config.table_prefix, progress_path(app.config, app.progress_file))
    try:
        server = make_server(data, bind, DEFAULT_PORT if port is None else port, token)
    except OSError as exc:
        raise UsageError(f"cannot listen on {bind}:{port if port is not None else DEFAULT_PORT}: {exc}") from exc
    host, actual = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{actual!s}/" + (f"?token={token}" if token and generated else "")
    print(f"c7to8 dashboard: {url}", flush=True)
    if generated:
        print("Bound beyond loopback: every request needs this token (generated; pass --token to choose one).",
              flush=True)
    print(f"Progress file: {data.progress_file}", flush=True)
    print("Read-only. Press Ctrl+C to stop.", file=sys.stderr, flush=True)
    if ready is not None:
        ready(server)
    if stop is not None:
        def stopper() -> None:
            stop.wait()
            server.shutdown()

        threading.Thread(target=stopper, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
