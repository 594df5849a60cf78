"""C7 decision requirements definition (ACT_RE_DECISION_REQ_DEF) → C8 DECISION_REQUIREMENTS
(history.md §2.10)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import ConvertSettings, HistoryType, as_int, as_text, parse_dmn, prefixed, rewrite_dmn, tenant

TYPE = HistoryType.HISTORY_DECISION_REQUIREMENT
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "DECISION_REQUIREMENTS_KEY"
C8_TABLES = ("DECISION_REQUIREMENTS",)
NEEDS = ("resource",)
COLUMNS = (
    "DECISION_REQUIREMENTS_KEY",
    "DECISION_REQUIREMENTS_ID",
    "NAME",
    "TENANT_ID",
    "VERSION",
    "RESOURCE_NAME",
    "XML",
)


@dataclass(frozen=True)
class DecisionRequirementsContext:
    """settings; dmn_xml = the DMN resource (ACT_GE_BYTEARRAY of DEPLOYMENT_ID_ + RESOURCE_NAME_)."""

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    dmn_xml: str | bytes | None = None


def prepared_dmn(xml: str | bytes | None, prefix: str, resource_name: object) -> str:
    """DMN text checked for well-formedness and rewritten with the legacy prefix."""
    text = as_text(xml)
    if text is None:
        raise ValueError(f"DMN resource {resource_name!r} not found in deployment")
    parse_dmn(text)  # unparseable resource → interceptor failure, as officially
    return rewrite_dmn(text, prefix)


class DecisionRequirementsDefinitionTransformer(BuiltinTransformer):
    official_name = (
        "io.camunda.migration.data.impl.interceptor.history.entity.DecisionRequirementsDefinitionTransformer"
    )

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        c8["DECISION_REQUIREMENTS_ID"] = prefixed(s.prefix, c7.get("KEY_"))
        c8["NAME"] = c7.get("NAME_")
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        c8["VERSION"] = as_int(c7.get("VERSION_"))
        c8["RESOURCE_NAME"] = c7.get("RESOURCE_NAME_")
        c8["XML"] = prepared_dmn(ctx.context.dmn_xml, s.prefix, c7.get("RESOURCE_NAME_"))


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    return None


def _preset(ctx: EntityInterceptorContext) -> None:
    ctx.preset(C8_KEY_COLUMN, ctx.settings.next_key())


def _check(ctx: EntityInterceptorContext) -> None:
    return None


def _finish(ctx: EntityInterceptorContext) -> Converted:
    return Converted(TYPE, str(ctx.c7["ID_"]), str(ctx.c8[C8_KEY_COLUMN]), [("DECISION_REQUIREMENTS", ctx.c8)])


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="DecisionRequirementsDefinitionEntity",
    c7_interface="DecisionRequirementsDefinition",
    c7_table="ACT_RE_DECISION_REQ_DEF",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="DEPLOY_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=DecisionRequirementsDefinitionTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=((C8_KEY_COLUMN, "decisionRequirementsKey"),),
)


def convert(row: Mapping[str, Any], ctx: DecisionRequirementsContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
