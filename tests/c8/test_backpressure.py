"""Back-off and the adaptive in-flight limit of the Camunda 8 REST client.

Pure unit tests of `parse_retry_after`, `backoff_delay` and `AdaptiveLimiter`, then the client on
the wire against `tests/support/c8_protocol_stub.py` -- a protocol stub on 127.0.0.1, NOT Camunda 8
(see its docstring): these tests show how c7to8's client reacts to 429/503 answers, not how a real
cluster behaves under load.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from c7to8.c8.rest import (
    AdaptiveLimiter,
    Backpressure,
    C8Client,
    RestError,
    backoff_delay,
    parse_retry_after,
)
from c7to8.config import ClientConfig
from tests.support.c8_protocol_stub import C8ProtocolStub, Reject, http_date


# --------------------------------------------------------------------------------------------
# Retry-After and back-off
# --------------------------------------------------------------------------------------------
def test_retry_after_seconds_and_dates() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("1.5") == 1.5  # lenient: the RFC has whole seconds only
    assert parse_retry_after("-4") == 0.0
    date = "Fri, 15 Jan 2027 08:00:07 GMT"
    base = parse_retry_after("Fri, 15 Jan 2027 08:00:00 GMT", now=now)
    assert base is not None
    assert parse_retry_after(date, now=now) == pytest.approx(base + 7)
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now=now) == 0.0  # in the past
    assert 0.0 < (parse_retry_after(http_date(5)) or 0) <= 5.0
    for bad in (None, "", "soon", "inf", "nan", "Mon, 99 Foo 2020 xx:yy:zz GMT"):
        assert parse_retry_after(bad) is None, bad


def test_backoff_is_exponential_jittered_and_capped() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 30.0), (40, 30.0)):
        for _ in range(50):
            d = backoff_delay(attempt, 0.5, 30.0, rng)
            assert ceiling / 2 <= d <= ceiling, (attempt, d)
    spread = {round(backoff_delay(3, 0.5, 30.0, rng), 6) for _ in range(20)}
    assert len(spread) > 10  # jitter: threads refused together do not come back together


def test_retry_delay_prefers_the_servers_hint() -> None:
    with C8Client(ClientConfig(rest_address="http://127.0.0.1:9"), backoff_s=0.5, max_delay_s=30.0) as client:
        assert client.retry_delay(1, "2") == 2.0
        assert client.retry_delay(5, "0") == 0.0  # the hint wins over the back-off, also downwards
        assert client.retry_delay(1, "3600") == 30.0  # capped
        assert 2.0 <= client.retry_delay(4, "garbage") <= 4.0  # unreadable: back-off (ceiling 4 s)
        assert 2.0 <= client.retry_delay(4, None) <= 4.0


# --------------------------------------------------------------------------------------------
# AdaptiveLimiter (AIMD)
# --------------------------------------------------------------------------------------------
def test_limiter_halves_once_per_congestion_event_and_grows_back() -> None:
    lim = AdaptiveLimiter(8, increase_after=3)
    tickets = [lim.acquire() for _ in range(8)]
    assert lim.in_flight == 8 and lim.limit == 8
    # eight requests sent together all come back 429: one congestion event, one halving
    for t in tickets:
        lim.release(t, "overload")
    assert lim.limit == 4 and lim.decreases == 1 and lim.in_flight == 0
    # a request sent after the decrease and refused again halves again
    t = lim.acquire()
    lim.release(t, "overload")
    assert lim.limit == 2
    for _ in range(5):
        t = lim.acquire()
        lim.release(t, "overload")
    assert lim.limit == 1  # never below 1
    # additive increase: +1 after every 3 successes, up to the maximum
    for _ in range(3):
        lim.release(lim.acquire(), "success")
    assert lim.limit == 2
    for _ in range(100):
        lim.release(lim.acquire(), "success")
    assert lim.limit == 8  # never above max
    # neutral outcomes (other errors) neither lower nor raise it
    lim.release(lim.acquire(), "overload")
    assert lim.limit == 4
    for _ in range(10):
        lim.release(lim.acquire(), "neutral")
    assert lim.limit == 4


def test_limiter_overload_resets_the_success_run() -> None:
    lim = AdaptiveLimiter(4, increase_after=3)
    lim.release(lim.acquire(), "overload")
    assert lim.limit == 2
    lim.release(lim.acquire(), "success")
    lim.release(lim.acquire(), "success")
    lim.release(lim.acquire(), "overload")
    assert lim.limit == 1
    lim.release(lim.acquire(), "success")
    lim.release(lim.acquire(), "success")
    assert lim.limit == 1
    lim.release(lim.acquire(), "success")
    assert lim.limit == 2


def test_limiter_blocks_at_the_limit() -> None:
    lim = AdaptiveLimiter(2)
    a, b = lim.acquire(), lim.acquire()
    got: list[int] = []
    t = threading.Thread(target=lambda: got.append(lim.acquire()))
    t.start()
    time.sleep(0.1)
    assert not got  # a third caller waits
    lim.release(a, "success")
    t.join(2)
    assert got and lim.in_flight == 2
    lim.release(b, "success")
    lim.release(got[0], "success")


def test_limiter_rejects_bad_limits() -> None:
    with pytest.raises(ValueError):
        AdaptiveLimiter(0)
    with pytest.raises(ValueError):
        AdaptiveLimiter(2, increase_after=0)


# --------------------------------------------------------------------------------------------
# On the wire, against the protocol stub
# --------------------------------------------------------------------------------------------
def _create(client: C8Client, legacy_id: str) -> str:
    return client.create_process_instance({"processDefinitionId": "usertasks", "processDefinitionVersion": -1,
                                           "tenantId": "<default>", "variables": {"legacyId": legacy_id}})


def test_429_with_retry_after_is_retried_and_lowers_the_limit() -> None:
    # the first four creation requests are refused (429; seconds and HTTP-date Retry-After, none)
    stub = C8ProtocolStub(create_delay_s=0.05, rejects={0: Reject(429, "1"), 1: Reject(429, http_date(1)),
                                                        2: Reject(503, "0"), 3: Reject(429, None)})
    with stub.running(), C8Client(ClientConfig(rest_address=stub.url), backoff_s=0.05, concurrency=4) as client:
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            keys = list(pool.map(lambda i: _create(client, f"c7-{i}"), range(24)))
        elapsed = time.monotonic() - started
    assert len(set(keys)) == 24
    assert stub.created == {f"c7-{i}": 1 for i in range(24)}  # each exactly once
    assert len(stub.rejected) == 4 and client.retries == 4
    assert 1 < stub.max_in_flight <= 4  # 8 threads, but never more than --runtime-concurrency in flight
    # the four refusals belong to one congestion event: the limit is halved once, 4 -> 2, and only
    # grows by one after 10 successes: the 10 requests after the refusals never had more than 2 in flight
    assert client.limiter.decreases == 1
    assert max(stub.in_flight_at_arrival[4:14]) <= 2
    assert client.limiter.limit == 4  # 20 successes later it is back at the maximum
    assert client.limiter.in_flight == 0
    assert elapsed >= 0.9  # Retry-After: 1 was honoured


def test_cluster_that_keeps_refusing_gives_a_typed_error() -> None:
    stub = C8ProtocolStub(create_delay_s=0.0, reject_all_creates=Reject(503, "0"))
    with (
        stub.running(),
        C8Client(ClientConfig(rest_address=stub.url), max_retries=3, concurrency=2) as client,
        pytest.raises(Backpressure) as ei,
    ):
        _create(client, "c7-1")
    err = ei.value
    assert isinstance(err, RestError) and err.status == 503
    msg = str(err)
    assert "kept refusing the request with HTTP 503" in msg and "after 4 attempts" in msg
    assert "Lower --runtime-concurrency (c7to8.runtime-concurrency, now 2)" in msg
    assert "run the same command again; everything committed so far is kept." in msg
    assert "overloaded (protocol stub)" in msg  # the problem detail is passed on
    assert stub.create_requests == 4  # bounded: 1 + max_retries
    assert client.limiter.limit == 1


def test_sequential_client_that_keeps_being_refused() -> None:
    stub = C8ProtocolStub(create_delay_s=0.0, reject_all_creates=Reject(429, "0"))
    with (
        stub.running(),
        C8Client(ClientConfig(rest_address=stub.url), max_retries=1) as client,
        pytest.raises(Backpressure) as ei,
    ):
        _create(client, "c7-1")
    msg = str(ei.value)
    assert "with HTTP 429" in msg and "after 2 attempts" in msg and "--runtime-concurrency" not in msg
    assert "Wait until it has recovered, or give it more resources, then run the same command again" in msg


def test_other_errors_are_not_retried() -> None:
    stub = C8ProtocolStub(create_delay_s=0.0, fail_create_for={"c7-bad"})
    with (
        stub.running(),
        C8Client(ClientConfig(rest_address=stub.url), concurrency=2) as client,
        pytest.raises(RestError) as ei,
    ):
        _create(client, "c7-bad")
    assert ei.value.status == 400 and not isinstance(ei.value, Backpressure)
    assert stub.create_requests == 1 and client.retries == 0


def test_sequential_client_is_not_limited_differently() -> None:
    """concurrency=1 (the default): one request at a time, as before; a 429 is still retried."""
    stub = C8ProtocolStub(create_delay_s=0.0, rejects={1: Reject(429, "0")})
    with stub.running(), C8Client(ClientConfig(rest_address=stub.url)) as client:
        keys: list[Any] = [_create(client, f"c7-{i}") for i in range(3)]
    assert len(set(keys)) == 3 and client.retries == 1 and stub.max_in_flight == 1
    assert client.limiter.max_limit == 1 and client.limiter.limit == 1
