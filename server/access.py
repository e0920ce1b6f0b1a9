"""Who may look into a unit's work: the overseeing roles and the one rule built on them."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from server.org.models import OrgUnit, Position
from server.org.tree import active_position_filter

# Roles that oversee a unit's work: they see every task and instance of it. Members,
# activists and masses representatives see only what is theirs or offered to them.
OVERSEER_ROLES = ("secretary", "deputy_secretary", "committee_member", "org_admin")


def visible_unit_filter(session: Session, person_id: int, *, overseers_only: bool = False) -> ColumnElement[bool]:
    """A condition on ``OrgUnit`` true for the units a person may look into.

    Units where she holds a position (with ``overseers_only``, an overseeing
    one); for an ``org_admin``, the whole subtree.
    """
    stmt = (
        select(Position.org_unit_id, Position.role, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.person_id == person_id, active_position_filter())
    )
    if overseers_only:
        stmt = stmt.where(Position.role.in_(OVERSEER_ROLES))
    positions = session.execute(stmt).all()
    if not positions:
        return false()
    unit_ids = {p.org_unit_id for p in positions}
    prefixes = {p.path for p in positions if p.role == "org_admin"}
    clauses: list[ColumnElement[bool]] = [OrgUnit.id.in_(unit_ids)]
    clauses += [OrgUnit.path.startswith(prefix) for prefix in prefixes]
    return or_(*clauses)


def can_see_unit(session: Session, person_id: int, unit_id: int, *, overseers_only: bool = False) -> bool:
    found = session.scalar(
        select(OrgUnit.id).where(
            OrgUnit.id == unit_id, visible_unit_filter(session, person_id, overseers_only=overseers_only)
        )
    )
    return found is not None
