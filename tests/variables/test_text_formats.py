"""Spin XML re-serialization and Jackson-like JSON text."""

from __future__ import annotations

import pytest

from c7to8.errors import ConfigError
from c7to8.variables import VariableConverter, VariableSettings
from c7to8.variables.jsontext import JsonSyntaxError, dumps, loads_prefix
from c7to8.variables.xmltext import XmlSyntaxError, reserialize


def test_xml_reserialization_keeps_document_semantics() -> None:
    src = (
        '<?xml version="1.0"?>\n<ns:root xmlns:ns="urn:x" a="1 &amp; 2">\n  <!-- note -->\n'
        "  <ns:item><![CDATA[<raw>]]></ns:item>\n  <p>mixed <b>bold</b> text</p>\n  <e>   </e>\n</ns:root>"
    )
    assert reserialize(src) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ns:root xmlns:ns="urn:x" a="1 &amp; 2">\n'
        "  <!-- note -->\n"
        "  <ns:item><![CDATA[<raw>]]></ns:item>\n"
        "  <p>mixed <b>bold</b> text</p>\n"
        "  <e/>\n"
        "</ns:root>"
    )


def test_xml_errors_and_deep_nesting() -> None:
    with pytest.raises(XmlSyntaxError):
        reserialize("<a><b></a>")
    deep = "<a>" * 3000 + "</a>" * 3000
    with pytest.raises(XmlSyntaxError):
        reserialize(deep)


def test_json_prefix_parsing_like_jackson() -> None:
    assert loads_prefix('  {"a":1} {"b":2}') == ({"a": 1}, '{"a":1}')
    for bad in ("", "   ", "{'a':1}", '{"a":1,}', "[NaN]", "// c\n{}", '{"a":Infinity}'):
        with pytest.raises(JsonSyntaxError):
            loads_prefix(bad)
    with pytest.raises(JsonSyntaxError):
        loads_prefix("[" * 100000)


def test_dumps_escaping_like_jackson() -> None:
    assert dumps({"s": 'q"\\/\x7f\u2028é\x1f', "n": [None, True, 1, 1.0, float("nan")]}) == (
        '{"s":"q\\"\\\\/\x7f\u2028é\\u001F","n":[null,true,1,1.0,"NaN"]}'
    )
    assert dumps("\ud800") == '"\\uD800"'


def test_bad_time_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="c7to8.time-zone"):
        VariableConverter(VariableSettings(time_zone="Mars/Olympus"))
