"""Typed errors. Every message says what went wrong and what the user can do about it."""

from __future__ import annotations


class C7to8Error(Exception):
    """Base class of every error c7to8 raises on purpose."""

    exit_code = 1


class UsageError(C7to8Error):
    """Invalid command-line flags (official wording; exit code 1 like the official tool)."""

    exit_code = 1


class ConfigError(C7to8Error):
    """A configuration value is missing or invalid. Names the key, never prints a secret."""

    exit_code = 2

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"Invalid configuration '{key}': {problem}")


class NotSupportedYet(C7to8Error):
    """A mode or feature that this version does not provide."""

    exit_code = 3


class SourceError(C7to8Error):
    """The Camunda 7 database cannot be read (connection, schema, version)."""

    exit_code = 4


class TargetError(C7to8Error):
    """The Camunda 8 side (database or REST API) cannot be written or reached."""

    exit_code = 5


class SkipError(Exception):
    """Raised inside conversion code: the entity is skipped with this reason (official text)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
