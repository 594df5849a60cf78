"""Spin-like XML re-serialization (what Camunda Spin's ``XmlValue.toString()`` produces).

Spin parses the stored XML into a DOM and writes it back with whitespace-only text nodes
removed, ``indent=yes`` (2 spaces) and an XML declaration. The exact bytes of the JDK's XSLT
writer cannot be reproduced exactly; this writer produces the same document canonicalised:
``<?xml version="1.0" encoding="UTF-8"?>``, a newline, then the indented document. Elements whose
content is only text stay on one line; mixed content is written without added whitespace.
"""

from __future__ import annotations

from typing import Any
from xml.dom import Node, minidom
from xml.parsers.expat import ExpatError

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class XmlSyntaxError(ValueError):
    """The text is not well-formed XML."""


def reserialize(text: str) -> str:
    """Parse `text` and write it back Spin style. Raises :class:`XmlSyntaxError`."""
    try:
        doc = minidom.parseString(text.encode("utf-8"))
    except (ExpatError, ValueError) as exc:
        raise XmlSyntaxError(str(exc)) from exc
    out: list[str] = [DECLARATION]
    try:
        for child in doc.childNodes:
            out.append("\n")
            _write(child, out, 0)
    except RecursionError as exc:
        raise XmlSyntaxError("XML elements nested too deeply") from exc
    return "".join(out)


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def _is_blank_text(node: Any) -> bool:
    return node.nodeType == Node.TEXT_NODE and not str(node.data).strip()


def _write(node: Any, out: list[str], level: int) -> None:
    kind = node.nodeType
    if kind == Node.ELEMENT_NODE:
        _write_element(node, out, level)
    elif kind == Node.TEXT_NODE:
        out.append(_escape_text(str(node.data)))
    elif kind == Node.CDATA_SECTION_NODE:
        out.append("<![CDATA[" + str(node.data).replace("]]>", "]]]]><![CDATA[>") + "]]>")
    elif kind == Node.COMMENT_NODE:
        out.append("<!--" + str(node.data) + "-->")
    elif kind == Node.PROCESSING_INSTRUCTION_NODE:
        out.append(f"<?{node.target} {node.data}?>" if node.data else f"<?{node.target}?>")
    elif kind == Node.DOCUMENT_TYPE_NODE:
        out.append(node.toxml())


def _write_element(el: Any, out: list[str], level: int) -> None:
    out.append("<" + str(el.tagName))
    attrs = el.attributes
    if attrs is not None:
        for i in range(attrs.length):
            attr = attrs.item(i)
            out.append(f' {attr.name}="{_escape_attr(str(attr.value))}"')
    children = [c for c in el.childNodes if not _is_blank_text(c)]
    if not children:
        out.append("/>")
        return
    out.append(">")
    has_text = any(c.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE) for c in children)
    if has_text:
        for c in children:
            _write(c, out, level + 1)
    else:
        for c in children:
            out.append("\n" + "  " * (level + 1))
            _write(c, out, level + 1)
        out.append("\n" + "  " * level)
    out.append(f"</{el.tagName}>")
