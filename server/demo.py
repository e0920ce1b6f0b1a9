"""The demo organisation seeded into an empty database (``VANGUARD_DEMO=1``)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.activities.programmes import adopt
from server.auth import hash_password
from server.org.models import OrgUnit, Person, Position
from server.org.tree import add_unit

DEMO_PASSWORD = "demo"


@cache
def _demo_hash() -> str:
    # One hash for the shared demo password keeps seeding fast; real accounts get their own.
    return hash_password(DEMO_PASSWORD)


def is_empty(session: Session) -> bool:
    return (session.scalar(select(func.count(OrgUnit.id))) or 0) == 0


def _person(session: Session, username: str, name: str) -> Person:
    person = Person(username=username, display_name=name, password_hash=_demo_hash())
    session.add(person)
    return person


def _hold(session: Session, person: Person, unit: OrgUnit, role: str) -> None:
    session.add(Position(person=person, org_unit_id=unit.id, role=role))


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志宏"


def seed(session: Session) -> None:
    district = add_unit(session, "demo-district", "示范区委", "district")
    pc1 = add_unit(session, "demo-pc1", "第一党委", "party_committee", district)
    pc2 = add_unit(session, "demo-pc2", "第二党委", "party_committee", district)
    branches = [
        add_unit(session, "demo-branch1", "第一党支部", "branch", pc1),
        add_unit(session, "demo-branch2", "第二党支部", "branch", pc1),
        add_unit(session, "demo-branch3", "第三党支部", "branch", pc2),
    ]
    admin = _person(session, "admin", "区委组织部管理员")
    _hold(session, admin, district, "org_admin")
    designer = _person(session, "designer", "流程设计员")
    _hold(session, designer, district, "designer")
    leader = _person(session, "leader1", "第一党委书记")
    _hold(session, leader, pc1, "secretary")
    leader2 = _person(session, "leader2", "第二党委书记")
    _hold(session, leader2, pc2, "secretary")
    for i, branch in enumerate(branches, start=1):
        sec = _person(session, f"sec{i}", f"{branch.name}书记")
        _hold(session, sec, branch, "secretary")
        _hold(session, sec, branch, "member")
        contact = _person(session, f"contact{i}", f"{branch.name}联络员")
        _hold(session, contact, branch, "contact")
        _hold(session, contact, branch, "member")
    for n in range(1, 31):
        branch = branches[(n - 1) // 10]
        name = SURNAMES[n - 1] + GIVEN[n - 1]
        member = _person(session, f"m{n}", name)
        _hold(session, member, branch, "member")
    rep = _person(session, "rep1", "群众代表老周")
    _hold(session, rep, branches[0], "masses_rep")
    session.flush()
    # Activity ledgers (docs/activities.md): the first party committee adopted seed 000's
    # programmes, the second annex 6's (2/3/4 household visits a year by the unit's level).
    adopt(session, pc1, "seed-000")
    for programme in adopt(session, pc2, "annex-6"):
        if programme.code == "household_visits":
            programme.unit_quotas = {"demo-branch3": 3}
