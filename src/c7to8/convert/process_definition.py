"""C7 process definition (ACT_RE_PROCDEF) → C8 PROCESS_DEFINITION (history.md §2.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import ConvertSettings, HistoryType, as_int, as_text, prefixed, start_form_ref, tenant

TYPE = HistoryType.HISTORY_PROCESS_DEFINITION
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "PROCESS_DEFINITION_KEY"
C8_TABLES = ("PROCESS_DEFINITION",)
NEEDS = ("resource",)
COLUMNS = (
    "PROCESS_DEFINITION_KEY",
    "PROCESS_DEFINITION_ID",
    "RESOURCE_NAME",
    "BPMN_XML",
    "NAME",
    "TENANT_ID",
    "VERSION_TAG",
    "VERSION",
    "FORM_ID",
    "STATE",  # 8.9.14+ column; writers targeting older 8.9 patches drop it
)
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class ProcessDefinitionContext:
    """settings; bpmn_xml = the BPMN resource (ACT_GE_BYTEARRAY of DEPLOYMENT_ID_ + RESOURCE_NAME_)."""

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    bpmn_xml: str | bytes | None = None


class ProcessDefinitionTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.ProcessDefinitionTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8 = ctx.c7, ctx.c8
        xml = as_text(ctx.context.bpmn_xml)
        if xml is None:
            raise ValueError(f"BPMN resource {c7.get('RESOURCE_NAME_')!r} not found in deployment")
        prefix = ctx.settings.prefix
        c8["PROCESS_DEFINITION_ID"] = prefixed(prefix, c7.get("KEY_"))
        c8["RESOURCE_NAME"] = c7.get("RESOURCE_NAME_")
        c8["BPMN_XML"] = xml  # unmodified: the process id inside stays unprefixed
        c8["NAME"] = c7.get("NAME_")
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        c8["VERSION_TAG"] = c7.get("VERSION_TAG_")
        c8["VERSION"] = as_int(c7.get("VERSION_"))
        c8["FORM_ID"] = prefixed(prefix, start_form_ref(xml, str(c7.get("KEY_"))))
        c8["STATE"] = ACTIVE


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    return None


def _preset(ctx: EntityInterceptorContext) -> None:
    ctx.preset("PROCESS_DEFINITION_KEY", ctx.settings.next_key())


def _check(ctx: EntityInterceptorContext) -> None:
    return None


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7["ID_"]), str(ctx.c8[C8_KEY_COLUMN]), [("PROCESS_DEFINITION", ctx.c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="ProcessDefinitionEntity",
    c7_interface="ProcessDefinition",
    c7_table="ACT_RE_PROCDEF",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="DEPLOY_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=ProcessDefinitionTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(("PROCESS_DEFINITION_KEY", "processDefinitionKey"),),
)


def convert(row: Mapping[str, Any], ctx: ProcessDefinitionContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
