"""Stamping: a fresh instance's first state built once per process and copied per instance.

A campaign launch starts thousands of instances of one process whose start differs only in
its data (the unit, its members, the title). Running the engine for each repeats the same
walk to the same first waiting point; a ``StartStamp`` runs it once, with a placeholder for
every start value, and then writes each instance's state by substituting the values, fresh
task ids and the current time into the template's JSON (``stamp``): what ``Run.start`` and
``advance`` would have produced, without the engine.

That is only sound when the walk to the first waiting point never looks at the data. The
template is refused (``start_stamp`` gives None, the caller runs the engine) when the walk
evaluated any script, condition or expression, ended, waits on a timer, started a part or a
subprocess, failed on the placeholders, or when a placeholder shows up anywhere but as a whole
value. A value that is not plain JSON (str, int, float, bool, None, lists and dicts of them)
is not stamped either.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from uuid import uuid4

from SpiffWorkflow.util.task import TaskState

from server.workflow.engine.run import Run
from server.workflow.engine.scripting import CalendarSource, SandboxEnvironment, _ScriptEngine
from server.workflow.engine.types import HumanTask, Snapshot

_MARK = "\x00vanguard-stamp:"
_END = "\x00"


class _WatchedEnvironment(SandboxEnvironment):
    """Counts what the engine asked of the sandbox (without asking it anything)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def evaluate(self, expression: Any, context: Any, external_context: Any = None) -> Any:
        self.calls += 1
        return super().evaluate(expression, context, external_context)

    def execute(self, script: Any, context: Any, external_context: Any = None) -> bool:
        self.calls += 1
        return super().execute(script, context, external_context)

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return super().call_service(context, **kwargs)


class _WatchedEngine(_ScriptEngine):
    def __init__(self, calendar: CalendarSource = None) -> None:
        super().__init__(calendar)
        self.environment = _WatchedEnvironment()
        self.calls = 0

    def evaluate(self, task: Any, expression: Any, external_context: Any = None) -> Any:
        self.calls += 1
        return super().evaluate(task, expression, external_context)

    def execute(self, task: Any, script: Any, external_context: Any = None) -> Any:
        self.calls += 1
        return super().execute(task, script, external_context)

    def used(self) -> bool:
        watched = self.environment
        return bool(self.calls or (isinstance(watched, _WatchedEnvironment) and watched.calls))


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    """JSON's own types only (what json.dumps writes as the serializer does), no placeholder in them."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if _MARK in item:
                return False
        elif kind is list:
            stack.extend(item)
        elif kind is dict:
            if not all(type(k) is str for k in item):
                return False
            stack.extend(item.values())
        elif kind not in _SCALARS:
            return False
    return True


def _fill(value: Any, data: dict[str, Any]) -> Any:
    """The template's value with every placeholder replaced by its start value (the start data's
    own objects: a snapshot's data is read, never changed)."""
    kind = type(value)
    if kind is str and value.startswith(_MARK):
        return data[value[len(_MARK):-len(_END)]]
    if kind is dict:
        return {k: _fill(v, data) for k, v in value.items()}
    if kind is list:
        return [_fill(v, data) for v in value]
    return value


@dataclass(frozen=True)
class StartStamp:
    """The first state of a process started with data of these keys (in this order: the engine
    keeps the order of the data's keys), ready to be stamped."""

    keys: tuple[str, ...]
    template: Snapshot
    task_ids: tuple[str, ...]
    born: float
    # The template's JSON cut at every task id, placeholder and time: text, slot, text, slot, …, text.
    texts: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]

    @classmethod
    def build(cls, spec_key: str, spec_json: Callable[[], str], keys: tuple[str, ...], *,
              calendar: CalendarSource = None, fire_start_timers: bool = False) -> StartStamp | None:
        placeholders = {key: f"{_MARK}{key}{_END}" for key in keys}
        run = Run.start(spec_key, spec_json, placeholders, calendar=calendar, fire_start_timers=fire_start_timers)
        engine = _WatchedEngine(calendar)
        run._wf.script_engine = engine
        born = time.time()
        try:
            snapshot = run.advance()
        except Exception:  # noqa: BLE001 - placeholders are not the data: such a step runs the engine
            return None
        workflow = run._wf
        if (engine.used() or snapshot.completed or snapshot.timers or snapshot.new_parts or snapshot.parts_running
                or snapshot.cancelled_parts or workflow.subprocesses
                or workflow.get_tasks(state=TaskState.STARTED)):
            return None
        task_ids = tuple(str(task.id) for task in workflow.get_tasks())
        token = r'"\\u0000vanguard-stamp:(?P<key>[^"\\]+)\\u0000"'
        state = snapshot.state
        # Each placeholder only as a whole value, never inside a string, a key or anything else.
        whole = re.findall(token + r"(?!\s*:)", state)
        if state.count("vanguard-stamp:") != len(whole) or not set(whole) <= set(keys):
            return None
        if any(state.count(f'"{task_id}"') == 0 for task_id in task_ids):
            return None
        ids = "|".join(re.escape(task_id) for task_id in task_ids)
        pattern = re.compile(rf'(?P<id>{ids})|{token}|"last_state_change": (?P<at>[-+0-9.eE]+)')
        texts, slots, at = [], [], 0
        for match in pattern.finditer(state):
            kind = next(name for name in ("id", "key", "at") if match.group(name) is not None)
            texts.append(state[at:match.start(kind) if kind == "at" else match.start()])
            slots.append((kind, match.group(kind)))
            at = match.end()
        texts.append(state[at:])
        return cls(tuple(keys), snapshot, task_ids, born, tuple(texts), tuple(slots))

    def stamp(self, data: dict[str, Any]) -> Snapshot | None:
        """The snapshot ``Run.start(data).advance()`` would give (fresh task ids, times now);
        None if the data cannot be stamped (other keys, values that are not plain JSON)."""
        if tuple(data) != self.keys or not _plain(data):
            return None
        ids = {task_id: str(uuid4()) for task_id in self.task_ids}
        values = {key: json.dumps(value, ensure_ascii=False) for key, value in data.items()}
        shift = time.time() - self.born
        pieces = [self.texts[0]]
        for (kind, value), text in zip(self.slots, self.texts[1:], strict=True):
            pieces.append(ids[value] if kind == "id" else values[value] if kind == "key"
                          else repr(float(value) + shift))
            pieces.append(text)
        template = self.template
        humans = [
            HumanTask(engine_task_id=ids[h.engine_task_id], element_id=h.element_id, name=h.name, lane=h.lane,
                      properties=dict(h.properties), documentation=h.documentation, data=_fill(h.data, data))
            for h in template.human_tasks
        ]
        return replace(template, state="".join(pieces), data=_fill(template.data, data),
                       human_tasks=humans, timers=[], open_stages=list(template.open_stages), new_parts=[],
                       cancelled_parts=[])


class _StampCache:
    """Stamps (or None: not stampable) by spec key, start keys and start-timer mode."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[str, tuple[str, ...], bool], StartStamp | None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, spec_key: str, spec_json: Callable[[], str], keys: tuple[str, ...], *,
            calendar: CalendarSource, fire_start_timers: bool) -> StartStamp | None:
        key = (spec_key, keys, fire_start_timers)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        stamp = StartStamp.build(spec_key, spec_json, keys, calendar=calendar, fire_start_timers=fire_start_timers)
        with self._lock:
            self._items[key] = stamp
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return stamp


_STAMPS = _StampCache()


def start_stamp(spec_key: str, spec_json: Callable[[], str], keys: tuple[str, ...], *,
                calendar: CalendarSource = None, fire_start_timers: bool = False) -> StartStamp | None:
    """The stamp of this process for start data with these keys, built on first use; None when
    its start must run the engine (see the module's docstring)."""
    return _STAMPS.get(spec_key, spec_json, keys, calendar=calendar, fire_start_timers=fire_start_timers)
