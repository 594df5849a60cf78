"""Command line: the official Data Migrator flags, unchanged, plus c7to8's own options.

Thin by design: parse, load configuration, call an orchestrator, print its summary.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import __version__
from .errors import C7to8Error, NotSupportedYet, UsageError
from .store.tracking import HISTORY_TYPES

log = logging.getLogger("c7to8")

MODE_FLAGS = ("--runtime", "--history", "--identity")
LIST_FLAGS = ("--list-skipped", "--list-migrated", "--retry-skipped")
OFFICIAL_FLAGS = ("--help", *MODE_FLAGS, *LIST_FLAGS, "--drop-schema", "--force")
HISTORY_TYPE_NAMES = tuple(t.name for t in HISTORY_TYPES)

# c7to8's own options: (name, takes a value)
EXTRA_OPTIONS: dict[str, bool] = {
    "--config": True,
    "--no-progress": False,
    "--log-format": True,
    "--log-file": True,
    "--workers": True,
    "--runtime-concurrency": True,
    "--dask": True,
    "--json": False,
    "--version": False,
    "--identity-credentials": True,
    "--verify": False,
    "--preflight": False,
    "--report": True,
    "--sample": True,
    "--dashboard": False,
    "--port": True,
    "--bind": True,
    "--token": True,
    "--progress-file": True,
}

_TYPES_HELP = """                      HISTORY_PROCESS_DEFINITION, HISTORY_PROCESS_INSTANCE, HISTORY_INCIDENT,
                      HISTORY_VARIABLE, HISTORY_USER_TASK, HISTORY_FLOW_NODE,
                      HISTORY_DECISION_INSTANCE, HISTORY_DECISION_DEFINITION,
                      HISTORY_DECISION_REQUIREMENT, HISTORY_AUDIT_LOG,
                      HISTORY_FORM_DEFINITION, HISTORY_JOB"""

USAGE = (  # noqa: E501 - official text, kept verbatim
    f"""
Usage: c7to8 [--help] [--runtime] [--history] [--identity] [--list-skipped [ENTITY_TYPES...]|--list-migrated [ENTITY_TYPES...]|--retry-skipped] [--drop-schema|--drop-schema --force]
Options:
  --help              - Show this help message
  --runtime           - Migrate runtime data only
  --history           - Migrate history data only
  --identity          - Migrate identity data only
  --runtime --history --identity - Migrate all data in the specified order
  --list-skipped [ENTITY_TYPES...]
                    - List previously skipped migration data. For history data, optionally specify entity types to filter.
                      Filter only applicable with history migration. Available entity types:
{_TYPES_HELP}
  --list-migrated [ENTITY_TYPES...]
                    - List migrated entities (C7 ID -> C8 Key). For history data, optionally specify entity types to filter.
                      Filter only applicable with history migration. Available entity types:
{_TYPES_HELP}
  --retry-skipped   - Retry only previously skipped history data
  --drop-schema     - Drop the migrator schema on shutdown if migration was successful
  --force           - Force the dropping of the migrator schema in all cases, to be used in combination with --drop-schema

Mutually exclusive options:
  --list-skipped, --list-migrated and --retry-skipped cannot be used together
  --force can only be used with --drop-schema
  --help cannot be used with any other flag
Examples:
  c7to8 --history --list-skipped
  c7to8 --history --list-skipped HISTORY_PROCESS_INSTANCE HISTORY_USER_TASK
  c7to8 --runtime --list-migrated
  c7to8 --history --list-migrated HISTORY_PROCESS_INSTANCE

c7to8 options (beyond the official tool):
  --config PATH       - configuration file (default: ./application.yml, then ./configuration/application.yml)
  --no-progress       - no progress bars
  --log-format text|json, --log-file PATH
  --workers N         - parallel history workers
  --runtime-concurrency N - with --runtime: up to N instances started at the same time (default 1, max 64);
                        Camunda 8 backpressure (HTTP 429/503) lowers it for a while
  --dask ADDRESS      - with --history: run the history shards as tasks on a Dask cluster (pip install 'c7to8[distributed]');
                        ADDRESS is the scheduler (tcp://10.0.0.5:8786) or local[:N] for a local cluster of N processes
  --json              - machine-readable output (--verify, --preflight)
  --verify            - with --history: compare Camunda 7 and Camunda 8 after a run (exit 1 on unexplained differences)
  --report FILE.html  - with --verify: also write a self-contained HTML report
  --sample N|all      - with --verify: migrated entities per type checked field by field (default 50)
  --preflight         - check connections, schemas and what would be migrated, without writing (exit 1 if blocked)
  --dashboard         - read-only local web page: counts, skip reasons, C7 id -> C8 key, live progress
  --port N, --bind ADDRESS, --token TOKEN
                      - dashboard address (default 127.0.0.1:8097); a token is required when not on loopback
  --progress-file PATH - where a run publishes its progress for the dashboard (default: derived from the C8 database)
  --identity-credentials FILE - write the generated passwords of migrated users to FILE (mode 0600)
  demo                - run the embedded demo (SQLite, no server, no Java): c7to8 demo
"""
)


@dataclass
class Args:
    modes: list[str] = field(default_factory=list)  # in command-line order, deduplicated
    list_skipped: bool = False
    list_migrated: bool = False
    retry_skipped: bool = False
    drop_schema: bool = False
    force: bool = False
    entity_types: list[str] = field(default_factory=list)
    config: str | None = None
    no_progress: bool = False
    log_format: str | None = None
    log_file: str | None = None
    workers: int | None = None
    runtime_concurrency: int | None = None
    dask: str | None = None  # Dask scheduler address, or local[:N]
    json: bool = False
    identity_credentials: str | None = None
    verify: bool = False
    preflight: bool = False
    report: str | None = None
    sample: int | None = 50  # None = all
    dashboard: bool = False
    port: int | None = None
    bind: str | None = None
    token: str | None = None
    progress_file: str | None = None
    raw: list[str] = field(default_factory=list)  # the official flags as given

    @property
    def mode(self) -> str:
        if self.list_skipped:
            return "LIST_SKIPPED"
        if self.list_migrated:
            return "LIST_MIGRATED"
        if self.retry_skipped:
            return "RETRY_SKIPPED"
        return "MIGRATE"


def parse_args(argv: Sequence[str]) -> Args:
    """Apply the official validation rules in their order; raise UsageError with the official text."""
    official: list[str] = []
    args = Args()
    i = 0
    argv = list(argv)
    # Split off c7to8's own options first; they never count towards the official rules.
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=")
        if name in EXTRA_OPTIONS:
            if EXTRA_OPTIONS[name]:
                if not eq:
                    if i + 1 >= len(argv):
                        raise UsageError(f"Option {name} needs a value.")
                    value = argv[i + 1]
                    i += 1
                _set_extra(args, name, value)
            else:
                _set_extra(args, name, "")
            i += 1
            continue
        official.append(a)
        i += 1
    args.raw = official
    if args.runtime_concurrency is not None and "--runtime" not in official:
        raise UsageError("--runtime-concurrency can only be used with --runtime.")
    if args.dask is not None:
        if "--history" not in official:
            raise UsageError("--dask can only be used with --history.")
        if args.workers is not None and args.workers > 1:
            raise UsageError("--dask and --workers N > 1 cannot be combined: with --dask the Dask workers run the "
                             "shards (their number: c7to8.distributed.shards).")
    if args.dashboard and not official:
        return args  # the dashboard alone needs no migration type

    # 1. --help
    if "--help" in official:
        if len(official) == 1 and len(argv) == 1:
            raise _Help()
        raise UsageError("The --help flag cannot be combined with other flags.")
    # 2. at least one migration type
    if not any(f in official for f in MODE_FLAGS):
        raise UsageError(
            "Must specify at least one migration type: use --runtime, --history, --identity or a combination of them."
        )
    # 3. mutually exclusive list/retry flags
    if sum(1 for f in LIST_FLAGS if f in official) > 1:
        raise UsageError(
            "Conflicting flags: --list-skipped, --list-migrated and --retry-skipped are mutually exclusive. "
            "Please specify only one of them."
        )
    # 4. --force needs --drop-schema
    if "--force" in official and "--drop-schema" not in official:
        raise UsageError(
            "Invalid flag combination: --force requires --drop-schema. Use both flags together or remove --force."
        )
    # 5. scan every argument
    listing = ("--list-skipped" in official or "--list-migrated" in official) and "--history" in official
    count = 0
    for a in official:
        if a in OFFICIAL_FLAGS:
            count += 1
        elif a in HISTORY_TYPE_NAMES and listing:
            args.entity_types.append(a)
        else:
            raise UsageError(f"Invalid flag: {a}")
    # 6. too many flags (duplicates count); the official tool shows the prefix twice
    if count > 5:
        raise UsageError("Error: Too many arguments.")

    for a in official:
        if a in MODE_FLAGS and a not in args.modes:
            args.modes.append(a)
    args.list_skipped = "--list-skipped" in official
    args.list_migrated = "--list-migrated" in official
    args.retry_skipped = "--retry-skipped" in official
    args.drop_schema = "--drop-schema" in official
    args.force = "--force" in official
    return args


class _Help(Exception):
    pass


def _set_extra(args: Args, name: str, value: str) -> None:
    if name == "--config":
        args.config = value
    elif name == "--no-progress":
        args.no_progress = True
    elif name == "--log-format":
        if value not in ("text", "json"):
            raise UsageError(f"Invalid value for --log-format: {value} (use text or json)")
        args.log_format = value
    elif name == "--log-file":
        args.log_file = value
    elif name == "--workers":
        if not value.isdigit() or int(value) < 1:
            raise UsageError(f"Invalid value for --workers: {value} (a whole number >= 1)")
        args.workers = int(value)
    elif name == "--runtime-concurrency":
        from .config import MAX_RUNTIME_CONCURRENCY

        if not value.isdigit() or not 1 <= int(value) <= MAX_RUNTIME_CONCURRENCY:
            raise UsageError(f"Invalid value for --runtime-concurrency: {value} "
                             f"(a whole number from 1 to {MAX_RUNTIME_CONCURRENCY})")
        args.runtime_concurrency = int(value)
    elif name == "--dask":
        from .config import dask_address_problem

        problem = dask_address_problem(value.strip())
        if problem:
            raise UsageError(f"Invalid value for --dask: {problem}")
        args.dask = value.strip()
    elif name == "--json":
        args.json = True
    elif name == "--identity-credentials":
        args.identity_credentials = value
    elif name in ("--verify", "--preflight", "--dashboard"):
        setattr(args, name[2:], True)
    elif name == "--report":
        args.report = value
    elif name == "--sample":
        if value.lower() == "all":
            args.sample = None
        elif value.isdigit() and int(value) >= 1:
            args.sample = int(value)
        else:
            raise UsageError(f"Invalid value for --sample: {value} (a whole number >= 1, or all)")
    elif name == "--port":
        if not value.isdigit() or not 0 <= int(value) <= 65535:
            raise UsageError(f"Invalid value for --port: {value} (0-65535; 0 picks a free port)")
        args.port = int(value)
    elif name == "--bind":
        args.bind = value
    elif name == "--token":
        args.token = value
    elif name == "--progress-file":
        args.progress_file = value
    elif name == "--version":
        print(f"c7to8 {__version__}")
        raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        from .demo import run_demo

        return int(run_demo(argv[1:]))
    try:
        args = parse_args(argv)
    except _Help:
        print(USAGE)
        return 1
    except UsageError as exc:
        msg = str(exc)
        print(f"Error: {msg}", file=sys.stderr)
        print(USAGE)
        return 1
    try:
        return run(args)
    except C7to8Error as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted. Everything committed so far is kept; rerun to continue.", file=sys.stderr)
        return 130


def run(args: Args) -> int:
    from .config import load_config
    from .logs import setup_logging

    config = load_config(args.config)
    setup_logging(config, log_format=args.log_format, log_file=args.log_file)
    log.info("Starting migration with flags: %s", " ".join(args.raw))
    from .app import App

    if args.dask is not None and (args.workers or config.extras.workers) > 1:
        raise UsageError("--dask cannot be combined with c7to8.workers > 1: with --dask the Dask workers run the "
                         "shards (their number: c7to8.distributed.shards).")
    app = App(config, progress=not args.no_progress, workers=args.workers, dask=args.dask)
    app.identity_credentials = args.identity_credentials
    if args.runtime_concurrency is not None:
        app.runtime_concurrency = args.runtime_concurrency  # before the engines open (pool size)
    app.progress_file = args.progress_file
    if args.dashboard:
        try:
            return app.dashboard(port=args.port, bind=args.bind, token=args.token)
        finally:
            app.close()
    if args.verify or args.preflight:
        if args.mode != "MIGRATE" or args.drop_schema:
            raise UsageError("--verify and --preflight cannot be combined with --list-skipped, --list-migrated, "
                             "--retry-skipped or --drop-schema.")
        try:
            if args.preflight:
                return app.preflight(args.modes, as_json=args.json)
            return app.verify(args.modes, sample=args.sample, as_json=args.json, report=args.report)
        finally:
            app.close()
    app.publish_progress()
    rc = 0
    try:
        app.deploy_resources()
        for mode_flag in args.modes:
            if mode_flag == "--history":
                rc = max(rc, app.history(args.mode, args.entity_types))
            elif mode_flag == "--runtime":
                rc = max(rc, app.runtime(args.mode))
            elif mode_flag == "--identity":
                rc = max(rc, app.identity(args.mode))
            else:  # pragma: no cover - parse_args guarantees the set
                raise NotSupportedYet(mode_flag)
    finally:
        if args.drop_schema:
            app.drop_schema(force=args.force)
        app.close()
    return rc


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
