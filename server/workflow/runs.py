"""Loading an instance, or one detached part of it, for a step: locks, specs and calendars.

Every writer of an instance locks its row first (``lock_instance``; PostgreSQL
``FOR UPDATE``, SQLite serialises writers), so parts need no lock of their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, undefer

from server.calendar.store import calendar_for
from server.errors import Conflict, NotFound
from server.workflow.engine import Run
from server.workflow.models import PART_RUNNING, InstancePart, ProcessDefinition, ProcessInstance


def spec_key(definition: ProcessDefinition) -> str:
    return f"{definition.id}:{definition.checksum}"


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Load an instance for writing; other writers wait (PostgreSQL row lock).

    The main workflow's state is not read here (a step in a part never needs it);
    ``load_run`` reads it when it is.
    """
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    )
    if instance is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    return instance


def _calendar_of(instance: ProcessInstance) -> Any:
    session = object_session(instance)
    return (lambda: calendar_for(session)) if session is not None else None


def load_run(instance: ProcessInstance) -> Run:
    """The instance's main workflow."""
    definition = instance.definition
    return Run.load(spec_key(definition), lambda: definition.spec_json, instance.engine_state,
                    calendar=_calendar_of(instance))


def load_part(session: Session, part_id: int) -> InstancePart:
    part = session.scalar(
        select(InstancePart).options(undefer(InstancePart.engine_state)).where(InstancePart.id == part_id)
    )
    if part is None:
        raise NotFound(f"instance part {part_id} does not exist")
    return part


def load_part_run(instance: ProcessInstance, part: InstancePart) -> Run:
    """One detached body of the instance (the instance row must be locked by the caller)."""
    if part.state != PART_RUNNING:
        raise Conflict("this part of the process has already ended")
    definition = instance.definition
    return Run.load_part(spec_key(definition), lambda: definition.spec_json, part.engine_task_id,
                         part.spec_name, part.engine_state, calendar=_calendar_of(instance))
