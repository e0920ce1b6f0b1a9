"""Moving stuck work: take a person out of a running multi-instance, cancel, suspend, resume.

Every use case here runs in the caller's one transaction, locks the instance row first (as
every writer of an instance does), needs a reason, and leaves an audit row that the
instance's history shows. Who may: ``server.access.oversees`` (the unit's secretary or
deputy, an ``org_admin`` of the unit or above); the deadline closings of the inbox call
``withdraw_children`` as the system.

* **withdraw**: the person's instances of every running multi-instance complete with no
  result (``server.workflow.engine.withdraw``); a detached body's part is cancelled with
  its open tasks; the family's withdrawal hooks record what his absence means
  (``registry.withdrawal_hooks``); the merge no longer waits for him.
* **cancel**: the instance and, below it, every running instance whose parent it is (a
  district campaign's branch runs), each with its open tasks, parts and jobs.
* **suspend / resume**: a suspended instance's tasks cannot be completed and its jobs
  (timers, due dates, closings) are ``held``; resuming lets them wait again (one already
  due fires on the next pass: late rather than never).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server import audit, clock
from server.access import check_oversees
from server.errors import Conflict, Invalid, NotFound
from server.org.models import Person
from server.workflow.engine import EngineError, MultiChild, Run
from server.workflow.hooks import Withdrawn, registry
from server.workflow.models import (
    JOB_CANCELLED,
    JOB_HELD,
    JOB_WAITING,
    PART_CANCELLED,
    PART_RUNNING,
    InstancePart,
    ProcessInstance,
    TimerJob,
)
from server.workflow.runs import load_part_run, load_run, lock_instance
from server.workflow.saving import advance_and_save, cancel_parts, write_instance

RUNNING = "running"
SUSPENDED = "suspended"
CANCELLED = "cancelled"

OVERSEER_CAUSE = "withdrawn"


def reason_text(reason: str) -> str:
    text = (reason or "").strip()
    if len(text) < 2:
        raise Invalid("give a reason (it is kept in the instance's history)",
                      [{"field": "reason", "message": "required"}])
    return text[:1000]


def overseen(session: Session, actor: Person, instance_id: int) -> ProcessInstance:
    instance = lock_instance(session, instance_id)
    check_oversees(session, actor, instance.org_unit)
    return instance


def must_run(instance: ProcessInstance) -> None:
    if instance.state == SUSPENDED:
        raise Conflict("the process is suspended; resume it first")
    if instance.state != RUNNING:
        raise Conflict(f"the process is {instance.state}")


# -- withdrawing ------------------------------------------------------------------------------


def withdraw_children(session: Session, instance: ProcessInstance, run: Run, children: Iterable[MultiChild], *,
                      cause: str, reason: str, actor: Person | None) -> list[dict[str, Any]]:
    """Take these instances out of their multi-instances, then step and save the main workflow.

    ``run`` is the instance's main workflow, loaded by the caller under the instance lock.
    """
    done = []
    now = clock.now()
    for child in {c.engine_task_id: c for c in children}.values():
        waiting_at = list(child.waiting_at)
        part = None
        if child.part:
            part = session.scalar(select(InstancePart).where(
                InstancePart.instance_id == instance.id, InstancePart.engine_task_id == child.engine_task_id,
                InstancePart.state == PART_RUNNING))
            if part is not None:
                waiting_at = load_part_run(instance, part).waiting_at()
        try:
            run.withdraw(child.engine_task_id, reason)
        except EngineError as exc:
            raise Conflict(f"the process cannot let go of this person: {exc}") from exc
        if part is not None:
            cancel_parts(session, instance, [child.engine_task_id], actor)
        entry = {"person": child.item, "person_name": _name(session, child.item), "activity": child.activity,
                 "waiting_at": waiting_at}
        audit.record(session, "instance.withdrawn", actor=actor, instance_id=instance.id, cause=cause,
                     reason=reason, **entry)
        withdrawn = Withdrawn(instance_id=instance.id, process_key=instance.definition.key,
                              activity=child.activity, item=child.item, waiting_at=tuple(waiting_at), cause=cause,
                              reason=reason, actor=actor, at=now)
        for hook in registry.withdrawal_hooks(instance.definition.key):
            hook(session, withdrawn)
        done.append(entry)
    if done:
        advance_and_save(session, instance, instance.definition, run, actor)
    return done


def withdraw_person(session: Session, actor: Person, instance_id: int, username: str, reason: str) -> dict[str, Any]:
    """``POST /api/process-instances/{id}/withdraw``: one person out of every running multi-instance."""
    text = reason_text(reason)
    instance = overseen(session, actor, instance_id)
    must_run(instance)
    run = load_run(instance)
    children = [c for c in run.running_children() if isinstance(c.item, str) and c.item == username]
    if not children:
        raise Invalid(f"'{username}' has no open part in a running multi-instance of this process",
                      [{"field": "person", "message": "not taking part"}])
    withdrawn = withdraw_children(session, instance, run, children, cause=OVERSEER_CAUSE, reason=text, actor=actor)
    return {"instance": _brief(instance), "withdrawn": withdrawn}


def participants(session: Session, actor: Person, instance_id: int) -> list[dict[str, Any]]:
    """Who could be withdrawn now: the items of the running multi-instances (for the page)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    check_oversees(session, actor, instance.org_unit)
    if instance.state not in (RUNNING, SUSPENDED):
        return []
    return [{"person": c.item, "name": _name(session, c.item), "activity": c.activity}
            for c in load_run(instance).running_children() if isinstance(c.item, str)]


def _name(session: Session, item: Any) -> str | None:
    """The display name of a multi-instance item that is a username (the page shows names)."""
    if not isinstance(item, str):
        return None
    return session.scalar(select(Person.display_name).where(Person.username == item))


# -- cancelling, suspending, resuming -----------------------------------------------------------


def _descendants(session: Session, instance_id: int) -> list[int]:
    """Running or suspended instances below this one (children, their children...), top down."""
    found: list[int] = []
    level = [instance_id]
    while level:
        level = list(session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.parent_id.in_(level),
                                             ProcessInstance.state.in_((RUNNING, SUSPENDED)))
            .order_by(ProcessInstance.id)))
        found += level
    return found


def cancel(session: Session, actor: Person, instance_id: int, reason: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Cancel an instance and every running instance below it; ``dry_run`` only counts them."""
    text = reason_text(reason)
    instance = overseen(session, actor, instance_id)
    if instance.state not in (RUNNING, SUSPENDED):
        raise Conflict(f"the process is {instance.state}")
    below = _descendants(session, instance.id)
    if dry_run:
        return {"instance": _brief(instance), "cascade": len(below), "cancelled": []}
    _cancel_one(session, instance, actor, text, None)
    for child_id in below:
        child = lock_instance(session, child_id)
        if child.state in (RUNNING, SUSPENDED):
            _cancel_one(session, child, actor, text, instance.id)
    return {"instance": _brief(instance), "cascade": len(below), "cancelled": [instance.id, *below]}


def _cancel_one(session: Session, instance: ProcessInstance, actor: Person | None, reason: str,
                cascade_from: int | None) -> None:
    now = clock.now()
    write_instance(session, instance, {"state": CANCELLED, "completed_at": now})
    registry.tasks.close_all(session, instance, actor)
    session.execute(update(InstancePart).where(InstancePart.instance_id == instance.id,
                                               InstancePart.state == PART_RUNNING)
                    .values(state=PART_CANCELLED, stage=None, updated_at=now)
                    .execution_options(synchronize_session=False))
    _set_jobs(session, instance.id, (JOB_WAITING, JOB_HELD), JOB_CANCELLED)
    for hook in registry.cancel_hooks(instance.definition.key):
        hook(session, instance)
    details: dict[str, Any] = {"reason": reason}
    if cascade_from is not None:
        details["cascade_from"] = cascade_from
    audit.record(session, "instance.cancelled", actor=actor, instance_id=instance.id, **details)


def suspend(session: Session, actor: Person, instance_id: int, reason: str) -> dict[str, Any]:
    text = reason_text(reason)
    instance = overseen(session, actor, instance_id)
    must_run(instance)
    write_instance(session, instance, {"state": SUSPENDED})
    held = _set_jobs(session, instance.id, (JOB_WAITING,), JOB_HELD)
    audit.record(session, "instance.suspended", actor=actor, instance_id=instance.id, reason=text, jobs_held=held)
    return {"instance": _brief(instance)}


def resume(session: Session, actor: Person, instance_id: int, reason: str) -> dict[str, Any]:
    text = reason_text(reason)
    instance = overseen(session, actor, instance_id)
    if instance.state != SUSPENDED:
        raise Conflict(f"the process is {instance.state}, not suspended")
    write_instance(session, instance, {"state": RUNNING})
    released = _set_jobs(session, instance.id, (JOB_HELD,), JOB_WAITING)
    audit.record(session, "instance.resumed", actor=actor, instance_id=instance.id, reason=text, jobs=released)
    return {"instance": _brief(instance)}


def _set_jobs(session: Session, instance_id: int, states: tuple[str, ...], to: str) -> int:
    result = session.execute(
        update(TimerJob).where(TimerJob.instance_id == instance_id, TimerJob.state.in_(states))
        .values(state=to, locked_by=None, locked_until=None).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _brief(instance: ProcessInstance) -> dict[str, Any]:
    return {"id": instance.id, "state": instance.state, "stage": instance.stage,
            "stage_label": instance.stage_label}
