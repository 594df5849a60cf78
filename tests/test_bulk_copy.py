"""c7to8.bulk.copy_out: the lane's Camunda 7 reader, straight from libpq, on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import URL

from c7to8.bulk import copy_out


@pytest.fixture
def conn(pg_url: URL) -> Iterator[psycopg.Connection]:
    with psycopg.connect(host=pg_url.host, port=pg_url.port, user=pg_url.username, password=pg_url.password,
                         dbname=pg_url.database) as c:
        yield c


def _psycopg_copy(conn: psycopg.Connection, statement: str, params: dict[str, object]) -> list[bytes]:
    with conn.cursor() as cur, cur.copy(statement, params) as copy:
        return [bytes(row) for row in copy]


def test_rows_are_psycopgs_own_and_the_connection_goes_on(conn: psycopg.Connection) -> None:
    statement = ("COPY (SELECT g, %(label)s || g, CASE WHEN g %% 7 = 0 THEN NULL ELSE E'tab\\there' END,"
                 " %(ids)s::text[] FROM generate_series(1, %(n)s) g) TO STDOUT")
    params: dict[str, object] = {"label": "it's ", "ids": ["a", "b\\c", "ü"], "n": 20_000}
    expected = _psycopg_copy(conn, statement, params)
    got = list(copy_out(conn, statement, params))
    assert got == expected
    assert len(got) == 20_000 and got[6] == b"7\tit's 7\t\\N\t{a,\"b\\\\\\\\c\",\xc3\xbc}\n"
    # the COPY ran to its end: the same connection takes the next statement
    assert conn.execute("SELECT 41 + 1").fetchone() == (42,)


def test_an_error_in_the_middle_is_psycopgs_error_and_the_transaction_can_be_rolled_back(
        conn: psycopg.Connection) -> None:
    rows = []
    with pytest.raises(psycopg.errors.DivisionByZero):
        for row in copy_out(conn, "COPY (SELECT 1 / (50000 - g) FROM generate_series(1, 60000) g) TO STDOUT", {}):
            rows.append(row)
    assert len(rows) > 0  # rows came before the error
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_statement_the_server_refuses(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.UndefinedTable):
        list(copy_out(conn, "COPY (SELECT * FROM no_such_table_here) TO STDOUT", {}))
    conn.rollback()
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_a_reader_left_early_closes_the_connection(conn: psycopg.Connection) -> None:
    rows = copy_out(conn, "COPY (SELECT g FROM generate_series(1, 1000000) g) TO STDOUT", {})
    assert next(rows) == b"1\n"
    rows.close()  # the consumer stopped in the middle of the COPY
    assert conn.closed
