"""Taking one person out of a running multi-instance: his instance ends empty, the rest goes on.

A parallel multi-instance moves on only when every one of its instances has *completed*
(``ParallelMultiInstanceTask.children_complete``); a cancelled instance would hold the
merge for ever. So a withdrawn instance is completed, not cancelled: its output item is
``None`` ("no result": a loop output collection keeps one entry per input item, and a
condition such as ``appraisals.count(None) * 3 > len(appraisals)`` can count the absent),
its post-script is skipped (it would speak for someone who said nothing), and whatever
ran inside it stops: an inline body's subprocess is cancelled and dropped, a detached
body (a part) is the caller's to mark cancelled.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask
from SpiffWorkflow.util.task import TaskState

from server.workflow.engine.parts import PART_KEY
from server.workflow.engine.types import EngineError, MultiChild

WITHDRAWN_KEY = "vanguard_withdrawn"
"""Internal data of a withdrawn instance (its reason), kept in the saved state."""


def _task(workflow: Any, task_id: Any) -> Any:
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


def _is_child(task: Any) -> bool:
    parent = task.parent
    return parent is not None and isinstance(parent.task_spec, MultiInstanceTask) \
        and task.task_spec.name == parent.task_spec.task_spec


def _item(task: Any) -> Any:
    spec = task.parent.task_spec
    if spec.input_item is not None and spec.input_item.exists(task):
        return spec.input_item.get(task)
    return task.internal_data.get("item", task.internal_data.get("key_or_index"))


def _ready_inside(workflow: Any, task: Any) -> list[str]:
    """Element ids of the ready human tasks an unfinished instance holds (inline only)."""
    if task.state == TaskState.READY and task.task_spec.manual:
        return [task.task_spec.bpmn_id]
    found = []
    pending = [task.id]
    while pending:
        sub = workflow.subprocesses.get(pending.pop())
        if sub is None:
            continue
        for inner in sub.get_tasks(state=TaskState.READY | TaskState.STARTED):
            if inner.state == TaskState.READY and inner.task_spec.manual:
                found.append(inner.task_spec.bpmn_id)
            elif inner.id in workflow.subprocesses:
                pending.append(inner.id)
    return found


def _describe(workflow: Any, task: Any) -> MultiChild:
    part = task.internal_data.get(PART_KEY) == "running"
    return MultiChild(
        engine_task_id=str(task.id),
        activity=task.parent.task_spec.bpmn_id,
        item=_item(task),
        part=part,
        waiting_at=[] if part else _ready_inside(workflow, task),
    )


def running_children(workflow: Any) -> list[MultiChild]:
    """Every unfinished instance of every running multi-instance, in tree order."""
    found = []
    for task in workflow.get_tasks(state=TaskState.STARTED):
        if not isinstance(task.task_spec, MultiInstanceTask):
            continue
        for child in task.children:
            if task.task_spec.task_spec == child.task_spec.name and not child.has_state(TaskState.FINISHED_MASK):
                found.append(_describe(workflow, child))
    return found


def child_holding(workflow: Any, task_id: Any) -> MultiChild | None:
    """The multi-instance instance that holds a task (the task itself, or the body around it)."""
    task = _task(workflow, task_id)
    while task is not None:
        if _is_child(task):
            return _describe(workflow, task)
        if task.parent is not None:
            task = task.parent
            continue
        parent_id = getattr(task.workflow, "parent_task_id", None)
        task = _task(workflow, parent_id) if parent_id is not None else None
    return None


def withdraw(workflow: Any, child_id: Any, reason: str) -> MultiChild:
    """Complete one unfinished instance with no result (see the module's docstring)."""
    child = _task(workflow, child_id)
    if child is None or not _is_child(child) or child.has_state(TaskState.FINISHED_MASK):
        raise EngineError("this is not a running instance of a multi-instance activity", None)
    described = _describe(workflow, child)
    if isinstance(child.task_spec, SubWorkflowTask) and workflow.subprocesses.get(child.id) is not None:
        workflow.cancel(workflow.subprocesses[child.id])
        workflow.delete_subprocess(child)
    spec = child.parent.task_spec
    if spec.output_item is not None:
        child.data[spec.output_item.bpmn_id] = None
    if described.part:
        child.internal_data[PART_KEY] = "withdrawn"
    child.internal_data[WITHDRAWN_KEY] = reason
    child._set_state(TaskState.COMPLETED)
    task_spec = child.task_spec
    if isinstance(task_spec, SpiffBpmnTask):
        super(SpiffBpmnTask, task_spec)._on_complete_hook(child)  # no post-script
    else:
        task_spec._on_complete_hook(child)
    for follower in child.children:
        if not follower.has_state(TaskState.FINISHED_MASK):
            follower.task_spec._update(follower)
    child.workflow._task_completed_notify(child)
    return described
