"""A reader for the Java Object Serialization Stream Protocol, turning C7 ``serializable`` values into JSON.

Nothing is executed and no Java class is needed: the stream is parsed into a small object graph
(:func:`read_stream`) which is then projected to JSON (:func:`to_json` / :func:`decode_to_json`):

* plain serializable classes -> JSON object of all fields, including inherited ones (a subclass
  field wins over a superclass field of the same name);
* arrays -> lists (``byte[]`` -> base64 string, ``char[]`` -> string, like Jackson);
* ``java.util`` lists, sets, queues -> lists; maps -> objects (keys as strings); enums -> names;
* boxed primitives, ``BigInteger``/``BigDecimal`` (numbers when exact, else strings),
  ``java.util.Date`` family and ``Calendar`` (official date format), ``java.time`` values (ISO
  text), ``UUID``, ``StringBuilder``, ``URI``, atomics;
* shared references are expanded; a cycle is an error.

Every problem raises :class:`JavaDeserializationError` naming the class and the byte offset.
Recursion depth, node count and output size are bounded, so no input can exhaust the stack or
memory.
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import Any

from .dates import format_epoch_millis
from .jsontext import JsonValue, java_double, java_float

STREAM_MAGIC = 0xACED
STREAM_VERSION = 5

TC_NULL = 0x70
TC_REFERENCE = 0x71
TC_CLASSDESC = 0x72
TC_OBJECT = 0x73
TC_STRING = 0x74
TC_ARRAY = 0x75
TC_CLASS = 0x76
TC_BLOCKDATA = 0x77
TC_ENDBLOCKDATA = 0x78
TC_RESET = 0x79
TC_BLOCKDATALONG = 0x7A
TC_EXCEPTION = 0x7B
TC_LONGSTRING = 0x7C
TC_PROXYCLASSDESC = 0x7D
TC_ENUM = 0x7E
BASE_WIRE_HANDLE = 0x7E0000

SC_WRITE_METHOD = 0x01
SC_SERIALIZABLE = 0x02
SC_EXTERNALIZABLE = 0x04
SC_BLOCK_DATA = 0x08
SC_ENUM = 0x10

_PRIM_WIDTH = {"B": 1, "C": 2, "D": 8, "F": 4, "I": 4, "J": 8, "S": 2, "Z": 1}
_PRIM_FORMAT = {"B": "b", "C": "H", "D": "d", "F": "f", "I": "i", "J": "q", "S": "h", "Z": "B"}
_FIELD_CODES = frozenset("BCDFIJSZL[")
_MAX_HIERARCHY = 256

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class JavaDeserializationError(ValueError):
    """The stream cannot be decoded (or projected to JSON); names the class and byte offset."""

    def __init__(self, problem: str, offset: int, class_name: str | None = None) -> None:
        self.problem = problem
        self.offset = offset
        self.class_name = class_name
        where = f"class '{class_name}' at byte offset {offset}" if class_name else f"byte offset {offset}"
        super().__init__(f"{problem} ({where})")


# --------------------------------------------------------------------------------------------
# object graph


@dataclass(eq=False)
class FieldDesc:
    typecode: str
    name: str
    class_name: str | None


@dataclass(eq=False)
class ClassDesc:
    name: str
    suid: int
    flags: int
    fields: list[FieldDesc]
    offset: int
    superclass: ClassDesc | None = None
    proxy_interfaces: tuple[str, ...] | None = None

    def hierarchy(self) -> list[ClassDesc]:
        """The class and its serializable ancestors, topmost superclass first."""
        chain: list[ClassDesc] = []
        seen: set[int] = set()
        cur: ClassDesc | None = self
        while cur is not None:
            if id(cur) in seen or len(chain) >= _MAX_HIERARCHY:
                raise JavaDeserializationError("class hierarchy is cyclic or too deep", self.offset, self.name)
            seen.add(id(cur))
            chain.append(cur)
            cur = cur.superclass
        chain.reverse()
        return chain


@dataclass(eq=False)
class BlockData:
    data: bytearray


@dataclass(eq=False)
class ClassData:
    desc: ClassDesc
    values: dict[str, Any]
    annotation: list[Any] | None
    offset: int


@dataclass(eq=False)
class JavaObject:
    desc: ClassDesc
    offset: int
    class_data: list[ClassData] = field(default_factory=list)

    def data(self, class_name: str) -> ClassData:
        for cd in self.class_data:
            if cd.desc.name == class_name:
                return cd
        raise JavaDeserializationError(f"no serialized data for class {class_name}", self.offset, self.desc.name)

    def value(self, name: str) -> Any:
        for cd in reversed(self.class_data):
            if name in cd.values:
                return cd.values[name]
        raise JavaDeserializationError(f"field '{name}' is missing", self.offset, self.desc.name)


@dataclass(eq=False)
class JavaArray:
    desc: ClassDesc
    offset: int
    values: list[Any] | bytes | str


@dataclass(eq=False)
class JavaEnum:
    desc: ClassDesc
    offset: int
    constant: str = ""


@dataclass(eq=False)
class JavaClassRef:
    desc: ClassDesc


# --------------------------------------------------------------------------------------------
# stream reader


def decode_modified_utf8(raw: bytes, offset: int = 0) -> str:
    """Java's modified UTF-8 (``DataInput.readUTF``); unpaired surrogates become U+FFFD."""
    if raw.isascii():
        return raw.decode("ascii")
    units: list[int] = []
    i = 0
    n = len(raw)
    while i < n:
        b = raw[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b >> 5 == 0b110:
            if i + 1 >= n or raw[i + 1] >> 6 != 0b10:
                raise JavaDeserializationError("malformed modified UTF-8 string", offset + i)
            units.append(((b & 0x1F) << 6) | (raw[i + 1] & 0x3F))
            i += 2
        elif b >> 4 == 0b1110:
            if i + 2 >= n or raw[i + 1] >> 6 != 0b10 or raw[i + 2] >> 6 != 0b10:
                raise JavaDeserializationError("malformed modified UTF-8 string", offset + i)
            units.append(((b & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F))
            i += 3
        else:
            raise JavaDeserializationError("malformed modified UTF-8 string", offset + i)
    return _utf16_units_to_str(units)


def _utf16_units_to_str(units: list[int]) -> str:
    data = struct.pack(f"<{len(units)}H", *units)
    return data.decode("utf-16-le", errors="replace")


class _StreamReader:
    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.pos = 0
        self.max_depth = max_depth
        self.handles: list[Any] = []

    # primitives ---------------------------------------------------------------------------
    def _need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise JavaDeserializationError(f"stream ends unexpectedly while reading {what}", self.pos)

    def _unpack(self, fmt: str, size: int, what: str) -> Any:
        self._need(size, what)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def u1(self, what: str = "a byte") -> int:
        return int(self._unpack(">B", 1, what))

    def peek(self) -> int:
        self._need(1, "a type code")
        return self.data[self.pos]

    def u2(self, what: str) -> int:
        return int(self._unpack(">H", 2, what))

    def s2(self, what: str) -> int:
        return int(self._unpack(">h", 2, what))

    def s4(self, what: str) -> int:
        return int(self._unpack(">i", 4, what))

    def s8(self, what: str) -> int:
        return int(self._unpack(">q", 8, what))

    def raw(self, n: int, what: str) -> bytes:
        self._need(n, what)
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def utf(self, what: str) -> str:
        n = self.u2(what)
        start = self.pos
        return decode_modified_utf8(self.raw(n, what), start)

    def long_utf(self, what: str) -> str:
        n = self.s8(what)
        start = self.pos
        return decode_modified_utf8(self.raw(n, what), start)

    # handles ------------------------------------------------------------------------------
    def _new_handle(self, obj: Any) -> int:
        self.handles.append(obj)
        return len(self.handles) - 1

    def _set_handle(self, index: int, obj: Any) -> None:
        self.handles[index] = obj

    def _reference(self, at: int) -> Any:
        handle = self.s4("a handle")
        index = handle - BASE_WIRE_HANDLE
        if index < 0 or index >= len(self.handles):
            raise JavaDeserializationError(f"invalid back-reference handle 0x{handle & 0xFFFFFFFF:08x}", at)
        return self.handles[index]

    # grammar ------------------------------------------------------------------------------
    def read_top(self) -> Any:
        magic = self.u2("the stream magic")
        if magic != STREAM_MAGIC:
            raise JavaDeserializationError(f"not a Java serialization stream (magic 0x{magic:04x})", 0)
        version = self.u2("the stream version")
        if version != STREAM_VERSION:
            raise JavaDeserializationError(f"unsupported stream version {version}", 2)
        return self.read_object(0)

    def read_object(self, depth: int) -> Any:
        if depth > self.max_depth:
            raise JavaDeserializationError(f"objects nested deeper than {self.max_depth} levels", self.pos)
        while True:
            at = self.pos
            tc = self.u1("a type code")
            if tc == TC_RESET:
                self.handles.clear()
                continue
            if tc == TC_NULL:
                return None
            if tc == TC_REFERENCE:
                ref = self._reference(at)
                if isinstance(ref, ClassDesc):
                    return JavaClassRef(ref)
                return ref
            if tc == TC_OBJECT:
                return self._new_object(at, depth)
            if tc == TC_STRING:
                s = self.utf("a string")
                self._new_handle(s)
                return s
            if tc == TC_LONGSTRING:
                s = self.long_utf("a long string")
                self._new_handle(s)
                return s
            if tc == TC_ARRAY:
                return self._new_array(at, depth)
            if tc == TC_CLASS:
                desc = self._class_desc(depth + 1)
                if desc is None:
                    raise JavaDeserializationError("class object without a class descriptor", at)
                ref_obj = JavaClassRef(desc)
                self._new_handle(ref_obj)
                return ref_obj
            if tc == TC_ENUM:
                return self._new_enum(at, depth)
            if tc in (TC_CLASSDESC, TC_PROXYCLASSDESC):
                self.pos = at
                desc = self._class_desc(depth + 1)
                assert desc is not None
                return JavaClassRef(desc)
            if tc == TC_EXCEPTION:
                raise JavaDeserializationError("stream contains a serialized exception (TC_EXCEPTION)", at)
            if tc in (TC_BLOCKDATA, TC_BLOCKDATALONG, TC_ENDBLOCKDATA):
                raise JavaDeserializationError("block data found where an object was expected", at)
            raise JavaDeserializationError(f"unknown type code 0x{tc:02x}", at)

    def _class_desc(self, depth: int) -> ClassDesc | None:
        if depth > self.max_depth:
            raise JavaDeserializationError(f"class descriptors nested deeper than {self.max_depth} levels", self.pos)
        at = self.pos
        tc = self.u1("a class descriptor")
        if tc == TC_NULL:
            return None
        if tc == TC_REFERENCE:
            ref = self._reference(at)
            if isinstance(ref, JavaClassRef):
                return ref.desc
            if not isinstance(ref, ClassDesc):
                raise JavaDeserializationError("back-reference does not point to a class descriptor", at)
            return ref
        if tc == TC_CLASSDESC:
            name = self.utf("a class name")
            suid = self.s8("a serialVersionUID")
            desc = ClassDesc(name, suid, 0, [], at)
            self._new_handle(desc)
            desc.flags = self.u1("class flags")
            if desc.flags & SC_SERIALIZABLE and desc.flags & SC_EXTERNALIZABLE:
                raise JavaDeserializationError("class is both Serializable and Externalizable", at, name)
            count = self.s2("a field count")
            if count < 0:
                raise JavaDeserializationError(f"negative field count {count}", at, name)
            for _ in range(count):
                field_at = self.pos
                code = chr(self.u1("a field type code"))
                if code not in _FIELD_CODES:
                    raise JavaDeserializationError(f"invalid field type code {code!r}", field_at, name)
                fname = self.utf("a field name")
                cname: str | None = None
                if code in "L[":
                    type_name = self.read_object(depth + 1)
                    if not isinstance(type_name, str):
                        raise JavaDeserializationError(f"field '{fname}' has no type name", field_at, name)
                    cname = type_name
                desc.fields.append(FieldDesc(code, fname, cname))
            self._annotation(depth + 1, name)
            desc.superclass = self._class_desc(depth + 1)
            return desc
        if tc == TC_PROXYCLASSDESC:
            desc = ClassDesc("<proxy>", 0, SC_SERIALIZABLE, [], at)
            self._new_handle(desc)
            count = self.s4("an interface count")
            if count < 0 or count > 65535:
                raise JavaDeserializationError(f"invalid proxy interface count {count}", at)
            names = tuple(self.utf("an interface name") for _ in range(count))
            desc.proxy_interfaces = names
            desc.name = "Proxy[" + ",".join(names) + "]"
            self._annotation(depth + 1, desc.name)
            desc.superclass = self._class_desc(depth + 1)
            return desc
        raise JavaDeserializationError(f"expected a class descriptor, found type code 0x{tc:02x}", at)

    def _annotation(self, depth: int, owner: str) -> list[Any]:
        items: list[Any] = []
        while True:
            at = self.pos
            tc = self.peek()
            if tc == TC_ENDBLOCKDATA:
                self.pos += 1
                return items
            if tc in (TC_BLOCKDATA, TC_BLOCKDATALONG):
                self.pos += 1
                n = self.u1("a block length") if tc == TC_BLOCKDATA else self.s4("a block length")
                if n < 0:
                    raise JavaDeserializationError(f"negative block data length {n}", at, owner)
                chunk = self.raw(n, "block data")
                if items and isinstance(items[-1], BlockData):
                    items[-1].data.extend(chunk)
                else:
                    items.append(BlockData(bytearray(chunk)))
                continue
            items.append(self.read_object(depth + 1))

    def _new_object(self, at: int, depth: int) -> JavaObject:
        desc = self._class_desc(depth + 1)
        if desc is None:
            raise JavaDeserializationError("object without a class descriptor", at)
        obj = JavaObject(desc, at)
        self._new_handle(obj)
        for cd in desc.hierarchy():
            data_at = self.pos
            if cd.flags & SC_SERIALIZABLE:
                values = self._field_values(cd, depth)
                annotation = self._annotation(depth + 1, cd.name) if cd.flags & SC_WRITE_METHOD else None
                obj.class_data.append(ClassData(cd, values, annotation, data_at))
            elif cd.flags & SC_EXTERNALIZABLE:
                if not cd.flags & SC_BLOCK_DATA:
                    raise JavaDeserializationError(
                        "Externalizable data written with stream protocol 1 cannot be decoded", data_at, cd.name
                    )
                obj.class_data.append(ClassData(cd, {}, self._annotation(depth + 1, cd.name), data_at))
        return obj

    def _field_values(self, cd: ClassDesc, depth: int) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for f in cd.fields:
            code = f.typecode
            what = f"field '{f.name}'"
            if code in "L[":
                values[f.name] = self.read_object(depth + 1)
            elif code == "Z":
                values[f.name] = self.u1(what) != 0
            elif code == "C":
                values[f.name] = _utf16_units_to_str([self.u2(what)])
            elif code == "F":
                values[f.name] = java_float(self._unpack(">f", 4, what))
            else:
                values[f.name] = self._unpack(">" + _PRIM_FORMAT[code], _PRIM_WIDTH[code], what)
        return values

    def _new_array(self, at: int, depth: int) -> JavaArray:
        desc = self._class_desc(depth + 1)
        if desc is None or not desc.name.startswith("[") or len(desc.name) < 2:
            raise JavaDeserializationError("array without an array class descriptor", at, desc.name if desc else None)
        arr = JavaArray(desc, at, [])
        self._new_handle(arr)
        size = self.s4("an array length")
        if size < 0:
            raise JavaDeserializationError(f"negative array length {size}", at, desc.name)
        code = desc.name[1]
        if code in _PRIM_WIDTH:
            width = _PRIM_WIDTH[code]
            raw = self.raw(size * width, f"{size} array elements")
            if code == "B":
                arr.values = raw
            elif code == "C":
                arr.values = raw.decode("utf-16-be", errors="replace")
            elif code == "Z":
                arr.values = [b != 0 for b in raw]
            elif code == "F":
                arr.values = [java_float(v) for (v,) in struct.iter_unpack(">f", raw)]
            else:
                arr.values = [v for (v,) in struct.iter_unpack(">" + _PRIM_FORMAT[code], raw)]
        elif code in "L[":
            if size > len(self.data) - self.pos:
                raise JavaDeserializationError(f"array length {size} exceeds the remaining stream", at, desc.name)
            arr.values = [self.read_object(depth + 1) for _ in range(size)]
        else:
            raise JavaDeserializationError(f"invalid array class name {desc.name!r}", at, desc.name)
        return arr

    def _new_enum(self, at: int, depth: int) -> JavaEnum:
        desc = self._class_desc(depth + 1)
        if desc is None:
            raise JavaDeserializationError("enum constant without a class descriptor", at)
        enum = JavaEnum(desc, at)
        self._new_handle(enum)
        constant = self.read_object(depth + 1)
        if not isinstance(constant, str):
            raise JavaDeserializationError("enum constant name is not a string", at, desc.name)
        enum.constant = constant
        return enum


def read_stream(data: bytes, *, max_depth: int = 100) -> Any:
    """Parse one serialized object (the first content of the stream) into the object graph."""
    try:
        return _StreamReader(bytes(data), max_depth).read_top()
    except RecursionError as exc:  # defensive: max_depth keeps us far below the interpreter limit
        raise JavaDeserializationError("objects nested too deeply", 0) from exc


# --------------------------------------------------------------------------------------------
# custom writeObject data


class _Cursor:
    """Reads the primitives and objects a class wrote in its writeObject method."""

    def __init__(self, obj: JavaObject, cd: ClassData) -> None:
        self.obj = obj
        self.cd = cd
        self.items = cd.annotation or []
        self.index = 0
        self.block_pos = 0

    def _fail(self, problem: str) -> JavaDeserializationError:
        return JavaDeserializationError(
            f"{problem} in the custom data of {self.cd.desc.name}", self.cd.offset, self.obj.desc.name
        )

    def read_bytes(self, n: int) -> bytes:
        if self.index >= len(self.items) or not isinstance(self.items[self.index], BlockData):
            raise self._fail(f"expected {n} bytes of primitive data")
        block: bytearray = self.items[self.index].data
        if self.block_pos + n > len(block):
            raise self._fail(f"primitive data ends early (needed {n} bytes)")
        out = bytes(block[self.block_pos : self.block_pos + n])
        self.block_pos += n
        if self.block_pos == len(block):
            self.index += 1
            self.block_pos = 0
        return out

    def read_int(self) -> int:
        return int(struct.unpack(">i", self.read_bytes(4))[0])

    def read_long(self) -> int:
        return int(struct.unpack(">q", self.read_bytes(8))[0])

    def read_short(self) -> int:
        return int(struct.unpack(">h", self.read_bytes(2))[0])

    def read_byte(self) -> int:
        return int(struct.unpack(">b", self.read_bytes(1))[0])

    def read_float(self) -> float:
        return float(struct.unpack(">f", self.read_bytes(4))[0])

    def read_utf(self) -> str:
        n = struct.unpack(">H", self.read_bytes(2))[0]
        return decode_modified_utf8(self.read_bytes(n), self.cd.offset)

    def read_object(self) -> Any:
        if self.block_pos:
            raise self._fail("unread primitive data before an object")
        if self.index >= len(self.items) or isinstance(self.items[self.index], BlockData):
            raise self._fail("expected an object")
        item = self.items[self.index]
        self.index += 1
        return item

    def at_end(self) -> bool:
        return self.index >= len(self.items)


# --------------------------------------------------------------------------------------------
# projection to JSON


Handler = Callable[["_Projector", JavaObject, int], JsonValue]


class _Projector:
    def __init__(self, zone: tzinfo, max_depth: int, max_nodes: int, max_chars: int) -> None:
        self.zone = zone
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_chars = max_chars
        self.nodes = 0
        self.chars = 0
        self.active: set[int] = set()

    def _count(self, node: Any, chars: int = 0) -> None:
        self.nodes += 1
        self.chars += chars
        if self.nodes > self.max_nodes:
            raise JavaDeserializationError(
                f"object graph expands to more than {self.max_nodes} JSON values", _offset_of(node), _class_of(node)
            )
        if self.chars > self.max_chars:
            raise JavaDeserializationError(
                f"object graph expands to more than {self.max_chars} characters", _offset_of(node), _class_of(node)
            )

    def project(self, node: Any, depth: int) -> JsonValue:
        if depth > self.max_depth:
            raise JavaDeserializationError(
                f"object graph nested deeper than {self.max_depth} levels", _offset_of(node), _class_of(node)
            )
        if node is None or isinstance(node, bool | int):
            self._count(node, 8)
            return node
        if isinstance(node, float):
            self._count(node, 24)
            return node if math.isfinite(node) else java_double(node)
        if isinstance(node, str):
            self._count(node, len(node))
            return node
        if isinstance(node, JavaEnum):
            self._count(node, len(node.constant))
            return node.constant
        if isinstance(node, JavaClassRef):
            self._count(node, len(node.desc.name))
            return node.desc.name
        if isinstance(node, JavaArray):
            return self._array(node, depth)
        if isinstance(node, JavaObject):
            key = id(node)
            if key in self.active:
                raise JavaDeserializationError(
                    "object graph contains a cycle (a reference back to an enclosing object); JSON cannot represent it",
                    node.offset,
                    node.desc.name,
                )
            self.active.add(key)
            try:
                self._count(node)
                return self._object(node, depth)
            finally:
                self.active.discard(key)
        raise JavaDeserializationError(f"unexpected stream element {type(node).__name__}", 0)

    def _array(self, arr: JavaArray, depth: int) -> JsonValue:
        vals = arr.values
        if isinstance(vals, bytes):
            text = base64.b64encode(vals).decode("ascii")
            self._count(arr, len(text))
            return text
        if isinstance(vals, str):
            self._count(arr, len(vals))
            return vals
        self._count(arr)
        key = id(arr)
        if key in self.active:
            raise JavaDeserializationError("object graph contains a cycle through an array", arr.offset, arr.desc.name)
        self.active.add(key)
        try:
            return [self.project(v, depth + 1) for v in vals]
        finally:
            self.active.discard(key)

    def _object(self, obj: JavaObject, depth: int) -> JsonValue:
        data = obj.class_data
        for i in range(len(data) - 1, -1, -1):
            handler = _HANDLERS.get(data[i].desc.name)
            if handler is None:
                continue
            for extra in data[i + 1 :]:
                if extra.values or extra.annotation:
                    raise JavaDeserializationError(
                        f"subclass {extra.desc.name} of {data[i].desc.name} adds fields or data that JSON cannot "
                        "represent",
                        obj.offset,
                        obj.desc.name,
                    )
            return handler(self, obj, depth)
        return self._plain(obj, depth)

    def _plain(self, obj: JavaObject, depth: int) -> JsonValue:
        out: dict[str, JsonValue] = {}
        for cd in obj.class_data:
            if cd.desc.flags & SC_EXTERNALIZABLE:
                raise JavaDeserializationError(
                    f"class {cd.desc.name} is Externalizable; its custom data cannot be interpreted",
                    cd.offset,
                    obj.desc.name,
                )
            if cd.annotation:
                raise JavaDeserializationError(
                    f"class {cd.desc.name} writes custom data in writeObject that cannot be interpreted",
                    cd.offset,
                    obj.desc.name,
                )
            for name, value in cd.values.items():
                out[name] = self.project(value, depth + 1)
        return out

    # helpers for handlers ---------------------------------------------------------------
    def items(self, nodes: list[Any], depth: int) -> list[JsonValue]:
        return [self.project(n, depth + 1) for n in nodes]

    def mapping(self, obj: JavaObject, pairs: list[tuple[Any, Any]], depth: int) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {}
        for k, v in pairs:
            out[self.key(obj, k, depth)] = self.project(v, depth + 1)
        return out

    def key(self, obj: JavaObject, node: Any, depth: int) -> str:
        value = self.project(node, depth + 1)
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return java_double(value)
        if isinstance(value, int | str):
            return str(value)
        raise JavaDeserializationError(
            f"map key of class {_class_of(node) or type(node).__name__} cannot be a JSON object key",
            obj.offset,
            obj.desc.name,
        )

    def date(self, obj: JavaObject, millis: int) -> str:
        try:
            return format_epoch_millis(millis, self.zone)
        except ValueError as exc:
            raise JavaDeserializationError(str(exc), obj.offset, obj.desc.name) from exc


def _offset_of(node: Any) -> int:
    return int(getattr(node, "offset", 0))


def _class_of(node: Any) -> str | None:
    desc = getattr(node, "desc", None)
    return desc.name if isinstance(desc, ClassDesc) else None


# --------------------------------------------------------------------------------------------
# handlers for well-known classes


def _counted(p: _Projector, obj: JavaObject, cls: str, read_count: Callable[[_Cursor], int]) -> list[Any]:
    cur = _Cursor(obj, obj.data(cls))
    n = read_count(cur)
    if n < 0 or n > len(cur.items):
        raise cur._fail(f"invalid element count {n}")
    return [cur.read_object() for _ in range(n)]


def _pairs_counted(obj: JavaObject, cls: str, read_count: Callable[[_Cursor], int]) -> list[tuple[Any, Any]]:
    cur = _Cursor(obj, obj.data(cls))
    n = read_count(cur)
    if n < 0 or 2 * n > len(cur.items):
        raise cur._fail(f"invalid entry count {n}")
    return [(cur.read_object(), cur.read_object()) for _ in range(n)]


def _pairs_until_null(obj: JavaObject, cls: str, value_after_null: bool) -> list[tuple[Any, Any]]:
    cur = _Cursor(obj, obj.data(cls))
    pairs: list[tuple[Any, Any]] = []
    while True:
        k = cur.read_object()
        if k is None:
            if value_after_null:
                cur.read_object()
            return pairs
        pairs.append((k, cur.read_object()))


def _list_size_prefixed(cls: str) -> Handler:
    def handle(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
        return p.items(_counted(p, obj, cls, lambda c: c.read_int()), depth)

    return handle


def _priority_queue(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    size = obj.data("java.util.PriorityQueue").values.get("size")

    def count(c: _Cursor) -> int:
        c.read_int()
        return int(size) if isinstance(size, int) else -1

    return p.items(_counted(p, obj, "java.util.PriorityQueue", count), depth)


def _vector(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    cd = obj.data("java.util.Vector")
    data = cd.values.get("elementData")
    count = cd.values.get("elementCount")
    if not isinstance(data, JavaArray) or not isinstance(data.values, list) or not isinstance(count, int):
        raise JavaDeserializationError("Vector without elementData/elementCount", obj.offset, obj.desc.name)
    if count < 0 or count > len(data.values):
        raise JavaDeserializationError(f"Vector elementCount {count} out of range", obj.offset, obj.desc.name)
    return p.items(data.values[:count], depth)


def _hash_set_elements(obj: JavaObject) -> list[Any]:
    cur = _Cursor(obj, obj.data("java.util.HashSet"))
    cur.read_int()
    cur.read_float()
    n = cur.read_int()
    if n < 0 or n > len(cur.items):
        raise cur._fail(f"invalid element count {n}")
    return [cur.read_object() for _ in range(n)]


def _hash_set(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return p.items(_hash_set_elements(obj), depth)


def _tree_set(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    cur = _Cursor(obj, obj.data("java.util.TreeSet"))
    cur.read_object()  # comparator
    n = cur.read_int()
    if n < 0 or n > len(cur.items):
        raise cur._fail(f"invalid element count {n}")
    return p.items([cur.read_object() for _ in range(n)], depth)


def _map_pairs(obj: JavaObject) -> list[tuple[Any, Any]]:
    names = {cd.desc.name for cd in obj.class_data}
    if "java.util.HashMap" in names:
        return _pairs_counted(obj, "java.util.HashMap", lambda c: (c.read_int(), c.read_int())[1])
    if "java.util.Hashtable" in names:
        return _pairs_counted(obj, "java.util.Hashtable", lambda c: (c.read_int(), c.read_int())[1])
    if "java.util.TreeMap" in names:
        return _pairs_counted(obj, "java.util.TreeMap", lambda c: c.read_int())
    if "java.util.IdentityHashMap" in names:
        return _pairs_counted(obj, "java.util.IdentityHashMap", lambda c: c.read_int())
    if "java.util.EnumMap" in names:
        return _pairs_counted(obj, "java.util.EnumMap", lambda c: c.read_int())
    if "java.util.concurrent.ConcurrentHashMap" in names:
        return _pairs_until_null(obj, "java.util.concurrent.ConcurrentHashMap", True)
    if "java.util.concurrent.ConcurrentSkipListMap" in names:
        return _pairs_until_null(obj, "java.util.concurrent.ConcurrentSkipListMap", False)
    raise JavaDeserializationError("not a known map class", obj.offset, obj.desc.name)


def _map(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return p.mapping(obj, _map_pairs(obj), depth)


def _skip_list_set(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    inner = obj.value("m")
    if not isinstance(inner, JavaObject):
        raise JavaDeserializationError("ConcurrentSkipListSet without its map", obj.offset, obj.desc.name)
    return p.items([k for k, _ in _map_pairs(inner)], depth)


def _field(name: str) -> Handler:
    def handle(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
        return p.project(obj.value(name), depth + 1)

    return handle


def _singleton_list(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return [p.project(obj.value("element"), depth + 1)]


def _singleton_map(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return p.mapping(obj, [(obj.value("k"), obj.value("v"))], depth)


def _empty_list(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return []


def _empty_map(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return {}


def _coll_ser(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    tag = obj.value("tag")
    kind = tag & 0xFF if isinstance(tag, int) else -1
    elems = _counted(p, obj, "java.util.CollSer", lambda c: c.read_int())
    if kind in (1, 2, 4):
        return p.items(elems, depth)
    if kind == 3:
        if len(elems) % 2:
            raise JavaDeserializationError("immutable map with an odd element count", obj.offset, obj.desc.name)
        return p.mapping(obj, list(zip(elems[::2], elems[1::2], strict=True)), depth)
    raise JavaDeserializationError(f"unknown immutable collection tag {tag}", obj.offset, obj.desc.name)


def _enum_set(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    elems = obj.value("elements")
    if not isinstance(elems, JavaArray) or not isinstance(elems.values, list):
        raise JavaDeserializationError("EnumSet without elements", obj.offset, obj.desc.name)
    return p.items(elems.values, depth)


def _boxed(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return p.project(obj.value("value"), depth + 1)


def _atomic_boolean(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    return bool(obj.value("value"))


_MAX_BIG_BITS = 8192
_MAX_PLAIN_EXPONENT = 400


def _big_integer_value(obj: JavaObject) -> int:
    signum = obj.value("signum")
    magnitude = obj.value("magnitude")
    if not isinstance(signum, int) or not isinstance(magnitude, JavaArray) or not isinstance(magnitude.values, bytes):
        raise JavaDeserializationError("BigInteger without signum/magnitude", obj.offset, obj.desc.name)
    if signum not in (-1, 0, 1):
        raise JavaDeserializationError(f"BigInteger signum {signum} is invalid", obj.offset, obj.desc.name)
    if len(magnitude.values) * 8 > _MAX_BIG_BITS:
        raise JavaDeserializationError(
            f"BigInteger with more than {_MAX_BIG_BITS} bits is not supported", obj.offset, obj.desc.name
        )
    return signum * int.from_bytes(magnitude.values, "big")


def _big_integer(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    value = _big_integer_value(obj)
    p._count(obj, 24)
    return value if _INT64_MIN <= value <= _INT64_MAX else str(value)


def _big_decimal(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    """A number when that is exact (an integer in the long range, or a double with the same value), else text."""
    unscaled = obj.value("intVal")
    scale = obj.value("scale")
    if not isinstance(unscaled, JavaObject) or not isinstance(scale, int):
        raise JavaDeserializationError("BigDecimal without intVal/scale", obj.offset, obj.desc.name)
    unscaled_value = _big_integer_value(unscaled)
    p._count(obj, 24)
    digits = tuple(int(d) for d in str(abs(unscaled_value)))
    number = Decimal((1 if unscaled_value < 0 else 0, digits, -scale))
    if abs(scale) > _MAX_PLAIN_EXPONENT:
        return str(number)
    if scale <= 0 and _INT64_MIN <= number <= _INT64_MAX:
        return int(number)
    as_float = float(number)
    if math.isfinite(as_float) and Decimal(repr(as_float)) == number:
        return as_float
    return format(number, "f")


def _date(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    cur = _Cursor(obj, obj.data("java.util.Date"))
    millis = cur.read_long()
    names = {cd.desc.name for cd in obj.class_data}
    if "java.sql.Timestamp" in names:
        nanos = obj.data("java.sql.Timestamp").values.get("nanos")
        if isinstance(nanos, int):
            millis += nanos // 1_000_000
    return p.date(obj, millis)


def _calendar(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    millis = obj.data("java.util.Calendar").values.get("time")
    if not isinstance(millis, int):
        raise JavaDeserializationError("Calendar without time", obj.offset, obj.desc.name)
    return p.date(obj, millis)


def _uuid(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    hi = obj.value("mostSigBits")
    lo = obj.value("leastSigBits")
    if not isinstance(hi, int) or not isinstance(lo, int):
        raise JavaDeserializationError("UUID without its bits", obj.offset, obj.desc.name)
    h = f"{(hi & 0xFFFFFFFFFFFFFFFF):016x}{(lo & 0xFFFFFFFFFFFFFFFF):016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _string_builder(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    cur = _Cursor(obj, obj.data("java.lang.StringBuilder"))
    count = cur.read_int()
    chars = cur.read_object()
    if not isinstance(chars, JavaArray) or not isinstance(chars.values, str):
        raise cur._fail("expected a char array")
    return p.project(chars.values[: max(count, 0)], depth + 1)


def _string_buffer(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    chars = obj.value("value")
    count = obj.value("count")
    if not isinstance(chars, JavaArray) or not isinstance(chars.values, str) or not isinstance(count, int):
        raise JavaDeserializationError("StringBuffer without value/count", obj.offset, obj.desc.name)
    return p.project(chars.values[: max(count, 0)], depth + 1)


# java.time ---------------------------------------------------------------------------------


def _year_text(year: int) -> str:
    if abs(year) < 1000:
        return ("-" if year < 0 else "") + f"{abs(year):04d}"
    return ("+" if year > 9999 else "") + str(year)


def _time_text(hour: int, minute: int, second: int, nano: int) -> str:
    text = f"{hour:02d}:{minute:02d}"
    if second or nano:
        text += f":{second:02d}"
        if nano:
            if nano % 1_000_000 == 0:
                text += f".{nano // 1_000_000:03d}"
            elif nano % 1000 == 0:
                text += f".{nano // 1000:06d}"
            else:
                text += f".{nano:09d}"
    return text


def _offset_text(seconds: int) -> str:
    if seconds == 0:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    s = abs(seconds)
    text = f"{sign}{s // 3600:02d}:{s // 60 % 60:02d}"
    if s % 60:
        text += f":{s % 60:02d}"
    return text


def _jdiv(a: int, b: int) -> int:
    """Java integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _jmod(a: int, b: int) -> int:
    return a - b * _jdiv(a, b)


def _duration_text(seconds: int, nanos: int) -> str:
    """``java.time.Duration.toString``."""
    if seconds == 0 and nanos == 0:
        return "PT0S"
    effective = seconds + 1 if seconds < 0 and nanos > 0 else seconds
    hours = _jdiv(effective, 3600)
    minutes = _jdiv(_jmod(effective, 3600), 60)
    secs = _jmod(effective, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs == 0 and nanos == 0 and len(out) > 2:
        return out
    if seconds < 0 and nanos > 0:
        out += "-0" if secs == 0 else str(secs)
    else:
        out += str(secs)
    if nanos > 0:
        frac = 1_000_000_000 - nanos if seconds < 0 else nanos
        out += "." + f"{frac:09d}".rstrip("0")
    return out + "S"


class _TimeReader:
    def __init__(self, cur: _Cursor) -> None:
        self.cur = cur

    def date(self) -> str:
        year = self.cur.read_int()
        month = self.cur.read_byte()
        day = self.cur.read_byte()
        return f"{_year_text(year)}-{month:02d}-{day:02d}"

    def time(self) -> str:
        hour = self.cur.read_byte()
        minute = second = nano = 0
        if hour < 0:
            hour = ~hour
        else:
            minute = self.cur.read_byte()
            if minute < 0:
                minute = ~minute
            else:
                second = self.cur.read_byte()
                if second < 0:
                    second = ~second
                else:
                    nano = self.cur.read_int()
        return _time_text(hour, minute, second, nano)

    def offset_seconds(self) -> int:
        b = self.cur.read_byte()
        return self.cur.read_int() if b == 127 else b * 900

    def zone(self) -> tuple[str, bool]:
        kind = self.cur.read_byte()
        if kind == 7:
            return self.cur.read_utf(), True
        if kind == 8:
            return _offset_text(self.offset_seconds()), False
        raise self.cur._fail(f"unknown zone type {kind}")


def _java_time(p: _Projector, obj: JavaObject, depth: int) -> JsonValue:
    cur = _Cursor(obj, obj.data("java.time.Ser"))
    r = _TimeReader(cur)
    kind = cur.read_byte()
    if kind == 1:  # Duration
        return _duration_text(cur.read_long(), cur.read_int())
    if kind == 2:  # Instant
        seconds = cur.read_long()
        nanos = cur.read_int()
        try:
            text = format_epoch_millis(seconds * 1000, UTC)
        except ValueError as exc:
            raise JavaDeserializationError(str(exc), obj.offset, obj.desc.name) from exc
        base = text[:19]
        frac = ""
        if nanos:
            frac = "." + (
                f"{nanos // 1_000_000:03d}"
                if nanos % 1_000_000 == 0
                else f"{nanos // 1000:06d}"
                if nanos % 1000 == 0
                else f"{nanos:09d}"
            )
        return base + frac + "Z"
    if kind == 3:
        return r.date()
    if kind == 4:
        return r.time()
    if kind == 5:
        return f"{r.date()}T{r.time()}"
    if kind == 6:  # ZonedDateTime
        ldt = f"{r.date()}T{r.time()}"
        offset = _offset_text(r.offset_seconds())
        zone, is_region = r.zone()
        return ldt + offset + (f"[{zone}]" if is_region or zone != offset else "")
    if kind == 7:
        return cur.read_utf()
    if kind == 8:
        return _offset_text(r.offset_seconds())
    if kind == 9:
        return r.time() + _offset_text(r.offset_seconds())
    if kind == 10:
        return f"{r.date()}T{r.time()}" + _offset_text(r.offset_seconds())
    if kind == 11:
        return _year_text(cur.read_int())
    if kind == 12:
        year = cur.read_int()
        return f"{_year_text(year)}-{cur.read_byte():02d}"
    if kind == 13:
        month = cur.read_byte()
        return f"--{month:02d}-{cur.read_byte():02d}"
    if kind == 14:
        years, months, days = cur.read_int(), cur.read_int(), cur.read_int()
        if not (years or months or days):
            return "P0D"
        return "P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "") + (f"{days}D" if days else "")
    raise cur._fail(f"unknown java.time type {kind}")


_LISTS_SIZE_PREFIXED = (
    "java.util.ArrayList",
    "java.util.LinkedList",
    "java.util.ArrayDeque",
    "java.util.concurrent.CopyOnWriteArrayList",
)
_MAPS = (
    "java.util.HashMap",
    "java.util.LinkedHashMap",
    "java.util.TreeMap",
    "java.util.Hashtable",
    "java.util.Properties",
    "java.util.IdentityHashMap",
    "java.util.EnumMap",
    "java.util.concurrent.ConcurrentHashMap",
    "java.util.concurrent.ConcurrentSkipListMap",
)
_WRAPPERS_C = (
    "UnmodifiableCollection",
    "UnmodifiableList",
    "UnmodifiableRandomAccessList",
    "UnmodifiableSet",
    "UnmodifiableSortedSet",
    "UnmodifiableNavigableSet",
    "SynchronizedCollection",
    "SynchronizedList",
    "SynchronizedRandomAccessList",
    "SynchronizedSet",
    "SynchronizedSortedSet",
    "SynchronizedNavigableSet",
    "CheckedCollection",
    "CheckedList",
    "CheckedRandomAccessList",
    "CheckedSet",
    "CheckedSortedSet",
    "CheckedNavigableSet",
    "CheckedQueue",
)
_WRAPPERS_M = (
    "UnmodifiableMap",
    "UnmodifiableSortedMap",
    "UnmodifiableNavigableMap",
    "SynchronizedMap",
    "SynchronizedSortedMap",
    "SynchronizedNavigableMap",
    "CheckedMap",
    "CheckedSortedMap",
    "CheckedNavigableMap",
)
_BOXED = (
    "java.lang.Integer",
    "java.lang.Long",
    "java.lang.Short",
    "java.lang.Byte",
    "java.lang.Double",
    "java.lang.Float",
    "java.lang.Boolean",
    "java.lang.Character",
    "java.util.concurrent.atomic.AtomicInteger",
    "java.util.concurrent.atomic.AtomicLong",
)

_HANDLERS: dict[str, Handler] = {}
for _name in _LISTS_SIZE_PREFIXED:
    _HANDLERS[_name] = _list_size_prefixed(_name)
for _name in _MAPS:
    _HANDLERS[_name] = _map
for _name in _WRAPPERS_C:
    _HANDLERS["java.util.Collections$" + _name] = _field("c")
for _name in _WRAPPERS_M:
    _HANDLERS["java.util.Collections$" + _name] = _field("m")
for _name in _BOXED:
    _HANDLERS[_name] = _boxed
_HANDLERS.update(
    {
        "java.util.PriorityQueue": _priority_queue,
        "java.util.concurrent.PriorityBlockingQueue": _field("q"),
        "java.util.Vector": _vector,
        "java.util.Stack": _vector,
        "java.util.HashSet": _hash_set,
        "java.util.LinkedHashSet": _hash_set,
        "java.util.TreeSet": _tree_set,
        "java.util.concurrent.ConcurrentSkipListSet": _skip_list_set,
        "java.util.concurrent.CopyOnWriteArraySet": _field("al"),
        "java.util.Collections$SetFromMap": _field("s"),
        "java.util.Collections$SingletonList": _singleton_list,
        "java.util.Collections$SingletonSet": _singleton_list,
        "java.util.Collections$SingletonMap": _singleton_map,
        "java.util.Collections$EmptyList": _empty_list,
        "java.util.Collections$EmptySet": _empty_list,
        "java.util.Collections$EmptyMap": _empty_map,
        "java.util.Arrays$ArrayList": _field("a"),
        "java.util.CollSer": _coll_ser,
        "java.util.EnumSet$SerializationProxy": _enum_set,
        "java.util.concurrent.atomic.AtomicBoolean": _atomic_boolean,
        "java.math.BigInteger": _big_integer,
        "java.math.BigDecimal": _big_decimal,
        "java.util.Date": _date,
        "java.sql.Date": _date,
        "java.sql.Time": _date,
        "java.sql.Timestamp": _date,
        "java.util.Calendar": _calendar,
        "java.util.GregorianCalendar": _calendar,
        "java.util.UUID": _uuid,
        "java.lang.StringBuilder": _string_builder,
        "java.lang.StringBuffer": _string_buffer,
        "java.net.URI": _field("string"),
        "java.time.Ser": _java_time,
    }
)

KNOWN_CLASSES: frozenset[str] = frozenset(_HANDLERS)
"""Class names with a dedicated JSON mapping (everything else maps field by field)."""


def to_json(
    graph: Any, zone: tzinfo, *, max_depth: int = 100, max_nodes: int = 1_000_000, max_chars: int = 64 * 1024 * 1024
) -> JsonValue:
    """Project a graph from :func:`read_stream` to a JSON-able value."""
    try:
        return _Projector(zone, max_depth, max_nodes, max_chars).project(graph, 0)
    except RecursionError as exc:  # defensive
        raise JavaDeserializationError("object graph nested too deeply", 0) from exc


def decode_to_json(
    data: bytes, zone: tzinfo, *, max_depth: int = 100, max_nodes: int = 1_000_000, max_chars: int = 64 * 1024 * 1024
) -> JsonValue:
    """Decode a Java serialization stream straight to JSON. Raises only :class:`JavaDeserializationError`."""
    graph = read_stream(data, max_depth=max_depth)
    return to_json(graph, zone, max_depth=max_depth, max_nodes=max_nodes, max_chars=max_chars)
