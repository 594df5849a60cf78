"""Java Object Serialization decoding on real bytes written by a JVM (javac + java at test time)."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from c7to8.errors import SkipError
from c7to8.variables import C7Variable, HistoryValue, RuntimeValue, VariableConverter, VariableSettings
from c7to8.variables.javaser import JavaDeserializationError, decode_to_json
from c7to8.variables.jsontext import dumps

ADDRESS = {"city": "Berlin", "street": "Main St 1"}

EXPECTED = {
    # shapes
    "primitives": {
        "aBoolean": True,
        "aByte": 8,
        "aChar": "x",
        "aDouble": 3.14,
        "aFloat": 1.25,
        "aLong": 9000000000,
        "aShort": -7,
        "anInt": 42,
        "aNull": None,
        "aString": "hello",
    },
    "nested": {"id": 7, "customer": {"address": ADDRESS, "name": "Ada"}, "quantity": 3},
    "collections_fields": {
        "addresses": [ADDRESS],
        "counts": {"first": 1, "second": 2},
        "emptySet": [],
        "tags": ["t1", "t2"],
    },
    "enum_field": {"color": "BLUE", "none": None},
    "enum_top": "GREEN",
    "date_decimal": {
        "amount": 1234.5,
        "count": -12345678901,
        "created": "2025-01-23T08:15:30.123+0000",
        "stamp": "2025-01-23T08:15:30.456+0000",
        "whole": 100,
    },
    "hierarchy": {"id": "base-id", "version": 2, "middle": "m", "own": "child"},
    "shared_ref": {"home": ADDRESS, "work": ADDRESS, "s1": "same", "s2": "same"},
    "arrays": {
        "bytes": "AQL/",
        "chars": "ok",
        "doubles": [0.5],
        "flags": [True, False],
        "ints": [1, 2, 3],
        "matrix": [[1], [2, 3]],
        "mixed": [1, "two", "RED"],
        "strings": ["a", None],
    },
    "java_time": {
        "date": "2024-02-29",
        "dateTime": "2024-01-02T03:04:05",
        "duration": "PT1H2M3.5S",
        "instant": "2025-01-23T08:15:30.123Z",
        "offset": "2024-07-01T12:00-05:00",
        "period": "P1Y2M3D",
        "time": "13:05",
        "timeNanos": "01:02:03.004",
        "zoned": "2024-07-01T12:00+02:00[Europe/Berlin]",
    },
    # collections and values at the top level
    "arraylist": ["a", "b", "c"],
    "linkedlist": [1, 2, 3],
    "linkedhashmap": {"z": 1, "a": "two", "m": None},
    "hashmap": {"k1": 1, "2": True, "RED": 2.5},
    "treemap": {"a": 1, "b": 2, "c": 3},
    "linkedhashset": [3, 1, 2],
    "treeset": ["a", "b"],
    "unmodifiable_list": ["u1", "u2"],
    "unmodifiable_map": {"k": "v"},
    "synchronized_list": [7],
    "list_of": [1, 2, 3],
    "map_of": {"one": 1, "two": 2},
    "arrays_aslist": ["p", "q"],
    "empty_list": [],
    "singleton_map": {"only": 1},
    "vector": ["v1", "v2"],
    "arraydeque": [4, 5],
    "enummap": {"BLUE": 3},
    "enumset": ["RED", "BLUE"],
    "concurrenthashmap": {"c": 1},
    "hashtable": {"h": "t"},
    "boxed_integer": 42,
    "boxed_float": 1.1,
    "boxed_double": 0.1,
    "boxed_char": "Z",
    "boxed_boolean": True,
    "string": "plain string",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "biginteger_huge": "123456789012345678901234567890",
    "bigdecimal_precise": "0.12345678901234567890",
    "date": "2025-01-23T08:15:30.123+0000",
    "null_value": None,
    "long_list": list(range(300)),
}

UNORDERED = {"hashset": ["x", "y"], "set_of": ["s1", "s2"]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_decodes_real_java_bytes(java_streams: dict[str, bytes], name: str) -> None:
    assert decode_to_json(java_streams[name], UTC) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(UNORDERED))
def test_decodes_hash_ordered_sets(java_streams: dict[str, bytes], name: str) -> None:
    value = decode_to_json(java_streams[name], UTC)
    assert isinstance(value, list)
    assert sorted(value) == UNORDERED[name]


def test_every_fixture_is_covered(java_streams: dict[str, bytes]) -> None:
    errors = {"custom_write_object", "externalizable", "cycle", "strings"}
    assert set(java_streams) == set(EXPECTED) | set(UNORDERED) | errors


def test_long_strings_and_modified_utf8(java_streams: dict[str, bytes]) -> None:
    value = decode_to_json(java_streams["strings"], UTC)
    assert value["unicode"] == "Grüße \u0000 \U0001f600 end"
    assert len(value["longString"]) == 70000
    assert value["longString"][:5] == "abcde"
    assert value["longString"][26:28] == "ab"


def test_dates_follow_the_configured_zone(java_streams: dict[str, bytes]) -> None:
    assert decode_to_json(java_streams["date"], ZoneInfo("Europe/Berlin")) == "2025-01-23T09:15:30.123+0100"


def test_custom_write_object_data_is_a_precise_error(java_streams: dict[str, bytes]) -> None:
    with pytest.raises(JavaDeserializationError) as err:
        decode_to_json(java_streams["custom_write_object"], UTC)
    assert err.value.class_name == "fixtures.CustomData"
    assert "writeObject" in str(err.value)
    assert f"byte offset {err.value.offset}" in str(err.value)


def test_externalizable_is_a_precise_error(java_streams: dict[str, bytes]) -> None:
    with pytest.raises(JavaDeserializationError, match="fixtures.ExternalThing.*Externalizable"):
        decode_to_json(java_streams["externalizable"], UTC)


def test_cycle_is_an_error(java_streams: dict[str, bytes]) -> None:
    with pytest.raises(JavaDeserializationError, match="cycle") as err:
        decode_to_json(java_streams["cycle"], UTC)
    assert err.value.class_name == "fixtures.Node"


def _java_var(data: bytes, type_name: str = "fixtures.Order") -> C7Variable:
    return C7Variable("order", "serializable", text2=type_name, bytes_value=data)


def test_converter_decodes_java_objects_in_both_flavours(java_streams: dict[str, bytes]) -> None:
    conv = VariableConverter()
    var = _java_var(java_streams["nested"])
    runtime = conv.to_runtime(var)
    history = conv.to_history(var)
    assert isinstance(runtime, RuntimeValue)
    assert isinstance(history, HistoryValue)
    assert runtime.value == EXPECTED["nested"]
    assert history.text == dumps(EXPECTED["nested"])
    assert history.text == (
        '{"id":7,"customer":{"address":{"city":"Berlin","street":"Main St 1"},"name":"Ada"},"quantity":3}'
    )


def test_converter_skip_reason_names_class_and_offset(java_streams: dict[str, bytes]) -> None:
    conv = VariableConverter()
    with pytest.raises(SkipError) as err:
        conv.to_runtime(_java_var(java_streams["cycle"], "fixtures.Node"))
    assert err.value.reason.startswith("Java-serialized object of type 'fixtures.Node' cannot be converted to JSON: ")
    assert "class 'fixtures.Node' at byte offset 4" in err.value.reason


def test_official_java_behaviour_skips(java_streams: dict[str, bytes]) -> None:
    conv = VariableConverter(VariableSettings(official_java_objects_behaviour=True))
    for flavour in (conv.to_runtime, conv.to_history):
        with pytest.raises(SkipError) as err:
            flavour(_java_var(java_streams["nested"]))
        assert err.value.reason == "Objects serialized as 'application/x-java-serialized-object' are unsupported in C8."
