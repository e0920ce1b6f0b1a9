"""Who may do what with a talk: manage a branch's talks, take part, read the record, read the
confidential part.

Who reads a talk record follows seed 001 annex 4 (docs/talks.md quotes it): the member and
the one who talked with him, the branch secretary — "谈心谈话活动第一责任人" — and his deputy,
and the organisation departments above that inspect the work ("各级组织部门……督查") and
receive its reports. The contact person ("专门联络人员") only arranges the time and place:
he sees the scheduling, never the topic, the record or the problem list. Other position
holders of the branch (members, masses representatives, committee members not talking,
secretaries of the units above) do not see a talk at all. The owner of a problem item
reads the talk that gave it to him, since he must act on it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from server.errors import Forbidden, Invalid
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, holds_any
from server.talks.models import Talk, TalkConfidential, TalkProblem
from server.talks.terms import (
    MANAGE_ROLES,
    SUBJECT_ROLES,
    SUPERIOR_ROLES,
)


def subtree_holds(session: Session, person_id: int, unit: OrgUnit, roles: tuple[str, ...]) -> bool:
    """True if the person holds one of ``roles`` in ``unit`` or a unit below it (a party group)."""
    found = session.scalar(
        select(Position.id)
        .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(
            Position.person_id == person_id,
            Position.role.in_(roles),
            OrgUnit.path.startswith(unit.path),
            active_position_filter(),
        )
        .limit(1)
    )
    return found is not None


def is_secretary(session: Session, person: Person, unit: OrgUnit) -> bool:
    return holds_any(session, person.id, [(unit.id, "secretary")])


def _org_admin_above(session: Session, person: Person, unit: OrgUnit) -> bool:
    return holds_any(session, person.id, [(uid, "org_admin") for uid in unit.ancestor_ids()])


def may_manage(session: Session, person: Person, unit: OrgUnit) -> bool:
    """The branch committee, and the secretaries and organisation staff of the units above."""
    pairs = [(unit.id, role) for role in MANAGE_ROLES]
    pairs += [(uid, role) for uid in unit.ancestor_ids() for role in SUPERIOR_ROLES]
    return holds_any(session, person.id, pairs)


def require_manage(session: Session, person: Person, unit: OrgUnit) -> None:
    if not may_manage(session, person, unit):
        raise Forbidden(f"only the branch committee of {unit.name} and the organisations above it may do this")


def is_participant(person: Person, talk: Talk) -> bool:
    return person.id in (talk.subject_id, talk.talker_id)


def may_read_confidential(session: Session, person: Person, talk: Talk) -> bool:
    """Only the two people who talked, the branch secretary and the organisation staff above."""
    unit = talk.org_unit
    return is_participant(person, talk) or is_secretary(session, person, unit) or _org_admin_above(
        session, person, unit
    )


RECORD_ROLES = ("secretary", "deputy_secretary")
"""In the talk's own branch: read every talk record of the branch."""
SCHEDULING_ROLES = ("contact",)
"""In the talk's own branch: see when and where a talk is arranged, nothing of what it is about."""


def _units_where(session: Session, viewer: Person, roles: tuple[str, ...]) -> list[int]:
    return list(session.scalars(
        select(Position.org_unit_id).where(Position.person_id == viewer.id, Position.role.in_(roles),
                                           active_position_filter())))


def _admin_paths(session: Session, viewer: Person) -> list[str]:
    return list(session.scalars(
        select(OrgUnit.path).join(Position, Position.org_unit_id == OrgUnit.id)
        .where(Position.person_id == viewer.id, Position.role == "org_admin", active_position_filter())))


def record_readable(session: Session, viewer: Person) -> ColumnElement[bool]:
    """Talks whose record ``viewer`` may read (not the confidential part: ``may_read_confidential``)."""
    units = select(OrgUnit.id).where(or_(OrgUnit.id.in_(_units_where(session, viewer, RECORD_ROLES)),
                                         *[OrgUnit.path.startswith(p) for p in _admin_paths(session, viewer)]))
    owned = select(TalkProblem.talk_id).where(TalkProblem.owner_id == viewer.id)
    return or_(Talk.subject_id == viewer.id, Talk.talker_id == viewer.id, Talk.org_unit_id.in_(units),
               Talk.id.in_(owned))


def viewable(session: Session, viewer: Person) -> ColumnElement[bool]:
    """Talks a person may see at all: those whose record he reads, and the scheduling of his branch's."""
    return or_(record_readable(session, viewer),
               Talk.org_unit_id.in_(_units_where(session, viewer, SCHEDULING_ROLES)))


def may_view(session: Session, person: Person, talk: Talk) -> bool:
    return session.scalar(select(Talk.id).where(Talk.id == talk.id, viewable(session, person))) is not None


def may_read_record(session: Session, person: Person, talk: Talk) -> bool:
    return session.scalar(select(Talk.id).where(Talk.id == talk.id, record_readable(session, person))) \
        is not None


def may_read_unit_records(session: Session, person: Person, unit: OrgUnit) -> bool:
    """Every talk record of ``unit``: its secretary and deputy, an org_admin of it or above."""
    pairs = [(unit.id, role) for role in RECORD_ROLES] + [(uid, "org_admin") for uid in unit.ancestor_ids()]
    return holds_any(session, person.id, pairs)


def require_unit_records(session: Session, person: Person, unit: OrgUnit) -> None:
    if not may_read_unit_records(session, person, unit):
        raise Forbidden(f"only the secretary and deputy secretary of {unit.name} and the organisation "
                        "department above read its talk records")


def read_confidential(session: Session, viewer: Person, talk: Talk) -> tuple[bool, str | None]:
    """(may ``viewer`` read the confidential part, the text or ``None``): the one way to read it."""
    if not may_read_confidential(session, viewer, talk):
        return False, None
    row = session.get(TalkConfidential, talk.id)
    return True, row.content if row else None


def member_branch(session: Session, person: Person) -> OrgUnit:
    units = list(
        session.scalars(
            select(OrgUnit)
            .join(Position, Position.org_unit_id == OrgUnit.id)
            .where(Position.person_id == person.id, Position.role.in_(SUBJECT_ROLES), active_position_filter())
            .order_by(OrgUnit.id)
        ).unique()
    )
    if len(units) != 1:
        raise Invalid(
            "say in which branch you ask for the talk (org_unit)" if units else "you are not a member of any branch",
            [{"field": "org_unit", "message": "required"}],
        )
    return units[0]
