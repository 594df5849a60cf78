"""Interceptor chain: YAML configuration, built-ins by official name, filters, order, failures."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from c7to8.errors import ConfigError, SkipError
from c7to8.variables import (
    C7Variable,
    RuntimeValue,
    VariableConverter,
    VariableEntity,
    build_variable_interceptors,
)
from c7to8.variables.interceptors import BUILTIN_CLASSES, OFFICIAL_PACKAGE

MOD = "tests.variables.sample_interceptors"

YAML = f"""
camunda:
  migrator:
    interceptors:
      - class-name: {OFFICIAL_PACKAGE}.PrimitiveVariableTransformer
        enabled: false
      - class-name: {OFFICIAL_PACKAGE}.DateVariableTransformer
        enabled: false
      - class-name: {MOD}.UniversalInterceptor
      - class-name: {MOD}.PrefixInterceptor
        properties:
          prefix: CUSTOM_
      - class-name: {MOD}.ComplexInterceptor
        properties:
          target-variable: var
      - class-name: {MOD}.NotAVariableInterceptor
"""


def converter(yaml_text: str) -> VariableConverter:
    raw = yaml.safe_load(yaml_text)["camunda"]["migrator"]["interceptors"]
    return VariableConverter(interceptors=build_variable_interceptors(raw))


def names(conv: VariableConverter) -> list[str]:
    return [type(i).__name__ for i in conv.interceptors]


def both(conv: VariableConverter, var: C7Variable) -> tuple[Any, str]:
    runtime = conv.to_runtime(var)
    history = conv.to_history(var)
    assert isinstance(runtime, RuntimeValue)
    return runtime.value, history.text  # type: ignore[union-attr]


def test_default_chain_is_the_official_one_in_order() -> None:
    conv = VariableConverter()
    assert names(conv) == [c.__name__ for c in BUILTIN_CLASSES]
    assert [i.order for i in conv.interceptors] == [1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 20]


def test_yaml_configured_chain() -> None:
    conv = converter(YAML)
    assert "PrimitiveVariableTransformer" not in names(conv)
    assert "DateVariableTransformer" not in names(conv)
    assert names(conv)[-3:] == ["UniversalInterceptor", "PrefixInterceptor", "ComplexInterceptor"]
    assert "NotAVariableInterceptor" not in names(conv)


def test_custom_interceptors_change_values_in_both_modes() -> None:
    conv = converter(YAML)
    assert both(conv, C7Variable("intVar", "integer", long_value=42)) == ("UNIVERSAL_42", '"UNIVERSAL_42"')
    assert both(conv, C7Variable("b", "boolean", long_value=1)) == ("UNIVERSAL_true", '"UNIVERSAL_true"')
    # later interceptor wins, computed from the C7 value
    assert both(conv, C7Variable("testString", "string", text="hello")) == ("CUSTOM_hello", '"CUSTOM_hello"')
    assert both(conv, C7Variable("var", "string", text="originalValue")) == ("transformedValue", '"transformedValue"')


def test_disabled_builtin_really_stops_running() -> None:
    conv = converter(f"""
camunda:
  migrator:
    interceptors:
      - class-name: {OFFICIAL_PACKAGE}.PrimitiveVariableTransformer
        enabled: false
      - class-name: c7to8.variables.interceptors.ByteArrayVariableValidator
        enabled: false
""")
    assert "PrimitiveVariableTransformer" not in names(conv)
    assert "ByteArrayVariableValidator" not in names(conv)
    # nothing converts these types any more: the official "no interceptor set a value" null
    assert both(conv, C7Variable("i", "integer", long_value=42)) == (None, "null")
    assert both(conv, C7Variable("b", "bytes", bytes_value=b"x")) == (None, "null")
    assert both(conv, C7Variable("s", "string", text="x")) == ("x", '"x"')


def test_failing_interceptor_skips_with_official_message() -> None:
    conv = converter(YAML)
    for flavour in (conv.to_runtime, conv.to_history):
        with pytest.raises(SkipError) as err:
            flavour(C7Variable("exFlag", "boolean", long_value=1))
        assert err.value.reason == "ComplexInterceptor failed for variable with name 'exFlag'"
        with pytest.raises(SkipError) as err:
            flavour(C7Variable("x", "string", text="FAIL"))
        assert err.value.reason == "Test exception: Unsupported variable value FAIL"
    assert both(conv, C7Variable("exFlag", "boolean", long_value=0)) == ("UNIVERSAL_false", '"UNIVERSAL_false"')


def test_entity_filters() -> None:
    conv = converter(f"""
camunda:
  migrator:
    interceptors:
      - class-name: {MOD}.RuntimeOnlyInterceptor
      - class-name: {MOD}.DecisionOnlyInterceptor
""")
    var = C7Variable("testVar", "string", text="value1")
    assert both(conv, var) == ("RUNTIME_value1", '"value1"')
    for entity in (VariableEntity.DECISION_INPUT, VariableEntity.DECISION_OUTPUT):
        dec = C7Variable("in", "string", text="A", entity=entity)
        assert conv.to_history(dec).text == '"DECISION_A"'  # type: ignore[union-attr]
    hist = C7Variable("inputA", "string", text="A", entity=VariableEntity.HISTORIC_VARIABLE)
    assert conv.to_history(hist).text == '"A"'  # type: ignore[union-attr]


def test_order_attribute_sorts_with_builtins() -> None:
    conv = converter(f"""
camunda:
  migrator:
    interceptors:
      - class-name: {MOD}.EarlyInterceptor
""")
    assert names(conv).index("EarlyInterceptor") == names(conv).index("ObjectJavaVariableValidator") + 1
    assert both(conv, C7Variable("s", "string", text="x")) == ("x", '"x"')  # the built-in (16) ran later


def test_type_filter_names() -> None:
    conv = converter(f"""
camunda:
  migrator:
    interceptors:
      - class-name: {MOD}.PrefixInterceptor
""")
    assert both(conv, C7Variable("s", "string", text="v")) == ("STRING_v", '"STRING_v"')
    assert both(conv, C7Variable("i", "integer", long_value=1)) == (1, "1")


def test_unknown_property_fails_startup() -> None:
    with pytest.raises(ConfigError, match="An exception occurred while parsing interceptor configuration"):
        converter(f"""
camunda:
  migrator:
    interceptors:
      - class-name: {MOD}.PrefixInterceptor
        properties:
          no-such-property: 1
""")
