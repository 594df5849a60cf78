"""Logging: official-style text lines by default, JSON lines with `--log-format json`.

Secrets never reach a log line: configuration keeps them in `Secret`, URLs are rendered with
hidden passwords, and a filter masks anything that looks like a password in a URL or key=value.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from .config import Config

_SECRET_PATTERNS = (
    re.compile(r"(//[^:/@\s]+:)[^@\s]+@"),
    re.compile(r"(?i)((?:password|secret|token)[\"']?\s*[=:]\s*[\"']?)[^\s\"',;&]+"),
)


_HINTS = ("//", "password", "secret", "token")


def mask(text: str) -> str:
    lowered = text.lower()
    if not any(h in lowered for h in _HINTS):  # the common line: nothing to look at (2 regexes cost more)
        return text
    for pat in _SECRET_PATTERNS:
        text = pat.sub(r"\1****", text)
    return text


class _MaskFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = mask(msg)
        if masked != msg:
            record.msg, record.args = masked, None
        return True


class _OneLineFilter(logging.Filter):
    """A library's error as one line: its traceback (e.g. SQLAlchemy's pool failing to reset a
    connection the database dropped) helps no user; c7to8's own error says what happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            first = (str(record.exc_info[1]).strip().splitlines() or [type(record.exc_info[1]).__name__])[0]
            record.msg, record.args = f"{record.getMessage()}: {first}", None
            record.exc_info, record.exc_text = None, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("entity_type", "c7_id", "reason", "rows", "seconds"):
            if hasattr(record, key):
                doc[key] = getattr(record, key)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)5s --- [%(threadName)s] %(name)s : %(message)s"

_LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
           "WARNING": logging.WARNING, "ERROR": logging.ERROR, "OFF": logging.CRITICAL + 10}


def setup_logging(config: Config | None, log_format: str | None = None, log_file: str | None = None) -> None:
    # no c7to8 format shows where a call was made: not looked up per record (the logging HOWTO's
    # optimization; the end of a run writes a line per skipped row)
    logging._srcfile = None
    fmt = log_format or (config.extras.log_format if config else "text")
    level = _LEVELS.get((config.log_level if config else "WARN").upper(), logging.WARNING)
    root = logging.getLogger("c7to8")
    root.handlers.clear()
    root.setLevel(min(level, logging.INFO))
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level)
    console.setFormatter(formatter)
    console.addFilter(_MaskFilter())
    root.addHandler(console)
    path = log_file or (config.log_file if config else None)
    if path:
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(path, encoding="utf-8")
        fh.setLevel(min(level, logging.INFO))  # DEBUG when configured, else INFO and up
        fh.setFormatter(formatter)
        fh.addFilter(_MaskFilter())
        root.addHandler(fh)
    root.propagate = False
    quiet = logging.StreamHandler(sys.stderr)
    quiet.setFormatter(formatter)
    pool_errors_on_one_line(quiet)


def pool_errors_on_one_line(handler: logging.Handler) -> None:
    """SQLAlchemy's pool logs (WARNING and up) through `handler`, each record on one line (_OneLineFilter).

    Its records come from child loggers, so the filter sits in a handler of its own. History worker
    processes pass their queue handler: the traceback must go before the record is queued, because
    the queue handler writes it into the message.
    """
    pool = logging.getLogger("sqlalchemy.pool")
    pool.handlers.clear()
    handler.setLevel(logging.WARNING)
    handler.addFilter(_OneLineFilter())
    pool.addHandler(handler)
    pool.propagate = False


def _fast_handlers(logger: logging.Logger) -> list[logging.StreamHandler[Any]] | None:
    """The handlers a WARNING of `logger` reaches, when each is one setup_logging installed (a stream,
    c7to8's text or JSON format, the mask filter alone); None when any is not (then records are logged
    one by one, as any handler expects)."""
    out: list[logging.StreamHandler[Any]] = []
    current: logging.Logger | None = logger
    while current is not None:
        for h in current.handlers:
            fmt = h.formatter
            known = type(fmt) is JsonFormatter or (type(fmt) is logging.Formatter and fmt._fmt == TEXT_FORMAT)
            if (not isinstance(h, logging.StreamHandler) or h.stream is None or not known
                    or any(type(f) is not _MaskFilter for f in h.filters)):
                return None
            if h.level <= logging.WARNING:
                out.append(h)
        current = current.parent if current.propagate else None
    return out


def warn_each(logger: logging.Logger, fmt: str, rows: Iterable[tuple[Any, ...]], batch: int = 2000) -> None:
    """``logger.warning(fmt, *args)`` for each `args` of `rows`, the same lines, written a batch at a time.

    For the end of a run, which lists every skipped row (hundreds of thousands of lines): a batch
    shares one timestamp and one write, so a line costs its message, not a log record's whole path.
    """
    if not logger.isEnabledFor(logging.WARNING):
        for _ in rows:  # still consumed: the caller may count what it yields
            pass
        return
    handlers = _fast_handlers(logger)
    if handlers is None:
        for args in rows:
            logger.warning(fmt, *args)
        return
    pending: list[str] = []

    def flush() -> None:
        record = logger.makeRecord(logger.name, logging.WARNING, "(unknown file)", 0, "", (), None)
        for h in handlers:
            f = h.formatter
            if isinstance(f, JsonFormatter):
                text = "\n".join(f.format(_with_message(record, m)) for m in pending)
            else:
                # the message comes last in the text format: "... : "
                prefix = f.format(_with_message(record, "")) if f is not None else ""
                text = "\n".join(prefix + m for m in pending)
            with h.lock or nullcontext():
                h.stream.write(text + h.terminator)
                h.flush()
        pending.clear()

    for args in rows:
        pending.append(mask(fmt % args))
        if len(pending) >= batch:
            flush()
    if pending:
        flush()


def _with_message(record: logging.LogRecord, message: str) -> logging.LogRecord:
    record.msg, record.args = message, None
    return record
