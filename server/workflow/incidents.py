"""Incidents: a step that failed in a script or expression, kept for the instance's overseers.

A script that raises (anything: ``SystemExit`` included), runs longer than its limit or
needs more memory fails its step in the sandbox; the step's transaction is rolled back
and the caller (``server.requests.write`` for a person's action, the timer loop for a
timer) calls ``record`` in a transaction of its own. The same failure at the same element
of an open incident counts again instead of adding a row. The step that failed going through
resolves it: its task completed (``resolve(task_id=…)``), its timer fired (``resolve(job_id=…)``),
a retry; an instance that ends resolves all of its (``resolve_on_save``, a save hook).

Who sees them: the people who oversee the instance's unit (``server.access``: its
overseeing positions, an ``org_admin`` above it) and process designers. Who retries: an
overseer of the unit (``check_oversees``) or a designer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from server import audit, clock
from server.access import oversees, visible_unit_filter
from server.errors import Conflict, Forbidden, NotFound, StepFailed
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter
from server.workflow.engine import Snapshot
from server.workflow.models import JOB_FAILED, JOB_WAITING, Incident, ProcessDefinition, ProcessInstance, TimerJob
from server.workflow.runs import load_run, lock_instance
from server.workflow.saving import advance_and_save

OPEN, RESOLVED = "open", "resolved"
DESIGNER_ROLE = "designer"


def record(session: Session, failed: StepFailed) -> int | None:
    """Keep the failure (after its step was rolled back); returns the incident's id."""
    if failed.instance_id is None or session.get(ProcessInstance, failed.instance_id) is None:
        return None  # a start that failed: there is no instance to keep it on
    now = clock.now()
    incident = session.scalar(
        select(Incident).where(Incident.instance_id == failed.instance_id, Incident.state == OPEN,
                               Incident.element_id == failed.element_id,
                               Incident.error_class == failed.error_class).with_for_update())
    if incident is None:
        incident = Incident(instance_id=failed.instance_id, element_id=failed.element_id,
                            error_class=failed.error_class[:100], message=failed.reason[:4000],
                            cause=failed.cause, task_id=failed.task_id, job_id=failed.job_id,
                            occurrences=1, occurred_at=now, last_occurred_at=now, state=OPEN)
        session.add(incident)
        session.flush()
        audit.record(session, "incident.opened", actor=None, instance_id=failed.instance_id,
                     incident_id=incident.id, element_id=failed.element_id, error_class=failed.error_class)
    else:
        incident.occurrences += 1
        incident.last_occurred_at = now
        incident.message = failed.reason[:4000]
    failed.incident_id = incident.id
    for detail in failed.details:
        detail["incident_id"] = incident.id
    return incident.id


def resolve(session: Session, *, task_id: int | None = None, job_id: int | None = None) -> None:
    """The step failed before went through now: its task completed, or its timer fired."""
    match = Incident.task_id == task_id if task_id is not None else Incident.job_id == job_id
    session.execute(update(Incident).where(match, Incident.state == OPEN)
                    .values(state=RESOLVED, resolved_at=clock.now()).execution_options(synchronize_session=False))


def resolve_on_save(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    """Save hook: an instance that ended has nothing left to retry."""
    if snapshot.completed or instance.state != "running":
        session.execute(
            update(Incident).where(Incident.instance_id == instance.id, Incident.state == OPEN)
            .values(state=RESOLVED, resolved_at=clock.now()).execution_options(synchronize_session=False))


def is_designer(session: Session, person: Person) -> bool:
    return session.scalar(select(Position.id).where(
        Position.person_id == person.id, Position.role == DESIGNER_ROLE, active_position_filter()).limit(1)) is not None


def incident_dict(incident: Incident) -> dict[str, Any]:
    instance = incident.instance
    return {
        "id": incident.id, "instance_id": incident.instance_id, "element_id": incident.element_id,
        "error_class": incident.error_class, "message": incident.message, "cause": incident.cause,
        "task_id": incident.task_id, "occurrences": incident.occurrences, "state": incident.state,
        "occurred_at": incident.occurred_at.isoformat(), "last_occurred_at": incident.last_occurred_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "process_key": instance.definition.key, "version": instance.definition.version,
        "org_unit": instance.org_unit.code if instance.org_unit else None,
        "org_unit_name": instance.org_unit.name if instance.org_unit else None, "title": instance.title,
    }


def open_incidents(session: Session, person: Person) -> list[dict[str, Any]]:
    """The open incidents of the instances the caller oversees (all of them for a designer)."""
    stmt = (select(Incident).join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .options(joinedload(Incident.instance).joinedload(ProcessInstance.definition),
                     joinedload(Incident.instance).joinedload(ProcessInstance.org_unit))
            .where(Incident.state == OPEN).order_by(Incident.last_occurred_at.desc(), Incident.id.desc()).limit(500))
    if not is_designer(session, person):
        stmt = stmt.join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id).where(
            visible_unit_filter(session, person.id, overseers_only=True))
    return [incident_dict(i) for i in session.scalars(stmt)]


def may_see_incidents(session: Session, person: Person, instance: ProcessInstance) -> bool:
    """Whether the instance's page shows its incidents to ``person``."""
    if is_designer(session, person):
        return True
    unit_ok = session.scalar(select(OrgUnit.id).where(
        OrgUnit.id == instance.org_unit_id, visible_unit_filter(session, person.id, overseers_only=True)))
    return unit_ok is not None


def of_instance(session: Session, instance_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(Incident).where(Incident.instance_id == instance_id)
                           .order_by(Incident.id.desc()).limit(50))
    return [incident_dict(i) for i in rows]


def retry(session: Session, actor: Person, instance_id: int, incident_id: int) -> dict[str, Any]:
    """Try the failed step again (after a fix: a new version migrated to, data corrected).

    A timer's step: its job is armed again, due now, attempts reset (the timer loop fires
    it). An automatic step: the instance is advanced now, in this transaction. A task's
    completion: the task is open again; completing it is the retry (409 says so).
    """
    instance = lock_instance(session, instance_id)
    if not (is_designer(session, actor) or oversees(session, actor.id, instance.org_unit)):
        raise Forbidden(f"only the secretary of {instance.org_unit.name}, an org_admin above it or a "
                        "process designer may retry its incidents")
    incident = session.get(Incident, incident_id)
    if incident is None or incident.instance_id != instance.id:
        raise NotFound(f"instance {instance_id} has no incident {incident_id}")
    if incident.state != OPEN:
        raise Conflict(f"incident {incident_id} is already {incident.state}")
    if instance.state != "running":
        raise Conflict(f"the process is {instance.state}: nothing can be retried in it")
    outcome = _retry_step(session, actor, instance, incident)
    audit.record(session, "incident.retried", actor=actor, instance_id=instance.id, incident_id=incident.id,
                 element_id=incident.element_id, outcome=outcome)
    return {"incident": incident_dict(incident), "outcome": outcome}


def retry_incident(session: Session, actor: Person, incident_id: int) -> dict[str, Any]:
    """``retry`` by the incident's id alone (``POST /api/incidents/{id}/retry``)."""
    instance_id = session.scalar(select(Incident.instance_id).where(Incident.id == incident_id))
    if instance_id is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return retry(session, actor, instance_id, incident_id)


def _retry_step(session: Session, actor: Person, instance: ProcessInstance, incident: Incident) -> str:
    if incident.cause == "task":
        raise Conflict("the task whose completion failed is open again in its holder's inbox: completing it "
                       f"runs '{incident.element_id}' again")
    if incident.job_id is not None:
        job = session.get(TimerJob, incident.job_id)
        if job is not None and job.state in (JOB_WAITING, JOB_FAILED):
            job.state, job.attempts, job.retry_at, job.last_error = JOB_WAITING, 0, None, None
            job.due_at = min(job.due_at, clock.now())
            instance.error = None
            return "scheduled"
    advance_and_save(session, instance, instance.definition, load_run(instance), actor)
    incident.state, incident.resolved_at, incident.resolved_by_id = RESOLVED, clock.now(), actor.id
    return "resolved"
