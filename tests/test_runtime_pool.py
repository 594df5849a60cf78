"""`runtime_pool`: bounded threads, in-order tracking inserts, first-error propagation (pure, no I/O)."""

from __future__ import annotations

import random
import threading
import time

import pytest

from c7to8.runtime_pool import Cancelled, InstancePool, Sequencer, Turn


def test_inline_pool_runs_in_the_callers_thread_in_order() -> None:
    seen: list[tuple[int, Turn | None, str]] = []
    with InstancePool(1, ordered=True) as pool:
        for i in range(5):
            pool.submit(lambda turn, i=i: seen.append((i, turn, threading.current_thread().name)))
    assert [i for i, _, _ in seen] == [0, 1, 2, 3, 4]
    assert {t for _, t, _ in seen} == {None}
    assert {n for _, _, n in seen} == {threading.current_thread().name}


def test_inline_pool_raises_at_once() -> None:
    ran: list[int] = []

    def task(i: int) -> None:
        if i == 2:
            raise ValueError("boom")
        ran.append(i)

    with pytest.raises(ValueError, match="boom"), InstancePool(1) as pool:
        for i in range(5):
            pool.submit(lambda turn, i=i: task(i))
    assert ran == [0, 1]


def test_ordered_section_runs_in_submission_order_while_the_rest_overlaps() -> None:
    rng = random.Random(3)
    delays = [rng.uniform(0, 0.02) for _ in range(60)]
    order: list[int] = []
    active = 0
    peak = 0
    lock = threading.Lock()

    def task(i: int, turn: Turn | None) -> None:
        nonlocal active, peak
        assert turn is not None
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(delays[i])  # "validation": any order
        if i % 3:  # two in three insert a row; the others pass their turn without one
            with turn:
                order.append(i)
        time.sleep(delays[-i - 1])  # "create request": any order
        with lock:
            active -= 1

    with InstancePool(4, ordered=True) as pool:
        for i in range(60):
            pool.submit(lambda turn, i=i: task(i, turn))
    assert order == [i for i in range(60) if i % 3]
    assert 1 < peak <= 4


def test_failure_stops_the_pool_and_keeps_inserted_rows_a_prefix() -> None:
    inserted: list[int] = []
    started: list[int] = []
    lock = threading.Lock()

    def task(i: int, turn: Turn | None) -> None:
        assert turn is not None
        with lock:
            started.append(i)
        if i == 10:
            time.sleep(0.02)
            raise RuntimeError("create failed for 10")
        time.sleep(0.005 * (i % 4))
        with turn:
            inserted.append(i)

    with pytest.raises(RuntimeError, match="create failed for 10"), InstancePool(4, ordered=True) as pool:
        for i in range(200):
            pool.submit(lambda turn, i=i: task(i, turn))
    assert inserted == list(range(len(inserted)))  # a prefix of the order, nothing after a gap
    assert len(inserted) <= 10
    assert len(started) < 200  # no new work after the failure


def test_unordered_pool_drain_and_reuse() -> None:
    done: list[int] = []
    lock = threading.Lock()
    with InstancePool(3) as pool:
        for batch in range(3):
            for i in range(7):
                pool.submit(lambda turn, i=i, b=batch: (time.sleep(0.001), lock.acquire(), done.append(b * 10 + i),
                                                        lock.release()))
            pool.drain()
            assert len(done) == 7 * (batch + 1)


def test_error_in_callers_loop_drops_queued_tasks() -> None:
    ran: list[int] = []
    with pytest.raises(KeyError), InstancePool(2) as pool:
        for i in range(4):
            pool.submit(lambda turn, i=i: (time.sleep(0.05), ran.append(i)))
        raise KeyError("selection failed")
    assert set(ran) <= {0, 1}  # the (at most two) running tasks finished; the queued two never started


def test_sequencer_break_releases_waiters() -> None:
    s = Sequencer()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            s.wait(3)
        except Cancelled as exc:
            errors.append(exc)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.05)
    s.advance(0)
    assert s.passed == 1
    s.break_()
    t.join(2)
    assert len(errors) == 1
    turn = Turn(s, 5)
    turn.release()  # passing a broken sequencer is a quiet no-op
    assert turn.done


def test_pool_rejects_zero_workers() -> None:
    with pytest.raises(ValueError):
        InstancePool(0)
