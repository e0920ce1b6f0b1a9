"""Deploy-time reading of a BPMN file: XSD and structural checks, the engine's parse, stage order.

Also what the rest of the server reads from a parsed element: its ``spiffworkflow:properties``
and the role expression in its lane's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from server.workflow.engine.policy import bpmn_script_problems, dmn_script_problems
from server.workflow.engine.store import _encode_specs
from server.workflow.engine.types import DefinitionInvalid, ElementInfo, ParsedProcess, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
RESERVED_IDS = {"Start", "End"}


def _line_index(root: Any) -> dict[int, str]:
    """Map source lines to the id of the innermost element starting there."""
    index: dict[int, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") and el.sourceline is not None:
            index[el.sourceline] = el.get("id")
    return index


def _element_at(index: dict[int, str], line: int | None) -> str | None:
    if line is None:
        return None
    for candidate in range(line, 0, -1):
        if candidate in index:
            return index[candidate]
    return None


def _xsd_problems(root: Any) -> list[Problem]:
    VALIDATOR.preprocess(root)
    schema = VALIDATOR.validator
    if schema.validate(root):
        return []
    index = _line_index(root)
    return [
        Problem(_element_at(index, err.line), f"XML schema: {err.message}", err.line)
        for err in schema.error_log
    ]


def _structural_problems(root: Any) -> list[Problem]:
    """Checks SpiffWorkflow would fail on obscurely, or only one at a time."""
    problems = []
    ns = {"bpmn": BPMN_NS}
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") in RESERVED_IDS:
            problems.append(
                Problem(
                    el.get("id"),
                    f"element id '{el.get('id')}' is reserved by the engine; rename it",
                    el.sourceline,
                )
            )
    for message in root.iterfind(".//bpmn:message", ns):
        if not message.get("name"):
            problems.append(Problem(message.get("id"), "a message needs a name", message.sourceline))
    for tag in ("exclusiveGateway", "inclusiveGateway"):
        for gateway in root.iterfind(f".//bpmn:{tag}", ns):
            default = gateway.get("default")
            outgoing = [o.text for o in gateway.iterfind("bpmn:outgoing", ns)]
            if len(outgoing) < 2:
                continue
            for flow_id in outgoing:
                if flow_id == default:
                    continue
                flow = root.find(f".//bpmn:sequenceFlow[@id='{flow_id}']", ns)
                if flow is not None and flow.find("bpmn:conditionExpression", ns) is None:
                    problems.append(
                        Problem(
                            flow_id,
                            f"flow '{flow_id}' leaves gateway '{gateway.get('id')}' without a "
                            "condition and is not its default flow",
                            flow.sourceline,
                        )
                    )
    executable = [
        p for p in root.iterfind(".//bpmn:process", ns) if p.get("isExecutable", "false") == "true"
    ]
    if root.find(".//bpmn:process", ns) is None:
        problems.append(Problem(None, "the file contains no process"))
    elif not executable:
        problems.append(
            Problem(
                root.find(".//bpmn:process", ns).get("id"),
                "no process is marked executable (isExecutable=\"true\")",
            )
        )
    return problems


def _stage_order(spec: Any, subprocess_specs: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """Stages in the order first met walking the spec from its start.

    The walk enters multi-instance bodies and embedded subprocesses where it
    meets them, so a stage set on a task inside them is ordered where the
    subprocess stands in its parent.
    """
    subs = subprocess_specs or {}
    seen_specs: set[tuple[int, str]] = set()
    stages: list[dict[str, str]] = []
    codes: set[str] = set()

    def walk(start: Any) -> None:
        queue: list[Any] = [start]
        while queue:
            ts = queue.pop(0)
            key = (id(ts._wf_spec), ts.name)
            if key in seen_specs:
                continue
            seen_specs.add(key)
            props = _properties(ts)
            code = props.get("stage")
            if code and code not in codes:
                codes.add(code)
                stages.append(_stage(code, props))
            child_name = getattr(ts, "task_spec", None)
            if isinstance(child_name, str) and child_name in ts._wf_spec.task_specs:
                walk(ts._wf_spec.task_specs[child_name])
            sub_name = getattr(ts, "spec", None)
            if isinstance(sub_name, str) and subs.get(sub_name) is not None:
                walk(subs[sub_name].start)
            queue.extend(ts.outputs)

    walk(spec.start)
    for ts in [t for s in [spec, *[v for v in subs.values() if v is not None]] for t in s.task_specs.values()]:
        props = _properties(ts)
        code = props.get("stage")
        if code and code not in codes:
            codes.add(code)
            stages.append(_stage(code, props))
    return stages


def _stage(code: str, props: dict[str, str]) -> dict[str, str]:
    """A stage's code and label, and its English label when the process gives one (``stage_label_en``)."""
    stage = {"code": code, "label": props.get("stage_label") or code}
    if props.get("stage_label_en"):
        stage["label_en"] = props["stage_label_en"]
    return stage


def _properties(task_spec: Any) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    props = extensions.get("properties") or {}
    return {str(k): str(v) for k, v in props.items()}


def _kind(task_spec: Any) -> str:
    return type(task_spec).__name__


def _elements(spec: Any) -> list[ElementInfo]:
    result = []
    for ts in spec.task_specs.values():
        bpmn_id = getattr(ts, "bpmn_id", None)
        if not bpmn_id:
            continue
        result.append(
            ElementInfo(
                element_id=bpmn_id,
                name=getattr(ts, "bpmn_name", None) or bpmn_id,
                kind=_kind(ts),
                lane=getattr(ts, "lane", None),
                properties=_properties(ts),
                documentation=getattr(ts, "documentation", None),
            )
        )
    return result


def _dmn_problems(name: str, content: bytes) -> list[Problem]:
    """A decision file checked before the engine reads it: the engine's DMN parser answers a
    malformed file with IndexError or lxml's own errors (a 500), and any DTD is refused (entities)."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError as exc:
        return [Problem(None, f"{name}: not well-formed XML: {exc}", exc.lineno)]
    if root.getroottree().docinfo.internalDTD is not None:
        return [Problem(None, f"{name}: a DOCTYPE (and its entities) is not allowed in a decision file")]
    if etree.QName(root).localname != "definitions" or not any(
            isinstance(el.tag, str) and etree.QName(el).localname == "decision" for el in root):
        return [Problem(None, f"{name}: not a DMN file: <definitions> with at least one <decision> expected")]
    return []


def parse_bpmn(
    content: bytes,
    source_name: str,
    dmn_files: Iterable[tuple[str, bytes]] = (),
    extra_checks: Callable[[ElementInfo], list[Problem]] | None = None,
) -> list[ParsedProcess]:
    """Parse and validate one BPMN file (plus DMN files it uses).

    A fresh parser is used every time: a parser that raised once can hand
    back half-built specs later. Raises ``DefinitionInvalid`` with every
    problem found; XSD and structural checks are all reported together, then
    the engine's own parse (which stops at its first error). Scripts and expressions are
    checked against the sandbox's policy (``policy.py``) with the structural checks.
    """
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DefinitionInvalid([Problem(None, f"not well-formed XML: {exc}", exc.lineno)]) from exc
    problems = _structural_problems(root) + _xsd_problems(root) + bpmn_script_problems(root)
    if problems:
        raise DefinitionInvalid(problems)

    dmn_files = list(dmn_files)
    problems = [problem for name, dmn in dmn_files for problem in _dmn_problems(name, dmn)]
    problems = problems or [problem for name, dmn in dmn_files for problem in dmn_script_problems(name, dmn)]
    if problems:
        raise DefinitionInvalid(problems)

    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        for name, dmn in dmn_files:
            parser.add_dmn_str(dmn, filename=name)
        parser.add_bpmn_str(content, filename=source_name)
        process_ids = parser.get_process_ids()
        parsed = []
        for pid in process_ids:
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
            elements = _elements(spec)
            for sub in subs.values():
                if sub is not None:
                    elements.extend(_elements(sub))
            parsed.append(
                ParsedProcess(
                    key=pid,
                    name=spec.description or pid,
                    spec_json=_encode_specs(spec, subs),
                    stages=_stage_order(spec, subs),
                    elements=elements,
                )
            )
    except ValidationException as exc:
        raise DefinitionInvalid(
            [Problem(exc.id or None, str(exc.args[0]) if exc.args else str(exc), exc.line_number or None)]
        ) from exc
    except (SpiffWorkflowException, KeyError, TypeError, AttributeError, ValueError, IndexError,
            etree.XMLSyntaxError) as exc:
        raise DefinitionInvalid([Problem(getattr(exc, "id", None), f"cannot be executed: {exc}")]) from exc

    if extra_checks is not None:
        problems = [p for proc in parsed for el in proc.elements for p in extra_checks(el)]
        if any(p.severity == "error" for p in problems):
            raise DefinitionInvalid(problems)
    return parsed


LANE_LABEL = re.compile(r"\[([^\]]+)\]\s*$")


def lane_role_expression(lane: str | None) -> str | None:
    """``支部书记 [secretary]`` → ``secretary``; a bare lane name is taken whole."""
    if not lane:
        return None
    match = LANE_LABEL.search(lane)
    return (match.group(1) if match else lane).strip()
