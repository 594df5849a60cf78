"""C7 Camunda form definition (ACT_RE_CAMFORMDEF) → C8 FORM (history.md §2.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import ConvertSettings, HistoryType, as_int, as_text, prefixed, tenant

TYPE = HistoryType.HISTORY_FORM_DEFINITION
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "FORM_KEY"
C8_TABLES = ("FORM",)
NEEDS = ("resource",)
COLUMNS = ("FORM_KEY", "FORM_ID", "TENANT_ID", "SCHEMA_XML", "VERSION", "IS_DELETED")


@dataclass(frozen=True)
class FormContext:
    """settings; schema = the form JSON (ACT_GE_BYTEARRAY.BYTES_ of DEPLOYMENT_ID_ + RESOURCE_NAME_)."""

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    schema: str | bytes | None = None


class FormTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.FormTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, fctx = ctx.c7, ctx.c8, ctx.context
        schema = as_text(fctx.schema)
        if schema is None:
            raise ValueError(f"form resource {c7.get('RESOURCE_NAME_')!r} not found in deployment")
        c8["FORM_ID"] = prefixed(ctx.settings.prefix, c7.get("KEY_"))
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        c8["SCHEMA_XML"] = schema
        c8["VERSION"] = as_int(c7.get("VERSION_"))
        c8["IS_DELETED"] = False


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    return None


def _preset(ctx: EntityInterceptorContext) -> None:
    ctx.preset("FORM_KEY", ctx.settings.next_key())


def _check(ctx: EntityInterceptorContext) -> None:
    return None


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7["ID_"]), str(ctx.c8["FORM_KEY"]), [("FORM", ctx.c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="CamundaFormDefinitionEntity",
    c7_interface="CamundaFormDefinition",
    c7_table="ACT_RE_CAMFORMDEF",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="DEPLOY_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=FormTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(("FORM_KEY", "formKey"), ("FORM_ID", "formId"), ("TENANT_ID", "tenantId")),
)


def convert(row: Mapping[str, Any], ctx: FormContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
