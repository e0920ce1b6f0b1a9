"""Issue 19 item 2: the quarterly selection as seed 001 (§6 and annex 3) asks, through the API.

Demo branch 1: 12 members, so one excellent member a quarter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.campaign.test_campaign_api import branch_members, complete, my_task, ok, one_task, tasks

MEMBERS = branch_members(1)


def _evaluate_all(as_user: Any, instance_id: int) -> None:
    for username in MEMBERS:
        client = as_user(username)
        task = next(t for t in tasks(client, scope="mine")
                    if t["element_id"] == "SelfAndPeerEvaluation" and t["instance_id"] == instance_id)
        complete(client, task, {"self_summary": f"{username} 的自我评价", "self_grade": "qualified", "peers": []})


def _past_notice(as_user: Any, fake_clock: Any, instance_id: int) -> None:
    until = datetime.fromisoformat(ok(as_user("sec1").get(f"/api/selections/{instance_id}"))["notice_until"])
    fake_clock.now = until.astimezone(UTC) + timedelta(hours=1)


def _propose_and_close(as_user: Any, fake_clock: Any, instance_id: int, member: str) -> None:
    sec1 = as_user("sec1")
    complete(sec1, one_task(sec1, "ProposeCandidates", scope="claimable"),
             {"candidates": [{"member": member, "reason": "承诺全部兑现，群众评价好"}]})
    _past_notice(as_user, fake_clock, instance_id)
    complete(sec1, one_task(sec1, "CloseNotice", scope="claimable"), {"note": "公示期满"})


def _feedback_all(as_user: Any, grades: dict[str, str]) -> None:
    sec1 = as_user("sec1")
    items = [{"member": u, "grade": grades.get(u, "affirmed"), "comment": f"对{u}的反馈意见"} for u in MEMBERS]
    complete(sec1, one_task(sec1, "GiveFeedback", scope="claimable"), {"feedback": items})
    for username in MEMBERS:
        client = as_user(username)
        complete(client, my_task(client, "AcknowledgeFeedback"), {"acknowledged": True})


def test_a_returned_filing_can_change_the_candidates_and_objectors_see_the_outcome(as_user, fake_clock):
    """Seed 001 annex 3 §3: "公示无异议后报上级党组织备案" — when the superior returns the
    filing, the branch may propose other candidates (and notice them again), not only reword
    its report; an objector sees how his objection was resolved ("群众意见")."""
    sec1, leader1 = as_user("sec1"), as_user("leader1")
    instance_id = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1"}), 201)["instance"]["id"]
    _evaluate_all(as_user, instance_id)
    complete(sec1, one_task(sec1, "ProposeCandidates", scope="claimable"),
             {"candidates": [{"member": "m1", "reason": "互评优秀最多"}]})
    url = f"/api/selections/{instance_id}/objections"
    ok(as_user("m5").post(url, json={"candidate": "m1", "reason": "走访记录不完整"}), 201)
    assert ok(as_user("m5").get(f"/api/selections/{instance_id}"))["my_objections"][0]["outcome"] is None
    _past_notice(as_user, fake_clock, instance_id)
    complete(sec1, one_task(sec1, "CloseNotice", scope="claimable"), {"note": "公示期满"})
    resolve = one_task(sec1, "ResolveObjections", scope="claimable")
    objection = ok(sec1.get(f"/api/tasks/{resolve['id']}"))["data"]["objections"][0]
    complete(sec1, resolve, {"resolutions": [{"objection_id": objection["objection_id"], "outcome": "dismissed",
                                              "reply": "经调查核实，走访记录齐全"}]})
    mine = ok(as_user("m5").get(f"/api/selections/{instance_id}"))["my_objections"]
    assert [(o["candidate"], o["outcome"], o["reply"]) for o in mine] == [
        ("m1", "dismissed", "经调查核实，走访记录齐全")]
    assert mine[0]["outcome_label"] == "经核实不属实，维持人选" and mine[0]["resolved_at"]
    assert ok(as_user("m6").get(f"/api/selections/{instance_id}"))["my_objections"] == []

    # Before any return, the filing cannot reopen the candidates.
    file = one_task(sec1, "FileRecord", scope="claimable")
    res = complete(sec1, file, {"report": "本季度推荐m1", "change_candidates": True}, 422)
    assert res["details"][0]["field"] == "change_candidates"
    complete(sec1, file, {"report": "本季度推荐m1为优秀党员"})
    complete(leader1, one_task(leader1, "ConfirmRecord", scope="claimable"),
             {"decision": "return", "reason": "m1的走访记录存在争议，请重新研究人选"})

    # After the return: other candidates, a new notice, then the filing is confirmed.
    complete(sec1, one_task(sec1, "FileRecord", scope="claimable"),
             {"report": "经支委会重新研究，改推荐m2", "change_candidates": True})
    _propose_and_close(as_user, fake_clock, instance_id, "m2")
    complete(sec1, one_task(sec1, "FileRecord", scope="claimable"), {"report": "本季度推荐m2为优秀党员"})
    complete(leader1, one_task(leader1, "ConfirmRecord", scope="claimable"), {"decision": "approve"})
    shown = ok(sec1.get(f"/api/selections/{instance_id}"))
    assert [(c["member"], c["status"]) for c in shown["candidates"]] == [("m2", "confirmed")]
    board = ok(as_user("m9").get("/api/org-units/demo-branch1/board"))["selections"]
    assert [c["member"] for c in board[0]["excellent_members"]] == ["m2"]


def test_poor_feedback_investigated_to_a_talk_and_members_selected_several_times(as_user, fake_clock):
    """Seed 001 annex 3 §4: "对表现较差群众意见较大的党员要及时调查核实，按照有关规定做出相应组织
    处理" — an investigation ending in a talk starts the must-talk; seed 001 §6: "对多次评选为
    优秀的党员要予以表扬，并作为表彰奖励的重要依据" — the count is kept and shown."""
    sec1, leader1 = as_user("sec1"), as_user("leader1")
    for quarter_start in (None, datetime(2026, 10, 9, 2, 0, tzinfo=UTC)):
        if quarter_start is not None:
            fake_clock.now = max(fake_clock.now, quarter_start)
        instance_id = ok(sec1.post("/api/selections", json={"org_unit": "demo-branch1"}), 201)["instance"]["id"]
        _evaluate_all(as_user, instance_id)
        _propose_and_close(as_user, fake_clock, instance_id, "m3")
        complete(sec1, one_task(sec1, "FileRecord", scope="claimable"), {"report": "本季度推荐m3为优秀党员"})
        complete(leader1, one_task(leader1, "ConfirmRecord", scope="claimable"), {"decision": "approve"})
        grades = {"m7": "investigate"} if quarter_start is None else {"m8": "investigate"}
        _feedback_all(as_user, grades)
        investigation = one_task(sec1, "InvestigateMember", scope="claimable")
        action = "talk" if quarter_start is None else "no_action"
        complete(sec1, investigation, {"findings": "经调查，群众反映基本属实", "action": action})

    must = ok(sec1.get("/api/talks?org_unit=demo-branch1&kind=must"))["items"]
    assert [(t["subject"]["username"], t["trigger"]) for t in must] == [("m7", "emerging_problem")]
    talk = ok(sec1.get(f"/api/talks/{must[0]['id']}"))
    assert talk["source"].startswith("selection:") and any(t["element_id"] == "PlanTalk" for t in talk["open_tasks"])

    board = ok(as_user("m9").get("/api/org-units/demo-branch1/board"))
    assert board["repeatedly_excellent"] == [{"member": "m3", "name": board["repeatedly_excellent"][0]["name"],
                                              "times": 2, "quarters": ["2026-Q3", "2026-Q4"]}]
    assert board["selections"][0]["excellent_members"][0]["times_selected"] == 2
    basis = {m["member"]: m for m in ok(as_user("rep1").get("/api/org-units/demo-branch1/member-basis"))["members"]}
    assert basis["m3"]["excellent"]["times"] == 2 and basis["m3"]["excellent"]["repeatedly"] is True
    assert basis["m4"]["excellent"] == {"times": 0, "this_year": 0, "quarters": [], "repeatedly": False}
