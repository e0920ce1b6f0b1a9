"""The organisation tree, positions, and resolving role expressions to people.

Role expressions (``secretary``, ``secretary@parent``, ``org_admin@district``,
``secretary|deputy_secretary``) are documented in docs/bpmn-authoring.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from server.errors import Invalid, NotFound
from server.org.models import ROLES, UNIT_TYPES, OrgUnit, Person, Position

_TERM = re.compile(r"^(?P<role>[a-z_]+)(?:@(?P<scope>[a-z_.]+))?$")


@dataclass(frozen=True)
class RoleTerm:
    role: str
    scope: str


def parse_role_expression(expr: str) -> list[RoleTerm]:
    """Parse ``a|b@scope``; raise ``ValueError`` naming what is wrong."""
    terms = []
    for raw in expr.split("|"):
        text = raw.strip()
        match = _TERM.match(text)
        if not match:
            raise ValueError(f"'{text}' is not a role expression like secretary or secretary@parent")
        role, scope = match.group("role"), match.group("scope") or "unit"
        if role not in ROLES:
            raise ValueError(f"unknown role '{role}' (known: {', '.join(ROLES)})")
        parts = scope.split(".")
        valid_scope = (
            scope in ("unit", "root")
            or scope in UNIT_TYPES
            or all(p == "parent" for p in parts)
        )
        if not valid_scope:
            raise ValueError(
                f"unknown scope '{scope}' (use unit, parent, parent.parent, root or a unit type: "
                f"{', '.join(UNIT_TYPES)})"
            )
        terms.append(RoleTerm(role, scope))
    return terms


def ancestors(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors and itself, root first."""
    ids = unit.ancestor_ids()
    by_id = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def resolve_scope(session: Session, unit: OrgUnit, scope: str) -> OrgUnit | None:
    if scope == "unit":
        return unit
    chain = ancestors(session, unit)
    if scope == "root":
        return chain[0]
    if scope in UNIT_TYPES:
        for candidate in reversed(chain):
            if candidate.type == scope:
                return candidate
        return None
    depth = len(scope.split("."))
    return chain[-1 - depth] if depth < len(chain) else None


def resolve_candidates(session: Session, unit: OrgUnit, expr: str) -> list[tuple[int, str]]:
    """(org unit id, role) pairs whose holders may claim a task of ``unit``."""
    pairs = []
    for term in parse_role_expression(expr):
        target = resolve_scope(session, unit, term.scope)
        if target is not None:
            pairs.append((target.id, term.role))
    return pairs


def active_position_filter(today: date | None = None) -> ColumnElement[bool]:
    today = today or date.today()
    return and_(
        or_(Position.start.is_(None), Position.start <= today),
        or_(Position.end.is_(None), Position.end >= today),
    )


def positions_of(session: Session, person_id: int) -> list[Position]:
    return list(
        session.scalars(
            select(Position)
            .where(Position.person_id == person_id, active_position_filter())
            .order_by(Position.id)
        )
    )


def holders(session: Session, unit_id: int, role: str) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(Position, Position.person_id == Person.id)
            .where(Position.org_unit_id == unit_id, Position.role == role, active_position_filter())
            .order_by(Person.username)
        )
    )


MEMBER_ROLES = ("member",)


def membership_filter(unit: OrgUnit) -> ColumnElement[bool]:
    """A condition on ``OrgUnit``: the unit itself and the party groups (党小组) under it."""
    return or_(OrgUnit.id == unit.id, and_(OrgUnit.path.startswith(unit.path), OrgUnit.type == "party_group"))


def members_of_branch(session: Session, unit: OrgUnit, roles: tuple[str, ...] = MEMBER_ROLES) -> list[Person]:
    """The members of a branch including those registered in its party groups, each once, by username.

    The one count of "本党支部党员人数": the selection's 10% quota, the campaign's pledges and
    raters and the talk coverage all read it (docs/campaign.md, docs/talks.md). ``roles``
    widens it (the talk subjects add ``activist``).
    """
    return list(
        session.scalars(
            select(Person)
            .join(Position, Position.person_id == Person.id)
            .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
            .where(membership_filter(unit), Position.role.in_(roles), active_position_filter())
            .order_by(Person.username)
            .distinct()
        )
    )


class BranchPerson(NamedTuple):
    """One person holding a role in a branch or one of its party groups (``people_of_branches``)."""

    id: int
    username: str
    display_name: str
    role: str


def people_of_branches(session: Session, units: list[OrgUnit], roles: tuple[str, ...]) -> dict[int, list[BranchPerson]]:
    """For many branches at once (a campaign launch's batch), in two queries: unit id → who holds
    one of ``roles`` in it or in one of its party groups, active positions only, by username (a
    person once per role). ``members_of_branch(unit, r)`` is the distinct people of roles ``r`` here."""
    if not units:
        return {}
    groups = session.execute(
        select(OrgUnit.id, OrgUnit.path)
        .where(OrgUnit.type == "party_group", or_(*[OrgUnit.path.startswith(u.path) for u in units]))
    ).all()
    owners: dict[int, set[int]] = {u.id: {u.id} for u in units}
    for group_id, group_path in groups:
        for unit in units:
            if group_path.startswith(unit.path):
                owners.setdefault(group_id, set()).add(unit.id)
    found: dict[int, set[BranchPerson]] = {u.id: set() for u in units}
    for unit_id, person_id, username, display_name, role in session.execute(
        select(Position.org_unit_id, Person.id, Person.username, Person.display_name, Position.role)
        .join(Position, Position.person_id == Person.id)
        .where(Position.org_unit_id.in_(list(owners)), Position.role.in_(roles), active_position_filter())
    ):
        for owner in owners[unit_id]:
            found[owner].add(BranchPerson(person_id, username, display_name, role))
    return {unit_id: sorted(people, key=lambda p: (p.username, p.role)) for unit_id, people in found.items()}


def is_branch_member(session: Session, person_id: int, unit: OrgUnit, roles: tuple[str, ...] = MEMBER_ROLES) -> bool:
    """Whether the person holds one of ``roles`` in the branch or one of its party groups."""
    found = session.scalar(
        select(Position.id)
        .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.person_id == person_id, membership_filter(unit), Position.role.in_(roles),
               active_position_filter())
        .limit(1)
    )
    return found is not None


def people_holding(session: Session, unit_id: int, roles: list[str] | None = None) -> list[tuple[str, str]]:
    """(username, display name) of the active people holding a position (one of ``roles``) in the unit."""
    stmt = (select(Person.username, Person.display_name).join(Position, Position.person_id == Person.id)
            .where(Position.org_unit_id == unit_id, active_position_filter(), Person.active.is_(True)))
    if roles:
        stmt = stmt.where(Position.role.in_(roles))
    return [(u, n) for u, n in session.execute(stmt.distinct().order_by(Person.display_name, Person.username))]


def holds_any(session: Session, person_id: int, pairs: list[tuple[int, str]]) -> bool:
    if not pairs:
        return False
    condition = or_(*[and_(Position.org_unit_id == u, Position.role == r) for u, r in pairs])
    found = session.scalar(
        select(Position.id).where(Position.person_id == person_id, active_position_filter(), condition)
    )
    return found is not None


def anyone_holds(session: Session, pairs: list[tuple[int, str]]) -> bool:
    """Whether any active position holds one of the (unit, role) pairs."""
    if not pairs:
        return False
    condition = or_(*[and_(Position.org_unit_id == u, Position.role == r) for u, r in pairs])
    return session.scalar(select(Position.id).where(active_position_filter(), condition).limit(1)) is not None


def unit_by_ref(session: Session, ref: int | str) -> OrgUnit:
    """Find a unit by id or code."""
    unit = None
    # An id is 32-bit; only ASCII digits make one (int() also reads "١٢", and "²" passes isdigit())
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit() and len(ref) <= 10):
        number = int(ref)
        unit = session.get(OrgUnit, number) if 0 < number < 2**31 else None
    if unit is None and isinstance(ref, str):
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == ref))
    if unit is None:
        raise NotFound(f"org unit '{ref}' does not exist")
    return unit


def person_by_username(session: Session, username: str) -> Person:
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        raise NotFound(f"person '{username}' does not exist")
    return person


def add_unit(
    session: Session, code: str, name: str, type_: str, parent: OrgUnit | None = None
) -> OrgUnit:
    if type_ not in UNIT_TYPES:
        raise Invalid(f"unknown unit type '{type_}'", [{"field": "type", "message": "unknown type"}])
    unit = OrgUnit(code=code, name=name, type=type_, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def unit_dict(unit: OrgUnit) -> dict[str, object]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "type": unit.type}
