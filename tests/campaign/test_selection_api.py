"""The quarterly excellent-member selection through the HTTP API, as each role (demo branch 1: 12 members)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.campaign.test_campaign_api import branch_members, complete, my_task, ok, one_task, tasks

MEMBERS = branch_members(1)


def start(as_user, user="sec1", **body):
    return ok(as_user(user).post("/api/selections", json={"org_unit": "demo-branch1", **body}), 201)


def test_the_quarterly_selection(as_user, fake_clock):
    sec1, leader1 = as_user("sec1"), as_user("leader1")
    assert as_user("m1").post("/api/selections", json={"org_unit": "demo-branch1"}).status_code == 403
    assert sec1.post("/api/selections", json={"org_unit": "demo-pc1"}).status_code == 403
    assert as_user("admin").post("/api/selections", json={"org_unit": "demo-pc1"}).status_code == 422
    started = start(as_user, quarter="2026-Q3")
    instance_id = started["instance"]["id"]
    assert started["selection"]["quota"] == 1 and started["selection"]["member_count"] == 12
    assert started["instance"]["stage"] == "evaluation"
    assert sec1.post("/api/selections", json={"org_unit": "demo-branch1", "quarter": "2026-Q3"}).status_code == 409

    # Self-evaluation and peer evaluation by every member.
    m1 = as_user("m1")
    task = my_task(m1, "SelfAndPeerEvaluation")
    mine = {"self_summary": "本季度带头完成社区服务", "self_grade": "excellent"}
    res = complete(m1, task, {**mine, "peers": [{"member": "m1", "grade": "excellent"}]}, 422)
    assert res["details"][0]["field"] == "peers.0.member"
    res = complete(m1, task, {**mine, "peers": [{"member": "m11", "grade": "qualified"}]}, 422)
    assert "not a member" in res["details"][0]["message"]
    for username in MEMBERS:
        client = as_user(username)
        peers = [{"member": "m1", "grade": "excellent", "comment": "带头作用明显"}] if username != "m1" else []
        complete(client, my_task(client, "SelfAndPeerEvaluation"),
                 {"self_summary": f"{username} 的自我评价", "self_grade": "qualified", "peers": peers})
    summary = {e["member"]: e for e in ok(sec1.get(f"/api/selections/{instance_id}"))["evaluations"]}
    assert summary["m1"]["peer"] == {"excellent": 11} and summary["m1"]["self_grade"] == "qualified"
    assert "evaluations" not in ok(as_user("m5").get(f"/api/selections/{instance_id}"))  # members see no peers

    # The 10% rule is enforced where the secretary proposes.
    propose = one_task(sec1, "ProposeCandidates", scope="claimable")
    res = complete(sec1, propose, {"candidates": [{"member": "m1", "reason": "互评优秀最多"},
                                                  {"member": "m2", "reason": "表现良好"}]}, 422)
    assert [d["field"] for d in res["details"]] == ["candidates"]
    assert "10%" in res["message"] and "at most 1" in res["message"]
    complete(sec1, propose, {"candidates": [{"member": "m1", "reason": "互评优秀最多，承诺全部兑现"}]})

    # Public notice: members and masses representatives see the candidate and may object.
    board = ok(as_user("rep1").get("/api/org-units/demo-branch1/board"))
    notice = board["selections"][0]
    assert notice["status"] == "notice" and [c["member"] for c in notice["candidates"]] == ["m1"]
    url = notice["objections_url"]
    ok(as_user("m5").post(url, json={"candidate": "m1", "reason": "走访记录不完整"}), 201)
    ok(as_user("rep1").post(url, json={"candidate": "m1", "reason": "群众反映服务态度一般"}), 201)
    assert as_user("m5").post(url, json={"candidate": "m1", "reason": "再提一次"}).status_code == 409
    assert as_user("m11").post(url, json={"candidate": "m1", "reason": "外支部"}).status_code == 403
    assert as_user("leader1").post(url, json={"candidate": "m1", "reason": "不是本支部"}).status_code == 403
    assert m1.post(url, json={"candidate": "m1", "reason": "自己"}).status_code == 422
    assert as_user("m6").post(url, json={"candidate": "m2", "reason": "不是候选人"}).status_code == 422

    # The notice cannot be closed before its working days have passed.
    close = one_task(sec1, "CloseNotice", scope="claimable")
    res = complete(sec1, close, {"note": "公示结束"}, 422)
    assert "5 working days" in res["message"]
    until = datetime.fromisoformat(ok(sec1.get(f"/api/selections/{instance_id}"))["notice_until"])
    assert until.date() > datetime(2026, 10, 5).date()  # the National Day holidays do not count
    fake_clock.now = until.astimezone(UTC) + timedelta(hours=1)
    assert as_user("m7").post(url, json={"candidate": "m1", "reason": "晚了"}).status_code == 409
    complete(sec1, close, {"note": "公示期满"})

    # Objections resolved by the secretary; objectors are not named to the process.
    resolve = one_task(sec1, "ResolveObjections", scope="claimable")
    detail = ok(sec1.get(f"/api/tasks/{resolve['id']}"))
    objections = detail["data"]["objections"]
    assert [o["candidate"] for o in objections] == ["m1", "m1"] and "objector" not in str(objections)
    res = complete(sec1, resolve, {"resolutions": [
        {"objection_id": objections[0]["objection_id"], "outcome": "dismissed", "reply": "经核实，走访记录齐全"}]}, 422)
    assert res["details"][0]["field"] == "resolutions"
    complete(sec1, resolve, {"resolutions": [
        {"objection_id": o["objection_id"], "outcome": "dismissed", "reply": "经调查核实，反映情况不属实"}
        for o in objections]})

    # Filing with the superior unit, which returns it once and then confirms the record.
    complete(sec1, one_task(sec1, "FileRecord", scope="claimable"), {"report": "本季度推荐m1为优秀党员"})
    confirm = one_task(leader1, "ConfirmRecord", scope="claimable")
    complete(leader1, confirm, {"decision": "return", "reason": "请附公示及异议处理情况"})
    complete(sec1, one_task(sec1, "FileRecord", scope="claimable"),
             {"report": "本季度推荐m1为优秀党员；公示5个工作日，收到异议2条，经核实不属实"})
    complete(leader1, one_task(leader1, "ConfirmRecord", scope="claimable"), {"decision": "approve"})
    confirmed = ok(as_user("m9").get("/api/org-units/demo-branch1/board"))["selections"][0]
    assert confirmed["status"] == "confirmed" and [c["member"] for c in confirmed["excellent_members"]] == ["m1"]

    # Feedback to every member by grade; poor performers are investigated.
    feedback = one_task(sec1, "GiveFeedback", scope="claimable")
    grades = {u: "affirmed" for u in MEMBERS} | {"m6": "problems", "m7": "investigate"}
    items = [{"member": u, "grade": g, "comment": f"对{u}的反馈意见"} for u, g in grades.items()]
    res = complete(sec1, feedback, {"feedback": items[:-1]}, 422)
    assert res["details"][0]["field"] == "feedback"
    complete(sec1, feedback, {"feedback": items})
    acks = [t for t in tasks(sec1, process="excellent_member_selection") if t["element_id"] == "AcknowledgeFeedback"]
    assert sorted(t["assignee"] for t in acks) == MEMBERS
    investigation = one_task(sec1, "InvestigateMember", scope="claimable")
    assert ok(sec1.get(f"/api/tasks/{investigation['id']}"))["data"]["suspect"] == "m7"
    m7 = as_user("m7")
    seen = ok(m7.get(f"/api/selections/{instance_id}"))
    assert seen["my_feedback"]["grade"] == "investigate" and "feedback" not in seen
    ack = my_task(m7, "AcknowledgeFeedback")
    assert "feedback_recipients" not in ok(m7.get(f"/api/tasks/{ack['id']}"))["data"]  # nobody else's feedback
    for username in MEMBERS:
        client = as_user(username)
        complete(client, my_task(client, "AcknowledgeFeedback"), {"acknowledged": True})
    done = complete(sec1, investigation, {"findings": "经调查，群众反映属实", "action": "talk"})
    assert done["instance"]["state"] == "completed"
    final = ok(sec1.get(f"/api/selections/{instance_id}"))
    rows = {f["member"]: f for f in final["feedback"]}
    assert rows["m7"]["action"] == "talk" and all(f["acknowledged_at"] for f in final["feedback"])
    assert [o["outcome"] for o in final["objections"]] == ["dismissed", "dismissed"]

    # Peer grades and feedback comments stay out of task rows and the audit trail.
    history = ok(sec1.get(f"/api/process-instances/{instance_id}"))["history"]
    text = str([h["details"] for h in history])
    assert "带头作用明显" not in text and "对m7的反馈意见" not in text


def test_the_schedule_starts_a_selection_with_a_plain_function(app, fake_clock):
    from server.campaign.selection import start_selection
    from server.database import db

    with db.transaction() as s:
        instance = start_selection(s, "demo-branch2")
        assert instance.stage == "evaluation" and instance.title.startswith("2026-Q3")
        instance_id = instance.id
    from server.campaign.models import SelectionRound

    with db.transaction() as s:
        rnd = s.get(SelectionRound, instance_id)
        assert (rnd.quarter, rnd.quota, rnd.notice_days, rnd.member_count) == ("2026-Q3", 1, 5, 12)
