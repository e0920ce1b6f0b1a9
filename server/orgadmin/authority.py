"""Who may change the organisation: an ``org_admin`` of the unit or of a unit above it.

A person's record (name, positions, transfer, deactivation) is changed by an ``org_admin``
over **every** unit where the person holds a position now (the rule of the accounts,
``server.accounts.people``): a branch's administrator cannot rename or move the district
leader who sits in his branch as an ordinary member. A person holding no position is in the
care of the administrators of a root unit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Forbidden, Invalid
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter

MAX_REASON = 500


def admin_paths(session: Session, person_id: int) -> list[str]:
    """Paths of the units where the person is an ``org_admin`` now."""
    return list(session.scalars(
        select(OrgUnit.path).join(Position, Position.org_unit_id == OrgUnit.id)
        .where(Position.person_id == person_id, Position.role == "org_admin", active_position_filter())))


def check_any_admin(session: Session, actor: Person) -> list[str]:
    paths = admin_paths(session, actor.id)
    if not paths:
        raise Forbidden("only an org_admin may change the organisation")
    return paths


def is_over(paths: list[str], unit: OrgUnit) -> bool:
    return any(unit.path.startswith(prefix) for prefix in paths)


def check_admin_over(session: Session, actor: Person, unit: OrgUnit, field: str = "org_unit") -> list[str]:
    paths = check_any_admin(session, actor)
    if not is_over(paths, unit):
        raise Forbidden(f"only an org_admin of {unit.name} or of a unit above it may do this",
                        [{"field": field, "message": "not in your care"}])
    return paths


def check_admin_over_person(session: Session, actor: Person, person: Person) -> list[str]:
    paths = check_any_admin(session, actor)
    held = session.execute(
        select(Position.role, OrgUnit.path).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.person_id == person.id, active_position_filter())).all()
    if not held:
        covered = any(prefix.count("/") == 2 for prefix in paths)
    else:
        covered = all(any(path.startswith(prefix) and not (role == "org_admin" and path == prefix)
                          for prefix in paths) for role, path in held)
    if not covered:
        raise Forbidden(f"only an org_admin over every unit where {person.display_name} holds a position may "
                        "change this person", [{"field": "username", "message": "not in your care"}])
    return paths


def reason_text(reason: str | None, *, required: bool = True) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise Invalid("say why (reason): it goes into the audit trail", [{"field": "reason", "message": "required"}])
    if len(text) > MAX_REASON:
        raise Invalid(f"the reason is longer than {MAX_REASON} characters",
                      [{"field": "reason", "message": f"at most {MAX_REASON} characters"}])
    return text


def live_unit(unit: OrgUnit, field: str) -> OrgUnit:
    if unit.dissolved_at is not None:
        raise Invalid(f"{unit.name} ({unit.code}) has been dissolved", [{"field": field, "message": "dissolved"}])
    return unit
