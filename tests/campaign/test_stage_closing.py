"""Stage deadlines that mean something (issue 16.1): the campaign and the selection never stall.

A member who never pledges, a rater who never rates, an evaluator who never evaluates: when
the stage's date passes the process stops waiting for them, records them (未承诺, 未参评,
未参加) in the ledger and on the board, and moves on. Time moves with FakeClock; the
scheduler's pass (``run_pending``) fires the closings as it would in production.
"""

from __future__ import annotations

from typing import Any

from server.workflow.scheduler import run_pending
from tests.campaign.test_campaign_api import (
    GOOD,
    branch_members,
    complete,
    launch,
    my_task,
    ok,
    one_task,
    set_now,
    tasks,
)

MEMBERS = branch_members(1)
RATERS = sorted(MEMBERS + ["rep1"])


def branch_run(as_user: Any) -> int:
    runs = ok(as_user("admin").get("/api/process-instances?process=vanguard_campaign_branch"))["items"]
    return next(r["id"] for r in runs if r["org_unit"]["code"] == "demo-branch1")


def mobilise(as_user: Any) -> None:
    sec1 = as_user("sec1")
    complete(sec1, one_task(sec1, "Mobilise", scope="claimable"),
             {"theme": "服务群众当先锋", "carrier": "党员责任区", "meeting_date": "2026-09-28",
              "meeting_place": "党员活动室", "attendance": 12})


def pledge(as_user: Any, members: list[str]) -> None:
    sec1 = as_user("sec1")
    for username in members:
        client = as_user(username)
        complete(client, my_task(client, "DraftPledge"), {"content": f"{username}：带头参加志愿服务",
                                                          "deadline": "2026-11-20"})
    for review in [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "ReviewPledge"]:
        complete(sec1, review, {"decision": "approve"})


def fulfil(as_user: Any, members: list[str]) -> None:
    sec1 = as_user("sec1")
    for username in members:
        client = as_user(username)
        complete(client, my_task(client, "ReportFulfilment"),
                 {"report": f"{username} 已按承诺完成", "completed_on": "2026-11-20"})
    for rating in [t for t in tasks(sec1, scope="claimable") if t["element_id"] == "RateFulfilment"]:
        complete(sec1, rating, {"rating": "excellent", "comment": "兑现良好"})


def review(as_user: Any) -> None:
    leader1 = as_user("leader1")
    complete(leader1, one_task(leader1, "LeaderReview", scope="claimable"),
             {"achievements": "承诺兑现", "problems": "个别党员未承诺", "direction": "加强督促"})


def appraise(as_user: Any, raters: list[str]) -> None:
    for username in raters:
        client = as_user(username)
        others = [u for u in MEMBERS if u != username]
        complete(client, my_task(client, "MassAppraisal"), {"ratings": [{"member": u, **GOOD} for u in others]})


def test_a_branch_reaches_commendation_when_a_member_never_pledges_and_a_rater_never_rates(as_user, fake_clock):
    launch(as_user)
    run = branch_run(as_user)
    mobilise(as_user)
    pledge(as_user, [m for m in MEMBERS if m != "m2"])

    # The pledge date passes: m2 is no longer waited for, recorded 未承诺; the others go on.
    set_now(fake_clock, "2026-10-16T23:00:00+08:00")
    run_pending()
    assert [t["assignee"] for t in tasks(as_user("sec1"), process="vanguard_campaign_branch")
            if t["element_id"] == "DraftPledge"] == ["m2"]
    set_now(fake_clock, "2026-10-17T00:00:05+08:00")
    run_pending()
    m2 = as_user("m2")
    assert ok(m2.get("/api/tasks?scope=mine"))["items"] == []
    board = ok(as_user("m5").get("/api/org-units/demo-branch1/board"))
    assert [(a["member"], a["name"], a["label"], a["cause"]) for a in board["absences"]] == [
        ("m2", "李芳", "未承诺", "deadline")]
    history = ok(as_user("admin").get(f"/api/process-instances/{run}"))["history"]
    withdrawn = [h for h in history if h["action"] == "instance.withdrawn"]
    assert [(h["details"]["person"], h["details"]["waiting_at"], h["details"]["cause"]) for h in withdrawn] == [
        ("m2", ["DraftPledge"], "deadline")]

    set_now(fake_clock, "2026-11-21T10:00:00+08:00")
    fulfil(as_user, [m for m in MEMBERS if m != "m2"])
    review(as_user)

    # Everyone but m3 rates; after the appraisal date the results publish (12 of 13 ≥ two thirds).
    appraise(as_user, [r for r in RATERS if r != "m3"])
    assert ok(as_user("m5").get("/api/org-units/demo-branch1/board"))["appraisal"] is None
    set_now(fake_clock, "2026-12-21T00:00:05+08:00")
    run_pending()
    board = ok(as_user("m5").get("/api/org-units/demo-branch1/board"))
    assert board["appraisal"]["published_at"] is not None and board["appraisal"]["decision"] is None
    assert {(a["member"], a["label"]) for a in board["absences"]} == {("m2", "未承诺"), ("m3", "未参评")}

    leader1 = as_user("leader1")
    done = complete(leader1, one_task(leader1, "Commendation", scope="claimable"),
                    {"advanced_branch": True, "branch_citation": "承诺践诺扎实",
                     "excellent_members": [{"member": "m1", "citation": "走访困难群众"}]})
    assert done["instance"]["state"] == "completed"
    rows = ok(as_user("admin").get("/api/org-units/demo-branch1/campaign-progress"))["units"]
    assert rows[0]["run"]["state"] == "completed"


def test_too_few_raters_leave_the_decision_to_the_superior_organisation(as_user, fake_clock):
    launch(as_user)
    mobilise(as_user)
    pledge(as_user, MEMBERS)
    set_now(fake_clock, "2026-11-21T10:00:00+08:00")
    fulfil(as_user, MEMBERS)
    review(as_user)
    appraise(as_user, RATERS[:8])  # 8 of 13: fewer than two thirds
    set_now(fake_clock, "2026-12-21T00:00:05+08:00")
    run_pending()
    board = ok(as_user("m5").get("/api/org-units/demo-branch1/board"))
    assert board["appraisal"] is None and len(board["absences"]) == 5
    leader1 = as_user("leader1")
    decide = one_task(leader1, "AppraisalShortfall", scope="claimable")
    assert decide["stage"] == "appraisal"
    res = complete(leader1, decide, {"decision": "void"}, 422)
    assert [d["field"] for d in res["details"]] == ["reason"]
    complete(leader1, decide, {"decision": "void", "reason": "参评不足三分之二，择期重新评议"})
    board = ok(as_user("m5").get("/api/org-units/demo-branch1/board"))
    assert board["appraisal"]["decision"] == "void" and board["appraisal"]["results"] == []
    commend = one_task(leader1, "Commendation", scope="claimable")
    res = complete(leader1, commend, {"advanced_branch": False,
                                      "excellent_members": [{"member": "m1", "citation": "走访困难群众"}]}, 422)
    assert "void" in res["details"][-1]["message"]
    complete(leader1, commend, {"advanced_branch": False, "excellent_members": []})


def test_the_secretary_closes_the_pledge_stage_early_with_a_reason(as_user, fake_clock):
    launch(as_user)
    run = branch_run(as_user)
    mobilise(as_user)
    pledge(as_user, [m for m in MEMBERS if m not in ("m2", "m4")])
    sec1 = as_user("sec1")
    url = f"/api/process-instances/{run}/close-stage"
    assert as_user("m5").post(url, json={"stage": "pledge", "reason": "提前结束"}).status_code == 403
    res = ok(sec1.post(url, json={"stage": "plege", "reason": "提前结束"}), 422)
    assert res["details"][0]["field"] == "stage"
    ok(sec1.post(url, json={"stage": "pledge"}), 422)
    body = ok(sec1.post(url, json={"stage": "pledge", "reason": "支部大会已提前召开，承诺阶段结束"}))
    assert sorted(w["person"] for w in body["withdrawn"]) == ["m2", "m4"]
    assert body["instance"]["stage"] == "fulfil"
    absences = ok(sec1.get("/api/org-units/demo-branch1/board"))["absences"]
    assert {(a["member"], a["cause"], a["reason"]) for a in absences} == {
        ("m2", "closed_early", "支部大会已提前召开，承诺阶段结束"),
        ("m4", "closed_early", "支部大会已提前召开，承诺阶段结束")}
    assert sec1.post(url, json={"stage": "pledge", "reason": "再次结束"}).status_code == 409


def test_a_selection_round_reaches_filing_when_a_member_never_evaluates(as_user, fake_clock):
    """Seed 001 annex 3: "每季度评选一次": one round a quarter, in its own quarter."""
    sec1, leader1 = as_user("sec1"), as_user("leader1")
    res = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1", "quarter": "2026-Q2"}), 422)
    assert res["details"] == [{"field": "quarter", "message": "a past quarter"}]
    res = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1", "quarter": "2026-Q4"}), 422)
    assert res["details"][0]["field"] == "quarter"
    started = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1"}), 201)
    instance_id = started["instance"]["id"]
    assert sec1.post("/api/selections", json={"org_unit": "demo-branch1"}).status_code == 409  # one a quarter
    for username in [m for m in MEMBERS if m != "m2"]:
        client = as_user(username)
        complete(client, my_task(client, "SelfAndPeerEvaluation"),
                 {"self_summary": f"{username} 的自我评价", "self_grade": "qualified", "peers": []})
    assert one_task(sec1, "SelfAndPeerEvaluation", scope="all")["assignee"] == "m2"
    # Five working days after 28 September 2026 (National Day in between): 12 October.
    set_now(fake_clock, "2026-10-13T00:00:05+08:00")
    run_pending()
    view = ok(sec1.get(f"/api/selections/{instance_id}"))
    assert [(a["member"], a["label"]) for a in view["absences"]] == [("m2", "未参加")]
    complete(sec1, one_task(sec1, "ProposeCandidates", scope="claimable"),
             {"candidates": [{"member": "m1", "reason": "互评优秀，带头作用明显"}]})
    set_now(fake_clock, "2026-10-21T10:00:00+08:00")
    complete(sec1, one_task(sec1, "CloseNotice", scope="claimable"), {"note": "公示期满，无异议"})
    complete(sec1, one_task(sec1, "FileRecord", scope="claimable"), {"report": "本季度评选情况：m2 未参加自评互评"})
    confirm = one_task(leader1, "ConfirmRecord", scope="claimable")
    assert confirm["instance_id"] == instance_id
    # Now in the fourth quarter, the third is over.
    res = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1", "quarter": "2026-Q3"}), 422)
    assert res["details"] == [{"field": "quarter", "message": "a past quarter"}]
