"""Detached multi-instance bodies: which bodies run as parts, and the task spec that detaches them.

Inline, SpiffWorkflow keeps the subprocess of every instance of a multi-instance subprocess
inside the one workflow: a branch of 50 members carries 50 pledge bodies (~500 tasks), and a
click on one of them loads, walks and saves all 50. Detached, the multi-instance child task
waits (STARTED) in its workflow while its body runs as a workflow of its own, a *part*, that
the server keeps in a row of its own: a step inside a body costs what that body holds. When
the body ends, ``Run.finish_part`` hands its data back and the child completes exactly as it
would inline (data copied back, the multi-instance merge, the flow moves on).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as _SubWorkflowMixin
from SpiffWorkflow.spiff.specs.defaults import SubWorkflowTask as _SpiffSubWorkflowTask
from SpiffWorkflow.util.task import TaskState

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
