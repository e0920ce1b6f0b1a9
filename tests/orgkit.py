"""People and positions added to the demo organisation for a test."""

from __future__ import annotations

from sqlalchemy import select

from server.auth import hash_password
from server.database import db
from server.org.models import OrgUnit, Person, Position


def hold(username: str, unit_code: str, role: str) -> None:
    """``username`` (created with the password ``demo`` if new) holds ``role`` in the unit."""
    with db.transaction() as s:
        person = s.scalar(select(Person).where(Person.username == username))
        if person is None:
            person = Person(username=username, display_name=f"测试{username}", password_hash=_demo_hash())
            s.add(person)
            s.flush()
        unit = s.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
        assert unit is not None, unit_code
        s.add(Position(person_id=person.id, org_unit_id=unit.id, role=role))


_HASH: list[str] = []


def _demo_hash() -> str:
    if not _HASH:
        _HASH.append(hash_password("demo"))
    return _HASH[0]
