"""Questions about a deployed process or a saved state that need no ``Run``.

What a process's start timer says, whether it waits on timers at all, an element's
properties, and which bodies run as parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)

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

