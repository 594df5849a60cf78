"""Logs never show a password, at DEBUG level, in text or JSON, on the console or in the log file;
JSON log lines parse. Runs the real CLI against real databases with a password-protected role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.history_support import Pair, history_pair
from tests.support.databases import admin_url, unique_name

DB_PASSWORD = "Db-Pa55word-9f3c1e"  # noqa: S105 - test secret
CLIENT_PASSWORD = "Client-Pa55-77aa"  # noqa: S105
CLIENT_SECRET = "Client-Secret-0b0b"  # noqa: S105
SECRETS = (DB_PASSWORD, CLIENT_PASSWORD, CLIENT_SECRET)


@pytest.fixture(scope="module")
def secret_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pair, str]]:
    """A harness pair plus a login role with a real password that can use both databases."""
    role = unique_name("pw")
    admin = create_engine(admin_url("postgresql"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}'"))
    try:
        with history_pair("postgresql", tmp_path_factory.mktemp("logs")) as pair:
            yield pair, role
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def config(pair: Pair, role: str, **extra: object) -> Path:
    def jdbc(db: str | None) -> str:
        return f"jdbc:postgresql://{pair.c7_url.host}:{pair.c7_url.port}/{db}"

    keys: dict[str, object] = {
        "camunda.migrator.c7.data-source.jdbc-url": jdbc(pair.c7_url.database),
        "camunda.migrator.c7.data-source.username": role,
        "camunda.migrator.c7.data-source.password": DB_PASSWORD,
        "camunda.migrator.c8.data-source.jdbc-url": jdbc(pair.c8_url.database),
        "camunda.migrator.c8.data-source.username": role,
        "camunda.migrator.c8.data-source.password": DB_PASSWORD,
        "camunda.client.auth.username": "demo",
        "camunda.client.auth.password": CLIENT_PASSWORD,
        "camunda.client.auth.client-secret": CLIENT_SECRET,
        "camunda.client.rest-address": "http://127.0.0.1:9",
        "logging.level.root": "DEBUG",
    }
    keys.update({k.replace("__", "."): v for k, v in extra.items()})
    return pair.config(**keys)


def assert_no_secret(*texts: str) -> None:
    for t in texts:
        for s in SECRETS:
            assert s not in t, f"secret leaked: ...{t[max(0, t.find(s) - 200):t.find(s) + 50]}..."


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_no_password_in_logs_at_debug(secret_pair: tuple[Pair, str], tmp_path: Path, fmt: str) -> None:
    pair, role = secret_pair
    cfg = config(pair, role)
    log_file = tmp_path / f"c7to8-{fmt}.log"
    runs = [
        pair.run("--history", "--log-format", fmt, "--log-file", str(log_file), config=cfg),
        pair.run("--history", "--preflight", "--log-format", fmt, "--log-file", str(log_file), config=cfg),
        pair.run("--history", "--verify", "--log-format", fmt, "--log-file", str(log_file), config=cfg),
        pair.run("--history", "--list-skipped", "--log-format", fmt, "--log-file", str(log_file), config=cfg),
        # a data source that refuses the login: the error names it, never its password
        pair.run("--history", "--log-format", fmt, "--log-file", str(log_file),
                 config=config(pair, role, **{"camunda.migrator.c8.data-source.username": "nobody_" + role})),
        # the identity migrator talks to the (unreachable) REST API with the client credentials
        pair.run("--identity", "--log-format", fmt, "--log-file", str(log_file), config=cfg),
    ]
    assert runs[0].returncode == 0, runs[0].stderr[-3000:]
    assert runs[4].returncode != 0 and "camunda.migrator.c8.data-source" in runs[4].stderr
    logged = log_file.read_text(encoding="utf-8")
    assert "Migrating history data..." in logged
    assert any("DEBUG" in r.stderr for r in runs)  # the console really was at DEBUG level
    for r in runs:
        assert_no_secret(r.stdout, r.stderr)
    assert_no_secret(logged)
    if fmt == "json":
        lines = [ln for ln in logged.splitlines() if ln.strip()]
        assert len(lines) > 10
        for ln in lines:
            doc = json.loads(ln)
            assert {"ts", "level", "logger", "msg"} <= set(doc)
            assert doc["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
            assert doc["logger"].startswith("c7to8")
        # console lines are JSON too
        for r in runs[:4]:
            for ln in r.stderr.splitlines():
                if ln.startswith("{"):
                    assert json.loads(ln)["msg"] is not None


def test_mask_hides_url_and_key_value_passwords() -> None:
    from c7to8.logs import mask

    assert DB_PASSWORD not in mask(f"postgresql://user:{DB_PASSWORD}@host/db")
    assert DB_PASSWORD not in mask(f"jdbc:postgresql://h/db?user=a&password={DB_PASSWORD}")
    assert CLIENT_SECRET not in mask(f"client_secret={CLIENT_SECRET}")
    assert CLIENT_PASSWORD not in mask(f'{{"password": "{CLIENT_PASSWORD}"}}')
    assert mask("nothing secret here") == "nothing secret here"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_warn_each_writes_what_one_warning_per_row_writes(tmp_path: Path, fmt: str) -> None:
    """The end-of-run skip listing's batched lines equal logger.warning's, timestamp aside, masked too;
    a handler setup_logging did not install gets ordinary records."""
    import logging

    from c7to8.logs import setup_logging, warn_each

    rows = [("Historic Variable", f"id{i}", f"reason {i} postgresql://u:{DB_PASSWORD}@h/db") for i in range(2500)]
    fast, slow = tmp_path / "fast.log", tmp_path / "slow.log"
    log = logging.getLogger("c7to8.history")
    setup_logging(None, fmt, str(fast))
    warn_each(log, "Migration of %s with C7 ID [%s] skipped. %s", iter(rows), batch=1000)
    setup_logging(None, fmt, str(slow))
    for args in rows:
        log.warning("Migration of %s with C7 ID [%s] skipped. %s", *args)
    root = logging.getLogger("c7to8")
    for h in root.handlers:
        h.close()

    def strip(line: str) -> object:
        if fmt == "json":
            doc = json.loads(line)
            doc.pop("ts")
            return doc
        return line[23:]  # "2026-11-24 17:13:43,347"

    got = [strip(x) for x in fast.read_text().splitlines()]
    want = [strip(x) for x in slow.read_text().splitlines()]
    assert len(got) == 2500 and got == want
    assert DB_PASSWORD not in fast.read_text()
    assert "Migration of Historic Variable with C7 ID [id2499] skipped. reason 2499 postgresql://u:****h/db" in (
        fast.read_text())

    class Capture(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    capture = Capture()
    root.addHandler(capture)
    try:
        warn_each(log, "%s-%s", iter([("a", 1), ("b", 2)]))
    finally:
        root.removeHandler(capture)
    assert [r.getMessage() for r in capture.records] == ["a-1", "b-2"]
