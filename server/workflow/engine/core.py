"""The one place that talks to SpiffWorkflow.

Everything else sees plain dataclasses: ``ParsedProcess`` at deploy time,
``HumanTask`` and ``TimerWait`` while an instance runs, and a JSON string as
the persisted state.

Persisted state leaves the process spec out: specs are stored once per
definition version and restored into a per-process cache, so loading and
saving an instance costs what that instance holds, not what its process
describes.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as _SubWorkflowMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import SubWorkflowTask as _SpiffSubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from server import clock
from server.calendar.due import SHANGHAI, parse_working_days, resolve_due
from server.calendar.workdays import WorkdayCalendar

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
RESERVED_IDS = {"Start", "End"}


class EngineError(Exception):
    """The engine refused an operation on a running instance."""

    def __init__(self, message: str, element_id: str | None = None):
        super().__init__(message)
        self.element_id = element_id


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    message: str
    line: int | None = None
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "element_id": self.element_id,
            "message": self.message,
            "line": self.line,
            "severity": self.severity,
        }


class DefinitionInvalid(Exception):
    """A BPMN file cannot be deployed; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ElementInfo:
    """What the server needs to know about one flow element of a process."""

    element_id: str
    name: str
    kind: str
    lane: str | None
    properties: dict[str, str]
    documentation: str | None


@dataclass(frozen=True)
class ParsedProcess:
    key: str
    name: str
    spec_json: str
    stages: list[dict[str, str]]
    elements: list[ElementInfo]


@dataclass(frozen=True)
class HumanTask:
    engine_task_id: str
    element_id: str
    name: str
    lane: str | None
    properties: dict[str, str]
    documentation: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class TimerWait:
    engine_task_id: str
    element_id: str
    due_at: datetime


@dataclass
class Snapshot:
    """The result of running an instance, or one part of it, until it waits.

    ``part`` is None for the instance's main workflow; for a detached body (see
    ``_DetachedBody``) it is the engine task id the body stands for in the main
    workflow, ``spec_name`` the body's process spec, and ``result`` its data once
    ``completed``. A main snapshot lists the parts its step started
    (``new_parts``, each already run until it waits) and the parts it cancelled.
    """

    state: str
    completed: bool
    data: dict[str, Any]
    human_tasks: list[HumanTask]
    timers: list[TimerWait]
    open_stages: list[str] = field(default_factory=list)
    last_stage: str | None = None
    part: str | None = None
    spec_name: str | None = None
    result: dict[str, Any] | None = None
    new_parts: list[Snapshot] = field(default_factory=list)
    cancelled_parts: list[str] = field(default_factory=list)
    parts_running: int = 0


# -- serialization ---------------------------------------------------------------------------


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; restores it around a given spec."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializers() -> tuple[BpmnWorkflowSerializer, BpmnWorkflowSerializer]:
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    specless = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    return full, specless


_FULL, _SPECLESS = _make_serializers()
_SERIALIZER_LOCK = threading.Lock()


def _encode_specs(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    registry = _FULL.registry
    with _SERIALIZER_LOCK:
        registry._encoder_mode = True
        try:
            dct = {
                "spec": registry.convert(spec),
                "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
            }
            return json.dumps(dct, cls=_FULL._encoder_cls)
        finally:
            registry._encoder_mode = False


class _SpecCache:
    """Restored specs by definition key; specs are read-only once parsed.

    The key must change whenever the spec does (definition id *and* checksum),
    and the spec's JSON is only fetched on a miss, so a step never reads it.
    """

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str, spec_json: Callable[[], str]) -> tuple[Any, dict[str, Any]]:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        dct = json.loads(spec_json())
        spec = _FULL.registry.restore(dct["spec"])
        subs = {k: _FULL.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        _detach_bodies(spec, subs)
        with self._lock:
            self._items[key] = (spec, subs)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return spec, subs


_SPECS = _SpecCache()


# -- detached multi-instance bodies ------------------------------------------------------------
#
# Inline, SpiffWorkflow keeps the subprocess of every instance of a multi-instance subprocess
# inside the one workflow: a branch of 50 members carries 50 pledge bodies (~500 tasks), and a
# click on one of them loads, walks and saves all 50. Detached, the multi-instance child task
# waits (STARTED) in its workflow while its body runs as a workflow of its own, a *part*, that
# the server keeps in a row of its own: a step inside a body costs what that body holds. When
# the body ends, ``Run.finish_part`` hands its data back and the child completes exactly as it
# would inline (data copied back, the multi-instance merge, the flow moves on).

PART_KEY = "vanguard_part"
"""Internal data of a detached child task: ``running`` while its body runs, then ``done``."""


class _DetachedBody(_SpiffSubWorkflowTask):
    """The child of a multi-instance subprocess whose body runs as a separate part.

    Only a workflow that collects parts (a main workflow held by ``Run``) detaches; anywhere
    else (inside a part, or an instance whose body was started inline before) the body runs
    inline as SpiffWorkflow would run it.
    """

    def _update_hook(self, my_task: Any) -> Any:
        top = my_task.workflow.top_workflow
        starting: list[Any] | None = getattr(top, "_vanguard_starting", None)
        status = my_task.internal_data.get(PART_KEY)
        if status is None and (starting is None or top.subprocesses.get(my_task.id) is not None):
            return super()._update_hook(my_task)
        if status is None and starting is not None:
            # What the inline start does before it copies the data in: inherit it, run the preScript.
            super(_SubWorkflowMixin, self)._update_hook(my_task)
            my_task.internal_data[PART_KEY] = "running"
            my_task._set_state(TaskState.STARTED)
            starting.append(my_task)
            return None
        return status == "done"


def _self_contained(body: Any, subs: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """True if a body cannot reach the rest of its process, so running it apart changes nothing.

    A body that throws or catches any event (message, signal, error, escalation, timer, terminate...),
    reads or writes a data object, or holds a transaction or event subprocess stays inline.
    """
    for ts in body.task_specs.values():
        event = getattr(ts, "event_definition", None)
        if event is not None and not isinstance(event, NoneEventDefinition):
            return False
        if getattr(ts, "data_input_associations", None) or getattr(ts, "data_output_associations", None):
            return False
        if isinstance(ts, _SubWorkflowMixin):
            if type(ts) not in (_SpiffSubWorkflowTask, _DetachedBody) or ts.spec in seen:
                return False
            nested = subs.get(ts.spec)
            if nested is None or not _self_contained(nested, subs, seen | {ts.spec}):
                return False
    return True


def _detach_bodies(spec: Any, subs: dict[str, Any]) -> None:
    """Mark every self-contained multi-instance subprocess of a freshly restored spec as detached."""
    for wf_spec in [spec, *[s for s in subs.values() if s is not None]]:
        for ts in list(wf_spec.task_specs.values()):
            if not isinstance(ts, MultiInstanceTask):
                continue
            child = wf_spec.task_specs.get(ts.task_spec)
            if type(child) is _SpiffSubWorkflowTask and subs.get(child.spec) is not None \
                    and _self_contained(subs[child.spec], subs, frozenset({child.spec})):
                child.__class__ = _DetachedBody


def detached_elements(spec_key: str, spec_json: Callable[[], str]) -> list[str]:
    """The element ids of the multi-instance subprocesses whose bodies run as parts."""
    spec, subs = _SPECS.get(spec_key, spec_json)
    return sorted({
        ts.bpmn_id for wf_spec in [spec, *[s for s in subs.values() if s is not None]]
        for ts in wf_spec.task_specs.values() if isinstance(ts, _DetachedBody)
    })


# -- parsing ---------------------------------------------------------------------------------


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
                stages.append({"code": code, "label": props.get("stage_label") or code})
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
            stages.append({"code": code, "label": props.get("stage_label") or code})
    return stages


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
    the engine's own parse (which stops at its first error).
    """
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DefinitionInvalid([Problem(None, f"not well-formed XML: {exc}", exc.lineno)]) from exc
    problems = _structural_problems(root) + _xsd_problems(root)
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
    except (SpiffWorkflowException, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise DefinitionInvalid([Problem(getattr(exc, "id", None), f"cannot be executed: {exc}")]) from exc

    if extra_checks is not None:
        problems = [p for proc in parsed for el in proc.elements for p in extra_checks(el)]
        if any(p.severity == "error" for p in problems):
            raise DefinitionInvalid(problems)
    return parsed


# -- time ------------------------------------------------------------------------------------
#
# SpiffWorkflow's timers call ``datetime.now(timezone.utc)`` inside their own module. Its
# ``datetime`` name is pointed at a subclass whose ``now()`` reads ``server.clock``, so a test
# that moves the clock moves every timer with it, and no other SpiffWorkflow code is touched.
# Naive timer dates mean local time of the calendar's zone (Asia/Shanghai), not the zone of
# whatever machine the worker runs on.


_FIRING_AT: ContextVar[datetime | None] = ContextVar("vanguard_firing_at", default=None)
"""While ``Run.fire_due_timers(now)`` runs: timers due at ``now`` itself count as due."""


class _ClockDatetime(datetime):
    """``datetime`` whose ``now()`` is ``server.clock.now()``."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        current = clock.now()
        if current.tzinfo is None:
            current = current.replace(tzinfo=UTC)
        firing_at = _FIRING_AT.get()
        if firing_at is not None and current <= firing_at:
            # SpiffWorkflow fires when due < now; the scheduler fires when due <= now.
            current = firing_at + _MICROSECOND
        if tz is None:
            return current.astimezone().replace(tzinfo=None)
        return current.astimezone(tz)


_spiff_timer.datetime = _ClockDatetime
_LOCAL_TZ: tzinfo = SHANGHAI
_spiff_timer.LOCALTZ = _LOCAL_TZ


def set_local_timezone(tz: tzinfo) -> None:
    """The zone of naive timer dates and of working-day timers (``VANGUARD_TIMEZONE``)."""
    global _LOCAL_TZ
    _LOCAL_TZ = tz
    _spiff_timer.LOCALTZ = tz


def working_days(n: int) -> str:
    """Script global: ``working_days(3)`` in a timer means "3 working days"."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"working_days() needs a whole number >= 0, not {n!r}")
    return f"{n} working days"


_ISO_LITERAL = re.compile(r"R[0-9]*/.+|P[0-9WYMDTHS.]+|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.+\-Z]+)?",
                          re.IGNORECASE)


def _literal_timer(expression: str) -> str | None:
    """An unquoted ``3 working days``, ``P3D``, ``2026-12-01T09:00`` or ``R/...`` as written."""
    text = expression.strip()
    if parse_working_days(text) is not None or _ISO_LITERAL.fullmatch(text):
        return text
    return None


_MICROSECOND = timedelta(microseconds=1)
_LONG_AGO = "2000-01-01T00:00:00+00:00"


def _iso_seconds(delta: Any) -> str:
    micros = max(0, delta // _MICROSECOND)
    seconds, fraction = divmod(micros, 1_000_000)
    return f"PT{seconds}.{fraction:06d}S" if fraction else f"PT{seconds}S"


def _timer_value(event: TimerEventDefinition, value: Any, calendar: WorkdayCalendar) -> Any:
    """Turn what a timer expression gave into what SpiffWorkflow's timer understands."""
    if isinstance(event, CycleTimerEventDefinition):
        return value
    now = clock.now()
    if isinstance(value, str) and parse_working_days(value) is not None:
        due = resolve_due(value, ready_at=now, calendar=calendar, tz=_LOCAL_TZ).due_at
        if isinstance(event, DurationTimerEventDefinition):
            return _iso_seconds(due - now)
        return due.isoformat()
    if isinstance(event, TimeDateEventDefinition):
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=_LOCAL_TZ)).isoformat()
        if isinstance(value, date):
            return datetime.combine(value, time(0), _LOCAL_TZ).isoformat()
    if isinstance(event, DurationTimerEventDefinition) and isinstance(value, timedelta):
        return _iso_seconds(value)
    return value


# -- running ---------------------------------------------------------------------------------

_LOCAL_GLOBALS: dict[str, Any] = {"working_days": working_days}


def register_script_global(name: str, value: Any) -> None:
    """Offer a function or value to script tasks, conditions and timer expressions."""
    _LOCAL_GLOBALS[name] = value


CalendarSource = WorkdayCalendar | Callable[[], WorkdayCalendar] | None
"""A calendar, or a function giving one when first needed (it may query the database)."""


class _ScriptEngine(PythonScriptEngine):
    """Python expressions plus Vanguard's timer forms ("3 working days", unquoted ISO)."""

    def __init__(self, calendar: CalendarSource = None) -> None:
        super().__init__(environment=TaskDataEnvironment(dict(_LOCAL_GLOBALS)))
        self._calendar_source = calendar
        self._calendar: WorkdayCalendar | None = None

    @property
    def calendar(self) -> WorkdayCalendar:
        if self._calendar is None:
            source = self._calendar_source
            if isinstance(source, WorkdayCalendar):
                self._calendar = source
            elif source is not None:
                self._calendar = source()
            else:
                self._calendar = WorkdayCalendar()
        return self._calendar

    def evaluate(self, task: Any, expression: Any, external_context: Any = None) -> Any:
        event = getattr(task.task_spec, "event_definition", None)
        if isinstance(event, TimerEventDefinition) and expression == event.expression:
            literal = _literal_timer(expression)
            value = literal if literal is not None else super().evaluate(task, expression, external_context)
            return _timer_value(event, value, self.calendar)
        return super().evaluate(task, expression, external_context)


def _script_engine(calendar: CalendarSource = None) -> PythonScriptEngine:
    return _ScriptEngine(calendar)


def start_timer(spec_key: str, spec_json: Callable[[], str]) -> tuple[str, str] | None:
    """The timer of a process's start event as (``cycle``|``date``|``duration``, value)."""
    spec, _subs = _SPECS.get(spec_key, spec_json)
    for ts in spec.start.outputs:
        event = getattr(ts, "event_definition", None)
        if not isinstance(event, TimerEventDefinition):
            continue
        kind = ("cycle" if isinstance(event, CycleTimerEventDefinition)
                else "duration" if isinstance(event, DurationTimerEventDefinition) else "date")
        literal = _literal_timer(event.expression)
        if literal is not None:
            return kind, literal
        try:
            value = TaskDataEnvironment(dict(_LOCAL_GLOBALS)).evaluate(event.expression, {}, None)
        except Exception as exc:  # noqa: BLE001 - any error in an author's expression
            raise EngineError(f"start timer '{event.expression}': {exc}", ts.bpmn_id) from exc
        return kind, str(value)
    return None


_HAS_TIMERS: dict[str, bool] = {}


def _waits_on_timer(event: Any) -> bool:
    if isinstance(event, TimerEventDefinition):
        return True
    return any(_waits_on_timer(e) for e in getattr(event, "event_definitions", None) or ())


def has_timer_events(spec_key: str, spec_json: Callable[[], str]) -> bool:
    """Whether any element of the process (or of its subprocesses) waits on a timer."""
    known = _HAS_TIMERS.get(spec_key)
    if known is None:
        spec, subs = _SPECS.get(spec_key, spec_json)
        known = any(_waits_on_timer(getattr(ts, "event_definition", None))
                    for wf_spec in [spec, *[s for s in subs.values() if s is not None]]
                    for ts in wf_spec.task_specs.values())
        _HAS_TIMERS[spec_key] = known
    return known


def element_properties(spec_key: str, spec_json: Callable[[], str], element_id: str) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of one element of a deployed process."""
    spec, subs = _SPECS.get(spec_key, spec_json)
    for wf_spec in [spec, *subs.values()]:
        if wf_spec is None:
            continue
        for ts in wf_spec.task_specs.values():
            if getattr(ts, "bpmn_id", None) == element_id:
                return _properties(ts)
    return {}


class Run:
    """One instance, or one detached part of it, held in memory for the length of one use case.

    A main run (``start``, ``load``) detaches self-contained multi-instance bodies as parts;
    a part run (``load_part``, or a part its main started) runs everything inline.
    """

    def __init__(self, workflow: BpmnWorkflow, calendar: CalendarSource = None, *,
                 part: str | None = None, spec_name: str | None = None, detach: bool = True):
        self._wf = workflow
        self._calendar = calendar
        self.part = part
        self.spec_name = spec_name
        if part is None and detach:
            workflow._vanguard_starting = []

    @classmethod
    def start(
        cls,
        spec_key: str,
        spec_json: Callable[[], str],
        data: dict[str, Any],
        *,
        calendar: CalendarSource = None,
        fire_start_timers: bool = False,
        detach: bool = True,
    ) -> Run:
        """``fire_start_timers``: a timer start event counts as fired (its schedule started
        this instance), so a start cycle runs the process once instead of once per period.
        ``detach=False`` runs every body inline, as plain SpiffWorkflow does."""
        spec, subs = _SPECS.get(spec_key, spec_json)
        wf = BpmnWorkflow(spec, subs, script_engine=_script_engine(calendar))
        wf.data.update(data)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        if fire_start_timers:
            starts = set(spec.start.outputs)
            for task in wf.get_tasks():
                event = getattr(task.task_spec, "event_definition", None)
                if task.task_spec in starts and isinstance(event, CycleTimerEventDefinition):
                    # One turn left, already due: the cycle runs its outputs once, then ends.
                    task._set_internal_data(event_value={"cycles": 1, "next": _LONG_AGO, "duration": 0.0})
                elif task.task_spec in starts and isinstance(event, TimerEventDefinition):
                    task._set_internal_data(event_fired=True)
        return cls(wf, calendar, detach=detach)

    @classmethod
    def load(
        cls,
        spec_key: str,
        spec_json: Callable[[], str],
        state: str,
        *,
        calendar: CalendarSource = None,
        detach: bool = True,
    ) -> Run:
        spec, subs = _SPECS.get(spec_key, spec_json)
        return cls(_restore(spec, subs, state, calendar), calendar, detach=detach)

    @classmethod
    def load_part(
        cls,
        spec_key: str,
        spec_json: Callable[[], str],
        part: str,
        spec_name: str,
        state: str,
        *,
        calendar: CalendarSource = None,
    ) -> Run:
        """One detached body, as saved from a part snapshot (``part``, ``spec_name``, ``state``)."""
        _spec, subs = _SPECS.get(spec_key, spec_json)
        body = subs.get(spec_name)
        if body is None:
            raise EngineError(f"the process has no subprocess '{spec_name}'", None)
        return cls(_restore(body, subs, state, calendar), calendar, part=part, spec_name=spec_name)

    def _begin_part(self, task: Any) -> Run:
        """A detached body's workflow, its start holding the child task's data (as inline)."""
        spec_name = task.task_spec.spec
        subs = self._wf.subprocess_specs
        wf = BpmnWorkflow(subs[spec_name], subs, script_engine=_script_engine(self._calendar))
        for ready in wf.get_tasks(state=TaskState.READY):
            ready.set_data(**deepcopy(task.data))
        return Run(wf, self._calendar, part=str(task.id), spec_name=spec_name)

    def finish_part(self, part: str, result: dict[str, Any]) -> None:
        """A detached body has ended with ``result``: its child task takes the data and moves on
        at the next ``advance``, as an inline subprocess's task does when its subprocess ends."""
        task = self._wf.get_task_from_id(UUID(part))
        if task is None or task.state != TaskState.STARTED or task.internal_data.get(PART_KEY) != "running":
            raise EngineError("the process is not waiting for this part", None)
        task.data = deepcopy(result)
        task.internal_data[PART_KEY] = "done"
        task.task_spec._update(task)

    def _steps(self) -> None:
        try:
            self._wf.do_engine_steps()
            self._wf.refresh_timers()
            self._wf.do_engine_steps()
        except WorkflowException as exc:
            spec = getattr(exc, "task_spec", None)
            raise EngineError(str(exc), getattr(spec, "bpmn_id", None)) from exc

    def advance(self) -> Snapshot:
        """Run every automatic step, then report what waits for people and clocks.

        A main run also starts the parts its step detached, runs each until it waits, and
        takes back at once those that end without waiting for anyone.
        """
        if not hasattr(self._wf, "_vanguard_starting"):
            self._steps()
            return self.snapshot()
        before = self._running_parts()
        started: list[Snapshot] = []
        while True:
            self._steps()
            starting = list(self._wf._vanguard_starting)
            self._wf._vanguard_starting.clear()
            ended = False
            for task in starting:
                part = self._begin_part(task).advance()
                if part.completed:
                    self.finish_part(str(task.id), part.result or {})
                    ended = True
                else:
                    started.append(part)
            if not ended:
                break
        snapshot = self.snapshot()
        running = self._running_parts()
        # A body whose task left the tree, or was cancelled, was withdrawn by the main workflow
        # (an interrupting boundary event, a completion condition): SpiffWorkflow drops such
        # children without telling their spec, so the difference is the only witness.
        snapshot.new_parts = [p for p in started if p.part in running]
        snapshot.cancelled_parts = sorted((before | {str(p.part) for p in started}) - running)
        return snapshot

    def _running_parts(self) -> set[str]:
        return {str(t.id) for t in self._wf.get_tasks(state=TaskState.STARTED)
                if t.internal_data.get(PART_KEY) == "running"}

    def ready_task_ids(self) -> set[str]:
        """The engine ids of the ready human tasks: the open inbox rows of this state."""
        return {str(t.id) for t in self._wf.get_tasks(state=TaskState.READY, manual=True)}

    def waiting_timers(self) -> list[TimerWait]:
        timers = []
        for task in self._wf.get_tasks(state=TaskState.WAITING):
            event = getattr(task.task_spec, "event_definition", None)
            if isinstance(event, TimerEventDefinition):
                due = _timer_due(event, task)
                if due is not None:
                    timers.append(TimerWait(str(task.id), task.task_spec.bpmn_id, due))
        return timers

    def fire_due_timers(self, now: datetime) -> list[TimerWait]:
        """Let every timer due at or before ``now`` fire; the caller then ``advance``s and saves.

        Returns the timers that fell due. SpiffWorkflow reads ``server.clock`` itself;
        while this runs it sees at least ``now`` (just after it), so the timers that
        fire are exactly those reported, whatever a second reading of the clock says.
        """
        due = [t for t in self.waiting_timers() if t.due_at <= now]
        token = _FIRING_AT.set(now)
        try:
            self._wf.refresh_timers()
        except WorkflowException as exc:
            spec = getattr(exc, "task_spec", None)
            raise EngineError(str(exc), getattr(spec, "bpmn_id", None)) from exc
        finally:
            _FIRING_AT.reset(token)
        return due

    def snapshot(self) -> Snapshot:
        # One walk of the task tree for everything that waits (ready user tasks, open stages,
        # timers): each walk visits every task of every subprocess, and a branch of 50 members
        # holds some 500. Filtering one WAITING|READY|STARTED walk visits the same tasks in the
        # same order as separate walks per state would.
        human = []
        open_stages = []
        timers = []
        parts_running = 0
        for task in self._wf.get_tasks(state=TaskState.WAITING | TaskState.READY | TaskState.STARTED):
            ts = task.task_spec
            if task.state == TaskState.STARTED and task.internal_data.get(PART_KEY) == "running":
                parts_running += 1
            props = _properties(ts)
            if props.get("stage"):
                open_stages.append(props["stage"])
            if task.state == TaskState.READY and ts.manual:
                human.append(
                    HumanTask(
                        engine_task_id=str(task.id),
                        element_id=ts.bpmn_id,
                        name=ts.bpmn_name or ts.bpmn_id,
                        lane=ts.lane,
                        properties=props,
                        documentation=getattr(ts, "documentation", None),
                        data=dict(task.data),
                    )
                )
            elif task.state == TaskState.WAITING:
                event = getattr(ts, "event_definition", None)
                if isinstance(event, TimerEventDefinition):
                    due = _timer_due(event, task)
                    if due is not None:
                        timers.append(TimerWait(str(task.id), ts.bpmn_id, due))
        # The last stage entered only matters when no stage is open (see instances._current_stage).
        last_stage = None
        if not open_stages:
            for task in self._wf.get_tasks(state=TaskState.COMPLETED):
                props = _properties(task.task_spec)
                if props.get("stage"):
                    last_stage = props["stage"]
        completed = self._wf.is_completed()
        result = None
        if completed and self.part is not None and self._wf.last_task is not None:
            result = deepcopy(self._wf.last_task.data)
        return Snapshot(
            state=self.dump(),
            completed=completed,
            data=dict(self._wf.data),
            human_tasks=human,
            timers=timers,
            open_stages=open_stages,
            last_stage=last_stage,
            part=self.part,
            spec_name=self.spec_name,
            result=result,
            parts_running=parts_running,
        )

    def complete(self, engine_task_id: str, data: dict[str, Any]) -> None:
        task = self._wf.get_task_from_id(UUID(engine_task_id))
        if task is None or task.state != TaskState.READY:
            raise EngineError("the task is no longer ready", None)
        task.set_data(**data)
        try:
            task.run()
        except WorkflowException as exc:
            raise EngineError(str(exc), task.task_spec.bpmn_id) from exc

    def dump(self) -> str:
        with _SERIALIZER_LOCK:
            registry = _SPECLESS.registry
            registry._encoder_mode = True
            try:
                dct = _SPECLESS.to_dict(self._wf)
                dct[_SPECLESS.VERSION_KEY] = _SPECLESS.VERSION
                return json.dumps(dct, cls=_SPECLESS._encoder_cls, ensure_ascii=False)
            finally:
                registry._encoder_mode = False


def _restore(spec: Any, subs: dict[str, Any], state: str, calendar: CalendarSource) -> BpmnWorkflow:
    dct = json.loads(state)
    dct.pop(_SPECLESS.VERSION_KEY, None)
    dct["spec"] = spec
    dct["subprocess_specs"] = subs
    wf: BpmnWorkflow = _SPECLESS.from_dict(dct)
    wf.script_engine = _script_engine(calendar)
    return wf


def _timer_due(event: TimerEventDefinition, task: Any) -> datetime | None:
    """When a waiting timer falls due, read as SpiffWorkflow reads it (naive: local zone)."""
    try:
        value = event.details(task).value
    except Exception:  # noqa: BLE001 - a broken expression is reported when the timer fires
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=_LOCAL_TZ)
        return moment.astimezone(UTC)
    if not isinstance(value, str):
        return None
    try:
        result: datetime = TimerEventDefinition.get_datetime(value)
    except (ValueError, TypeError):
        return None
    return datetime.fromtimestamp(result.timestamp(), UTC)


LANE_LABEL = re.compile(r"\[([^\]]+)\]\s*$")


def lane_role_expression(lane: str | None) -> str | None:
    """``支部书记 [secretary]`` → ``secretary``; a bare lane name is taken whole."""
    if not lane:
        return None
    match = LANE_LABEL.search(lane)
    return (match.group(1) if match else lane).strip()
