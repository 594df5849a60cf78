from __future__ import annotations

from typing import Any

import pytest

from c7to8.convert import decision_definition as dd
from c7to8.convert import decision_requirements as drd
from c7to8.convert import form
from c7to8.convert import process_definition as pd
from c7to8.convert.common import HistoryType, deleted_in_c8
from c7to8.errors import SkipError

from .helpers import K, settings
from .test_common import BPMN, DMN

FORM_JSON = '{"components":[{"key":"amount","type":"number"}],"id":"simple-form","type":"default"}'


def form_row(**overrides: Any) -> dict[str, Any]:
    base = {
        "ID_": "simple-form:1:f-1",
        "REV_": 1,
        "KEY_": "simple-form",
        "VERSION_": 1,
        "DEPLOYMENT_ID_": "dep-1",
        "RESOURCE_NAME_": "simple-form.form",
        "TENANT_ID_": None,
    }
    base.update(overrides)
    return base


def test_form_every_column() -> None:
    out = form.convert(form_row(), form.FormContext(settings(), schema=FORM_JSON.encode()))
    assert out.entity_type is HistoryType.HISTORY_FORM_DEFINITION
    assert (out.c7_id, out.c8_key) == ("simple-form:1:f-1", str(K + 1))
    assert out.rows == [
        (
            "FORM",
            {
                "FORM_KEY": K + 1,
                "FORM_ID": "c7-legacy-simple-form",
                "TENANT_ID": "<default>",
                "SCHEMA_XML": FORM_JSON,
                "VERSION": 1,
                "IS_DELETED": False,
            },
        )
    ]
    tenant_form = form.convert(form_row(TENANT_ID_="tenant-123"), form.FormContext(settings(prefix="acme-"), FORM_JSON))
    assert (tenant_form.main["TENANT_ID"], tenant_form.main["FORM_ID"]) == ("tenant-123", "acme-simple-form")


def test_form_without_resource_is_an_interceptor_failure() -> None:
    with pytest.raises(SkipError) as err:
        form.convert(form_row(), form.FormContext(settings()))
    assert err.value.reason == "FormTransformer failed for entity type 'CamundaFormDefinitionEntity'"


def pd_row(**overrides: Any) -> dict[str, Any]:
    base = {
        "ID_": "invoice:1:pd-1",
        "REV_": 1,
        "CATEGORY_": "http://bpmn.io/schema/bpmn",
        "NAME_": "Invoice Receipt",
        "KEY_": "invoice",
        "VERSION_": 1,
        "DEPLOYMENT_ID_": "dep-1",
        "RESOURCE_NAME_": "invoice.bpmn",
        "DGRM_RESOURCE_NAME_": None,
        "HAS_START_FORM_KEY_": False,
        "SUSPENSION_STATE_": 1,
        "TENANT_ID_": None,
        "VERSION_TAG_": "custom-version-tag",
        "HISTORY_TTL_": None,
        "STARTABLE_": True,
    }
    base.update(overrides)
    return base


def test_process_definition_every_column() -> None:
    out = pd.convert(pd_row(), pd.ProcessDefinitionContext(settings(), bpmn_xml=BPMN.encode()))
    assert out.c8_key == str(K + 1)
    assert out.rows == [
        (
            "PROCESS_DEFINITION",
            {
                "PROCESS_DEFINITION_KEY": K + 1,
                "PROCESS_DEFINITION_ID": "c7-legacy-invoice",
                "RESOURCE_NAME": "invoice.bpmn",
                "BPMN_XML": BPMN,  # unmodified
                "NAME": "Invoice Receipt",
                "TENANT_ID": "<default>",
                "VERSION_TAG": "custom-version-tag",
                "VERSION": 1,
                "FORM_ID": "c7-legacy-start-form",
                "STATE": "ACTIVE",
            },
        )
    ]


def test_process_definition_without_start_form_and_with_tenant() -> None:
    out = pd.convert(pd_row(KEY_="other", TENANT_ID_="my-tenant1"), pd.ProcessDefinitionContext(settings(), BPMN))
    assert out.main["FORM_ID"] is None
    assert out.main["TENANT_ID"] == "my-tenant1"
    with pytest.raises(SkipError) as err:
        pd.convert(pd_row(), pd.ProcessDefinitionContext(settings(), bpmn_xml=None))
    assert err.value.reason == "ProcessDefinitionTransformer failed for entity type 'ProcessDefinitionEntity'"


def drd_row(**overrides: Any) -> dict[str, Any]:
    base = {
        "ID_": "dish:1:drd-1",
        "REV_": 1,
        "CATEGORY_": "http://camunda.org/schema/1.0/dmn",
        "NAME_": "Dish",
        "KEY_": "dish",
        "VERSION_": 1,
        "DEPLOYMENT_ID_": "dep-2",
        "RESOURCE_NAME_": "dish-decision.dmn",
        "DGRM_RESOURCE_NAME_": None,
        "TENANT_ID_": None,
    }
    base.update(overrides)
    return base


def test_decision_requirements_every_column() -> None:
    out = drd.convert(drd_row(), drd.DecisionRequirementsContext(settings(), dmn_xml=DMN.encode()))
    main = out.main
    assert out.c8_key == str(K + 1)
    assert main == {
        "DECISION_REQUIREMENTS_KEY": K + 1,
        "DECISION_REQUIREMENTS_ID": "c7-legacy-dish",
        "NAME": "Dish",
        "TENANT_ID": "<default>",
        "VERSION": 1,
        "RESOURCE_NAME": "dish-decision.dmn",
        "XML": main["XML"],
    }
    assert 'id="c7-legacy-Dish"' in main["XML"] and 'href="#c7-legacy-Season"' in main["XML"]
    with pytest.raises(SkipError) as err:
        drd.convert(drd_row(), drd.DecisionRequirementsContext(settings(), dmn_xml="<not-xml"))
    assert err.value.reason == (
        "DecisionRequirementsDefinitionTransformer failed for entity type 'DecisionRequirementsDefinitionEntity'"
    )


def dd_row(**overrides: Any) -> dict[str, Any]:
    base = {
        "ID_": "Dish:1:dd-1",
        "REV_": 1,
        "CATEGORY_": "http://camunda.org/schema/1.0/dmn",
        "NAME_": "Dish",
        "KEY_": "Dish",
        "VERSION_": 1,
        "DEPLOYMENT_ID_": "dep-2",
        "RESOURCE_NAME_": "dish-decision.dmn",
        "DGRM_RESOURCE_NAME_": None,
        "DEC_REQ_ID_": "dish:1:drd-1",
        "DEC_REQ_KEY_": "dish",
        "TENANT_ID_": None,
        "HISTORY_TTL_": None,
        "VERSION_TAG_": None,
    }
    base.update(overrides)
    return base


def test_decision_definition_with_drd_every_column() -> None:
    ctx = dd.DecisionDefinitionContext(
        settings(), decision_requirements_key=55, decision_requirements_name="Dish", decision_requirements_version=1
    )
    out = dd.convert(dd_row(), ctx)
    assert out.c8_key == str(K + 1)
    assert out.rows == [
        (
            "DECISION_DEFINITION",
            {
                "DECISION_DEFINITION_KEY": K + 1,
                "DECISION_DEFINITION_ID": "c7-legacy-Dish",
                "NAME": "Dish",
                "TENANT_ID": "<default>",
                "VERSION": 1,
                "DECISION_REQUIREMENTS_ID": "c7-legacy-dish",
                "DECISION_REQUIREMENTS_KEY": 55,
                "DECISION_REQUIREMENTS_NAME": "Dish",
                "DECISION_REQUIREMENTS_VERSION": 1,
            },
        )
    ]


def test_standalone_decision_gets_a_synthetic_drd() -> None:
    row = dd_row(DEC_REQ_ID_=None, DEC_REQ_KEY_=None, NAME_="simpleDecisionName", VERSION_=2, TENANT_ID_="t1")
    out = dd.convert(row, dd.DecisionDefinitionContext(settings(), dmn_xml=DMN))
    synthetic = out.table("DECISION_REQUIREMENTS")
    assert [t for t, _ in out.rows] == ["DECISION_REQUIREMENTS", "DECISION_DEFINITION"]
    assert synthetic[0]["DECISION_REQUIREMENTS_KEY"] == K + 2
    assert {k: v for k, v in synthetic[0].items() if k != "XML"} == {
        "DECISION_REQUIREMENTS_KEY": K + 2,
        "DECISION_REQUIREMENTS_ID": "c7-legacy-dish",
        "NAME": "simpleDecisionName",
        "TENANT_ID": "t1",
        "VERSION": 2,
        "RESOURCE_NAME": "dish-decision.dmn",
    }
    assert out.main["DECISION_DEFINITION_KEY"] == K + 1
    assert out.main["DECISION_REQUIREMENTS_KEY"] == K + 2
    assert out.main["DECISION_REQUIREMENTS_ID"] == "c7-legacy-dish"
    assert out.main["DECISION_REQUIREMENTS_NAME"] == "simpleDecisionName"
    assert out.main["DECISION_REQUIREMENTS_VERSION"] == 2


def test_decision_definition_skips() -> None:
    with pytest.raises(SkipError) as err:
        dd.convert(dd_row(), dd.DecisionDefinitionContext(settings()))
    assert err.value.reason == "Missing decision requirements definition"
    deleted = deleted_in_c8(HistoryType.HISTORY_DECISION_REQUIREMENT, 55)
    with pytest.raises(SkipError) as err:
        dd.convert(dd_row(), dd.DecisionDefinitionContext(settings(), deleted=deleted))
    assert err.value.reason == "Parent Historic Decision Requirement with C8 key [55] has been deleted already in C8."
    with pytest.raises(SkipError) as err:
        dd.convert(dd_row(DEC_REQ_ID_=None), dd.DecisionDefinitionContext(settings(), dmn_xml=None))
    assert err.value.reason.startswith("DecisionRequirementsDefinitionTransformer failed for entity type")
