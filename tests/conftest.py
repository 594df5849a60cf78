"""Shared fixtures: the test bed (real PostgreSQL and MariaDB) and uniquely named databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.support.databases import temp_database, testbed_env


@pytest.fixture(scope="session")
def testbed() -> dict[str, str]:
    return testbed_env()


@pytest.fixture
def pg_url(testbed: dict[str, str]) -> Iterator[URL]:
    with temp_database("postgresql") as url:
        yield url


@pytest.fixture
def mariadb_url(testbed: dict[str, str]) -> Iterator[URL]:
    with temp_database("mariadb") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[URL]:
    with temp_database("sqlite", tmp_dir=tmp_path) as url:
        yield url


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[URL]:
    if request.param != "sqlite":
        testbed_env()
    with temp_database(request.param, tmp_dir=tmp_path) as url:
        yield url
