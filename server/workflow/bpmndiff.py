"""What changed between two BPMN files, element by element (the designer's version diff).

Elements are matched by id. For each one the comparison covers what the
engine reads (type, name, lane, ``spiffworkflow`` properties and other
extension text, documentation, conditions, scripts, timers, multi-instance
settings, flow ends, remaining attributes) and, separately, its place on the
diagram (``moved``), so a layout-only edit is not reported as a change of
behaviour.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "spiffworkflow": SPIFF, "dc": DC, "di": DI}

# Children read into their own fields; every other child element is not part of the summary.
_TEXT_CHILDREN = {
    "documentation": "documentation",
    "conditionExpression": "condition",
    "script": "script",
    "completionCondition": "completion_condition",
    "loopCardinality": "cardinality",
    "loopDataInputRef": "collection",
    "loopDataOutputRef": "output_collection",
}
_SKIP_TYPES = {
    "definitions", "extensionElements", "incoming", "outgoing", "flowNodeRef", "laneSet",
    "multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
}


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(el: Any) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return text or None


def _parse(xml: str | bytes) -> Any:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))


def _summary(el: Any, lanes: dict[str, str]) -> dict[str, Any]:
    s: dict[str, Any] = {"type": _local(el.tag)}
    for key, value in sorted(el.attrib.items()):
        name = _local(key)
        if name != "id":
            s[name if name != "name" else "name"] = value
    for child in el:
        local = _local(child.tag)
        if child.tag == f"{{{BPMN}}}extensionElements":
            for ext in child:
                ext_name = _local(ext.tag)
                if ext.tag == f"{{{SPIFF}}}properties":
                    for prop in ext.iterfind("spiffworkflow:property", NS):
                        s[f"property:{prop.get('name')}"] = prop.get("value")
                else:
                    s[f"extension:{ext_name}"] = etree.tostring(ext, encoding="unicode").strip()
        elif child.tag == f"{{{BPMN}}}multiInstanceLoopCharacteristics":
            s["multi_instance"] = "sequential" if child.get("isSequential") == "true" else "parallel"
            for part in child:
                part_name = _local(part.tag)
                if part_name in _TEXT_CHILDREN:
                    s[_TEXT_CHILDREN[part_name]] = _text(part)
                elif part_name in ("inputDataItem", "outputDataItem"):
                    s["element_variable" if part_name == "inputDataItem" else "output_item"] = (
                        part.get("name") or part.get("id")
                    )
        elif child.tag == f"{{{BPMN}}}standardLoopCharacteristics":
            s["loop"] = etree.tostring(child, encoding="unicode").strip()
        elif local.endswith("EventDefinition"):
            s["event"] = local
            for part in child:
                s[f"event:{_local(part.tag)}"] = _text(part)
            for key, value in child.attrib.items():
                if _local(key) != "id":
                    s[f"event:{_local(key)}"] = value
        elif local in _TEXT_CHILDREN:
            s[_TEXT_CHILDREN[local]] = _text(child)
    if el.get("id") in lanes:
        s["lane"] = lanes[el.get("id")]
    return {k: v for k, v in s.items() if v is not None}


def _model(root: Any) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    lanes: dict[str, str] = {}
    for lane in root.iterfind(".//bpmn:lane", NS):
        label = lane.get("name") or lane.get("id")
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            if ref.text:
                lanes[ref.text.strip()] = label
    elements: dict[str, dict[str, Any]] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN}}}"):
            continue
        if _local(el.tag) in _SKIP_TYPES or not el.get("id"):
            continue
        if el.getparent() is not None and el.getparent().tag == f"{{{BPMN}}}multiInstanceLoopCharacteristics":
            continue  # inputDataItem etc.: part of their activity's summary
        if el.getparent() is not None and _local(el.getparent().tag).endswith("EventDefinition"):
            continue
        if _local(el.tag).endswith("EventDefinition") or _local(el.tag) in _TEXT_CHILDREN:
            continue
        elements[el.get("id")] = _summary(el, lanes)
    layout: dict[str, str] = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        bounds = shape.find("dc:Bounds", NS)
        if shape.get("bpmnElement") and bounds is not None:
            layout[shape.get("bpmnElement")] = ",".join(
                str(round(float(bounds.get(k, "0")))) for k in ("x", "y", "width", "height")
            )
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        if edge.get("bpmnElement"):
            layout[edge.get("bpmnElement")] = ";".join(
                f"{round(float(p.get('x', '0')))},{round(float(p.get('y', '0')))}"
                for p in edge.iterfind("di:waypoint", NS)
            )
    return elements, layout


def _brief(element_id: str, s: dict[str, Any]) -> dict[str, Any]:
    return {"id": element_id, "type": s.get("type"), "name": s.get("name")}


def diff(old_xml: str | bytes, new_xml: str | bytes) -> dict[str, Any]:
    """``{added, removed, changed, moved}``; ``changed`` items list ``{field, old, new}``."""
    old, old_layout = _model(_parse(old_xml))
    new, new_layout = _model(_parse(new_xml))
    added = [_brief(i, new[i]) for i in new if i not in old]
    removed = [_brief(i, old[i]) for i in old if i not in new]
    changed = []
    moved = []
    for element_id in (i for i in new if i in old):
        before, after = old[element_id], new[element_id]
        fields = sorted(set(before) | set(after))
        changes = [
            {"field": f, "old": before.get(f), "new": after.get(f)}
            for f in fields
            if before.get(f) != after.get(f)
        ]
        if changes:
            changed.append({**_brief(element_id, after), "changes": changes})
        if old_layout.get(element_id) != new_layout.get(element_id):
            moved.append(element_id)
    return {"added": added, "removed": removed, "changed": changed, "moved": moved}
