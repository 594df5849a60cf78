"""Just enough BPMN 2.0 parsing for runtime validation, for Camunda 7 and Camunda 8 (Zeebe) models.

`parse_bpmn(xml)` returns a `BpmnModel`: every element that has an `id`, with its BPMN type
(the XML local name, e.g. `userTask`, `parallelGateway`, `subProcess`), its parent element, its
event definitions, multi-instance marker, Zeebe execution listeners, `zeebe:calledElement`
attributes and `zeebe:ioMapping` inputs. No I/O; DTDs and entities are refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..errors import C7to8Error

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"

_EVENT_DEFINITIONS = {
    "messageEventDefinition",
    "timerEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "compensateEventDefinition",
    "conditionalEventDefinition",
    "linkEventDefinition",
    "terminateEventDefinition",
    "cancelEventDefinition",
}
_NOT_ELEMENTS = {"extensionElements", "documentation", "incoming", "outgoing"}


class BpmnParseError(C7to8Error):
    """The XML is not a readable BPMN model (aborts the run, like the official tool)."""


@dataclass(frozen=True)
class Listener:
    event_type: str | None
    type: str | None


@dataclass
class Element:
    id: str
    type: str  # XML local name: process, startEvent, userTask, callActivity, subProcess, ...
    parent_id: str | None
    parent_type: str | None
    event_definitions: tuple[str, ...] = ()
    multi_instance: bool = False
    triggered_by_event: bool = False
    listeners: tuple[Listener, ...] = ()
    called_elements: tuple[dict[str, str], ...] = ()  # attributes of each zeebe:calledElement
    io_input_targets: tuple[str, ...] = ()  # `target` of each zeebe:ioMapping/zeebe:input
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class BpmnModel:
    elements: dict[str, Element]
    order: list[str]  # element ids in document order
    process_ids: list[str]

    def get(self, element_id: str) -> Element | None:
        return self.elements.get(element_id)

    def process_start_events(self) -> list[Element]:
        """Start events whose parent is a `process` (any process of the document), in document order."""
        out = []
        for eid in self.order:
            e = self.elements[eid]
            if e.type == "startEvent" and e.parent_type == "process":
                out.append(e)
        return out

    def flow_scopes(self, element_id: str) -> list[Element]:
        """Enclosing elements from the direct parent up to (excluding) the process."""
        out: list[Element] = []
        e = self.elements.get(element_id)
        while e is not None and e.parent_id is not None:
            parent = self.elements.get(e.parent_id)
            if parent is None or parent.type == "process":
                break
            out.append(parent)
            e = parent
        return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def parse_bpmn(xml: bytes | str) -> BpmnModel:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise BpmnParseError("Failed to parse BPMN model from XML: DTDs and entities are not allowed")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BpmnParseError(f"Failed to parse BPMN model from XML: {exc}") from exc
    if _local(root.tag) != "definitions" or _ns(root.tag) != BPMN_NS:
        raise BpmnParseError("Failed to parse BPMN model from XML: the root element is not bpmn:definitions")
    model = BpmnModel(elements={}, order=[], process_ids=[])
    _walk(root, None, model)
    return model


def _walk(node: ET.Element, parent: Element | None, model: BpmnModel) -> None:
    for child in node:
        if not isinstance(child.tag, str) or _ns(child.tag) != BPMN_NS:
            continue
        name = _local(child.tag)
        if name in _NOT_ELEMENTS:
            continue
        eid = child.get("id")
        if eid is None:
            # e.g. multiInstanceLoopCharacteristics without id: still descend for nested ids
            _walk(child, parent, model)
            continue
        el = Element(
            id=eid,
            type=name,
            parent_id=parent.id if parent else None,
            parent_type=parent.type if parent else None,
            event_definitions=tuple(
                _local(c.tag) for c in child if isinstance(c.tag, str) and _local(c.tag) in _EVENT_DEFINITIONS
                or (isinstance(c.tag, str) and _local(c.tag) == "eventDefinitionRef")
            ),
            multi_instance=any(
                isinstance(c.tag, str) and _local(c.tag) == "multiInstanceLoopCharacteristics" for c in child
            ),
            triggered_by_event=(child.get("triggeredByEvent") or "").lower() == "true",
            attributes={_local(k): v for k, v in child.attrib.items()},
        )
        ext = next((c for c in child if isinstance(c.tag, str) and _local(c.tag) == "extensionElements"), None)
        if ext is not None:
            listeners: list[Listener] = []
            called: list[dict[str, str]] = []
            inputs: list[str] = []
            for z in ext.iter():
                if not isinstance(z.tag, str) or _ns(z.tag) != ZEEBE_NS:
                    continue
                zname = _local(z.tag)
                if zname == "executionListener":
                    listeners.append(Listener(z.get("eventType"), z.get("type")))
                elif zname == "calledElement":
                    called.append({_local(k): v for k, v in z.attrib.items()})
                elif zname == "input":
                    target = z.get("target")
                    if target is not None:
                        inputs.append(target)
            el.listeners = tuple(listeners)
            el.called_elements = tuple(called)
            el.io_input_targets = tuple(inputs)
        if eid not in model.elements:
            model.elements[eid] = el
            model.order.append(eid)
        if name == "process":
            model.process_ids.append(eid)
        _walk(child, el, model)
