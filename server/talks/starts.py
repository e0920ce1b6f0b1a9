"""Starting talks: a member's request, a talk the secretary starts, and must-talks (八必谈)
that other parts of the platform trigger (the campaign's appraisal)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.forms import validate_form
from server import audit
from server.errors import Invalid
from server.org.models import OrgUnit, Person
from server.org.tree import unit_by_ref
from server.talks.models import Talk
from server.talks.permissions import (
    member_branch,
)
from server.talks.records import talk_of_instance
from server.talks.terms import (
    APPRAISAL_GRADES,
    KIND_LABELS,
    REQUEST_KEY,
    TALK_KEY,
    TRIGGERS,
)
from server.workflow.definitions import form_schema
from server.workflow.instances import start_instance
from server.workflow.models import ProcessDefinition

SERVER_KEYS = ("source",)
"""Start data only the server sets (never taken from a caller)."""


START_DEFAULTS = {
    REQUEST_KEY: {"requested_person": None},
    TALK_KEY: {"trigger": None, "talker": None, "scheduled_at": None, "place": None, "way": None, "note": None,
               "source": None},
}


def start_hook(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    """Whoever starts a talk (these routes, ``POST /api/process-instances``, the campaign): the
    start form is checked and every variable the process reads is present."""
    if actor is not None:
        data = {k: v for k, v in data.items() if k not in SERVER_KEYS}
    schema = form_schema(definition, definition.start_form)
    validate_form(schema, {k: v for k, v in data.items() if k not in SERVER_KEYS})
    data = {**START_DEFAULTS[definition.key], **data}
    if definition.key == REQUEST_KEY and actor is not None:
        data["member"] = actor.username  # who asked is the talk's member: the record's summary and card name him
    return data


def request_talk(session: Session, actor: Person, org_unit: int | str | None, data: dict[str, Any]) -> Talk:
    """A member asks for a talk with the secretary, a committee member or another member."""
    unit = unit_by_ref(session, org_unit) if org_unit not in (None, "") else member_branch(session, actor)
    instance = start_instance(
        session, process_key=REQUEST_KEY, org_unit=unit.id, data=data, actor=actor,
        title=f"约谈申请：{actor.display_name}",
    )
    return talk_of_instance(session, instance.id)


def start_talk(session: Session, actor: Person, org_unit: int | str, data: dict[str, Any]) -> Talk:
    """The secretary starts a must-talk (with its trigger), a periodic or a topical talk."""
    instance = start_instance(
        session, process_key=TALK_KEY, org_unit=unit_by_ref(session, org_unit).id, data=data, actor=actor,
        title=_talk_title(session, data),
    )
    return talk_of_instance(session, instance.id)


def _talk_title(session: Session, data: dict[str, Any]) -> str:
    subject = session.scalar(select(Person.display_name).where(Person.username == data.get("member")))
    label = KIND_LABELS.get(str(data.get("kind")), "谈话")
    trigger = TRIGGERS.get(str(data.get("trigger")))
    return f"{label}：{subject or data.get('member')}" + (f"（{trigger}）" if trigger else "")


def start_must_talk(
    session: Session,
    branch_unit: OrgUnit | int | str,
    member_username: str,
    trigger: str,
    actor: Person | None = None,
    *,
    source: str | None = None,
    note: str | None = None,
) -> Talk:
    """Start a must-talk (八必谈) by the system: the branch secretary gets "安排约谈".

    ``source`` names what caused it (e.g. ``campaign:12:appraisal:m3``); the same source
    starts at most one talk, so calling again returns the talk already started. ``actor``
    is recorded in the audit trail as the one whose action triggered it.
    """
    if trigger not in TRIGGERS:
        raise Invalid(f"unknown must-talk trigger '{trigger}' (known: {', '.join(TRIGGERS)})",
                      [{"field": "trigger", "message": "unknown trigger"}])
    if source:
        existing = session.scalar(select(Talk).where(Talk.source == source))
        if existing is not None:
            return existing
    unit = branch_unit if isinstance(branch_unit, OrgUnit) else unit_by_ref(session, branch_unit)
    data = {"kind": "must", "trigger": trigger, "member": member_username, "note": note, "source": source}
    instance = start_instance(session, process_key=TALK_KEY, org_unit=unit.id, data=data, actor=None,
                              title=_talk_title(session, data))
    audit.record(session, "talk.triggered", actor=actor, instance_id=instance.id, trigger=trigger,
                 member=member_username, source=source)
    return talk_of_instance(session, instance.id)


def on_appraisal_grade(
    session: Session,
    branch_unit: OrgUnit | int | str,
    member_username: str,
    grade: str,
    actor: Person | None = None,
    *,
    source: str | None = None,
) -> Talk | None:
    """The campaign's mass appraisal graded a member: "basically qualified" and "unqualified"
    start a must-talk for the branch secretary; other grades start nothing."""
    label = APPRAISAL_GRADES.get(grade)
    if label is None:
        return None
    return start_must_talk(session, branch_unit, member_username, "appraisal", actor,
                           source=source, note=f"民主评议结果：{label}")


def on_appraisal_results(
    session: Session,
    branch_unit: OrgUnit | int | str,
    results: list[dict[str, Any]],
    actor: Person | None = None,
    *,
    source_prefix: str,
) -> list[Talk]:
    """A branch's published appraisal: every member graded "basically qualified" or
    "unqualified", or with many such votes (``needs_talk``), gets a must-talk.

    ``results`` are ``{"member": username, "overall": grade, "needs_talk": bool}``; the
    source of each talk is ``f"{source_prefix}:{member}"``, so a repeated call starts nothing new.
    """
    started = []
    for result in results:
        grade = str(result.get("overall"))
        if grade not in APPRAISAL_GRADES and not result.get("needs_talk"):
            continue
        label = APPRAISAL_GRADES.get(grade)
        note = f"民主评议结果：{label}" if label else "民主评议中“基本合格”“不合格”票数较多"
        started.append(start_must_talk(session, branch_unit, str(result["member"]), "appraisal", actor,
                                       source=f"{source_prefix}:{result['member']}", note=note))
    return started
