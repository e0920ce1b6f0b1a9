"""Questions about a deployed process or a saved state that need no ``Run``.

What a process's start timer says, whether it waits on timers at all, an element's
properties, which bodies run as parts, and which elements a saved state has reached.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from server.workflow.engine.parsing import _properties
from server.workflow.engine.parts import _DetachedBody
from server.workflow.engine.scripting import _literal_timer, evaluate_plain
from server.workflow.engine.store import _SPECS
from server.workflow.engine.types import EngineError


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
            value = evaluate_plain(event.expression)
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


def detached_elements(spec_key: str, spec_json: Callable[[], str]) -> list[str]:
    """The element ids of the multi-instance subprocesses whose bodies run as parts."""
    spec, subs = _SPECS.get(spec_key, spec_json)
    return sorted({
        ts.bpmn_id for wf_spec in [spec, *[s for s in subs.values() if s is not None]]
        for ts in wf_spec.task_specs.values() if isinstance(ts, _DetachedBody)
    })


_ACTIVE_STATES = {TaskState.WAITING, TaskState.READY, TaskState.STARTED}


def element_states(engine_state: str, part_states: Iterable[str] = ()) -> dict[str, str]:
    """Element id -> ``"active"`` or ``"completed"``, from a saved state and its parts' states.

    Reads only the task-spec names and states of the main workflow and its subprocesses, so
    it needs neither the spec nor a ``Run``; a multi-instance child counts as its element.
    An element active anywhere (in the main state or in any part) is active. An unreadable
    state marks nothing. Ids include the engine's own task specs (``Start``, ``End``, joins):
    the caller keeps those of its diagram.
    """
    states = _states_in(engine_state)
    for part_state in part_states:
        for element_id, state in _states_in(part_state).items():
            if states.get(element_id) != "active":
                states[element_id] = state
    return states


def _states_in(engine_state: str) -> dict[str, str]:
    try:
        dct = json.loads(engine_state)
    except (TypeError, ValueError):
        return {}
    result: dict[str, str] = {}

    def scan(tasks: Any) -> None:
        if not isinstance(tasks, dict):
            return
        for task in tasks.values():
            if not isinstance(task, dict):
                continue
            name, state = task.get("task_spec"), task.get("state")
            if not isinstance(name, str) or not isinstance(state, int):
                continue
            element = name.removesuffix(" [child]")
            if state in _ACTIVE_STATES:
                result[element] = "active"
            elif state == TaskState.COMPLETED and result.get(element) != "active":
                result[element] = "completed"

    if isinstance(dct, dict):
        scan(dct.get("tasks"))
        for sub in (dct.get("subprocesses") or {}).values():
            if isinstance(sub, dict):
                scan(sub.get("tasks"))
    return result
