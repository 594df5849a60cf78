"""Table test: every C7 type, both flavours, exact output."""

from __future__ import annotations

from typing import Any

import pytest

from c7to8.errors import SkipError
from c7to8.variables import (
    C7Variable,
    DocumentUpload,
    HistoryValue,
    Mode,
    RuntimeValue,
    VariableConverter,
    VariableEntity,
    VariableSettings,
)

BYTES_MSG = "Variable of type 'byte[]' is unsupported in C8."
FILE_MSG = "Variable of type 'file' is unsupported in C8."
JAVA_MSG = "Objects serialized as 'application/x-java-serialized-object' are unsupported in C8."
JSON_MSG = "Error while deserializing JSON into Map type."
JAVA_STRING_HI = b"\xac\xed\x00\x05\x74\x00\x02hi"


class Skip:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def v(type_name: str | None, **kw: Any) -> C7Variable:
    return C7Variable(name=kw.pop("name", "v"), type_name=type_name, **kw)


DATE_MS = 1737620130123  # 2025-01-23T08:15:30.123Z

# (id, variable, runtime value | Skip, history text | Skip)
CASES: list[tuple[str, C7Variable, Any, Any]] = [
    ("null", v("null"), None, "null"),
    ("boolean-true", v("boolean", long_value=1), True, "true"),
    ("boolean-false", v("boolean", long_value=0), False, "false"),
    ("boolean-null", v("boolean"), None, "null"),
    ("short", v("short", long_value=1, text="1"), 1, "1"),
    ("integer", v("integer", long_value=1234, text="1234"), 1234, "1234"),
    ("integer-negative", v("integer", long_value=-7), -7, "-7"),
    ("long", v("long", long_value=2147483648), 2147483648, "2147483648"),
    ("long-null", v("long"), None, "null"),
    ("double", v("double", double_value=1.5), 1.5, "1.5"),
    ("double-whole", v("double", double_value=3.0), 3.0, "3.0"),
    ("double-large", v("double", double_value=1e20), 1e20, "1.0E20"),
    ("double-small", v("double", double_value=0.001), 0.001, "0.001"),
    ("double-tiny", v("double", double_value=1e-4), 1e-4, "1.0E-4"),
    ("double-nan", v("double", double_value=float("nan")), "NaN", '"NaN"'),
    ("double-inf", v("double", double_value=float("-inf")), "-Infinity", '"-Infinity"'),
    ("string", v("string", text="myStringVar"), "myStringVar", '"myStringVar"'),
    (
        "string-escapes",
        v("string", text='a "q" \\ \n\t\x01 ü'),
        'a "q" \\ \n\t\x01 ü',
        '"a \\"q\\" \\\\ \\n\\t\\u0001 ü"',
    ),
    ("string-empty", v("string", text=""), "", '""'),
    ("string-empty-oracle", v("string", text=None, text2="!emptyString!"), "", '""'),
    ("string-null", v("string"), None, "null"),
    ("date", v("date", long_value=DATE_MS), "2025-01-23T08:15:30.123+0000", '"2025-01-23T08:15:30.123+0000"'),
    ("date-before-1970", v("date", long_value=-1), "1969-12-31T23:59:59.999+0000", '"1969-12-31T23:59:59.999+0000"'),
    ("date-null", v("date"), None, "null"),
    (
        "object-json",
        v(
            "spin://application/json",
            text2="com.acme.Pojo",
            bytes_value=b'{"stringProperty":"a String","intProperty":42,"booleanProperty":true}',
        ),
        {"stringProperty": "a String", "intProperty": 42, "booleanProperty": True},
        '{"stringProperty":"a String","intProperty":42,"booleanProperty":true}',
    ),
    (
        "object-json-kept-verbatim",
        v("spin://application/json", bytes_value=b' {"a": 1.50} trailing'),
        {"a": 1.5},
        '{"a": 1.50}',
    ),
    ("object-json-array", v("spin://application/json", bytes_value=b"[1,2]"), [1, 2], "[1,2]"),
    ("object-json-null-literal", v("spin://application/json", bytes_value=b"null"), None, "null"),
    ("object-json-no-value", v("spin://application/json", text2="com.acme.Pojo"), None, "null"),
    ("object-json-broken", v("spin://application/json", bytes_value=b'{"a":'), Skip(JSON_MSG), Skip(JSON_MSG)),
    ("object-json-nan", v("spin://application/json", bytes_value=b'{"a":NaN}'), Skip(JSON_MSG), Skip(JSON_MSG)),
    (
        "object-xml",
        v("spin://application/xml", text2="com.acme.Pojo", bytes_value=b'<p a="1">x</p>'),
        '<p a="1">x</p>',
        '"<p a=\\"1\\">x</p>"',
    ),
    ("object-java", v("serializable", text2="java.lang.String", bytes_value=JAVA_STRING_HI), "hi", '"hi"'),
    ("object-text-plain", v("spin://text/plain", bytes_value=b"plain text"), "plain text", '"plain text"'),
    (
        "object-binary-format",
        v("spin://application/octet-stream", bytes_value=b"\xff\xfe"),
        Skip("Objects serialized as 'application/octet-stream' are unsupported in C8."),
        Skip("Objects serialized as 'application/octet-stream' are unsupported in C8."),
    ),
    (
        "object-rest-style",
        v("object", serialization_format="application/json", bytes_value=b'{"k":"v"}'),
        {"k": "v"},
        '{"k":"v"}',
    ),
    (
        "spin-json",
        v("json", bytes_value=b'{ "b" : [1, 2.50, 1e20], "s": "\\u00fc" }'),
        {"b": [1, 2.5, 1e20], "s": "ü"},
        '{"b":[1,2.5,1.0E20],"s":"ü"}',
    ),
    (
        "spin-json-broken",
        v("json", name="sj", bytes_value=b"{oops"),
        Skip("SpinJsonVariableTransformer failed for variable with name 'sj'"),
        Skip("SpinJsonVariableTransformer failed for variable with name 'sj'"),
    ),
    (
        "spin-xml",
        v("xml", bytes_value=b"<root>\n   <a x='1'>t</a>\n <b></b>\n</root>"),
        '<?xml version="1.0" encoding="UTF-8"?>\n<root>\n  <a x="1">t</a>\n  <b/>\n</root>',
        '"<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?>\\n<root>\\n  <a x=\\"1\\">t</a>\\n  <b/>\\n</root>"',
    ),
    (
        "spin-xml-broken",
        v("xml", name="sx", bytes_value=b"<a>"),
        Skip("SpinXmlVariableTransformer failed for variable with name 'sx'"),
        Skip("SpinXmlVariableTransformer failed for variable with name 'sx'"),
    ),
    (
        "unknown-type",
        v("jpa-entity", text="x"),
        Skip("Variable of type 'jpa-entity' is unsupported in C8."),
        Skip("Variable of type 'jpa-entity' is unsupported in C8."),
    ),
    ("feel-unfriendly-name", v("string", name="st/C", text="value"), "value", '"value"'),
]


@pytest.mark.parametrize(("case", "var", "runtime", "history"), CASES, ids=[c[0] for c in CASES])
def test_runtime_and_history(case: str, var: C7Variable, runtime: Any, history: Any) -> None:
    conv = VariableConverter()
    for flavour, expected in ((conv.to_runtime, runtime), (conv.to_history, history)):
        if isinstance(expected, Skip):
            with pytest.raises(SkipError) as err:
                flavour(var)
            assert err.value.reason == expected.reason
            continue
        result = flavour(var)
        assert result.name == var.name  # type: ignore[union-attr]
        if isinstance(result, RuntimeValue):
            assert result.value == expected
            assert type(result.value) is type(expected)
        else:
            assert isinstance(result, HistoryValue)
            assert result.text == expected


def test_date_in_configured_zone() -> None:
    conv = VariableConverter(VariableSettings(time_zone="Europe/Berlin"))
    var = v("date", long_value=DATE_MS)
    assert conv.to_runtime(var) == RuntimeValue("v", "2025-01-23T09:15:30.123+0100")
    summer = v("date", long_value=1721910645123)  # 2024-07-25T12:30:45.123Z
    assert conv.to_runtime(summer) == RuntimeValue("v", "2024-07-25T14:30:45.123+0200")
    fixed = VariableConverter(VariableSettings(time_zone="-05:30"))
    assert fixed.to_runtime(var) == RuntimeValue("v", "2025-01-23T02:45:30.123-0530")


def test_bytes_and_file_become_document_uploads() -> None:
    conv = VariableConverter()
    first = conv.to_runtime(v("bytes", name="blob", bytes_value=b"\x00\x01"))
    assert first == DocumentUpload(
        "blob",
        b"\x00\x01",
        "blob",
        "application/octet-stream",
        None,
        Mode.RUNTIME,
        VariableEntity.RUNTIME_VARIABLE,
        "bytes",
    )
    up = conv.to_history(v("file", name="doc", text="a.pdf", text2="application/pdf#UTF-8", bytes_value=b"%PDF"))
    assert isinstance(up, DocumentUpload)
    assert (up.file_name, up.content_type, up.encoding, up.content) == ("a.pdf", "application/pdf", "UTF-8", b"%PDF")
    assert up.metadata() == {
        "contentType": "application/pdf",
        "fileName": "a.pdf",
        "size": 4,
        "customProperties": {"c7VariableName": "doc", "c7Type": "file", "encoding": "UTF-8"},
    }
    up2 = conv.to_runtime(v("file", text="n.txt", text2="#ISO-8859-1", bytes_value=b"x"))
    assert isinstance(up2, DocumentUpload)
    assert (up2.content_type, up2.encoding) == ("application/octet-stream", "ISO-8859-1")


def test_official_bytes_behaviour_skips() -> None:
    conv = VariableConverter(VariableSettings(official_bytes_behaviour=True))
    for var, msg in ((v("bytes", bytes_value=b"x"), BYTES_MSG), (v("file", text="f", bytes_value=b"x"), FILE_MSG)):
        for flavour in (conv.to_runtime, conv.to_history):
            with pytest.raises(SkipError) as err:
                flavour(var)
            assert err.value.reason == msg


def test_official_unknown_values_behaviour_gives_null() -> None:
    conv = VariableConverter(VariableSettings(official_unknown_values_behaviour=True))
    for var in (v("jpa-entity", text="x"), v("spin://text/plain", bytes_value=b"t")):
        assert conv.to_runtime(var) == RuntimeValue("v", None)
        assert conv.to_history(var).text == "null"  # type: ignore[union-attr]


def test_document_reference_becomes_the_value() -> None:
    conv = VariableConverter()
    up = conv.to_runtime(v("bytes", name="blob", bytes_value=b"abc"))
    assert isinstance(up, DocumentUpload)
    ref = {
        "camunda.document.type": "camunda",
        "storeId": "in-memory",
        "documentId": "d-1",
        "contentHash": "h",
        "metadata": {
            "contentType": "application/octet-stream",
            "fileName": "blob",
            "size": 3,
            "expiresAt": None,
            "processDefinitionId": None,
            "processInstanceKey": None,
            "customProperties": {"c7VariableName": "blob", "c7Type": "bytes"},
        },
    }
    assert conv.runtime_from_document(up, ref) == RuntimeValue("blob", ref)
    hist = conv.history_from_document(up, ref)
    assert hist.text.startswith('{"camunda.document.type":"camunda","storeId":"in-memory","documentId":"d-1",')
    assert hist.columns["TYPE"] == "STRING"


def test_oversized_runtime_value_is_skipped() -> None:
    conv = VariableConverter(VariableSettings(max_runtime_value_bytes=10))
    with pytest.raises(SkipError) as err:
        conv.to_runtime(v("string", name="big", text="x" * 20))
    assert err.value.reason == (
        "Variable with name 'big' is too large for Camunda 8: 22 bytes of JSON exceed the limit of 10 bytes."
    )
    assert conv.to_history(v("string", text="x" * 20)).text == '"' + "x" * 20 + '"'  # type: ignore[union-attr]
