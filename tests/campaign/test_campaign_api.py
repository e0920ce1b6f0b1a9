"""The vanguard campaign through the HTTP API, as each role, in the demo district of three branches.

Branch 1 (sec1, contact1, m1..m10; masses representative rep1) goes through every stage;
branches 2 and 3 stay in mobilisation, so the roll-ups mix stages.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

TIMETABLE = {
    "mobilise": "2026-10-09",
    "pledge": "2026-10-16",
    "fulfil": "2026-11-30",
    "review": "2026-12-10",
    "appraisal": "2026-12-20",
    "commendation": "2026-12-31",
}
PLAN = {"theme": "科学发展，争做先锋", "carrier": "亮身份、作承诺、比奉献", "timetable": TIMETABLE}
GOOD = {"party_spirit": "excellent", "service": "excellent", "vanguard": "qualified"}
WEAK = {"party_spirit": "basically_qualified", "service": "basically_qualified", "vanguard": "qualified"}


# -- helpers (also used by the selection tests) --------------------------------------------------


def ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, (res.status_code, res.get_json())
    return res.get_json()


def wait_for_launch(client: Any, url: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = ok(client.get(url))
        if body["state"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def launch(as_user: Any, unit: str = "demo-district", user: str = "admin", **plan: Any) -> dict[str, Any]:
    body = ok(as_user(user).post("/api/campaigns", json={"org_unit": unit, **PLAN, **plan}), 202)
    assert body["launch"]["state"] == "pending"
    done = wait_for_launch(as_user(user), body["launch"]["url"])
    assert done["state"] == "done", done
    return {"campaign": body["campaign"], "launch": done}


def tasks(client: Any, **params: Any) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"scope": "all", "limit": 500, **params}.items())
    return ok(client.get(f"/api/tasks?{query}"))["items"]


def one_task(client: Any, element_id: str, **params: Any) -> dict[str, Any]:
    found = [t for t in tasks(client, **params) if t["element_id"] == element_id]
    assert len(found) == 1, [(t["element_id"], t["assignee"], t["org_unit"]["code"]) for t in found]
    return found[0]


def my_task(client: Any, element_id: str) -> dict[str, Any]:
    return one_task(client, element_id, scope="mine")


def complete(client: Any, task: dict[str, Any] | int, data: dict[str, Any], status: int = 200) -> Any:
    task_id = task if isinstance(task, int) else task["id"]
    return ok(client.post(f"/api/tasks/{task_id}/complete", json={"data": data}), status)


def branch_members(n: int) -> list[str]:
    """Demo branch n's members: its secretary, its contact person and ten members, by username."""
    return sorted([f"sec{n}", f"contact{n}"] + [f"m{i}" for i in range(10 * (n - 1) + 1, 10 * n + 1)])


def set_now(fake_clock: Any, iso: str) -> None:
    fake_clock.now = datetime.fromisoformat(iso).astimezone(UTC)


def lock_versions(ids: list[int]) -> dict[int, int]:
    from server.database import db
    from server.workflow.models import ProcessInstance

    with db.transaction() as s:
        return dict(s.execute(select(ProcessInstance.id, ProcessInstance.lock_version)
                              .where(ProcessInstance.id.in_(ids))).all())


def progress(client: Any, unit: str, campaign_id: int) -> dict[str, dict[str, Any]]:
    body = ok(client.get(f"/api/org-units/{unit}/campaign-progress?campaign={campaign_id}"))
    return {row["unit"]["code"]: row for row in body["units"]}


# -- the scenario ----------------------------------------------------------------------------------


def test_the_whole_campaign_in_a_district_of_three_branches(as_user, fake_clock, caplog):
    """Seeds 003/004, and issue 19 item 4: "党组织和党员公开承诺" (the branch pledges beside its
    members), "党（工）委对基层党组织…组织党员群众进行评议" (the branch itself is appraised),
    "推荐上级表彰" (commendation recommends upward), "集中检查…通报" (the year-end inspection and
    circular close the campaign)."""
    launched = launch(as_user)
    campaign_id = launched["campaign"]["id"]
    assert launched["launch"]["total"] == 3 and launched["launch"]["created"] == 3
    admin, sec1, leader1 = as_user("admin"), as_user("sec1"), as_user("leader1")
    plan = ok(admin.get(f"/api/campaigns/{campaign_id}"))
    assert plan["branches"] == 3 and plan["theme"] == PLAN["theme"]
    assert [s["code"] for s in plan["stages"]] == ["mobilise", "pledge", "fulfil", "review", "appraisal",
                                                   "commendation"]
    runs = ok(admin.get("/api/process-instances?process=vanguard_campaign_branch"))["items"]
    assert sorted(r["org_unit"]["code"] for r in runs) == ["demo-branch1", "demo-branch2", "demo-branch3"]
    assert {r["parent_id"] for r in runs} == {campaign_id} and {r["stage"] for r in runs} == {"mobilise"}
    branch1 = next(r["id"] for r in runs if r["org_unit"]["code"] == "demo-branch1")

    # Mobilise: the secretary records theme, carrier and the meeting.
    mobilise = one_task(sec1, "Mobilise", scope="claimable")
    assert mobilise["org_unit"]["code"] == "demo-branch1" and mobilise["due_at"].startswith("2026-10-09")
    meeting = {"theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28",
               "meeting_place": "党员活动室", "attendance": 12, "branch_pledge": "年内为辖区群众办实事十件"}
    res = complete(sec1, mobilise, {**meeting, "branch_pledge_deadline": "2027-01-15"}, 422)
    assert res["details"][0]["field"] == "branch_pledge_deadline"
    complete(sec1, mobilise, {**meeting, "branch_pledge_deadline": "2026-11-30"})
    assert ok(as_user("rep1").get("/api/org-units/demo-branch1/board"))["branch_pledge"]["content"] == \
        "年内为辖区群众办实事十件"
    drafts = [t for t in tasks(sec1, process="vanguard_campaign_branch") if t["element_id"] == "DraftPledge"]
    assert sorted(t["assignee"] for t in drafts) == branch_members(1)

    # One member's click touches his branch's instance only: not the campaign, not other branches.
    every = [campaign_id] + [r["id"] for r in runs]
    before = lock_versions(every)
    m1 = as_user("m1")
    draft = my_task(m1, "DraftPledge")
    assert draft["due_at"].startswith("2026-10-16")
    complete(m1, draft, {"content": "每月走访两户困难群众", "deadline": "2026-11-20"})
    after = lock_versions(every)
    assert [i for i in every if after[i] != before[i]] == [branch1]

    # A pledge past the fulfilment stage is refused where it is entered.
    m4 = as_user("m4")
    res = complete(m4, my_task(m4, "DraftPledge"), {"content": "年底前完成社区服务", "deadline": "2027-01-15"}, 422)
    assert [d["field"] for d in res["details"]] == ["deadline"]

    # The secretary returns m1's pledge with a reason; it goes back to m1, who revises it.
    review = one_task(sec1, "ReviewPledge", scope="claimable")
    complete(sec1, review, {"decision": "return", "reason": "请写明走访的具体对象"})
    again = my_task(m1, "DraftPledge")
    detail = ok(m1.get(f"/api/tasks/{again['id']}"))
    assert detail["data"]["reason"] == "请写明走访的具体对象"
    assert detail["form_schema"]["properties"]["content"]["title"] == "承诺内容"
    board = ok(as_user("m5").get("/api/org-units/demo-branch1/board"))
    assert board["pledges"] == []  # returned pledges are not published
    complete(m1, again, {"content": "每月走访两户困难群众（王大爷、李奶奶）", "deadline": "2026-11-20"})
    complete(sec1, one_task(sec1, "ReviewPledge", scope="claimable"), {"decision": "approve"})
    board = ok(as_user("rep1").get("/api/org-units/demo-branch1/board"))
    assert [(p["member"], p["content"]) for p in board["pledges"]] == [("m1", "每月走访两户困难群众（王大爷、李奶奶）")]
    assert board["branch"]["theme"] == "服务群众当先锋" and board["branch"]["stage"] == "pledge"

    # Everyone but m2 pledges; the secretary approves them all.
    for username in branch_members(1):
        if username in ("m1", "m2"):
            continue
        client = as_user(username)
        complete(client, my_task(client, "DraftPledge"), {"content": f"{username}：带头参加社区志愿服务",
                                                          "deadline": "2026-11-25"})
    for review in [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "ReviewPledge"]:
        complete(sec1, review, {"decision": "approve"})

    # After the pledge deadline m2 is overdue, in his inbox and in the roll-up.
    set_now(fake_clock, "2026-10-17T10:00:00+08:00")
    m2 = as_user("m2")
    late = ok(m2.get("/api/tasks?scope=mine&overdue=true"))["items"]
    assert [t["element_id"] for t in late] == ["DraftPledge"]
    rows = progress(admin, "demo-district", campaign_id)
    assert rows["demo-branch1"]["overdue_pledges"] == 1 and rows["demo-district"]["overdue_pledges"] == 1
    assert rows["demo-branch1"]["pledged"] == 11 and rows["demo-branch1"]["approved"] == 11
    assert rows["demo-district"]["overdue_tasks"] == 3  # m2's pledge and two branches not yet mobilised
    complete(m2, late[0], {"content": "补交：带头做好楼道保洁", "deadline": "2026-11-25"})
    complete(sec1, one_task(sec1, "ReviewPledge", scope="claimable"), {"decision": "approve"})
    assert progress(admin, "demo-branch1", campaign_id)["demo-branch1"]["overdue_pledges"] == 0

    # Fulfilment (践诺) by each member and the secretary's rating (评诺).
    set_now(fake_clock, "2026-11-21T10:00:00+08:00")
    for username in branch_members(1):
        client = as_user(username)
        task = my_task(client, "ReportFulfilment")
        complete(client, task, {"report": f"{username} 已按承诺完成", "completed_on": "2026-11-20"})
    for rating in [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "RateFulfilment"]:
        complete(sec1, rating, {"rating": "excellent", "comment": "兑现良好"})
    rows = progress(admin, "demo-district", campaign_id)
    assert {k: rows["demo-branch1"][k] for k in ("members", "pledged", "approved", "fulfilled", "rated")} == {
        "members": 12, "pledged": 12, "approved": 12, "fulfilled": 12, "rated": 12}
    assert rows["demo-branch1"]["run"]["stage"] == "review"
    # Issue 19 item 5: m1 reported on 21 November a pledge due on the 20th: flagged late, and shown
    # to raters and the commendation as 重要依据 (seeds 003/004: 践诺, 评诺).
    late = {p["member"]: p["fulfilment"]["late"] for p in ok(as_user("rep1").get(
        "/api/org-units/demo-branch1/board"))["pledges"]}
    assert late["m1"] is True and not any(v for k, v in late.items() if k != "m1")
    basis = {m["member"]: m for m in ok(as_user("rep1").get("/api/org-units/demo-branch1/member-basis"))["members"]}
    assert basis["m1"]["pledges"] == {"pledged": 1, "fulfilled": 1, "late": 1, "unfulfilled_past_deadline": 0,
                                      "ratings": {"excellent": 1}}
    assert basis["m5"]["pledges"]["late"] == 0 and len(basis) == 12

    # Leader review by the superior unit's secretary, with a comment on a member.
    assert as_user("sec2").get("/api/tasks?scope=claimable&process=vanguard_campaign_branch").get_json()[
        "total"] == 1  # only sec2's own mobilisation
    review = one_task(leader1, "LeaderReview", scope="claimable")
    bad = {"achievements": "承诺全部兑现", "problems": "个别党员承诺不够具体", "direction": "加强跟踪问效",
           "member_comments": [{"member": "m11", "comment": "不是本支部党员"}]}
    res = complete(leader1, review, bad, 422)
    assert res["details"][0]["field"] == "member_comments.0.member"
    complete(leader1, review, {**bad, "member_comments": [{"member": "m1", "comment": "走访扎实，值得肯定"}]})
    board = ok(as_user("m9").get("/api/org-units/demo-branch1/board"))
    assert board["leader_review"]["member_comments"] == [{"member": "m1", "comment": "走访扎实，值得肯定"}]

    # Mass appraisal: members and the masses representative rate every other member once.
    raters = branch_members(1) + ["rep1"]
    appraisals = [t for t in tasks(sec1, process="vanguard_campaign_branch") if t["element_id"] == "MassAppraisal"]
    assert sorted(t["assignee"] for t in appraisals) == sorted(raters)
    m1_task = my_task(m1, "MassAppraisal")
    others = [u for u in branch_members(1) if u != "m1"]
    res = complete(m1, m1_task, {"ratings": [{"member": u, **GOOD} for u in branch_members(1)]}, 422)
    assert any("rates himself" in d["message"] for d in res["details"])
    res = complete(m1, m1_task, {"ratings": [{"member": u, **GOOD} for u in others[:-1]]}, 422)
    assert res["details"][0]["field"] == "ratings" and others[-1] in res["details"][0]["message"]
    res = complete(m1, m1_task, {"ratings": [{"member": u, **GOOD} for u in others + ["m2"]]}, 422)
    assert any("more than once" in d["message"] for d in res["details"])
    for username in raters:
        client = as_user(username)
        members = [u for u in branch_members(1) if u != username]
        ratings = [{"member": u, **(WEAK if u == "m3" else GOOD)} for u in members]
        if username != raters[-1]:
            assert ok(client.get("/api/org-units/demo-branch1/board"))["appraisal"] is None  # not yet published
        grade = "qualified" if username == "rep1" else "excellent"  # 组织评议: the branch itself
        complete(client, my_task(client, "MassAppraisal"), {"ratings": ratings, "branch_grade": grade})
    complete(m1, m1_task, {"ratings": [{"member": u, **GOOD} for u in others]}, 409)  # a rater rates once

    # The ratings themselves never reach the engine, task rows or the audit trail.
    detail = ok(m1.get(f"/api/tasks/{m1_task['id']}"))
    assert "ratings" not in detail["data"]
    history = ok(admin.get(f"/api/process-instances/{branch1}"))["history"]
    assert not any("ratings" in (h["details"].get("data") or {}) for h in history)

    # Aggregated per member and published within the branch.
    board = ok(as_user("m7").get("/api/org-units/demo-branch1/board"))
    results = {r["member"]: r for r in board["appraisal"]["results"]}
    assert set(results) == set(branch_members(1))
    assert results["m1"]["raters"] == 12 and results["m1"]["overall"] == "excellent"
    assert results["m1"]["questions"]["party_spirit"]["excellent"] == 12
    assert results["m3"]["overall"] == "basically_qualified" and results["m3"]["needs_talk"] is True
    assert results["m3"]["votes"] == {"excellent": 0, "qualified": 12, "basically_qualified": 24, "unqualified": 0}
    assert as_user("m11").get("/api/org-units/demo-branch1/board").status_code == 403

    # Commendation by the superior unit, refused against the appraisal, then published.
    commend = one_task(leader1, "Commendation", scope="claimable")
    res = complete(leader1, commend, {"advanced_branch": True, "branch_citation": "承诺践诺扎实",
                                      "excellent_members": [{"member": "m3", "citation": "表现突出"}]}, 422)
    assert res["details"][0]["field"] == "excellent_members.0.member" and "基本合格" in res["details"][0]["message"]
    chosen = {"advanced_branch": True, "branch_citation": "承诺践诺扎实",
              "excellent_members": [{"member": "m1", "citation": "走访困难群众，兑现承诺"}]}
    res = complete(leader1, commend, {**chosen, "recommend_upward": [{"member": "m4", "reason": "未经本级表彰"}]}, 422)
    assert res["details"][0]["field"] == "recommend_upward"
    upward = [{"reason": "推荐为区级先进基层党组织"}, {"member": "m1", "reason": "推荐为区级优秀党员"}]
    with caplog.at_level(logging.WARNING, logger="vanguard.scripts"):
        done = complete(leader1, commend, {**chosen, "recommend_upward": upward})
    assert done["instance"]["state"] == "completed"
    # The must-talk it starts is named by the same data at every attempt (PostgreSQL draws a new
    # row id each time): its scripts replay outside the lock instead of running in place.
    assert not [r for r in caplog.records if r.name == "vanguard.scripts"]
    board = ok(as_user("m4").get("/api/org-units/demo-branch1/board"))
    assert [(c["kind"], c["member"]) for c in board["commendations"]] == [
        ("branch", None), ("member", "m1"), ("recommend_branch", None), ("recommend_member", "m1")]
    assert board["commendations"][2]["kind_label"] == "推荐上级表彰（党组织）"
    assert board["appraisal"]["organisation"] == {"votes": {"excellent": 12, "qualified": 1}, "raters": 13,
                                                  "overall": "excellent"}
    district_board = ok(admin.get("/api/org-units/demo-district/board"))
    assert len(district_board["commendations"]) == 4 and district_board["campaign"]["id"] == campaign_id
    # 受到表彰必谈 (seed 001 annex 4 §三（二）): the commendation starts m1's must-talk (issue 19 item 6).
    must = ok(sec1.get("/api/talks?org_unit=demo-branch1&kind=must"))["items"]
    assert ("m1", "commendation_or_punishment") in [(t["subject"]["username"], t["trigger"]) for t in must]

    # Roll-ups for every ancestor.
    rows = progress(admin, "demo-district", campaign_id)
    assert rows["demo-district"]["branches"] == 3 and rows["demo-district"]["completed"] == 1
    assert rows["demo-district"]["stages"] == {"completed": 1, "mobilise": 2}
    assert rows["demo-pc1"]["stages"] == {"completed": 1, "mobilise": 1}
    assert rows["demo-pc2"]["stages"] == {"mobilise": 1}
    assert rows["demo-district"]["members"] == 36
    for code in ("demo-district", "demo-pc1", "demo-branch1"):
        assert {k: rows[code][k] for k in ("pledged", "approved", "fulfilled", "rated", "appraised")} == {
            "pledged": 12, "approved": 12, "fulfilled": 12, "rated": 12, "appraised": 12}, code
    assert rows["demo-pc2"]["pledged"] == 0 and rows["demo-branch1"]["run"]["state"] == "completed"
    assert rows["demo-district"]["raters_done"] == 13
    leader_view = progress(leader1, "demo-pc1", campaign_id)
    assert set(leader_view) == {"demo-pc1", "demo-branch1", "demo-branch2"}
    assert leader1.get(f"/api/org-units/demo-district/campaign-progress?campaign={campaign_id}").status_code == 403

    # The district closes its campaign.
    close = one_task(admin, "CloseCampaign", scope="claimable")
    assert complete(admin, close, {"summary": "第一支部全部完成"}, 422)["details"]
    closing = {"summary": "第一支部全部完成", "inspection": "12月集中检查三个支部，第一支部台账齐全",
               "circular": "通报表扬第一党支部；第二、第三党支部进度滞后，限期整改"}
    assert complete(admin, close, closing)["instance"]["state"] == "completed"
    circular = ok(as_user("m25").get(f"/api/org-units/demo-branch3/board?campaign={campaign_id}"))["circular"]
    assert circular["circular"].startswith("通报表扬第一党支部") and circular["inspection"]
    assert ok(admin.get(f"/api/campaigns/{campaign_id}"))["summary"] == "第一支部全部完成"


def test_one_rating_per_rater_and_member_is_a_database_rule(app, as_user, fake_clock):
    from server.campaign.models import CampaignRating
    from server.database import db
    from server.org.models import Person
    from server.workflow.models import ProcessInstance

    campaign_id = launch(as_user)["campaign"]["id"]
    with db.transaction() as s:
        branch = s.scalar(select(ProcessInstance).where(ProcessInstance.parent_id == campaign_id))
        a, b = s.scalars(select(Person).where(Person.username.in_(["m1", "m2"])).order_by(Person.username))
        row = {"campaign_id": campaign_id, "branch_instance_id": branch.id, "org_unit_id": branch.org_unit_id,
               "rater_id": a.id, "ratee_id": b.id, "party_spirit": "excellent", "service": "excellent",
               "vanguard": "excellent"}
        s.add(CampaignRating(**row))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(CampaignRating(**row))


def test_launch_is_refused_with_reasons(as_user, fake_clock):
    admin = as_user("admin")
    res = as_user("sec1").post("/api/campaigns", json={"org_unit": "demo-district", **PLAN})
    assert res.status_code == 403
    res = admin.post("/api/campaigns", json={"org_unit": "demo-district", **PLAN,
                                             "timetable": {**TIMETABLE, "pledge": "2026-10-01"}})
    assert res.status_code == 422 and [d["field"] for d in res.get_json()["details"]] == ["timetable.pledge"]
    res = admin.post("/api/campaigns", json={"org_unit": "demo-district", "carrier": "x", "timetable": TIMETABLE})
    assert res.status_code == 422 and "theme" in res.get_json()["message"]
    res = admin.post("/api/campaigns", json={"org_unit": "demo-branch1", **PLAN})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "org_unit"
    res = admin.post("/api/campaigns", json={"org_unit": "demo-district", **PLAN, "target_unit_types": ["party_group"]})
    assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "target_unit_types"
    res = admin.post("/api/campaigns", json={**PLAN})
    assert res.status_code == 400 and res.get_json()["details"][0]["field"] == "org_unit"
    # A branch run is created by a launch only.
    res = admin.post("/api/process-instances", json={"process_key": "vanguard_campaign_branch",
                                                     "org_unit": "demo-branch1", "data": {}})
    assert res.status_code == 422
    assert ok(admin.get("/api/process-instances"))["total"] == 0


def test_generic_start_of_a_campaign_also_launches_it(as_user, fake_clock):
    admin = as_user("admin")
    started = ok(admin.post("/api/process-instances", json={
        "process_key": "vanguard_campaign", "org_unit": "demo-pc1", "data": PLAN}), 201)
    plan = ok(admin.get(f"/api/campaigns/{started['id']}"))
    done = wait_for_launch(admin, plan["launch"]["url"])
    assert done["state"] == "done" and done["total"] == 2 and done["created"] == 2
    rows = progress(admin, "demo-pc1", started["id"])
    assert rows["demo-pc1"]["branches"] == 2 and rows["demo-pc1"]["stages"] == {"mobilise": 2}
    # A plain member of a branch below sees the plan, not the launch of another district.
    assert as_user("m1").get(f"/api/campaigns/{started['id']}").status_code == 200
    assert as_user("m25").get(f"/api/campaigns/{started['id']}").status_code == 403


def test_launch_over_two_hundred_branches_runs_in_batches(app, as_user, fake_clock):
    from server.database import db
    from server.org.models import OrgUnit, Person, Position
    from server.org.tree import add_unit

    with db.transaction() as s:
        district = s.scalar(select(OrgUnit).where(OrgUnit.code == "demo-district"))
        big = add_unit(s, "big-pc", "第三党委", "party_committee", district)
        members = list(s.scalars(select(Person).where(Person.username.in_(["m1", "m2"]))))
        for i in range(200):
            branch = add_unit(s, f"big-branch-{i:03d}", f"第三党委第{i + 1}党支部", "branch", big)
            for person in members:
                s.add(Position(person_id=person.id, org_unit_id=branch.id, role="member"))
    admin = as_user("admin")
    res = admin.post("/api/campaigns", json={"org_unit": "big-pc", **PLAN})
    body = ok(res, 202)
    assert res.headers["Location"] == body["launch"]["url"]
    # The request only records the launch: the branches are created after it has answered.
    assert body["launch"]["total"] == 200 and body["launch"]["created"] == 0
    assert body["launch"]["state"] == "pending"
    # The server keeps answering while the launch runs.
    assert admin.get("/api/tasks/counts").status_code == 200
    done = wait_for_launch(admin, body["launch"]["url"])
    assert done == {**done, "state": "done", "done": True, "total": 200, "created": 200, "percent": 100}
    assert done["batches"] >= 4
    campaign_id = body["campaign"]["id"]
    from server.workflow.models import ProcessInstance

    with db.transaction() as s:
        children = s.scalars(select(ProcessInstance).where(ProcessInstance.parent_id == campaign_id)).all()
        assert len(children) == 200 and {c.stage for c in children} == {"mobilise"}
        assert len({c.org_unit_id for c in children}) == 200
    rows = progress(admin, "big-pc", campaign_id)
    assert rows["big-pc"]["branches"] == 200 and rows["big-pc"]["stages"] == {"mobilise": 200}
    assert rows["big-pc"]["members"] == 400 and len(rows) == 201
    assert ok(admin.get(f"/api/campaigns/{campaign_id}"))["launch"]["done"] is True


def test_a_launch_batch_is_idempotent(app, as_user, fake_clock):
    from server.campaign.launch import resume_launches, run_launch_batch
    from server.campaign.launch import wait_for_launch as wait_for_thread

    launched = launch(as_user)
    assert run_launch_batch(launched["launch"]["id"]) is False  # done stays done
    from server.campaign.models import CampaignLaunch
    from server.database import db

    with db.transaction() as s:
        row = s.get(CampaignLaunch, launched["launch"]["id"])
        row.state, row.cursor_unit_id = "running", 0  # as if the server stopped before recording its batch
    assert resume_launches() == [launched["launch"]["id"]]
    wait_for_thread(launched["launch"]["id"], timeout=120)
    admin = as_user("admin")
    assert ok(admin.get(launched["launch"]["url"]))["state"] == "done"
    assert ok(admin.get(launched["launch"]["url"]))["created"] == 3
    assert ok(admin.get("/api/process-instances?process=vanguard_campaign_branch"))["total"] == 3
