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


@pytest.fixture(scope="session", autouse=True)
def _progress_file_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs publish live progress to a file; keep the suite's files out of ~/.cache."""
    import os

    os.environ.setdefault("C7TO8_PROGRESS_FILE", str(tmp_path_factory.getbasetemp() / "progress.json"))
