"""Bounded concurrency for runtime migration (`--runtime-concurrency N`, `c7to8.runtime-concurrency`).

`InstancePool` runs one task per C7 root instance (or per migrator job) on up to N threads. With
N = 1 it calls each task inline, in the caller's thread, exactly as the sequential migrator did.

Ordered section. A MIGRATE run resumes at the newest tracking CREATE_TIME (inclusive), which is only
safe if the tracking rows it inserts are always a prefix of the candidates in (START_TIME_, ID_)
order: a later instance must never get its row while an earlier one may still get one, or a crash in
between would make the next run start past the earlier one. So every task of an ordered pool
carries a `Turn`; the task inserts its row inside `with turn:`, which waits until every earlier task
has passed that point (inserted its row, or finished without needing one). Everything else (reading
C7, validation, conversion, document uploads and the create request after the PENDING row) runs in
parallel. Tasks start in submission order (the executor's queue is FIFO), so a task only ever waits
for tasks that are already running: no deadlock.

Failure. The first exception stops the pool: no new task starts, tasks waiting for their turn leave
without writing (`Cancelled`), tasks past their turn finish their create request and tracking
update, and the exception is raised again by `close()` / the `with` block, in the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType


class Cancelled(Exception):
    """The pool stopped (another task failed) before this task's turn came."""


class Sequencer:
    """Lets numbered tasks pass one point strictly in number order (0, 1, 2, ...)."""

    def __init__(self) -> None:
        self._next = 0
        self._broken = False
        self._cond = threading.Condition()

    @property
    def passed(self) -> int:
        """How many tasks have passed."""
        with self._cond:
            return self._next

    def wait(self, seq: int) -> None:
        """Block until every task before `seq` has passed; `Cancelled` if the sequencer broke."""
        with self._cond:
            while not self._broken and self._next != seq:
                self._cond.wait()
            if self._broken:
                raise Cancelled()

    def advance(self, seq: int) -> None:
        with self._cond:
            if self._next == seq:
                self._next += 1
                self._cond.notify_all()

    def break_(self) -> None:
        with self._cond:
            self._broken = True
            self._cond.notify_all()


class Turn:
    """One task's place in a `Sequencer`. `with turn:` runs a block in order; `release()` passes
    without running anything (idempotent; a no-op once passed or when the sequencer broke)."""

    def __init__(self, sequencer: Sequencer, seq: int) -> None:
        self.sequencer = sequencer
        self.seq = seq
        self.done = False

    def __enter__(self) -> Turn:
        if self.done:
            raise RuntimeError(f"turn {self.seq} was already used")
        self.sequencer.wait(self.seq)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.done = True
        if exc_type is None:
            self.sequencer.advance(self.seq)
        else:
            self.sequencer.break_()  # the write failed: later tasks must not write past it

    def release(self) -> None:
        if self.done:
            return
        try:
            self.sequencer.wait(self.seq)
        except Cancelled:
            return
        finally:
            self.done = True
        self.sequencer.advance(self.seq)


Task = Callable[[Turn | None], None]


class InstancePool:
    """Run tasks on up to `workers` threads (inline when `workers` == 1); at most `2 * workers`
    submitted tasks are outstanding, so memory stays bounded. `ordered` gives each task a `Turn`
    (inline tasks get None: they run one after the other, in order, anyway)."""

    def __init__(self, workers: int, ordered: bool = False, name: str = "c7to8-runtime") -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.ordered = ordered
        self._sequencer = Sequencer()
        self._seq = 0
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()
        self._executor = (ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
                          if workers > 1 else None)

    def submit(self, task: Task) -> None:
        """Run `task(turn)`; raises the pool's first error instead once a task has failed."""
        self._raise_error()
        if self._executor is None:
            task(None)  # sequential: every task runs in order anyway
            return
        turn = Turn(self._sequencer, self._seq) if self.ordered else None
        self._seq += 1
        while len(self._pending) >= 2 * self.workers:
            done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            self._pending -= done
            self._raise_error()
        self._pending.add(self._executor.submit(self._run, task, turn))

    def _run(self, task: Task, turn: Turn | None) -> None:
        try:
            if self._error is not None:
                return  # the pool is stopping: do not start new work
            task(turn)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread by close()
            self._fail(exc)
        finally:
            if turn is not None:
                turn.release()

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            if self._error is None and not isinstance(exc, Cancelled):
                self._error = exc
        self._sequencer.break_()

    def _raise_error(self) -> None:
        if self._error is not None:
            self.close()

    def drain(self) -> None:
        """Wait for every submitted task; raise the first error, if any (the pool stays usable
        when there was none)."""
        if self._pending:
            wait(self._pending)
            self._pending.clear()
        if self._error is not None:
            self.close()

    def close(self) -> None:
        """Wait for running tasks, drop queued ones, shut the threads down; raise the first error."""
        if self._executor is not None:
            if self._error is not None:
                for f in self._pending:
                    f.cancel()
            self._executor.shutdown(wait=True, cancel_futures=self._error is not None)
            self._pending.clear()
        error = self._error
        if error is not None:
            raise error

    def abort(self) -> None:
        """Stop after a failure in the caller's thread: queued tasks are dropped, running ones finish."""
        self._sequencer.break_()
        with self._lock:
            if self._error is None:
                self._error = Cancelled("the run was stopped")
        if self._executor is not None:
            for f in self._pending:
                f.cancel()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._pending.clear()

    def __enter__(self) -> InstancePool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.abort()
            return  # the caller's exception propagates
        self.close()
