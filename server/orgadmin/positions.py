"""People and the positions they hold: create and edit a person, add or end a position, appoint
the new holder of a role in one action, and who held a role on a given day.

A position holds from ``start`` to ``end`` inclusive (open when null), as
``server.org.tree.active_position_filter`` reads it: ending a position on a day means that
day was the last. Ending a position (by an end date, an appointment, a transfer) returns the
role tasks its holder had claimed and no longer may to the pool of the role's holders now
(``inbox.oversight.return_unheld_claims``); tasks offered to the role follow the new holder at
once, since they are offered to (unit, role), not to a person.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from inbox.oversight import return_unheld_claims
from server import audit
from server.errors import Invalid, NotFound
from server.org.models import ROLES, OrgUnit, Person, Position
from server.org.tree import active_position_filter, person_by_username, unit_by_ref
from server.orgadmin.authority import (
    check_admin_over,
    check_admin_over_person,
    live_unit,
    reason_text,
)

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
UNUSABLE_PASSWORD = "!"
"""A new person's password hash that no password matches: an administrator's reset gives the first one."""
MEMBERSHIP_ROLES = ("member",)
"""A person is a member of one unit at a time (a branch or one of its party groups)."""


def today() -> date:
    """The day ``active_position_filter`` reads positions on."""
    return date.today()


def position_view(position: Position) -> dict[str, Any]:
    unit = position.org_unit
    return {"id": position.id, "person": position.person.username, "person_name": position.person.display_name,
            "org_unit": {"id": unit.id, "code": unit.code, "name": unit.name, "type": unit.type},
            "role": position.role, "start": position.start.isoformat() if position.start else None,
            "end": position.end.isoformat() if position.end else None, "active": _active(position, today())}


def _active(position: Position, day: date) -> bool:
    return (position.start is None or position.start <= day) and (position.end is None or position.end >= day)


def person_view(session: Session, person: Person) -> dict[str, Any]:
    positions = session.scalars(select(Position).where(Position.person_id == person.id)
                                .order_by(Position.start.is_(None).desc(), Position.start, Position.id)).all()
    return {"username": person.username, "display_name": person.display_name, "email": person.email,
            "active": person.active, "positions": [position_view(p) for p in positions]}


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise Invalid("a username is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                      [{"field": "username", "message": "not a username"}])
    return username


def check_display_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > 200:
        raise Invalid("a person needs a name of at most 200 characters",
                      [{"field": "display_name", "message": "required"}])
    return text


def check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"unknown role '{role}' (known: {', '.join(ROLES)})", [{"field": "role", "message": "unknown"}])
    return role


def _unit(session: Session, ref: int | str, field: str) -> OrgUnit:
    try:
        return unit_by_ref(session, ref)
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": field, "message": "unknown unit"}]) from exc


def other_membership(session: Session, person_id: int, unit_id: int, start: date | None,
                     end: date | None) -> Position | None:
    """An open membership of the person in another unit overlapping ``start..end`` (one branch at a time)."""
    return session.scalar(select(Position).where(
        Position.person_id == person_id, Position.role.in_(MEMBERSHIP_ROLES), Position.org_unit_id != unit_id,
        or_(Position.end.is_(None), start is None or Position.end >= start),  # type: ignore[arg-type]
        or_(Position.start.is_(None), end is None or Position.start <= end),  # type: ignore[arg-type]
    ).limit(1))


def create_person(session: Session, actor: Person, username: str, display_name: str, email: str | None,
                  unit_ref: int | str, role: str, start: date | None) -> dict[str, Any]:
    """A new person holding ``role`` in a unit; no usable password until an administrator resets one."""
    unit = live_unit(_unit(session, unit_ref, "org_unit"), "org_unit")
    check_admin_over(session, actor, unit)
    check_username(username)
    if session.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise Invalid(f"the username '{username}' is taken", [{"field": "username", "message": "taken"}])
    person = Person(username=username, display_name=check_display_name(display_name), email=email or None,
                    password_hash=UNUSABLE_PASSWORD, must_change_password=True)
    session.add(person)
    session.flush()
    session.add(Position(person_id=person.id, org_unit_id=unit.id, role=check_role(role), start=start))
    session.flush()
    audit.record(session, "person.created", actor=actor, person=username, org_unit=unit.code, role=role)
    return person_view(session, person)


def update_person(session: Session, actor: Person, username: str, display_name: str | None,
                  email: str | None) -> dict[str, Any]:
    person = person_by_username(session, username)
    check_admin_over_person(session, actor, person)
    changes: dict[str, Any] = {}
    if display_name is not None and display_name.strip() != person.display_name:
        changes["display_name"] = [person.display_name, check_display_name(display_name)]
        person.display_name = changes["display_name"][1]
    if email is not None and (email or None) != person.email:
        changes["email"] = [person.email, email or None]
        person.email = email or None
    if changes:
        audit.record(session, "person.changed", actor=actor, person=username, changes=changes)
    return person_view(session, person)


def get_person(session: Session, actor: Person, username: str) -> dict[str, Any]:
    person = person_by_username(session, username)
    check_admin_over_person(session, actor, person)
    return person_view(session, person)


def add_position(session: Session, actor: Person, username: str, unit_ref: int | str, role: str,
                 start: date | None, end: date | None, reason: str | None) -> dict[str, Any]:
    person = person_by_username(session, username)
    unit = live_unit(_unit(session, unit_ref, "org_unit"), "org_unit")
    check_admin_over(session, actor, unit)
    check_role(role)
    _check_dates(start, end)
    if not person.active:
        raise Invalid(f"{person.display_name} is no longer active", [{"field": "person", "message": "inactive"}])
    if role in MEMBERSHIP_ROLES:
        other = other_membership(session, person.id, unit.id, start, end)
        if other is not None:
            raise Invalid(f"{person.display_name} is a member of {other.org_unit.name} then: a member belongs to one "
                          "branch at a time (transfer him instead)",
                          [{"field": "org_unit", "message": "member elsewhere"}])
    overlap = session.scalar(select(Position.id).where(
        Position.person_id == person.id, Position.org_unit_id == unit.id, Position.role == role,
        or_(Position.end.is_(None), start is None or Position.end >= start),  # type: ignore[arg-type]
        or_(Position.start.is_(None), end is None or Position.start <= end)).limit(1))  # type: ignore[arg-type]
    if overlap is not None:
        raise Invalid(f"{person.display_name} already holds '{role}' in {unit.name} in that period",
                      [{"field": "role", "message": "already held"}])
    position = Position(person_id=person.id, org_unit_id=unit.id, role=role, start=start, end=end)
    session.add(position)
    session.flush()
    audit.record(session, "position.started", actor=actor, person=username, org_unit=unit.code, role=role,
                 start=_iso(start), end=_iso(end), reason=reason_text(reason, required=False) or None)
    return position_view(position)


def _check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise Invalid("the end date is before the start date", [{"field": "end", "message": "before start"}])


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def end_position(session: Session, actor: Person, position_id: int, end: date, reason: str | None) -> dict[str, Any]:
    """``PATCH /api/positions/{id}``: the last day of a position; claims it no longer covers go back to the pool."""
    position = session.get(Position, position_id)
    if position is None:
        raise NotFound(f"position {position_id} does not exist")
    check_admin_over(session, actor, position.org_unit)
    why = reason_text(reason)
    _check_dates(position.start, end)
    previous = position.end
    close(session, actor, position, end, why)
    audit.record(session, "position.ended", actor=actor, person=position.person.username,
                 org_unit=position.org_unit.code, role=position.role, end=end.isoformat(), previous_end=_iso(previous),
                 reason=why)
    return position_view(position)


def close(session: Session, actor: Person | None, position: Position, end: date, reason: str) -> list[int]:
    """Set the last day of a position; the ids of the tasks returned to the pool."""
    position.end = end
    session.flush()
    return return_unheld_claims(session, position.person, actor, reason)


def appoint(session: Session, actor: Person, unit_ref: int | str, username: str, role: str,
            start: date | None, reason: str | None) -> dict[str, Any]:
    """One action: the current holders of ``role`` in the unit hold it until the day before
    ``start`` (default today), ``username`` holds it from ``start``."""
    unit = live_unit(unit_by_ref(session, unit_ref), "org_unit")
    check_admin_over(session, actor, unit)
    check_role(role)
    why = reason_text(reason)
    person = person_by_username(session, username)
    if not person.active:
        raise Invalid(f"{person.display_name} is no longer active", [{"field": "person", "message": "inactive"}])
    begin = start or today()
    current = session.scalars(select(Position).where(
        Position.org_unit_id == unit.id, Position.role == role,
        or_(Position.end.is_(None), Position.end >= begin),
        or_(Position.start.is_(None), Position.start <= begin))).all()
    if any(p.person_id == person.id for p in current):
        raise Invalid(f"{person.display_name} already holds '{role}' in {unit.name}",
                      [{"field": "person", "message": "already the holder"}])
    ended, returned = [], []
    for old in current:
        # one appointed on the same day is replaced that day: it was never held
        last = begin - timedelta(days=1) if old.start is None or old.start < begin else old.start - timedelta(days=1)
        returned += close(session, actor, old, last, why)
        ended.append(position_view(old))
    position = Position(person_id=person.id, org_unit_id=unit.id, role=role, start=begin)
    session.add(position)
    session.flush()
    audit.record(session, "position.appointed", actor=actor, org_unit=unit.code, role=role, person=username,
                 start=begin.isoformat(), ended=[p["person"] for p in ended], returned_tasks=returned, reason=why)
    return {"position": position_view(position), "ended": ended, "returned_tasks": returned}


def holders_on(session: Session, actor: Person, unit_ref: int | str, role: str, day: date) -> dict[str, Any]:
    """Who held ``role`` in the unit on ``day`` (audits ask it), with each appointment's dates."""
    unit = unit_by_ref(session, unit_ref)
    check_admin_over(session, actor, unit)
    check_role(role)
    positions = session.scalars(select(Position).where(
        Position.org_unit_id == unit.id, Position.role == role,
        and_(or_(Position.start.is_(None), Position.start <= day), or_(Position.end.is_(None), Position.end >= day)))
        .order_by(Position.start, Position.id)).all()
    return {"org_unit": {"id": unit.id, "code": unit.code, "name": unit.name, "type": unit.type}, "role": role,
            "on": day.isoformat(), "items": [position_view(p) for p in positions]}


def open_positions(session: Session, person_id: int) -> list[Position]:
    return list(session.scalars(select(Position).where(Position.person_id == person_id, active_position_filter())
                                .order_by(Position.id)))
