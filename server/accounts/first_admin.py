"""The first administrator of an empty production database (``python -m server create-admin``).

The demo seed gives everyone the password ``demo`` and refuses to run in production
(``server.config.forbid_in_production``); a real deployment starts with this instead: the
top unit and one ``org_admin`` holding it, whose password passes the same rules as any new
password (``server.accounts.passwords``). Everything else (units below, people, positions)
that administrator then sets up through the application. Audited as done by the system.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.accounts import passwords
from server.errors import Conflict, Invalid
from server.org.models import UNIT_TYPES, OrgUnit, Person, Position
from server.org.tree import add_unit


def create_first_admin(session: Session, username: str, password: str, *, unit_code: str, unit_name: str,
                       unit_type: str = "district", display_name: str | None = None) -> Person:
    """Create the top unit ``unit_code`` (or reuse it when it is a top unit already) and ``username``
    as its ``org_admin``. Refuses an existing username, a unit code used below the top, a weak password."""
    username, unit_code, unit_name = username.strip(), unit_code.strip(), unit_name.strip()
    name = (display_name or "").strip() or username
    if not username:
        raise Invalid("a username is needed", [{"field": "username", "message": "required"}])
    if session.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise Conflict(f"the user '{username}' exists already: nothing was created",
                       [{"field": "username", "message": "exists"}])
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
    if unit is not None and unit.parent_id is not None:
        raise Conflict(f"the unit '{unit_code}' exists below the top: give the code of a new top unit",
                       [{"field": "unit_code", "message": "not a top unit"}])
    if unit is None and (not unit_code or not unit_name):
        raise Invalid("the top unit needs a code and a name", [{"field": "unit_code" if not unit_code else "unit_name",
                                                                  "message": "required"}])
    if unit_type not in UNIT_TYPES:
        raise Invalid(f"unknown unit type '{unit_type}' (one of {', '.join(UNIT_TYPES)})",
                      [{"field": "unit_type", "message": "unknown type"}])
    problems = passwords.problems(password, username=username, names=(name, unit_name))
    if problems:
        raise Invalid("the password is not allowed: " + "; ".join(problems),
                      [{"field": "password", "message": message} for message in problems])
    created_unit = unit is None
    if unit is None:
        unit = add_unit(session, unit_code, unit_name, unit_type)
    person = Person(username=username, display_name=name, password_hash=passwords.hash_password(password),
                    password_changed_at=clock.now())
    session.add(person)
    session.add(Position(person=person, org_unit_id=unit.id, role="org_admin"))
    session.flush()
    audit.record(session, "account.first_admin_created", actor=None, person=username, unit=unit.code,
                 unit_created=created_unit, via="python -m server create-admin")
    return person
