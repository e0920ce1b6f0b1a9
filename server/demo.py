"""The demo organisation seeded into an empty database (``VANGUARD_DEMO=1``)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.activities.programmes import adopt
from server.auth import hash_password
from server.org.models import OrgUnit
from server.org.tree import add_unit
from server.orgadmin import roster

DEMO_PASSWORD = "demo"


@cache
def _demo_hash() -> str:
    # One hash for the shared demo password keeps seeding fast; real accounts get their own.
    return hash_password(DEMO_PASSWORD)


def is_empty(session: Session) -> bool:
    return (session.scalar(select(func.count(OrgUnit.id))) or 0) == 0


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志宏"


def seed(session: Session) -> None:
    """The tree through ``add_unit``, the people through the roster import (``server.orgadmin.roster``)."""
    district = add_unit(session, "demo-district", "示范区委", "district")
    pc1 = add_unit(session, "demo-pc1", "第一党委", "party_committee", district)
    pc2 = add_unit(session, "demo-pc2", "第二党委", "party_committee", district)
    branches = [
        add_unit(session, "demo-branch1", "第一党支部", "branch", pc1),
        add_unit(session, "demo-branch2", "第二党支部", "branch", pc1),
        add_unit(session, "demo-branch3", "第三党支部", "branch", pc2),
    ]
    session.flush()
    report = roster.Report()
    result = roster.apply(session, roster_rows(branches), report, actor=None, dry_run=False,
                          password_hash=_demo_hash())
    assert result["imported"], result["errors"]
    # Activity ledgers (docs/activities.md): the first party committee adopted seed 000's
    # programmes, the second annex 6's (2/3/4 household visits a year by the unit's level).
    adopt(session, pc1, "seed-000")
    for programme in adopt(session, pc2, "annex-6"):
        if programme.code == "household_visits":
            programme.unit_quotas = {"demo-branch3": 3}


def roster_rows(branches: list[OrgUnit]) -> list[roster.RosterRow]:
    """The demo's people, as the rows of a roster file."""
    rows = [("admin", "区委组织部管理员", "demo-district", ["org_admin"]),
            ("designer", "流程设计员", "demo-district", ["designer"]),
            ("leader1", "第一党委书记", "demo-pc1", ["secretary"]),
            ("leader2", "第二党委书记", "demo-pc2", ["secretary"])]
    for i, branch in enumerate(branches, start=1):
        rows.append((f"sec{i}", f"{branch.name}书记", branch.code, ["secretary", "member"]))
        rows.append((f"contact{i}", f"{branch.name}联络员", branch.code, ["contact", "member"]))
    for n in range(1, 31):
        rows.append((f"m{n}", SURNAMES[n - 1] + GIVEN[n - 1], branches[(n - 1) // 10].code, ["member"]))
    rows.append(("rep1", "群众代表老周", branches[0].code, ["masses_rep"]))
    return [roster.RosterRow(number, username, name, code, roles)
            for number, (username, name, code, roles) in enumerate(rows, start=2)]
