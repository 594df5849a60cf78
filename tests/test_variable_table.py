"""Every variable type written by the real Camunda 7.24 engine (harness instance
`variables-all-types-1`), converted for runtime and for history, each value asserted exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from c7to8.c7.values import c7_variable
from c7to8.variables import DocumentUpload, VariableConverter
from c7to8.variables.model import VariableEntity, VariableSettings
from tests.support import harness
from tests.support.databases import admin_url, drop_database, unique_name
from tests.support.databases import testbed_env as start_testbed

EXPECTED: dict[str, Any] = {
    "stringVar": "hello world",
    "emptyString": "",
    "unicodeString": 'Grüße, 東京, "quotes" and \\ backslash',
    "longString": "x" * 3000,
    "intVar": 42,
    "longVar": 9_000_000_000,
    "shortVar": 7,
    "doubleVar": 3.14159,
    "booleanVar": True,
    "falseVar": False,
    "dateVar": "2024-03-15T10:30:00.000+0000",
    "nullVar": None,
    "nullString": None,
    "jsonList": [1, 2, 3],
    "jsonUnknownClass": {"legacy": True, "n": 1},
    "spinJson": {"order": {"id": 17, "items": [{"sku": "A-1", "qty": 2}], "paid": False, "note": None}},
    "counter": 4,  # updated 1 -> 2 -> 3 -> 4: the latest value
    "retyped": 1,  # string -> integer
}


@pytest.fixture(scope="module")
def rows() -> Iterator[dict[str, dict[str, Any]]]:
    """name -> (runtime row, history row, bytes) of the variables of `variables-all-types-1`."""
    start_testbed()
    name = unique_name("c7vars")
    harness.postgres_dataset(admin_url("postgresql"), name)
    eng = create_engine(admin_url("postgresql").set(database=name))
    try:
        with eng.connect() as c:
            pi = c.execute(text("SELECT ID_ FROM ACT_HI_PROCINST WHERE BUSINESS_KEY_ = 'variables-all-types-1'")).scalar()
            ru = {r.name_: dict(r._mapping) for r in c.execute(
                text("SELECT * FROM ACT_RU_VARIABLE WHERE PROC_INST_ID_ = :p AND TASK_ID_ IS NULL"), {"p": pi})}
            hi = {r.name_: dict(r._mapping) for r in c.execute(
                text("SELECT * FROM ACT_HI_VARINST WHERE PROC_INST_ID_ = :p AND TASK_ID_ IS NULL"), {"p": pi})}
            blobs = {r.id_: bytes(r.bytes_) for r in c.execute(text("SELECT ID_, BYTES_ FROM ACT_GE_BYTEARRAY "
                                                                    "WHERE BYTES_ IS NOT NULL"))}
        up = {k: {kk.upper(): vv for kk, vv in v.items()} for k, v in ru.items()}
        uh = {k: {kk.upper(): vv for kk, vv in v.items()} for k, v in hi.items()}
        yield {n: {"ru": up[n], "hi": uh.get(n), "blobs": blobs} for n in up}
    finally:
        eng.dispose()
        drop_database("postgresql", name)


def convert(rows: dict[str, dict[str, Any]], name: str, runtime: bool) -> Any:
    r = rows[name]["ru" if runtime else "hi"]
    data = rows[name]["blobs"].get(r.get("BYTEARRAY_ID_"))
    entity = VariableEntity.RUNTIME_VARIABLE if runtime else VariableEntity.HISTORIC_VARIABLE
    var = c7_variable(r, data, entity, "NAME_")
    conv = VariableConverter(VariableSettings(time_zone="UTC"))
    return conv.to_runtime(var) if runtime else conv.to_history(var)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_runtime_and_history_values_exactly(rows: dict[str, dict[str, Any]], name: str) -> None:
    rt = convert(rows, name, runtime=True)
    assert rt.value == EXPECTED[name]
    hist = convert(rows, name, runtime=False)
    # history stores JSON text; strings are properly quoted and escaped (the official tool does not escape)
    assert hist.text == json.dumps(EXPECTED[name], ensure_ascii=False, separators=(",", ":")) or \
        json.loads(hist.text) == EXPECTED[name]
    if isinstance(EXPECTED[name], str):
        assert hist.columns["TYPE"] == "STRING" and json.loads(hist.columns["VAR_FULL_VALUE"]
                                                               or hist.columns["VAR_VALUE"]) == EXPECTED[name]
    elif isinstance(EXPECTED[name], bool):
        assert hist.columns["TYPE"] == "BOOLEAN"
    elif isinstance(EXPECTED[name], int):
        assert hist.columns["TYPE"] == "LONG" and hist.columns["LONG_VALUE"] == EXPECTED[name]
    elif isinstance(EXPECTED[name], float):
        assert hist.columns["TYPE"] == "DOUBLE" and hist.columns["DOUBLE_VALUE"] == EXPECTED[name]
    elif EXPECTED[name] is None:
        assert hist.columns["TYPE"] == "NULL"


def test_long_string_is_previewed_in_history(rows: dict[str, dict[str, Any]]) -> None:
    cols = convert(rows, "longString", runtime=False).columns
    assert cols["VAR_FULL_VALUE"] is None or json.loads(cols["VAR_FULL_VALUE"]) == "x" * 3000
    assert cols["IS_PREVIEW"] in (False, 0) or len(cols["VAR_VALUE"]) < 3002


def test_objects_json_xml_and_java(rows: dict[str, dict[str, Any]]) -> None:
    customer = convert(rows, "jsonObject", runtime=True).value
    assert set(customer.values()) >= {"Jane Doe", "jane@example.com", 41}
    xml = convert(rows, "xmlObject", runtime=True).value
    assert isinstance(xml, str) and "Jane Doe" in xml and "jane@example.com" in xml
    spin_xml = convert(rows, "spinXml", runtime=True).value
    assert '<order id="17">' in spin_xml and 'sku="A-1"' in spin_xml
    java = [n for n, r in rows.items() if r["ru"]["TYPE_"] == "serializable"]
    assert len(java) >= 8  # six shapes + ArrayList + LinkedHashMap
    for n in java:
        rt, hist = convert(rows, n, runtime=True), convert(rows, n, runtime=False)
        assert isinstance(rt.value, dict | list) and json.loads(hist.text) == rt.value


def test_bytes_and_file_become_documents(rows: dict[str, dict[str, Any]]) -> None:
    b = convert(rows, "bytesVar", runtime=True)
    assert isinstance(b, DocumentUpload) and b.content == bytes([0, 1, 2, 127, 128, 255])
    f = convert(rows, "fileVar", runtime=True)
    assert isinstance(f, DocumentUpload) and f.file_name == "invoice.pdf" and f.content_type == "application/pdf"
    assert f.content.startswith(b"%PDF")
    assert isinstance(convert(rows, "fileVar", runtime=False), DocumentUpload)
