"""``Run``: one instance, or one detached part of it, loaded, stepped and dumped.

A completion loads the state (around the cached spec), completes a task, runs the engine
until it waits and takes a ``Snapshot`` (one walk of the task tree, then the dump); the
server saves what the snapshot says. See docs/architecture.md for why a step costs what
its state holds.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from server.workflow.engine.parsing import _properties
from server.workflow.engine.parts import PART_KEY
from server.workflow.engine.replay import engine_call
from server.workflow.engine.sandbox import ScriptFailed
from server.workflow.engine.scripting import CalendarSource, _script_engine
from server.workflow.engine.store import _SPECS, dump_workflow, restore_workflow
from server.workflow.engine.timeclock import _LONG_AGO, _timer_due, firing_at
from server.workflow.engine.types import EngineError, HumanTask, MultiChild, Snapshot, TimerWait
from server.workflow.engine.withdraw import child_holding, running_children, withdraw


def _script_failure(exc: BaseException) -> ScriptFailed | None:
    """The sandbox's error behind an engine error (SpiffWorkflow raises its own while handling it)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, ScriptFailed):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def step_error(exc: WorkflowException) -> EngineError:
    """What failed a step, where, and the class of its cause (a script's, from the sandbox)."""
    spec = getattr(exc, "task_spec", None)
    script = _script_failure(exc)
    error_type = getattr(exc, "error_type", None)
    if script is not None:
        error_class = script.error_class
    else:
        error_class = error_type if error_type not in (None, "unknown") else type(exc).__name__
    return EngineError(str(script or exc), getattr(spec, "bpmn_id", None), error_class)


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
            raise step_error(exc) from exc

    def advance(self) -> Snapshot:
        """Run every automatic step, then report what waits for people and clocks.

        A main run also starts the parts its step detached, runs each until it waits, and
        takes back at once those that end without waiting for anyone.
        """
        with engine_call():
            return self._advance()

    def _advance(self) -> Snapshot:
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
        with firing_at(now), engine_call():
            try:
                self._wf.refresh_timers()
            except WorkflowException as exc:
                raise step_error(exc) from exc
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
            with engine_call():
                task.run()
        except WorkflowException as exc:
            script = _script_failure(exc)  # its postScript failed
            error_class = script.error_class if script else None
            raise EngineError(str(script or exc), task.task_spec.bpmn_id, error_class) from exc

    def dump(self) -> str:
        return dump_workflow(self._wf)

    def waiting_at(self) -> list[str]:
        """Element ids of the ready human tasks, in tree order."""
        return [t.task_spec.bpmn_id for t in self._wf.get_tasks(state=TaskState.READY, manual=True)]

    def running_children(self) -> list[MultiChild]:
        """Every unfinished instance of every running multi-instance (main runs)."""
        return running_children(self._wf)

    def child_holding(self, engine_task_id: str) -> MultiChild | None:
        """The multi-instance instance that holds a ready task of this run, if any."""
        return child_holding(self._wf, UUID(engine_task_id))

    def withdraw(self, child_engine_task_id: str, reason: str) -> MultiChild:
        """Take one instance out of its multi-instance; ``advance`` then moves the merge on."""
        return withdraw(self._wf, UUID(child_engine_task_id), reason)


def _restore(spec: Any, subs: dict[str, Any], state: str, calendar: CalendarSource) -> BpmnWorkflow:
    wf = restore_workflow(spec, subs, state)
    wf.script_engine = _script_engine(calendar)
    return wf
