"""C7 decision definition (ACT_RE_DECISION_DEF) → C8 DECISION_DEFINITION, plus a synthetic
DECISION_REQUIREMENTS row for a decision deployed without a DRD (history.md §2.11)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SkipError
from .base import BuiltinTransformer, Converted, EntityInterceptorContext, EntitySpec, run_pipeline
from .common import ConvertSettings, HistoryType, Reason, as_int, as_text, parse_dmn, prefixed, tenant
from .decision_requirements import prepared_dmn

TYPE = HistoryType.HISTORY_DECISION_DEFINITION
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "DECISION_DEFINITION_KEY"
C8_TABLES = ("DECISION_DEFINITION", "DECISION_REQUIREMENTS")  # main table first
NEEDS = ("decision_requirements", "resource")
COLUMNS = (
    "DECISION_DEFINITION_KEY",
    "DECISION_DEFINITION_ID",
    "NAME",
    "TENANT_ID",
    "VERSION",
    "DECISION_REQUIREMENTS_ID",
    "DECISION_REQUIREMENTS_KEY",
    "DECISION_REQUIREMENTS_NAME",
    "DECISION_REQUIREMENTS_VERSION",
)


@dataclass(frozen=True)
class DecisionDefinitionContext:
    """Lookups for one ACT_RE_DECISION_DEF row.

    decision_requirements_key / _name / _version
        C8 DECISION_REQUIREMENTS row of DEC_REQ_ID_ (HISTORY_DECISION_REQUIREMENT), if tracked
    dmn_xml   the DMN resource; needed only for a decision without DRD (synthetic DRD row)
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    decision_requirements_key: int | None = None
    decision_requirements_name: str | None = None
    decision_requirements_version: int | None = None
    dmn_xml: str | bytes | None = None


class DecisionDefinitionTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.DecisionDefinitionTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, s = ctx.c7, ctx.c8, ctx.settings
        c8["NAME"] = c7.get("NAME_")
        c8["DECISION_DEFINITION_ID"] = prefixed(s.prefix, c7.get("KEY_"))
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        c8["VERSION"] = as_int(c7.get("VERSION_"))
        if c7.get("DEC_REQ_ID_") is not None:
            c8["DECISION_REQUIREMENTS_ID"] = prefixed(s.prefix, c7.get("DEC_REQ_KEY_"))


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _synthetic_drd(ctx: EntityInterceptorContext) -> dict[str, Any]:
    c7, s = ctx.c7, ctx.settings
    text = as_text(ctx.context.dmn_xml)
    xml = prepared_dmn(text, s.prefix, c7.get("RESOURCE_NAME_"))
    definitions_id = parse_dmn(text or "").definitions_id
    return {
        "DECISION_REQUIREMENTS_KEY": s.next_key(),
        "DECISION_REQUIREMENTS_ID": prefixed(s.prefix, definitions_id),
        "NAME": c7.get("NAME_"),
        "TENANT_ID": tenant(c7.get("TENANT_ID_")),
        "VERSION": as_int(c7.get("VERSION_")),
        "RESOURCE_NAME": c7.get("RESOURCE_NAME_"),
        "XML": xml,
    }


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, dctx = ctx.c7, ctx.context
    ctx.preset(C8_KEY_COLUMN, ctx.settings.next_key())
    if c7.get("DEC_REQ_ID_") is not None:
        ctx.preset("DECISION_REQUIREMENTS_KEY", dctx.decision_requirements_key)
        ctx.preset("DECISION_REQUIREMENTS_NAME", dctx.decision_requirements_name)
        ctx.preset("DECISION_REQUIREMENTS_VERSION", dctx.decision_requirements_version)
        return
    try:
        drd = _synthetic_drd(ctx)
    except Exception as exc:  # the official DRD transformer failure of the synthetic DRD
        raise SkipError(
            "DecisionRequirementsDefinitionTransformer failed for entity type 'DecisionRequirementsDefinitionEntity'"
        ) from exc
    ctx.extra["synthetic_drd"] = drd
    ctx.preset("DECISION_REQUIREMENTS_KEY", drd["DECISION_REQUIREMENTS_KEY"])
    ctx.preset("DECISION_REQUIREMENTS_ID", drd["DECISION_REQUIREMENTS_ID"])
    ctx.preset("DECISION_REQUIREMENTS_NAME", c7.get("NAME_"))
    ctx.preset("DECISION_REQUIREMENTS_VERSION", as_int(c7.get("VERSION_")))


def _check(ctx: EntityInterceptorContext) -> None:
    c8 = ctx.c8
    if c8.get("DECISION_REQUIREMENTS_KEY") is None or c8.get("DECISION_REQUIREMENTS_ID") is None:
        raise SkipError(Reason.MISSING_DECISION_REQUIREMENTS)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    rows: list[tuple[str, dict[str, Any]]] = []
    drd = ctx.extra.get("synthetic_drd")
    if drd is not None:
        rows.append(("DECISION_REQUIREMENTS", drd))
    rows.append(("DECISION_DEFINITION", ctx.c8))
    return Converted(TYPE, str(ctx.c7["ID_"]), str(ctx.c8[C8_KEY_COLUMN]), rows, main_index=len(rows) - 1)


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="DecisionDefinitionEntity",
    c7_interface="DecisionDefinition",
    c7_table="ACT_RE_DECISION_DEF",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="DEPLOY_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=DecisionDefinitionTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=((C8_KEY_COLUMN, "decisionDefinitionKey"),),
)


def convert(row: Mapping[str, Any], ctx: DecisionDefinitionContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
