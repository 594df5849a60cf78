"""Progress bars while a run works, and the end-of-run summary table (pgloader style)."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

log = logging.getLogger("c7to8.progress")


@dataclass
class TypeStats:
    name: str
    read: int = 0
    migrated: int = 0
    skipped: int = 0
    failed: int = 0
    already: int = 0  # tracked before this run (rerun dedup)
    c8_rows: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Summary:
    title: str
    types: dict[str, TypeStats] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    notes: list[str] = field(default_factory=list)
    reasons: list[tuple[str, str, int]] = field(default_factory=list)  # (type, skip reason, count)

    def stats(self, name: str) -> TypeStats:
        if name not in self.types:
            self.types[name] = TypeStats(name)
        return self.types[name]

    @property
    def total_skipped(self) -> int:
        return sum(t.skipped for t in self.types.values())

    def finish(self) -> None:
        self.finished = time.monotonic()

    def print(self, out: TextIO | None = None) -> None:
        out = out or sys.stdout
        table = Table(title=self.title, title_justify="left")
        for col in ("type", "read", "migrated", "skipped", "failed", "already done", "C8 rows", "seconds", "rows/s"):
            table.add_column(col, justify="left" if col == "type" else "right", no_wrap=True)
        tot = TypeStats("total")
        for t in self.types.values():
            style = "bold red" if t.skipped or t.failed else None
            table.add_row(
                t.name, f"{t.read:,}", f"{t.migrated:,}", f"{t.skipped:,}", f"{t.failed:,}", f"{t.already:,}",
                f"{t.c8_rows:,}", f"{t.seconds:.2f}", f"{t.rate:,.0f}", style=style,
            )
            tot.read += t.read
            tot.migrated += t.migrated
            tot.skipped += t.skipped
            tot.failed += t.failed
            tot.already += t.already
            tot.c8_rows += t.c8_rows
        wall = (self.finished or time.monotonic()) - self.started
        tot.seconds = wall
        table.add_row(
            "total", f"{tot.read:,}", f"{tot.migrated:,}", f"{tot.skipped:,}", f"{tot.failed:,}",
            f"{tot.already:,}", f"{tot.c8_rows:,}", f"{wall:.2f}", f"{tot.rate:,.0f}", style="bold",
        )
        console = Console(file=out, width=max(140, Console(file=out).width), highlight=False)
        console.print(table)
        if self.reasons:
            rt = Table(title="skip reasons", title_justify="left")
            rt.add_column("type", no_wrap=True)
            rt.add_column("reason")
            rt.add_column("count", justify="right")
            for type_name, reason, count in self.reasons:
                rt.add_row(type_name, reason, f"{count:,}")
            console.print(rt)
        for note in self.notes:
            console.print(note)
        if tot.skipped:
            console.print(
                f"[bold red]{tot.skipped:,} entities were skipped[/]: see them with --list-skipped, "
                "their reasons in MIGRATION_MAPPING.SKIP_REASON; fix the cause and run --retry-skipped."
            )


class ProgressReporter:
    """A bar per entity type on a terminal; periodic one-line logs otherwise; nothing if disabled."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None, log_every_s: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = enabled and self.stream.isatty()
        self.enabled = enabled
        self.log_every_s = log_every_s
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._last_log: dict[str, float] = {}
        self._counts: dict[str, tuple[int, int | None]] = {}

    def __enter__(self) -> ProgressReporter:
        if self.tty:
            self._progress = Progress(
                TextColumn("{task.description:<34}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, name: str, total: int | None) -> None:
        self._counts[name] = (0, total)
        self._last_log[name] = time.monotonic()
        if self._progress is not None:
            self._tasks[name] = self._progress.add_task(name, total=total, rate="")

    def advance(self, name: str, n: int, rate: float) -> None:
        done, total = self._counts.get(name, (0, None))
        done += n
        self._counts[name] = (done, total)
        if self._progress is not None and name in self._tasks:
            self._progress.update(self._tasks[name], advance=n, rate=f"{rate:,.0f} rows/s")
        elif self.enabled:
            now = time.monotonic()
            if now - self._last_log.get(name, 0) >= self.log_every_s:
                self._last_log[name] = now
                of = f"/{total:,}" if total is not None else ""
                log.info("%s: %s%s rows (%.0f rows/s)", name, f"{done:,}", of, rate)

    def done(self, name: str) -> None:
        if self._progress is not None and name in self._tasks:
            t = self._tasks[name]
            task = self._progress.tasks[t]
            self._progress.update(t, total=task.completed)
