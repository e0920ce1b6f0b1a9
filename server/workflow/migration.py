"""Moving running instances to a newly deployed version of their process (issue 16.5).

``POST /api/definitions/{key}/migrate {to_version?, instances?, dry_run}``: for every running
or suspended instance of the process on an older version (or only those named) that the
administrator oversees (``server.access.oversees``: an ``org_admin`` of its unit or above),
the engine checks that every element the instance — its main workflow and each running
detached body — is active at still exists in the new version
(``server.workflow.engine.migrate_state``). A dry run lists what would move and what
cannot, by element id; otherwise the instances that can move do, each in the one
transaction of the request: the new version's id, the moved states, a step of the engine
(a failed step reset by the move runs again), the stage and task rows saved as after any
step, and an ``instance.migrated`` audit row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.attributes import set_committed_value

from server import audit
from server.access import oversees
from server.errors import Forbidden, Invalid, NotFound
from server.org.models import Person, Position
from server.org.tree import active_position_filter
from server.workflow.definitions import get_latest
from server.workflow.engine import migrate_state
from server.workflow.models import PART_RUNNING, InstancePart, ProcessDefinition, ProcessInstance
from server.workflow.runs import load_run, lock_instance, spec_key
from server.workflow.saving import advance_and_save, write_instance


def _target(session: Session, key: str, version: int | None) -> ProcessDefinition:
    if version is None:
        return get_latest(session, key)
    found = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                           ProcessDefinition.version == version))
    if found is None:
        raise Invalid(f"'{key}' has no version {version}", [{"field": "to_version", "message": "no such version"}])
    return found


def migrate(session: Session, actor: Person, key: str, *, to_version: int | None = None,
            instance_ids: list[int] | None = None, dry_run: bool = True) -> dict[str, Any]:
    is_admin = session.scalar(select(Position.id).where(Position.person_id == actor.id, Position.role == "org_admin",
                                                        active_position_filter()).limit(1))
    if is_admin is None:
        raise Forbidden("only an org_admin moves running instances to another version")
    target = _target(session, key, to_version)
    stmt = (select(ProcessInstance.id).join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ProcessDefinition.key == key, ProcessInstance.state.in_(("running", "suspended")),
                   ProcessInstance.definition_id != target.id).order_by(ProcessInstance.id))
    if instance_ids:
        stmt = stmt.where(ProcessInstance.id.in_(instance_ids))
    report = []
    for instance_id in session.scalars(stmt).all():
        instance = lock_instance(session, instance_id)
        if not oversees(session, actor.id, instance.org_unit):
            continue
        report.append(_one(session, actor, instance, target, dry_run))
    if instance_ids:
        missing = sorted(set(instance_ids) - {r["id"] for r in report})
        if missing:
            raise NotFound(f"no running instance of '{key}' on another version that you oversee: "
                           f"{', '.join(map(str, missing))}")
    return {"process_key": key, "to_version": target.version, "dry_run": dry_run, "instances": report,
            "movable": sum(1 for r in report if not r["blocked"]),
            "blocked": sum(1 for r in report if r["blocked"])}


def _one(session: Session, actor: Person, instance: ProcessInstance, target: ProcessDefinition,
         dry_run: bool) -> dict[str, Any]:
    old = instance.definition
    old_key, new_key = spec_key(old), spec_key(target)
    main = migrate_state(old_key, lambda: old.spec_json, new_key, lambda: target.spec_json, instance.engine_state,
                         apply=not dry_run)
    parts = session.scalars(select(InstancePart).options(undefer(InstancePart.engine_state)).where(
        InstancePart.instance_id == instance.id, InstancePart.state == PART_RUNNING)).all()
    moved_parts = [(part, migrate_state(old_key, lambda: old.spec_json, new_key, lambda: target.spec_json,
                                        part.engine_state, spec_name=part.spec_name, apply=not dry_run))
                   for part in parts]
    active = sorted(set(main.active).union(*(m.active for _p, m in moved_parts)))
    blocked = sorted(set(main.blocked).union(*(m.blocked for _p, m in moved_parts)))
    entry = {"id": instance.id, "title": instance.title, "org_unit": instance.org_unit.name,
             "from_version": old.version, "active": active, "blocked": blocked, "moved": False}
    if dry_run or blocked:
        return entry
    assert main.state is not None
    for part, moved in moved_parts:
        assert moved.state is not None
        part.engine_state = moved.state
    write_instance(session, instance, {"definition_id": target.id, "engine_state": main.state})
    set_committed_value(instance, "definition", target)
    advance_and_save(session, instance, target, load_run(instance), actor)
    audit.record(session, "instance.migrated", actor=actor, instance_id=instance.id, from_version=old.version,
                 to_version=target.version, active=active)
    entry["moved"] = True
    return entry
