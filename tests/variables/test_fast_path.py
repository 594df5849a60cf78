"""History fast path of VariableConverter: identical to the interceptor chain, and only taken when safe.

The fast path replaces a chain that is nothing but the built-in transformer of a simple type by a
direct call of the same helpers. These tests compare both ways value by value (HistoryValue text and
every column, or the skip and its message) and check that custom or disabled interceptors keep the
chain.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c7to8.c7.values import c7_variable, history_value
from c7to8.errors import SkipError
from c7to8.variables import (
    C7Variable,
    HistoryValue,
    Mode,
    VariableContext,
    VariableConverter,
    VariableEntity,
    VariableInterceptor,
    VariableSettings,
    build_variable_interceptors,
    variable_columns,
)
from c7to8.variables import history as history_mod
from c7to8.variables.interceptors import (
    OFFICIAL_PACKAGE,
    SIMPLE_BUILTINS,
    PrimitiveVariableTransformer,
    StringVariableTransformer,
)
from c7to8.variables.jsontext import _quote_escaped, quote
from c7to8.variables.model import EMPTY_STRING_MARKER

PROPS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MOD = "tests.variables.sample_interceptors"
FAST_TYPES = ("null", "boolean", "short", "integer", "long", "double", "string", "date")

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "+05:30", "-03"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MS_MIN = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _MS
_MS_MAX = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - _EPOCH) // _MS


def _utc_ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return (datetime(year, month, day, hour, minute, tzinfo=UTC) - _EPOCH) // _MS


# instants around DST switches (Europe/Berlin, America/New_York, Lord Howe's 30-minute shift)
_DST_EDGES = [
    _utc_ms(2021, 3, 28, 1),
    _utc_ms(2021, 10, 31, 1),
    _utc_ms(2023, 3, 12, 7),
    _utc_ms(2023, 11, 5, 6),
    _utc_ms(2022, 4, 2, 15),
    _utc_ms(2022, 10, 1, 15, 30),
    _utc_ms(1916, 4, 30, 22),
]

ENTITIES = st.sampled_from([None, *VariableEntity])


def _millis() -> st.SearchStrategy[int]:
    near_dst = st.builds(lambda edge, delta: edge + delta, st.sampled_from(_DST_EDGES),
                         st.integers(-3 * 3600_000, 3 * 3600_000))
    return st.one_of(
        near_dst,
        st.integers(_MS_MIN, _MS_MAX),
        st.sampled_from([0, -1, 1, _MS_MIN, _MS_MAX, _MS_MIN - 1, _MS_MAX + 1]),
        st.integers(-(2**63), 2**63 - 1),  # mostly outside the years 1..9999: a skip in both ways
    )


_INT_EDGES = [
    0, 1, -1, 2**15 - 1, 2**15, -(2**15), -(2**15) - 1, 2**16 - 1, 2**16,
    2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**32 - 1, 2**32,
    2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 2**100, -(2**100),
]
INTS = st.one_of(st.none(), st.sampled_from(_INT_EDGES), st.integers(-(2**64), 2**64), st.integers())

DOUBLES = st.one_of(
    st.none(),
    st.sampled_from([0.0, -0.0, float("nan"), float("inf"), float("-inf"), 5e-324, -5e-324, 2.2250738585072014e-308,
                     1.7976931348623157e308, 1e7, 1e-3, 9999999.0, 0.001, 1e-4, 123456789.125]),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.floats(min_value=-1e-300, max_value=1e-300, allow_subnormal=True),
)

# control characters, quotes, backslashes, non-BMP characters; never lone surrogates (st.text default)
_CHARS = st.one_of(
    st.characters(),
    st.sampled_from(['"', "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "\u2028", "é", "😀", "𝄞"]),
)
TEXTS = st.one_of(
    st.none(),
    st.text(_CHARS, max_size=40),
    st.text(_CHARS, min_size=50, max_size=400),  # beyond the small preview sizes below: truncation columns
    st.sampled_from(["", "null", "NULL", "true", "False", "42", "-1.5", ".5", "1.", "9223372036854775808"]),
)
TEXT2 = st.one_of(st.none(), st.just(EMPTY_STRING_MARKER), st.text(max_size=10))


def _type_name(kind: str) -> st.SearchStrategy[str]:
    # padded names resolve to the same type; differently cased names are unknown types (no fast path)
    return st.sampled_from([kind, kind, f" {kind} ", kind.upper(), kind.capitalize()])


@st.composite
def variables(draw: st.DrawFn, kind: str) -> C7Variable:
    long_value: Any = None
    double_value: Any = None
    text: Any = draw(st.one_of(st.none(), st.text(max_size=5)))
    text2: Any = draw(TEXT2)
    if kind == "string":
        text, text2 = draw(st.one_of(st.tuples(TEXTS, TEXT2), st.just((None, EMPTY_STRING_MARKER))))
    if kind in ("boolean", "short", "integer", "long"):
        long_value = draw(INTS)
    elif kind == "date":
        long_value = draw(st.one_of(st.none(), _millis()))
    elif kind == "double":
        double_value = draw(DOUBLES)
    elif kind == "null":
        long_value = draw(st.one_of(st.none(), st.integers()))
    return C7Variable(
        name=draw(st.text(max_size=8)),
        type_name=draw(_type_name(kind)),
        text=text,
        text2=text2,
        long_value=long_value,
        double_value=double_value,
        entity=draw(ENTITIES),
    )


SETTINGS = st.builds(
    lambda zone, preview, max_bytes: VariableSettings(
        time_zone=zone, history_preview_size=preview, history_max_bytes=max_bytes
    ),
    st.sampled_from(ZONES),
    st.one_of(st.integers(1, 60), st.sampled_from([4000, 8191])),
    st.one_of(st.none(), st.integers(1, 200), st.just(4000)),
)


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        result = fn()
    except SkipError as exc:
        return ("skip", (type(exc).__name__, str(exc)))
    assert isinstance(result, HistoryValue)
    # repr keeps NaN comparable and tells -0.0 from 0.0 in DOUBLE_VALUE
    return ("value", (result.name, result.text, repr(sorted(result.columns.items()))))


class Harmless(VariableInterceptor):
    """Own applies_to: stays in every chain (so no kind is fast) and never applies."""

    def applies_to(self, ctx: VariableContext) -> bool:
        return False

    def execute(self, ctx: VariableContext) -> None:  # pragma: no cover - never runs
        ctx.c8_value = "HARMLESS"


class CountingConverter(VariableConverter):
    """Counts the runs of the interceptor chain and the kinds whose chain was computed (a subclass, no patching)."""

    chain_runs = 0
    applicable_calls = 0

    def context(self, var: C7Variable, mode: Mode) -> VariableContext:
        self.chain_runs += 1
        return super().context(var, mode)

    def _applicable(self, ctx: VariableContext) -> list[VariableInterceptor]:
        self.applicable_calls += 1
        return super()._applicable(ctx)


@pytest.mark.parametrize("kind", FAST_TYPES)
@PROPS
@given(data=st.data(), conf=SETTINGS, truncate=st.sampled_from([None, True, False]))
def test_fast_path_equals_chain(kind: str, data: st.DataObject, conf: VariableSettings, truncate: bool | None) -> None:
    var = data.draw(variables(kind), label="var")
    fast = CountingConverter(conf)
    by_flag = VariableConverter(conf, fast_path=False)
    by_interceptor = VariableConverter(conf, [*build_variable_interceptors(), Harmless()])

    expected = _outcome(lambda: by_flag.to_history(var, truncate=truncate))
    assert _outcome(lambda: by_interceptor.to_history(var, truncate=truncate)) == expected

    entity = var.entity or VariableEntity.HISTORIC_VARIABLE
    canonical = (var.type_name or "").strip() in FAST_TYPES
    assert (fast._fast_kind(entity, var.type_name) is not None) == canonical
    assert by_flag._fast_kind(entity, var.type_name) is None
    assert by_interceptor._fast_kind(entity, var.type_name) is None

    assert _outcome(lambda: fast.to_history(var, truncate=truncate)) == expected
    if canonical:
        direct = _outcome(lambda: fast.simple_history(
            var.name, var.type_name, entity, var.long_value, var.double_value, var.text, var.text2, truncate
        ))
        assert direct == expected
        assert fast.chain_runs == 0  # the fast path never ran the interceptor chain

    # the reader's way: a C7 row, without building a C7Variable when the fast path applies
    row = {"NAME_": var.name, "VAR_TYPE_": var.type_name, "TEXT_": var.text, "TEXT2_": var.text2,
           "LONG_": var.long_value, "DOUBLE_": var.double_value}
    from_row = _outcome(lambda: history_value(fast, row, None, entity, "NAME_", truncate))
    assert from_row == _outcome(lambda: by_flag.to_history(c7_variable(row, None, entity, "NAME_"), truncate=truncate))


def test_fast_path_is_taken_for_every_simple_type_by_default() -> None:
    conv = VariableConverter()
    for kind in FAST_TYPES:
        for entity in VariableEntity:
            assert conv._fast_kind(entity, kind) is not None, (kind, entity)
    for other in ("bytes", "file", "json", "xml", "serializable", "object", "spin://application/json", "weird", None):
        assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, other) is None, other
    assert set(SIMPLE_BUILTINS) == {C7Variable("x", k).value_type for k in FAST_TYPES}


def test_fast_path_failures_are_the_chains_skips() -> None:
    fast, chain = VariableConverter(), VariableConverter(fast_path=False)
    odd: list[Any] = ["12", object(), 1.5]  # what a misbehaving driver might hand over in LONG_
    for var in (
        C7Variable("d", "date", long_value=2**62),
        C7Variable("s", "short", long_value=odd[0]),
        C7Variable("l", "long", long_value=odd[1]),
        C7Variable("i", "integer", long_value=odd[2]),
    ):
        expected = _outcome(lambda: chain.to_history(var))  # noqa: B023 - called at once
        assert expected[0] == "skip"
        assert _outcome(lambda: fast.to_history(var)) == expected  # noqa: B023 - called at once
    assert _outcome(lambda: fast.to_history(C7Variable("d", "date", long_value=2**62))) == (
        "skip", ("VariableInterceptorError", "DateVariableTransformer failed for variable with name 'd'")
    )


def _converter(yaml_text: str, **kw: Any) -> VariableConverter:
    raw = yaml.safe_load(yaml_text)
    return VariableConverter(VariableSettings(**kw), build_variable_interceptors(raw))


def test_custom_string_interceptor_is_not_bypassed() -> None:
    conv = _converter(f"""
- class-name: {MOD}.PrefixInterceptor
  properties: {{prefix: CUSTOM_}}
""")
    assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, "string") is None
    assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, "long") is not None  # other kinds stay fast
    result = conv.to_history(C7Variable("s", "string", text="hello"))
    assert isinstance(result, HistoryValue) and result.text == '"CUSTOM_hello"'
    assert conv.simple_history("s", "string", VariableEntity.HISTORIC_VARIABLE, None, None, "hello", None) is None
    row = {"NAME_": "s", "VAR_TYPE_": "string", "TEXT_": "hello"}
    via_row = history_value(conv, row, None, VariableEntity.HISTORIC_VARIABLE, "NAME_")
    assert isinstance(via_row, HistoryValue) and via_row.columns["VAR_VALUE"] == '"CUSTOM_hello"'


def test_earlier_custom_interceptor_keeps_the_chain() -> None:
    # runs before the built-in string transformer, which then overwrites the value: same text, but the chain ran
    conv = _converter(f"- class-name: {MOD}.EarlyInterceptor\n")
    assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, "string") is None
    ran: list[str] = []
    early = next(i for i in conv.interceptors if type(i).__name__ == "EarlyInterceptor")
    original = early.execute

    def spy(ctx: VariableContext) -> None:
        ran.append(ctx.name)
        original(ctx)

    early.execute = spy  # type: ignore[method-assign]
    result = conv.to_history(C7Variable("s", "string", text="x"))
    assert isinstance(result, HistoryValue) and result.text == '"x"' and ran == ["s"]


def test_custom_interceptor_for_history_only_or_decisions_only() -> None:
    conv = _converter(f"- class-name: {MOD}.DecisionOnlyInterceptor\n")
    assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, "integer") is not None
    assert conv._fast_kind(VariableEntity.DECISION_INPUT, "integer") is None
    out = conv.to_history(C7Variable("i", "integer", long_value=7, entity=VariableEntity.DECISION_OUTPUT))
    assert isinstance(out, HistoryValue) and out.text == '"DECISION_7"'
    plain = conv.to_history(C7Variable("i", "integer", long_value=7))
    assert isinstance(plain, HistoryValue) and plain.text == "7"


def test_disabled_builtin_disables_the_fast_path() -> None:
    conv = _converter(f"- class-name: {OFFICIAL_PACKAGE}.PrimitiveVariableTransformer\n  enabled: false\n")
    for kind in ("boolean", "short", "integer", "long", "double"):
        assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, kind) is None, kind
    for kind in ("null", "string", "date"):
        assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, kind) is not None, kind
    # no transformer: c7to8's fallback leaves the value null
    result = conv.to_history(C7Variable("i", "integer", long_value=42))
    assert isinstance(result, HistoryValue) and result.text == "null" and result.columns["TYPE"] == "NULL"
    assert conv.simple_history("i", "integer", VariableEntity.HISTORIC_VARIABLE, 42, None, None, None) is None


def test_replaced_or_patched_builtin_disables_the_fast_path() -> None:
    class LoudString(StringVariableTransformer):
        def execute(self, ctx: VariableContext) -> None:
            ctx.c8_value = str(ctx.c7_value).upper()

    chain = [i for i in build_variable_interceptors() if type(i) is not StringVariableTransformer]
    conv = VariableConverter(interceptors=[*chain, LoudString()])
    assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, "string") is None
    result = conv.to_history(C7Variable("s", "string", text="abc"))
    assert isinstance(result, HistoryValue) and result.text == '"ABC"'

    chain = build_variable_interceptors()
    primitive = next(i for i in chain if type(i) is PrimitiveVariableTransformer)
    primitive.execute = lambda ctx: setattr(ctx, "c8_value", -1)  # type: ignore[method-assign]
    conv = VariableConverter(interceptors=chain)
    assert conv._fast_kind(VariableEntity.HISTORIC_VARIABLE, "long") is None
    result = conv.to_history(C7Variable("l", "long", long_value=5))
    assert isinstance(result, HistoryValue) and result.text == "-1"


def test_fast_decision_is_cached_per_kind() -> None:
    conv = CountingConverter()
    for _ in range(3):
        conv.to_history(C7Variable("a", "string", text="x"))
        conv.to_history(C7Variable("b", "long", long_value=1))
    assert conv.applicable_calls == 2


# ------------------------------------------------------------------------------------------------
# the shared helpers' shortcuts give what their long way gives


@PROPS
@given(st.lists(st.one_of(st.integers(0, 0x10FFFF), st.integers(0, 0x7F), st.integers(0xD7F0, 0xE010)), max_size=60))
def test_quote_shortcut_equals_escaping_loop(codes: list[int]) -> None:
    text = "".join(map(chr, codes))  # lone surrogates included
    assert quote(text) == _quote_escaped(text)


def _is_parsable_reference(text: str) -> bool:
    """The character loop ``_is_parsable`` replaced by a regular expression."""
    if not text or text.endswith("."):
        return False
    body = text[1:] if text.startswith("-") else text
    if not body:
        return False
    points = 0
    for ch in body:
        if ch == ".":
            points += 1
            if points > 1:
                return False
        elif not ("0" <= ch <= "9"):
            return False
    return True


@PROPS
@given(st.one_of(st.text(st.sampled_from("-.0123456789e+ \n١٢"), max_size=12), st.text(max_size=12)))
def test_is_parsable_equals_reference(text: str) -> None:
    assert history_mod._is_parsable(text) == _is_parsable_reference(text)


def _columns_reference(text: str, preview_size: int, max_bytes: int | None) -> dict[str, Any]:
    """variable_columns for a STRING text without the length shortcuts."""
    preview = text
    if history_mod._utf16_len(preview) > preview_size:
        preview = history_mod._cut_utf16(preview, preview_size)
    if max_bytes is not None:
        preview = history_mod._cut_utf8(preview, max_bytes)
    cut = preview != text
    return {"TYPE": "STRING", "VAR_VALUE": preview if cut else text, "VAR_FULL_VALUE": text if cut else None,
            "LONG_VALUE": None, "DOUBLE_VALUE": None, "IS_PREVIEW": cut}


@PROPS
@given(
    st.text(st.one_of(st.characters(), st.sampled_from(["😀", "é", "a", "\ud800"])), max_size=120),
    st.integers(1, 130),
    st.one_of(st.none(), st.integers(1, 500)),
)
def test_truncation_shortcut_equals_reference(body: str, preview_size: int, max_bytes: int | None) -> None:
    text = quote(body)
    assert variable_columns(text, preview_size=preview_size, max_bytes=max_bytes) == _columns_reference(
        text, preview_size, max_bytes
    )


def test_default_settings_examples() -> None:
    conv = VariableConverter(replace(VariableSettings(time_zone="Europe/Berlin"), history_preview_size=5))
    cases = {
        C7Variable("n", "null"): "null",
        C7Variable("b", "boolean", long_value=1): "true",
        C7Variable("s", "short", long_value=2**15): "-32768",
        C7Variable("i", "integer", long_value=2**31): "-2147483648",
        C7Variable("d", "double", double_value=float("nan")): '"NaN"',
        C7Variable("d", "double", double_value=-0.0): "-0.0",
        C7Variable("e", "string", text2=EMPTY_STRING_MARKER): '""',
        C7Variable("t", "date", long_value=_utc_ms(2021, 3, 28, 1)): '"2021-03-28T03:00:00.000+0200"',
    }
    for var, text in cases.items():
        result = conv.to_history(var)
        assert isinstance(result, HistoryValue) and result.text == text, var
    long_text = conv.to_history(C7Variable("s", "string", text="abcdefgh"))
    assert isinstance(long_text, HistoryValue)
    assert long_text.columns["IS_PREVIEW"] is True and long_text.columns["VAR_VALUE"] == '"abcd'


@pytest.mark.parametrize("kind", FAST_TYPES)
def test_fast_path_keeps_row_scope_free(kind: str) -> None:
    """simple_history needs no bytes and no scope fields: the variable's row is never consulted."""
    conv = VariableConverter()
    result = conv.simple_history("v", kind, VariableEntity.DECISION_INPUT, None, None, None, None)
    assert isinstance(result, HistoryValue) and result.text == "null"
    assert result.columns["TYPE"] == "NULL"
