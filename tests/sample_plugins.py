"""Plug-ins loaded by class name from a test application.yml (see tests/test_interceptors_e2e.py)."""

from __future__ import annotations

from c7to8.convert.interceptors import EntityInterceptor, EntityInterceptorContext
from c7to8.variables import VariableContext, VariableInterceptor


class ShoutingAssignee(EntityInterceptor):
    """User tasks only: upper-case assignee, after the built-in transformer."""

    types = frozenset({"HISTORY_USER_TASK"})
    suffix = ""

    def execute(self, ctx: EntityInterceptorContext) -> None:
        if ctx.c8.get("ASSIGNEE"):
            ctx.c8["ASSIGNEE"] = str(ctx.c8["ASSIGNEE"]).upper() + self.suffix


class TaggedStrings(VariableInterceptor):
    """String variables get a prefix, in history and runtime mode alike."""

    types = frozenset({"StringValue"})
    prefix = "migrated:"

    def execute(self, ctx: VariableContext) -> None:
        if ctx.c7_value is not None:
            ctx.c8_value = f"{self.prefix}{ctx.c7_value}"
