"""Who may do what with a talk: manage a branch's talks, take part, read the confidential record."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from server.access import visible_unit_filter
from server.errors import Forbidden, Invalid
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, holds_any
from server.talks.models import Talk, TalkConfidential
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


def viewable(session: Session, viewer: Person) -> ColumnElement[bool]:
    """Talks a person may see (not their confidential part): his own as a participant, those of
    the units where he holds a position, and those below where he is a secretary or org_admin."""
    above = session.scalars(
        select(OrgUnit.path).join(Position, Position.org_unit_id == OrgUnit.id)
        .where(Position.person_id == viewer.id, Position.role.in_(SUPERIOR_ROLES), active_position_filter())
    ).all()
    units = select(OrgUnit.id).where(or_(visible_unit_filter(session, viewer.id),
                                         *[OrgUnit.path.startswith(path) for path in above]))
    return or_(Talk.subject_id == viewer.id, Talk.talker_id == viewer.id, Talk.org_unit_id.in_(units))


def may_view(session: Session, person: Person, talk: Talk) -> bool:
    return session.scalar(select(Talk.id).where(Talk.id == talk.id, viewable(session, person))) is not None


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
