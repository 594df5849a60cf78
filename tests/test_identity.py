"""Identity migration decisions on the identity rows a real Camunda 7 engine wrote (harness).

No Camunda 8 server can run here: the tests cover selection (the tracking anti-join cursor),
permission decoding, the full authorization mapping with the official skip reasons, the request
bodies, password generation and the credentials file. The orchestration runs against Camunda 8
unreachable, and against the PROTOCOL STUB (tests/support/c8_protocol_stub.py, not Camunda 8) for
the skip reasons of every identity entity (tracking rows, logs, summary, save-skip-reason).
"""

from __future__ import annotations

import logging
import os
import stat
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, select, text

from c7to8.app import App
from c7to8.c7.source import C7Source
from c7to8.c8.rest import C8Client, Unreachable
from c7to8.config import ClientConfig, Config, DataSourceConfig
from c7to8.identity import (
    DIGITS,
    LOWER,
    SPECIAL,
    UPPER,
    CredentialsFile,
    IdentityMigrator,
    IdentityReader,
    authorization_from_row,
    generate_password,
    group_body,
    tenant_body,
    untracked,
    user_body,
)
from c7to8.identity_mapping import (
    C8_ALL_PERMISSIONS,
    RESOURCE_MAPPING,
    AuthorizationSkip,
    C7Authorization,
    MappedAuthorization,
    decode_permissions,
    map_authorization,
)
from c7to8.store.tracking import EntityType, Tracking, TrackRow
from tests.support.databases import harness_postgres, shared_reference, unique_name


@dataclass
class World:
    engine: Engine
    url: Any
    src: C7Source
    auths: list[dict[str, Any]]
    owners: set[str]
    usertasks_deployment: str


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with harness_postgres("c7id") as (_, engine):
        url = engine.url
        with engine.connect() as conn:
            auths = [{k.upper(): v for k, v in r._mapping.items()}
                     for r in conn.execute(text("SELECT * FROM ACT_RU_AUTHORIZATION"))]
            owners = {str(i) for (i,) in conn.execute(text("SELECT ID_ FROM ACT_ID_USER UNION SELECT ID_ FROM "
                                                            "ACT_ID_GROUP"))}
            dep = conn.execute(text("SELECT DEPLOYMENT_ID_ FROM ACT_RE_PROCDEF WHERE KEY_ = 'usertasks'")).scalar()
        yield World(engine, url, C7Source(engine), auths, owners, str(dep))


def _tracking(w: World) -> Tracking:
    tr = Tracking(w.engine, prefix=f"T{unique_name('x')[-6:]}_", save_skip_reason=True)
    tr.ensure_schema()
    return tr


# --------------------------------------------------------------------------------------------
# Authorization mapping: every harness authorization, exactly
# --------------------------------------------------------------------------------------------
CRUD = ["CREATE", "DELETE", "READ", "UPDATE"]
UNSUPPORTED = "GLOBAL and REVOKE authorization types are not supported"


def expected(dep: str) -> dict[tuple[int, str, int, str, int], Any]:
    """(TYPE_, owner, RESOURCE_TYPE_, RESOURCE_ID_, PERMS_) -> (ownerType, resourceType, ids, perms) or reason."""
    all_batch = sorted(C8_ALL_PERMISSIONS["8.9"]["BATCH"])
    all_pd = sorted(C8_ALL_PERMISSIONS["8.9"]["PROCESS_DEFINITION"])
    return {
        (1, "demo", 0, "*", 2147483647): ("USER", "COMPONENT", ["*"], ["ACCESS"]),
        (1, "accounting", 0, "tasklist", 32): ("GROUP", "COMPONENT", ["tasklist"], ["ACCESS"]),
        (1, "management", 0, "cockpit", 32): ("GROUP", "COMPONENT", ["operate"], ["ACCESS"]),
        (1, "mary", 0, "admin", 32): ("USER", "COMPONENT", ["admin"], ["ACCESS"]),
        (1, "peter", 0, "welcome", 32): "Resource ID [welcome] is not supported for resource type [Application]",
        (1, "demo", 1, "*", 2147483647): ("USER", "USER", ["*"], CRUD),
        (1, "john", 1, "john", 6): ("USER", "USER", ["john"], ["READ", "UPDATE"]),
        (1, "management", 2, "*", 2): ("GROUP", "GROUP", ["*"], ["READ"]),
        (1, "demo", 3, "*", 2147483647): ("USER", "GROUP", ["*"], ["UPDATE"]),
        (1, "demo", 4, "*", 2147483647): ("USER", "AUTHORIZATION", ["*"], CRUD),
        (1, "demo", 11, "*", 2147483647): ("USER", "TENANT", ["*"], CRUD),
        (1, "accounting", 11, "tenant1", 2): ("GROUP", "TENANT", ["tenant1"], ["READ"]),
        (1, "demo", 12, "*", 2147483647): ("USER", "TENANT", ["*"], ["UPDATE"]),
        (1, "demo", 21, "*", 2): ("USER", "SYSTEM", ["*"], ["READ", "READ_USAGE_METRIC"]),
        (1, "demo", 13, "*", 2147483647): ("USER", "BATCH", ["*"], all_batch),
        (1, "john", 13, "*", 34): ("USER", "BATCH", ["*"], ["CREATE_BATCH_OPERATION_MIGRATE_PROCESS_INSTANCE", "READ"]),
        (1, "john", 6, "usertasks", 770): ("USER", "PROCESS_DEFINITION", ["usertasks", "c7-legacy-usertasks"],
                                           ["CREATE_PROCESS_INSTANCE", "READ_PROCESS_DEFINITION",
                                            "READ_PROCESS_INSTANCE"]),
        (1, "accounting", 6, "*", 194): ("GROUP", "PROCESS_DEFINITION", ["*"],
                                         ["READ_PROCESS_DEFINITION", "READ_USER_TASK", "UPDATE_USER_TASK"]),
        (1, "peter", 6, "lifecycle", 2147483647): ("USER", "PROCESS_DEFINITION", ["lifecycle", "c7-legacy-lifecycle"],
                                                   all_pd),
        (1, "sally", 6, "*", 1048576): "Permission type [SUSPEND] is not supported for resource type [ProcessDefinition]",
        (1, "mary", 10, "dish", 258): ("USER", "DECISION_DEFINITION", ["dish", "c7-legacy-dish"],
                                       ["CREATE_DECISION_INSTANCE", "READ_DECISION_DEFINITION",
                                        "READ_DECISION_INSTANCE"]),
        (1, "mary", 14, "drinks_drd", 2): ("USER", "DECISION_REQUIREMENTS_DEFINITION", ["drinks_drd"], ["READ"]),
        (1, "demo", 9, "*", 2147483647): ("USER", "RESOURCE", ["*"], sorted(C8_ALL_PERMISSIONS["8.9"]["RESOURCE"])),
        (1, "john", 9, dep, 2): ("USER", "RESOURCE", ["usertasks", "c7-legacy-usertasks", "approvalForm",
                                                      "c7-legacy-approvalForm"], ["READ"]),
        (1, "sales", 7, "*", 6): "Resource type [Task] is not supported",
        (1, "peter", 8, "*", 2): "Resource type [ProcessInstance] is not supported",
        (1, "sally", 5, "*", 2): "Resource type [Filter] is not supported",
        (1, "sally", 19, "*", 2): "Resource type [HistoricTask] is not supported",
        (1, "sally", 20, "*", 2): "Resource type [HistoricProcessInstance] is not supported",
        (1, "sally", 17, "*", 2): "Resource type [OperationLogCatgeory] is not supported",
        (2, "peter", 6, "usertasks", 2147483631): UNSUPPORTED,
        (2, "sales", 9, "*", 2147483631): UNSUPPORTED,
        (0, "*", 6, "*", 2): UNSUPPORTED,
        (0, "*", 0, "tasklist", 32): UNSUPPORTED,
    }


def test_every_harness_authorization_maps_exactly(world: World) -> None:
    reader = IdentityReader(world.src, _tracking(world), 100)
    table = expected(world.usertasks_deployment)
    assert len(world.auths) == 34 == len(table)
    seen = set()
    for row in world.auths:
        auth = authorization_from_row(row)
        k = (auth.type, auth.user_id or auth.group_id or "", auth.resource_type, auth.resource_id or "", auth.perms)
        assert k in table, k
        seen.add(k)
        got = map_authorization(auth, lambda a: a.owner_id in world.owners, reader.deployment_keys)
        want = table[k]
        if isinstance(want, str):
            assert got == AuthorizationSkip(want), k
            continue
        owner_type, resource_type, ids, perms = want
        assert isinstance(got, MappedAuthorization), (k, got)
        assert got.payloads() == [
            {"ownerId": auth.owner_id, "ownerType": owner_type, "resourceId": rid, "resourceType": resource_type,
             "permissionTypes": perms}
            for rid in ids
        ], k
    assert seen == set(table)


def test_owner_missing_and_owner_check_errors(world: World) -> None:
    auth = C7Authorization("a1", 1, "ghost", None, 1, "*", 2)
    assert map_authorization(auth, lambda a: False, lambda d: []) == AuthorizationSkip(
        "User or group does not exist in C8")

    def broken(a: C7Authorization) -> bool:
        raise RuntimeError("Cannot verify owner existence: null")

    assert map_authorization(auth, broken, lambda d: []) == AuthorizationSkip(
        "Unexpected error occurred while mapping authorization [a1]: Cannot verify owner existence: null")

    def offline(a: C7Authorization) -> bool:
        raise Unreachable("down")

    with pytest.raises(Unreachable):
        map_authorization(auth, offline, lambda d: [])


def test_official_skip_reasons_for_shapes_not_in_the_harness() -> None:
    def yes(a: C7Authorization) -> bool:
        return True

    def none(d: str) -> list[str]:
        return []

    assert map_authorization(C7Authorization("1", 1, "u", None, 4, "authId", 2), yes, none) == AuthorizationSkip(
        "Specific resource ID [authId] is not supported for resource type [Authorization], only wildcard is allowed")
    assert map_authorization(C7Authorization("1", 1, "u", None, 13, "batchId", 2), yes, none) == AuthorizationSkip(
        "Specific resource ID [batchId] is not supported for resource type [Batch], only wildcard is allowed")
    assert map_authorization(C7Authorization("1", 1, "u", None, 3, "*", 8), yes, none) == AuthorizationSkip(
        "Permission type [CREATE] is not supported for resource type [Group membership]")
    assert map_authorization(C7Authorization("1", 1, "u", None, 13, "*", 2 + 4096), yes, none) == AuthorizationSkip(
        "Permission type [READ_HISTORY] is not supported for resource type [Batch]")
    assert map_authorization(C7Authorization("1", 1, "u", None, 9, "nope", 2), yes, none) == AuthorizationSkip(
        "Resource ID [nope] is not supported for resource type [Deployment]")
    # an unknown resource type int (custom plugin) is a skip, not a crash
    assert map_authorization(C7Authorization("1", 1, "u", None, 99, "*", 2), yes, none) == AuthorizationSkip(
        "Resource type [99] is not supported")
    # deployment DELETE fans out
    got = map_authorization(C7Authorization("1", 1, None, "g", 9, "*", 16), yes, none)
    assert isinstance(got, MappedAuthorization)
    assert got.owner_type == "GROUP" and got.permission_types == (
        "DELETE_DRD", "DELETE_FORM", "DELETE_PROCESS", "DELETE_RESOURCE")


def test_decode_permissions() -> None:
    assert decode_permissions("APPLICATION", 2147483647) == ["ALL"]
    assert decode_permissions("PROCESS_DEFINITION", 770) == ["READ", "CREATE_INSTANCE", "READ_INSTANCE"]
    assert decode_permissions("PROCESS_DEFINITION", 1048576) == ["SUSPEND"]
    assert decode_permissions("BATCH", 34) == ["READ", "CREATE_BATCH_MIGRATE_PROCESS_INSTANCES"]
    assert decode_permissions("SYSTEM", 2 + 8) == ["READ", "DELETE"]
    assert decode_permissions("DEPLOYMENT", 2 + 4 + 8) == ["READ", "CREATE"]  # UPDATE does not apply
    assert decode_permissions("APPLICATION", 32 + 2) == ["ACCESS"]
    assert decode_permissions("USER", 0) == []
    assert decode_permissions("USER", 2147483631) == ["READ", "UPDATE", "CREATE"]


def test_every_c8_permission_exists_in_the_8_9_api() -> None:
    rest_spec = shared_reference("c8-rest", "8.9", "authorizations.yaml")
    spec = yaml.safe_load(rest_spec.read_text())["components"]["schemas"]
    perms = set(spec["PermissionTypeEnum"]["enum"])
    resources = set(spec["ResourceTypeEnum"]["enum"])
    for r, ps in C8_ALL_PERMISSIONS["8.9"].items():
        assert r in resources and set(ps) <= perms, r
    for rule in RESOURCE_MAPPING.values():
        assert rule.c8_resource in resources
        for targets in rule.permissions.values():
            assert {t for t in targets if t != "ALL"} <= perms


# --------------------------------------------------------------------------------------------
# Selection: anti-join with the tracking table instead of "ID_ > max tracked id"
# --------------------------------------------------------------------------------------------
def test_cursor_picks_up_ids_sorting_below_the_last_migrated(world: World) -> None:
    tr = _tracking(world)
    try:
        ids = sorted(str(a["ID_"]) for a in world.auths)
        skipped_low = ids[:2]
        with world.engine.begin() as conn:
            tr.insert(conn, [TrackRow(i, EntityType.AUTHORIZATION, "1" if i not in ("x",) else None, None)
                             for i in ids if i not in skipped_low])
            conn.execute(text("INSERT INTO ACT_ID_USER (ID_, REV_, FIRST_, LAST_, EMAIL_) "
                              "VALUES ('aaron', 1, 'Aaron', NULL, NULL)"))
            tr.insert(conn, [TrackRow(u, EntityType.USER, "1", None) for u in ("demo", "john", "mary", "peter", "sally")])
        reader = IdentityReader(world.src, tr, page_size=3)
        # the official cursor would start after max(C7_ID) = the largest id and find nothing
        assert [str(r["ID_"]) for r in reader.pending("ACT_RU_AUTHORIZATION", EntityType.AUTHORIZATION)] == skipped_low
        users = list(reader.pending("ACT_ID_USER", EntityType.USER))
        assert [u["ID_"] for u in users] == ["aaron"]
        assert user_body(users[0], "pw") == {"username": "aaron", "name": "Aaron null", "password": "pw"}
        # skipped rows count as tracked: a plain rerun does not retry them (official)
        assert untracked(["a", "b", "c"], {"b": None}) == ["a", "c"]
        assert list(reader.pending("ACT_ID_GROUP", EntityType.GROUP))[0]["ID_"] == "accounting"
    finally:
        with world.engine.begin() as conn:
            conn.execute(text("DELETE FROM ACT_ID_USER WHERE ID_ = 'aaron'"))
        tr.drop()


def test_members_and_bodies(world: World) -> None:
    reader = IdentityReader(world.src, _tracking(world), 100)
    assert reader.group_members("accounting") == ["john", "mary"]
    assert reader.tenant_members("tenant1") == (["demo", "john"], ["accounting"])
    assert reader.tenant_members("tenant2") == (["mary"], ["sales"])
    with world.engine.connect() as conn:
        demo = dict(conn.execute(text("SELECT * FROM ACT_ID_USER WHERE ID_ = 'demo'")).mappings().one())
        demo = {k.upper(): v for k, v in demo.items()}
        admins = {k.upper(): v for k, v in
                  conn.execute(text("SELECT * FROM ACT_ID_GROUP WHERE ID_ = 'camunda-admin'")).mappings().one().items()}
        t1 = {k.upper(): v for k, v in
              conn.execute(text("SELECT * FROM ACT_ID_TENANT WHERE ID_ = 'tenant1'")).mappings().one().items()}
    assert user_body(demo, "S3cret!pw") == {"username": "demo", "name": "Demo Demo", "password": "S3cret!pw",
                                            "email": "demo@example.com"}
    assert group_body(admins) == {"groupId": "camunda-admin", "name": "Camunda Administrators"}
    assert tenant_body(t1) == {"tenantId": "tenant1", "name": "Tenant One"}


# --------------------------------------------------------------------------------------------
# Passwords and the credentials file
# --------------------------------------------------------------------------------------------
def test_generated_passwords() -> None:
    seen = set()
    for _ in range(500):
        pw = generate_password()
        assert len(pw) == 16
        assert set(pw) <= set(UPPER + LOWER + DIGITS + SPECIAL)
        assert set(pw) & set(string.ascii_uppercase) and set(pw) & set(string.ascii_lowercase)
        assert set(pw) & set(string.digits) and set(pw) & set(SPECIAL)
        seen.add(pw)
    assert len(seen) == 500


def test_credentials_file_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "creds.tsv"
    path.write_text("")
    path.chmod(0o644)
    old = os.umask(0)
    try:
        cf = CredentialsFile(path)
        cf.write("demo", "pw-1")
        cf.write("john", "pw-2")
        cf.close()
        fresh = CredentialsFile(tmp_path / "new.tsv")
        fresh.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new.tsv").stat().st_mode) == 0o600
    assert path.read_text() == "demo\tpw-1\njohn\tpw-2\n"


def test_passwords_never_logged_when_c8_fails(world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A real run of the identity phase against an address where no Camunda 8 listens: the run aborts
    (C8 offline), and the generated password is in no log line and not in the error."""
    from sqlalchemy.engine import make_url

    config = Config(
        c7=DataSourceConfig("camunda.migrator.c7.data-source", make_url(world.url)),
        client=ClientConfig(rest_address="http://127.0.0.1:9", request_timeout_s=2.0),
        table_prefix=f"P{unique_name('x')[-6:]}_",
    )
    app = App(config, progress=False)
    made: list[str] = []

    def gen() -> str:
        made.append(generate_password())
        return made[-1]

    creds = tmp_path / "creds.tsv"
    migrator = IdentityMigrator(app, client=C8Client(config.client, max_retries=0), credentials_file=str(creds),
                                password_generator=gen)
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(Unreachable) as info:
            migrator.run()
    finally:
        migrator.close()
        app.tracking.drop()
        app.close()
    assert made, "a password was generated for the first user"
    text_all = caplog.text + str(info.value) + repr(info.value)
    for pw in made:
        assert pw not in text_all
    assert creds.read_text() == ""  # only users actually created are written
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600


# --------------------------------------------------------------------------------------------
# Skip reasons of every identity entity, against the PROTOCOL STUB (tests/support/c8_protocol_stub.py,
# NOT Camunda 8: it refuses what spec identity.md §4 says Camunda 8 refuses, with the QA-observed
# problem details). It shows what c7to8 records and logs; not that a real Camunda 8 answers the same.
# --------------------------------------------------------------------------------------------
BAD_EMAIL = "The provided email '@@@' is not valid."
BAD_GROUP_ID = "The provided groupId contains illegal characters."
BAD_TENANT_ID = "The provided tenantId contains illegal characters."
NO_NAME = "No name provided."
NO_OWNER = "User or group does not exist in C8"


@pytest.fixture
def bad_c7() -> Iterator[Any]:
    """A fresh harness C7 database plus identity rows Camunda 8 refuses, and memberships of them."""
    with harness_postgres("c7idbad") as (_, engine):
        url = engine.url
        with engine.begin() as conn:
            for sql in (
                "INSERT INTO ACT_ID_USER (ID_, REV_, FIRST_, LAST_, EMAIL_) VALUES ('zed', 1, 'Zed', 'Z', '@@@')",
                "INSERT INTO ACT_ID_GROUP (ID_, REV_, NAME_, TYPE_) VALUES ('bad group', 1, 'Bad', 'WORKFLOW')",
                "INSERT INTO ACT_ID_GROUP (ID_, REV_, NAME_, TYPE_) VALUES ('nameless', 1, '', 'WORKFLOW')",
                "INSERT INTO ACT_ID_MEMBERSHIP (USER_ID_, GROUP_ID_) VALUES ('zed', 'accounting')",
                "INSERT INTO ACT_ID_MEMBERSHIP (USER_ID_, GROUP_ID_) VALUES ('john', 'nameless')",
                "INSERT INTO ACT_ID_TENANT (ID_, REV_, NAME_) VALUES ('bad tenant!', 1, 'Bad tenant')",
                "INSERT INTO ACT_ID_TENANT_MEMBER (ID_, TENANT_ID_, USER_ID_, GROUP_ID_) "
                "VALUES ('9001', 'tenant1', 'zed', NULL)",
                "INSERT INTO ACT_ID_TENANT_MEMBER (ID_, TENANT_ID_, USER_ID_, GROUP_ID_) "
                "VALUES ('9002', 'tenant2', NULL, 'bad group')",
                "INSERT INTO ACT_RU_AUTHORIZATION (ID_, REV_, TYPE_, USER_ID_, RESOURCE_TYPE_, RESOURCE_ID_, PERMS_) "
                "VALUES ('zzz-auth-zed', 1, 1, 'zed', 1, '*', 2)",
            ):
                conn.execute(text(sql))
        yield url


def _identity_run(url: Any, stub_url: str, *, save_skip_reason: bool = True, retry: bool = False,
                  skip_users: bool = False) -> tuple[Any, dict[tuple[str, str], tuple[str | None, str | None]], str]:
    """One identity run; returns (summary, (TYPE, C7_ID) -> (C8_KEY, SKIP_REASON), --list-skipped output)."""
    import io

    from sqlalchemy.engine import make_url

    from c7to8.config import IdentityConfig

    config = Config(
        c7=DataSourceConfig("camunda.migrator.c7.data-source", make_url(url)),
        client=ClientConfig(rest_address=stub_url, request_timeout_s=5.0),
        table_prefix="ID_",
        save_skip_reason=save_skip_reason,
        identity=IdentityConfig(skip_users=skip_users, sync_timeout_ms=200, sync_poll_interval_ms=20),
    )
    app = App(config, progress=False, out=io.StringIO())
    migrator = IdentityMigrator(app, client=C8Client(config.client, max_retries=0),
                                password_generator=lambda: "Pw-1234567890abc")
    try:
        summary = migrator.run(retry_only=retry)
        assert app.identity("LIST_SKIPPED") == 0
        listing = app.out.getvalue()  # type: ignore[attr-defined]
        t = app.tracking.table
        with app.tracking.engine.connect() as conn:
            rows = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(
                select(t.c["TYPE"], t.c.C7_ID, t.c.C8_KEY, t.c.SKIP_REASON))}
    finally:
        migrator.close()
        app.close()
    return summary, rows, listing


def _skipped(rows: dict[tuple[str, str], tuple[str | None, str | None]]) -> dict[tuple[str, str], str | None]:
    return {k: reason for k, (key, reason) in rows.items() if key is None}


def test_every_identity_skip_has_its_reason_in_the_tracking_table(bad_c7: Any, caplog: pytest.LogCaptureFixture,
                                                                   ) -> None:
    from tests.support.c8_protocol_stub import C8ProtocolStub

    caplog.set_level(logging.INFO, logger="io.camunda.migration.data.IdentityMigrator")
    with C8ProtocolStub().running() as stub:
        summary, rows, listing = _identity_run(bad_c7, stub.url)
    skipped = _skipped(rows)
    auth_skips = {k: v for k, v in skipped.items() if k[0] == "AUTHORIZATION"}
    assert {k: v for k, v in skipped.items() if k[0] != "AUTHORIZATION"} == {
        ("USER", "zed"): BAD_EMAIL,                 # official: never stored for users
        ("GROUP", "bad group"): BAD_GROUP_ID,       # official: never stored for groups
        ("GROUP", "nameless"): NO_NAME,
        ("TENANT", "bad tenant!"): BAD_TENANT_ID,
    }
    assert auth_skips[("AUTHORIZATION", "zzz-auth-zed")] == NO_OWNER
    assert all(auth_skips.values()), "every skipped authorization has its reason"
    # the good entities were created and their good memberships assigned
    assert set(stub.users) == {"demo", "john", "mary", "peter", "sally"}
    assert set(stub.groups) == {"accounting", "auditors", "camunda-admin", "management", "sales"}
    assert ("accounting", "john") in stub.group_members and ("accounting", "zed") not in stub.group_members
    assert ("tenant1", "USER", "demo") in stub.tenant_members

    # --list-skipped lists the skipped identity entities (ids only, official format)
    assert "Previously skipped [Users]:\nzed\n" in listing
    assert "Previously skipped [Groups]:\nbad group\nnameless\n" in listing
    assert "Previously skipped [Tenants]:\nbad tenant!\n" in listing
    assert "zzz-auth-zed\n" in listing.split("Previously skipped [Authorizations]:\n")[1]

    # memberships are not tracked (no official TYPE): WARNING with the cause, counted in the summary
    assert not any(k[0] not in ("USER", "GROUP", "TENANT", "AUTHORIZATION") for k in rows)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert ("There was an error while migrating group membership for group [accounting] and user [zed]: Failed to "
            "create group membership for group [accounting] and user [zed], check logs for details") in warnings
    assert (f"Group membership for group [accounting] and user [zed] was skipped: user [zed] does not exist in "
            f"Camunda 8: its migration was skipped ({BAD_EMAIL}). Fix that and run --identity --retry-skipped, then "
            "assign it in Camunda 8: PUT /v2/groups/accounting/users/zed") in warnings
    assert ("There was an error while migrating tenant membership for tenant [tenant1] and USER [zed]: Failed to "
            "create tenant membership for tenant [tenant1] and user [zed], check logs for details") in warnings
    assert any(w.startswith("Tenant membership for tenant [tenant2] and group [bad group] was skipped: group "
                            f"[bad group] does not exist in Camunda 8: its migration was skipped ({BAD_GROUP_ID})")
               and w.endswith("PUT /v2/tenants/tenant2/groups/bad%20group") for w in warnings)
    assert "User [zed] was skipped: " + BAD_EMAIL in warnings
    assert f"Group with ID [nameless] (name: ) was skipped: {NO_NAME}" in warnings

    gm, tm = summary.types["Group membership"], summary.types["Tenant membership"]
    assert (gm.read, gm.migrated, gm.failed) == (8, 7, 1)
    assert (tm.read, tm.migrated, tm.failed) == (7, 5, 2)
    assert summary.types["User"].skipped == 1 and summary.types["Group"].skipped == 2
    assert summary.types["Tenant"].skipped == 1
    reasons = {(t, r): n for t, r, n in summary.reasons}
    assert reasons[("User", BAD_EMAIL)] == 1
    assert reasons[("Group", BAD_GROUP_ID)] == 1 and reasons[("Group", NO_NAME)] == 1
    assert reasons[("Group membership", "user does not exist in Camunda 8: its migration was skipped")] == 1
    assert reasons[("Tenant membership", "user does not exist in Camunda 8: its migration was skipped")] == 1
    assert reasons[("Tenant membership", "group does not exist in Camunda 8: its migration was skipped")] == 1
    assert any("membership(s) could not be created" in n for n in summary.notes)


def test_retry_keeps_or_clears_user_and_group_reasons(bad_c7: Any) -> None:
    from tests.support.c8_protocol_stub import C8ProtocolStub

    with C8ProtocolStub().running() as stub:
        _identity_run(bad_c7, stub.url)
        engine = create_engine(bad_c7)
        try:
            with engine.begin() as conn:
                conn.execute(text("UPDATE ACT_ID_USER SET EMAIL_ = 'zed@example.com' WHERE ID_ = 'zed'"))
                conn.execute(text("UPDATE ACT_ID_GROUP SET NAME_ = 'Named now' WHERE ID_ = 'nameless'"))
        finally:
            engine.dispose()
        summary, rows, _ = _identity_run(bad_c7, stub.url, retry=True)
    assert rows[("USER", "zed")] == ("1", None)             # migrated, reason cleared
    assert rows[("GROUP", "nameless")] == ("1", None)
    assert rows[("GROUP", "bad group")] == (None, BAD_GROUP_ID)  # still skipped: reason kept (was set NULL)
    assert rows[("TENANT", "bad tenant!")] == (None, BAD_TENANT_ID)
    assert ("nameless", "john") in stub.group_members  # memberships follow a retried group
    assert summary.types["Group"].skipped == 1 and summary.types["Group"].migrated == 1


def test_save_skip_reason_false_stores_no_reason_but_logs_it(bad_c7: Any, caplog: pytest.LogCaptureFixture) -> None:
    from tests.support.c8_protocol_stub import C8ProtocolStub

    caplog.set_level(logging.WARNING, logger="io.camunda.migration.data.IdentityMigrator")
    with C8ProtocolStub().running() as stub:
        summary, rows, listing = _identity_run(bad_c7, stub.url, save_skip_reason=False)
        skipped = _skipped(rows)
        assert {("USER", "zed"), ("GROUP", "bad group"), ("GROUP", "nameless"), ("TENANT", "bad tenant!"),
                ("AUTHORIZATION", "zzz-auth-zed")} <= set(skipped)
        assert set(skipped.values()) == {None}
        # a retry that fails again writes no reason either
        _, rows, _ = _identity_run(bad_c7, stub.url, save_skip_reason=False, retry=True)
        assert set(_skipped(rows).values()) == {None}
    assert "Previously skipped [Users]:\nzed\n" in listing
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "User [zed] was skipped: " + BAD_EMAIL in warnings
    assert ("User", BAD_EMAIL, 1) in summary.reasons
    assert any("save-skip-reason is false" in n for n in summary.notes)


def test_membership_reason_names_skip_users(bad_c7: Any, caplog: pytest.LogCaptureFixture) -> None:
    from tests.support.c8_protocol_stub import C8ProtocolStub

    caplog.set_level(logging.WARNING, logger="io.camunda.migration.data.IdentityMigrator")
    with C8ProtocolStub().running() as stub:
        summary, rows, _ = _identity_run(bad_c7, stub.url, skip_users=True)
    assert not stub.users and not stub.group_members
    assert not any(k[0] == "USER" for k in rows)
    gm = summary.types["Group membership"]
    assert (gm.read, gm.migrated, gm.failed) == (8, 0, 8)
    why = "camunda.migrator.identity.skip-users is enabled, so c7to8 did not create it"
    assert ("Group membership", f"user does not exist in Camunda 8: {why}", 8) in summary.reasons
    assert (f"Group membership for group [accounting] and user [john] was skipped: user [john] does not exist in "
            f"Camunda 8: {why}. Create or sync it, then assign it in Camunda 8: PUT /v2/groups/accounting/users/john"
            ) in [r.getMessage() for r in caplog.records]
