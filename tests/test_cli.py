"""The official flag rules (surface.md a.3), exercised through the real console entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

from c7to8.cli import USAGE, main, parse_args

TOO_MANY = "Error: Too many arguments."


def run_cli(*argv: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "c7to8.cli", *argv], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_help_alone_prints_usage_and_exits_1() -> None:
    r = run_cli("--help")
    assert r.returncode == 1
    for flag in ("--runtime", "--history", "--identity", "--list-skipped", "--list-migrated",
                 "--retry-skipped", "--drop-schema", "--force", "HISTORY_PROCESS_INSTANCE"):
        assert flag in r.stdout
    assert "Error" not in r.stdout + r.stderr
    assert r.stdout.startswith("\nUsage: ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--help", "--history"], "The --help flag cannot be combined with other flags."),
        ([], "Must specify at least one migration type: use --runtime, --history, --identity or a combination of them."),
        (["--drop-schema"], "Must specify at least one migration type: use --runtime, --history, --identity or a combination of them."),
        (["--history", "--list-skipped", "--list-migrated"],
         "Conflicting flags: --list-skipped, --list-migrated and --retry-skipped are mutually exclusive. Please specify only one of them."),
        (["--runtime", "--retry-skipped", "--list-skipped"],
         "Conflicting flags: --list-skipped, --list-migrated and --retry-skipped are mutually exclusive. Please specify only one of them."),
        (["--runtime", "--force"],
         "Invalid flag combination: --force requires --drop-schema. Use both flags together or remove --force."),
        (["--runtime", "--invalid-flag"], "Invalid flag: --invalid-flag"),
        (["--runtime", "--list-skipped", "HISTORY_JOB"], "Invalid flag: HISTORY_JOB"),
        (["--history", "HISTORY_JOB"], "Invalid flag: HISTORY_JOB"),
        (["--history", "--list-skipped", "history_job"], "Invalid flag: history_job"),
        (["--history", "--retry-skipped", "HISTORY_JOB"], "Invalid flag: HISTORY_JOB"),
        (["--runtime=true"], "Must specify at least one migration type: use --runtime, --history, --identity or a combination of them."),
        (["--runtime", "--history", "--history", "--drop-schema", "--force", "--list-skipped"], TOO_MANY),
    ],
)
def test_invalid_combinations_give_official_message_and_exit_1(argv: list[str], message: str) -> None:
    r = run_cli(*argv)
    assert r.returncode == 1, r.stderr
    assert f"Error: {message}" in r.stderr.splitlines()
    assert "Usage: " in r.stdout


def test_too_many_arguments_shows_double_prefix() -> None:
    r = run_cli("--runtime", "--history", "--history", "--drop-schema", "--force", "--list-skipped")
    assert "Error: Error: Too many arguments." in r.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--runtime"], ["--history"], ["--runtime", "--history"], ["--runtime", "--drop-schema"],
        ["--runtime", "--drop-schema", "--force"], ["--history", "--list-skipped"],
        ["--history", "--list-migrated"], ["--runtime", "--list-migrated"], ["--history", "--retry-skipped"],
        ["HISTORY_JOB", "--list-skipped", "--history"], ["--history", "--list-migrated", "HISTORY_EXTERNAL_TASK"],
        ["--identity", "--history", "--runtime"],
    ],
)
def test_allowed_combinations_parse(argv: list[str]) -> None:
    args = parse_args(argv)
    assert args.modes and set(args.modes) <= {"--runtime", "--history", "--identity"}


def test_modes_keep_command_line_order_and_dedupe() -> None:
    args = parse_args(["--history", "--runtime", "--history"])
    assert args.modes == ["--history", "--runtime"]
    assert args.mode == "MIGRATE"
    assert parse_args(["--history", "--retry-skipped"]).mode == "RETRY_SKIPPED"
    assert parse_args(["--history", "--list-skipped", "HISTORY_JOB", "HISTORY_INCIDENT"]).entity_types == [
        "HISTORY_JOB", "HISTORY_INCIDENT"]


def test_c7to8_options_do_not_count_as_official_flags() -> None:
    args = parse_args(["--history", "--config", "x.yml", "--no-progress", "--workers=2", "--log-format", "json"])
    assert args.config == "x.yml" and args.no_progress and args.workers == 2 and args.log_format == "json"
    assert args.raw == ["--history"]


def test_missing_config_file_is_exit_2_and_names_the_option() -> None:
    r = run_cli("--history", "--config", "/nonexistent/application.yml")
    assert r.returncode == 2
    assert "--config" in r.stderr and "/nonexistent/application.yml" in r.stderr


def test_history_without_c8_datasource_is_official_error(tmp_path: object) -> None:
    from pathlib import Path

    cfg = Path(str(tmp_path)) / "application.yml"
    cfg.write_text("camunda:\n  migrator:\n    c7:\n      data-source:\n        jdbc-url: 'jdbc:sqlite::memory:'\n")
    r = run_cli("--history", "--list-skipped", "--config", str(cfg))
    assert r.returncode == 1
    assert ("No C8 datasource configured. Configure 'camunda.migrator.c8.datasource' to allow history migration."
            in r.stderr)


def test_runtime_and_identity_on_a_database_without_camunda_7_tables(tmp_path: object) -> None:
    from pathlib import Path

    cfg = Path(str(tmp_path)) / "application.yml"
    cfg.write_text("camunda:\n  migrator:\n    c7:\n      data-source:\n        jdbc-url: 'jdbc:sqlite::memory:'\n")
    r = run_cli("--runtime", "--config", str(cfg))
    assert r.returncode == 4
    assert "Camunda 7 table ACT_HI_PROCINST not found" in r.stderr
    r = run_cli("--identity", "--config", str(cfg))
    assert r.returncode == 4
    assert "Camunda 7 table ACT_ID_USER not found" in r.stderr


def test_usage_constant_lists_every_history_type() -> None:
    from c7to8.store.tracking import HISTORY_TYPES

    for t in HISTORY_TYPES:
        if t.name != "HISTORY_EXTERNAL_TASK":  # the official help text omits it too
            assert t.name in USAGE
    assert main(["--help"]) == 1


def test_runtime_concurrency_option(capsys: pytest.CaptureFixture[str]) -> None:
    from c7to8.errors import UsageError

    assert parse_args(["--runtime", "--runtime-concurrency", "4"]).runtime_concurrency == 4
    args = parse_args(["--runtime", "--retry-skipped", "--runtime-concurrency=8", "--history"])
    assert args.runtime_concurrency == 8 and args.raw == ["--runtime", "--retry-skipped", "--history"]
    assert parse_args(["--runtime"]).runtime_concurrency is None  # c7to8.runtime-concurrency decides
    for argv in (["--history", "--runtime-concurrency", "2"], ["--identity", "--runtime-concurrency=2"],
                 ["--dashboard", "--runtime-concurrency", "2"]):
        with pytest.raises(UsageError, match="--runtime-concurrency can only be used with --runtime."):
            parse_args(argv)
    for bad in ("0", "-1", "x", "2.5", "65"):
        with pytest.raises(UsageError, match=f"Invalid value for --runtime-concurrency: {bad} "
                                             r"\(a whole number from 1 to 64\)"):
            parse_args(["--runtime", f"--runtime-concurrency={bad}"])
    # never counts towards the official five-flag limit
    assert parse_args(["--runtime", "--history", "--identity", "--drop-schema", "--force",
                       "--runtime-concurrency", "3"]).runtime_concurrency == 3
    assert main(["--history", "--runtime-concurrency", "2"]) == 1
    captured = capsys.readouterr()
    assert "Error: --runtime-concurrency can only be used with --runtime." in captured.err
    assert "--runtime-concurrency N" in captured.out  # the usage text documents it
