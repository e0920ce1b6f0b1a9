"""An instance as its viewers see it: who may, and its open tasks and history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from inbox.queries import task_summary, with_working_days
from inbox.summaries import history_in_words
from server import audit
from server.access import can_see_unit
from server.errors import Forbidden, NotFound
from server.org.models import Person
from server.org.tree import unit_dict
from server.workflow.models import ProcessInstance


def get_visible_instance(session: Session, instance_id: int, viewer: Person) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    overseer = can_see_unit(session, viewer.id, instance.org_unit_id, overseers_only=True)
    if not overseer and instance.started_by_id != viewer.id and not _took_part(session, instance.id, viewer.id):
        raise Forbidden("you hold no position in this instance's organisation")
    return instance


def _took_part(session: Session, instance_id: int, person_id: int) -> bool:
    return session.scalar(
        select(Task.id).where(
            Task.instance_id == instance_id,
            (Task.assignee_id == person_id) | (Task.completed_by_id == person_id),
        ).limit(1)
    ) is not None


def instance_dict(session: Session, instance: ProcessInstance, *, full: bool = False) -> dict[str, Any]:
    definition = instance.definition
    result: dict[str, Any] = {
        "id": instance.id,
        "process_key": definition.key,
        "version": definition.version,
        "title": instance.title,
        "org_unit": unit_dict(instance.org_unit),
        "parent_id": instance.parent_id,
        "state": instance.state,
        "stage": instance.stage,
        "stage_label": instance.stage_label,
        "stage_label_en": next((s.get("label_en") for s in definition.stages if s["code"] == instance.stage), None),
        "stages": definition.stages,
        "started_by": instance.started_by.username if instance.started_by else None,
        "started_by_name": instance.started_by.display_name if instance.started_by else None,
        "started_at": instance.started_at.isoformat(),
        "updated_at": instance.updated_at.isoformat(),
        "completed_at": instance.completed_at.isoformat() if instance.completed_at else None,
    }
    if full:
        open_tasks = session.scalars(
            select(Task).where(Task.instance_id == instance.id, Task.state == OPEN).order_by(Task.id)
        ).all()
        result["open_tasks"] = with_working_days(session, [task_summary(t) for t in open_tasks])
        result["history"] = history_in_words(session, audit.history(session, instance.id))
    return result
