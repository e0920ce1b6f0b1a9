"""Issue 20: the roll-up's per-branch counters stay equal to a recount from the base tables.

A seeded random walk through the demo district's campaign (three branches, 36 members):
mobilisations, pledges, returns and approvals, fulfilment reports and ratings, members
transferred between branches, people withdrawn by an overseer, a branch run cancelled, the
clock moving past due dates. Every few steps, and at the end, every branch run's counters
(``campaign_branch_count`` and ``campaign_branch_due``) must equal the recount
(``server.campaign.recount``: the aggregate the roll-up ran before), and the roll-up the API
serves must equal the recount summed over each listed unit's subtree.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.campaign.test_campaign_api import complete, launch, ok, tasks

STEPS = 240
SUMMED = ("members", "pledged", "approved", "fulfilled", "rated", "appraised", "raters_done")


def _check(as_user: Any, campaign_id: int, clock_now: Any) -> None:
    from server.campaign import recount
    from server.campaign.models import CampaignBranch
    from server.database import db
    from server.org.models import OrgUnit

    with db.transaction() as s:
        assert recount.differences(s, campaign_id) == {}
        counters = recount.recount(s, campaign_id)
        paths = dict(s.execute(select(CampaignBranch.instance_id, OrgUnit.path)
                               .join(OrgUnit, OrgUnit.id == CampaignBranch.org_unit_id)
                               .where(CampaignBranch.campaign_id == campaign_id)).all())
        unit_paths = dict(s.execute(select(OrgUnit.code, OrgUnit.path)).all())
    late = recount.now_overdue(counters, clock_now)
    for unit in ("demo-district", "demo-pc1", "demo-pc2", "demo-branch1"):
        body = ok(as_user("admin").get(f"/api/org-units/{unit}/campaign-progress?campaign={campaign_id}"))
        for row in body["units"]:
            below = [i for i, p in paths.items() if p.startswith(unit_paths[row["unit"]["code"]])]
            expected = {k: sum(counters[i][k] for i in below) for k in SUMMED}
            expected["overdue_tasks"] = sum(late[i][0] for i in below)
            expected["overdue_pledges"] = sum(late[i][1] for i in below)
            expected["branches"] = len(below)
            assert {k: row[k] for k in expected} == expected, (unit, row["unit"]["code"])


def _member_of(as_user: Any) -> dict[str, str]:
    """Which branch each plain member (m1..m30) is in now."""
    from server.database import db
    from server.org.models import OrgUnit, Person, Position

    with db.transaction() as s:
        rows = s.execute(select(Person.username, OrgUnit.code).join(Position, Position.person_id == Person.id)
                         .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
                         .where(Position.role == "member", Position.end.is_(None), Person.username.like("m%"),
                                OrgUnit.type == "branch")).all()
    return dict(rows)


def test_counters_equal_a_recount_after_a_random_walk(as_user: Any, fake_clock: Any) -> None:
    rnd = random.Random(20)
    campaign_id = launch(as_user)["campaign"]["id"]
    admin = as_user("admin")
    cancelled: list[int] = []
    done = {"complete": 0, "return": 0, "transfer": 0, "withdraw": 0, "cancel": 0, "clock": 0}

    def complete_one() -> None:
        open_tasks = [t for t in tasks(admin, process="vanguard_campaign_branch") if t["element_id"] in FORMS]
        if not open_tasks:
            return
        task = rnd.choice(open_tasks)
        branch = task["org_unit"]["code"].removeprefix("demo-branch")
        user = task["assignee"] or f"sec{branch}"
        data = FORMS[task["element_id"]](rnd, fake_clock.now)
        res = as_user(user).post(f"/api/tasks/{task['id']}/complete", json={"data": data})
        if res.status_code == 200:
            done["return" if data.get("decision") == "return" else "complete"] += 1

    def transfer() -> None:
        where = _member_of(as_user)
        username = rnd.choice(sorted(where))
        target = rnd.choice([b for b in ("demo-branch1", "demo-branch2", "demo-branch3") if b != where[username]])
        ok(admin.post(f"/api/people/{username}/transfer", json={"to_unit": target, "reason": "工作调动"}))
        done["transfer"] += 1

    def withdraw() -> None:
        pledges = [t for t in tasks(admin, process="vanguard_campaign_branch")
                   if t["element_id"] in ("DraftPledge", "ReportFulfilment") and t["assignee"]]
        if pledges:
            task = rnd.choice(pledges)
            res = admin.post(f"/api/process-instances/{task['instance_id']}/withdraw",
                             json={"person": task["assignee"], "reason": "长期外出"})
            done["withdraw"] += res.status_code == 200

    def cancel() -> None:
        if cancelled:
            return
        runs = sorted({t["instance_id"] for t in tasks(admin, process="vanguard_campaign_branch")})
        if runs:
            run = rnd.choice(runs)
            ok(admin.post(f"/api/process-instances/{run}/cancel", json={"reason": "重复发起"}))
            cancelled.append(run)
            done["cancel"] += 1

    def tick() -> None:
        fake_clock.advance(hours=rnd.choice([6, 20, 30]))
        done["clock"] += 1

    actions: list[tuple[Callable[[], None], int]] = [
        (complete_one, 80), (transfer, 6), (withdraw, 4), (cancel, 1), (tick, 9)]
    for step in range(STEPS):
        action = rnd.choices([a for a, _w in actions], weights=[w for _a, w in actions])[0]
        action()
        if step % 40 == 39:
            _check(as_user, campaign_id, fake_clock.now)
    _check(as_user, campaign_id, fake_clock.now)
    assert done["complete"] > 50 and done["return"] > 5 and done["transfer"] > 3 and done["cancel"] == 1, done


def _draft(rnd: random.Random, now: Any) -> dict[str, Any]:
    return {"content": f"带头参加志愿服务 {rnd.randint(1, 99)}", "deadline": "2026-11-20"}


def _review(rnd: random.Random, now: Any) -> dict[str, Any]:
    if rnd.random() < 0.35:
        return {"decision": "return", "reason": "请写明服务对象"}
    return {"decision": "approve"}


def _report(rnd: random.Random, now: Any) -> dict[str, Any]:
    return {"report": "已按承诺完成", "completed_on": (now + timedelta(hours=8)).date().isoformat()}


def _rate(rnd: random.Random, now: Any) -> dict[str, Any]:
    return {"rating": rnd.choice(["excellent", "good", "fair"]), "comment": "兑现良好"}


def _mobilise(rnd: random.Random, now: Any) -> dict[str, Any]:
    return {"theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28",
            "meeting_place": "党员活动室", "attendance": 12}


FORMS: dict[str, Callable[[random.Random, Any], dict[str, Any]]] = {
    "Mobilise": _mobilise, "DraftPledge": _draft, "ReviewPledge": _review,
    "ReportFulfilment": _report, "RateFulfilment": _rate,
}


def test_the_upgrade_backfills_and_repair_fixes_counters(as_user: Any, fake_clock: Any) -> None:
    """What migration 0017 does to a database whose campaign is running (its backfill is the
    same recount), and what ``repair`` does to a counter that went wrong."""
    from sqlalchemy import delete, text, update

    from server.campaign import recount
    from server.campaign.rollup_models import CampaignBranchCount, CampaignBranchDue
    from server.database import db

    campaign_id = launch(as_user)["campaign"]["id"]
    sec1 = as_user("sec1")
    complete(sec1, [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "Mobilise"][0],
             _mobilise(random.Random(1), fake_clock.now))
    for username in ("m1", "m2", "m3"):
        client = as_user(username)
        draft = [t for t in tasks(client, scope="mine") if t["element_id"] == "DraftPledge"][0]
        complete(client, draft, _draft(random.Random(1), fake_clock.now))
    fake_clock.advance(days=30)
    with db.transaction() as s:
        # As a database before 0017: no counters. The migration's backfill statements, run again.
        s.execute(delete(CampaignBranchDue))
        s.execute(delete(CampaignBranchCount))
        assert len(recount.differences(s, campaign_id)) == 3
        for statement in _backfill_statements():
            s.execute(text(statement))
    with db.transaction() as s:
        assert recount.differences(s, campaign_id) == {}
        s.execute(update(CampaignBranchCount).values(pledged=CampaignBranchCount.pledged + 7))
    with db.transaction() as s:
        assert len(recount.repair(s, campaign_id)) == 3
    with db.transaction() as s:
        assert recount.differences(s, campaign_id) == {}
    _check(as_user, campaign_id, fake_clock.now)


def _backfill_statements() -> list[str]:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "alembic" / "versions" / "0017_campaign_rollup_counters.py"
    source = path.read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location("m0017", path)
    assert spec is not None and source
    statements: list[str] = []

    class Op:
        def __getattr__(self, name: str) -> Any:
            return (lambda sql: statements.append(sql)) if name == "execute" else (lambda *a, **k: None)

    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    module.op = Op()  # type: ignore[attr-defined]
    module.upgrade()
    return statements
