"""Moving a saved state onto another version of its process (instance migration).

SpiffWorkflow aligns the two specs by element id (``SpecDiff``); every task of the state
takes its element in the new version. A state can move only if every element it is
active at (a ready, waiting, started or failed task) still exists in the new version: else
the move is refused, naming those elements. Ready and waiting tasks keep their ids (the
inbox rows and timer jobs stay theirs) and have what follows them predicted again from the
new version; a failed task (an error in a script) is reset to run again on the new
version, which is how a corrected version helps an instance stuck on a broken step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from server.workflow.engine.store import _FULL, _SERIALIZER_LOCK, _SPECS, dump_workflow, restore_workflow

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass
class Migration:
    """What moving one state would do: the elements it is active at, those missing in the new
    version (``blocked``: it cannot move), and the new state when it can."""

    active: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    state: str | None = None


def _active(workflow: Any) -> list[Any]:
    return [t for t in workflow.get_tasks(state=ACTIVE, skip_subprocesses=True) if t.task_spec.bpmn_id]


def migrate_state(old_key: str, old_json: Callable[[], str], new_key: str, new_json: Callable[[], str],
                  state: str, *, spec_name: str | None = None, apply: bool = True) -> Migration:
    """Move a main state (``spec_name`` None) or a detached body's state to the new version."""
    old_spec, old_subs = _SPECS.get(old_key, old_json)
    new_spec, new_subs = _SPECS.get(new_key, new_json)
    if spec_name is not None:
        old_spec, new_spec = old_subs.get(spec_name), new_subs.get(spec_name)
        if old_spec is None:
            raise ValueError(f"the process has no subprocess '{spec_name}'")
    workflow = restore_workflow(old_spec, old_subs, state)
    result = Migration(active=sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(state=ACTIVE)
                                      if t.task_spec.bpmn_id}))
    if new_spec is None:
        result.blocked = result.active
        return result
    with _SERIALIZER_LOCK:
        top, subs = diff_workflow(_FULL.registry, workflow, new_spec, new_subs)
    blocked = _missing(top, workflow)
    for sp_id, sp_diff in subs.items():
        blocked |= _missing(sp_diff, workflow.subprocesses[sp_id])
    result.blocked = sorted(blocked)
    if result.blocked or not apply:
        return result
    workflow.subprocess_specs = new_subs
    _move(top, workflow, new_spec)
    for sp_id, sp_diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        _move(sp_diff, sub, new_subs[sub.spec.name])
    result.state = dump_workflow(workflow)
    return result


def _missing(diff: Any, workflow: Any) -> set[str]:
    """Elements active in ``workflow`` that the new version does not have under the same id.

    SpiffWorkflow would also pair a renamed element with its old one by position; an
    administrator reads element ids, so only the same id counts as "still exists".
    """
    missing = set()
    for task in _active(workflow):
        new = diff.alignment.get(task) if diff is not None else None
        if new is None or new.bpmn_id != task.task_spec.bpmn_id:
            missing.add(task.task_spec.bpmn_id)
    return missing


def _move(diff: Any, workflow: Any, spec: Any) -> None:
    """The new spec for every task; failed tasks run again; what follows the others is predicted anew."""
    migrate_workflow(diff, workflow, spec, reset_mask=TaskState.ERROR)
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True):
        predicted = [c for c in task.children if c.has_state(TaskState.PREDICTED_MASK | TaskState.FUTURE)]
        if predicted and len(predicted) == len(task.children):
            task._drop_children(force=True)
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)
