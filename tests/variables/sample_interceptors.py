"""Custom interceptors used by test_interceptors.py (loaded by class name from YAML)."""

from __future__ import annotations

from c7to8.variables import VariableContext, VariableInterceptor, VariableInterceptorError


class UniversalInterceptor(VariableInterceptor):
    """All types: ``UNIVERSAL_<c7 value>``."""

    order = 99

    def execute(self, ctx: VariableContext) -> None:
        value = ctx.c7_value
        text = "true" if value is True else "false" if value is False else str(value)
        ctx.c8_value = "UNIVERSAL_" + text


class PrefixInterceptor(VariableInterceptor):
    """Strings only: ``<prefix><c7 value>`` (runs after all built-ins: no order)."""

    types = frozenset({"StringValue"})
    prefix = "STRING_"

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = f"{self.prefix}{ctx.c7_value}"


class RuntimeOnlyInterceptor(VariableInterceptor):
    entity_types = frozenset({"VariableInstanceEntity"})

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = f"RUNTIME_{ctx.c7_value}"


class DecisionOnlyInterceptor(VariableInterceptor):
    entity_types = frozenset({"decision"})

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = f"DECISION_{ctx.c7_value}"


class ComplexInterceptor(VariableInterceptor):
    """Throws for ``exFlag=true``; rejects with its own message for ``FAIL``."""

    target_variable = "var"

    def execute(self, ctx: VariableContext) -> None:
        if ctx.name == "exFlag" and ctx.c7_value is True:
            raise RuntimeError("boom")
        if ctx.c7_value == "FAIL":
            raise VariableInterceptorError("Test exception: Unsupported variable value FAIL")
        if ctx.name == self.target_variable:
            ctx.c8_value = "transformedValue"


class EarlyInterceptor(VariableInterceptor):
    """Order 5: runs before the built-in string transformer, which then overwrites it."""

    order = 5
    types = frozenset({"string"})

    def execute(self, ctx: VariableContext) -> None:
        ctx.c8_value = "EARLY"


class NotAVariableInterceptor:
    """Belongs to another chain: silently ignored by the variable chain."""
