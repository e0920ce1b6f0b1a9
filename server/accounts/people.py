"""Whose account an administrator may act on, and the list of those people.

An ``org_admin`` acts on a person's account only if he is over **every** unit where the
person holds a position: a branch's administrator must not be able to reset the password
of a district leader who also sits in that branch as an ordinary member (seed 001 §三.2),
and then log in as him. Nor may he act on an ``org_admin`` of his own unit (a peer): only
one strictly above. A person who holds no position at all is in the care of the
administrators of a root unit.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.errors import Forbidden
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, person_by_username


def admin_paths(session: Session, admin_id: int) -> list[str]:
    """Paths of the units where ``admin_id`` is an ``org_admin`` now."""
    return list(session.scalars(
        select(OrgUnit.path).join(Position, Position.org_unit_id == OrgUnit.id)
        .where(Position.person_id == admin_id, Position.role == "org_admin", active_position_filter())
    ))


def _covered(held: list[tuple[str, str]], prefixes: list[str]) -> bool:
    """``held``: (role, unit path) of the person's positions."""
    if not prefixes:
        return False
    if not held:
        return any(prefix.count("/") == 2 for prefix in prefixes)  # "/<root id>/"
    return all(
        any(path.startswith(prefix) and not (role == "org_admin" and path == prefix) for prefix in prefixes)
        for role, path in held
    )


def _held(session: Session, person_ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    """person id -> (role, unit path, unit name) of the positions held now."""
    rows = session.execute(
        select(Position.person_id, Position.role, OrgUnit.path, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.person_id.in_(person_ids), active_position_filter())
        .order_by(Position.id)
    ).all()
    held: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for person_id, role, path, name in rows:
        held[person_id].append((role, path, name))
    return held


def managed_person(session: Session, admin: Person, username: str) -> Person:
    """The person named ``username`` if ``admin`` may act on her account (else 404 or 403)."""
    person = person_by_username(session, username)
    held = [(role, path) for role, path, _ in _held(session, [person.id]).get(person.id, [])]
    if not _covered(held, admin_paths(session, admin.id)):
        raise Forbidden(f"only an org_admin over every unit where {person.display_name} holds a position "
                        "may change this account", [{"field": "username", "message": "not in your care"}])
    return person


def account_dict(person: Person, held: list[tuple[str, str, str]], manageable: bool) -> dict[str, Any]:
    return {
        "username": person.username,
        "display_name": person.display_name,
        "positions": [{"role": role, "org_unit": name} for role, _, name in held],
        "active": person.active,
        "locked": person.locked_at is not None,
        "locked_at": person.locked_at.isoformat() if person.locked_at else None,
        "must_change_password": person.must_change_password,
        "password_changed_at": person.password_changed_at.isoformat() if person.password_changed_at else None,
        "manageable": manageable,
    }


def list_people(session: Session, admin: Person, q: str, limit: int, offset: int) -> dict[str, Any]:
    """People holding a position in the subtrees ``admin`` administers, by name; 403 for others."""
    prefixes = admin_paths(session, admin.id)
    if not prefixes:
        raise Forbidden("only an org_admin may manage accounts")
    in_subtree = (
        select(Position.person_id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(active_position_filter(), or_(*[OrgUnit.path.startswith(prefix) for prefix in prefixes]))
    )
    stmt = select(Person).where(Person.id.in_(in_subtree))
    text = q.strip()
    if text:
        plain = "".join(ch for ch in text if ch not in "\\%_")
        pattern = f"%{plain}%"
        stmt = stmt.where(or_(Person.username.ilike(pattern), Person.display_name.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    people = list(session.scalars(stmt.order_by(Person.username).limit(limit).offset(offset)))
    held = _held(session, [p.id for p in people])
    items = []
    for person in people:
        mine = held.get(person.id, [])
        items.append(account_dict(person, mine, _covered([(r, p) for r, p, _ in mine], prefixes)))
    return {"total": total, "items": items}
