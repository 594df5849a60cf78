"""C7 historic decision instance (ACT_HI_DECINST root evaluation with its required-decision
children, ACT_HI_DEC_IN, ACT_HI_DEC_OUT) → C8 DECISION_INSTANCE + DECISION_INSTANCE_INPUT +
DECISION_INSTANCE_OUTPUT (history.md §2.12)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SkipError
from .base import (
    BuiltinTransformer,
    Converted,
    EntityInterceptor,
    EntityInterceptorContext,
    EntityInterceptorError,
    EntitySpec,
    run_chain,
    run_pipeline,
)
from .common import (
    ConvertSettings,
    DecisionInfo,
    HistoryType,
    Reason,
    cleanup_date,
    java_double,
    java_json,
    parse_json_prefix,
    partition_for,
    prefixed,
    tenant,
    to_c8_date,
)

TYPE = HistoryType.HISTORY_DECISION_INSTANCE
C7_ID_COLUMN = "ID_"
C8_KEY_COLUMN = "DECISION_INSTANCE_KEY"
C8_TABLES = ("DECISION_INSTANCE", "DECISION_INSTANCE_INPUT", "DECISION_INSTANCE_OUTPUT")
NEEDS = (
    "decision_definition",
    "process_definition",
    "process_instance",
    "root_process_instance",
    "flow_node",
    "dmn",
    "decision_inputs_outputs",
    "child_decision_instances",
    "value",
)
COLUMNS = (
    "DECISION_INSTANCE_ID",
    "DECISION_INSTANCE_KEY",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "PROCESS_DEFINITION_KEY",
    "PROCESS_DEFINITION_ID",
    "DECISION_DEFINITION_KEY",
    "DECISION_DEFINITION_ID",
    "DECISION_REQUIREMENTS_KEY",
    "DECISION_REQUIREMENTS_ID",
    "FLOW_NODE_INSTANCE_KEY",
    "FLOW_NODE_ID",
    "ROOT_DECISION_DEFINITION_KEY",
    "TYPE",
    "STATE",
    "EVALUATION_DATE",
    "RESULT",
    "EVALUATION_FAILURE",
    "EVALUATION_FAILURE_MESSAGE",
    "TENANT_ID",
    "PARTITION_ID",
    "HISTORY_CLEANUP_DATE",
    "FULL_RESULT",  # 8.9.9+ column; NULL unless RESULT was cut (settings.char_column_size)
)
INPUT_COLUMNS = ("DECISION_INSTANCE_ID", "INPUT_ID", "INPUT_NAME", "INPUT_VALUE", "FULL_INPUT_VALUE")  # last: 8.9.9+
OUTPUT_COLUMNS = (
    "DECISION_INSTANCE_ID",
    "OUTPUT_ID",
    "OUTPUT_NAME",
    "OUTPUT_VALUE",
    "RULE_ID",
    "RULE_INDEX",
    "FULL_OUTPUT_VALUE",  # 8.9.9+ column
)
# copied from the root evaluation to every child evaluation
INHERITED = (
    "DECISION_REQUIREMENTS_KEY",
    "PROCESS_DEFINITION_KEY",
    "PROCESS_INSTANCE_KEY",
    "ROOT_PROCESS_INSTANCE_KEY",
    "ROOT_DECISION_DEFINITION_KEY",
    "FLOW_NODE_INSTANCE_KEY",
    "FLOW_NODE_ID",
    "PARTITION_ID",
    "HISTORY_CLEANUP_DATE",
)

ValueString = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class ChildDecision:
    """A required-decision evaluation (ACT_HI_DECINST with ROOT_DEC_INST_ID_ = the root's id).

    decision_definition_key  C8 key of the child's own DEC_DEF_ID_
    """

    row: Mapping[str, Any]
    inputs: Sequence[Mapping[str, Any]] = ()
    outputs: Sequence[Mapping[str, Any]] = ()
    decision_definition_key: int | None = None


@dataclass(frozen=True)
class DecisionInstanceContext:
    """Lookups for one root ACT_HI_DECINST row.

    decision_definition_key    C8 key of DEC_DEF_ID_ (HISTORY_DECISION_DEFINITION)
    decision_requirements_key  DECISION_REQUIREMENTS_KEY of that C8 DECISION_DEFINITION row
    decision_requirements_id   DECISION_REQUIREMENTS_ID of that row (synthetic DRD of standalone decisions)
    process_definition_key / process_instance_key / root_process_instance_key / root_partition_id
    flow_node_instance_key / flow_node_id   the C8 FLOW_NODE_INSTANCE of ACT_INST_ID_
    dmn          decision key → DecisionInfo (common.parse_dmn(xml).decisions of the DMN resource)
    inputs       ACT_HI_DEC_IN rows of the root, ordered by CLAUSE_ID_
    outputs      ACT_HI_DEC_OUT rows of the root, ordered by RULE_ORDER_, CLAUSE_ID_
    children     required-decision evaluations, ordered by EVAL_TIME_, ID_
    value_string C7 input/output row → value text (c7to8.variables, history flavour)
    """

    settings: ConvertSettings = field(default_factory=ConvertSettings)
    deleted: str | None = None
    decision_definition_key: int | None = None
    decision_requirements_key: int | None = None
    decision_requirements_id: str | None = None
    process_definition_key: int | None = None
    process_instance_key: int | None = None
    root_process_instance_key: int | None = None
    root_partition_id: int | None = None
    flow_node_instance_key: int | None = None
    flow_node_id: str | None = None
    dmn: Mapping[str, DecisionInfo] = field(default_factory=dict)
    inputs: Sequence[Mapping[str, Any]] = ()
    outputs: Sequence[Mapping[str, Any]] = ()
    children: Sequence[ChildDecision] = ()
    value_string: ValueString | None = None


def _cut(text: str | None, size: int | None) -> tuple[str | None, str | None]:
    """(column value, full value if cut) for a VARCHAR(size) column."""
    if text is None or size is None or len(text) <= size:
        return text, None
    return text[:size], text


def decision_result(collect_value: object, output_values: Sequence[str]) -> str:
    """RESULT JSON text: collect aggregate, else the single output, else an array of outputs."""
    if collect_value is not None:
        try:
            number = float(str(collect_value))
        except ValueError as exc:
            raise EntityInterceptorError(Reason.RESULT_FROM_COLLECT_VALUE) from exc
        if number.is_integer():
            return str(int(number))
        return java_double(number)
    if not output_values:
        return "null"
    try:
        parsed = [parse_json_prefix(v) for v in output_values]
    except ValueError as exc:
        raise EntityInterceptorError(Reason.RESULT_FROM_OUTPUTS) from exc
    return java_json(parsed[0] if len(parsed) == 1 else parsed)


class DecisionInstanceTransformer(BuiltinTransformer):
    official_name = "io.camunda.migration.data.impl.interceptor.history.entity.DecisionInstanceTransformer"

    def execute(self, ctx: EntityInterceptorContext) -> None:
        c7, c8, dctx, s = ctx.c7, ctx.c8, ctx.context, ctx.settings
        to_text = dctx.value_string
        c7_inputs: Sequence[Mapping[str, Any]] = ctx.extra.get("c7_inputs", ())
        c7_outputs: Sequence[Mapping[str, Any]] = ctx.extra.get("c7_outputs", ())
        if (c7_inputs or c7_outputs) and to_text is None:
            raise ValueError("no decision value converter configured")
        standalone = c7.get("PROC_DEF_KEY_") is None
        c8["STATE"] = "EVALUATED"
        c8["EVALUATION_DATE"] = to_c8_date(c7.get("EVAL_TIME_"), s.zone)
        c8["EVALUATION_FAILURE"] = None
        c8["EVALUATION_FAILURE_MESSAGE"] = None
        c8["PROCESS_DEFINITION_ID"] = None if standalone else prefixed(s.prefix, c7.get("PROC_DEF_KEY_"))
        c8["DECISION_DEFINITION_ID"] = prefixed(s.prefix, c7.get("DEC_DEF_KEY_"))
        c8["DECISION_REQUIREMENTS_ID"] = prefixed(s.prefix, c7.get("DEC_REQ_KEY_")) or dctx.decision_requirements_id
        c8["TENANT_ID"] = tenant(c7.get("TENANT_ID_"))
        info: DecisionInfo = dctx.dmn.get(str(c7.get("DEC_DEF_KEY_")), DecisionInfo(None))
        size = s.char_column_size
        inputs: list[dict[str, Any]] = []
        for row in c7_inputs:
            assert to_text is not None
            value, full = _cut(to_text(row), size)
            inputs.append(
                {
                    "INPUT_ID": row.get("ID_"),
                    "INPUT_NAME": row.get("CLAUSE_NAME_"),
                    "INPUT_VALUE": value,
                    "FULL_INPUT_VALUE": full,
                }
            )
        outputs: list[dict[str, Any]] = []
        full_values: list[str] = []
        for row in c7_outputs:
            assert to_text is not None
            text = to_text(row)
            full_values.append(text)
            value, full = _cut(text, size)
            outputs.append(
                {
                    "OUTPUT_ID": row.get("ID_"),
                    "OUTPUT_NAME": row.get("CLAUSE_NAME_"),
                    "OUTPUT_VALUE": value,
                    "RULE_ID": row.get("RULE_ID_"),
                    "RULE_INDEX": info.rule_index(row.get("RULE_ID_")),
                    "FULL_OUTPUT_VALUE": full,
                }
            )
        ctx.extra["inputs"] = inputs
        ctx.extra["outputs"] = outputs
        c8["RESULT"], c8["FULL_RESULT"] = _cut(decision_result(c7.get("COLLECT_VALUE_"), full_values), size)


def _precheck(row: Mapping[str, Any], ctx: Any) -> None:
    if ctx.deleted:
        raise SkipError(ctx.deleted)


def _common_preset(ctx: EntityInterceptorContext) -> None:
    c7, dctx = ctx.c7, ctx.context
    info = dctx.dmn.get(str(c7.get("DEC_DEF_KEY_")))
    ctx.preset("TYPE", info.decision_type if info is not None else None)


def _preset(ctx: EntityInterceptorContext) -> None:
    c7, c8, dctx, s = ctx.c7, ctx.c8, ctx.context, ctx.settings
    ctx.extra["c7_inputs"] = dctx.inputs
    ctx.extra["c7_outputs"] = dctx.outputs
    if dctx.decision_definition_key is not None:
        ctx.preset("DECISION_DEFINITION_KEY", dctx.decision_definition_key)
        ctx.preset("ROOT_DECISION_DEFINITION_KEY", dctx.decision_definition_key)
        ctx.preset("DECISION_REQUIREMENTS_KEY", dctx.decision_requirements_key)
        if c7.get("PROC_DEF_KEY_") is None:
            ctx.preset("PARTITION_ID", partition_for(s, c7.get("ID_")))
        else:
            ctx.preset("PROCESS_DEFINITION_KEY", dctx.process_definition_key)
            ctx.preset("PROCESS_INSTANCE_KEY", dctx.process_instance_key)
            if dctx.root_process_instance_key is not None:
                ctx.preset("ROOT_PROCESS_INSTANCE_KEY", dctx.root_process_instance_key)
                partition = dctx.root_partition_id
                if partition is None:
                    partition = partition_for(s, c7.get("ROOT_PROC_INST_ID_"))
                ctx.preset("PARTITION_ID", partition)
            if dctx.flow_node_instance_key is not None:
                ctx.preset("FLOW_NODE_INSTANCE_KEY", dctx.flow_node_instance_key)
                ctx.preset("FLOW_NODE_ID", dctx.flow_node_id)
    ctx.preset("DECISION_INSTANCE_KEY", s.next_key())
    ctx.preset("DECISION_INSTANCE_ID", f"{c8['DECISION_INSTANCE_KEY']}-1")
    _common_preset(ctx)
    ctx.preset(
        "HISTORY_CLEANUP_DATE", cleanup_date(to_c8_date(c7.get("EVAL_TIME_"), s.zone), c7.get("REMOVAL_TIME_"), s)
    )


def _check(ctx: EntityInterceptorContext) -> None:
    c7, c8 = ctx.c7, ctx.c8
    if c8.get("DECISION_DEFINITION_KEY") is None or c8.get("ROOT_DECISION_DEFINITION_KEY") is None:
        raise SkipError(Reason.MISSING_DECISION_DEFINITION)
    if c7.get("PROC_DEF_KEY_") is not None:
        if c8.get("PROCESS_DEFINITION_KEY") is None:
            raise SkipError(Reason.MISSING_PROCESS_DEFINITION)
        if c8.get("PROCESS_INSTANCE_KEY") is None:
            raise SkipError(Reason.MISSING_PROCESS_INSTANCE)
        if c8.get("ROOT_PROCESS_INSTANCE_KEY") is None:
            raise SkipError(Reason.MISSING_ROOT_PROCESS_INSTANCE)
        if c8.get("FLOW_NODE_INSTANCE_KEY") is None:
            raise SkipError(Reason.MISSING_FLOW_NODE)


def _rows(ictx: EntityInterceptorContext) -> list[tuple[str, dict[str, Any]]]:
    instance_id = ictx.c8["DECISION_INSTANCE_ID"]
    rows: list[tuple[str, dict[str, Any]]] = [("DECISION_INSTANCE", ictx.c8)]
    rows.extend(("DECISION_INSTANCE_INPUT", {"DECISION_INSTANCE_ID": instance_id, **r}) for r in ictx.extra["inputs"])
    rows.extend(("DECISION_INSTANCE_OUTPUT", {"DECISION_INSTANCE_ID": instance_id, **r}) for r in ictx.extra["outputs"])
    return rows


def _child(
    root: EntityInterceptorContext, index: int, child: ChildDecision, chain: Sequence[EntityInterceptor]
) -> list[tuple[str, dict[str, Any]]]:
    if child.decision_definition_key is None:
        raise SkipError(Reason.MISSING_DECISION_DEFINITION)
    ictx = EntityInterceptorContext(TYPE, child.row, dict.fromkeys(COLUMNS), root.context)
    ictx.extra["c7_inputs"] = child.inputs
    ictx.extra["c7_outputs"] = child.outputs
    ictx.c8["DECISION_INSTANCE_KEY"] = root.c8["DECISION_INSTANCE_KEY"]
    ictx.c8["DECISION_INSTANCE_ID"] = f"{root.c8['DECISION_INSTANCE_KEY']}-{index + 2}"
    ictx.c8["DECISION_DEFINITION_KEY"] = child.decision_definition_key
    for column in INHERITED:
        ictx.c8[column] = root.c8.get(column)
    _common_preset(ictx)
    run_chain(SPEC, ictx, chain)
    ictx.extra.setdefault("inputs", [])
    ictx.extra.setdefault("outputs", [])
    return _rows(ictx)


def _finish(ctx: EntityInterceptorContext) -> Converted:
    chain: Sequence[EntityInterceptor] = ctx.extra.get("chain") or [DecisionInstanceTransformer()]
    rows: list[tuple[str, dict[str, Any]]] = []
    for index, child in enumerate(ctx.context.children):
        rows.extend(_child(ctx, index, child, chain))
    ctx.extra.setdefault("inputs", [])
    ctx.extra.setdefault("outputs", [])
    main_index = len(rows)
    rows.extend(_rows(ctx))
    return Converted(TYPE, str(ctx.c7["ID_"]), str(ctx.c8[C8_KEY_COLUMN]), rows, main_index=main_index)


SPEC = EntitySpec(
    entity_type=TYPE,
    c7_entity_class="HistoricDecisionInstanceEntity",
    c7_interface="HistoricDecisionInstance",
    c7_table="ACT_HI_DECINST",
    c7_id_column=C7_ID_COLUMN,
    create_time_column="EVAL_TIME_",
    c8_key_column=C8_KEY_COLUMN,
    c8_tables=C8_TABLES,
    needs=NEEDS,
    columns=COLUMNS,
    transformer=DecisionInstanceTransformer,
    precheck=_precheck,
    preset=_preset,
    check=_check,
    finish=_finish,
    required=(
        ("DECISION_INSTANCE_ID", "decisionInstanceId"),
        ("DECISION_INSTANCE_KEY", "decisionInstanceKey"),
        ("PARTITION_ID", "partitionId"),
    ),
)


def convert(row: Mapping[str, Any], ctx: DecisionInstanceContext) -> Converted:
    return run_pipeline(SPEC, row, ctx)
