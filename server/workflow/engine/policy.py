"""What a designer may write in a script or an expression, checked at deploy.

Every script (script tasks, ``spiffworkflow:preScript`` / ``postScript``), gateway
condition, timer expression, multi-instance cardinality and completion condition,
conditional event, message payload and correlation expression of a BPMN file, and every
expression of its DMN decision tables, is compiled by RestrictedPython and read once more
for what RestrictedPython would only refuse at run time:

* no ``import`` (``__import__`` is not offered either);
* no name or attribute starting with ``_`` (``__class__``, ``__subclasses__``, ``_getattr_``);
* no frame, code or traceback attributes (``gi_frame``, ``f_back``, ``tb_frame`` …);
* no builtin beyond ``confined.ALLOWED_BUILTINS``: ``open``, ``eval``, ``exec``,
  ``getattr``, ``type``, ``globals``, ``print``, ``SystemExit`` … are refused by name;
* no ``str.format`` / ``format_map`` (format strings can reach attributes), no class
  definitions, no ``global`` / ``nonlocal``.

Other names are task data; what a script cannot be refused for here (an endless loop, a
memory bomb, an error) fails at run time in the sandbox as an error of the step.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree
from RestrictedPython import compile_restricted_eval, compile_restricted_exec

from server.workflow.engine.confined import ALLOWED_BUILTINS, SCRIPT_GLOBALS
from server.workflow.engine.scripting import _literal_timer
from server.workflow.engine.types import Problem

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_EXPRESSIONS = {
    f"{{{_BPMN}}}script": "exec",
    f"{{{_SPIFF}}}preScript": "exec",
    f"{{{_SPIFF}}}postScript": "exec",
    f"{{{_BPMN}}}conditionExpression": "eval",
    f"{{{_BPMN}}}timeDate": "timer",
    f"{{{_BPMN}}}timeDuration": "timer",
    f"{{{_BPMN}}}timeCycle": "timer",
    f"{{{_BPMN}}}loopCardinality": "eval",
    f"{{{_BPMN}}}completionCondition": "eval",
    f"{{{_BPMN}}}condition": "eval",
    f"{{{_BPMN}}}messagePath": "eval",
    f"{{{_SPIFF}}}messagePayload": "eval",
}
_REFUSED_BUILTINS = frozenset(dir(builtins)) - set(ALLOWED_BUILTINS) - set(SCRIPT_GLOBALS) - {
    "True", "False", "None"}
_REFUSED_ATTRIBUTES = {"format": "str.format", "format_map": "str.format_map", "mro": "mro()"}
_REFUSED_NODES: dict[type, str] = {
    ast.Import: "import is not allowed",
    ast.ImportFrom: "import is not allowed",
    ast.ClassDef: "a class definition is not allowed",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
}
_LINE = re.compile(r"^Line \d+: ")


def _own_reasons(tree: ast.AST) -> list[str]:
    reasons: list[str] = []
    for node in ast.walk(tree):
        refused = _REFUSED_NODES.get(type(node))
        if refused:
            reasons.append(refused)
        elif isinstance(node, ast.Name) and node.id in _REFUSED_BUILTINS:
            reasons.append(f"'{node.id}' is not offered to scripts")
        elif isinstance(node, ast.Attribute) and node.attr in _REFUSED_ATTRIBUTES:
            reasons.append(f"{_REFUSED_ATTRIBUTES[node.attr]} is not allowed (use % or an f-string)")
    return reasons


def source_problems(source: str, mode: str) -> list[str]:
    """Why ``source`` (``exec``: a script; ``eval``: an expression) may not be deployed; [] if it may."""
    try:
        tree = ast.parse(source, "<script>", mode)
    except SyntaxError as exc:
        return [f"not valid Python: {exc.msg} (line {exc.lineno})"]
    except (ValueError, MemoryError, RecursionError) as exc:
        return [f"cannot be read: {type(exc).__name__}"]
    reasons = _own_reasons(tree)
    try:
        result = (compile_restricted_exec if mode == "exec" else compile_restricted_eval)(source, "<script>")
    except (ValueError, MemoryError, RecursionError) as exc:
        return [*reasons, f"cannot be compiled: {type(exc).__name__}"]
    reasons += [_LINE.sub("", error) for error in result.errors]
    return list(dict.fromkeys(reasons))


def _owner(el: Any) -> str | None:
    """The id of the element a designer sees: a timer's event, not its event definition."""
    while el is not None:
        if isinstance(el.tag, str) and el.get("id") and not etree.QName(el).localname.endswith(
                ("EventDefinition", "LoopCharacteristics")):
            return str(el.get("id"))
        el = el.getparent()
    return None


def _bpmn_expressions(root: Any) -> Iterator[tuple[Any, str, str]]:
    for el in root.iter(*_EXPRESSIONS):
        text = (el.text or "").strip()
        if not text:
            continue
        mode = _EXPRESSIONS[el.tag]
        if mode == "timer":
            if _literal_timer(text) is not None:
                continue
            mode = "eval"
        yield el, text, mode


def bpmn_script_problems(root: Any) -> list[Problem]:
    """Every script and expression of a BPMN document that the policy refuses, by element."""
    problems = []
    for el, text, mode in _bpmn_expressions(root):
        kind = etree.QName(el).localname
        for reason in source_problems(text, mode):
            problems.append(Problem(_owner(el), f"{kind}: {reason}", el.sourceline))
    return problems


def _dmn_entry(text: str) -> tuple[str, str] | None:
    """An input entry as SpiffWorkflow evaluates it: ``?`` is the input, or ``input <entry>``."""
    if text in ("", "-"):
        return None
    with_input = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", text)
    if "dmninputexpr" in with_input:
        return with_input, "eval"
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return f"dmninputexpr {text}", "eval"
    return text, "eval"


def dmn_script_problems(name: str, content: bytes) -> list[Problem]:
    """Every expression of a decision file's tables that the policy refuses, by element."""
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).localname != "text":
            continue
        parent = el.getparent()
        kind = etree.QName(parent).localname if parent is not None else ""
        text = (el.text or "").strip()
        if kind == "inputEntry":
            entry = _dmn_entry(text)
        elif kind in ("inputExpression", "outputEntry") and text:
            entry = (text, "eval")
        else:
            entry = None
        if entry is None:
            continue
        for reason in source_problems(*entry):
            problems.append(Problem(_owner(el), f"{name} {kind}: {reason}", el.sourceline))
    return problems
