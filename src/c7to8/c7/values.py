"""Bridge from C7 variable rows (ACT_HI_VARINST, ACT_HI_DEC_IN/OUT) to `c7to8.variables`.

Reads the referenced ACT_GE_BYTEARRAY contents in batch, builds `C7Variable`s, and gives the
converters the callables they expect. Bytes and file values become Camunda 8 documents when a
document store is reachable; otherwise they are skipped with a reason that says how to proceed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine

from ..config import Config
from ..dialects import VendorProperties
from ..errors import SkipError, TargetError
from ..variables import C7Variable, DocumentUpload, HistoryValue, VariableConverter
from ..variables.model import VariableEntity, VariableSettings
from .source import C7Source, fetch_bytes

log = logging.getLogger("c7to8.values")

NO_DOCUMENT_STORE = (
    "Variable of type '{t}' needs the Camunda 8 document store, which was not reachable: configure "
    "camunda.client.rest-address, or set c7to8.variables.documents: official to skip such values."
)


def c7_variable(row: Mapping[str, Any], data: bytes | None, entity: VariableEntity, name_col: str) -> C7Variable:
    return C7Variable(
        name=str(row.get(name_col) or ""),
        type_name=row.get("VAR_TYPE_") or row.get("TYPE_"),
        text=row.get("TEXT_"),
        text2=row.get("TEXT2_"),
        long_value=row.get("LONG_"),
        double_value=row.get("DOUBLE_"),
        bytes_value=data,
        entity=entity,
        id=row.get("ID_"),
        process_instance_id=row.get("PROC_INST_ID_"),
        execution_id=row.get("EXECUTION_ID_"),
        activity_instance_id=row.get("ACT_INST_ID_"),
        task_id=row.get("TASK_ID_"),
        case_instance_id=row.get("CASE_INST_ID_"),
        tenant_id=row.get("TENANT_ID_"),
        row=row,
    )


def history_value(
    converter: VariableConverter,
    row: Mapping[str, Any],
    data: bytes | None,
    entity: VariableEntity,
    name_col: str,
    truncate: bool | None = None,
) -> HistoryValue | DocumentUpload:
    """``converter.to_history(c7_variable(row, data, entity, name_col))``.

    Simple types whose chain is just their built-in transformer skip building the ``C7Variable``
    (``VariableConverter.simple_history``); the result is the same.
    """
    fast = converter.simple_history(
        str(row.get(name_col) or ""),
        row.get("VAR_TYPE_") or row.get("TYPE_"),
        entity,
        row.get("LONG_"),
        row.get("DOUBLE_"),
        row.get("TEXT_"),
        row.get("TEXT2_"),
        truncate,
    )
    if fast is not None:
        return fast
    return converter.to_history(c7_variable(row, data, entity, name_col), truncate=truncate)


class HistoryValues:
    """Value conversion for the history orchestrator."""

    def __init__(self, config: Config, vendor: VendorProperties) -> None:
        settings = replace(
            VariableSettings.from_config(config),
            history_preview_size=vendor.variable_value_preview_size,
            history_max_bytes=vendor.char_column_max_bytes,
        )
        from ..variables.interceptors import build_variable_interceptors

        self.converter = VariableConverter(settings, build_variable_interceptors(config.interceptors))
        self.config = config
        self._client: Any = None
        self._client_failed = False
        self._no_bytes_fn = self._columns_fn(None)

    @property
    def document_store_failed(self) -> bool:
        """The Camunda 8 document store was found unreachable: every further bytes or file value is skipped."""
        return self._client_failed

    # ---------------------------------------------------------------- reading
    def fetch_bytes(
        self, engine: Engine, src: C7Source, rows: Iterable[Any], flatten: bool = False
    ) -> dict[str, bytes]:
        items: list[Mapping[str, Any]] = [r for group in rows for r in group] if flatten else list(rows)
        ids = [str(r["BYTEARRAY_ID_"]) for r in items if r.get("BYTEARRAY_ID_")]
        if not ids or not src.has("ACT_GE_BYTEARRAY"):
            return {}
        with engine.connect() as conn:
            found = fetch_bytes(conn, src.table("ACT_GE_BYTEARRAY"), ids, src.vendor)
        return {k: v for k, v in found.items() if v is not None}

    # ---------------------------------------------------------------- converters' callables
    def value_columns_fn(self, data: bytes | None) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
        return self._no_bytes_fn if data is None else self._columns_fn(data)  # most have no bytes

    def _columns_fn(self, data: bytes | None) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
        def columns(row: Mapping[str, Any]) -> Mapping[str, Any]:
            self._check_bytes_present(row, data)
            result = history_value(self.converter, row, data, VariableEntity.HISTORIC_VARIABLE, "NAME_")
            if isinstance(result, DocumentUpload):
                result = self.converter.history_from_document(result, self._upload(result))
            return result.columns

        return columns

    def value_string_fn(self, bytes_map: Mapping[str, bytes]) -> Callable[[Mapping[str, Any]], str]:
        def text(row: Mapping[str, Any]) -> str:
            is_output = "VAR_NAME_" in row  # ACT_HI_DEC_OUT has VAR_NAME_, ACT_HI_DEC_IN has CLAUSE_ID_ only
            entity = VariableEntity.DECISION_OUTPUT if is_output else VariableEntity.DECISION_INPUT
            name_col = "VAR_NAME_" if is_output else "CLAUSE_ID_"
            data = bytes_map.get(str(row.get("BYTEARRAY_ID_"))) if row.get("BYTEARRAY_ID_") else None
            self._check_bytes_present(row, data)
            result = history_value(self.converter, row, data, entity, name_col, truncate=False)
            if isinstance(result, DocumentUpload):
                result = self.converter.history_from_document(result, self._upload(result), truncate=False)
            return result.text

        return text

    def _check_bytes_present(self, row: Mapping[str, Any], data: bytes | None) -> None:
        if row.get("BYTEARRAY_ID_") and data is None:
            raise SkipError(
                f"Variable '{row.get('NAME_') or row.get('VAR_NAME_') or row.get('CLAUSE_ID_')}' references "
                f"ACT_GE_BYTEARRAY row [{row.get('BYTEARRAY_ID_')}], which does not exist"
            )

    # ---------------------------------------------------------------- documents
    def _document_client(self) -> Any:
        if self._client is None:
            from ..c8.rest import C8Client

            self._client = C8Client(self.config.client, max_retries=0)  # one probe; no store -> skip
        return self._client

    def probe_document_store(self) -> bool:
        """Before a pass that may meet bytes or file values: whether Camunda 8's REST address answers at all.

        Unreachable (nothing listens, a timeout): the store counts as failed now, as after a first
        upload that could not connect, so those values are skipped from the first one on instead of
        each being read and converted first. Any HTTP answer leaves it to the first upload to decide.
        """
        if self._client_failed:
            return False
        from ..c8.rest import Unreachable

        try:
            self._document_client().request("GET", "/topology", what="document store probe", ok=tuple(range(100, 600)))
        except Unreachable as exc:
            self._client_failed = True
            log.warning("Camunda 8 document store not available: %s", exc)
            return False
        except TargetError:
            pass  # e.g. no token: the first upload reports it
        return True

    def _upload(self, doc: DocumentUpload) -> Mapping[str, Any]:
        if self._client_failed:
            raise SkipError(NO_DOCUMENT_STORE.format(t=doc.c7_type))
        try:
            r = self._document_client().request(
                "POST",
                "/documents",
                files={"file": (doc.file_name, doc.content, doc.content_type or "application/octet-stream")},
                data={"metadata": json.dumps(doc.metadata())},
                what=f"variable '{doc.variable_name}'",
                ok=(200, 201),
            )
        except TargetError as exc:
            self._client_failed = True
            log.warning("Camunda 8 document store not available: %s", exc)
            raise SkipError(NO_DOCUMENT_STORE.format(t=doc.c7_type)) from exc
        body: Mapping[str, Any] = r.json()
        return body

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
