"""Scripts, conditions and timer expressions: the script engine and what it offers them.

Every script and expression is evaluated in the sandbox (``sandbox.py``, ``confined.py``),
never in the server's process; this module only decides what to send there and what the
answer means. Beyond Python expressions, a timer may say "3 working days" (or ``working_days(3)``),
counted on the working-day calendar, or an unquoted ISO date, duration or cycle; this
module turns either into what SpiffWorkflow's timers understand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from server import clock
from server.calendar.due import parse_working_days, resolve_due
from server.calendar.workdays import WorkdayCalendar
from server.workflow.engine.confined import SCRIPT_GLOBALS
from server.workflow.engine.sandbox import sandbox
from server.workflow.engine.timeclock import _MICROSECOND, local_timezone

_ISO_LITERAL = re.compile(r"R[0-9]*/.+|P[0-9WYMDTHS.]+|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.+\-Z]+)?",
                          re.IGNORECASE)


def _literal_timer(expression: str) -> str | None:
    """An unquoted ``3 working days``, ``P3D``, ``2026-12-01T09:00`` or ``R/...`` as written."""
    text = expression.strip()
    if parse_working_days(text) is not None or _ISO_LITERAL.fullmatch(text):
        return text
    return None


def _iso_seconds(delta: Any) -> str:
    micros = max(0, delta // _MICROSECOND)
    seconds, fraction = divmod(micros, 1_000_000)
    return f"PT{seconds}.{fraction:06d}S" if fraction else f"PT{seconds}S"


def _timer_value(event: TimerEventDefinition, value: Any, calendar: WorkdayCalendar) -> Any:
    """Turn what a timer expression gave into what SpiffWorkflow's timer understands."""
    if isinstance(event, CycleTimerEventDefinition):
        return value
    now = clock.now()
    tz = local_timezone()
    if isinstance(value, str) and parse_working_days(value) is not None:
        due = resolve_due(value, ready_at=now, calendar=calendar, tz=tz).due_at
        if isinstance(event, DurationTimerEventDefinition):
            return _iso_seconds(due - now)
        return due.isoformat()
    if isinstance(event, TimeDateEventDefinition):
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=tz)).isoformat()
        if isinstance(value, date):
            return datetime.combine(value, time(0), tz).isoformat()
    if isinstance(event, DurationTimerEventDefinition) and isinstance(value, timedelta):
        return _iso_seconds(value)
    return value


class SandboxEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment, evaluated in the sandbox.

    The names of the script globals stay known here (SpiffWorkflow refuses task data that
    would hide one); their values live in the confined worker.
    """

    def __init__(self) -> None:
        super().__init__(dict(SCRIPT_GLOBALS))

    def evaluate(self, expression: Any, context: Any, external_context: Any = None) -> Any:
        return sandbox.run("eval", expression, dict(context), dict(external_context or {}))

    def execute(self, script: Any, context: Any, external_context: Any = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        left = sandbox.run("exec", script, dict(context), dict(external_context or {}))
        context.clear()
        context.update(left)
        return True


CalendarSource = WorkdayCalendar | Callable[[], WorkdayCalendar] | None
"""A calendar, or a function giving one when first needed (it may query the database)."""


class _ScriptEngine(PythonScriptEngine):
    """Python expressions plus Vanguard's timer forms ("3 working days", unquoted ISO)."""

    def __init__(self, calendar: CalendarSource = None) -> None:
        super().__init__(environment=SandboxEnvironment())
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


def evaluate_plain(expression: str) -> Any:
    """An expression with the script globals and no task data (a start timer has none yet)."""
    return SandboxEnvironment().evaluate(expression, {}, None)
