"""Who may look into a unit: its work (tasks, instances) and its boards and ledgers.

Two rules, both here so that every capability asks the same question the same way:

* **the unit's work** (``visible_unit_filter``, ``can_see_unit``): people holding a
  position in the unit (with ``overseers_only``, an overseeing one: ``OVERSEER_ROLES``);
  an ``org_admin`` sees the whole subtree of his unit;
* **the unit's boards and ledgers** (``may_view_unit``): anyone holding a position in
  the unit or in a unit above it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from server.errors import Forbidden
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, people_holding

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


# A unit's campaign and selection boards and ledgers are read by more people than its work:
# anyone holding a position in the unit or in any unit above it (its leaders).


def may_view_unit(session: Session, person: Person, unit: OrgUnit) -> bool:
    """Anyone holding a position in the unit or in a unit above it (its leaders)."""
    found = session.scalar(
        select(Position.id).where(
            Position.person_id == person.id,
            Position.org_unit_id.in_(unit.ancestor_ids()),
            active_position_filter(),
        ).limit(1)
    )
    return found is not None


def check_may_view_unit(session: Session, person: Person, unit: OrgUnit) -> None:
    if not may_view_unit(session, person, unit):
        raise Forbidden(f"you hold no position in {unit.name} or a unit above it")


def unit_people(session: Session, viewer: Person, unit: OrgUnit, roles: list[str] | None) -> dict[str, Any]:
    """The people of a unit by name, for a person picker: whoever may view the unit's boards."""
    check_may_view_unit(session, viewer, unit)
    return {"items": [{"username": u, "name": n} for u, n in people_holding(session, unit.id, roles)]}


# Who may move a unit's stuck work (reassign, withdraw, cancel, suspend, close a stage early):
# the unit's own secretary or deputy secretary, and an ``org_admin`` of the unit or any unit above.

UNIT_OVERSEERS = ("secretary", "deputy_secretary")


def oversees(session: Session, person_id: int, unit: OrgUnit) -> bool:
    found = session.scalar(
        select(Position.id).where(
            Position.person_id == person_id,
            active_position_filter(),
            or_(
                (Position.org_unit_id == unit.id) & Position.role.in_(UNIT_OVERSEERS),
                Position.org_unit_id.in_(unit.ancestor_ids()) & (Position.role == "org_admin"),
            ),
        ).limit(1)
    )
    return found is not None


def check_oversees(session: Session, person: Person, unit: OrgUnit) -> None:
    if not oversees(session, person.id, unit):
        raise Forbidden(f"only the secretary of {unit.name} or an org_admin above it may do this")
