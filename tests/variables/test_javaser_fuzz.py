"""Property tests: no byte input makes the Java stream reader do anything but return or raise its typed error."""

from __future__ import annotations

import os
import struct
from datetime import UTC

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c7to8.errors import SkipError
from c7to8.variables import C7Variable, RuntimeValue, VariableConverter, VariableSettings
from c7to8.variables.javaser import JavaDeserializationError, decode_to_json

HEADER = b"\xac\xed\x00\x05"
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SEEDS = [
    "primitives",
    "nested",
    "collections_fields",
    "date_decimal",
    "hierarchy",
    "arrays",
    "java_time",
    "hashmap",
    "map_of",
    "enumset",
    "biginteger_huge",
    "shared_ref",
]


def _decode(data: bytes) -> None:
    try:
        decode_to_json(data, UTC, max_nodes=100_000, max_chars=1_000_000)
    except JavaDeserializationError as exc:
        assert exc.offset >= 0
        assert str(exc)


def _convert_gives_value_or_reason(data: bytes) -> None:
    conv = VariableConverter(VariableSettings(java_max_nodes=100_000, java_max_output_chars=1_000_000))
    try:
        result = conv.to_runtime(C7Variable("v", "serializable", text2="x.Y", bytes_value=data))
    except SkipError as exc:
        assert exc.reason
        assert exc.reason.startswith("Java-serialized object of type 'x.Y' cannot be converted to JSON: ")
        assert "byte offset" in exc.reason
    else:
        assert isinstance(result, RuntimeValue)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    _decode(data)
    _decode(HEADER + data)


@FUZZ
@given(st.data())
def test_truncated_real_streams(java_streams: dict[str, bytes], data: st.DataObject) -> None:
    stream = java_streams[data.draw(st.sampled_from(SEEDS))]
    cut = data.draw(st.integers(0, len(stream) - 1))
    with pytest.raises(JavaDeserializationError):
        decode_to_json(stream[:cut], UTC)
    _convert_gives_value_or_reason(stream[:cut])


@FUZZ
@given(st.data())
def test_corrupted_real_streams(java_streams: dict[str, bytes], data: st.DataObject) -> None:
    stream = bytearray(java_streams[data.draw(st.sampled_from(SEEDS))])
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(stream) - 1))
        stream[pos] = data.draw(st.integers(0, 255))
    _decode(bytes(stream))
    _convert_gives_value_or_reason(bytes(stream))


@FUZZ
@given(st.data())
def test_spliced_real_streams(java_streams: dict[str, bytes], data: st.DataObject) -> None:
    a = java_streams[data.draw(st.sampled_from(SEEDS))]
    b = java_streams[data.draw(st.sampled_from(SEEDS))]
    i = data.draw(st.integers(4, len(a)))
    j = data.draw(st.integers(4, len(b)))
    _decode(a[:i] + b[j:])


# hand-made hostile streams ------------------------------------------------------------------


def _utf(s: str) -> bytes:
    raw = s.encode()
    return struct.pack(">H", len(raw)) + raw


def _array_desc(name: str) -> bytes:
    return b"\x72" + _utf(name) + struct.pack(">q", 1) + b"\x02" + struct.pack(">h", 0) + b"\x78\x70"


def test_deep_nesting_is_bounded() -> None:
    # Object[] containing Object[] containing ... 5000 levels
    body = b""
    first = True
    for _ in range(5000):
        desc = _array_desc("[Ljava.lang.Object;") if first else b"\x71" + struct.pack(">i", 0x7E0000)
        body += b"\x75" + desc + struct.pack(">i", 1)
        first = False
    with pytest.raises(JavaDeserializationError, match="nested deeper"):
        decode_to_json(HEADER + body + b"\x70", UTC)


def test_reference_bomb_is_bounded() -> None:
    # a[0] = [x, x], a[1] = [a0, a0], ... : 2**40 leaves after expansion
    desc = _array_desc("[Ljava.lang.Object;")
    stream = HEADER
    levels = 40
    # Outer array with `levels` elements; element i is an array [prev, prev].
    stream += b"\x75" + desc + struct.pack(">i", levels)
    handle = 0x7E0000  # class desc
    prev = None
    next_handle = handle + 2  # 0: desc, 1: outer array
    for _ in range(levels):
        stream += b"\x75\x71" + struct.pack(">i", handle) + struct.pack(">i", 2)
        if prev is None:
            stream += b"\x74" + _utf("leaf") + b"\x71" + struct.pack(">i", next_handle + 1)
            mine = next_handle
            next_handle += 2
        else:
            stream += (b"\x71" + struct.pack(">i", prev)) * 2
            mine = next_handle
            next_handle += 1
        prev = mine
    with pytest.raises(JavaDeserializationError, match="more than"):
        decode_to_json(stream, UTC, max_nodes=100_000)


def test_huge_declared_lengths_do_not_allocate() -> None:
    for body in (
        b"\x75" + _array_desc("[I") + struct.pack(">i", 2**31 - 1),
        b"\x75" + _array_desc("[Ljava.lang.Object;") + struct.pack(">i", 2**31 - 1),
        b"\x7c" + struct.pack(">q", 2**62),
        b"\x75" + _array_desc("[I") + struct.pack(">i", -1),
    ):
        with pytest.raises(JavaDeserializationError):
            decode_to_json(HEADER + body, UTC)


def test_self_referencing_class_hierarchy() -> None:
    # class desc whose superclass is a reference to itself
    desc = b"\x72" + _utf("a.B") + struct.pack(">q", 1) + b"\x02" + struct.pack(">h", 0) + b"\x78"
    desc += b"\x71" + struct.pack(">i", 0x7E0000)
    with pytest.raises(JavaDeserializationError, match="cyclic"):
        decode_to_json(HEADER + b"\x73" + desc, UTC)


def test_bad_magic_and_exception_marker() -> None:
    with pytest.raises(JavaDeserializationError, match="not a Java serialization stream"):
        decode_to_json(b"{json}", UTC)
    with pytest.raises(JavaDeserializationError, match="TC_EXCEPTION"):
        decode_to_json(HEADER + b"\x7b", UTC)
