"""Issue 19 item 1: the selection's 10% quota on the branch's true membership (seed 001, annex 3).

Demo branch 1 has 12 members; a party group under it adds eight more (one of them, m1, is
registered in both), so the branch has 20 members, counted once each.
"""

from __future__ import annotations

from sqlalchemy import select

from tests.campaign.test_campaign_api import complete, launch, ok, one_task, progress, tasks
from tests.orgkit import hold

GROUP = [f"g{i}" for i in range(1, 8)]


def _add_unit(code: str, name: str, type_: str, parent: str) -> None:
    from server.database import db
    from server.org.models import OrgUnit
    from server.org.tree import add_unit

    with db.transaction() as s:
        add_unit(s, code, name, type_, s.scalar(select(OrgUnit).where(OrgUnit.code == parent)))


def _party_group_of_eight() -> None:
    _add_unit("demo-b1-g1", "第一党小组", "party_group", "demo-branch1")
    for username in GROUP:
        hold(username, "demo-b1-g1", "member")
    hold("m1", "demo-b1-g1", "member")  # registered in the branch and in its group: one member
    hold("m1", "demo-b1-g1", "group_leader")


def test_quota_is_never_above_ten_percent():
    """每次评选出的优秀党员不超过本党支部党员人数的10%: floor, no "at least one"."""
    from server.campaign.quota import quota

    assert [quota(n) for n in (0, 1, 3, 9, 10, 12, 19, 20, 29, 50)] == [0, 0, 0, 0, 1, 1, 1, 2, 2, 5]
    assert [quota(n, 5) for n in (10, 19, 20, 40)] == [0, 0, 1, 2]
    assert quota(50, 30) == 5  # a percentage above 10 is read as 10


def test_the_quota_counts_the_party_groups_and_so_do_coverage_and_raters(as_user, fake_clock):
    """Seed 001 annex 3 §2: "每次评选出的优秀党员不超过本党支部党员人数的10%". 本党支部党员 are the
    branch's members including those registered in its party groups: the quota, the talk
    coverage and the campaign's pledges and raters count the same people."""
    _party_group_of_eight()
    sec1 = as_user("sec1")
    started = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1"}), 201)
    assert started["selection"]["member_count"] == 19 and started["selection"]["quota"] == 1
    hold("g8", "demo-b1-g1", "member")
    fake_clock.now = fake_clock.now.replace(year=2026, month=10, day=1)  # the next quarter: a new round
    started = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1"}), 201)
    assert started["selection"]["member_count"] == 20 and started["selection"]["quota"] == 2
    evaluations = [t for t in tasks(sec1, process="excellent_member_selection")
                   if t["element_id"] == "SelfAndPeerEvaluation" and t["instance_id"] == started["instance"]["id"]]
    assert {"g1", "g8", "m1"} <= {t["assignee"] for t in evaluations} and len(evaluations) == 20

    # A group member may object to a candidate of his branch: he is one of its members.
    for username in sorted({t["assignee"] for t in evaluations}):
        client = as_user(username)
        task = next(t for t in tasks(client, scope="mine") if t["element_id"] == "SelfAndPeerEvaluation"
                    and t["instance_id"] == started["instance"]["id"])
        complete(client, task, {"self_summary": "本季度表现", "self_grade": "qualified", "peers": []})
    propose = one_task(sec1, "ProposeCandidates", scope="claimable")
    three = [{"member": u, "reason": "表现突出"} for u in ("m1", "m2", "g1")]
    res = complete(sec1, propose, {"candidates": three}, 422)
    assert "at most 2" in res["message"] and "20 members" in res["message"]
    complete(sec1, propose, {"candidates": three[:2]})
    url = f"/api/selections/{started['instance']['id']}/objections"
    ok(as_user("g3").post(url, json={"candidate": "m2", "reason": "服务记录不全"}), 201)

    # Talk coverage counts the same people (the secretary himself aside).
    covered = ok(sec1.get("/api/talks/coverage?org_unit=demo-branch1&period=2026H2"))
    assert covered["members"] == 19 and "g8" in {p["username"] for p in covered["uncovered"]}

    # The campaign's branch run: every one of the 20 pledges, and rates.
    launched = launch(as_user, unit="demo-pc1")
    row = progress(as_user("admin"), "demo-pc1", launched["campaign"]["id"])["demo-branch1"]
    assert row["members"] == 20
    from server.campaign.models import CampaignBranch
    from server.database import db

    with db.transaction() as s:
        run = s.scalar(select(CampaignBranch).where(CampaignBranch.campaign_id == launched["campaign"]["id"],
                                                    CampaignBranch.member_count == 20))
        assert run is not None and run.rater_count == 21  # and the masses representative rep1


def test_a_branch_under_ten_and_the_owning_organisations_rule(as_user, fake_clock):
    """"不超过本党支部党员人数的10%": a branch of five selects nobody (10% of 5 is less than one);
    where the seed leaves room (a lower share, what a small branch does) the organisation
    that owns the selection decides, and its branches follow the nearest setting."""
    _add_unit("demo-branch4", "第四党支部", "branch", "demo-pc2")
    hold("sec4", "demo-branch4", "secretary")
    for username in ("sec4", "s1", "s2", "s3", "s4"):
        hold(username, "demo-branch4", "member")
    sec4, leader2 = as_user("sec4"), as_user("leader2")

    rule = ok(sec4.get("/api/org-units/demo-branch4/selection-rule"))
    assert (rule["percent"], rule["small_branch"], rule["set_at"], rule["may_edit"]) == (10, "evaluate", None, False)
    assert rule["example"]["9"] == 0 and rule["example"]["10"] == 1

    started = ok(sec4.post("/api/selections", json={"org_unit": "demo-branch4"}), 201)
    assert (started["selection"]["member_count"], started["selection"]["quota"]) == (5, 0)
    for username in ("sec4", "s1", "s2", "s3", "s4"):
        client = as_user(username)
        task = next(t for t in tasks(client, scope="mine") if t["element_id"] == "SelfAndPeerEvaluation")
        complete(client, task, {"self_summary": "本季度表现", "self_grade": "qualified", "peers": []})
    propose = one_task(sec4, "ProposeCandidates", scope="claimable")
    res = complete(sec4, propose, {"candidates": [{"member": "s1", "reason": "表现突出"}]}, 422)
    assert "at most 0" in res["message"]
    complete(sec4, propose, {"candidates": [], "note": "支部党员不足10名，本季度只评议不评选"})

    # The party committee that owns its branches' selections sets its rule; a branch secretary may not.
    body = {"percent": 10, "small_branch": "no_round", "note": "党员不足10名的支部本季度不开展评选"}
    assert sec4.put("/api/org-units/demo-branch4/selection-rule", json=body).status_code == 403
    assert as_user("leader1").put("/api/org-units/demo-pc2/selection-rule", json=body).status_code == 403
    res = ok(leader2.put("/api/org-units/demo-pc2/selection-rule", json={**body, "percent": 11}), 422)
    assert res["details"][0]["field"] == "percent"
    res = ok(leader2.put("/api/org-units/demo-pc2/selection-rule", json={**body, "small_branch": "one"}), 422)
    assert res["details"][0]["field"] == "small_branch"
    assert ok(leader2.put("/api/org-units/demo-pc2/selection-rule", json=body))["set_at"]["code"] == "demo-pc2"
    rule = ok(sec4.get("/api/org-units/demo-branch4/selection-rule"))
    assert (rule["small_branch"], rule["set_at"]["code"]) == ("no_round", "demo-pc2")
    assert as_user("m1").get("/api/org-units/demo-branch4/selection-rule").status_code == 403

    fake_clock.now = fake_clock.now.replace(year=2026, month=10, day=1)
    res = ok(sec4.post("/api/selections", json={"org_unit": "demo-branch4"}), 409)
    assert "5 members" in res["message"] and res["details"][0]["rule"] == "small_branch"
    # The rule is the committee's; the district's org_admin may set a lower share for one branch.
    ok(as_user("admin").put("/api/org-units/demo-branch3/selection-rule",
                            json={"percent": 5, "small_branch": "evaluate"}))
    started = ok(as_user("sec3").post("/api/selections", json={"org_unit": "demo-branch3"}), 201)
    assert (started["selection"]["member_count"], started["selection"]["quota"]) == (12, 0)
