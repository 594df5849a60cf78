"""Progress bars while a run works, and the end-of-run summary table (pgloader style)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

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
from rich.text import Text

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
    #: skipped entities a later pass of this run migrated (or recorded as failed); taken off
    #: `skipped` by `settle` once every shard's counts are added up
    healed: int = 0
    set_based: int = 0  #: of `migrated`: converted inside PostgreSQL by the set-based lane (c7to8.bulk)

    def settle(self) -> None:
        """skipped := skipped - healed, never below 0 (a heal may concern a skip of an earlier run)."""
        self.skipped = max(0, self.skipped - self.healed)
        self.healed = 0

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
        for t in self.types.values():
            t.settle()

    def print(self, out: TextIO | None = None) -> None:
        out = out or sys.stdout
        table = Table(title=self.title, title_justify="left")
        for col in ("type", "read", "migrated", "skipped", "failed", "already done", "C8 rows", "seconds", "rows/s"):
            table.add_column(col, justify="left" if col == "type" else "right", no_wrap=True)
        tot = TypeStats("total")
        for t in self.types.values():
            style = "bold red" if t.skipped or t.failed else None
            table.add_row(
                Text(t.name), f"{t.read:,}", f"{t.migrated:,}", f"{t.skipped:,}", f"{t.failed:,}", f"{t.already:,}",
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
                rt.add_row(Text(type_name), Text(reason), f"{count:,}")  # reasons hold [ids]: no markup
            console.print(rt)
        for note in self.notes:
            console.print(Text(note))
        lane = [f"  {st.name}: {st.set_based:,} of {st.migrated:,}" for st in self.types.values() if st.set_based]
        if lane:
            console.print(Text("\n".join(["converted set-based inside PostgreSQL (of the migrated rows):", *lane])))
        if tot.skipped:
            console.print(
                f"[bold red]{tot.skipped:,} entities were skipped[/]: see them with --list-skipped, "
                "their reasons in MIGRATION_MAPPING.SKIP_REASON; fix the cause and run --retry-skipped."
            )


# ------------------------------------------------------------------ progress file (for --dashboard)

_progress_file: Path | None = None


def set_progress_file(path: str | os.PathLike[str] | None) -> None:
    """Every ProgressReporter created afterwards publishes its counts to this JSON file."""
    global _progress_file
    _progress_file = Path(path) if path else None


class ProgressFile:
    """A small JSON document, replaced atomically at most every `every_s` seconds.

    {"version": 1, "pid", "state": "running"|"finished", "started", "updated" (epoch seconds),
     "types": [{"name", "done", "total", "rate", "finished"}], "samples": [[seconds since start, rows done]]}
    """

    MAX_SAMPLES = 600

    def __init__(self, path: Path, every_s: float = 1.0) -> None:
        self.path = path
        self.every_s = every_s
        self.started = time.time()
        self._last = 0.0
        self.samples: list[list[float]] = []
        self.broken = False

    def write(self, types: list[dict[str, Any]], state: str, force: bool = False) -> None:
        if self.broken:
            return
        now = time.time()
        if not force and now - self._last < self.every_s:
            return
        self._last = now
        done = sum(int(t["done"]) for t in types)
        self.samples.append([round(now - self.started, 3), done])
        if len(self.samples) > self.MAX_SAMPLES:
            self.samples = self.samples[::2]  # keep the whole run, at a coarser step
        doc = {"version": 1, "pid": os.getpid(), "state": state, "started": self.started, "updated": now,
               "types": types, "samples": self.samples}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(doc), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # progress publishing must never break a run
            self.broken = True
            log.warning("Cannot write the progress file %s: %s", self.path, exc)


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
        self._rates: dict[str, float] = {}
        self._finished: set[str] = set()
        self._file = ProgressFile(_progress_file) if _progress_file is not None else None

    def _publish(self, state: str = "running", force: bool = False) -> None:
        if self._file is None:
            return
        types = [
            {"name": n, "done": d, "total": t, "rate": round(self._rates.get(n, 0.0), 1),
             "finished": n in self._finished}
            for n, (d, t) in self._counts.items()
        ]
        self._file.write(types, state, force=force)

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
        self._publish("failed" if exc and exc[0] is not None else "finished", force=True)

    def start(self, name: str, total: int | None) -> None:
        self._counts[name] = (0, total)
        self._last_log[name] = time.monotonic()
        if self._progress is not None:
            self._tasks[name] = self._progress.add_task(name, total=total, rate="")
        self._publish(force=True)

    def advance(self, name: str, n: int, rate: float) -> None:
        done, total = self._counts.get(name, (0, None))
        done += n
        self._counts[name] = (done, total)
        self._rates[name] = rate
        self._publish()
        if self._progress is not None and name in self._tasks:
            self._progress.update(self._tasks[name], advance=n, rate=f"{rate:,.0f} rows/s")
        elif self.enabled:
            now = time.monotonic()
            if now - self._last_log.get(name, 0) >= self.log_every_s:
                self._last_log[name] = now
                of = f"/{total:,}" if total is not None else ""
                log.info("%s: %s%s rows (%.0f rows/s)", name, f"{done:,}", of, rate)

    def done(self, name: str) -> None:
        self._finished.add(name)
        self._publish(force=True)
        if self._progress is not None and name in self._tasks:
            t = self._tasks[name]
            task = self._progress.tasks[t]
            self._progress.update(t, total=task.completed)
