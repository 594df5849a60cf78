"""Identity migration (`--identity`): users, groups (+ memberships), tenants (+ memberships),
authorizations, in that order (identity.md §1).

Selection does not use the official "ID_ > largest tracked id" cursor, which misses entities
whose ids sort below the last migrated one: each C7 table is scanned in id order and every page is
anti-joined with the tracking table, so anything not tracked yet is picked up, whatever its id.

Passwords: every created user gets a fresh 16-character password from the OS CSPRNG. It is never
logged or stored, only written to `--identity-credentials FILE` (created with mode 0600) when that
option is given.

The request bodies are pure functions (tested); the REST calls follow the 8.9 OpenAPI but were never
run against a live Camunda 8 by c7to8's test suite.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Table, and_, select, update

from .c7.source import C7Source
from .c8.rest import C8Client, RestError, Unreachable
from .identity_mapping import (
    AuthorizationSkip,
    C7Authorization,
    MappedAuthorization,
    map_authorization,
)
from .report import Summary
from .store.tracking import EntityType, Tracking, TrackRow

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger("io.camunda.migration.data.IdentityMigrator")

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
SPECIAL = "!@#$%^&*()-_=+[]{};:,.?"
PASSWORD_LENGTH = 16
MIGRATED_KEY = "1"  # placeholder C8 key of users, groups and tenants (official)


# ---------------------------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------------------------
def generate_password(rng: secrets.SystemRandom | None = None) -> str:
    """16 characters from a CSPRNG: one upper, lower, digit and special each, 12 from their union,
    Fisher-Yates shuffled (the official SecurePasswordGenerator's rule)."""
    r = rng or secrets.SystemRandom()
    alphabet = UPPER + LOWER + DIGITS + SPECIAL
    chars = [r.choice(UPPER), r.choice(LOWER), r.choice(DIGITS), r.choice(SPECIAL)]
    chars += [r.choice(alphabet) for _ in range(PASSWORD_LENGTH - 4)]
    r.shuffle(chars)
    return "".join(chars)


def _java_str(v: Any) -> str:
    return "null" if v is None else str(v)


def user_body(row: Mapping[str, Any], password: str) -> dict[str, Any]:
    """`POST /v2/users`. Name as the official tool builds it ("<first> <last>", Java null text)."""
    body: dict[str, Any] = {
        "username": str(row["ID_"]),
        "name": f"{_java_str(row.get('FIRST_'))} {_java_str(row.get('LAST_'))}",
        "password": password,
    }
    if row.get("EMAIL_") is not None:
        body["email"] = str(row["EMAIL_"])
    return body


def group_body(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"groupId": str(row["ID_"]), "name": row.get("NAME_")}


def tenant_body(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"tenantId": str(row["ID_"]), "name": row.get("NAME_")}


def authorization_from_row(row: Mapping[str, Any]) -> C7Authorization:
    def s(k: str) -> str | None:
        v = row.get(k)
        return None if v is None else str(v)

    return C7Authorization(
        id=str(row["ID_"]), type=int(row["TYPE_"]), user_id=s("USER_ID_"), group_id=s("GROUP_ID_"),
        resource_type=int(row["RESOURCE_TYPE_"]), resource_id=s("RESOURCE_ID_"), perms=int(row["PERMS_"] or 0),
    )


def untracked(ids: Sequence[str], tracked: Mapping[str, Any]) -> list[str]:
    """The anti-join: ids of a C7 page that have no tracking row (migrated or skipped) yet."""
    return [i for i in ids if i not in tracked]


def segment(v: str) -> str:
    return quote(v, safe="")


class CredentialsFile:
    """Opt-in `--identity-credentials FILE`: `username<TAB>password` lines, mode 0600 from the start."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # also for a file that existed with wider permissions
        self._fd = fd

    def write(self, username: str, password: str) -> None:
        os.write(self._fd, f"{username}\t{password}\n".encode())
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


# ---------------------------------------------------------------------------------------------
# Reading C7 identity tables
# ---------------------------------------------------------------------------------------------
class IdentityReader:
    def __init__(self, src: C7Source, tracking: Tracking, page_size: int) -> None:
        self.src = src
        self.engine = src.engine
        self.tracking = tracking
        self.page_size = max(page_size, 1)

    def pending(self, table: str, type_: EntityType) -> Iterator[dict[str, Any]]:
        """Rows of `table` without a tracking row of `type_`, scanned by ID_ (keyset) and anti-joined
        page by page with the tracking table (which may live in another database)."""
        t = self.src.table(table)  # SourceError naming the table if this is no C7 database
        last: str | None = None
        while True:
            q = select(t).order_by(t.c.ID_).limit(self.page_size)
            if last is not None:
                q = q.where(t.c.ID_ > last)
            with self.engine.connect() as conn:
                page = [dict(r._mapping) for r in conn.execute(q)]
            if not page:
                return
            last = str(page[-1]["ID_"])
            ids = [str(r["ID_"]) for r in page]
            with self.tracking.engine.connect() as tconn:
                tracked = self.tracking.tracked(tconn, type_, ids)
            keep = set(untracked(ids, tracked))
            yield from (r for r in page if str(r["ID_"]) in keep)
            if len(page) < self.page_size:
                return

    def by_id(self, table: str, c7_id: str) -> dict[str, Any] | None:
        t = self.src.table(table)
        with self.engine.connect() as conn:
            r = conn.execute(select(t).where(t.c.ID_ == c7_id)).first()
        return dict(r._mapping) if r is not None else None

    def group_members(self, group_id: str) -> list[str]:
        t = self.src.table("ACT_ID_MEMBERSHIP")
        with self.engine.connect() as conn:
            return [str(u) for (u,) in conn.execute(
                select(t.c.USER_ID_).where(t.c.GROUP_ID_ == group_id).order_by(t.c.USER_ID_))]

    def tenant_members(self, tenant_id: str) -> tuple[list[str], list[str]]:
        t = self.src.table("ACT_ID_TENANT_MEMBER")
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.USER_ID_, t.c.GROUP_ID_).where(t.c.TENANT_ID_ == tenant_id)
                                .order_by(t.c.ID_)).all()
        return [str(u) for u, _ in rows if u], [str(g) for _, g in rows if g]

    def deployment_keys(self, deployment_id: str) -> list[str]:
        """Definition keys of one deployment: processes, decisions, DRDs, forms (CMMN ignored)."""
        keys: list[str] = []
        with self.engine.connect() as conn:
            for table in ("ACT_RE_PROCDEF", "ACT_RE_DECISION_DEF", "ACT_RE_DECISION_REQ_DEF", "ACT_RE_CAMFORMDEF"):
                if not self.src.has(table):
                    continue
                t: Table = self.src.table(table)
                for (k,) in conn.execute(select(t.c.KEY_).where(t.c.DEPLOYMENT_ID_ == deployment_id)
                                         .distinct().order_by(t.c.KEY_)):
                    if str(k) not in keys:
                        keys.append(str(k))
        log.info("Found %d definitions for deployment [%s]", len(keys), deployment_id)
        return keys


# ---------------------------------------------------------------------------------------------
# Orchestrator
# ---------------------------------------------------------------------------------------------
TABLES = {
    EntityType.USER: "ACT_ID_USER",
    EntityType.GROUP: "ACT_ID_GROUP",
    EntityType.TENANT: "ACT_ID_TENANT",
    EntityType.AUTHORIZATION: "ACT_RU_AUTHORIZATION",
}


class IdentityMigrator:
    def __init__(
        self,
        app: App,
        client: C8Client | None = None,
        credentials_file: str | None = None,
        password_generator: Callable[[], str] = generate_password,
    ) -> None:
        self.config = app.config
        self.tracking = app.tracking
        prefix = self.config.c7.table_prefix if self.config.c7 else ""
        self.src = C7Source(app.c7, prefix)
        self.reader = IdentityReader(self.src, self.tracking, self.config.page_size)
        self.client = client or C8Client(self.config.client)
        self.passwords = password_generator
        self.credentials = CredentialsFile(credentials_file) if credentials_file else None
        self.summary = Summary("Identity migration")
        self.retry = False
        log.info("Initialized identity sync util with timeout [%d ms] and poll interval [%d ms]",
                 self.config.identity.sync_timeout_ms, self.config.identity.sync_poll_interval_ms)

    def close(self) -> None:
        self.client.close()
        if self.credentials is not None:
            self.credentials.close()

    # ------------------------------------------------------------------ phases
    def run(self, retry_only: bool = False) -> Summary:
        self.retry = retry_only
        ident = self.config.identity
        phases: list[tuple[EntityType, Callable[[dict[str, Any]], None]]] = []
        if ident.skip_users:
            log.info("skip-users is enabled in configuration, migration for users will not be performed")
        else:
            phases.append((EntityType.USER, self._user))
        if ident.skip_groups:
            log.info("skip-groups is enabled in configuration, migration for groups will not be performed")
        else:
            phases.append((EntityType.GROUP, self._group))
        phases.append((EntityType.TENANT, self._tenant))
        phases.append((EntityType.AUTHORIZATION, self._authorization))
        for type_, handle in phases:
            name = type_.display.lower()
            log.info("Starting migration of %s entities", name)
            for row in self._rows(type_):
                self.summary.stats(type_.display).read += 1
                handle(row)
        self.summary.finish()
        return self.summary

    def _rows(self, type_: EntityType) -> Iterator[dict[str, Any]]:
        table = TABLES[type_]
        if not self.retry:
            yield from self.reader.pending(table, type_)
            return
        ids = [c7 for c7, _, _ in self.tracking.iter_rows(type_, skipped=True)]
        for c7_id in ids:
            row = self.reader.by_id(table, c7_id)
            if row is None:
                log.info("%s with ID %s can no longer be found, it might have been removed", type_.display, c7_id)
                continue
            yield row

    # ------------------------------------------------------------------ entities
    def _user(self, row: dict[str, Any]) -> None:
        uid = str(row["ID_"])
        log.debug("Migrating user [%s]", uid)
        password = self.passwords()
        try:
            self.client.post("/users", user_body(row, password), what=f"user {uid}")
        except RestError as exc:
            reason = self._reason(exc, f"Failed to migrate user: {uid}")
            log.warning("User [%s] was skipped: %s", uid, reason)
            self._record(EntityType.USER, uid, None, None)
            return
        if self.credentials is not None:
            self.credentials.write(uid, password)
        log.info("Successfully migrated user [%s]", uid)
        self._record(EntityType.USER, uid, MIGRATED_KEY, None)
        self._wait_visible(f"/users/{segment(uid)}", f"User visible: {uid}")

    def _group(self, row: dict[str, Any]) -> None:
        gid, name = str(row["ID_"]), row.get("NAME_")
        log.debug("Migrating group [%s] (name: %s)", gid, _java_str(name))
        try:
            self.client.post("/groups", group_body(row), what=f"group {gid}")
        except RestError as exc:
            reason = self._reason(exc, f"Failed to migrate group with ID: {gid}")
            log.warning("Group with ID [%s] (name: %s) was skipped: %s", gid, _java_str(name), reason)
            self._record(EntityType.GROUP, gid, None, None)
            return
        log.info("Successfully migrated group [%s] (name: %s)", gid, _java_str(name))
        self._record(EntityType.GROUP, gid, MIGRATED_KEY, None)
        self._wait_visible(f"/groups/{segment(gid)}", f"Group visible: {gid}")
        log.info("Migrating group memberships for group [%s]", gid)
        for uid in self.reader.group_members(gid):
            log.info("Migrating group membership for group [%s] and user [%s]", gid, uid)
            try:
                if not self.client.exists(f"/users/{segment(uid)}", what=f"user {uid}"):
                    raise RestError(f"user {uid} does not exist in C8", 404)
                self.client.put(f"/groups/{segment(gid)}/users/{segment(uid)}", what=f"group {gid}")
            except RestError as exc:
                if isinstance(exc, Unreachable):
                    raise
                msg = f"Failed to create group membership for group [{gid}] and user [{uid}], check logs for details"
                log.error(msg)
                log.warning("There was an error while migrating group membership for group [%s] and user [%s]: %s",
                            gid, uid, msg)
                continue
            log.info("Successfully migrated group membership for group [%s] and user [%s]", gid, uid)

    def _tenant(self, row: dict[str, Any]) -> None:
        tid, name = str(row["ID_"]), row.get("NAME_")
        log.debug("Migrating tenant [%s] (name: %s)", tid, _java_str(name))
        try:
            self.client.post("/tenants", tenant_body(row), what=f"tenant {tid}")
        except RestError as exc:
            reason = self._reason(exc, f"Failed to migrate tenant with ID: {tid}")
            log.warning("Tenant with ID [%s] (name: %s) was skipped: %s", tid, _java_str(name), reason)
            self._record(EntityType.TENANT, tid, None, reason)
            return
        log.info("Successfully migrated tenant [%s] (name: %s)", tid, _java_str(name))
        self._record(EntityType.TENANT, tid, MIGRATED_KEY, None)
        self._wait_visible(f"/tenants/{segment(tid)}", f"Tenant visible: {tid}")
        log.info("Migrating tenant memberships for tenant [%s]", tid)
        users, groups = self.reader.tenant_members(tid)
        for kind, member in [("USER", u) for u in users] + [("GROUP", g) for g in groups]:
            log.info("Migrating tenant membership for tenant [%s] and %s [%s]", tid, kind, member)
            base = "users" if kind == "USER" else "groups"
            try:
                if not self.client.exists(f"/{base}/{segment(member)}", what=f"{kind.lower()} {member}"):
                    raise RestError(f"{kind.lower()} {member} does not exist in C8", 404)
                self.client.put(f"/tenants/{segment(tid)}/{base}/{segment(member)}", what=f"tenant {tid}")
            except RestError as exc:
                if isinstance(exc, Unreachable):
                    raise
                msg = (f"Failed to create tenant membership for tenant [{tid}] and {kind.lower()} [{member}], "
                       "check logs for details")
                log.error(msg)
                log.warning("There was an error while migrating tenant membership for tenant [%s] and %s [%s]: %s",
                            tid, kind, member, msg)
                continue
            log.info("Successfully migrated tenant membership for tenant [%s] and %s [%s]", tid, kind, member)

    def _authorization(self, row: dict[str, Any]) -> None:
        auth = authorization_from_row(row)
        owner_kind = auth.owner_type.lower()
        where = f"for {owner_kind} [{auth.owner_id}] on {auth.resource_name} [{auth.resource_id}]"
        log.debug("Migrating authorization [%s] %s", auth.id, where)
        result = map_authorization(auth, self._owner_exists, self.reader.deployment_keys,
                                   prefix=self.config.history.legacy_id_prefix)
        if isinstance(result, AuthorizationSkip):
            self._skip_authorization(auth, where, result.reason)
            return
        assert isinstance(result, MappedAuthorization)
        first_key: str | None = None
        payloads = result.payloads()
        try:
            for body in payloads:
                if len(payloads) > 1:
                    log.debug("Migrating child authorization for resource [%s]", body["resourceId"])
                resp = self.client.post("/authorizations", body, what=f"authorization {auth.id}")
                key = str(resp.get("authorizationKey"))
                first_key = first_key or key
                if len(payloads) > 1:
                    log.debug("Successfully migrated child authorization for resource [%s]", body["resourceId"])
        except RestError as exc:
            self._skip_authorization(
                auth, where, self._reason(exc, f"Failed to migrate authorization with legacy ID: {auth.id}"))
            return
        log.info("Successfully migrated authorization [%s] %s", auth.id, where)
        self._record(EntityType.AUTHORIZATION, auth.id, first_key, None)

    def _skip_authorization(self, auth: C7Authorization, where: str, reason: str) -> None:
        log.warning("Authorization with ID [%s] %s was skipped: %s", auth.id, where, reason)
        self._record(EntityType.AUTHORIZATION, auth.id, None, reason)

    def _owner_exists(self, auth: C7Authorization) -> bool:
        base = "users" if auth.owner_type == "USER" else "groups"
        try:
            return self.client.exists(f"/{base}/{segment(auth.owner_id)}", what=f"owner {auth.owner_id}")
        except Unreachable:
            raise
        except RestError as exc:
            raise RuntimeError(f"Cannot verify owner existence: {exc.detail}") from exc

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _reason(exc: RestError, step_message: str) -> str:
        if isinstance(exc, Unreachable):
            raise exc  # C8 offline: abort the run (official)
        if exc.status is not None and exc.detail:
            return exc.detail  # the problem detail of the C8 rejection
        log.error(step_message)
        return step_message

    def _record(self, type_: EntityType, c7_id: str, key: str | None, reason: str | None) -> None:
        if key is None:
            self.summary.stats(type_.display).skipped += 1
        else:
            self.summary.stats(type_.display).migrated += 1
        if type_ in (EntityType.USER, EntityType.GROUP):
            reason = None  # official: user/group skip reasons are never stored
        tr = TrackRow(c7_id, type_, key, None, reason)
        with self.tracking.engine.begin() as conn:
            if self.retry:
                if key is None and type_ in (EntityType.USER, EntityType.GROUP):
                    t = self.tracking.table
                    conn.execute(update(t).where(and_(t.c.C7_ID == c7_id, t.c["TYPE"] == type_.name))
                                 .values(C8_KEY=None, SKIP_REASON=None))
                else:
                    self.tracking.update_retried(conn, [tr])
            else:
                self.tracking.insert(conn, [tr])

    def _wait_visible(self, path: str, alias: str) -> None:
        ident = self.config.identity
        deadline = time.monotonic() + ident.sync_timeout_ms / 1000
        while True:
            try:
                if self.client.exists(path, what=alias):
                    return
            except Unreachable:
                raise
            except RestError:
                return
            if time.monotonic() >= deadline:
                log.info("Wait condition for [%s] timed out (timeout: [%d ms])", alias, ident.sync_timeout_ms)
                return
            time.sleep(ident.sync_poll_interval_ms / 1000)
